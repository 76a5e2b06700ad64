// AArch64 code for a CallPlan: the boxed downcall, the bound downcall and the shared upcall entry.
//
// The emitter executes the plan and holds no ABI rule, like jit/x64_emitter: where each byte goes
// comes from the plan. The stubs themselves are host (AAPCS64) functions; the plan's ABI
// (AAPCS64, Apple's arm64 or Windows on ARM64) is the convention of the function on the other
// side. All keep the same registers (x19-x29, low halves of v8-v15), so the stubs save none
// beyond their frame record; Windows also reserves x18 (the TEB), which only the static chain
// forms name, and those refuse windows_arm64 plans.
//
// Registers the stubs use for themselves (never an argument or result register of AAPCS64):
//   downcall: x9 = args (entries: args or slots stay in x1, the piece bound for x1 loaded last;
//             x9 again with errno hooks), x10 = target, x14 = ret until the frame holds it,
//             x11 = argument pointer, x12/x13 = data, x16/x17 = addresses of far frame slots;
//             entries: x15-x17 count the call, x16 holds the errno hooks' addresses;
//             ffi_call shape: x16/x17 compare the cif with the guard's words, before anything.
//   upcall:   x9 = ClosureContext * (set by the trampoline), x10/x11 = data, x16/x17 = addresses
//             of far frame slots, then the handler's address.
//   static chain forms: x18 = the chain (GCC's static chain register on AArch64), set from x3 by
//             the downcall, read by the entry; x18 is a temporary of AAPCS64 on Linux.
#pragma once

#include <asmjit/arm/a64assembler.h>
#include <asmjit/core.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "abi/call_plan.h"
#include "jit/x64_emitter.h"

namespace jitffi::jit::a64 {

// The CFI records are ISA-neutral (DWARF register numbers, code offsets): the same .eh_frame
// writer (jit/unwind) serves both emitters. For A64, CfaRspPlus means CFA = sp + value.
using CfiOp = x64::CfiOp;

// DWARF register numbers (AArch64 DWARF ABI, "DWARF register names"): x0-x30 are 0-30, sp 31.
inline constexpr std::uint8_t kDwarfFp = 29, kDwarfLr = 30, kDwarfSp = 31;

// Checks that the emitter can execute the plan (ISA, the registers it reserves for itself,
// piece sizes and bounds). Throws UnsupportedError naming the offending piece.
void check_plan(const abi::CallPlan &plan);

// Boxed downcall `void stub(void *fn, void *ret, void **args)`; with a target, the bound form
// `void stub(void *ret, void **args)` calling `target`.
void emit_downcall(asmjit::a64::Assembler &a, const abi::CallPlan &plan, const void *target,
                   std::vector<CfiOp> &cfi);
// The same boxed downcall in libffi's ffi_call shape (jit/cif_guard.h): cif, fn, ret, args in
// x0-x3, the guard's checks first (x16/x17 scratch).
void emit_cif_downcall(asmjit::a64::Assembler &a, const abi::CallPlan &plan, const CifGuard &guard,
                       std::vector<CfiOp> &cfi);

// The value and slot entries (jitffi::EntryKind): `R stub(void *fn, void **args)` and
// `R stub(void *fn, const uint64_t *slots)`, the result left in the plan's result registers
// (x0/x1, v0/v1: abi::value_shape must not be None). Without hooks and stack area the stub ends
// in `br target`, so the target returns straight to the stub's caller; otherwise it calls and
// returns with the result registers untouched. Hooks as for x64::emit_entry: the counter is
// incremented atomically (ldxr/stxr), errno_enter/errno_leave are called (host convention)
// before the arguments are loaded and after the target returns.
using EntryHooks = x64::EntryHooks;
void emit_entry(asmjit::a64::Assembler &a, const abi::CallPlan &plan, EntryKind kind,
                const EntryHooks &hooks, std::vector<CfiOp> &cfi);

// What a closure's trampoline hands the shared entry in x9 (same layout as x64::ClosureContext).
struct ClosureContext {
  void (*handler)(void *ret, void **args, void *user_data);
  void *user_data;
};

// The per-signature closure entry, entered (through a trampoline) with a ClosureContext * in x9
// and called with the plan's convention; calls the handler with the host convention.
void emit_upcall(asmjit::a64::Assembler &a, const abi::CallPlan &plan, std::vector<CfiOp> &cfi);

// The static chain forms: the caller passes a context in x18 (where GCC passes a nested
// function's context, and libffi's ffi_call_go and go closures the closure; libffi
// src/aarch64/sysv.S).
// Downcall `void stub(void *fn, void *ret, void **args, void *chain)` that also hands the callee
// `chain` in x18.
void emit_chain_downcall(asmjit::a64::Assembler &a, const abi::CallPlan &plan,
                         std::vector<CfiOp> &cfi);
// A per-signature entry called with the context in x18 by its caller (no trampoline); it calls
// `handler(ret, args, context)` with the host convention.
void emit_chain_upcall(asmjit::a64::Assembler &a, const abi::CallPlan &plan, const void *handler,
                       std::vector<CfiOp> &cfi);

// A typed closure (see x64::emit_typed_closure): `plan` is the handler's, the closure's signature
// with the user_data pointer appended; jit::typed_closure_register is where user_data goes.
void emit_typed_closure(asmjit::a64::Assembler &a, const abi::CallPlan &plan,
                        const ClosureContext &ctx, std::vector<CfiOp> &cfi);

// Per-closure trampoline, 32 bytes: `ldr x9, ctx; ldr x16, entry; br x16; brk #0` and the two
// 8-byte literals. x9 is a temporary of AAPCS64 (no argument register), x16 (IP0) is the
// register the ABI sets aside for veneers like this one. The instructions are the same for every
// closure: only the literals differ, which are data, so a reused block never runs stale code.
// With `reg` another register than x9 (x0-x7) gets the context: a typed closure's user_data.
inline constexpr std::size_t kTrampolineSize = 32;
void write_trampoline(void *rw, const void *context, const void *entry, unsigned reg = 9) noexcept;

}  // namespace jitffi::jit::a64
