// CallPlan: where every byte of a call goes, as plain data.
//
// A classifier (one per ABI: sysv_x64.cpp, win64.cpp, aapcs64.cpp) turns a Signature into a
// CallPlan; an emitter (jit/x64, jit/a64) executes it without knowing any ABI rule. The same plan
// drives both directions:
//  - downcall (stub calls the target): each ArgPiece is read from the boxed argument and written
//    to its Slot; results are read from their registers and written into `ret`;
//  - upcall (closure entry): each ArgPiece is read from its Slot and spilled into a box that the
//    handler sees as args[i]; the handler's result is loaded from `ret` into the result registers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jitffi/backend.h"
#include "jitffi/signature.h"

namespace jitffi::abi {

enum class Isa : std::uint8_t { X64, A64 };
Isa isa_of(Abi abi) noexcept;

// Register numbers are the ISA's own encodings:
//   X64 Gpr: rax=0 rcx=1 rdx=2 rbx=3 rsp=4 rbp=5 rsi=6 rdi=7 r8..r15=8..15; Vec: xmm0..xmm15
//   A64 Gpr: x0..x30;                                                       Vec: v0..v31
enum class Loc : std::uint8_t {
  Gpr,
  Vec,
  Stack,  // outgoing argument area, at stack_offset from the stack pointer at the call
  X87,    // x87 st(0) (SysV long double results only)
};

struct Slot {
  Loc loc = Loc::Gpr;
  std::uint8_t reg = 0;            // Gpr/Vec/X87 (st index)
  std::uint32_t stack_offset = 0;  // Stack: bytes from the stack pointer at the call instruction
                                   // (Win64: the shadow space is [0, 32), so the 5th slot is 32)
};

enum class Ext : std::uint8_t { None, Sign, Zero };

enum class PieceKind : std::uint8_t {
  Value,    // `size` bytes at (char *)args[arg] + offset
  Address,  // the address of argument `arg`'s copy in the frame (by-reference aggregates)
  SretPtr,  // the hidden result pointer: the caller's `ret`, passed straight through
};

// One register's or stack slot's worth of an argument.
//  Value -> Gpr:   size 1..8 bytes (sizes 3, 5, 6, 7 are the tail of an aggregate and are read
//                  without touching bytes past it); ext Sign/Zero widens a scalar to 64 bits.
//  Value -> Vec:   size 4 (float), 8 (double or two floats), 16 (a 128-bit value).
//  Value -> Stack: `size` bytes copied as they are; with ext Sign/Zero the scalar is widened and
//                  8 bytes are stored (only where the slot is 8 bytes wide).
//  Address/SretPtr: a pointer (8 bytes) to a Gpr or Stack slot.
// SysV x86-64 (sysv_x64.cpp): every piece is at most 8 bytes, one per eightbyte, also on the
// stack (MEMORY aggregates, long double, __int128: consecutive 8-byte slots); Vec pieces are 4 or
// 8; ext is set on scalars only (bool/u8/u16 Zero, i8/i16 Sign), never on aggregate bytes; an
// eightbyte of padding only (NO_CLASS) gets no piece.
// Win64 (win64.cpp): pieces are at most 8 bytes, Vec pieces 4 or 8, stack slots 8 bytes from
// offset 32. A variadic double (and, as GCC does, a variadic struct wrapping one float/double)
// has two Value pieces with the same source: Vec first, then the Gpr of the same slot; an upcall
// that spills both keeps the Gpr copy, the one the convention guarantees. ext as for SysV.
// AAPCS64 / Apple (aapcs64.cpp): Gpr and Stack pieces are at most 8 bytes (a 16-byte scalar on
// the stack is two pieces); Vec pieces are 4, 8 or 16 (long double, HFA of long doubles). Apple
// packs non-variadic stack arguments at natural alignment: a Stack piece may be 1, 2 or 4 bytes
// (ext None: store exactly `size` bytes), and a float HFA's 8-byte piece may sit at a 4-aligned
// offset (sp+12): A64 emitters need the unscaled forms (stur/ldur) there. Windows on ARM64
// variadic functions put every argument in x registers and the stack: a Gpr piece may carry a
// float (4 bytes) or a double, and a composite at x7 continues at [sp+0].
struct ArgPiece {
  PieceKind kind = PieceKind::Value;
  std::uint16_t arg = 0;
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
  Ext ext = Ext::None;
  Slot to;
};

struct ArgInfo {
  std::uint32_t size = 0;
  std::uint32_t align = 1;
  // Passed as a pointer to a copy the caller makes (Win64 aggregates not of size 1/2/4/8,
  // AAPCS64 composites over 16 bytes). The downcall copies the argument to copy_offset in its
  // frame's copy area; the upcall hands the incoming pointer to the handler as args[i].
  bool by_reference = false;
  std::uint32_t copy_offset = 0;
  // The slot entry's slot holds this argument's value (slot_holds_value), not its address.
  bool slot_value = false;
};

// One part of the result.
//  from Gpr: `size` bytes of the register at `offset` in ret; with ext Sign/Zero the value is
//            widened and 8 bytes are written (libffi's ffi_arg widening for narrow integers).
//  from Vec: `size` bytes (4, 8 or 16) of the register at `offset` in ret (16: AAPCS64 long
//            double or HFA member; Win64 __int128, which GCC ms_abi returns in xmm0).
//  from X87: st(0) stored as an 80-bit value at `offset` (size 16 reserved; ret_size counts 16,
//            the 6 bytes past the 80-bit value are left as they are).
struct RetPiece {
  Slot from;
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
  Ext ext = Ext::None;
};

enum class RetKind : std::uint8_t {
  Void,
  Regs,    // ret_pieces
  Memory,  // through the hidden pointer (an ArgPiece of kind SretPtr)
};

struct CallPlan {
  Abi abi = Abi::SysV_x64;
  Isa isa = Isa::X64;
  bool variadic = false;
  std::uint32_t fixed_count = 0;

