// Closures called from C: qsort's comparator, many and struct arguments, narrow results, a
// closure as a pthread start routine, lifetime and moves.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "api_test_util.h"
#include "testlib_types.h"

using namespace jt;

namespace {

using K = TypeKind;

class Closures : public testing::TestWithParam<BackendChoice> {
 protected:
  CallOptions opts() const { return {GetParam(), false}; }
};

TEST_P(Closures, QsortWithAComparatorClosure) {
  Library libc = Library::open("c");
  auto qsort = libc.function(
      Signature(host_abi(), Type::void_(), {P(), T(K::U64), T(K::U64), P()}).with_name("qsort"),
      opts());
  int calls = 0;
  Closure cmp(
      Signature(host_abi(), T(K::I32), {P(), P()}),
      [&calls](void *ret, void **args) {
        ++calls;
        const int a = **static_cast<const int *const *>(args[0]);
        const int b = **static_cast<const int *const *>(args[1]);
        // Descending; writes only the natural 4 bytes of the int result.
        std::int32_t r = (a < b) - (a > b);
        std::memcpy(ret, &r, sizeof r);
      },
      opts());
  std::vector<int> v{5, -3, 99, 0, 42, -77, 8, 8, 1000, -1};
  std::vector<int> expect = v;
  std::sort(expect.begin(), expect.end(), std::greater<int>());
  qsort.invoke<void>(static_cast<void *>(v.data()), std::uint64_t{v.size()},
                     std::uint64_t{sizeof(int)}, cmp.code());
  EXPECT_EQ(v, expect);
  EXPECT_GT(calls, 0);
}

// jt_call_many calls cb(-7, 65000, -100000, 5000000000, 0.75f, 1.5, MIX{-3, 300, 1.5f, -2.25},
// D3{10.5, 20.25, -30.125}, 200, 1..7, -9, true) and returns cb(...) * 2 + 1.
TEST_P(Closures, ManyAndStructArgumentsFromC) {
  auto mix = Type::struct_({{"c", T(K::I8)}, {"s", T(K::I16)}, {"f", T(K::F32)}, {"d", T(K::F64)}});
  auto d3 = Type::struct_({{"a", T(K::F64)}, {"b", T(K::F64)}, {"c", T(K::F64)}});
  Signature sig(host_abi(), T(K::F64),
                {T(K::I8), T(K::U16), T(K::I32), T(K::I64), T(K::F32), T(K::F64), mix, d3, T(K::U8),
                 T(K::F64), T(K::F64), T(K::F64), T(K::F64), T(K::F64), T(K::F64), T(K::F64),
                 T(K::I64), T(K::Bool)});
  std::vector<std::string> wrong;
  Closure cb(
      sig,
      [&wrong](void *ret, void **a) {
        auto get = [&](int i, auto sample) {
          decltype(sample) v;
          std::memcpy(&v, a[i], sizeof v);
          return v;
        };
        auto check = [&](bool ok, const char *what) {
          if (!ok) wrong.push_back(what);
        };
        check(get(0, std::int8_t{}) == -7, "i8");
        check(get(1, std::uint16_t{}) == 65000, "u16");
        check(get(2, std::int32_t{}) == -100000, "i32");
        check(get(3, std::int64_t{}) == 5000000000LL, "i64");
        check(get(4, float{}) == 0.75f, "f32");
        check(get(5, double{}) == 1.5, "f64");
        MIX m = get(6, MIX{});
        check(m.c == -3 && m.s == 300 && m.f == 1.5f && m.d == -2.25, "MIX");
        D3 d = get(7, D3{});
        check(d.a == 10.5 && d.b == 20.25 && d.c == -30.125, "D3");
        check(get(8, std::uint8_t{}) == 200, "u8");
        for (int i = 0; i < 7; ++i) check(get(9 + i, double{}) == i + 1.0, "stack double");
        check(get(16, std::int64_t{}) == -9, "i64 on the stack");
        check(get(17, bool{}) == true, "bool");
        double r = 123.25;
        std::memcpy(ret, &r, sizeof r);
      },
      opts());
  auto call = fn("jt_call_many", T(K::F64), {P()}, opts());
  EXPECT_EQ(call.invoke<double>(cb.code()), 123.25 * 2 + 1);
  EXPECT_TRUE(wrong.empty()) << "wrong: " << testing::PrintToString(wrong);
}

// Handlers write only the natural size of narrow integer results; C must read the right value.
TEST_P(Closures, NarrowResultsWrittenAtNaturalSize) {
  auto make = [&](TypeRef t, auto value) {
    return Closure(
        Signature(host_abi(), t, {}),
        [value](void *ret, void **) { std::memcpy(ret, &value, sizeof value); }, opts());
  };
  Closure a = make(T(K::I8), std::int8_t{-3});
  Closure b = make(T(K::U8), std::uint8_t{250});
  Closure c = make(T(K::I16), std::int16_t{-2});
  Closure d = make(T(K::U16), std::uint16_t{60000});
  Closure e = make(T(K::Bool), true);
  Closure f = make(T(K::I32), std::int32_t{-1000});
  auto call = fn("jt_call_narrow", T(K::I64), {P(), P(), P(), P(), P(), P()}, opts());
  std::int64_t expect = -3 + 1000 * 250LL + 1000000 * -2LL + 1000000000LL * 60000 + 100 - 7000;
  EXPECT_EQ(call.invoke<std::int64_t>(a.code(), b.code(), c.code(), d.code(), e.code(), f.code()),
            expect);
}

TEST_P(Closures, StartRoutineOfAPthreadCreatedInC) {
  std::atomic<bool> other_thread{false};
  const auto main_id = std::this_thread::get_id();
  Closure start(
      Signature(host_abi(), P(), {P()}),
      [&](void *ret, void **args) {
        other_thread = std::this_thread::get_id() != main_id;
        auto v = reinterpret_cast<std::intptr_t>(*static_cast<void **>(args[0]));
        void *r = reinterpret_cast<void *>(v * 3 + 1);
        std::memcpy(ret, &r, sizeof r);
      },
      opts());
  auto run = fn("jt_run_thread", T(K::I64), {P(), P()}, opts());
  EXPECT_EQ(run.invoke<std::int64_t>(start.code(), reinterpret_cast<void *>(std::intptr_t{14})),
            43);
  EXPECT_TRUE(other_thread.load());
}

TEST_P(Closures, ClosureCalledDirectlyFromCpp) {
  static int factor = 10;
  Closure add(
      Signature(host_abi(), T(K::I64), {T(K::I64), T(K::I32)}),
      [](void *ret, void **a, void *ud) {
        std::int64_t x;
        std::int32_t y;
        std::memcpy(&x, a[0], 8);
        std::memcpy(&y, a[1], 4);
        std::int64_t r = x * *static_cast<int *>(ud) + y;
        std::memcpy(ret, &r, 8);
      },
      &factor, opts());
  auto f = add.code<std::int64_t (*)(std::int64_t, std::int32_t)>();
  EXPECT_EQ(f(7, -3), 67);
  if (GetParam() == BackendChoice::Libffi) {
    EXPECT_EQ(add.backend(), BackendKind::Libffi);
  }
  // The handler may be called again and again, from a Function too.
  Function viaffi(add.signature(), add.code(), opts());
  EXPECT_EQ(viaffi.invoke<std::int64_t>(std::int64_t{-2}, std::int32_t{5}), -15);
}

TEST_P(Closures, LifetimeAndMoves) {
  const std::size_t before = Closure::live_count();
  {
    Closure a(
        Signature(host_abi(), Type::void_(), {}), [](void *, void **) {}, opts());
    EXPECT_EQ(Closure::live_count(), before + 1);
    void *code = a.code();
    Closure b(std::move(a));
    EXPECT_FALSE(a);
    EXPECT_EQ(b.code(), code);
    EXPECT_EQ(Closure::live_count(), before + 1);
    Closure c(
        Signature(host_abi(), Type::void_(), {}), [](void *, void **) {}, opts());
    EXPECT_EQ(Closure::live_count(), before + 2);
    c = std::move(b);  // frees c's own closure
    EXPECT_EQ(Closure::live_count(), before + 1);
    EXPECT_EQ(c.code(), code);
    c.code<void (*)()>()();  // still callable after the moves
  }
  EXPECT_EQ(Closure::live_count(), before);
}

TEST_P(Closures, NullHandlerIsAnError) {
  EXPECT_THROW(
      Closure(Signature(host_abi(), Type::void_(), {}), ClosureHandler{nullptr}, nullptr, opts()),
      Error);
  EXPECT_THROW(Closure(Signature(host_abi(), Type::void_(), {}), Closure::Fn{}, opts()), Error);
}

// capture_errno on a closure mirrors Function's: the C caller's errno is the saved value inside
// the handler, and the saved value becomes the caller's errno on return, whatever the host did to
// errno in between (here: EBADF, as a runtime's own I/O might leave it).
TEST_P(Closures, CaptureErrnoKeepsTheCallersErrnoOrSetsIt) {
  auto run = fn("jt_errno_after_cb", T(K::I32), {P(), T(K::I32)});
  const Signature cb_sig(host_abi(), T(K::I32), {T(K::I32)});
  int seen = -1;
  bool set_it = false;
  auto handler = [&](void *ret, void **) {
    seen = saved_errno();
    errno = EBADF;
    if (set_it) set_saved_errno(ERANGE);
    std::int64_t r = 0;
    std::memcpy(ret, &r, sizeof r);
  };
  Closure captured(cb_sig, handler, {GetParam(), true});
  Closure plain(cb_sig, handler, opts());
  void *code = captured.code();

  set_saved_errno(99);
  EXPECT_EQ(run.invoke<std::int32_t>(code, std::int32_t{EINTR}), EINTR) << "errno preserved";
  EXPECT_EQ(seen, EINTR) << "the handler sees the caller's errno as the saved value";
  EXPECT_EQ(saved_errno(), 99) << "the host's saved value is put back";

  set_it = true;
  EXPECT_EQ(run.invoke<std::int32_t>(code, std::int32_t{EINTR}), ERANGE) << "set by the handler";
  EXPECT_EQ(saved_errno(), 99);

  // Without capture_errno the caller sees whatever the handler left in errno.
  set_it = false;
  seen = -1;
  EXPECT_EQ(run.invoke<std::int32_t>(plain.code(), std::int32_t{EINTR}), EBADF);
  EXPECT_EQ(seen, 99);

  // The same through a raw handler with user_data.
  struct State {
    int seen = -1;
  } state;
  Closure raw(cb_sig,
              [](void *ret, void **, void *ud) {
                static_cast<State *>(ud)->seen = saved_errno();
                errno = EBADF;
                set_saved_errno(EDOM);
                std::int64_t r = 0;
                std::memcpy(ret, &r, sizeof r);
              },
              &state, {GetParam(), true});
  EXPECT_EQ(run.invoke<std::int32_t>(raw.code(), std::int32_t{ENOENT}), EDOM);
  EXPECT_EQ(state.seen, ENOENT);
  EXPECT_EQ(saved_errno(), 99);
}

INSTANTIATE_TEST_SUITE_P(Backends, Closures, testing::ValuesIn(backends()), choice_name);

}  // namespace
