// C++ exceptions unwind through downcall stubs and closure entries (their .eh_frame is
// registered), and the eh_frame bytes have the shape libgcc expects.
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

#include "jit/closure.h"
#include "jit/stub.h"
#include "jit/unwind.h"
#include "plans.h"
#include "targets.h"

namespace jitffi::test {
namespace {

using jit::JitClosure;
using jit::Stub;
using jit::StubKind;

extern "C" std::int32_t throws_if_negative(std::int32_t a, std::int32_t b) {
  if (a < 0) throw std::runtime_error("negative " + std::to_string(a));
  return a + b;
}

extern "C" I3 throws_i3(I3 x, std::int64_t k) {
  if (k == 0) throw std::invalid_argument("k is zero");
  return I3{x.a * k, x.b, x.c};
}

extern "C" double throws_many(std::int64_t a1, std::int64_t, std::int64_t, std::int64_t,
                              std::int64_t, std::int64_t, std::int64_t, std::int64_t a8, double,
                              double, double, double, double, double, double, double, double,
                              double d10) {
  if (a8 == 8) throw std::out_of_range("a8");
  return double(a1) + d10;
}

TEST(Unwind, ExceptionFromTheCalleeCrossesADowncallStub) {
  Stub stub(plan_add(), StubKind::Downcall, "throw-add");  // push rbx frame
  auto raw = reinterpret_cast<RawCall>(stub.code());
  std::int32_t a = -3, b = 1;
  void *args[] = {&a, &b};
  std::int64_t r = 0;
  try {
    raw(reinterpret_cast<void *>(&throws_if_negative), &r, args);
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "negative -3");
  }
  a = 3;  // the stub still works after an exception went through it
  raw(reinterpret_cast<void *>(&throws_if_negative), &r, args);
  EXPECT_EQ(r, 4);
}

TEST(Unwind, ThroughStubsWithStackFrames) {
  Stub sret(plan_sret(), StubKind::Downcall, "throw-sret");  // sub rsp frame, no push
  I3 x{1, 2, 3};
  std::int64_t k = 0;
  void *args[] = {&x, &k};
  I3 r{};
  EXPECT_THROW(
      reinterpret_cast<RawCall>(sret.code())(reinterpret_cast<void *>(&throws_i3), &r, args),
      std::invalid_argument);

  Stub many(plan_many(), StubKind::Downcall, "throw-many");  // push rbx + stack area
  std::int64_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  double d[10] = {};
  void *margs[18];
  for (int i = 0; i < 8; ++i) margs[i] = &a[i];
  for (int i = 0; i < 10; ++i) margs[8 + i] = &d[i];
  double out = 0;
  EXPECT_THROW(
      reinterpret_cast<RawCall>(many.code())(reinterpret_cast<void *>(&throws_many), &out, margs),
      std::out_of_range);
}

void throwing_handler(void *ret, void **args, void *) {
  std::int32_t a;
  std::memcpy(&a, args[0], 4);
  if (a < 0) throw std::runtime_error("handler saw " + std::to_string(a));
  std::memcpy(ret, &a, 4);
}

TEST(Unwind, ExceptionFromAClosureHandlerReachesTheCaller) {
  Stub entry(plan_add(), StubKind::Upcall, "throw-upcall");
  JitClosure c(entry.code(), &throwing_handler, nullptr);
  auto fn = reinterpret_cast<std::int32_t (*)(std::int32_t, std::int32_t)>(c.code());
  try {
    fn(-1, 0);  // called directly from C++
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "handler saw -1");
  }
  // Through a C caller compiled with -fexceptions.
  EXPECT_THROW(call_add(fn, -2, 0), std::runtime_error);
  EXPECT_EQ(call_add(fn, 9, 0), 9);
}

TEST(Unwind, ThroughAClosureEntryWithStackArguments) {
  Stub entry(plan_many(), StubKind::Upcall, "throw-upcall-many");
  JitClosure c(
      entry.code(), [](void *, void **, void *) { throw std::logic_error("many"); }, nullptr);
  EXPECT_THROW(call_many(reinterpret_cast<decltype(&t_many)>(c.code())), std::logic_error);
}

TEST(Unwind, ThroughAWin64ClosureEntry) {
  Stub entry(wplan_mixed(), StubKind::Upcall, "throw-upcall-win64");
  JitClosure c(
      entry.code(), [](void *, void **, void *) { throw std::logic_error("w64"); }, nullptr);
  EXPECT_THROW(wcall_mixed(reinterpret_cast<decltype(&w_mixed)>(c.code())), std::logic_error);
}

TEST(Unwind, EhFrameIsACieAndAnFdeCoveringTheCode) {
  Stub stub(plan_add(), StubKind::Downcall, "eh");
  const auto &b = stub.unwind().bytes();
  std::uint32_t cie_len, fde_len, cie_ptr, end;
  std::memcpy(&cie_len, b.data(), 4);
  ASSERT_EQ((cie_len + 4) % 8, 0u);
  std::memcpy(&fde_len, b.data() + 4 + cie_len, 4);
  std::memcpy(&cie_ptr, b.data() + 8 + cie_len, 4);
  EXPECT_EQ(cie_ptr, cie_len + 8);  // back to the CIE
  std::uint64_t begin, range;
  std::memcpy(&begin, b.data() + 12 + cie_len, 8);
  std::memcpy(&range, b.data() + 20 + cie_len, 8);
  EXPECT_EQ(begin, reinterpret_cast<std::uint64_t>(stub.code()));
  EXPECT_EQ(range, stub.size());
  ASSERT_EQ(b.size(), 8 + cie_len + fde_len + 4);
  std::memcpy(&end, b.data() + b.size() - 4, 4);
  EXPECT_EQ(end, 0u);
}

}  // namespace
}  // namespace jitffi::test
