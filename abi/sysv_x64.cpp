// x86-64 System V psABI (v1.0) §3.2.3: register and stack assignment of arguments and results.
// The eightbyte classification itself is in sysv_x64_classes.cpp.
#include <algorithm>
#include <cstdint>
#include <string>

#include "abi/call_plan.h"
#include "abi/sysv_x64_classes.h"

namespace jitffi::abi {

namespace {

using sysv::ArgClass;
using sysv::Classification;

// §3.2.3 "Passing" step 2: INTEGER eightbytes take rdi, rsi, rdx, rcx, r8, r9 in this order.
constexpr std::uint8_t kArgGprs[] = {7, 6, 2, 1, 8, 9};
// Step 3: SSE eightbytes take xmm0 to xmm7.
constexpr unsigned kArgVecs = 8;
// "Returning of Values" step 3: INTEGER eightbytes come back in rax, then rdx.
constexpr std::uint8_t kRetGprs[] = {0, 2};
// Step 4: SSE eightbytes come back in xmm0, then xmm1.
constexpr unsigned kRetVecs = 2;
constexpr std::uint8_t kRax = 0;

bool is_x87(ArgClass c) {
  return c == ArgClass::X87 || c == ArgClass::X87Up || c == ArgClass::ComplexX87;
}

[[noreturn]] void unsupported(const Type &t, const std::string &why) {
  throw UnsupportedError("sysv_x64: cannot pass " + t.canonical() + ": " + why);
}

// Bytes of eightbyte i of a `size`-byte object: 8, or what is left of the object at its tail.
std::uint32_t eightbyte_size(std::size_t size, std::size_t i) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(8, size - i * 8));
}

class Assigner {
 public:
  explicit Assigner(CallPlan &plan) : plan_(plan) {}

  unsigned vecs_used() const { return nvec_; }
  std::uint32_t stack_used() const { return stack_; }

  // "Returning of Values" step 2: a MEMORY result's address goes in rdi as if it were the first
  // argument (and comes back in rax).
  void sret_pointer() {
    ArgPiece p;
    p.kind = PieceKind::SretPtr;
    p.size = 8;
    p.to = Slot{Loc::Gpr, kArgGprs[ngpr_++], 0};
    plan_.pieces.push_back(p);
  }

  void argument(std::uint16_t index, const Type &t) {
    Classification c = sysv::classify(t);
    // "Passing" step 1: MEMORY goes on the stack; step 5: so do X87, X87UP and COMPLEX_X87.
    bool memory = c.in_memory();
    unsigned need_gpr = 0, need_vec = 0;
    for (std::size_t i = 0; i < c.count && !memory; ++i) {
      ArgClass k = c.eightbyte[i];
      if (is_x87(k)) memory = true;
      if (k == ArgClass::Integer) ++need_gpr;
      if (k == ArgClass::Sse) ++need_vec;
      if (k == ArgClass::SseUp) unsupported(t, "SSEUP eightbytes (vector types) are not modelled");
    }
    // "If there are no registers available for any eightbyte of an argument, the whole argument
    // is passed on the stack" and the registers stay free for later arguments.
    if (!memory && ngpr_ + need_gpr <= std::size(kArgGprs) && nvec_ + need_vec <= kArgVecs) {
      in_registers(index, t, c);
      return;
    }
    on_stack(index, t);
  }

 private:
  void in_registers(std::uint16_t index, const Type &t, const Classification &c) {
    for (std::size_t i = 0; i < c.count; ++i) {
      ArgPiece p;
      p.arg = index;
      p.offset = static_cast<std::uint32_t>(i * 8);
      p.size = eightbyte_size(t.size(), i);
      switch (c.eightbyte[i]) {
        case ArgClass::Integer:  // step 2
          p.to = Slot{Loc::Gpr, kArgGprs[ngpr_++], 0};
          if (t.is_scalar()) p.ext = narrow_arg_ext(t);
          break;
        case ArgClass::Sse:  // step 3
          p.to = Slot{Loc::Vec, static_cast<std::uint8_t>(nvec_++), 0};
          break;
        case ArgClass::NoClass:  // padding only: no register
          continue;
        default:
          unsupported(
              t, "unexpected eightbyte class " + std::string(sysv::class_name(c.eightbyte[i])));
      }
      plan_.pieces.push_back(p);
    }
  }

  void on_stack(std::uint16_t index, const Type &t) {
    // §3.2.3: stack arguments take whole eightbytes; __int128, long double and 16-byte aligned
    // aggregates start on a 16-byte boundary (§3.2.3 Figure 3.1 alignments, min 8 per slot).
    std::uint32_t align = std::max<std::uint32_t>(8, static_cast<std::uint32_t>(t.align()));
    if (align > 16) unsupported(t, "stack alignment over 16 bytes is not modelled");
    if (t.size() > kMaxFrameBytes || stack_ + t.size() + align > kMaxFrameBytes)
      unsupported(t, "the argument area would exceed " + std::to_string(kMaxFrameBytes) + " bytes");
    stack_ = align_up(stack_, align);
    for (std::size_t i = 0; i * 8 < t.size(); ++i) {
      ArgPiece p;
      p.arg = index;
      p.offset = static_cast<std::uint32_t>(i * 8);
      p.size = eightbyte_size(t.size(), i);
      // The stack slot of a narrow scalar is 8 bytes wide: store it extended like a register.
      if (t.is_scalar()) p.ext = narrow_arg_ext(t);
      p.to = Slot{Loc::Stack, 0, stack_ + p.offset};
      plan_.pieces.push_back(p);
    }
    stack_ += align_up(static_cast<std::uint32_t>(t.size()), 8);
  }

