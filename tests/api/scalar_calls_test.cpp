// Downcalls with scalar arguments and results, result widening, many arguments, variadic calls.
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "api_test_util.h"

using namespace jt;

namespace {

class ScalarCalls : public testing::TestWithParam<BackendChoice> {
 protected:
  CallOptions opts() const { return {GetParam(), false}; }
  Function f(const char *name, TypeRef ret, std::vector<TypeRef> params) {
    return fn(name, std::move(ret), std::move(params), opts());
  }
};

// Calls a one-argument function and returns the whole (widened) result buffer.
template <class A>
std::uint64_t call_raw(const Function &f, A a) {
  std::uint64_t buf;
  std::memset(&buf, 0xAB, sizeof buf);  // garbage that a missing widening would leave behind
  void *args[] = {&a};
  f.call(&buf, args);
  return buf;
}

TEST_P(ScalarCalls, Int32Add) {
  auto f = this->f("jt_add_i32", T(TypeKind::I32), {T(TypeKind::I32), T(TypeKind::I32)});
  EXPECT_EQ(f.invoke<std::int32_t>(std::int32_t{40}, std::int32_t{2}), 42);
  EXPECT_EQ(f.invoke<std::int32_t>(std::int32_t{-5}, std::int32_t{3}), -2);
  EXPECT_EQ(f.return_size(), 8u);
}

// libffi's boxed interface allows a null args array when there are no arguments; nothing may read
// through it (UBSan: a memcpy of zero bytes from null is still undefined).
TEST_P(ScalarCalls, NoArgumentsWithANullArgsArray) {
  auto f = this->f("jt_answer", T(TypeKind::I32), {});
  std::uint64_t buf = 0;
  f.call(&buf, nullptr);
  EXPECT_EQ(static_cast<std::int32_t>(buf), 42);
}

TEST_P(ScalarCalls, NarrowResultsAreWidenedTo64Bits) {
  auto b = f("jt_not", T(TypeKind::Bool), {T(TypeKind::Bool)});
  EXPECT_EQ(call_raw(b, true), 0u);
  EXPECT_EQ(call_raw(b, false), 1u);
  EXPECT_EQ(call_raw(f("jt_neg_i8", T(TypeKind::I8), {T(TypeKind::I8)}), std::int8_t{5}),
            std::uint64_t(-5));
  EXPECT_EQ(call_raw(f("jt_inc_u8", T(TypeKind::U8), {T(TypeKind::U8)}), std::uint8_t{0xFE}),
            0xFFu);
  EXPECT_EQ(call_raw(f("jt_neg_i16", T(TypeKind::I16), {T(TypeKind::I16)}), std::int16_t{300}),
            std::uint64_t(-300));
  EXPECT_EQ(call_raw(f("jt_inc_u16", T(TypeKind::U16), {T(TypeKind::U16)}), std::uint16_t{0xFFFE}),
            0xFFFFu);
  EXPECT_EQ(call_raw(f("jt_neg_i32", T(TypeKind::I32), {T(TypeKind::I32)}), std::int32_t{7}),
            std::uint64_t(-7));
  EXPECT_EQ(
      call_raw(f("jt_inc_u32", T(TypeKind::U32), {T(TypeKind::U32)}), std::uint32_t{0xFFFFFFFE}),
      0xFFFFFFFFu);
}

TEST_P(ScalarCalls, SixtyFourBitIntegers) {
  auto neg = f("jt_neg_i64", T(TypeKind::I64), {T(TypeKind::I64)});
  EXPECT_EQ(neg.invoke<std::int64_t>(std::int64_t{0x123456789ABCLL}), -0x123456789ABCLL);
  auto inc = f("jt_inc_u64", T(TypeKind::U64), {T(TypeKind::U64)});
  EXPECT_EQ(inc.invoke<std::uint64_t>(std::uint64_t{0xFFFFFFFFFFFFFFFEull}), 0xFFFFFFFFFFFFFFFFull);
  EXPECT_EQ(inc.return_size(), 8u);
}

TEST_P(ScalarCalls, NarrowArgumentsArriveAsTheirValues) {
  auto g = f("jt_narrow_args", T(TypeKind::I64),
             {T(TypeKind::I8), T(TypeKind::U8), T(TypeKind::I16), T(TypeKind::U16),
              T(TypeKind::I32), T(TypeKind::U32), T(TypeKind::Bool)});
  std::int8_t a = -1;
  std::uint8_t b = 255;
  std::int16_t c = -2;
  std::uint16_t d = 65535;
  std::int32_t e = -3;
  std::uint32_t ff = 0xFFFFFFFFu;
  bool gg = true;
  std::int64_t expect =
      -1 + 10 * 255 + 100 * -2 + 1000 * 65535LL + 10000 * -3LL + 100000 * 4294967295LL + 1000000;
  EXPECT_EQ(g.invoke<std::int64_t>(a, b, c, d, e, ff, gg), expect);
}

TEST_P(ScalarCalls, Int128) {
  auto g = f("jt_i128", T(TypeKind::I128), {T(TypeKind::I128), T(TypeKind::I128)});
  __int128 a = (__int128(0x0123456789ABCDEFLL) << 64) | 0xFEDCBA9876543210ull;
  __int128 b = -(__int128(1) << 100) + 12345;
  EXPECT_TRUE(g.invoke<__int128>(a, b) == a * 3 - b);
  EXPECT_EQ(g.return_size(), 16u);
  auto u = f("jt_u128", T(TypeKind::U128), {T(TypeKind::U128), T(TypeKind::U128)});
  unsigned __int128 x = ~(unsigned __int128)0 / 7, y = 99;
  EXPECT_TRUE(u.invoke<unsigned __int128>(x, y) == x * 5 + y);
  // After five integers: SysV has one GPR left, so the i128 goes to the stack, 16-byte aligned;
  // AAPCS64 (C.8) skips x5 and passes it in the even pair x6:x7.
  auto s = f("jt_i128_stack", T(TypeKind::I128),
             {T(TypeKind::I64), T(TypeKind::I64), T(TypeKind::I64), T(TypeKind::I64),
              T(TypeKind::I64), T(TypeKind::I128)});
  __int128 r = s.invoke<__int128>(std::int64_t{1}, std::int64_t{2}, std::int64_t{3},
                                  std::int64_t{4}, std::int64_t{5}, a);
  EXPECT_TRUE(r == a + 1 + 4 + 9 + 16 + 25);
}

TEST_P(ScalarCalls, FloatingPoint) {
  auto f32 = f("jt_f32", T(TypeKind::F32), {T(TypeKind::F32), T(TypeKind::F32)});
  EXPECT_EQ(f32.invoke<float>(1.5f, -4.0f), 1.5f * -4.0f + 0.5f);
  EXPECT_EQ(f32.return_size(), 4u);
  auto f64 = f("jt_f64", T(TypeKind::F64), {T(TypeKind::F64), T(TypeKind::F64)});
  EXPECT_EQ(f64.invoke<double>(3.25, 1e10), 3.25 * 1e10 + 0.25);
  auto ld =
      f("jt_ldouble", T(TypeKind::LongDouble), {T(TypeKind::LongDouble), T(TypeKind::LongDouble)});
  long double a = 1.0L + 1e-18L, b = 3.0L;  // needs the x87 64-bit mantissa
  EXPECT_EQ(ld.invoke<long double>(a, b), a * b + 0.125L);
  EXPECT_EQ(ld.return_size(), 16u);
}

TEST_P(ScalarCalls, Pointers) {
  char buf[16];
  auto add = f("jt_ptr_add", P(), {P(), T(TypeKind::I64)});
  EXPECT_EQ(add.invoke<void *>(static_cast<void *>(buf), std::int64_t{5}), buf + 5);
  auto len = f("jt_strlen", T(TypeKind::U64), {Type::cstr()});
  EXPECT_EQ(len.invoke<std::uint64_t>(static_cast<const char *>("hello, world")), 12u);
  std::int32_t out = 0;
  auto store = f("jt_store_i32", Type::void_(), {P(), T(TypeKind::I32)});
  store.invoke<void>(&out, std::int32_t{21});
  EXPECT_EQ(out, 42);
  EXPECT_EQ(store.return_size(), 0u);
}

TEST_P(ScalarCalls, ManyArgumentsSpillToTheStack) {
  using K = TypeKind;
  auto g = f("jt_many", T(K::F64),
             {T(K::I8),  T(K::I16), T(K::I32), T(K::I64), T(K::U8),  T(K::U16), T(K::U32),
              T(K::U64), T(K::F32), T(K::F64), T(K::F64), T(K::F64), T(K::F64), T(K::F64),
              T(K::F64), T(K::F64), T(K::F64), T(K::F32), T(K::I32), T(K::F64)});
  std::int8_t a = -8;
  std::int16_t b = -1600;
  std::int32_t c = -320000;
  std::int64_t d = -64000000000LL;
  std::uint8_t e = 250;
  std::uint16_t ff = 65000;
  std::uint32_t gg = 4000000000u;
  std::uint64_t h = 1ull << 40;
  float i = 0.5f, r = -2.5f;
  double j = 1, k = 2, l = 3, m = 4, n = 5, o = 6, p = 7, q = 8, t = 9.75;
  std::int32_t s = -19;
  double expect = a + 2.0 * b + 3.0 * c + 4.0 * d + 5.0 * e + 6.0 * ff + 7.0 * gg + 8.0 * h +
                  9.0 * i + 10 * j + 11 * k + 12 * l + 13 * m + 14 * n + 15 * o + 16 * p + 17 * q +
                  18.0 * r + 19.0 * s + 20 * t;
  EXPECT_EQ(g.invoke<double>(a, b, c, d, e, ff, gg, h, i, j, k, l, m, n, o, p, q, r, s, t), expect);
}

TEST_P(ScalarCalls, VariadicSumOfTypedArguments) {
  using K = TypeKind;
  auto d2 = Type::struct_({{"x", T(K::F64)}, {"y", T(K::F64)}});
  Signature proto =
      Signature::variadic(host_abi(), T(K::F64), {T(K::I32), Type::cstr()}, 2).with_name("jt_vsum");
  Signature sig =
      proto.with_varargs({T(K::I32), T(K::F64), T(K::I64), T(K::U32), P(), d2, T(K::F64), T(K::F64),
                          T(K::F64), T(K::F64), T(K::F64), T(K::F64), T(K::F64), T(K::I32)});
  auto g = testlib().function(sig, opts());
  struct D2v {
    double x, y;
  } dv{1.5, -2.0};
  char buf[4];
  void *ptr = reinterpret_cast<void *>((reinterpret_cast<std::uintptr_t>(buf) & ~0xffull) | 0x2a);
  double expect = 1 * -3 + 2 * 2.5 + 3 * -5e9 + 4 * 4e9 + 5 * 42 + 6 * (1.5 - 4.0) + 7 * 1.0 +
                  8 * 2.0 + 9 * 3.0 + 10 * 4.0 + 11 * 5.0 + 12 * 6.0 + 13 * 7.0 + 14 * 77;
  double r = g.invoke<double>(std::int32_t{14}, static_cast<const char *>("idlupSdddddddi"),
                              std::int32_t{-3}, 2.5, std::int64_t{-5000000000LL},
                              std::uint32_t{4000000000u}, ptr, dv, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0,
                              7.0, std::int32_t{77});
  EXPECT_EQ(r, expect);
}

TEST_P(ScalarCalls, VariadicWithANarrowFixedParameter) {
  using K = TypeKind;
  Signature sig =
      Signature::variadic(host_abi(), T(K::F64), {T(K::F32), T(K::I32), T(K::F64), T(K::F64)}, 2)
          .with_name("jt_vfixed_float");
  auto g = testlib().function(sig, opts());
  EXPECT_EQ(g.invoke<double>(0.25f, std::int32_t{2}, 10.0, 100.0), 0.25 + 2 * 10.0 + 3 * 100.0);
}

TEST_P(ScalarCalls, SnprintfFromLibc) {
  using K = TypeKind;
  Library libc = Library::open("c");
  Signature proto = Signature::variadic(host_abi(), T(K::I32), {P(), T(K::U64), Type::cstr()}, 3)
                        .with_name("snprintf");
  auto g =
      libc.function(proto.with_varargs({T(K::I32), T(K::F64), Type::cstr(), T(K::I64)}), opts());
  char out[64];
  int n =
      g.invoke<std::int32_t>(static_cast<void *>(out), std::uint64_t{sizeof out},
                             static_cast<const char *>("%d|%.3f|%s|%lld"), std::int32_t{-42},
                             3.14159, static_cast<const char *>("jit"), std::int64_t{1LL << 40});
  char expect[64];
  int m = std::snprintf(expect, sizeof expect, "%d|%.3f|%s|%lld", -42, 3.14159, "jit", 1LL << 40);
  EXPECT_EQ(n, m);
  EXPECT_STREQ(out, expect);
}

INSTANTIATE_TEST_SUITE_P(Backends, ScalarCalls, testing::ValuesIn(backends()), choice_name);

}  // namespace
