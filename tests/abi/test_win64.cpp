// Win64 (Microsoft x64) call plans, as a specification. Quotes are from Microsoft's
// "x64 calling convention"; where GCC's __attribute__((ms_abi)) (the differential suite's judge)
// goes its own way, the test says so and follows GCC (checked with gcc 12 -O2 -S).
#include <gtest/gtest.h>

#include "test_plan_notation.h"

namespace jitffi {
namespace {

using namespace test::notation;
using abi::CallPlan;
using abi::Loc;
using abi::RetKind;

CallPlan win(TypeRef ret, std::vector<TypeRef> params) {
  return plan(Abi::Win64, std::move(ret), std::move(params));
}
CallPlan vwin(TypeRef ret, std::vector<TypeRef> params, std::size_t fixed) {
  return vplan(Abi::Win64, std::move(ret), std::move(params), fixed);
}

// "The first four arguments are assigned to registers by position: RCX, RDX, R8, R9 for integer
// and pointer arguments, XMM0-XMM3 for floating-point" - a slot is used by one or the other.
TEST(Win64Slots, FourSlotsByPositionNotByClass) {
  CallPlan p = win(v(), {i64(), f64(), ptr(), f32()});
  EXPECT_EQ(pieces(p), "a0[0,8] rcx | a1[0,8] xmm1 | a2[0,8] r8 | a3[0,4] xmm3");
  EXPECT_EQ(p.isa, abi::Isa::X64);
  EXPECT_EQ(p.abi, Abi::Win64);
  EXPECT_EQ(p.vector_count, -1);  // no %al count on Win64
}

TEST(Win64Slots, FloatsAfterIntegersStillTakeTheirPositionalRegister) {
  CallPlan p = win(v(), {f64(), f64(), i32(), f64()});
  EXPECT_EQ(pieces(p), "a0[0,8] xmm0 | a1[0,8] xmm1 | a2[0,4] r8 | a3[0,8] xmm3");
}

// "The caller is responsible for allocating space for the parameters [the 32-byte home area]
// ... even if the callee doesn't have that many parameters."
TEST(Win64Stack, ShadowSpaceIsAlwaysReserved) {
  for (CallPlan p : {win(v(), {}), win(i32(), {i32()})}) {
    EXPECT_EQ(p.shadow_bytes, 32u);
    EXPECT_EQ(p.stack_bytes, 32u);
  }
}

// "Any arguments beyond the first four must be stored on the stack after the shadow store",
// 8 bytes each; rsp stays 16-byte aligned at the call.
TEST(Win64Stack, FifthArgumentGoesAfterTheShadowSpace) {
  CallPlan five = win(v(), {i32(), i32(), i32(), i32(), f64()});
  EXPECT_EQ(pieces(five), "a0[0,4] rcx | a1[0,4] rdx | a2[0,4] r8 | a3[0,4] r9 | a4[0,8] sp+32");
  EXPECT_EQ(five.stack_bytes, 48u);  // 32 + 8, rounded to 16
  CallPlan six = win(v(), cat({rep(4, ptr()), {f32(), i64()}}));
  EXPECT_EQ(six.pieces[4].to.stack_offset, 32u);
  EXPECT_EQ(six.pieces[5].to.stack_offset, 40u);
  EXPECT_EQ(six.stack_bytes, 48u);
  CallPlan seven = win(v(), rep(7, i64()));
  EXPECT_EQ(seven.pieces[6].to.stack_offset, 48u);
  EXPECT_EQ(seven.stack_bytes, 64u);
}

// Narrow integers leave the upper bits undefined; the plan widens 8/16-bit ones (as sysv_x64
// does), in registers and in the 8-byte stack slots alike.
TEST(Win64Scalars, NarrowIntegersAreWidened) {
  CallPlan p = win(v(), {i8(), u16(), b(), i32(), i16(), u8()});
  EXPECT_EQ(pieces(p),
            "a0[0,1]sext rcx | a1[0,2]zext rdx | a2[0,1]zext r8 | a3[0,4] r9 | "
            "a4[0,2]sext sp+32 | a5[0,1]zext sp+40");
}

// "Structs and unions of size 8, 16, 32, or 64 bits ... are passed as if they were integers of
// the same size" - in the slot's GPR even when every member is a float.
TEST(Win64Aggregates, SizesOneTwoFourEightGoByValueInTheGpr) {
  TypeRef two_floats = S({f32(), f32()});
  CallPlan p = win(v(), {S({i8()}), S({i8(), i8()}), two_floats, S({f64()}), S({i32()})});
  EXPECT_EQ(pieces(p), "a0[0,1] rcx | a1[0,2] rdx | a2[0,8] r8 | a3[0,8] r9 | a4[0,4] sp+32");
  EXPECT_FALSE(p.args[2].by_reference);
  CallPlan u = win(v(), {U({f32(), i32()})});
  EXPECT_EQ(pieces(u), "a0[0,4] rcx");
}

// "Any argument that doesn't fit in 8 bytes, or isn't 1, 2, 4, or 8 bytes, must be passed by
// reference": the caller copies it to memory it owns (16-byte aligned here) and passes the
// address in the slot.
TEST(Win64Aggregates, OtherSizesAreCopiedAndPassedByReference) {
  TypeRef three = S({i8(), i8(), i8()});      // 3 bytes
  TypeRef sixteen = S({i64(), i64()});        // 16 bytes
  TypeRef twelve = S({f32(), f32(), f32()});  // 12 bytes
  TypeRef forty = S({A(f64(), 5)});           // 40 bytes
  CallPlan p = win(v(), {three, sixteen, i32(), twelve, forty});
  EXPECT_EQ(pieces(p),
            "a0 &copy@0 rcx | a1 &copy@16 rdx | a2[0,4] r8 | a3 &copy@32 r9 | "
            "a4 &copy@48 sp+32");
  EXPECT_TRUE(p.args[0].by_reference);
  EXPECT_FALSE(p.args[2].by_reference);
  EXPECT_EQ(p.args[4].size, 40u);
  EXPECT_EQ(p.copy_bytes, 48u + 48u);  // every copy starts 16-byte aligned
  for (const abi::ArgInfo &a : p.args) {
    if (a.by_reference) {
      EXPECT_EQ(a.copy_offset % 16, 0u);
    }
  }
  EXPECT_EQ(p.stack_bytes, 48u);
}

// MSVC has no __int128; GCC ms_abi passes it like any other 16-byte object: by reference.
TEST(Win64Scalars, Int128IsPassedByReferenceAsGccDoes) {
  CallPlan p = win(v(), {i32(), i128(), u128()});
  EXPECT_EQ(pieces(p), "a0[0,4] rcx | a1 &copy@0 rdx | a2 &copy@16 r8");
  EXPECT_EQ(p.copy_bytes, 32u);
}

// Varargs: "For floating-point values only, both the integer and the floating-point register
// will contain the float value". The GPR piece comes last (an upcall keeps that copy). Fixed
// parameters and stack slots are not duplicated.
TEST(Win64Variadic, FloatingPointVarargsGoInBothRegisters) {
  CallPlan p = vwin(i32(), {ptr(), f64(), i32(), f64(), f64()}, 1);
  EXPECT_EQ(pieces(p),
            "a0[0,8] rcx | a1[0,8] xmm1 | a1[0,8] rdx | a2[0,4] r8 | a3[0,8] xmm3 | "
            "a3[0,8] r9 | a4[0,8] sp+32");
  EXPECT_TRUE(p.variadic);
  EXPECT_EQ(p.fixed_count, 1u);
  CallPlan fixed_double = vwin(v(), {f64(), f64()}, 1);
  EXPECT_EQ(pieces(fixed_double), "a0[0,8] xmm0 | a1[0,8] xmm1 | a1[0,8] rdx");
}

// GCC gives a struct wrapping one float/double the float's mode and duplicates it as a vararg
// too (rdx + xmm1 for a variadic struct{double}); a two-float struct or a union it does not.
TEST(Win64Variadic, GccDuplicatesSingleFloatStructsButNotOtherAggregates) {
  CallPlan p = vwin(v(), {i32(), S({f64()}), S({A(f64(), 1)}), S({f32(), f32()})}, 1);
  EXPECT_EQ(pieces(p),
            "a0[0,4] rcx | a1[0,8] xmm1 | a1[0,8] rdx | a2[0,8] xmm2 | a2[0,8] r8 | "
            "a3[0,8] r9");
  CallPlan q = vwin(v(), {i32(), S({S({f32()})}), U({f64()})}, 1);
  EXPECT_EQ(pieces(q), "a0[0,4] rcx | a1[0,4] xmm1 | a1[0,4] rdx | a2[0,8] r8");
}

// "Scalar return values that can fit into 64 bits ... are returned through RAX. ... floating
// point ... in XMM0." Narrow integers are widened into an 8-byte ffi_arg, as libffi does.
TEST(Win64Results, ScalarsInRaxOrXmm0) {
  EXPECT_EQ(results(win(i8(), {})), "rax [0,1]sext");
  EXPECT_EQ(win(i8(), {}).ret_size, 8u);
  EXPECT_EQ(results(win(u32(), {})), "rax [0,4]zext");
  EXPECT_EQ(win(u32(), {}).ret_size, 8u);
  EXPECT_EQ(results(win(b(), {})), "rax [0,1]zext");
  EXPECT_EQ(results(win(i64(), {})), "rax [0,8]");
  EXPECT_EQ(results(win(ptr(), {})), "rax [0,8]");
  EXPECT_EQ(results(win(f32(), {})), "xmm0 [0,4]");
  EXPECT_EQ(win(f32(), {}).ret_size, 4u);
  EXPECT_EQ(results(win(f64(), {})), "xmm0 [0,8]");
  CallPlan none = win(v(), {});
  EXPECT_EQ(none.ret_kind, RetKind::Void);
  EXPECT_EQ(none.ret_size, 0u);
}

// GCC ms_abi returns a 16-byte integer in XMM0 (like __m128), not through memory.
TEST(Win64Results, Int128ComesBackInXmm0AsGccDoes) {
  CallPlan p = win(i128(), {i64()});
  EXPECT_EQ(results(p), "xmm0 [0,16]");
  EXPECT_EQ(p.ret_size, 16u);
  EXPECT_EQ(pieces(p), "a0[0,8] rcx");
}

// "User-defined types ... of length 1, 2, 4, 8 ... are returned in RAX", floats included.
TEST(Win64Results, SmallAggregatesInRax) {
  EXPECT_EQ(results(win(S({f32(), f32()}), {})), "rax [0,8]");
  EXPECT_EQ(results(win(S({f64()}), {})), "rax [0,8]");
  EXPECT_EQ(results(win(S({i8(), i8()}), {})), "rax [0,2]");
  EXPECT_EQ(win(S({i8(), i8()}), {}).ret_size, 2u);
}

// "Otherwise, the caller must allocate memory for the return value and pass a pointer to it as
// the first argument. The remaining arguments are then shifted one argument to the right. The
// same pointer must be returned by the callee in RAX."
TEST(Win64Results, OtherAggregatesThroughAPointerInRcxThatShiftsTheSlots) {
  TypeRef three = S({i8(), i8(), i8()});
  CallPlan p = win(three, {f64(), i32(), f64(), i64()});
  EXPECT_EQ(p.ret_kind, RetKind::Memory);
  EXPECT_EQ(p.ret_size, 3u);
  EXPECT_EQ(p.sret_returned_in, 0);  // rax
  EXPECT_EQ(pieces(p), "sret rcx | a0[0,8] xmm1 | a1[0,4] r8 | a2[0,8] xmm3 | a3[0,8] sp+32");
  EXPECT_EQ(p.stack_bytes, 48u);
  CallPlan big = win(S({i64(), i64()}), {});
  EXPECT_EQ(big.ret_kind, RetKind::Memory);
  EXPECT_EQ(big.ret_size, 16u);
  EXPECT_TRUE(big.ret_pieces.empty());
}

// "long double" is double on Win64: the signature itself refuses the 80-bit type.
TEST(Win64Scalars, LongDoubleDoesNotExist) {
  EXPECT_THROW(Signature(Abi::Win64, v(), {ld()}), TypeError);
  EXPECT_THROW(Signature(Abi::Win64, ld(), {}), TypeError);
}

TEST(Win64Limits, HugeArgumentsAreLeftToLibffi) {
  TypeRef huge = S({A(i64(), 10000)});  // 80,000 bytes: beyond the stub's frame limit
  try {
    win(v(), {i32(), huge});
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError &e) {
    EXPECT_NE(std::string(e.what()).find("parameter 2"), std::string::npos) << e.what();
  }
  // Many by-reference copies add up against the same limit.
  EXPECT_THROW(win(v(), rep(30, S({A(i64(), 300)}))), UnsupportedError);
}

TEST(Win64Describe, NamesX64Registers) {
  CallPlan p = vwin(S({i8(), i8(), i8()}), {ptr(), f64(), S({i64(), i64()})}, 1);
  const std::string d = p.describe();
  EXPECT_NE(d.find("abi win64, 3 args (variadic), stack 32 bytes (shadow 32), copies 16 bytes"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("ret pointer -> rcx"), std::string::npos) << d;
  EXPECT_NE(d.find("-> xmm2"), std::string::npos) << d;
  EXPECT_NE(d.find("-> r8"), std::string::npos) << d;
  EXPECT_NE(d.find("copy at +0, address -> r9"), std::string::npos) << d;
  EXPECT_NE(d.find("pointer back in rax"), std::string::npos) << d;
}

}  // namespace
}  // namespace jitffi
