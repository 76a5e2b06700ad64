// libffi's ffi_call shape of the boxed downcall: `void stub(const void *cif, void *fn, void *ret,
// void **args)`, the four in the host's first four argument registers (SysV rdi/rsi/rdx/rcx,
// AAPCS64 x0-x3), so that the drop-in's ffi_call reaches it with one jump and no moves. Before
// anything else the stub checks that the cif is the one it was made for; on a mismatch it jumps
// to `slow` with its four arguments untouched (a function of the same shape that finds the right
// way, or says why there is none).
#pragma once

#include <cstdint>

namespace jitffi::jit {

struct CifGuard {
  std::uint32_t flags_offset;  // the stub runs only if the 32-bit word at cif + flags_offset
  std::uint32_t flags;         // equals `flags`,
  std::uint64_t head;          // the 64-bit word at cif + 0 equals `head`,
  const void *slow;            // and, when it writes a result, ret is not null; else: jump here
};

}  // namespace jitffi::jit
