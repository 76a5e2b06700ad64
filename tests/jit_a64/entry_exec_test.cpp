// The AArch64 value and slot entries run for real (arm64, or qemu-aarch64 in the cross build):
// `R entry(fn, args)` and `R entry(fn, slots)` called as C++ function pointers with the C result
// type, against C targets compiled by the compiler that decides the ABI.
#include <gtest/gtest.h>

#if defined(__aarch64__)

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "abi/call_plan.h"
#include "jit/stub.h"
#include "targets_a64.h"

namespace jitffi::test {
namespace {

using jit::Stub;
using jit::StubKind;
using Slots = const std::uint64_t *;

abi::CallPlan plan_of(const std::string &text) {
  return abi::classify(Signature::parse(text, Abi::AAPCS64));
}

// One entry stub of `kind` for `text`, called with the result type R.
struct Entry {
  Entry(const std::string &text, StubKind kind) : stub(plan_of(text), kind, text) {}
  template <class R, class F, class In>
  R call(F *fn, In in) const {
    return reinterpret_cast<R (*)(void *, In)>(stub.code())(reinterpret_cast<void *>(fn), in);
  }
  Stub stub;
};

// Slot values: integers extended per their type, floats in the low bits with junk above.
std::uint64_t sl(std::int64_t v) {  // any integer, sign-extended
  return std::uint64_t(v);
}
std::uint64_t sd(double v) {
  std::uint64_t s;
  std::memcpy(&s, &v, 8);
  return s;
}
std::uint64_t slf(float v) {
  std::uint64_t s = 0xdead5a5a00000000ull;
  std::memcpy(&s, &v, 4);
  return s;
}
template <class T>
std::uint64_t addr(const T &v) {
  return reinterpret_cast<std::uintptr_t>(&v);
}

TEST(A64EntryExec, IntAddThroughBothEntries) {
  Entry value("i32(i32, i32)", StubKind::Value), slots("i32(i32, i32)", StubKind::Slots);
  std::int32_t a = 40, b = -2;
  void *args[] = {&a, &b};
  EXPECT_EQ(value.call<std::int32_t>(&t_add, args), 38);
  const std::uint64_t s[] = {sl(-7), sl(-35)};
  EXPECT_EQ(slots.call<std::int32_t>(&t_add, static_cast<Slots>(s)), -42);
}

TEST(A64EntryExec, NarrowArgumentsFromSlotsAndNarrowResults) {
  Entry e("i16(i8, u8, i16, u16)", StubKind::Slots);
  const std::uint64_t s[] = {sl(-100), 200, sl(-30000), 40000};
  EXPECT_EQ(e.call<std::int16_t>(&t_narrow, static_cast<Slots>(s)),
            t_narrow(-100, 200, -30000, 40000));
  Entry u("u8(u8)", StubKind::Value);
  std::uint8_t v = 255;
  void *args[] = {&v};
  EXPECT_EQ(u.call<std::uint8_t>(&t_u8, args), 0);
}

// The entries hand x0 back as the target left it: a narrow result is not widened (the typed caller
// knows its type), in the branch form, the call form and around the errno hooks alike; the boxed
// call widens it into ret.
TEST(A64EntryExec, NarrowResultsAreLeftUnwidened) {
  constexpr std::uint64_t kJunk = 0x00001234000000ffull;
  Entry tail("u8()", StubKind::Value);
  EXPECT_EQ(tail.call<std::uint64_t>(&t_u8_junk, static_cast<void **>(nullptr)), kJunk);
  const char *nine = "u8(i64, i64, i64, i64, i64, i64, i64, i64, i64)";  // one on the stack
  const std::uint64_t s[9] = {};
  Entry framed(nine, StubKind::Slots);
  EXPECT_EQ(framed.call<std::uint64_t>(&t_u8_junk, static_cast<Slots>(s)), kJunk);
  Entry with_errno("u8()", StubKind::SlotsErrno);
  EXPECT_EQ(with_errno.call<std::uint64_t>(&t_u8_junk, static_cast<Slots>(s)), kJunk);
  Stub boxed(plan_of("u8()"), StubKind::Downcall, "u8()");
  std::uint64_t wide = 0;
  reinterpret_cast<void (*)(void *, void *, void **)>(boxed.code())(
      reinterpret_cast<void *>(&t_u8_junk), &wide, nullptr);
  EXPECT_EQ(wide, 0xffu);
}

TEST(A64EntryExec, StackArgumentsMakeTheEntryCallAndReturnTheResult) {
  const char *sig =
      "f64(i64, i64, i64, i64, i64, i64, i64, i64, i64, i8, u16, f64, f64, f64, f64, f64, f64, "
      "f64, f64, f64, f32)";
  const double want = t_many(1, 2, 3, 4, 5, 6, 7, 8, -9, -10, 65535, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5,
                             6.5, 7.5, 8.5, 9.5f);
  std::uint64_t s[21];
  for (int k = 0; k < 8; ++k) s[k] = sl(std::int64_t(k + 1));
  s[8] = sl(-9);
  s[9] = sl(-10);
  s[10] = 65535;
  for (int k = 0; k < 9; ++k) s[11 + k] = sd(0.5 + k);
  s[20] = slf(9.5f);
  Entry slots(sig, StubKind::Slots);
  EXPECT_EQ(slots.call<double>(&t_many, static_cast<Slots>(s)), want);
  std::int64_t i[9] = {1, 2, 3, 4, 5, 6, 7, 8, -9};
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
  Entry value(sig, StubKind::Value);
  EXPECT_EQ(value.call<double>(&t_many, args), want);
}

TEST(A64EntryExec, VariadicArgumentsFromSlots) {
  Entry e("f64(i32, ..., i32, f64, i32, f64)", StubKind::Slots);
  const std::uint64_t s[] = {4, 3, sd(0.25), sl(-5), sd(8.0)};
  EXPECT_EQ(e.call<double>(&t_va, static_cast<Slots>(s)), 3 + 0.25 - 5 + 8);
}

TEST(A64EntryExec, AggregateArgumentsTravelByAddressInTheirSlot) {
  Entry hfa("f64({f64, f64, f64, f64}, f64)", StubKind::Slots);
  const d4 v{1, 2, 3, 4};
  const std::uint64_t s[] = {addr(v), sd(0.5)};
  EXPECT_EQ(hfa.call<double>(&t_hfa4, static_cast<Slots>(s)), t_hfa4(v, 0.5));
  // Odd-sized composites in one register each; the 3-byte result in x0 as the C type.
  Entry odd("{u8, u8, u8}({u8, u8, u8}, {u8[7]})", StubKind::Slots);
  const c3 a{1, 2, 3};
  const c7 b{{10, 20, 30, 40, 50, 60, 70}};
  const std::uint64_t s2[] = {addr(a), addr(b)};
  const c3 r = odd.call<c3>(&t_c3, static_cast<Slots>(s2));
  EXPECT_EQ(r.a, 71);
  EXPECT_EQ(r.b, 12);
  EXPECT_EQ(r.c, 43);
}

TEST(A64EntryExec, PairResultsAreReadWithTheirCType) {
  // {f32, f32}: an HFA in s0:s1 (ValueShape VV at offsets 0 and 4).
  Entry f2e("{f32, f32}(f32, {f32, f32})", StubKind::Slots);
  const f2 v{1.5f, -2.0f};
  const std::uint64_t s[] = {slf(3.0f), addr(v)};
  const f2 r = f2e.call<f2>(&t_f2, static_cast<Slots>(s));
  EXPECT_EQ(r.a, -6.0f);
  EXPECT_EQ(r.b, 4.5f);
  // {f64, f64} in d0:d1, through the value entry.
  Entry d2e("{f64, f64}(f64, f64)", StubKind::Value);
  double x = 2.5, y = 0.25;
  void *args[] = {&x, &y};
  const d2 q = d2e.call<d2>(&t_d2, args);
  EXPECT_EQ(q.a, 2.75);
  EXPECT_EQ(q.b, 2.25);
  // {i32, f32, i64}: 16 bytes, not an HFA, in x0:x1.
  Entry ile("{i32, f32, i64}({i32, f32, i64}, i8)", StubKind::Slots);
  const il w{7, 0.5f, 100};
  const std::uint64_t s3[] = {addr(w), sl(-3)};
  const il p = ile.call<il>(&t_il, static_cast<Slots>(s3));
  EXPECT_EQ(p.i, 4);
  EXPECT_EQ(p.f, -1.5f);
  EXPECT_EQ(p.l, 103);
}

// The *Errno kinds call the errno hooks (tests/jit/stats_fallback.cpp's stand-ins here: errno_enter
// sets errno from the thread's saved copy, errno_leave saves it) and keep the result registers.
TEST(A64EntryExec, ErrnoEntriesSwapErrnoAroundTheCall) {
  Entry set("i32(i32)", StubKind::SlotsErrno), get("i32()", StubKind::ValueErrno);
  const std::uint64_t s[] = {sl(ERANGE)};
  EXPECT_EQ(set.call<std::int32_t>(&t_set_errno, static_cast<Slots>(s)), -1);
  errno = 0;  // the saved copy, not errno itself, goes into the next call
  EXPECT_EQ(get.call<std::int32_t>(&t_get_errno, static_cast<void **>(nullptr)), ERANGE);
  Entry dbl("f64(f64)", StubKind::ValueErrno);
  double x = 1.25;
  void *args[] = {&x};
  EXPECT_EQ(dbl.call<double>(&t_errno_d, args), 2.5);  // d0 survived errno_leave()
  errno = 0;
  EXPECT_EQ(get.call<std::int32_t>(&t_get_errno, static_cast<void **>(nullptr)), 33);
  Entry pair("{f64, f64}(f64, f64)", StubKind::SlotsErrno);
  const std::uint64_t s2[] = {sd(1.0), sd(3.0)};
  const d2 q = pair.call<d2>(&t_d2, static_cast<Slots>(s2));
  EXPECT_EQ(q.a, 4.0);
  EXPECT_EQ(q.b, -2.0);
}

std::int64_t throws_nine(std::int64_t a, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                         std::int64_t, std::int64_t, std::int64_t, std::int64_t i) {
  if (a < 0) throw std::runtime_error("nine " + std::to_string(i));
  return a + i;
}
std::int64_t throws_one(std::int64_t a) {
  if (a < 0) throw std::runtime_error("one " + std::to_string(a));
  return a;
}

TEST(A64EntryExec, ExceptionsCrossBothKindsOfEntry) {
  // The branch form: no frame of ours is on the stack when the target throws.
  Entry tail("i64(i64)", StubKind::Slots);
  const std::uint64_t s1[] = {sl(-4)};
  try {
    tail.call<std::int64_t>(&throws_one, static_cast<Slots>(s1));
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "one -4");
  }
  // The call form (a stack argument), found through the stub's CFI.
  Entry framed("i64(i64, i64, i64, i64, i64, i64, i64, i64, i64)", StubKind::Slots);
  std::uint64_t s9[9];
  for (int k = 0; k < 9; ++k) s9[k] = sl(std::int64_t(k));
  s9[0] = sl(-1);
  try {
    framed.call<std::int64_t>(&throws_nine, static_cast<Slots>(s9));
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "nine 8");
  }
  s9[0] = sl(5);
  EXPECT_EQ(framed.call<std::int64_t>(&throws_nine, static_cast<Slots>(s9)), 13);
}

}  // namespace
}  // namespace jitffi::test

#endif  // __aarch64__: the listing tests cover the entries on other hosts
