// A closure needs no compilation: write a trampoline into W^X memory and commit it.
#include "jit/closure.h"

namespace jitffi::jit {

JitClosure::JitClosure(const void *entry, ClosureHandler handler, void *user_data, ExecMemory &mem)
    : ctx_{handler, user_data}, mem_(mem) {
  ExecMemory::Block b = mem_.alloc(x64::kTrampolineSize);
  x64::write_trampoline(b.rw, &ctx_, entry);
  code_ = mem_.commit(b);
}

JitClosure::~JitClosure() {
  mem_.release(code_);
}

}  // namespace jitffi::jit
