// Bound downcalls are made per (signature, target) and owned by the caller: not cached.
#include "jit/bound_call.h"

namespace jitffi::jit {

BoundCall::BoundCall(const abi::CallPlan &plan, void *fn, std::string_view name)
    : stub_(std::make_unique<Stub>(plan, StubKind::Bound, name, fn)),
      fn_(reinterpret_cast<Fn>(stub_->code())) {}

BoundCall::BoundCall(const Signature &sig, void *fn)
    : BoundCall(abi::classify(sig), fn, "jitffi-bound:" + sig.canonical()) {}

}  // namespace jitffi::jit
