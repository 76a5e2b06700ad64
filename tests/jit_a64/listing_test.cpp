// The AArch64 emitter on any host: plans assembled for an AArch64 target and listed.
#include <gtest/gtest.h>

#include <asmjit/arm/a64assembler.h>
#include <asmjit/core.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "abi/call_plan.h"
#include "jit/a64_emitter.h"
#include "jit/listing.h"
#include "jit/stub.h"

namespace jitffi::test {
namespace {

using jit::StubKind;

abi::CallPlan plan_of(const char *text, Abi abi = Abi::AAPCS64) {
  return abi::classify(Signature::parse(text, abi));
}

bool has(const std::string &text, const char *what) {
  return text.find(what) != std::string::npos;
}

TEST(A64Listing, IntIntCallsThroughX10AndWidensTheResult) {
  const std::string t = jit::disassemble(plan_of("i32(i32, i32)"), StubKind::Downcall);
  // args in x9, target in x10; the result is widened into ret after the call, so a frame.
  EXPECT_TRUE(has(t, "mov x9, x2")) << t;
  EXPECT_TRUE(has(t, "mov x10, x0")) << t;
  EXPECT_TRUE(has(t, "ldr w0, [x11]")) << t;
  EXPECT_TRUE(has(t, "blr x10")) << t;       // the result is widened into ret afterwards
  EXPECT_TRUE(has(t, "sxtw x12, w0")) << t;  // i32 result sign-extended to an 8-byte ffi_arg
  EXPECT_TRUE(has(t, "stp x29, x30, [sp, -32]!")) << t;
  EXPECT_TRUE(has(t, "40013FD6")) << t;  // blr x10's encoding
}

TEST(A64Listing, VoidResultIsATailCall) {
  const std::string t = jit::disassemble(plan_of("void(i64, f64)"), StubKind::Downcall);
  EXPECT_TRUE(has(t, "br x10")) << t;
  EXPECT_FALSE(has(t, "stp")) << t;  // no frame at all
  EXPECT_TRUE(has(t, "ldr d0, [x11]")) << t;
}

TEST(A64Listing, HfaGoesToConsecutiveVectorRegistersAndComesBackInThem) {
  const std::string t =
      jit::disassemble(plan_of("{f32, f32, f32}({f64, f64, f64, f64})"), StubKind::Downcall);
  for (const char *s : {"ldr d0, [x11]", "ldr d1, [x11, 8]", "ldr d2, [x11, 16]",
                        "ldr d3, [x11, 24]", "str s0, [x9]", "str s1, [x9, 4]", "str s2, [x9, 8]"})
    EXPECT_TRUE(has(t, s)) << s << "\n" << t;
}

TEST(A64Listing, LongDoubleTravelsInAQRegister) {
  const std::string t = jit::disassemble(plan_of("ldouble(ldouble)"), StubKind::Downcall);
  EXPECT_TRUE(has(t, "ldr q0, [x11]")) << t;
  EXPECT_TRUE(has(t, "str q0, [x9]")) << t;
}

TEST(A64Listing, LargeCompositeIsCopiedAndPassedByReferenceSretInX8) {
  const std::string t =
      jit::disassemble(plan_of("{i64, i64, i64}({i64, i64, i64})"), StubKind::Downcall);
  EXPECT_TRUE(has(t, "mov x8, x14")) << t;     // the caller's ret is the indirect result location
  EXPECT_TRUE(has(t, "add x0, sp, x0")) << t;  // the argument is the address of our copy
  EXPECT_TRUE(has(t, "sub sp, sp, 32")) << t;  // 24 bytes of copy area, rounded to 16
}

TEST(A64Listing, LargeCompositeIsCopiedByALoop) {
  const std::string t = jit::disassemble(plan_of("u64({u8[60000]}, u64)"), StubKind::Downcall);
  EXPECT_TRUE(has(t, "ldr x12, [x16], 8") || has(t, "ldr x12, [x16], #8")) << t;
  EXPECT_TRUE(has(t, "subs x13, x13, 8") || has(t, "subs x13, x13, #8")) << t;
  EXPECT_TRUE(has(t, "b.ne")) << t;
  EXPECT_LT(std::count(t.begin(), t.end(), '\n'), 40) << t;  // unrolled: ~15,000 instructions
}

TEST(A64Listing, BoundStubLoadsItsTarget) {
  const std::string t = jit::disassemble(plan_of("void(i32)"), StubKind::Bound,
                                         reinterpret_cast<const void *>(0x123456789abcull));
  EXPECT_TRUE(has(t, "mov x9, x1")) << t;  // bound: (ret, args)
  EXPECT_TRUE(has(t, "mov x10, 20015998343868")) << t;
}

TEST(A64Listing, UpcallSpillsAndCallsTheHandlerThroughX9) {
  const std::string t =
      jit::disassemble(plan_of("f64(i8, f32, {i64, i64, i64})"), StubKind::Upcall);
  EXPECT_TRUE(has(t, "ldr x2, [x9, 8]")) << t;  // user_data
  EXPECT_TRUE(has(t, "ldr x16, [x9]")) << t;    // handler
  EXPECT_TRUE(has(t, "blr x16")) << t;
  EXPECT_TRUE(has(t, "strb w0,")) << t;  // the i8 box
  EXPECT_TRUE(has(t, "str s0,")) << t;
  EXPECT_TRUE(has(t, "ldr d0,")) << t;  // the result
  EXPECT_TRUE(has(t, "mov sp, x29")) << t;
}

TEST(A64Listing, AppleStackArgumentsUseTheirNaturalAlignment) {
  // 8 ints fill x0-x7; the chars then pack at sp+0 and sp+1 (Apple), not 8-byte slots.
  const std::string t = jit::disassemble(
      plan_of("void(i64, i64, i64, i64, i64, i64, i64, i64, i8, i8)", Abi::Apple_arm64),
      StubKind::Downcall);
  EXPECT_TRUE(has(t, "strb w12, [sp]")) << t;
  EXPECT_TRUE(has(t, "strb w12, [sp, 1]")) << t;
}

TEST(A64Listing, FarFrameSlotsAreAddressedThroughAScratchRegister) {
  // The copy's last byte is at sp + 4096: past strb's 12-bit offset and ldur's 9 bits.
  const std::string sig = "void({i8[4097]})";
  const std::string t = jit::disassemble(plan_of(sig.c_str()), StubKind::Downcall);
  EXPECT_TRUE(has(t, "add x17, sp, x17")) << t;
  EXPECT_TRUE(has(t, "strb w12, [x17]")) << t;
}

TEST(A64Listing, ListingOfAnAapcs64SignatureOnAnyHost) {
  const std::string t = jit::listing(Signature::parse("f64(f64, i32)", Abi::AAPCS64));
  EXPECT_TRUE(has(t, "aapcs64:f64(f64,i32)")) << t;
  EXPECT_TRUE(has(t, "v0")) << t;
  EXPECT_TRUE(has(t, "closure context in x9")) << t;
  EXPECT_TRUE(has(t, "blr x16")) << t;
  const std::string apple = jit::listing(Signature::parse("i32(i32, ...)", Abi::Apple_arm64));
  EXPECT_TRUE(has(apple, "blr x10") || has(apple, "br x10")) << apple;
}

// ---- value and slot entries ---------------------------------------------------------------

TEST(A64Entry, ValueEntryLoadsThroughArgsAndBranchesToTheTarget) {
  const std::string t = jit::disassemble(plan_of("i32(i32, i32)"), StubKind::Value);
  EXPECT_FALSE(has(t, "mov x9")) << t;  // (fn, args): args[] stays in x1
  EXPECT_TRUE(has(t, "ldr x11, [x1]")) << t;
  // The piece bound for x1 is loaded after the last read through x1.
  EXPECT_LT(t.find("ldr w0, [x11]"), t.find("ldr x11, [x1, 8]")) << t;
  EXPECT_LT(t.find("ldr x11, [x1, 8]"), t.find("ldr w1, [x11]")) << t;
  EXPECT_TRUE(has(t, "mov x10, x0")) << t;  // the target
  EXPECT_TRUE(has(t, "ldr w0, [x11]")) << t;
  EXPECT_TRUE(has(t, "br x10")) << t;  // the target returns to our caller
  EXPECT_FALSE(has(t, "blr")) << t;    // no call, no frame
  EXPECT_FALSE(has(t, "stp")) << t;
  EXPECT_FALSE(has(t, "sxtw")) << t;  // the result is not widened
}

TEST(A64Entry, SlotEntryReadsValuesInPlace) {
  const std::string t =
      jit::disassemble(plan_of("f64(i32, f32, f64, i8, u16, ptr)"), StubKind::Slots);
  for (const char *s : {"ldr w0, [x1]", "ldr s0, [x1, 8]", "ldr d1, [x1, 16]", "ldrsb x1, [x1, 24]",
                        "ldrh w2, [x1, 32]", "ldr x3, [x1, 40]", "br x10"})
    EXPECT_TRUE(has(t, s)) << s << "\n" << t;
  EXPECT_GT(t.find("ldrsb x1, [x1, 24]"), t.find("ldr x3, [x1, 40]")) << t;  // x1 last
  EXPECT_FALSE(has(t, "x11")) << t;  // no argument pointer: every slot holds its value
}

TEST(A64Entry, SlotOfAnAggregateHoldsItsAddress) {
  // A {f64, f64} HFA argument and a 24-byte composite (copied, by reference): both through x11.
  const std::string t =
      jit::disassemble(plan_of("{i64, i64}({f64, f64}, {i64, i64, i64}, i32)"), StubKind::Slots);
  for (const char *s : {"ldr x11, [x1]", "ldr d0, [x11]", "ldr d1, [x11, 8]", "ldr x11, [x1, 8]",
                        "ldr w1, [x1, 16]", "blr x10"})
    EXPECT_TRUE(has(t, s)) << s << "\n" << t;
  EXPECT_FALSE(has(t, "str x0")) << t;  // the x0:x1 result is left where the target put it
}

TEST(A64Entry, StackArgumentsMeanACallThatLeavesTheResultRegistersAlone) {
  const std::string t = jit::disassemble(
      plan_of("f32(i64, i64, i64, i64, i64, i64, i64, i64, i8, f64)"), StubKind::Slots);
  EXPECT_TRUE(has(t, "ldrsb x12, [x1, 64]")) << t;  // the 9th integer goes to [sp], widened
  EXPECT_TRUE(has(t, "str x12, [sp]")) << t;
  EXPECT_TRUE(has(t, "blr x10")) << t;
  EXPECT_TRUE(has(t, "mov sp, x29")) << t;
  EXPECT_FALSE(has(t, "str s0")) << t;
  EXPECT_FALSE(has(t, "str d0")) << t;
}

TEST(A64Entry, ApplesVariadicArgumentsOnTheStackMeanACall) {
  const std::string t =
      jit::disassemble(plan_of("i32(ptr, ..., i32, f64)", Abi::Apple_arm64), StubKind::Slots);
  EXPECT_TRUE(has(t, "ldr x0, [x1]")) << t;
  EXPECT_TRUE(has(t, "blr x10")) << t;
  EXPECT_FALSE(has(t, "ldr d0")) << t;  // the variadic double goes to the stack, not v0
  // The same on AAPCS64: in registers, so a branch.
  const std::string l = jit::disassemble(plan_of("i32(ptr, ..., i32, f64)"), StubKind::Slots);
  EXPECT_TRUE(has(l, "ldr d0, [x1, 16]")) << l;
  EXPECT_TRUE(has(l, "br x10")) << l;
}

TEST(A64Entry, ErrnoCaptureCallsTheHooksAndKeepsTheResult) {
  const std::string t = jit::disassemble(plan_of("{f64, f64}(i32)"), StubKind::ValueErrno);
  EXPECT_TRUE(has(t, "stp x0, x1, [x29, 16]")) << t;  // fn and args[] across errno_enter()
  EXPECT_TRUE(has(t, "ldp x10, x9, [x29, 16]")) << t;
  EXPECT_TRUE(has(t, "blr x10")) << t;
  EXPECT_TRUE(has(t, "str d0, [x29, 16]")) << t;  // the result across errno_leave()
  EXPECT_TRUE(has(t, "str d1, [x29, 24]")) << t;
  EXPECT_TRUE(has(t, "ldr d1, [x29, 24]")) << t;
  const std::size_t calls = [&] {
    std::size_t n = 0;
    for (std::size_t at = t.find("blr x16"); at != std::string::npos;
         at = t.find("blr x16", at + 1))
      ++n;
    return n;
  }();
  EXPECT_EQ(calls, 2u) << t;  // errno_enter() and errno_leave()
}

TEST(A64Entry, CounterIsIncrementedAtomically) {
  using namespace asmjit;
  CodeHolder code;
  code.init(Environment(Arch::kAArch64));
  StringLogger log;
  code.setLogger(&log);
  a64::Assembler a(&code);
  std::vector<jit::a64::CfiOp> cfi;
  alignas(8) static std::uint64_t counter = 0;
  jit::a64::EntryHooks hooks;
  hooks.counter = &counter;
  jit::a64::emit_entry(a, plan_of("i64(i64)"), EntryKind::Value, hooks, cfi);
  const std::string t(log.data(), log.dataSize());
  for (const char *s :
       {"ldxr x17, [x16]", "add x17, x17, 1", "stxr w15, x17, [x16]", "cbnz w15", "br x10"})
    EXPECT_TRUE(has(t, s)) << s << "\n" << t;
  EXPECT_TRUE(cfi.empty());  // still a branch: no frame
}

TEST(A64Entry, ResultsInMemoryOrBeyondTwoRegistersHaveNoEntry) {
  // In memory (x8), an HFA of three floats (s0-s2), long double (q0): value_shape() is None.
  for (const char *sig : {"{i64, i64, i64}(i64)", "{f32, f32, f32}(f32)", "ldouble(i32)",
                          "{f64, f64, f64, f64}(f64)"}) {
    EXPECT_EQ(abi::value_shape(plan_of(sig)).kind, ValueShape::None) << sig;
    try {
      (void)jit::disassemble(plan_of(sig), StubKind::Slots);
      ADD_FAILURE() << sig << ": emitted";
    } catch (const UnsupportedError &e) {
      EXPECT_TRUE(has(e.what(), "does not come back in registers")) << e.what();
    }
  }
  // Two floats and two doubles are VV: s0/s1 at offsets 0 and 4, d0/d1 at 0 and 8.
  const ValueShape f2 = abi::value_shape(plan_of("{f32, f32}(i32)"));
  EXPECT_EQ(f2.kind, ValueShape::VV);
  EXPECT_FALSE(f2.packed);
  EXPECT_EQ(f2.offset[1], 4);
  EXPECT_EQ(abi::value_shape(plan_of("{i32, f32, i64}(i32)")).kind, ValueShape::GG);
  EXPECT_EQ(abi::value_shape(plan_of("i128(i32)")).kind, ValueShape::GG);
}

TEST(A64Plan, PlansTheEmitterCannotExecuteAreRejectedWithTheReason) {
  abi::CallPlan p = plan_of("i32(i32, i32)");
  p.pieces[0].to.reg = 9;  // x9 holds the args array
  try {
    jit::a64::check_plan(p);
    FAIL() << "accepted";
  } catch (const UnsupportedError &e) {
    EXPECT_TRUE(has(e.what(), "piece 0 (arg 0) goes to a register the stubs reserve")) << e.what();
  }
  p = plan_of("i32(i32, i32)");
  p.pieces[1].size = 9;
  EXPECT_THROW(jit::a64::check_plan(p), UnsupportedError);
  p = plan_of("i32(i32, i32)");
  p.ret_pieces[0].from.loc = abi::Loc::X87;
  EXPECT_THROW(jit::a64::check_plan(p), UnsupportedError);
  EXPECT_THROW(jit::a64::check_plan(plan_of("i32(i32)", Abi::SysV_x64)), UnsupportedError);
  // An x86-64 plan is listed as x86-64 code whatever the host.
  EXPECT_TRUE(has(jit::disassemble(plan_of("i32(i32)", Abi::SysV_x64), StubKind::Upcall),
                  "call qword ptr [r10]"));
}

TEST(A64Trampoline, BytesAreWhatAsmjitAssemblesForTheSameInstructions) {
  using namespace asmjit;
  CodeHolder code;
  code.init(Environment(Arch::kAArch64));
  a64::Assembler a(&code);
  Label ctx = a.newLabel(), entry = a.newLabel();
  a.ldr(a64::x9, a64::ptr(ctx));
  a.ldr(a64::x16, a64::ptr(entry));
  a.br(a64::x16);
  a.brk(0);
  a.bind(ctx);
  a.embedUInt64(0x1122334455667788ull);
  a.bind(entry);
  a.embedUInt64(0x99aabbccddeeff00ull);
  code.flatten();
  code.resolveUnresolvedLinks();
  ASSERT_EQ(code.codeSize(), jit::a64::kTrampolineSize);
  unsigned char want[jit::a64::kTrampolineSize], got[jit::a64::kTrampolineSize];
  code.copyFlattenedData(want, sizeof want);
  jit::a64::write_trampoline(got, reinterpret_cast<const void *>(0x1122334455667788ull),
                             reinterpret_cast<const void *>(0x99aabbccddeeff00ull));
  EXPECT_EQ(std::memcmp(want, got, sizeof want), 0);
}

}  // namespace
}  // namespace jitffi::test
