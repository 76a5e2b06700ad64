// The per-closure trampoline of compat/ (closures.cpp), one per instruction set.
//
// It loads the closure's record (closures.cpp's Rec, which starts with the JIT's ClosureContext)
// into the register the JIT's shared upcall entry reads its context from, and jumps through the
// record's entry slot at offset 16, which ffi_prep_closure_loc sets: the JIT upcall for the
// signature, or a real libffi closure. The code never changes after it is written; only the slot
// does, so re-preparing a closure needs no write to executable memory.
#pragma once

#include <ffi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace jitffi::compat {

inline constexpr std::size_t kRecEntryOffset = 16;

#if defined(__x86_64__)
// endbr64; mov r10, <rec>; jmp qword ptr [r10 + 16]. r10 is the x64 upcall's context register.
inline constexpr std::size_t kTrampSize = 18;

inline void write_trampoline(unsigned char *p, const void *rec) noexcept {
  static const unsigned char endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
  std::memcpy(p, endbr64, 4);
  p[4] = 0x49, p[5] = 0xba;  // mov r10, imm64
  const std::uint64_t r = reinterpret_cast<std::uint64_t>(rec);
  std::memcpy(p + 6, &r, 8);
  p[14] = 0x41, p[15] = 0xff, p[16] = 0x62, p[17] = 0x10;  // jmp [r10 + 16]
  static_assert(kRecEntryOffset == 0x10, "the jump's displacement");
}
#elif defined(__aarch64__)
// ldr x9, <rec>; ldr x16, [x9, #16]; br x16; brk #0; then the 8-byte literal <rec>, 8-aligned
// when the trampoline is (ExecMemory blocks and libffi's trampoline area both are). x9 is the
// a64 upcall's context register, a temporary of AAPCS64; x16 (IP0) is the register AAPCS64 sets
// aside for veneers, and the one a BTI `bti c` landing pad accepts from `br`.
inline constexpr std::size_t kTrampSize = 24;

inline void write_trampoline(unsigned char *p, const void *rec) noexcept {
  // A64 encodings (Arm ARM C6.2): LDR (literal, 64-bit) 0x58000000 | imm19 << 5 | Rt, imm19 in
  // words from the instruction; LDR (immediate, unsigned offset, 64-bit) 0xF9400000 |
  // imm12 << 10 | Rn << 5 | Rt, imm12 in 8-byte units; BR 0xD61F0000 | Rn << 5; BRK #0.
  const std::uint32_t code[4] = {
      0x58000000u | (4u << 5) | 9u,                // ldr x9, [pc + 16]
      0xF9400000u | (2u << 10) | (9u << 5) | 16u,  // ldr x16, [x9, #16]
      0xD61F0000u | (16u << 5),                    // br x16
      0xD4200000u,                                 // brk #0: never reached
  };
  static_assert(kRecEntryOffset == 2 * 8, "the second ldr's offset");
  std::memcpy(p, code, sizeof code);
  const std::uint64_t r = reinterpret_cast<std::uint64_t>(rec);
  std::memcpy(p + 16, &r, 8);
}
#else
#error "compat/ has closure trampolines for x86-64 and AArch64 only"
#endif

// ffi_prep_closure writes the trampoline into the client's ffi_closure, as libffi does.
static_assert(kTrampSize <= FFI_TRAMPOLINE_SIZE, "the trampoline fits libffi's area");

}  // namespace jitffi::compat