  std::vector<ArgInfo> args;     // one per boxed argument
  std::vector<ArgPiece> pieces;  // in argument order; an argument may have several pieces

  std::uint32_t stack_bytes = 0;   // outgoing argument area incl. shadow space, multiple of 16
  std::uint32_t shadow_bytes = 0;  // Win64: 32; part of stack_bytes
  std::uint32_t copy_bytes = 0;    // by-reference copy area, each copy 16-byte aligned
  int vector_count = -1;           // SysV variadic: value for %al; -1 when not set

  RetKind ret_kind = RetKind::Void;
  std::vector<RetPiece> ret_pieces;
  std::uint32_t ret_size = 0;  // bytes written to `ret` (after widening)
  // Memory results: the register in which the callee hands the hidden pointer back
  // (rax on SysV and Win64); -1 when the ABI does not return it (AAPCS64).
  int sret_returned_in = -1;

  // A readable listing, one line per piece, for `jitffi plan` and test failure messages.
  std::string describe() const;
};

// Where the value and slot entries leave this plan's result (ValueShape::None when the result is
// in memory or in registers those entries do not hand back: x87 pairs, 16-byte vector pieces).
ValueShape value_shape(const CallPlan &plan) noexcept;

// Register names for listings ("rdi", "xmm0", "x0", "v0", "st0").
std::string reg_name(Isa isa, Loc loc, unsigned reg);

// Classifies for the signature's ABI. Throws UnsupportedError for what that ABI's classifier
// does not (yet) handle, naming the type and the reason.
CallPlan classify(const Signature &sig);

// Per-ABI classifiers (abi/sysv_x64.cpp, abi/win64.cpp, abi/aapcs64.cpp).
CallPlan classify_sysv_x64(const Signature &sig);
CallPlan classify_win64(const Signature &sig);
// Also Apple_arm64 and Windows_arm64 (policy flags inside).
CallPlan classify_aapcs64(const Signature &sig);

// Shared by the classifiers.
//
// Larger outgoing or copy areas are left to libffi: a stub that moves the stack pointer by more
// than this could step over a thread stack's guard page.
constexpr std::uint32_t kMaxFrameBytes = 64 * 1024;

constexpr std::uint32_t align_up(std::uint32_t n, std::uint32_t a) {
  return (n + a - 1) / a * a;
}

// Narrow integer arguments (bool, 8 and 16 bits) are widened to 64 bits in their register or
// stack slot. SysV and AAPCS64 leave the upper bits unspecified (clang-compiled SysV callees and
// Apple's arm64 expect 32-bit extension, which 64 covers); Win64 leaves them undefined.
Ext narrow_arg_ext(const Type &t) noexcept;

// Integer results narrower than 64 bits are widened into `ret` (libffi's ffi_arg): the callee
// leaves the upper bits unspecified, the emitter extends from the low `size` bytes.
Ext narrow_result_ext(const Type &t) noexcept;

}  // namespace jitffi::abi
