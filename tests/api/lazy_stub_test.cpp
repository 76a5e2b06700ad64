// A Function's boxed stub is compiled by its first boxed call, not when the Function is made: a
// caller that only uses the slot or value entry compiles one stub per signature.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "jitffi/backend.h"
#include "jitffi/function.h"
#include "jitffi/signature.h"

namespace jitffi::test {
namespace {

std::int32_t lazy_add(std::int32_t a, std::int32_t b) {
  return a * 3 + b;
}

std::uint64_t compiled() {
  return detail::stats().stubs_compiled.load();
}

// A signature no other test of this program makes (the global cache is process-wide): lazy_add's
// int(int, int) with a third parameter it ignores.
Signature fresh(const char *text) {
  return Signature::parse(text);
}

TEST(LazyBoxedStub, SlotCallsNeverCompileTheBoxedStub) {
  if (default_backend() == BackendChoice::Libffi) GTEST_SKIP() << "JITFFI_BACKEND=libffi";
  const Signature sig = fresh("i32(i32,i32,i16)");
  const std::uint64_t before = compiled();
  Function f(sig, reinterpret_cast<void *>(&lazy_add));
  ASSERT_EQ(f.backend(), BackendKind::Jit);
  EXPECT_EQ(compiled() - before, 0u) << "making the Function compiled a stub";
  Function copy_before_any_call = f;

  // The slot entry: one stub.
  auto slots = reinterpret_cast<std::int64_t (*)(void *, const std::uint64_t *)>(f.slots_entry());
  ASSERT_NE(slots, nullptr);
  const std::uint64_t in[] = {std::uint64_t(-7), 5, 0};
  EXPECT_EQ(std::int32_t(slots(f.address(), in)), 3 * -7 + 5);  // lazy_add: 3a + b
  EXPECT_EQ(f.invoke<std::int32_t>(std::int32_t(4), std::int32_t(1), std::int16_t(0)), 13);
  EXPECT_EQ(compiled() - before, 1u) << "slot calls compiled the boxed stub";

  // The first boxed call compiles the boxed stub, once; copies made before share it.
  std::int32_t a = 10, b = -3;
  std::int16_t c = 0;
  void *args[] = {&a, &b, &c};
  std::int64_t r = 0;
  f.call(&r, args);
  EXPECT_EQ(std::int32_t(r), 27);
  f.call(&r, args);
  copy_before_any_call.call(&r, args);
  EXPECT_EQ(std::int32_t(r), 27);
  Function copy_after = f;
  copy_after.call(&r, args);
  EXPECT_EQ(std::int32_t(r), 27);
  EXPECT_EQ(compiled() - before, 2u);
}

TEST(LazyBoxedStub, ConcurrentFirstCallsCompileItOnce) {
  if (default_backend() == BackendChoice::Libffi) GTEST_SKIP() << "JITFFI_BACKEND=libffi";
  const Signature sig = fresh("i32(i32,i32,u16)");
  const std::uint64_t before = compiled();
  const Function f(sig, reinterpret_cast<void *>(&lazy_add));
  ASSERT_EQ(f.backend(), BackendKind::Jit);
  std::atomic<int> ready{0};
  std::atomic<long> wrong{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 8; ++th) {
    threads.emplace_back([&, th] {
      ++ready;
      while (ready.load() < 8) {
      }  // start together so that the first calls collide
      for (std::int32_t i = 0; i < 2000; ++i) {
        std::int32_t a = i, b = th;
        std::uint16_t c = 0;
        void *args[] = {&a, &b, &c};
        std::int64_t r = 0;
        f.call(&r, args);
        if (std::int32_t(r) != 3 * i + th) ++wrong;
      }
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(compiled() - before, 1u);
}

}  // namespace
}  // namespace jitffi::test
