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
