// AAPCS64 call plans (Linux), as a specification. Rule numbers are those of the Arm "Procedure
// Call Standard for the Arm 64-bit Architecture" (IHI 0055, 2023Q3), stages A-C; each layout was
// checked against clang --target=aarch64-linux-gnu -O2 -S.
#include <gtest/gtest.h>

#include "test_plan_notation.h"

namespace jitffi {
namespace {

using namespace test::notation;
using abi::CallPlan;
using abi::RetKind;

CallPlan a64(TypeRef ret, std::vector<TypeRef> params) {
  return plan(Abi::AAPCS64, std::move(ret), std::move(params));
}
CallPlan va64(TypeRef ret, std::vector<TypeRef> params, std::size_t fixed) {
  return vplan(Abi::AAPCS64, std::move(ret), std::move(params), fixed);
}

// C.1 (floats in v[NSRN]) and C.9 (integers and pointers in x[NGRN]) count independently.
TEST(Aapcs64Registers, IntegersAndFloatsCountSeparately) {
  CallPlan p = a64(v(), {i32(), f64(), ptr(), f32(), i64()});
  EXPECT_EQ(pieces(p), "a0[0,4] x0 | a1[0,8] v0 | a2[0,8] x1 | a3[0,4] v1 | a4[0,8] x2");
  EXPECT_EQ(p.isa, abi::Isa::A64);
  EXPECT_EQ(p.stack_bytes, 0u);
  EXPECT_EQ(p.shadow_bytes, 0u);
  EXPECT_EQ(p.vector_count, -1);
}

// Narrow integers: the callee extends (unused bits are unspecified), so widening them in the
// caller is harmless; the plan does it like sysv_x64 for 8/16-bit values.
TEST(Aapcs64Registers, NarrowIntegersAreWidenedHarmlessly) {
  CallPlan p = a64(v(), {i8(), u16(), b(), i32(), u32()});
  EXPECT_EQ(pieces(p),
            "a0[0,1]sext x0 | a1[0,2]zext x1 | a2[0,1]zext x2 | a3[0,4] x3 | a4[0,4] x4");
}

// C.13: once NGRN reaches 8 the argument goes to the stack; C.14/C.16: in an 8-byte slot, so a
// narrow integer is stored widened.
TEST(Aapcs64Stack, NinthIntegerGoesToAnEightByteSlot) {
  CallPlan p = a64(v(), cat({rep(8, i64()), {i8(), u16(), i64()}}));
  EXPECT_EQ(pieces(p).substr(pieces(p).find("a7")),
            "a7[0,8] x7 | a8[0,1]sext sp+0 | a9[0,2]zext sp+8 | a10[0,8] sp+16");
  EXPECT_EQ(p.stack_bytes, 32u);  // 24 rounded to the 16-byte stack alignment
}

// C.1/C.4-C.6: the ninth float goes to the stack in an 8-byte slot (C.5: a float is widened to
// 8 bytes of slot); integers still use their registers.
TEST(Aapcs64Stack, NinthFloatGoesToTheStackWhileIntegersKeepTheirRegisters) {
  CallPlan p = a64(v(), cat({rep(8, f64()), {f32(), i32(), f64()}}));
  EXPECT_EQ(pieces(p).substr(pieces(p).find("a7")),
            "a7[0,8] v7 | a8[0,4] sp+0 | a9[0,4] x0 | a10[0,8] sp+8");
  EXPECT_EQ(p.stack_bytes, 16u);
}

// HFA ("Homogeneous Floating-point Aggregate", 1-4 members of one float type). C.2: one v
// register per member.
TEST(Aapcs64Hfa, OneToFourMembersOfOneFloatType) {
  EXPECT_EQ(pieces(a64(v(), {S({f32()})})), "a0[0,4] v0");
  EXPECT_EQ(pieces(a64(v(), {S({f32(), f32(), f32(), f32()})})),
            "a0[0,4] v0 | a0[4,4] v1 | a0[8,4] v2 | a0[12,4] v3");
  EXPECT_EQ(pieces(a64(v(), {S({f64(), f64()}), f32()})), "a0[0,8] v0 | a0[8,8] v1 | a1[0,4] v2");
  // B.3: an HFA is used unmodified, even over 16 bytes (32 here): no copy, no reference.
  CallPlan big = a64(v(), {S({f64(), f64(), f64(), f64()})});
  EXPECT_EQ(pieces(big), "a0[0,8] v0 | a0[8,8] v1 | a0[16,8] v2 | a0[24,8] v3");
  EXPECT_FALSE(big.args[0].by_reference);
}

// "The test for homogeneity is applied after data layout is completed": nested structs and
// arrays are flattened to their members.
TEST(Aapcs64Hfa, NestedStructsAndArraysAreFlattened) {
  TypeRef nested = S({S({f32(), f32()}), A(f32(), 2)});
  EXPECT_EQ(pieces(a64(v(), {nested})), "a0[0,4] v0 | a0[4,4] v1 | a0[8,4] v2 | a0[12,4] v3");
  EXPECT_EQ(pieces(a64(v(), {S({A(f64(), 3)})})), "a0[0,8] v0 | a0[8,8] v1 | a0[16,8] v2");
  // A union's members overlap: it counts as its largest member (GCC and LLVM agree).
  EXPECT_EQ(pieces(a64(v(), {U({A(f32(), 2), f32()})})), "a0[0,4] v0 | a0[4,4] v1");
  // Quad precision members: an HFA of two long doubles in q0, q1.
  EXPECT_EQ(pieces(a64(v(), {S({ld(), ld()})})), "a0[0,16] v0 | a0[16,16] v1");
}

TEST(Aapcs64Hfa, MixedOrTooManyMembersAreNotHfas) {
  // float + double: a 16-byte composite in x0, x1 (C.12).
  EXPECT_EQ(pieces(a64(v(), {S({f32(), f64()})})), "a0[0,8] x0 | a0[8,8] x1");
  // float + int: a composite in one GPR.
  EXPECT_EQ(pieces(a64(v(), {S({f32(), i32()})})), "a0[0,8] x0");
  // A union of float and double is not homogeneous.
  EXPECT_EQ(pieces(a64(v(), {U({f32(), f64()})})), "a0[0,8] x0");
  // Five floats: not an HFA, and over 16 bytes, so B.4 passes it by reference.
  CallPlan five = a64(v(), {S({A(f32(), 5)})});
  EXPECT_EQ(pieces(five), "a0 &copy@0 x0");
  EXPECT_TRUE(five.args[0].by_reference);
}

// C.3: an HFA that does not fit in the remaining v registers goes wholly to the stack, and NSRN
// is set to 8 so that no later float is back-filled into v6/v7. C.4: NSAA aligned to 8; C.3:
// the 12-byte HFA takes 16 bytes.
TEST(Aapcs64Hfa, HfaThatDoesNotFitGoesToTheStackAndClosesTheVectorRegisters) {
  CallPlan p = a64(v(), cat({rep(6, f64()), {S({f32(), f32(), f32()}), f64(), i32()}}));
  EXPECT_EQ(pieces(p).substr(pieces(p).find("a6")),
            "a6[0,8] sp+0 | a6[8,4] sp+8 | a7[0,8] sp+16 | a8[0,4] x0");
  EXPECT_EQ(p.stack_bytes, 32u);
}

// B.5/C.12: a composite of up to 16 bytes in consecutive GPRs, the lower-addressed doubleword
// first; the tail piece is not read past the end of the object.
TEST(Aapcs64Composites, SmallCompositesInOneOrTwoGprs) {
  EXPECT_EQ(pieces(a64(v(), {S({i8(), i8(), i8()}), i32()})), "a0[0,3] x0 | a1[0,4] x1");
  EXPECT_EQ(pieces(a64(v(), {S({i32(), i32(), i32()})})), "a0[0,8] x0 | a0[8,4] x1");
  EXPECT_EQ(pieces(a64(v(), {i32(), S({i64(), i64()})})), "a0[0,4] x0 | a1[0,8] x1 | a1[8,8] x2");
}

// C.12 fails when the composite needs more GPRs than are left; C.13 then sets NGRN to 8, so x7
// stays unused and later integers follow on the stack.
TEST(Aapcs64Composites, NoSplitBetweenRegistersAndStack) {
  CallPlan p = a64(v(), cat({rep(7, i64()), {S({i64(), i64()}), i64()}}));
  EXPECT_EQ(pieces(p).substr(pieces(p).find("a7")), "a7[0,8] sp+0 | a7[8,8] sp+8 | a8[0,8] sp+16");
  EXPECT_EQ(p.stack_bytes, 32u);
}

// C.10: an argument with 16-byte alignment starts at an even NGRN (the skipped register is not
// back-filled); C.11: a 16-byte integer takes the pair.
TEST(Aapcs64Composites, SixteenByteAlignedArgumentsTakeAnEvenRegisterPair) {
  EXPECT_EQ(pieces(a64(v(), {i32(), i128(), i32()})),
            "a0[0,4] x0 | a1[0,8] x2 | a1[8,8] x3 | a2[0,4] x4");
  EXPECT_EQ(pieces(a64(v(), {i32(), S({u128()})})), "a0[0,4] x0 | a1[0,8] x2 | a1[8,8] x3");
  // An 8-aligned 16-byte composite does not need an even register.
  EXPECT_EQ(pieces(a64(v(), {i32(), S({i64(), i64()})})), "a0[0,4] x0 | a1[0,8] x1 | a1[8,8] x2");
}

// C.10 then C.11 fails at NGRN 8 (x7 skipped); C.14: the stack copy is 16-byte aligned.
TEST(Aapcs64Composites, Int128OnTheStackIsSixteenByteAligned) {
  CallPlan p = a64(v(), cat({rep(7, i64()), {i128(), i64()}}));
  EXPECT_EQ(pieces(p).substr(pieces(p).find("a7")), "a7[0,8] sp+0 | a7[8,8] sp+8 | a8[0,8] sp+16");
  CallPlan q = a64(v(), cat({rep(8, i64()), {i32(), i128()}}));
  EXPECT_EQ(pieces(q).substr(pieces(q).find("a8")), "a8[0,4] sp+0 | a9[0,8] sp+16 | a9[8,8] sp+24");
  EXPECT_EQ(q.stack_bytes, 32u);
}

// B.4: a composite over 16 bytes (not an HFA) is copied by the caller and replaced by a pointer,
// which then goes where a pointer goes (C.9, or the stack once x0-x7 are used). Copies are
// 16-byte aligned in the copy area.
TEST(Aapcs64Composites, LargeCompositesAreCopiedAndPassedByReference) {
  TypeRef l3 = S({i64(), i64(), i64()});
  CallPlan p = a64(v(), {l3, f64(), S({i8(), A(i8(), 20)})});
  EXPECT_EQ(pieces(p), "a0 &copy@0 x0 | a1[0,8] v0 | a2 &copy@32 x1");
  EXPECT_EQ(p.copy_bytes, 64u);
  EXPECT_EQ(p.args[2].size, 21u);
  CallPlan s = a64(v(), cat({rep(8, i64()), {l3}}));
  EXPECT_EQ(pieces(s).substr(pieces(s).find("a8")), "a8 &copy@0 sp+0");
  EXPECT_EQ(s.stack_bytes, 16u);
}

// long double is IEEE binary128 here: C.1 puts it in one q register; on the stack (C.4) it is
// 16-byte aligned and 16 bytes long.
TEST(Aapcs64LongDouble, TravelsInAVectorRegisterOrAnAlignedStackSlot) {
  EXPECT_EQ(pieces(a64(v(), {ld(), f64()})), "a0[0,16] v0 | a1[0,8] v1");
  CallPlan p = a64(v(), cat({rep(8, f64()), {f32(), ld()}}));
  EXPECT_EQ(pieces(p).substr(pieces(p).find("a8")), "a8[0,4] sp+0 | a9[0,8] sp+16 | a9[8,8] sp+24");
  EXPECT_EQ(p.stack_bytes, 32u);
  CallPlan r = a64(ld(), {});
  EXPECT_EQ(results(r), "v0 [0,16]");
  EXPECT_EQ(r.ret_size, 16u);
}

// Results are "as if the first named argument": x0/x1, v0-v3; narrow integers widened into an
// 8-byte ffi_arg like libffi.
TEST(Aapcs64Results, InRegisters) {
  EXPECT_EQ(results(a64(i8(), {})), "x0 [0,1]sext");
  EXPECT_EQ(a64(i8(), {}).ret_size, 8u);
  EXPECT_EQ(results(a64(u32(), {})), "x0 [0,4]zext");
  EXPECT_EQ(results(a64(ptr(), {})), "x0 [0,8]");
  EXPECT_EQ(results(a64(i128(), {})), "x0 [0,8] | x1 [8,8]");
  EXPECT_EQ(results(a64(f32(), {})), "v0 [0,4]");
  EXPECT_EQ(results(a64(S({f32(), f32(), f32()}), {})), "v0 [0,4] | v1 [4,4] | v2 [8,4]");
  EXPECT_EQ(results(a64(S({A(f64(), 4)}), {})), "v0 [0,8] | v1 [8,8] | v2 [16,8] | v3 [24,8]");
  EXPECT_EQ(results(a64(S({i32(), i32(), i32()}), {})), "x0 [0,8] | x1 [8,4]");
  EXPECT_EQ(a64(S({i32(), i32(), i32()}), {}).ret_size, 12u);
  EXPECT_EQ(a64(v(), {}).ret_kind, RetKind::Void);
}

// A result that would be passed by reference (B.4) goes to memory whose address the caller puts
// in x8 (XR); x8 is not an argument register, so x0 stays free; the callee need not return it.
TEST(Aapcs64Results, LargeCompositesThroughTheIndirectResultRegister) {
  CallPlan p = a64(S({i64(), i64(), i64()}), {i32(), f64()});
  EXPECT_EQ(p.ret_kind, RetKind::Memory);
  EXPECT_EQ(p.ret_size, 24u);
  EXPECT_EQ(p.sret_returned_in, -1);
  EXPECT_EQ(pieces(p), "sret x8 | a0[0,4] x0 | a1[0,8] v0");
}

// Linux (GCC/glibc) variadic calls follow the same rules for fixed and variadic arguments.
TEST(Aapcs64Variadic, SameAsFixedArguments) {
  CallPlan p = va64(i32(), {ptr(), f64(), S({f32(), f32(), f32()}), i32(), S({i128()})}, 1);
  EXPECT_EQ(pieces(p),
            "a0[0,8] x0 | a1[0,8] v0 | a2[0,4] v1 | a2[4,4] v2 | a2[8,4] v3 | a3[0,4] x1 | "
            "a4[0,8] x2 | a4[8,8] x3");
  EXPECT_TRUE(p.variadic);
  EXPECT_EQ(p.fixed_count, 1u);
  EXPECT_EQ(p.stack_bytes, 0u);
}

TEST(Aapcs64Limits, HugeArgumentsAreLeftToLibffi) {
  EXPECT_THROW(a64(v(), {S({A(i64(), 10000)})}), UnsupportedError);
  EXPECT_THROW(a64(v(), rep(30, S({A(i64(), 300)}))), UnsupportedError);
}

TEST(Aapcs64Describe, NamesA64Registers) {
  CallPlan p = a64(S({i64(), i64(), i64()}), {i32(), S({f32(), f32()}), S({A(i64(), 3)})});
  const std::string d = p.describe();
  EXPECT_NE(d.find("abi aapcs64, 3 args, stack 0 bytes (shadow 0), copies 32 bytes"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("ret pointer -> x8"), std::string::npos) << d;
  EXPECT_NE(d.find("-> x0"), std::string::npos) << d;
  EXPECT_NE(d.find("-> v1"), std::string::npos) << d;
  EXPECT_NE(d.find("copy at +0, address -> x1"), std::string::npos) << d;
  EXPECT_NE(d.find("returns in memory (24 bytes)\n"), std::string::npos) << d;
  EXPECT_EQ(d.find("pointer back"), std::string::npos) << d;
  EXPECT_EQ(d.find("rdi"), std::string::npos) << d;
}

}  // namespace
}  // namespace jitffi
