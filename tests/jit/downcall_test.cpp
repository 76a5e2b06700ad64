// Downcall stubs (boxed and bound) executing hand-built plans against C targets.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "jit/bound_call.h"
#include "jit/stub.h"
#include "plans.h"
#include "targets.h"

namespace jitffi::test {
namespace {

using jit::BoundCall;
using jit::Stub;
using jit::StubKind;

// Calls fn through the boxed stub and through a bound stub; both must write the same bytes.
// The result buffer starts filled with 0xAA so bytes the stub must not write are visible.
std::vector<unsigned char> run(const CallPlan &plan, void *fn, void **args, std::size_t buf = 32) {
  Stub stub(plan, StubKind::Downcall, "test");
  std::vector<unsigned char> boxed(buf, 0xAA), bound(buf, 0xAA);
  reinterpret_cast<RawCall>(stub.code())(fn, boxed.data(), args);
  BoundCall b(plan, fn, "test-bound");
  b.call(bound.data(), args);
  EXPECT_EQ(boxed, bound) << "boxed and bound stubs disagree\n" << plan.describe();
  return boxed;
}

template <class T>
T at(const std::vector<unsigned char> &buf, std::size_t off = 0) {
  T v;
  std::memcpy(&v, buf.data() + off, sizeof v);
  return v;
}

TEST(Downcall, IntIntResultIsSignExtendedTo64Bits) {
  for (std::int32_t a : {-5, 0, 7, INT32_MIN / 4}) {
    std::int32_t b = 2;
    void *args[] = {&a, &b};
    auto r = run(plan_add(), (void *)&t_add, args);
    EXPECT_EQ(at<std::int64_t>(r), std::int64_t(a) * 3 + 2);
    EXPECT_EQ(r[8], 0xAA);  // nothing past the widened 8 bytes
  }
}

TEST(Downcall, DoubleDouble) {
  double a = 1.0, b = 3.0;
  void *args[] = {&a, &b};
  EXPECT_EQ(at<double>(run(plan_div(), (void *)&t_div, args)), 1.0 / 3.0);
}

TEST(Downcall, NarrowArgumentsAreExtendedAndResultZeroExtended) {
  std::int8_t a = -7;
  std::uint16_t b = 65000;
  bool c = true;
  std::int16_t d = -30000;
  void *args[] = {&a, &b, &c, &d};
  auto r = run(plan_narrow(), (void *)&t_narrow, args);
  EXPECT_EQ(at<std::uint64_t>(r), 200u);
}

TEST(Downcall, StructInGprAndXmmReturnedInTwoXmm) {
  IDs s{-5, 2.5};
  float f = 0.5f;
  void *args[] = {&s, &f};
  auto r = run(plan_mix(), (void *)&t_mix, args);
  EXPECT_EQ(at<double>(r, 0), -9.5);
  EXPECT_EQ(at<double>(r, 8), 2.0);
  EXPECT_EQ(r[16], 0xAA);
}

TEST(Downcall, OddSizedAggregatesAreReadWithoutTouchingBytesPastThem) {
  // Each argument ends at a page boundary: a read past it faults.
  Guarded ga(3), gb(7), gc(5), gd(6);
  std::memcpy(ga.data(), "\x01\x02\x03", 3);
  std::memcpy(gb.data(), "\x0a\x0b\x0c\x0d\x0e\x0f\x10", 7);
  std::memcpy(gc.data(), "\x14\x15\x16\x17\x18", 5);
  const short d[3] = {30, 31, 32};
  std::memcpy(gd.data(), d, 6);
  void *args[] = {ga.data(), gb.data(), gc.data(), gd.data()};
  auto r = run(plan_odd(), (void *)&t_odd, args);
  const C3 expect = t_odd(*ga.as<C3>(), *gb.as<C7>(), *gc.as<C5>(), *gd.as<S6>());
  EXPECT_EQ(std::memcmp(r.data(), expect.c, 3), 0);
  EXPECT_EQ(r[3], 0xAA) << "a 3-byte result wrote a 4th byte";
}

TEST(Downcall, ArgumentsSpillToTheStack) {
  std::int64_t a[8] = {1, -2, 3, -4, 5, -6, 7, -8};
  double d[10] = {0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5};
  void *args[18];
  for (int i = 0; i < 8; ++i) args[i] = &a[i];
  for (int i = 0; i < 10; ++i) args[8 + i] = &d[i];
  const double expect = t_many(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], d[0], d[1], d[2],
                               d[3], d[4], d[5], d[6], d[7], d[8], d[9]);
  EXPECT_EQ(at<double>(run(plan_many(), (void *)&t_many, args)), expect);
}

TEST(Downcall, NarrowStackArgumentsAreWidened) {
  std::int64_t a[6] = {1, 2, 3, 4, 5, 6};
  std::int8_t s7 = -3;
  std::uint16_t u8 = 60000;
  void *args[] = {&a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &s7, &u8};
  EXPECT_EQ(at<std::int64_t>(run(plan_stack_narrow(), (void *)&t_stack_narrow, args)),
            21 - 3000 + 60000);
}

TEST(Downcall, MemoryResultGoesStraightIntoRet) {
  I3 x{1, -2, 3};
  std::int64_t k = 7;
  void *args[] = {&x, &k};
  auto r = run(plan_sret(), (void *)&t_sret, args);
  EXPECT_EQ(at<I3>(r).a, 7);
  EXPECT_EQ(at<I3>(r).b, -14);
  EXPECT_EQ(at<I3>(r).c, 21);
  EXPECT_EQ(r[24], 0xAA);
}

TEST(Downcall, LongDoubleOnTheStackAndInX87) {
  long double a = 1.5L;
  std::int32_t k = -4;
  void *args[] = {&a, &k};
  auto r = run(plan_ld(), (void *)&t_ld, args);
  long double v;
  std::memcpy(&v, r.data(), 10);  // the 80-bit value; bytes 10..15 are padding
  EXPECT_EQ(v, -5.75L);
}

TEST(Downcall, ThreeFloatsInTwoXmm) {
  F3 v{1.25f, 2.5f, 3.75f};
  void *args[] = {&v};
  auto r = run(plan_f3(), (void *)&t_f3, args);
  EXPECT_EQ(at<float>(r, 0), 3.75f);
  EXPECT_EQ(at<float>(r, 4), 1.25f);
  EXPECT_EQ(at<float>(r, 8), 5.0f);
  EXPECT_EQ(r[12], 0xAA);
}

TEST(Downcall, VariadicSetsAlToTheVectorCount) {
  const char *fmt = "didd";
  double d1 = 1, d3 = 3, d4 = 4;
  std::int32_t i2 = 2;
  void *args[] = {&fmt, &d1, &i2, &d3, &d4};
  EXPECT_EQ(at<double>(run(plan_var(), (void *)&t_var, args)), 1234.0);
}

TEST(Downcall, NineteenByteStructCopiedToTheStack) {
  Guarded g(19);
  for (int i = 0; i < 19; ++i) g.data()[i] = (unsigned char)(i + 1);
  std::int32_t k = -5;
  void *args[] = {g.data(), &k};
  EXPECT_EQ(at<std::int64_t>(run(plan_c19(), (void *)&t_c19, args)), t_c19(*g.as<C19>(), k));
}

TEST(Downcall, IntFloatStructIsOneEightbyte) {
  IF v{41, 1.5f};
  void *args[] = {&v};
  auto r = run(plan_if(), (void *)&t_if, args);
  EXPECT_EQ(at<IF>(r).i, 42);
  EXPECT_EQ(at<IF>(r).f, 3.0f);
}

TEST(Downcall, Int128InTwoRegisters) {
  __int128 a = (__int128(0x1234567) << 64) + 0x89abcdefULL;
  void *args[] = {&a};
  EXPECT_TRUE(at<__int128>(run(plan_i128(), (void *)&t_i128, args)) == a * 3 - 1);
}

TEST(Downcall, VoidIsATailCall) {
  std::int64_t out = 0, v = -99;
  std::int64_t *p = &out;
  void *args[] = {&p, &v};
  run(plan_void(), (void *)&t_void, args);
  EXPECT_EQ(out, -99);
  EXPECT_NE(jit::disassemble(plan_void(), StubKind::Downcall).find("jmp"), std::string::npos);
}

TEST(DowncallWin64, IntInt) {
  std::int32_t a = -5, b = 2;
  void *args[] = {&a, &b};
  EXPECT_EQ(at<std::int64_t>(run(wplan_add(), (void *)&w_add, args)), -13);
}

TEST(DowncallWin64, PositionalRegistersAndStack) {
  std::int32_t a = 1, c = 3, e = -5;
  double b = 2.5, d = 4.5, f = 6.5;
  void *args[] = {&a, &b, &c, &d, &e, &f};
  EXPECT_EQ(at<double>(run(wplan_mixed(), (void *)&w_mixed, args)), w_mixed(a, b, c, d, e, f));
}

TEST(DowncallWin64, AggregateByReferenceIsCopied) {
  B12 s{1, 2, 3};
  std::int32_t k = 4;
  void *args[] = {&s, &k};
  EXPECT_EQ(at<std::int64_t>(run(wplan_byref(), (void *)&w_byref, args)), 4321);
}

TEST(DowncallWin64, HiddenResultPointer) {
  std::int32_t a = 6, b = 7;
  void *args[] = {&a, &b};
  auto r = run(wplan_sret(), (void *)&w_sret, args);
  EXPECT_EQ(at<B12>(r).a, 6);
  EXPECT_EQ(at<B12>(r).b, 7);
  EXPECT_EQ(at<B12>(r).c, 42);
  EXPECT_EQ(r[12], 0xAA);
}

TEST(DowncallWin64, VariadicDoublesInBothRegisters) {
  std::int32_t n = 4;
  double d[4] = {1, 2, 3, 4};
  void *args[] = {&n, &d[0], &d[1], &d[2], &d[3]};
  EXPECT_EQ(at<double>(run(wplan_var(), (void *)&w_var, args)), 1234.0);
}

TEST(DowncallWin64, FourByteStructByValue) {
  H2 v{10, 20};
  std::int64_t k = 3;
  void *args[] = {&v, &k};
  auto r = run(wplan_h2(), (void *)&w_h2, args);
  EXPECT_EQ(at<H2>(r).a, 23);
  EXPECT_EQ(at<H2>(r).b, 7);
  EXPECT_EQ(r[4], 0xAA);
}

TEST(Downcall, TheArgsArrayIsNeverWritten) {
  B12 s{1, 2, 3};
  std::int32_t k = 4;
  void *args[] = {&s, &k};
  void *copy[] = {&s, &k};
  run(wplan_byref(), (void *)&w_byref, args);
  EXPECT_EQ(std::memcmp(args, copy, sizeof args), 0);
  EXPECT_EQ(s.a, 1);
}

TEST(Downcall, PlansTheEmitterCannotExecuteAreRejectedWithTheReason) {
  CallPlan p = plan_add();
  p.pieces[0].to.reg = 11;  // r11 is the stubs' scratch register
  try {
    Stub s(p, StubKind::Downcall, "bad");
    FAIL() << "accepted a plan using r11";
  } catch (const UnsupportedError &e) {
    EXPECT_NE(std::string(e.what()).find("reserve"), std::string::npos) << e.what();
  }
  p = plan_add();
  p.pieces[1].size = 9;
  EXPECT_THROW(Stub(p, StubKind::Downcall, "bad"), UnsupportedError);
  p = plan_many();
  p.pieces.back().to.stack_offset = 32;  // past stack_bytes
  EXPECT_THROW(Stub(p, StubKind::Downcall, "bad"), UnsupportedError);
  p = plan_add();
  p.abi = Abi::AAPCS64;
  EXPECT_THROW(Stub(p, StubKind::Downcall, "bad"), UnsupportedError);
}

TEST(Listing, ShowsInstructionsWithMachineCode) {
  const std::string text = jit::disassemble(plan_add(), StubKind::Downcall);
  EXPECT_NE(text.find("call r10"), std::string::npos) << text;
  EXPECT_NE(text.find("movsxd"), std::string::npos) << text;
  EXPECT_NE(text.find("41FFD2"), std::string::npos) << text;  // call r10's encoding
}

}  // namespace
}  // namespace jitffi::test