  CallPlan &plan_;
  unsigned ngpr_ = 0, nvec_ = 0;
  std::uint32_t stack_ = 0;
};

// "Returning of Values": the result's registers, or memory through the hidden pointer.
void plan_result(CallPlan &plan, Assigner &assign, const Type &t) {
  if (t.is_void()) {
    plan.ret_kind = RetKind::Void;
    return;
  }
  // The plan holds sizes in 32 bits (as Win64 and AAPCS64 do); refused rather than truncated.
  if (t.size() > UINT32_MAX)
    throw UnsupportedError("sysv_x64: the result " + t.canonical() + " is " +
                           std::to_string(t.size()) + " bytes; results of at most " +
                           std::to_string(UINT32_MAX) + " bytes (4 GiB - 1) are supported");
  Classification c = sysv::classify(t);
  if (c.in_memory()) {
    // Step 2: the caller passes the buffer in rdi; the callee returns it in rax.
    plan.ret_kind = RetKind::Memory;
    plan.ret_size = static_cast<std::uint32_t>(t.size());
    plan.sret_returned_in = kRax;
    assign.sret_pointer();
    return;
  }
  plan.ret_kind = RetKind::Regs;
  unsigned ngpr = 0, nvec = 0;
  for (std::size_t i = 0; i < c.count; ++i) {
    RetPiece r;
    r.offset = static_cast<std::uint32_t>(i * 8);
    r.size = eightbyte_size(t.size(), i);
    switch (c.eightbyte[i]) {
      case ArgClass::Integer:  // step 3: rax, rdx
        if (ngpr == std::size(kRetGprs)) unsupported(t, "more than two INTEGER eightbytes");
        r.from = Slot{Loc::Gpr, kRetGprs[ngpr++], 0};
        if (t.is_scalar()) r.ext = narrow_result_ext(t);
        break;
      case ArgClass::Sse:  // step 4: xmm0, xmm1
        if (nvec == kRetVecs) unsupported(t, "more than two SSE eightbytes");
        r.from = Slot{Loc::Vec, static_cast<std::uint8_t>(nvec++), 0};
        break;
      case ArgClass::X87:  // step 6: st(0), 80-bit; step 7: X87UP travels with it
        r.from = Slot{Loc::X87, 0, 0};
        r.size = 16;
        break;
      case ArgClass::X87Up:
      case ArgClass::NoClass:
        continue;
      default:
        unsupported(t, "unexpected result eightbyte class " +
                           std::string(sysv::class_name(c.eightbyte[i])));
    }
    plan.ret_pieces.push_back(r);
  }
  plan.ret_size = static_cast<std::uint32_t>(t.size());
  for (const RetPiece &r : plan.ret_pieces)
    if (r.ext != Ext::None) plan.ret_size = 8;  // widened: 8 bytes are written
}

}  // namespace

CallPlan classify_sysv_x64(const Signature &sig) {
  if (sig.abi() != Abi::SysV_x64)
    throw UnsupportedError("classify_sysv_x64 given a " + std::string(abi_name(sig.abi())) +
                           " signature: " + sig.canonical());
  const auto &params = sig.params();
  if (params.size() > 0xFFFF)
    throw UnsupportedError("sysv_x64: " + std::to_string(params.size()) +
                           " parameters exceed the plan's 65535");

  CallPlan plan;
  plan.abi = Abi::SysV_x64;
  plan.isa = Isa::X64;
  plan.variadic = sig.is_variadic();
  plan.fixed_count = static_cast<std::uint32_t>(sig.fixed_count());
  // One allocation each instead of one per doubling (most arguments are one or two pieces).
  if (!params.empty()) {
    plan.args.reserve(params.size());
    plan.pieces.reserve(2 * params.size() + 1);
  }

  Assigner assign(plan);
  // The result first: a MEMORY result takes rdi before any argument.
  plan_result(plan, assign, *sig.ret());
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Type &t = *params[i];
    plan.args.push_back(ArgInfo{static_cast<std::uint32_t>(t.size()),
                                static_cast<std::uint32_t>(t.align()), false, 0});
    assign.argument(static_cast<std::uint16_t>(i), t);
  }
  // §3.2.2: the end of the argument area is 16-byte aligned at the call.
  plan.stack_bytes = align_up(assign.stack_used(), 16);
  // §3.5.7: for a variadic call %al holds (an upper bound of) the vector registers used.
  if (plan.variadic) plan.vector_count = static_cast<int>(assign.vecs_used());
  return plan;
}

}  // namespace jitffi::abi
