// JIT closures: a 23-byte trampoline per closure in front of the signature's shared entry.
#pragma once

#include <memory>

#include "jit/exec_memory.h"
#include "jit/stub.h"
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

// A typed closure (Closure::typed): code that calls `handler(args..., user_data)` itself, both
// written into it. `plan` is the handler's (the closure's signature with the user_data pointer
// appended). When user_data goes in a register the code is a trampoline-sized `mov reg,
// user_data; jmp handler` (no frame, no unwind info needed); otherwise a compiled stub that adds
// user_data on the stack.
class JitTypedClosure final : public detail::ClosureImpl {
 public:
  JitTypedClosure(const abi::CallPlan &plan, const void *handler, void *user_data, ExecMemory &mem);
  ~JitTypedClosure() override;
  void *code() const noexcept override { return code_; }
  BackendKind kind() const noexcept override { return BackendKind::Jit; }

 private:
  ExecMemory &mem_;
  void *code_ = nullptr;        // the register form's block
  std::unique_ptr<Stub> stub_;  // the stack form
};

}  // namespace jitffi::jit
