// The AArch64 emitter's code run for real (arm64 hosts, or qemu-aarch64 in the cross build):
// downcalls into C targets and closures called by C callers, both compiled by the compiler that
// decides the ABI, on plans from abi::classify; exceptions through stubs; W^X; reused memory.
#include <gtest/gtest.h>

#if defined(__aarch64__)

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

#include "abi/call_plan.h"
#include "jit/bound_call.h"
#include "jit/closure.h"
#include "jit/stub.h"
#include "targets_a64.h"

namespace jitffi::test {
namespace {

using jit::JitClosure;
using jit::Stub;
using jit::StubKind;
using RawCall = void (*)(void *fn, void *ret, void **args);

abi::CallPlan plan_of(const std::string &text) {
  return abi::classify(Signature::parse(text, Abi::AAPCS64));
}

// A downcall stub for `text`, called on `fn`.
struct Down {
  explicit Down(const std::string &text) : stub(plan_of(text), StubKind::Downcall, text) {}
  template <class F>
  void operator()(F *fn, void *ret, void **args) const {
    reinterpret_cast<RawCall>(stub.code())(reinterpret_cast<void *>(fn), ret, args);
  }
  Stub stub;
};

// A closure for `text` whose handler is a lambda without captures.
struct Up {
  Up(const std::string &text, ClosureHandler h, void *user = nullptr)
      : entry(plan_of(text), StubKind::Upcall, text), closure(entry.code(), h, user) {}
  template <class F>
  F code() const {
    return reinterpret_cast<F>(closure.code());
  }
  Stub entry;
  JitClosure closure;
};

constexpr const char *kMany =
    "f64(i64, i64, i64, i64, i64, i64, i64, i64, i64, i8, u16, f64, f64, f64, f64, f64, f64, f64, "
    "f64, f64, f32)";

TEST(A64Downcall, IntIntResultIsSignExtendedTo64Bits) {
  Down d("i32(i32, i32)");
  std::int32_t a = -7, b = 2;
  void *args[] = {&a, &b};
  std::int64_t r = 0;
  d(&t_add, &r, args);
  EXPECT_EQ(r, -5);
}

TEST(A64Downcall, HfaInFourVectorRegisters) {
  Down d("f64({f64, f64, f64, f64}, f64)");
  d4 v{1, 2, 3, 4};
  double k = 0.5, r = 0;
  void *args[] = {&v, &k};
  d(&t_hfa4, &r, args);
  EXPECT_EQ(r, t_hfa4(v, k));
}

TEST(A64Downcall, HfaResultOfThreeFloats) {
  Down d("{f32, f32, f32}(f32, f32, f32)");
  float a = 1.5f, b = -2, c = 3.25f;
  void *args[] = {&a, &b, &c};
  f3 r{};
  d(&t_make_f3, &r, args);
  EXPECT_EQ(r.a, a);
  EXPECT_EQ(r.b, b);
  EXPECT_EQ(r.c, c);
}

TEST(A64Downcall, LargeCompositeByReferenceAndResultThroughX8) {
  Down d("{i64, i64, i64}({i64, i64, i64}, i64)");
  big v{1, 2, -3};
  std::int64_t k = 5;
  void *args[] = {&v, &k};
  big r{};
  d(&t_scale, &r, args);
  EXPECT_EQ(r.a, 5);
  EXPECT_EQ(r.b, 10);
  EXPECT_EQ(r.c, -15);
  EXPECT_EQ(v.a, 1);  // the callee got a copy
}

TEST(A64Downcall, ArgumentsSpillToTheStackNarrowOnesWidened) {
  Down d(kMany);
  std::int64_t i[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::int8_t i8 = -10;
  std::uint16_t u16 = 65535;
  double f[9] = {0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5};
  float f10 = 9.5f;
  void *args[21];
  for (int k = 0; k < 9; ++k) args[k] = &i[k];
  args[9] = &i8;
  args[10] = &u16;
  for (int k = 0; k < 9; ++k) args[11 + k] = &f[k];
  args[20] = &f10;
  double r = 0;
  d(&t_many, &r, args);
  EXPECT_EQ(r, t_many(1, 2, 3, 4, 5, 6, 7, 8, 9, -10, 65535, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5,
                      8.5, 9.5f));
}

TEST(A64Downcall, LongDoubleInQRegisters) {
  Down d("ldouble(ldouble, f64)");
  long double a = 1.0L / 3;
  double b = 3;
  void *args[] = {&a, &b};
  long double r = 0;
  d(&t_ld, &r, args);
  EXPECT_EQ(r, t_ld(a, b));  // binary128: exact only if all 16 bytes travelled
}

TEST(A64Downcall, OddSizedCompositesAreReadWithoutTouchingBytesPastThem) {
  Down d("{u8, u8, u8}({u8, u8, u8}, {u8[7]})");
  // Both values end exactly where an inaccessible page begins: a read past them faults.
  const long page = sysconf(_SC_PAGESIZE);
  auto *mem = static_cast<unsigned char *>(
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(mem, MAP_FAILED);
  ASSERT_EQ(mprotect(mem + page, page, PROT_NONE), 0);
  c7 *b = reinterpret_cast<c7 *>(mem + page - 7);
  c3 *a = reinterpret_cast<c3 *>(mem + page - 7 - 3);
  *a = {1, 2, 3};
  *b = {{10, 20, 30, 40, 50, 60, 70}};
  void *args[] = {a, b};
  alignas(8) unsigned char r[8];
  std::memset(r, 0xcc, sizeof r);
  d(&t_c3, r, args);
  EXPECT_EQ(r[0], 71);
  EXPECT_EQ(r[1], 12);
  EXPECT_EQ(r[2], 43);
  EXPECT_EQ(r[3], 0xcc);  // nothing written past the 3-byte result
  munmap(mem, 2 * page);
}

TEST(A64Downcall, NarrowIntegersExtendedBothWays) {
  Down d("i16(i8, u8, i16, u16)");
  std::int8_t a = -100;
  std::uint8_t b = 200;
  std::int16_t c = -30000;
  std::uint16_t e = 40000;
  void *args[] = {&a, &b, &c, &e};
  std::int64_t r = 0;
  d(&t_narrow, &r, args);
  EXPECT_EQ(r, std::int64_t(t_narrow(a, b, c, e)));
}

TEST(A64Downcall, VariadicArgumentsAsTheCompilerPassesThem) {
  Down d("f64(i32, ..., i32, f64, i32, f64)");
  std::int32_t n = 4, a = 3, c = -5;
  double b = 0.25, e = 8;
  void *args[] = {&n, &a, &b, &c, &e};
  double r = 0;
  d(&t_va, &r, args);
  EXPECT_EQ(r, 3 + 0.25 - 5 + 8);
}

TEST(A64Downcall, SixteenByteAlignedCompositeByReference) {
  Down d("{i128, i64}(i32, {i128, i64})");
  std::int32_t a = 3;
  aligned16 v{};
  v.lo = (__int128(1) << 100) + 5;
  v.hi = 9;
  void *args[] = {&a, &v};
  aligned16 r{};
  d(&t_al16, &r, args);
  EXPECT_TRUE(r.lo == v.lo + 3);
  EXPECT_EQ(r.hi, 6);
}

TEST(A64Downcall, LargeCompositesAreCopiedByALoop) {
  static b60000 big;
  for (std::size_t i = 0; i < sizeof big.b; ++i) big.b[i] = static_cast<unsigned char>(i * 7 + 3);
  b131 small;
  std::memcpy(small.b, big.b + 5, sizeof small.b);
  std::uint64_t seed = 77, got = 0;
  {
    Down d("u64({u8[60000]}, u64)");
    EXPECT_LT(d.stub.size(), 160u);  // unrolled, ~60 KB
    void *args[] = {&big, &seed};
    d(&t_sum60000, &got, args);
    EXPECT_EQ(got, t_sum60000(big, seed));
  }
  {
    Down d("u64({u8[131]}, u64)");  // the loop and a 3-byte tail
    void *args[] = {&small, &seed};
    d(&t_sum131, &got, args);
    EXPECT_EQ(got, t_sum131(small, seed));
  }
}

TEST(A64Downcall, BoundStubsOnReusedMemoryCallTheirOwnTarget) {
  // Bound stubs differ only in the target's address; freeing one and making the next may reuse
  // its memory, and the new code must run (instruction cache flushed, no stale translation).
  for (int i = 0; i < 50; ++i) {
    const bool even = i % 2 == 0;
    jit::BoundCall call(
        Signature::parse("i16(i8, u8, i16, u16)", Abi::AAPCS64),
        even ? reinterpret_cast<void *>(&t_narrow)
             : reinterpret_cast<void *>(+[](std::int8_t a, std::uint8_t b, std::int16_t,
                                            std::uint16_t) { return std::int16_t(a * b); }));
    std::int8_t a = 3;
    std::uint8_t b = 4;
    std::int16_t c = 5;
    std::uint16_t e = 6;
    void *args[] = {&a, &b, &c, &e};
    std::int64_t r = 0;
    call.call(&r, args);
    ASSERT_EQ(r, even ? 18 : 12) << "iteration " << i;
  }
}

// ---- closures ---------------------------------------------------------------------------

TEST(A64Upcall, IntIntFromACCaller) {
  Up u("i32(i32, i32)", [](void *ret, void **args, void *) {
    *static_cast<std::int64_t *>(ret) =
        *static_cast<std::int32_t *>(args[0]) * 10 + *static_cast<std::int32_t *>(args[1]);
  });
  EXPECT_EQ(c_call_add(u.code<std::int32_t (*)(std::int32_t, std::int32_t)>(), -4, 3), -37);
}

TEST(A64Upcall, TwoClosuresOnOneEntryKeepTheirOwnContext) {
  const abi::CallPlan plan = plan_of("i32(i32, i32)");
  Stub entry(plan, StubKind::Upcall, "shared");
  auto h = [](void *ret, void **args, void *user) {
    *static_cast<std::int64_t *>(ret) = *static_cast<std::int32_t *>(args[0]) +
                                        *static_cast<std::int32_t *>(args[1]) +
                                        *static_cast<int *>(user);
  };
  int k1 = 100, k2 = 1000;
  JitClosure c1(entry.code(), h, &k1), c2(entry.code(), h, &k2);
  using F = std::int32_t (*)(std::int32_t, std::int32_t);
  EXPECT_EQ(c_call_twice(reinterpret_cast<F>(c1.code())), 210);
  EXPECT_EQ(c_call_twice(reinterpret_cast<F>(c2.code())), 2010);
}

TEST(A64Upcall, HfaArgumentAndDoubleResult) {
  Up u("f64({f64, f64, f64, f64}, f64)", [](void *ret, void **args, void *) {
    const d4 &v = *static_cast<d4 *>(args[0]);
    *static_cast<double *>(ret) = t_hfa4(v, *static_cast<double *>(args[1]));
  });
  EXPECT_EQ(c_call_hfa4(u.code<double (*)(d4, double)>()), t_hfa4({1.5, 2.5, 3.5, 4.5}, 2.0));
}

TEST(A64Upcall, HfaResult) {
  Up u("{f32, f32, f32}(f32, f32, f32)", [](void *ret, void **args, void *) {
    f3 r{*static_cast<float *>(args[2]), *static_cast<float *>(args[1]),
         *static_cast<float *>(args[0])};
    std::memcpy(ret, &r, sizeof r);
  });
  const f3 r = c_call_make_f3(u.code<f3 (*)(float, float, float)>());
  EXPECT_EQ(r.a, 8.0f);
  EXPECT_EQ(r.b, -2.5f);
  EXPECT_EQ(r.c, 1.25f);
}

TEST(A64Upcall, ByReferenceArgumentAndIndirectResult) {
  Up u("{i64, i64, i64}({i64, i64, i64}, i64)", [](void *ret, void **args, void *) {
    const big &v = *static_cast<big *>(args[0]);
    const std::int64_t k = *static_cast<std::int64_t *>(args[1]);
    *static_cast<big *>(ret) = big{v.a + k, v.b + k, v.c + k};
  });
  const big r = c_call_scale(u.code<big (*)(big, std::int64_t)>());
  EXPECT_EQ(r.a, 8);
  EXPECT_EQ(r.b, 5);
  EXPECT_EQ(r.c, 10);
}

TEST(A64Upcall, StackArgumentsNarrowAndFloat) {
  Up u(kMany, [](void *ret, void **a, void *) {
    auto i = [&](int k) { return *static_cast<std::int64_t *>(a[k]); };
    auto f = [&](int k) { return *static_cast<double *>(a[k]); };
    *static_cast<double *>(ret) = t_many(
        i(0), i(1), i(2), i(3), i(4), i(5), i(6), i(7), i(8), *static_cast<std::int8_t *>(a[9]),
        *static_cast<std::uint16_t *>(a[10]), f(11), f(12), f(13), f(14), f(15), f(16), f(17),
        f(18), f(19), *static_cast<float *>(a[20]));
  });
  using F =
      double (*)(std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                 std::int64_t, std::int64_t, std::int64_t, std::int8_t, std::uint16_t, double,
                 double, double, double, double, double, double, double, double, float);
  EXPECT_EQ(c_call_many(u.code<F>()), t_many(1, 2, 3, 4, 5, 6, 7, 8, 9, -10, 65535, 0.5, 1.5, 2.5,
                                             3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5f));
}

TEST(A64Upcall, LongDouble) {
  Up u("ldouble(ldouble, f64)", [](void *ret, void **args, void *) {
    *static_cast<long double *>(ret) =
        t_ld(*static_cast<long double *>(args[0]), *static_cast<double *>(args[1]));
  });
  EXPECT_EQ(c_call_ld(u.code<long double (*)(long double, double)>()), t_ld(1.5L, 4.0));
}

TEST(A64Upcall, NarrowArgumentsAndResult) {
  Up u("i16(i8, u8, i16, u16)", [](void *ret, void **args, void *) {
    // The handler writes a full ffi_arg, as libffi's do.
    *static_cast<std::int64_t *>(ret) =
        t_narrow(*static_cast<std::int8_t *>(args[0]), *static_cast<std::uint8_t *>(args[1]),
                 *static_cast<std::int16_t *>(args[2]), *static_cast<std::uint16_t *>(args[3]));
  });
  EXPECT_EQ(c_call_narrow(
                u.code<std::int16_t (*)(std::int8_t, std::uint8_t, std::int16_t, std::uint16_t)>()),
            t_narrow(-100, 200, -30000, 40000));
}

TEST(A64Upcall, OddSizedComposites) {
  Up u("{u8, u8, u8}({u8, u8, u8}, {u8[7]})", [](void *ret, void **args, void *) {
    const c3 r = t_c3(*static_cast<c3 *>(args[0]), *static_cast<c7 *>(args[1]));
    std::memcpy(ret, &r, sizeof r);
  });
  const c3 r = c_call_c3(u.code<c3 (*)(c3, c7)>());
  EXPECT_EQ(r.a, 71);
  EXPECT_EQ(r.b, 12);
  EXPECT_EQ(r.c, 43);
}

// ---- unwinding, W^X -----------------------------------------------------------------------

extern "C" std::int32_t throws_if_negative(std::int32_t a, std::int32_t b) {
  if (a < 0) throw std::runtime_error("negative " + std::to_string(a));
  return a + b;
}

TEST(A64Unwind, ExceptionFromTheCalleeCrossesADowncallStub) {
  Down d("i32(i32, i32)");  // a frame: the result is widened after the call
  std::int32_t a = -3, b = 1;
  void *args[] = {&a, &b};
  std::int64_t r = 0;
  try {
    d(&throws_if_negative, &r, args);
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "negative -3");
  }
  a = 3;
  d(&throws_if_negative, &r, args);
  EXPECT_EQ(r, 4);
}

TEST(A64Unwind, ExceptionFromAClosureHandlerCrossesTheEntryAndTheCCaller) {
  Up u(kMany, [](void *, void **args, void *) {
    throw std::out_of_range("a1=" + std::to_string(*static_cast<std::int64_t *>(args[0])));
  });
  using F =
      double (*)(std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                 std::int64_t, std::int64_t, std::int64_t, std::int8_t, std::uint16_t, double,
                 double, double, double, double, double, double, double, double, float);
  try {
    c_call_many(u.code<F>());
    FAIL() << "no exception";
  } catch (const std::out_of_range &e) {
    EXPECT_STREQ(e.what(), "a1=1");
  }
}

TEST(A64Memory, NoMappingIsWritableAndExecutable) {
  Down d(kMany);
  Up u("i32(i32, i32)", [](void *, void **, void *) {});
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int exec = 0;
  while (std::getline(maps, line)) {
    const std::string perms = line.substr(line.find(' ') + 1, 4);
    EXPECT_FALSE(perms[1] == 'w' && perms[2] == 'x') << line;
    exec += perms[2] == 'x';
  }
  EXPECT_GT(exec, 0);
}

}  // namespace
}  // namespace jitffi::test

#endif  // __aarch64__: the listing tests cover the emitter on other hosts
