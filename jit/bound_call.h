// A bound downcall: `void stub(void *ret, void **args)` with the target built in.
#pragma once

#include <memory>

#include "abi/call_plan.h"
#include "jit/stub.h"

namespace jitffi::jit {

class BoundCall {
 public:
  using Fn = void (*)(void *ret, void **args);
  // Throws UnsupportedError when the signature cannot be classified or emitted.
  BoundCall(const Signature &sig, void *fn);
  BoundCall(const abi::CallPlan &plan, void *fn, std::string_view name);

  void call(void *ret, void **args) const { fn_(ret, args); }
  Fn code() const noexcept { return fn_; }

 private:
  std::unique_ptr<Stub> stub_;
  Fn fn_;
};

}  // namespace jitffi::jit
