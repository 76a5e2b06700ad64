// x86-64 System V call plans, as data: each test is a rule of the psABI (v1.0, §3.2.3 unless
// noted) and the plan it must produce. Notation (test_sysv_util.h): "a<arg>[<offset>,<size>]
// <slot>" for an argument piece, "<slot> [<offset>,<size>]" for a result piece.
#include <gtest/gtest.h>

#include "abi/call_plan.h"
#include "test_sysv_util.h"

namespace jitffi::test::sysv {
namespace {

using abi::CallPlan;
using abi::RetKind;

// ---- Scalars -------------------------------------------------------------------------------

// INTEGER takes the next of rdi rsi rdx rcx r8 r9, SSE the next of xmm0..xmm7, independently.
TEST(SysvScalars, IntegersAndFloatsTakeTheirOwnRegisterSequences) {
  CallPlan p = plan(i64(), {i32(), f64(), ptr(), f32(), i64(), u64(), f64()});
  EXPECT_EQ(pieces(p),
            "a0[0,4] rdi | a1[0,8] xmm0 | a2[0,8] rsi | a3[0,4] xmm1 | a4[0,8] rdx | "
            "a5[0,8] rcx | a6[0,8] xmm2");
  EXPECT_EQ(p.stack_bytes, 0u);
  EXPECT_EQ(p.vector_count, -1) << "al is only set for variadic calls";
  EXPECT_EQ(p.ret_kind, RetKind::Regs);
  EXPECT_EQ(results(p), "rax [0,8]");
  EXPECT_EQ(p.ret_size, 8u);
  ASSERT_EQ(p.args.size(), 7u);
  EXPECT_EQ(p.args[3].size, 4u);
  EXPECT_EQ(p.args[3].align, 4u);
  EXPECT_FALSE(p.args[0].by_reference);
  EXPECT_EQ(p.copy_bytes, 0u);
  EXPECT_EQ(p.shadow_bytes, 0u);
}

// _Bool/char/short: the callee may rely on the caller's extension (clang does); the plan widens
// to 64 bits. int and unsigned int need none (bits 32..63 are undefined by the psABI).
TEST(SysvScalars, NarrowIntegerArgumentsAreExtended) {
  CallPlan p = plan(v(), {b(), i8(), u8(), i16(), u16(), i32(), u32()});
  EXPECT_EQ(pieces(p),
            "a0[0,1]zext rdi | a1[0,1]sext rsi | a2[0,1]zext rdx | a3[0,2]sext rcx | "
            "a4[0,2]zext r8 | a5[0,4] r9 | a6[0,4] sp+0");
  EXPECT_EQ(p.stack_bytes, 16u);
  EXPECT_EQ(p.ret_kind, RetKind::Void);
  EXPECT_EQ(p.ret_size, 0u);
  EXPECT_TRUE(p.ret_pieces.empty());
}

// A narrow scalar in an 8-byte stack slot is stored extended, as in a register.
TEST(SysvScalars, NarrowIntegerOnTheStackIsExtended) {
  CallPlan p = plan(v(), cat({rep(6, i64()), {i8(), u16(), b()}}));
  EXPECT_EQ(pieces(p),
            "a0[0,8] rdi | a1[0,8] rsi | a2[0,8] rdx | a3[0,8] rcx | a4[0,8] r8 | a5[0,8] r9 | "
            "a6[0,1]sext sp+0 | a7[0,2]zext sp+8 | a8[0,1]zext sp+16");
  EXPECT_EQ(p.stack_bytes, 32u);
}

// Results: INTEGER in rax, SSE in xmm0; integers narrower than 64 bits are widened into 8 bytes
// of `ret` (libffi's ffi_arg rule), so ret_size is 8 for them.
TEST(SysvScalars, ScalarResults) {
  struct Case {
    TypeRef ret;
    const char *pieces;
    unsigned size;
  };
  const Case cases[] = {
      {b(), "rax [0,1]zext", 8},   {i8(), "rax [0,1]sext", 8},  {u8(), "rax [0,1]zext", 8},
      {i16(), "rax [0,2]sext", 8}, {u16(), "rax [0,2]zext", 8}, {i32(), "rax [0,4]sext", 8},
      {u32(), "rax [0,4]zext", 8}, {i64(), "rax [0,8]", 8},     {u64(), "rax [0,8]", 8},
      {ptr(), "rax [0,8]", 8},     {f32(), "xmm0 [0,4]", 4},    {f64(), "xmm0 [0,8]", 8},
  };
  for (const Case &c : cases) {
    CallPlan p = plan(c.ret, {});
    SCOPED_TRACE(c.ret->canonical());
    EXPECT_EQ(p.ret_kind, RetKind::Regs);
    EXPECT_EQ(results(p), c.pieces);
    EXPECT_EQ(p.ret_size, c.size);
    EXPECT_EQ(p.sret_returned_in, -1);
  }
}

// Once the six INTEGER registers are used, further INTEGER arguments go to the stack in order,
// one eightbyte each, from sp+0 at the call; the area is rounded up to 16 (§3.2.2).
TEST(SysvScalars, SeventhAndLaterIntegersGoToTheStack) {
  CallPlan p = plan(v(), rep(9, i64()));
  EXPECT_EQ(pieces(p),
            "a0[0,8] rdi | a1[0,8] rsi | a2[0,8] rdx | a3[0,8] rcx | a4[0,8] r8 | a5[0,8] r9 | "
            "a6[0,8] sp+0 | a7[0,8] sp+8 | a8[0,8] sp+16");
  EXPECT_EQ(p.stack_bytes, 32u);
  EXPECT_EQ(plan(v(), rep(7, i32())).stack_bytes, 16u);
  EXPECT_EQ(plan(v(), rep(8, ptr())).stack_bytes, 16u);
  EXPECT_EQ(plan(v(), rep(6, ptr())).stack_bytes, 0u);
}

TEST(SysvScalars, NinthAndLaterDoublesGoToTheStack) {
  CallPlan p = plan(f64(), cat({rep(9, f64()), {f32()}}));
  EXPECT_EQ(pieces(p),
            "a0[0,8] xmm0 | a1[0,8] xmm1 | a2[0,8] xmm2 | a3[0,8] xmm3 | a4[0,8] xmm4 | "
            "a5[0,8] xmm5 | a6[0,8] xmm6 | a7[0,8] xmm7 | a8[0,8] sp+0 | a9[0,4] sp+8");
  EXPECT_EQ(p.stack_bytes, 16u);
  EXPECT_EQ(results(p), "xmm0 [0,8]");
}

// Stack arguments keep argument order whichever register file ran out.
TEST(SysvScalars, IntegerAndSseOverflowInterleaveOnTheStack) {
  std::vector<TypeRef> params;
  for (int i = 0; i < 9; ++i) {
    params.push_back(i64());
    params.push_back(f64());
  }
  CallPlan p = plan(v(), params);
  // The 7th..9th i64 (a12, a14, a16) and the 9th f64 (a17), in argument order, 8 bytes each.
  std::string s = pieces(p);
  EXPECT_NE(s.find("a10[0,8] r9 | a11[0,8] xmm5 | a12[0,8] sp+0 | a13[0,8] xmm6 | "
                   "a14[0,8] sp+8 | a15[0,8] xmm7 | a16[0,8] sp+16 | a17[0,8] sp+24"),
            std::string::npos)
      << s;
  EXPECT_EQ(p.stack_bytes, 32u);
}

// ---- Aggregates in registers (item 3/4: classify each eightbyte, merge its fields) ----------

// A struct of one member classifies as that member (but is never extended).
TEST(SysvAggregates, SingleMemberStructs) {
  CallPlan p = plan(S({f32()}), {S({f32()}), S({f64()}), S({i32()}), S({ptr()}), S({i16()})});
  EXPECT_EQ(pieces(p), "a0[0,4] xmm0 | a1[0,8] xmm1 | a2[0,4] rdi | a3[0,8] rsi | a4[0,2] rdx");
  EXPECT_EQ(results(p), "xmm0 [0,4]");
  EXPECT_EQ(p.ret_size, 4u);
}

TEST(SysvAggregates, TwoIntsShareOneIntegerEightbyte) {
  CallPlan p = plan(S({i32(), i32()}), {S({i32(), i32()}), i32()});
  EXPECT_EQ(pieces(p), "a0[0,8] rdi | a1[0,4] rsi");
  EXPECT_EQ(results(p), "rax [0,8]");
  EXPECT_EQ(p.ret_size, 8u);
}

TEST(SysvAggregates, TwoFloatsShareOneSseEightbyte) {
  CallPlan p = plan(S({f32(), f32()}), {S({f32(), f32()}), f32()});
  EXPECT_EQ(pieces(p), "a0[0,8] xmm0 | a1[0,4] xmm1");
  EXPECT_EQ(results(p), "xmm0 [0,8]");
}

// Rule 4(d): INTEGER wins when an eightbyte mixes a float and an int.
TEST(SysvAggregates, FloatAndIntInOneEightbyteIsInteger) {
  CallPlan p = plan(S({f32(), i32()}), {S({f32(), i32()}), S({i32(), f32()})});
  EXPECT_EQ(pieces(p), "a0[0,8] rdi | a1[0,8] rsi");
  EXPECT_EQ(results(p), "rax [0,8]");
}

TEST(SysvAggregates, TwoDoublesTakeTwoSseRegisters) {
  CallPlan p = plan(S({f64(), f64()}), {S({f64(), f64()}), S({f64(), f64()})});
  EXPECT_EQ(pieces(p), "a0[0,8] xmm0 | a0[8,8] xmm1 | a1[0,8] xmm2 | a1[8,8] xmm3");
  EXPECT_EQ(results(p), "xmm0 [0,8] | xmm1 [8,8]");
  EXPECT_EQ(p.ret_size, 16u);
}

// Each eightbyte takes the next register of its own class: results in any rax/rdx/xmm0/xmm1 mix.
TEST(SysvAggregates, DoubleThenIntegerEightbytes) {
  CallPlan p = plan(S({f64(), i64()}), {i32(), S({f64(), i64()})});
  EXPECT_EQ(pieces(p), "a0[0,4] rdi | a1[0,8] xmm0 | a1[8,8] rsi");
  EXPECT_EQ(results(p), "xmm0 [0,8] | rax [8,8]");
}

TEST(SysvAggregates, IntegerThenDoubleEightbytes) {
  CallPlan p = plan(S({i64(), f64()}), {f64(), S({i64(), f64()})});
  EXPECT_EQ(pieces(p), "a0[0,8] xmm0 | a1[0,8] rdi | a1[8,8] xmm1");
  EXPECT_EQ(results(p), "rax [0,8] | xmm0 [8,8]");
}

TEST(SysvAggregates, TwoIntegerEightbytesReturnInRaxRdx) {
  CallPlan p = plan(S({i64(), i32()}), {});
  EXPECT_EQ(results(p), "rax [0,8] | rdx [8,8]");  // the tail eightbyte includes its padding
  EXPECT_EQ(p.ret_size, 16u);
}

// The first eightbyte holds the char and 7 bytes of padding: INTEGER (rule 4(b)).
TEST(SysvAggregates, CharThenDouble) {
  CallPlan p = plan(S({i8(), f64()}), {S({i8(), f64()})});
  EXPECT_EQ(pieces(p), "a0[0,8] rdi | a0[8,8] xmm0");
  EXPECT_EQ(results(p), "rax [0,8] | xmm0 [8,8]");
}

// 12 bytes: the tail eightbyte is 4 bytes and is read and written as 4.
TEST(SysvAggregates, ThreeFloats) {
  CallPlan p = plan(S({f32(), f32(), f32()}), {S({f32(), f32(), f32()})});
  EXPECT_EQ(pieces(p), "a0[0,8] xmm0 | a0[8,4] xmm1");
  EXPECT_EQ(results(p), "xmm0 [0,8] | xmm1 [8,4]");
  EXPECT_EQ(p.ret_size, 12u);
}

TEST(SysvAggregates, FloatsThenIntInSecondEightbyte) {
  CallPlan p = plan(S({f32(), f32(), i32()}), {S({f32(), f32(), i32()})});
  EXPECT_EQ(pieces(p), "a0[0,8] xmm0 | a0[8,4] rdi");
  EXPECT_EQ(results(p), "xmm0 [0,8] | rax [8,4]");
}

// Tails of 1..7 bytes are read without touching bytes past the aggregate.
TEST(SysvAggregates, OddSizedIntegerTails) {
  EXPECT_EQ(pieces(plan(v(), {S({i8(), i8(), i8()})})), "a0[0,3] rdi");
  EXPECT_EQ(pieces(plan(v(), {S({A(i8(), 11)})})), "a0[0,8] rdi | a0[8,3] rsi");
  EXPECT_EQ(pieces(plan(v(), {S({i16(), i16(), i16()})})), "a0[0,6] rdi");
  EXPECT_EQ(pieces(plan(v(), {S({i32(), i8()})})), "a0[0,8] rdi");  // padded to 8
  CallPlan p = plan(S({A(i8(), 13)}), {});
  EXPECT_EQ(results(p), "rax [0,8] | rdx [8,5]");
  EXPECT_EQ(p.ret_size, 13u);
}

// Members of aggregates are not extended: only scalars are.
TEST(SysvAggregates, NarrowMembersAreNotExtended) {
  CallPlan p = plan(S({b()}), {S({b()}), S({i8()})});
  EXPECT_EQ(pieces(p), "a0[0,1] rdi | a1[0,1] rsi");
  EXPECT_EQ(results(p), "rax [0,1]");
  EXPECT_EQ(p.ret_size, 1u);
}

// Nested aggregates are classified field by field: {{f32,f32},f64} is SSE, SSE.
TEST(SysvAggregates, NestedStruct) {
  CallPlan p = plan(v(), {S({S({f32(), f32()}), f64()})});
  EXPECT_EQ(pieces(p), "a0[0,8] xmm0 | a0[8,8] xmm1");
  CallPlan q = plan(v(), {S({S({i32(), f32()}), S({f32(), f32()})})});
  EXPECT_EQ(pieces(q), "a0[0,8] rdi | a0[8,8] xmm0");
}

// Arrays in aggregates are their elements: float[4] is two SSE eightbytes.
TEST(SysvAggregates, ArrayMembers) {
  EXPECT_EQ(pieces(plan(v(), {S({A(f32(), 4)})})), "a0[0,8] xmm0 | a0[8,8] xmm1");
  EXPECT_EQ(pieces(plan(v(), {S({A(f32(), 3), i32()})})), "a0[0,8] xmm0 | a0[8,8] rdi");
  EXPECT_EQ(pieces(plan(v(), {S({A(A(i16(), 2), 2)})})), "a0[0,8] rdi");
}

// Unions: every member at offset 0 merges into the same eightbytes.
TEST(SysvAggregates, Unions) {
  EXPECT_EQ(pieces(plan(v(), {U({i32(), f32()})})), "a0[0,4] rdi");   // INTEGER wins
  EXPECT_EQ(pieces(plan(v(), {U({f32(), f64()})})), "a0[0,8] xmm0");  // SSE + SSE
  EXPECT_EQ(pieces(plan(v(), {U({S({f32(), f32()}), f64()})})), "a0[0,8] xmm0");
  // A float member only covers the first eightbyte; the second is INTEGER from the i64 array.
  EXPECT_EQ(pieces(plan(v(), {U({f64(), A(i64(), 2)})})), "a0[0,8] rdi | a0[8,8] rsi");
  EXPECT_EQ(pieces(plan(v(), {U({S({f64(), f64()}), S({f64(), i64()})})})),
            "a0[0,8] xmm0 | a0[8,8] rdi");
  CallPlan p = plan(U({f32(), f64()}), {});
  EXPECT_EQ(results(p), "xmm0 [0,8]");
}

// ---- Aggregates in memory --------------------------------------------------------------------

// Item 5(c): over two eightbytes, and not one SSE vector: MEMORY, copied to the stack eightbyte
// by eightbyte. It uses no register, so a later argument still takes rdi.
TEST(SysvMemory, ThreeInt64sArePassedOnTheStack) {
  TypeRef I3 = S({i64(), i64(), i64()});
  CallPlan p = plan(v(), {I3, i64()});
  EXPECT_EQ(pieces(p), "a0[0,8] sp+0 | a0[8,8] sp+8 | a0[16,8] sp+16 | a1[0,8] rdi");
  EXPECT_EQ(p.stack_bytes, 32u);
  EXPECT_FALSE(p.args[0].by_reference) << "SysV copies the bytes, it passes no pointer";
  EXPECT_EQ(p.args[0].size, 24u);
}

TEST(SysvMemory, FiveFloatsArePassedOnTheStack) {
  CallPlan p = plan(v(), {S({f32(), f32(), f32(), f32(), f32()}), f32()});
  EXPECT_EQ(pieces(p), "a0[0,8] sp+0 | a0[8,8] sp+8 | a0[16,4] sp+16 | a1[0,4] xmm0");
  EXPECT_EQ(p.stack_bytes, 32u);
}

TEST(SysvMemory, ThreeDoublesArePassedOnTheStack) {
  CallPlan p = plan(v(), {S({f64(), f64(), f64()})});
  EXPECT_EQ(pieces(p), "a0[0,8] sp+0 | a0[8,8] sp+8 | a0[16,8] sp+16");
}

// "Returning of Values" 2: the caller passes the result buffer in rdi, as a first argument, and
// the callee returns it in rax. The real arguments start at rsi.
TEST(SysvMemory, MemoryResultShiftsArgumentsByOneRegister) {
  TypeRef I3 = S({i64(), i64(), i64()});
  CallPlan p = plan(I3, {i64(), f64(), I3, i32()});
  EXPECT_EQ(p.ret_kind, RetKind::Memory);
  EXPECT_EQ(p.sret_returned_in, 0) << "rax";
  EXPECT_EQ(p.ret_size, 24u);
  EXPECT_TRUE(p.ret_pieces.empty());
  EXPECT_EQ(pieces(p),
            "sret rdi | a0[0,8] rsi | a1[0,8] xmm0 | a2[0,8] sp+0 | a2[8,8] sp+8 | "
            "a2[16,8] sp+16 | a3[0,4] rdx");
  EXPECT_EQ(p.stack_bytes, 32u);

  // With the hidden pointer, only five INTEGER registers are left.
  CallPlan q = plan(I3, rep(6, i64()));
  EXPECT_EQ(pieces(q),
            "sret rdi | a0[0,8] rsi | a1[0,8] rdx | a2[0,8] rcx | a3[0,8] r8 | a4[0,8] r9 | "
            "a5[0,8] sp+0");
}

TEST(SysvMemory, LargeAggregates) {
  CallPlan p = plan(S({A(f64(), 9)}), {S({A(i8(), 65)})});  // over eight eightbytes
  EXPECT_EQ(p.ret_kind, RetKind::Memory);
  EXPECT_EQ(p.pieces.size(), 1u + 9u);
  EXPECT_EQ(p.pieces.back().offset, 64u);
  EXPECT_EQ(p.pieces.back().size, 1u);
  EXPECT_EQ(p.pieces.back().to.stack_offset, 64u);
  EXPECT_EQ(p.stack_bytes, 80u);
}

// An argument area the JIT will not build is refused with the type named (libffi takes it).
TEST(SysvMemory, HugeArgumentAreaIsUnsupported) {
  try {
    plan(v(), {S({A(i8(), 100000)})});
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError &e) {
    EXPECT_NE(std::string(e.what()).find("i8[100000]"), std::string::npos) << e.what();
  }
}

// union{long double, long}: X87 + INTEGER is INTEGER (4(d) comes before 4(e)), which leaves an
// X87UP not preceded by X87: MEMORY by 5(b). union{long double, double}: X87 + SSE is MEMORY, 4(e).
TEST(SysvMemory, LongDoubleMixedWithOtherClassesIsMemory) {
  CallPlan p = plan(U({ld(), i64()}), {U({ld(), f64()})});
  EXPECT_EQ(p.ret_kind, RetKind::Memory);
  EXPECT_EQ(pieces(p), "sret rdi | a0[0,8] sp+0 | a0[8,8] sp+8");
}

// union{long double, struct{long, long}}: both eightbytes merge to INTEGER by 4(d), no X87UP is
// left, so it travels in two GPRs (gcc 12 and clang 14 agree: checked on their -S output).
TEST(SysvMemory, LongDoubleOverlaidByIntegersIsInteger) {
  TypeRef u = U({ld(), S({i64(), i64()})});
  CallPlan p = plan(u, {u});
  EXPECT_EQ(pieces(p), "a0[0,8] rdi | a0[8,8] rsi");
  EXPECT_EQ(results(p), "rax [0,8] | rdx [8,8]");
}

// ---- All or nothing: an aggregate that does not fit in the registers left ---------------------

// "If there are no registers available for any eightbyte of an argument, the whole argument is
// passed on the stack" - and the registers it did not take serve later arguments.
TEST(SysvAllOrNothing, IntegerPairDoesNotSplitAcrossR9AndStack) {
  CallPlan p = plan(v(), cat({rep(5, i64()), {S({i64(), i64()}), i64()}}));
  EXPECT_EQ(pieces(p),
            "a0[0,8] rdi | a1[0,8] rsi | a2[0,8] rdx | a3[0,8] rcx | a4[0,8] r8 | "
            "a5[0,8] sp+0 | a5[8,8] sp+8 | a6[0,8] r9");
  EXPECT_EQ(p.stack_bytes, 16u);
}

TEST(SysvAllOrNothing, SsePairDoesNotSplitAcrossXmm7AndStack) {
  CallPlan p = plan(v(), cat({rep(7, f64()), {S({f64(), f64()}), f64()}}));
  EXPECT_EQ(pieces(p),
            "a0[0,8] xmm0 | a1[0,8] xmm1 | a2[0,8] xmm2 | a3[0,8] xmm3 | a4[0,8] xmm4 | "
            "a5[0,8] xmm5 | a6[0,8] xmm6 | a7[0,8] sp+0 | a7[8,8] sp+8 | a8[0,8] xmm7");
}

// A mixed {i64,f64} needs one of each; with no GPR left it goes to the stack and leaves xmm0.
TEST(SysvAllOrNothing, MixedPairNeedsBothClasses) {
  CallPlan p = plan(v(), cat({rep(6, i64()), {S({i64(), f64()}), f64()}}));
  EXPECT_EQ(pieces(p),
            "a0[0,8] rdi | a1[0,8] rsi | a2[0,8] rdx | a3[0,8] rcx | a4[0,8] r8 | a5[0,8] r9 | "
            "a6[0,8] sp+0 | a6[8,8] sp+8 | a7[0,8] xmm0");
}

// ---- __int128 and long double -----------------------------------------------------------------

// __int128 is two INTEGER eightbytes (low in the first register); in memory it is 16-aligned.
TEST(SysvWide, Int128InRegisterPairs) {
  CallPlan p = plan(i128(), {i64(), i128(), u128()});
  EXPECT_EQ(pieces(p), "a0[0,8] rdi | a1[0,8] rsi | a1[8,8] rdx | a2[0,8] rcx | a2[8,8] r8");
  EXPECT_EQ(results(p), "rax [0,8] | rdx [8,8]");
  EXPECT_EQ(p.ret_size, 16u);
}

TEST(SysvWide, Int128OnTheStackIs16Aligned) {
  // r9 alone cannot take an __int128: it goes to the stack, r9 to the next i64 (gcc 12; clang
  // before 18 split it between r9 and the stack, against the psABI - checked with clang 14 -S).
  CallPlan p = plan(v(), cat({rep(5, i64()), {i128(), i64(), i128()}}));
  EXPECT_EQ(pieces(p),
            "a0[0,8] rdi | a1[0,8] rsi | a2[0,8] rdx | a3[0,8] rcx | a4[0,8] r8 | "
            "a5[0,8] sp+0 | a5[8,8] sp+8 | a6[0,8] r9 | a7[0,8] sp+16 | a7[8,8] sp+24");
  EXPECT_EQ(p.stack_bytes, 32u);

  // After an 8-byte stack argument the next __int128 skips 8 bytes to stay 16-aligned.
  CallPlan q = plan(v(), cat({rep(6, i64()), {i32(), u128(), i32()}}));
  std::string s = pieces(q);
  EXPECT_NE(s.find("a6[0,4] sp+0 | a7[0,8] sp+16 | a7[8,8] sp+24 | a8[0,4] sp+32"),
            std::string::npos)
      << s;
  EXPECT_EQ(q.stack_bytes, 48u);
}

// A 16-byte aligned aggregate (here through an __int128 member) is 16-aligned on the stack.
TEST(SysvWide, SixteenAlignedAggregateOnTheStack) {
  CallPlan p = plan(v(), cat({rep(6, i64()), {i32(), S({i64(), i128()})}}));
  std::string s = pieces(p);
  EXPECT_NE(s.find("a6[0,4] sp+0 | a7[0,8] sp+16 | a7[8,8] sp+24 | a7[16,8] sp+32 | "
                   "a7[24,8] sp+40"),
            std::string::npos)
      << s;
  EXPECT_EQ(p.stack_bytes, 48u);
  // {__int128} itself is INTEGER, INTEGER: in registers when they are free.
  EXPECT_EQ(pieces(plan(v(), {S({u128()})})), "a0[0,8] rdi | a0[8,8] rsi");
}

// long double is X87, X87UP: as an argument it is always in memory (16-aligned); as a result it
// comes back in st(0), stored as 80 bits into a 16-byte slot.
TEST(SysvWide, LongDoubleArgumentsGoToTheStack) {
  CallPlan p = plan(ld(), {f64(), ld(), i32(), ld()});
  EXPECT_EQ(pieces(p),
            "a0[0,8] xmm0 | a1[0,8] sp+0 | a1[8,8] sp+8 | a2[0,4] rdi | a3[0,8] sp+16 | "
            "a3[8,8] sp+24");
  EXPECT_EQ(p.stack_bytes, 32u);
  EXPECT_EQ(p.ret_kind, RetKind::Regs);
  EXPECT_EQ(results(p), "st0 [0,16]");
  EXPECT_EQ(p.ret_size, 16u);

  CallPlan q = plan(v(), {i64(), i64(), i64(), i64(), i64(), i64(), i32(), ld()});
  std::string s = pieces(q);
  EXPECT_NE(s.find("a6[0,4] sp+0 | a7[0,8] sp+16 | a7[8,8] sp+24"), std::string::npos) << s;
}

// A struct holding only a long double classifies as X87, X87UP too: stack in, st(0) out.
TEST(SysvWide, StructOfLongDouble) {
  TypeRef L = S({ld()});
  CallPlan p = plan(L, {i32(), L});
  EXPECT_EQ(pieces(p), "a0[0,4] rdi | a1[0,8] sp+0 | a1[8,8] sp+8");
  EXPECT_EQ(results(p), "st0 [0,16]");
  // Bigger than 16 bytes: MEMORY.
  EXPECT_EQ(plan(S({ld(), f64()}), {}).ret_kind, RetKind::Memory);
  // 16-byte alignment on the stack, after an 8-byte slot.
  CallPlan q = plan(v(), cat({rep(6, i64()), {i32(), L}}));
  std::string s = pieces(q);
  EXPECT_NE(s.find("a6[0,4] sp+0 | a7[0,8] sp+16 | a7[8,8] sp+24"), std::string::npos) << s;
}

// ---- The psABI's own example (§3.2.3 Figure 3.5/3.6, without the __m256/__m512 arguments) -----

// typedef struct { int a, b; double d; } structparm;
// void func(int e, int f, structparm s, int g, int h, long double ld, double m, double n,
//           int i, int j, int k);
TEST(SysvExample, PsabiParameterPassingExample) {
  TypeRef structparm = S({i32(), i32(), f64()});
  CallPlan p =
      plan(v(), {i32(), i32(), structparm, i32(), i32(), ld(), f64(), f64(), i32(), i32(), i32()});
  EXPECT_EQ(pieces(p),
            "a0[0,4] rdi | a1[0,4] rsi | a2[0,8] rdx | a2[8,8] xmm0 | a3[0,4] rcx | "
            "a4[0,4] r8 | a5[0,8] sp+0 | a5[8,8] sp+8 | a6[0,8] xmm1 | a7[0,8] xmm2 | "
            "a8[0,4] r9 | a9[0,4] sp+16 | a10[0,4] sp+24");
  EXPECT_EQ(p.stack_bytes, 32u);
}

// ---- Variadic calls (§3.5.7: %al = number of vector registers used) ---------------------------

TEST(SysvVariadic, AlCountsVectorRegisters) {
  // printf("%d %f %ld", int, double, long)
  CallPlan p = vplan(i32(), {ptr(), i32(), f64(), i64()}, 1);
  EXPECT_TRUE(p.variadic);
  EXPECT_EQ(p.fixed_count, 1u);
  EXPECT_EQ(p.vector_count, 1);
  EXPECT_EQ(pieces(p), "a0[0,8] rdi | a1[0,4] rsi | a2[0,8] xmm0 | a3[0,8] rdx");

  EXPECT_EQ(vplan(i32(), {ptr(), i32(), i64()}, 1).vector_count, 0);
  // Fixed SSE arguments count too.
  EXPECT_EQ(vplan(v(), {f64(), i32(), f64()}, 1).vector_count, 2);
  // A {double,double} vararg takes two.
  EXPECT_EQ(vplan(v(), {ptr(), S({f64(), f64()})}, 1).vector_count, 2);
  // Never more than 8; the rest is on the stack.
  CallPlan q = vplan(v(), cat({{ptr()}, rep(10, f64())}), 1);
  EXPECT_EQ(q.vector_count, 8);
  EXPECT_EQ(q.stack_bytes, 16u);
  // A long double vararg is in memory and takes no vector register.
  EXPECT_EQ(vplan(v(), {ptr(), ld()}, 1).vector_count, 0);
}

// ---- Contract details -------------------------------------------------------------------------

TEST(SysvContract, DescribeListsEveryPiece) {
  CallPlan p = plan(S({i64(), i64(), i64()}), {i8(), S({f64(), i64()}), ld()});
  EXPECT_EQ(p.describe(),
            "abi sysv, 3 args, stack 16 bytes (shadow 0), copies 0 bytes\n"
            "  ret pointer -> rdi\n"
            "  arg0  +0    1 bytes sext -> rsi\n"
            "  arg1  +0    8 bytes -> xmm0\n"
            "  arg1  +8    8 bytes -> rdx\n"
            "  arg2  +0    8 bytes -> [sp+0]\n"
            "  arg2  +8    8 bytes -> [sp+8]\n"
            "  returns in memory (24 bytes), pointer back in rax\n");
}

TEST(SysvContract, DescribeVariadicAndRegisterResults) {
  CallPlan p = vplan(S({f64(), i64()}), {ptr(), f64()}, 1);
  EXPECT_EQ(p.describe(),
            "abi sysv, 2 args (variadic), stack 0 bytes (shadow 0), copies 0 bytes, al=1\n"
            "  arg0  +0    8 bytes -> rdi\n"
            "  arg1  +0    8 bytes -> xmm0\n"
            "  ret +0    8 bytes <- xmm0\n"
            "  ret +8    8 bytes <- rax\n");
}

TEST(SysvContract, PlanHeaderFields) {
  CallPlan p = abi::classify(Signature(Abi::SysV_x64, v(), {i32()}));  // dispatch by ABI
  EXPECT_EQ(p.abi, Abi::SysV_x64);
  EXPECT_EQ(p.isa, abi::Isa::X64);
  EXPECT_FALSE(p.variadic);
  EXPECT_EQ(p.fixed_count, 1u);
}

TEST(SysvContract, OtherAbiSignatureIsRefused) {
  EXPECT_THROW(abi::classify_sysv_x64(Signature(Abi::Win64, v(), {i32()})), UnsupportedError);
}

}  // namespace
}  // namespace jitffi::test::sysv
