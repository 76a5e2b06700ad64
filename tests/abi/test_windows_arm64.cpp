// Windows on ARM64 call plans: AAPCS64 with the rules Microsoft publishes in "Overview of ARM64
// ABI conventions" (learn.microsoft.com/cpp/build/arm64-windows-abi-conventions, cited as [MS];
// its stage C quotes an older AAPCS64 with 15 rules, and its numbers are used here). No machine
// here runs Windows code: these tables are written from [MS], and tests/abi_oracle compares the
// plans of a generated set of signatures with the callers clang -target aarch64-pc-windows-msvc
// compiles (docs/testing.md lists where clang 14 and [MS] disagree).
#include <gtest/gtest.h>

#include "test_plan_notation.h"

namespace jitffi {
namespace {

using namespace test::notation;
using abi::CallPlan;
using abi::RetKind;

CallPlan win(TypeRef ret, std::vector<TypeRef> params) {
  return plan(Abi::Windows_arm64, std::move(ret), std::move(params));
}
CallPlan vwin(TypeRef ret, std::vector<TypeRef> params, std::size_t fixed) {
  return vplan(Abi::Windows_arm64, std::move(ret), std::move(params), fixed);
}
CallPlan aapcs(TypeRef ret, std::vector<TypeRef> params) {
  return plan(Abi::AAPCS64, std::move(ret), std::move(params));
}

// ---- non-variadic: "the Windows ABI follows the rules specified by ARM" ----

// [MS] Parameter passing: "For non-variadic functions, the Windows ABI follows the rules
// specified by ARM for parameter passing": the same plan as AAPCS64 for a spread of cases.
TEST(WindowsArm64Fixed, SamePlanAsAapcs64) {
  const std::vector<std::vector<TypeRef>> lists = {
      {i32(), f64(), ptr(), S({f32(), f32()}), S({i64(), i32()})},
      cat({rep(9, f64()), rep(9, i64()), {i8(), u16()}}),
      {i32(), i128(), S({f64(), f64(), f64(), f64()}), S({i64(), i64(), i64()})},
      cat({rep(7, i64()), {S({i64(), i64()}), i32()}}),
      cat({rep(6, f32()), {S({f64(), f64(), f64()}), f32()}}),
  };
  for (const auto &params : lists) {
    const CallPlan w = win(f64(), params), l = aapcs(f64(), params);
    EXPECT_EQ(pieces(w), pieces(l));
    EXPECT_EQ(w.stack_bytes, l.stack_bytes);
    EXPECT_EQ(w.copy_bytes, l.copy_bytes);
    EXPECT_EQ(w.abi, Abi::Windows_arm64);
    EXPECT_EQ(w.isa, abi::Isa::A64);
  }
}

// [MS] C.1 and C.2: floats in v[NSRN]; an HFA in consecutive v registers, one member each.
TEST(WindowsArm64Fixed, FloatsAndHfasInVectorRegisters) {
  CallPlan p = win(v(), {f64(), S({f32(), f32(), f32()}), i32(), f32()});
  EXPECT_EQ(pieces(p),
            "a0[0,8] v0 | a1[0,4] v1 | a1[4,4] v2 | a1[8,4] v3 | a2[0,4] x0 | "
            "a3[0,4] v4");
}

// [MS] Definitions says an HFA has "2 to 4 identical floating-point members"; AAPCS64 counts 1
// to 4, and so does clang for aarch64-pc-windows-msvc (the oracle sees struct {double} in d0).
// The plan follows AAPCS64 and clang; MSVC itself is not checked here.
TEST(WindowsArm64Fixed, OneMemberHfaAsInAapcs64) {
  EXPECT_EQ(pieces(win(v(), {S({f64()}), S({f32()})})), "a0[0,8] v0 | a1[0,4] v1");
  EXPECT_EQ(results(win(S({f64()}), {})), "v0 [0,8]");
}

// [MS] B.2 then B.3: an HFA is "used unmodified" even over 16 bytes; any other composite over 16
// bytes "is copied to memory allocated by the caller, and the argument is replaced by a pointer
// to the copy".
TEST(WindowsArm64Fixed, LargeCompositesByReferenceLargeHfasNot) {
  CallPlan p = win(v(), {S({f64(), f64(), f64(), f64()}), S({i64(), i64(), i64()}), i32()});
  EXPECT_EQ(pieces(p),
            "a0[0,8] v0 | a0[8,8] v1 | a0[16,8] v2 | a0[24,8] v3 | a1 &copy@0 x0 | a2[0,4] x1");
  EXPECT_TRUE(p.args[1].by_reference);
  EXPECT_EQ(p.copy_bytes, 32u);
}

// [MS] C.10-C.13: a composite that no longer fits in x0-x7 goes whole to the stack (NGRN = 8),
// never split, in a non-variadic call.
TEST(WindowsArm64Fixed, CompositeIsNotSplitBetweenX7AndTheStack) {
  CallPlan p = win(v(), cat({rep(7, i64()), {S({i64(), i64()}), i32()}}));
  EXPECT_EQ(pieces(p).substr(pieces(p).find("a7")), "a7[0,8] sp+0 | a7[8,8] sp+8 | a8[0,4] sp+16");
  EXPECT_EQ(p.stack_bytes, 32u);
}

// ---- results ([MS] "Return values") ----

// "Floating-point values are returned in s0, d0, or v0"; "HFA and HVA values are returned in
// s0-s3, d0-d3"; "Types less than or equal to 16 bytes are returned in x0 and x1"; over 16 bytes
// "The address of the memory block shall be passed as an additional argument to the function in
// x8 ... The callee isn't required to preserve the value stored in x8."
TEST(WindowsArm64Results, FloatsHfasSmallAndLargeComposites) {
  EXPECT_EQ(results(win(f64(), {})), "v0 [0,8]");
  EXPECT_EQ(results(win(S({f32(), f32(), f32(), f32()}), {})),
            "v0 [0,4] | v1 [4,4] | v2 [8,4] | v3 [12,4]");
  EXPECT_EQ(results(win(S({i64(), i32()}), {})), "x0 [0,8] | x1 [8,8]");
  CallPlan big = win(S({i64(), i64(), i64()}), {i32()});
  EXPECT_EQ(big.ret_kind, RetKind::Memory);
  EXPECT_EQ(pieces(big), "sret x8 | a0[0,4] x0");
  EXPECT_EQ(big.sret_returned_in, -1);
}

// A variadic function's result follows the same rules: the addendum is about arguments, and a
// double still comes back in d0 (clang agrees).
TEST(WindowsArm64Results, VariadicResultsStayInVectorRegisters) {
  EXPECT_EQ(results(vwin(f64(), {ptr(), f64()}, 1)), "v0 [0,8]");
  EXPECT_EQ(results(vwin(S({f64(), f64()}), {ptr(), f64()}, 1)), "v0 [0,8] | v1 [8,8]");
}

// ---- variadic functions ([MS] "Addendum: Variadic functions") ----

// "SIMD and Floating-point Registers aren't used": the variadic double after a pointer is in x1
// (the `jitffi plan 'windows_arm64:f64(ptr,...,f64)'` case).
TEST(WindowsArm64Variadic, VariadicDoublesGoInXRegisters) {
  CallPlan p = vwin(f64(), {ptr(), f64()}, 1);
  EXPECT_EQ(pieces(p), "a0[0,8] x0 | a1[0,8] x1");
  CallPlan q = vwin(i32(), {ptr(), f64(), i32(), f64()}, 1);
  EXPECT_EQ(pieces(q), "a0[0,8] x0 | a1[0,8] x1 | a2[0,4] x2 | a3[0,8] x3");
}

// The addendum is about "functions that take a variable number of arguments", not about the
// variadic part alone: the named double of printf-like f(double, ...) is in x0 too, and a named
// float takes the low 4 bytes of its x register.
TEST(WindowsArm64Variadic, NamedArgumentsOfAVariadicFunctionToo) {
  EXPECT_EQ(pieces(vwin(v(), {f64(), f64()}, 1)), "a0[0,8] x0 | a1[0,8] x1");
  EXPECT_EQ(pieces(vwin(v(), {f32(), i32()}, 1)), "a0[0,4] x0 | a1[0,4] x1");
}

// "All composites are treated alike; no special treatment of HFAs or HVAs": a 16-byte HFA in a
// variadic position goes in two x registers (in v0-v3 as a named argument of a fixed function)...
TEST(WindowsArm64Variadic, HfasLoseTheirVectorRegisters) {
  TypeRef f4 = S({f32(), f32(), f32(), f32()});
  EXPECT_EQ(pieces(win(v(), {i32(), f4})),
            "a0[0,4] x0 | a1[0,4] v0 | a1[4,4] v1 | a1[8,4] v2 | a1[12,4] v3");
  EXPECT_EQ(pieces(vwin(v(), {i32(), f4}, 1)), "a0[0,4] x0 | a1[0,8] x1 | a1[8,8] x2");
  // ... and a three-float HFA, rounded up to 16 bytes (B.4), too.
  EXPECT_EQ(pieces(vwin(v(), {i32(), S({f32(), f32(), f32()})}, 1)),
            "a0[0,4] x0 | a1[0,8] x1 | a1[8,4] x2");
}

// ... and an HFA over 16 bytes is no longer "used unmodified" (B.2): it is a composite over 16
// bytes, copied by the caller and passed by reference (B.3), where a fixed call passes it in
// v0-v3.
TEST(WindowsArm64Variadic, LargeHfasGoByReference) {
  TypeRef d3 = S({f64(), f64(), f64()});
  EXPECT_EQ(pieces(win(v(), {i32(), d3})), "a0[0,4] x0 | a1[0,8] v0 | a1[8,8] v1 | a1[16,8] v2");
  CallPlan p = vwin(v(), {i32(), d3}, 1);
  EXPECT_EQ(pieces(p), "a0[0,4] x0 | a1 &copy@0 x1");
  EXPECT_TRUE(p.args[1].by_reference);
  EXPECT_EQ(p.copy_bytes, 32u);
}

// "Effectively, it's the same as following rules C.12-C.15 to allocate arguments to an imaginary
// stack, where the first 64 bytes of the stack are loaded into x0-x7, and any remaining stack
// arguments are placed normally": a 16-byte composite at imaginary offset 56 has its first
// eightbyte in x7 and its second at [sp+0] (clang 14 puts it whole on the stack instead; see
// docs/testing.md), and the next argument follows at [sp+8].
TEST(WindowsArm64Variadic, CompositeStraddlesX7AndTheStack) {
  CallPlan p = vwin(v(), cat({rep(7, i64()), {S({i64(), i64()}), f64()}}), 1);
  EXPECT_EQ(pieces(p).substr(pieces(p).find("a7")), "a7[0,8] x7 | a7[8,8] sp+0 | a8[0,8] sp+8");
  EXPECT_EQ(p.stack_bytes, 16u);
  // A 12-byte composite there: 8 bytes in x7, the last 4 at [sp+0].
  CallPlan q = vwin(v(), cat({rep(7, i64()), {S({i32(), i32(), i32()})}}), 7);
  EXPECT_EQ(pieces(q).substr(pieces(q).find("a7")), "a7[0,8] x7 | a7[8,4] sp+0");
}

// C.12 rounds the imaginary address up to the type's natural alignment: a 16-aligned argument
// (__int128) starts at an even x register, and at offset 56 moves whole to the stack.
TEST(WindowsArm64Variadic, SixteenByteAlignedArgumentsStartAtAnEvenRegister) {
  CallPlan p = vwin(v(), {i32(), i128()}, 1);
  EXPECT_EQ(pieces(p), "a0[0,4] x0 | a1[0,8] x2 | a1[8,8] x3");
  CallPlan q = vwin(v(), cat({rep(7, i64()), {i128()}}), 1);
  EXPECT_EQ(pieces(q).substr(pieces(q).find("a7")), "a7[0,8] sp+0 | a7[8,8] sp+8");
}

// After x7, the remaining arguments "are placed normally": 8-byte slots (C.14: a smaller
// argument takes 8 bytes), doubles included, and a by-reference pointer takes a slot.
TEST(WindowsArm64Variadic, StackSlotsAfterX7) {
  CallPlan p = vwin(v(), cat({rep(8, i64()), {f64(), i32(), S({i64(), i64(), i64()})}}), 1);
  EXPECT_EQ(pieces(p).substr(pieces(p).find("a8")),
            "a8[0,8] sp+0 | a9[0,4] sp+8 | a10 &copy@0 sp+16");
  EXPECT_EQ(p.stack_bytes, 32u);
}

// ---- LLP64 and the C type names ----

// Windows is LLP64: `long` is 4 bytes, `long double` is double, `wchar_t` is 16 bits unsigned and
// plain `char` is signed (MSVC's /J is not the default).
TEST(WindowsArm64Types, Llp64Names) {
  const Signature s =
      Signature::parse("long double f(long, unsigned long, wchar_t, char)", Abi::Windows_arm64);
  EXPECT_EQ(s.canonical(), "windows_arm64:f64(i32,u32,u16,i8)");
  CallPlan p = abi::classify(s);
  EXPECT_EQ(pieces(p), "a0[0,4] x0 | a1[0,4] x1 | a2[0,2]zext x2 | a3[0,1]sext x3");
  EXPECT_EQ(results(p), "v0 [0,8]");
}

// "The stack must remain 16-byte aligned at all times": the outgoing area is a multiple of 16.
TEST(WindowsArm64Stack, OutgoingAreaIsSixteenByteAligned) {
  EXPECT_EQ(vwin(v(), rep(9, i64()), 1).stack_bytes, 16u);
  EXPECT_EQ(win(v(), rep(9, f64())).stack_bytes, 16u);
  EXPECT_EQ(win(v(), rep(17, f64())).stack_bytes, 80u);  // 9 slots of 8, rounded up
}

}  // namespace
}  // namespace jitffi
