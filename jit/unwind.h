// .eh_frame unwind information for generated code, registered with the system unwinder so that
// C++ exceptions (and gdb, perf) walk through stubs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "jit/x64_emitter.h"

namespace jitffi::jit {

// Builds a CIE and one FDE for [code, code + size) from the prologue/epilogue CFI ops,
// terminated by a zero length word (the form __register_frame takes on libgcc).
std::vector<std::uint8_t> build_eh_frame(const void *code, std::size_t size,
                                         const std::vector<x64::CfiOp> &ops);

// The bytes of a registered eh_frame.
struct EhFrameView {
  const std::uint8_t *begin;
  std::size_t length;
  const std::uint8_t *data() const noexcept { return begin; }
  std::size_t size() const noexcept { return length; }
};

// Registration of one eh_frame; deregistered on destruction. The bytes are kept in place when
// they fit (every downcall and most entries): no allocation per stub.
class UnwindRegistration {
 public:
  UnwindRegistration(const void *code, std::size_t size, const std::vector<x64::CfiOp> &ops);
  ~UnwindRegistration();
  UnwindRegistration(const UnwindRegistration &) = delete;
  UnwindRegistration &operator=(const UnwindRegistration &) = delete;
  EhFrameView bytes() const noexcept { return {frame_, size_}; }

  static constexpr std::size_t kInPlace = 128;

 private:
  std::uint8_t *frame_;
  std::size_t size_;
  std::unique_ptr<std::uint8_t[]> heap_;  // when the frame does not fit in place
  alignas(8) std::uint8_t in_place_[kInPlace];
};

}  // namespace jitffi::jit
