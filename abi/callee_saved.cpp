// Callee-saved register tables, each from its ABI document.
#include "abi/callee_saved.h"

namespace jitffi::abi {

namespace {

constexpr std::uint32_t bit(unsigned r) {
  return std::uint32_t(1) << r;
}
constexpr std::uint32_t range(unsigned first, unsigned last) {
  std::uint32_t m = 0;
  for (unsigned r = first; r <= last; ++r) m |= bit(r);
  return m;
}

// Folded at compile time (a loop per call showed up in making every stub).
template <std::uint32_t mask>
constexpr std::uint32_t kMask = mask;

}  // namespace

CalleeSaved callee_saved(Abi abi) noexcept {
  switch (abi) {
    case Abi::SysV_x64:
      // psABI 3.2.1, Figure 3.4: rbx, rbp, r12-r15 belong to the caller; no xmm register does.
      return {kMask<bit(3) | bit(5) | range(12, 15)>, 0, 0};
    case Abi::Win64:
      // Microsoft x64 "Caller/callee saved registers": rbx, rbp, rdi, rsi, r12-r15, xmm6-xmm15.
      return {kMask<bit(3) | bit(5) | bit(6) | bit(7) | range(12, 15)>, kMask<range(6, 15)>, 16};
    case Abi::AAPCS64:
    case Abi::Apple_arm64:
    case Abi::Windows_arm64:
      // AAPCS64 6.1.1/6.1.2: x19-x29 (x29 the frame pointer) and the low 64 bits of v8-v15.
      // Microsoft's "Overview of ARM64 ABI conventions" (Integer and Floating-point/SIMD
      // registers) has the same table plus x18, the platform register pointing to the TEB: no
      // one saves or restores it, it is simply never written, and the stubs never name it
      // (the static chain forms, which use it on Linux, refuse windows_arm64).
      return {kMask<range(19, 29)>, kMask<range(8, 15)>, 8};
  }
  return {};
}

CalleeSaved must_preserve(Abi outer, Abi inner) noexcept {
  const CalleeSaved o = callee_saved(outer), i = callee_saved(inner);
  CalleeSaved r;
  r.gpr = o.gpr & ~i.gpr;
  // A vector register is covered only if the inner ABI keeps at least as many of its bytes.
  r.vec = i.vec_bytes >= o.vec_bytes ? o.vec & ~i.vec : o.vec;
  r.vec_bytes = r.vec ? o.vec_bytes : 0;
  return r;
}

}  // namespace jitffi::abi
