// A closure needs no compilation: write a trampoline into W^X memory and commit it.
#include "jit/closure.h"

#include <cstddef>
#include <cstdint>

#include "jit/a64_emitter.h"
#include "jit/upcall_frame.h"

namespace jitffi::jit {

#if defined(__aarch64__)
// The a64 entry reads the same context layout through x9.
static_assert(offsetof(x64::ClosureContext, handler) == offsetof(a64::ClosureContext, handler) &&
              offsetof(x64::ClosureContext, user_data) == offsetof(a64::ClosureContext, user_data));
namespace host = a64;
#else
namespace host = x64;
#endif

JitClosure::JitClosure(const void *entry, ClosureHandler handler, void *user_data, ExecMemory &mem,
                       std::shared_ptr<const void> keep)
    : ctx_{handler, user_data}, mem_(mem), keep_(std::move(keep)) {
  ExecMemory::Block b = mem_.alloc(host::kTrampolineSize);
#if defined(__aarch64__)
  host::write_trampoline(b.rw, &ctx_, entry);
#else
  host::write_trampoline(b.rw, b.rx, &ctx_, entry);
#endif
  code_ = mem_.commit(b);  // flushes the instruction cache for the block
}

JitClosure::~JitClosure() {
  mem_.release(code_);
}

JitTypedClosure::JitTypedClosure(const abi::CallPlan &plan, const void *handler, void *user_data,
                                 ExecMemory &mem)
    : mem_(mem) {
  const int reg = typed_closure_register(plan);
  if (reg < 0) {
    const host::ClosureContext ctx{
        reinterpret_cast<ClosureHandler>(reinterpret_cast<std::uintptr_t>(handler)), user_data};
    stub_ = std::make_unique<Stub>(plan, StubKind::TypedClosure, "jitffi:typed closure", &ctx, mem);
    code_ = stub_->code();
    return;
  }
  ExecMemory::Block b = mem_.alloc(host::kTrampolineSize);
#if defined(__aarch64__)
  host::write_trampoline(b.rw, user_data, handler, unsigned(reg));
#else
  host::write_trampoline(b.rw, b.rx, user_data, handler, unsigned(reg));
#endif
  code_ = mem_.commit(b);
}

JitTypedClosure::~JitTypedClosure() {
  if (!stub_) mem_.release(code_);
}

}  // namespace jitffi::jit
