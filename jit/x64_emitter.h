// x86-64 code for a CallPlan: the boxed downcall, the bound downcall and the shared upcall entry.
//
// The emitter executes the plan and holds no ABI rule: where each byte goes comes from the plan,
// which registers to preserve from abi/callee_saved. The stubs themselves are host (SysV)
// functions; the plan's ABI is the convention of the function on the other side.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "abi/call_plan.h"
#include "jit/cif_guard.h"

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

// Where the emitter's code goes.
//  - Onto an Assembler (listings, JITFFI_DUMP, the encoder check): every instruction is
//    assembled by asmjit, which can log it.
//  - Compiling a stub (jit/stub.cpp): the emitter encodes the forms the stubs are made of itself
//    (moves between a register and [base + disp], register moves and extensions, SSE moves,
//    lea, push/pop, rsp adjustments, indirect call/jmp, ret, 64-bit immediates), straight into
//    bytes(). asmjit's generic encoder spent ~200 instructions on each, and setting up its
//    CodeHolder for every stub ~1,200 more. Only the first instruction the emitter leaves to
//    asmjit (shifts of odd-sized tails, x87) sets up an Assembler on `holder`, initialised for
//    the host with `errors`, hands it the bytes so far and the rest; encoding_matches() checks
//    that both give the same bytes.
class CodeOut {
 public:
  static constexpr std::uint32_t kCapacity = 1024;  // more, and asmjit takes over

  explicit CodeOut(asmjit::x86::Assembler &a) noexcept : a_(&a), own_(false) {}
  CodeOut(asmjit::CodeHolder &holder, asmjit::ErrorHandler *errors) noexcept
      : holder_(&holder), errors_(errors) {}
  CodeOut(const CodeOut &) = delete;
  CodeOut &operator=(const CodeOut &) = delete;

  // Whether the code is all in bytes() (no Assembler was needed).
  bool direct() const noexcept { return a_ == nullptr; }
  // The plan passed check_plan already (jit::check_host_plan on a stub cache entry's plan): the
  // emitter does not check it again.
  void set_plan_checked() noexcept { checked_ = true; }
  bool plan_checked() const noexcept { return checked_; }
  const std::uint8_t *bytes() const noexcept { return buf_; }
  std::uint32_t size() const noexcept { return n_; }

 private:
  friend class Emit;
  asmjit::x86::Assembler &assembler();  // sets it up on first use (compiling)

  asmjit::x86::Assembler *a_ = nullptr;
  bool own_ = true;  // the emitter's own encodings are used
  bool checked_ = false;
  asmjit::CodeHolder *holder_ = nullptr;
  asmjit::ErrorHandler *errors_ = nullptr;
  std::optional<asmjit::x86::Assembler> made_;
  std::uint32_t n_ = 0;  // bytes in buf_ not yet handed to the assembler
  std::uint8_t buf_[kCapacity];
};

// Boxed downcall `void stub(void *fn, void *ret, void **args)`; with a target, the bound form
// `void stub(void *ret, void **args)` calling `target`.
void emit_downcall(CodeOut &out, const abi::CallPlan &plan, const void *target,
                   std::vector<CfiOp> &cfi);
// The same boxed downcall in libffi's ffi_call shape (jit/cif_guard.h): cif, fn, ret, args in
// rdi, rsi, rdx, rcx, the guard's checks first.
void emit_cif_downcall(CodeOut &out, const abi::CallPlan &plan, const CifGuard &guard,
                       std::vector<CfiOp> &cfi);

// The value and slot entries (jitffi::EntryKind): `R stub(void *fn, void **args)` and
// `R stub(void *fn, const uint64_t *slots)`, the result left in the plan's result registers (the
// plan's result must be in registers or void). Without hooks and stack area the stub ends in
// `jmp target`. Hooks: `counter` is incremented (lock add) on each call; with `errno_enter`
// and `errno_leave` the stub calls them (host convention, no arguments) before loading the
// arguments and after the target returns, keeping the result registers.
struct EntryHooks {
  std::uint64_t *counter = nullptr;
  const void *errno_enter = nullptr;
  const void *errno_leave = nullptr;
};
void emit_entry(CodeOut &out, const abi::CallPlan &plan, EntryKind kind, const EntryHooks &hooks,
                std::vector<CfiOp> &cfi);

// What a closure's trampoline hands the shared entry in r10.
struct ClosureContext {
  void (*handler)(void *ret, void **args, void *user_data);
  void *user_data;
};

// The per-signature closure entry, entered (through a trampoline) with a ClosureContext * in r10
// and called with the plan's convention; calls the handler with the host convention.
void emit_upcall(CodeOut &out, const abi::CallPlan &plan, std::vector<CfiOp> &cfi);

// The static chain forms: the caller passes a context in r10, the static chain register (where
// GCC passes a nested function's context, and libffi's ffi_call_go and go closures the closure;
// libffi src/x86/unix64.S).
// Downcall `void stub(void *fn, void *ret, void **args, void *chain)` that also hands the callee
// `chain` in r10.
void emit_chain_downcall(CodeOut &out, const abi::CallPlan &plan, std::vector<CfiOp> &cfi);
// A per-signature entry called with the context in r10 by its caller (no trampoline); it calls
// `handler(ret, args, context)` with the host convention.
void emit_chain_upcall(CodeOut &out, const abi::CallPlan &plan, const void *handler,
                       std::vector<CfiOp> &cfi);

// A typed closure (Closure::typed): `plan` is its handler's, `R handler(args..., void *user_data)`
// in the closure's own convention (the closure's signature with a pointer appended), and `ctx`
// the handler and user_data, both written into the code. When user_data goes in a register the
// closure is `mov reg, user_data; jmp handler`; when it goes on the stack, the closure copies the
// caller's stack arguments into a new area, adds user_data, calls the handler and returns its
// result registers as they are (jit::typed_closure_register tells the two forms apart).
void emit_typed_closure(CodeOut &out, const abi::CallPlan &plan, const ClosureContext &ctx,
                        std::vector<CfiOp> &cfi);

// Whether compiling (the emitter's own encodings) and asmjit alone give the same bytes for this
// plan's downcall, bound downcall and upcall (and their static chain forms; JITFFI_CHECK_ENCODER=1
// makes every compiled stub check it). On a mismatch `why` names the stub kind and the first
// differing byte.
bool encoding_matches(const abi::CallPlan &plan, std::string *why = nullptr);

// Per-closure trampoline, written at rw to run at rx: `mov r10, context; jmp entry` (rel32), or
// `mov r10, context; mov r11, entry; jmp r11` when the entry is out of rel32 reach. With `reg`
// another register than r10 (not r11) gets the context: a typed closure's user_data argument.
inline constexpr std::size_t kTrampolineSize = 23;
void write_trampoline(void *rw, const void *rx, const void *context, const void *entry,
                      unsigned reg = 10) noexcept;

}  // namespace jitffi::jit::x64
