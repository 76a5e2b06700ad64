// .eh_frame unwind information for generated code, registered with the system unwinder so that
// C++ exceptions (and gdb, perf) walk through stubs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "jit/x64_emitter.h"

namespace jitffi::jit {

// Builds a CIE and one FDE for [code, code + size) from the prologue/epilogue CFI ops,
// terminated by a zero length word (the form __register_frame takes on libgcc).
std::vector<std::uint8_t> build_eh_frame(const void *code, std::size_t size,
                                         const std::vector<x64::CfiOp> &ops);

// Registration of one eh_frame; deregistered on destruction.
class UnwindRegistration {
 public:
  UnwindRegistration(const void *code, std::size_t size, const std::vector<x64::CfiOp> &ops);
  ~UnwindRegistration();
  UnwindRegistration(const UnwindRegistration &) = delete;
  UnwindRegistration &operator=(const UnwindRegistration &) = delete;
  const std::vector<std::uint8_t> &bytes() const noexcept { return frame_; }

 private:
  std::vector<std::uint8_t> frame_;
};

}  // namespace jitffi::jit
