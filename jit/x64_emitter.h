// x86-64 code for a CallPlan: the boxed downcall, the bound downcall and the shared upcall entry.
//
// The emitter executes the plan and holds no ABI rule: where each byte goes comes from the plan,
// which registers to preserve from abi/callee_saved. The stubs themselves are host (SysV)
// functions; the plan's ABI is the convention of the function on the other side.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <string>
#include <vector>

#include "abi/call_plan.h"

namespace jitffi::jit::x64 {

// One change in how to find the caller's frame, at a code offset; becomes .eh_frame CFI.
struct CfiOp {
  enum Kind : std::uint8_t {
    CfaOffset,    // CFA = current CFA register + value
    CfaRegister,  // CFA register becomes `reg` (offset unchanged)
    CfaRspPlus,   // CFA = rsp + value (after the frame pointer is popped)
    Saved,        // register `reg` saved at CFA + value
    Restored,     // register `reg` holds its own value again
  };
  Kind kind;
  std::uint32_t at;  // code offset just after the instruction
  std::uint8_t reg;  // DWARF register number
  std::int32_t value;
};

// Checks that the emitter can execute the plan (ISA, the registers it reserves for itself,
// piece sizes and bounds). Throws UnsupportedError naming the offending piece.
void check_plan(const abi::CallPlan &plan);

// Boxed downcall `void stub(void *fn, void *ret, void **args)`; with a target, the bound form
// `void stub(void *ret, void **args)` calling `target`. `fast`: the common instruction forms are
// encoded by the emitter itself (the same bytes as asmjit's, see encoding_matches), the rest and
// anything assembled with a logger by asmjit.
void emit_downcall(asmjit::x86::Assembler &a, const abi::CallPlan &plan, const void *target,
                   std::vector<CfiOp> &cfi, bool fast = true);

// What a closure's trampoline hands the shared entry in r10.
struct ClosureContext {
  void (*handler)(void *ret, void **args, void *user_data);
  void *user_data;
};

// The per-signature closure entry, entered (through a trampoline) with a ClosureContext * in r10
// and called with the plan's convention; calls the handler with the host convention.
void emit_upcall(asmjit::x86::Assembler &a, const abi::CallPlan &plan, std::vector<CfiOp> &cfi,
                 bool fast = true);

// The static chain forms: the caller passes a context in r10, the static chain register (where
// GCC passes a nested function's context, and libffi's ffi_call_go and go closures the closure;
// libffi src/x86/unix64.S).
// Downcall `void stub(void *fn, void *ret, void **args, void *chain)` that also hands the callee
// `chain` in r10.
void emit_chain_downcall(asmjit::x86::Assembler &a, const abi::CallPlan &plan,
                         std::vector<CfiOp> &cfi, bool fast = true);
// A per-signature entry called with the context in r10 by its caller (no trampoline); it calls
// `handler(ret, args, context)` with the host convention.
void emit_chain_upcall(asmjit::x86::Assembler &a, const abi::CallPlan &plan, const void *handler,
                       std::vector<CfiOp> &cfi, bool fast = true);

// Whether the emitter's own encoding and asmjit's give the same bytes for this plan's downcall,
// bound downcall and upcall (and their static chain forms; JITFFI_CHECK_ENCODER=1 makes every
// compiled stub check it). On a mismatch `why` names the stub kind and the first differing byte.
bool encoding_matches(const abi::CallPlan &plan, std::string *why = nullptr);

// Per-closure trampoline: `mov r10, context; mov r11, entry; jmp r11`.
inline constexpr std::size_t kTrampolineSize = 23;
void write_trampoline(void *rw, const void *context, const void *entry) noexcept;

}  // namespace jitffi::jit::x64
