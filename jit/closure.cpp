// A closure needs no compilation: write a trampoline into W^X memory and commit it.
#include "jit/closure.h"

#include <cstddef>

#include "jit/a64_emitter.h"

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
  host::write_trampoline(b.rw, &ctx_, entry);
  code_ = mem_.commit(b);  // flushes the instruction cache for the block
}

JitClosure::~JitClosure() {
  mem_.release(code_);
}

}  // namespace jitffi::jit
