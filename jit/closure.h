// JIT closures: a 23-byte trampoline per closure in front of the signature's shared entry.
#pragma once

#include <memory>

#include "jit/exec_memory.h"
#include "jit/x64_emitter.h"
#include "jitffi/backend.h"

namespace jitffi::jit {

class JitClosure final : public detail::ClosureImpl {
 public:
  // `entry` is the shared upcall code for the closure's signature: it must outlive the closure,
  // which `keep` (the stub cache's reference to it, when it is counted) makes sure of.
  JitClosure(const void *entry, ClosureHandler handler, void *user_data,
             ExecMemory &mem = ExecMemory::global(), std::shared_ptr<const void> keep = {});
  ~JitClosure() override;
  void *code() const noexcept override { return code_; }
  BackendKind kind() const noexcept override { return BackendKind::Jit; }

 private:
  x64::ClosureContext ctx_;  // read by the entry through r10; address fixed for our lifetime
  ExecMemory &mem_;
  void *code_ = nullptr;
  std::shared_ptr<const void> keep_;  // released after the trampoline (members go last)
};

}  // namespace jitffi::jit
