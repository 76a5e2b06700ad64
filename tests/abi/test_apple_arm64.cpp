// Apple arm64 call plans: AAPCS64 with the divergences Apple publishes in "Writing ARM64 code for
// Apple platforms" (and its predecessor "ARM64 Function Calling Conventions" in the iOS ABI
// reference). We cannot run macOS code here: these tables are written from those rules, and
// each layout was checked against clang --target=arm64-apple-macos -O2 -S.
#include <gtest/gtest.h>

#include "test_plan_notation.h"

namespace jitffi {
namespace {

using namespace test::notation;
using abi::CallPlan;
using abi::RetKind;

CallPlan apple(TypeRef ret, std::vector<TypeRef> params) {
  return plan(Abi::Apple_arm64, std::move(ret), std::move(params));
}
CallPlan vapple(TypeRef ret, std::vector<TypeRef> params, std::size_t fixed) {
  return vplan(Abi::Apple_arm64, std::move(ret), std::move(params), fixed);
}

// The pieces from argument `first` on.
std::string from(const CallPlan &p, unsigned first) {
  const std::string all = pieces(p);
  const std::size_t at = all.find("a" + std::to_string(first) + "[");
  const std::size_t at_ref = all.find("a" + std::to_string(first) + " &");
  return all.substr(std::min(at, at_ref));
}

// Registers are assigned as in AAPCS64: "Apart from these small differences, iOS, tvOS, and
// macOS adhere to the rest of the 64-bit ARM specification."
TEST(AppleArm64Registers, SameRegistersAsAapcs64) {
  CallPlan p = apple(v(), {i32(), f64(), ptr(), S({f32(), f32()}), S({i64(), i32()})});
  EXPECT_EQ(pieces(p),
            "a0[0,4] x0 | a1[0,8] v0 | a2[0,8] x1 | a3[0,4] v1 | a3[4,4] v2 | "
            "a4[0,8] x2 | a4[8,8] x3");
  EXPECT_EQ(p.abi, Abi::Apple_arm64);
  EXPECT_EQ(p.isa, abi::Isa::A64);
}

// "The caller of a function is responsible for signing or zero-extending any argument with
// fewer than 32 bits" (the generic standard leaves that to the callee). The plan extends to 64.
TEST(AppleArm64Registers, CallerExtendsNarrowIntegers) {
  CallPlan p = apple(v(), {i8(), u8(), i16(), u16(), b()});
  EXPECT_EQ(pieces(p),
            "a0[0,1]sext x0 | a1[0,1]zext x1 | a2[0,2]sext x2 | a3[0,2]zext x3 | "
            "a4[0,1]zext x4");
}

// "Function arguments may consume slots on the stack that are not multiples of 8 bytes": in
// two_stack_args(char w0, ..., char w7, char s0, char s1), "s0 occupies 1 byte at sp and s1
// occupies 1 byte at sp+1". A packed slot is not widened.
TEST(AppleArm64Stack, SmallStackArgumentsArePacked) {
  CallPlan p = apple(v(), rep(10, i8()));
  EXPECT_EQ(from(p, 7), "a7[0,1]sext x7 | a8[0,1] sp+0 | a9[0,1] sp+1");
  EXPECT_EQ(p.stack_bytes, 16u);  // "insert padding on the stack to maintain ... alignment"
}

// "Padding is still inserted on the stack to satisfy arguments' alignment requirements":
// each value at its natural alignment.
TEST(AppleArm64Stack, StackArgumentsAtTheirNaturalAlignment) {
  CallPlan p = apple(v(), cat({rep(8, i64()), {i8(), i32(), i8(), i16(), i64(), u16()}}));
  EXPECT_EQ(from(p, 8),
            "a8[0,1] sp+0 | a9[0,4] sp+4 | a10[0,1] sp+8 | a11[0,2] sp+10 | "
            "a12[0,8] sp+16 | a13[0,2] sp+24");
  EXPECT_EQ(p.stack_bytes, 32u);
  CallPlan f = apple(v(), cat({rep(8, f64()), {f32(), f32(), f64(), f32()}}));
  EXPECT_EQ(from(f, 8), "a8[0,4] sp+0 | a9[0,4] sp+4 | a10[0,8] sp+8 | a11[0,4] sp+16");
  EXPECT_EQ(f.stack_bytes, 32u);
}

// An HFA that does not fit in v0-v7 is laid out at its natural alignment and size (a 12-byte
// three-float HFA takes 12 bytes at a 4-byte boundary, where AAPCS64 C.3/C.4 would round it to
// 16 at an 8-byte boundary; Apple developer forums thread 668654 shows the same layout). NSRN is
// still closed (C.3), so a later float goes to the stack too.
TEST(AppleArm64Stack, HfasOnTheStackArePackedAtNaturalAlignment) {
  TypeRef f3 = S({f32(), f32(), f32()});
  CallPlan p =
      apple(v(), cat({rep(8, f64()), {f3, i8(), f3, i8(), S({f64(), f64()}), f32(), f64()}}));
  EXPECT_EQ(from(p, 8),
            "a8[0,8] sp+0 | a8[8,4] sp+8 | a9[0,1]sext x0 | a10[0,8] sp+12 | a10[8,4] sp+20 | "
            "a11[0,1]sext x1 | a12[0,8] sp+24 | a12[8,8] sp+32 | a13[0,4] sp+40 | "
            "a14[0,8] sp+48");
  EXPECT_EQ(p.stack_bytes, 64u);
}

// Non-HFA composites still take whole 8-byte units at 8 (or 16) byte alignment on the stack
// (clang coerces them to i64 arrays or i128); 16-byte integers are 16-aligned.
TEST(AppleArm64Stack, CompositesAndInt128KeepTheirEightByteUnits) {
  TypeRef c3 = S({i8(), i8(), i8()});
  TypeRef a16 = S({i128()});
  CallPlan p = apple(v(), cat({rep(8, i64()), {i8(), i128(), i8(), c3, i16(), a16}}));
  EXPECT_EQ(from(p, 8),
            "a8[0,1] sp+0 | a9[0,8] sp+16 | a9[8,8] sp+24 | a10[0,1] sp+32 | "
            "a11[0,3] sp+40 | a12[0,2] sp+48 | a13[0,8] sp+64 | a13[8,8] sp+72");
  EXPECT_EQ(p.stack_bytes, 80u);
}

// "The generic procedure call standard requires that arguments with 16-byte alignment passed in
// integer registers begin at an even-numbered xN ... The iOS ABI drops this requirement": in
// large_type(int x0, __int128 x1_x2) the parameter goes in x1 and x2.
TEST(AppleArm64Registers, SixteenByteAlignedArgumentsNeedNoEvenRegister) {
  EXPECT_EQ(pieces(apple(v(), {i32(), i128()})), "a0[0,4] x0 | a1[0,8] x1 | a1[8,8] x2");
  EXPECT_EQ(pieces(apple(v(), {i32(), S({u128()})})), "a0[0,4] x0 | a1[0,8] x1 | a1[8,8] x2");
  // Still no split between x7 and the stack (C.11/C.13).
  CallPlan p = apple(v(), cat({rep(7, i64()), {i128(), i8()}}));
  EXPECT_EQ(from(p, 7), "a7[0,8] sp+0 | a7[8,8] sp+8 | a8[0,1] sp+16");
}

// Variadic functions: the fixed arguments are assigned as usual; every variadic argument goes on
// the stack, never in a register, in 8-byte slots (so printf's double is at sp, not in v0).
TEST(AppleArm64Variadic, VariadicArgumentsAllGoOnTheStack) {
  CallPlan p = vapple(i32(), {ptr(), f64(), i32(), i64(), ptr()}, 1);
  EXPECT_EQ(pieces(p),
            "a0[0,8] x0 | a1[0,8] sp+0 | a2[0,4] sp+8 | a3[0,8] sp+16 | "
            "a4[0,8] sp+24");
  EXPECT_EQ(p.stack_bytes, 32u);
  // Fixed parameters keep their registers, and the variadic ones do not use up any.
  CallPlan q = vapple(v(), {i32(), f64(), i32(), f64()}, 2);
  EXPECT_EQ(pieces(q), "a0[0,4] x0 | a1[0,8] v0 | a2[0,4] sp+0 | a3[0,8] sp+8");
}

// Stage B still applies to variadic arguments ("even variadic aggregates larger than 16 bytes
// are passed via a reference to temporary memory allocated by the caller"); each variadic
// argument takes whole 8-byte slots, 16-aligned when its type is 16-aligned; HFAs are stored as
// laid out in memory, also when over 16 bytes (not an HFA -> no reference).
TEST(AppleArm64Variadic, AggregatesOnTheStackInEightByteSlots) {
  TypeRef f3 = S({f32(), f32(), f32()});
  TypeRef c3 = S({i8(), i8(), i8()});
  TypeRef a16 = S({i128()});
  TypeRef l3 = S({i64(), i64(), i64()});
  CallPlan p = vapple(v(), {i32(), f64(), f3, c3, a16, l3, i32()}, 1);
  EXPECT_EQ(pieces(p),
            "a0[0,4] x0 | a1[0,8] sp+0 | a2[0,8] sp+8 | a2[8,4] sp+16 | "
            "a3[0,3] sp+24 | a4[0,8] sp+32 | a4[8,8] sp+40 | a5 &copy@0 sp+48 | "
            "a6[0,4] sp+56");
  EXPECT_TRUE(p.args[5].by_reference);
  EXPECT_EQ(p.stack_bytes, 64u);
  CallPlan q = vapple(v(), {i32(), i32(), a16, i32(), i128(), S({A(f64(), 4)})}, 1);
  EXPECT_EQ(pieces(q),
            "a0[0,4] x0 | a1[0,4] sp+0 | a2[0,8] sp+16 | a2[8,8] sp+24 | "
            "a3[0,4] sp+32 | a4[0,8] sp+48 | a4[8,8] sp+56 | a5[0,8] sp+64 | "
            "a5[8,8] sp+72 | a5[16,8] sp+80 | a5[24,8] sp+88");
  EXPECT_FALSE(q.args[5].by_reference);
  EXPECT_EQ(q.stack_bytes, 96u);
}

// Variadic arguments start after the fixed ones that spilled to the stack, at an 8-byte
// boundary (the fixed part is packed, the variadic part is not).
TEST(AppleArm64Variadic, VariadicSlotsFollowPackedFixedStackArguments) {
  CallPlan p = vapple(v(), cat({rep(8, i64()), {i8(), i16(), i64()}}), 10);
  EXPECT_EQ(from(p, 8), "a8[0,1] sp+0 | a9[0,2] sp+2 | a10[0,8] sp+8");
  EXPECT_EQ(p.stack_bytes, 16u);
}

// "The long double type is a double precision IEEE754 binary floating-point type": the
// signature refuses the 128-bit type on Apple.
TEST(AppleArm64Types, LongDoubleIsDouble) {
  EXPECT_THROW(Signature(Abi::Apple_arm64, v(), {ld()}), TypeError);
  EXPECT_THROW(Signature(Abi::Apple_arm64, S({ld()}), {}), TypeError);
}

// Results follow AAPCS64: x0/x1, v0-v3 for HFAs, memory through x8 otherwise.
TEST(AppleArm64Results, AsInAapcs64) {
  EXPECT_EQ(results(apple(i16(), {})), "x0 [0,2]sext");
  EXPECT_EQ(apple(i16(), {}).ret_size, 8u);
  EXPECT_EQ(results(apple(S({f64(), f64()}), {})), "v0 [0,8] | v1 [8,8]");
  EXPECT_EQ(results(apple(i128(), {})), "x0 [0,8] | x1 [8,8]");
  CallPlan big = apple(S({i64(), i64(), i64()}), {i8()});
  EXPECT_EQ(big.ret_kind, RetKind::Memory);
  EXPECT_EQ(big.sret_returned_in, -1);
  EXPECT_EQ(pieces(big), "sret x8 | a0[0,1]sext x0");
}

TEST(AppleArm64Describe, NamesTheAbiAndA64Registers) {
  CallPlan p = vapple(v(), {ptr(), f64()}, 1);
  const std::string d = p.describe();
  EXPECT_NE(d.find("abi apple_arm64, 2 args (variadic), stack 16 bytes"), std::string::npos) << d;
  EXPECT_NE(d.find("-> x0"), std::string::npos) << d;
  EXPECT_NE(d.find("-> [sp+0]"), std::string::npos) << d;
}

}  // namespace
}  // namespace jitffi
