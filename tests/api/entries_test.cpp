// The value and slot entries (issue 12): R entry(fn, args) and R entry(fn, slots), the result left
// in its registers. Raw entry pointers called as C++ function pointers, typed calls that use them,
// errno capture and the results they cannot serve (in memory), on both back ends.
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "api_test_util.h"
#include "testlib_types.h"

using namespace jt;

namespace {

using K = TypeKind;

TypeRef st(std::vector<TypeRef> members) {
  std::vector<Field> f;
  for (auto &m : members) f.push_back(Field{"", m});
  return Type::struct_(std::move(f));
}

std::uint64_t sx(std::int64_t v) {
  return std::uint64_t(v);
}

class Entries : public testing::TestWithParam<BackendChoice> {};

// The shape the host's ABI gives a result: x86-64 SysV classifies eightbytes (a mixed pair in
// rax/xmm0), AAPCS64 has HFAs in v0-v3 and other composites up to 16 bytes in x0:x1.
ValueShape::Kind on_host(ValueShape::Kind x64, ValueShape::Kind a64) {
#if defined(__aarch64__)
  (void)x64;
  return a64;
#else
  (void)a64;
  return x64;
#endif
}

// int(int, int) through both raw entries: arguments boxed, or as values sign-extended in slots.
TEST_P(Entries, RawPointersOfIntAdd) {
  Function f = fn("jt_add_i32", T(K::I32), {T(K::I32), T(K::I32)}, {GetParam()});
  ASSERT_EQ(f.value_shape().kind, ValueShape::G);
  auto value = reinterpret_cast<std::int32_t (*)(void *, void **)>(f.value_entry());
  auto slots = reinterpret_cast<std::int32_t (*)(void *, const std::uint64_t *)>(f.slots_entry());
  ASSERT_NE(value, nullptr);
  ASSERT_NE(slots, nullptr);
  std::int32_t a = 40, b = -2;
  void *args[] = {&a, &b};
  EXPECT_EQ(value(f.address(), args), 38);
  const std::uint64_t s[] = {sx(-7), sx(-35)};
  EXPECT_EQ(slots(f.address(), s), -42);
  // The same pointer every time (compiled once).
  EXPECT_EQ(f.value_entry(), reinterpret_cast<void *>(value));
}

// float/double results in xmm0; a float argument's slot has only its low 32 bits set.
TEST_P(Entries, FloatingResultsAndSlots) {
  Function d = fn("jt_f64", T(K::F64), {T(K::F64), T(K::F64)}, {GetParam()});
  Function f = fn("jt_f32", T(K::F32), {T(K::F32), T(K::F32)}, {GetParam()});
  auto dslots = reinterpret_cast<double (*)(void *, const std::uint64_t *)>(d.slots_entry());
  auto fslots = reinterpret_cast<float (*)(void *, const std::uint64_t *)>(f.slots_entry());
  ASSERT_NE(dslots, nullptr);
  ASSERT_NE(fslots, nullptr);
  double x = 1.5, y = 2.25;
  std::uint64_t ds[2];
  std::memcpy(&ds[0], &x, 8);
  std::memcpy(&ds[1], &y, 8);
  float p = 0.5f, q = 4.0f;
  std::uint64_t fs[2] = {0xdeadbeef00000000ull, 0xfeedface00000000ull};
  std::memcpy(&fs[0], &p, 4);
  std::memcpy(&fs[1], &q, 4);
  double dwant = 0;
  void *dargs[] = {&x, &y};
  d.call(&dwant, dargs);
  float fwant = 0;
  void *fargs[] = {&p, &q};
  f.call(&fwant, fargs);
  EXPECT_EQ(dslots(d.address(), ds), dwant);
  EXPECT_EQ(fslots(f.address(), fs), fwant);
  EXPECT_EQ(d.invoke<double>(x, y), dwant);
  EXPECT_EQ(f.as<float(float, float)>()(p, q), fwant);
}

// Narrow integer results: the typed caller gets the value (the entry does not widen); call()
// still widens into the buffer.
TEST_P(Entries, NarrowResults) {
  Function neg = fn("jt_neg_i8", T(K::I8), {T(K::I8)}, {GetParam()});
  Function inc = fn("jt_inc_u16", T(K::U16), {T(K::U16)}, {GetParam()});
  EXPECT_EQ(neg.invoke<std::int8_t>(std::int8_t{5}), -5);
  EXPECT_EQ(inc.invoke<std::uint16_t>(std::uint16_t{0xFFFF}), 0);
  auto slots = reinterpret_cast<std::int8_t (*)(void *, const std::uint64_t *)>(neg.slots_entry());
  const std::uint64_t s[] = {sx(-100)};
  EXPECT_EQ(slots(neg.address(), s), 100);
  unsigned char ret[16];
  std::memset(ret, 0xA5, sizeof ret);
  neg.call_slots(ret, s);  // the register's bytes: the result first, unwidened
  EXPECT_EQ(std::int8_t(ret[0]), 100);
  EXPECT_EQ(ret[8], 0xA5);  // one register: nothing past its 8 bytes
  std::int64_t wide = 0;
  std::int8_t v = 3;
  void *args[] = {&v};
  neg.call(&wide, args);
  EXPECT_EQ(wide, -3);
}

// Aggregates returned in registers, each register shape: typed calls go through the value entry
// and agree with the boxed call.
TEST_P(Entries, AggregateResultsInRegisters) {
  const BackendChoice b = GetParam();
  {
    Function f = fn("jt_D2_next", st({T(K::F64), T(K::F64)}), {st({T(K::F64), T(K::F64)})}, {b});
    EXPECT_EQ(f.value_shape().kind, ValueShape::VV);
    D2 r = f.invoke<D2>(D2{1.5, -2.5});
    EXPECT_EQ(r.x, 2.5);
    EXPECT_EQ(r.y, -1.5);
  }
  {
    Function f = fn("jt_DL_next", st({T(K::F64), T(K::I64)}), {st({T(K::F64), T(K::I64)})}, {b});
    EXPECT_EQ(f.value_shape().kind, on_host(ValueShape::VG, ValueShape::GG));
    DL r = f.as<DL(DL)>()(DL{0.25, -9});
    EXPECT_EQ(r.d, 1.25);
    EXPECT_EQ(r.l, -8);
  }
  {
    Function f = fn("jt_LD_next", st({T(K::I64), T(K::F64)}), {st({T(K::I64), T(K::F64)})}, {b});
    EXPECT_EQ(f.value_shape().kind, on_host(ValueShape::GV, ValueShape::GG));
    LD r = f.invoke<LD>(LD{41, 0.5});
    EXPECT_EQ(r.l, 42);
    EXPECT_EQ(r.d, 1.5);
  }
  {
    Function f = fn("jt_F3_next", st({T(K::F32), T(K::F32), T(K::F32)}),
                    {st({T(K::F32), T(K::F32), T(K::F32)})}, {b});
    // AArch64: an HFA of three floats comes back in s0-s2, more than an entry returns; the
    // typed call and call_slots make the boxed call.
    EXPECT_EQ(f.value_shape().kind, on_host(ValueShape::VV, ValueShape::None));
    F3 r = f.invoke<F3>(F3{1, 2, 3});
    EXPECT_EQ(r.a, 2);
    EXPECT_EQ(r.b, 3);
    EXPECT_EQ(r.c, 4);
    // Slot entry: the aggregate argument by address.
    F3 in{7, 8, 9};
    const std::uint64_t s[] = {reinterpret_cast<std::uintptr_t>(&in)};
    F3 out{};
    unsigned char buf[16];
    f.call_slots(buf, s);
    std::memcpy(&out, buf, sizeof out);
    EXPECT_EQ(out.a, 8);
    EXPECT_EQ(out.c, 10);
  }
  {
    Function f = fn("jt_IF_next", st({T(K::I32), T(K::F32)}), {st({T(K::I32), T(K::F32)})}, {b});
    EXPECT_EQ(f.value_shape().kind, ValueShape::G);
    IF r = f.invoke<IF>(IF{-3, 0.5f});
    EXPECT_EQ(r.i, -2);
    EXPECT_EQ(r.f, 1.5f);
  }
}

// A result in memory has no entry: the pointers are null and the typed call is the boxed one.
TEST_P(Entries, MemoryResultsHaveNone) {
  TypeRef d3 = st({T(K::F64), T(K::F64), T(K::F64)});
  Function f = fn("jt_D3_next", d3, {d3}, {GetParam()});
  EXPECT_EQ(f.value_shape().kind, ValueShape::None);
  EXPECT_EQ(f.value_entry(), nullptr);
  EXPECT_EQ(f.slots_entry(), nullptr);
  D3 r = f.invoke<D3>(D3{1, 2, 3});
  EXPECT_EQ(r.c, 4);
  D3 in{5, 6, 7};
  const std::uint64_t s[] = {reinterpret_cast<std::uintptr_t>(&in)};
  D3 out{};
  f.call_slots(&out, s);  // boxed behind the scenes
  EXPECT_EQ(out.a, 6);
  EXPECT_EQ(out.c, 8);
}

#if defined(__x86_64__)
// long double (st0) and __int128 (rax:rdx) results; a 16-byte argument travels by address.
TEST_P(Entries, X87AndInt128) {
  Function ld =
      fn("jt_ldouble", T(K::LongDouble), {T(K::LongDouble), T(K::LongDouble)}, {GetParam()});
  EXPECT_EQ(ld.value_shape().kind, ValueShape::X);
  long double a = 1.25L, b = 3.0L;
  long double want = 0;
  void *args[] = {&a, &b};
  ld.call(&want, args);
  EXPECT_EQ(ld.invoke<long double>(a, b), want);
  const std::uint64_t s[] = {reinterpret_cast<std::uintptr_t>(&a),
                             reinterpret_cast<std::uintptr_t>(&b)};
  auto slots = reinterpret_cast<long double (*)(void *, const std::uint64_t *)>(ld.slots_entry());
  ASSERT_NE(slots, nullptr);
  EXPECT_EQ(slots(ld.address(), s), want);

  Function i128 = fn("jt_i128", T(K::I128), {T(K::I128), T(K::I128)}, {GetParam()});
  EXPECT_EQ(i128.value_shape().kind, ValueShape::GG);
  __int128 x = (__int128(1) << 100) + 5, y = -7;
  __int128 iwant = 0;
  void *iargs[] = {&x, &y};
  i128.call(&iwant, iargs);
  EXPECT_TRUE(i128.invoke<__int128>(x, y) == iwant);
}

// Win64 targets (ms_abi): a narrow result in rax, a stack argument area (shadow space), so the
// entry calls instead of jumping.
TEST_P(Entries, Win64) {
  Function neg = fn("jt_w64_neg_i8", T(K::I8), {T(K::I8)}, {GetParam()}, Abi::Win64);
  EXPECT_EQ(neg.invoke<std::int8_t>(std::int8_t{-9}), 9);
  Function mix = fn("jt_w64_mix", T(K::F64),
                    {T(K::I32), T(K::F64), T(K::I64), T(K::F32), T(K::I32), T(K::F64)},
                    {GetParam()}, Abi::Win64);
  std::int32_t a = 1, e = -5;
  double b = 2.5, f = 0.125;
  std::int64_t c = 1ll << 40;
  float d = 3.5f;
  double want = 0;
  void *args[] = {&a, &b, &c, &d, &e, &f};
  mix.call(&want, args);
  EXPECT_EQ(mix.invoke<double>(a, b, c, d, e, f), want);
  std::uint64_t s[6] = {sx(a), 0, sx(c), 0, sx(e), 0};
  std::memcpy(&s[1], &b, 8);
  std::memcpy(&s[3], &d, 4);
  std::memcpy(&s[5], &f, 8);
  auto slots = reinterpret_cast<double (*)(void *, const std::uint64_t *)>(mix.slots_entry());
  ASSERT_NE(slots, nullptr);
  EXPECT_EQ(slots(mix.address(), s), want);
}
#endif

#if defined(__aarch64__)
// AAPCS64 results: a float HFA pair in s0:s1 (VV, the second member at offset 4), a float/double
// mix (not an HFA) and __int128 in x0:x1, long double in q0 (no entry: the boxed call).
TEST_P(Entries, Aapcs64Results) {
  const BackendChoice b = GetParam();
  Function f2 = fn("jt_F2_next", st({T(K::F32), T(K::F32)}), {st({T(K::F32), T(K::F32)})}, {b});
  EXPECT_EQ(f2.value_shape().kind, ValueShape::VV);
  EXPECT_FALSE(f2.value_shape().packed);
  F2 r = f2.invoke<F2>(F2{1.5f, -2.5f});
  EXPECT_EQ(r.x, 2.5f);
  EXPECT_EQ(r.y, -1.5f);
  // The raw slot entry called with the C result type: the caller reads s0 and s1.
  auto raw = reinterpret_cast<F2 (*)(void *, const std::uint64_t *)>(f2.slots_entry());
  ASSERT_NE(raw, nullptr);
  const F2 in{10, 20};
  const std::uint64_t s[] = {reinterpret_cast<std::uintptr_t>(&in)};
  r = raw(f2.address(), s);
  EXPECT_EQ(r.x, 11);
  EXPECT_EQ(r.y, 21);
  unsigned char buf[16];
  f2.call_slots(buf, s);  // the result's bytes first: x at 0, y at 4
  std::memcpy(&r, buf, sizeof r);
  EXPECT_EQ(r.x, 11);
  EXPECT_EQ(r.y, 21);

  Function nest = fn("jt_NEST_next", st({st({T(K::F32), T(K::F32)}), T(K::F64)}),
                     {st({st({T(K::F32), T(K::F32)}), T(K::F64)})}, {b});
  EXPECT_EQ(nest.value_shape().kind, ValueShape::GG);
  const NEST n = nest.invoke<NEST>(NEST{{1, 2}, 3});
  EXPECT_EQ(n.p.x, 2);
  EXPECT_EQ(n.p.y, 3);
  EXPECT_EQ(n.z, 4);

  Function i128 = fn("jt_i128", T(K::I128), {T(K::I128), T(K::I128)}, {b});
  EXPECT_EQ(i128.value_shape().kind, ValueShape::GG);
  __int128 x = (__int128(1) << 100) + 5, y = -7;
  __int128 iwant = 0;
  void *iargs[] = {&x, &y};
  i128.call(&iwant, iargs);
  EXPECT_TRUE(i128.invoke<__int128>(x, y) == iwant);
  const std::uint64_t is[] = {reinterpret_cast<std::uintptr_t>(&x),
                              reinterpret_cast<std::uintptr_t>(&y)};
  auto islots = reinterpret_cast<__int128 (*)(void *, const std::uint64_t *)>(i128.slots_entry());
  ASSERT_NE(islots, nullptr);
  EXPECT_TRUE(islots(i128.address(), is) == iwant);

  Function ld = fn("jt_ldouble", T(K::LongDouble), {T(K::LongDouble), T(K::LongDouble)}, {b});
  EXPECT_EQ(ld.value_shape().kind, ValueShape::None);
  EXPECT_EQ(ld.value_entry(), nullptr);
  long double a = 1.25L, c = 3.0L, want = 0;
  void *largs[] = {&a, &c};
  ld.call(&want, largs);
  EXPECT_EQ(ld.invoke<long double>(a, c), want);
}
#endif

// errno capture on the raw entries: the saved errno goes in before the call and comes back out.
TEST_P(Entries, ErrnoCaptureOnRawEntries) {
  Function set = fn("jt_set_errno", T(K::I32), {T(K::I32)}, {GetParam(), true});
  Function get = fn("jt_get_errno", T(K::I32), {}, {GetParam(), true});
  auto set_slots =
      reinterpret_cast<std::int32_t (*)(void *, const std::uint64_t *)>(set.slots_entry());
  auto get_value = reinterpret_cast<std::int32_t (*)(void *, void **)>(get.value_entry());
  ASSERT_NE(set_slots, nullptr);
  ASSERT_NE(get_value, nullptr);
  set_saved_errno(0);
  errno = 0;
  const std::uint64_t s[] = {sx(ERANGE)};
  EXPECT_EQ(set_slots(set.address(), s), -1);
  EXPECT_EQ(saved_errno(), ERANGE);
  set_saved_errno(4321);
  EXPECT_EQ(get_value(get.address(), nullptr), 4321);
  // Without capture: another entry, which leaves the saved errno alone.
  Function plain = fn("jt_set_errno", T(K::I32), {T(K::I32)}, {GetParam()});
  EXPECT_NE(plain.slots_entry(), set.slots_entry());
  set_saved_errno(5);
  reinterpret_cast<std::int32_t (*)(void *, const std::uint64_t *)>(plain.slots_entry())(
      plain.address(), s);
  EXPECT_EQ(saved_errno(), 5);
}

INSTANTIATE_TEST_SUITE_P(Backends, Entries, testing::ValuesIn(backends()), choice_name);

}  // namespace
