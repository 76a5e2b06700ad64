// Typed closures (Closure::typed): the closure's code calls R handler(args..., void *user_data),
// a C function of the closure's own signature and convention plus user_data. Called from C (the
// test library) and from C++, on every back end, with and without errno capture: the JIT's
// register form (user_data in a register: mov + jmp), its stack form (user_data after the
// caller's stack arguments), and the generic adapter (libffi, errno capture).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "api_test_util.h"
#include "testlib_types.h"

using namespace jt;

namespace {

using K = TypeKind;

// (back end, capture_errno)
class TypedClosures : public testing::TestWithParam<std::tuple<BackendChoice, bool>> {
 protected:
  CallOptions opts() const { return {std::get<0>(GetParam()), std::get<1>(GetParam())}; }
  // The back end a closure made with opts() reports: the JIT's own code only without errno
  // capture; with it, a boxed closure of the same back end adapts.
  void expect_backend(const Closure &c) const {
    if (std::get<0>(GetParam()) == BackendChoice::Libffi) {
      EXPECT_EQ(c.backend(), BackendKind::Libffi);
    } else {
      EXPECT_EQ(c.backend(), BackendKind::Jit);  // the JIT serves every signature made here
    }
  }
};

struct Counter {
  int calls = 0;
};

int descending(const void *a, const void *b, void *ud) {
  ++static_cast<Counter *>(ud)->calls;
  const int x = *static_cast<const int *>(a), y = *static_cast<const int *>(b);
  return (x < y) - (x > y);
}

// Register form on SysV, Win64 and AAPCS64: user_data is the third argument.
TEST_P(TypedClosures, QsortComparatorWithUserDataInARegister) {
  Library libc = Library::open("c");
  auto qsort = libc.function(
      Signature(host_abi(), Type::void_(), {P(), T(K::U64), T(K::U64), P()}).with_name("qsort"),
      opts());
  Counter counter;
  Closure cmp =
      Closure::typed(Signature(host_abi(), T(K::I32), {P(), P()}), &descending, &counter, opts());
  expect_backend(cmp);
  std::vector<int> v{5, -3, 99, 0, 42, -77, 8, 8, 1000, -1};
  std::vector<int> expect = v;
  std::sort(expect.begin(), expect.end(), std::greater<int>());
  qsort.invoke<void>(static_cast<void *>(v.data()), std::uint64_t{v.size()},
                     std::uint64_t{sizeof(int)}, cmp.code());
  EXPECT_EQ(v, expect);
  EXPECT_GT(counter.calls, 0);
}

std::vector<std::string> *g_wrong;
void *const kUserData = reinterpret_cast<void *>(std::uintptr_t{0x5eed1234abcdULL});

double many(std::int8_t a0, std::uint16_t a1, std::int32_t a2, std::int64_t a3, float a4, double a5,
            MIX m, D3 d, std::uint8_t a8, double s1, double s2, double s3, double s4, double s5,
            double s6, double s7, std::int64_t a16, bool a17, void *ud) {
  auto check = [](bool ok, const char *what) {
    if (!ok) g_wrong->push_back(what);
  };
  check(a0 == -7, "i8");
  check(a1 == 65000, "u16");
  check(a2 == -100000, "i32");
  check(a3 == 5000000000LL, "i64");
  check(a4 == 0.75f, "f32");
  check(a5 == 1.5, "f64");
  check(m.c == -3 && m.s == 300 && m.f == 1.5f && m.d == -2.25, "MIX");
  check(d.a == 10.5 && d.b == 20.25 && d.c == -30.125, "D3");
  check(a8 == 200, "u8");
  check(s1 == 1 && s2 == 2 && s3 == 3 && s4 == 4 && s5 == 5 && s6 == 6 && s7 == 7, "stack doubles");
  check(a16 == -9, "i64 on the stack");
  check(a17, "bool");
  check(ud == kUserData, "user_data");
  return 123.25;
}

// Stack form on SysV (rdi..r9 are taken, user_data follows the stack arguments) and AAPCS64
// (x0..x7 taken).
TEST_P(TypedClosures, ManyAndStructArgumentsWithUserDataOnTheStack) {
  auto mix = Type::struct_({{"c", T(K::I8)}, {"s", T(K::I16)}, {"f", T(K::F32)}, {"d", T(K::F64)}});
  auto d3 = Type::struct_({{"a", T(K::F64)}, {"b", T(K::F64)}, {"c", T(K::F64)}});
  Signature sig(host_abi(), T(K::F64),
                {T(K::I8), T(K::U16), T(K::I32), T(K::I64), T(K::F32), T(K::F64), mix, d3, T(K::U8),
                 T(K::F64), T(K::F64), T(K::F64), T(K::F64), T(K::F64), T(K::F64), T(K::F64),
                 T(K::I64), T(K::Bool)});
  std::vector<std::string> wrong;
  g_wrong = &wrong;
  Closure cb = Closure::typed(sig, &many, kUserData, opts());
  expect_backend(cb);
  auto call = fn("jt_call_many", T(K::F64), {P()}, opts());
  EXPECT_EQ(call.invoke<double>(cb.code()), 123.25 * 2 + 1);
  EXPECT_TRUE(wrong.empty()) << "wrong: " << testing::PrintToString(wrong);
  // Called again, from C++ this time.
  wrong.clear();
  auto f = cb.code<double (*)(std::int8_t, std::uint16_t, std::int32_t, std::int64_t, float, double,
                              MIX, D3, std::uint8_t, double, double, double, double, double, double,
                              double, std::int64_t, bool)>();
  EXPECT_EQ(f(-7, 65000, -100000, 5000000000LL, 0.75f, 1.5, MIX{-3, 300, 1.5f, -2.25},
              D3{10.5, 20.25, -30.125}, 200, 1, 2, 3, 4, 5, 6, 7, -9, true),
            123.25);
  EXPECT_TRUE(wrong.empty()) << "wrong: " << testing::PrintToString(wrong);
}

std::int8_t r_i8(void *) {
  return -3;
}
std::uint8_t r_u8(void *) {
  return 250;
}
std::int16_t r_i16(void *) {
  return -2;
}
std::uint16_t r_u16(void *) {
  return 60000;
}
bool r_bool(void *) {
  return true;
}
std::int32_t r_i32(void *) {
  return -1000;
}

// The handler's narrow result reaches the C caller as the handler left it.
TEST_P(TypedClosures, NarrowResults) {
  const Abi h = host_abi();
  Closure a = Closure::typed(Signature(h, T(K::I8), {}), &r_i8, nullptr, opts());
  Closure b = Closure::typed(Signature(h, T(K::U8), {}), &r_u8, nullptr, opts());
  Closure c = Closure::typed(Signature(h, T(K::I16), {}), &r_i16, nullptr, opts());
  Closure d = Closure::typed(Signature(h, T(K::U16), {}), &r_u16, nullptr, opts());
  Closure e = Closure::typed(Signature(h, T(K::Bool), {}), &r_bool, nullptr, opts());
  Closure f = Closure::typed(Signature(h, T(K::I32), {}), &r_i32, nullptr, opts());
  auto call = fn("jt_call_narrow", T(K::I64), {P(), P(), P(), P(), P(), P()}, opts());
  std::int64_t expect = -3 + 1000 * 250LL + 1000000 * -2LL + 1000000000LL * 60000 + 100 - 7000;
  EXPECT_EQ(call.invoke<std::int64_t>(a.code(), b.code(), c.code(), d.code(), e.code(), f.code()),
            expect);
}

D3 make_d3(double x, void *ud) {
  return D3{x, x * 2, *static_cast<double *>(ud)};
}

// A result in memory: the hidden pointer reaches the handler, which writes the caller's result.
TEST_P(TypedClosures, StructResultInMemory) {
  auto d3 = Type::struct_({{"a", T(K::F64)}, {"b", T(K::F64)}, {"c", T(K::F64)}});
  double third = -0.5;
  Closure c = Closure::typed(Signature(host_abi(), d3, {T(K::F64)}), &make_d3, &third, opts());
  D3 r = c.code<D3 (*)(double)>()(1.25);
  EXPECT_EQ(r.a, 1.25);
  EXPECT_EQ(r.b, 2.5);
  EXPECT_EQ(r.c, -0.5);
}

int errno_handler(int before, void *ud) {
  *static_cast<int *>(ud) = saved_errno();
  errno = EBADF;  // the host runtime's own errno traffic
  if (before == EINTR) set_saved_errno(ERANGE);
  return 0;
}

// With capture_errno the caller keeps its errno (or gets what the handler saved); without it
// the caller sees what the handler left.
TEST_P(TypedClosures, ErrnoCapture) {
  auto run = fn("jt_errno_after_cb", T(K::I32), {P(), T(K::I32)});
  int seen = -1;
  Closure c =
      Closure::typed(Signature(host_abi(), T(K::I32), {T(K::I32)}), &errno_handler, &seen, opts());
  set_saved_errno(99);
  if (std::get<1>(GetParam())) {
    EXPECT_EQ(run.invoke<std::int32_t>(c.code(), std::int32_t{ENOENT}), ENOENT);
    EXPECT_EQ(seen, ENOENT) << "the handler sees the caller's errno as the saved value";
    EXPECT_EQ(run.invoke<std::int32_t>(c.code(), std::int32_t{EINTR}), ERANGE);
    EXPECT_EQ(saved_errno(), 99) << "the host's saved value is put back";
  } else {
    EXPECT_EQ(run.invoke<std::int32_t>(c.code(), std::int32_t{ENOENT}), EBADF);
    EXPECT_EQ(seen, 99);
  }
}

TEST_P(TypedClosures, StatsCountTypedClosures) {
  const bool was = detail::g_stats_enabled;
  detail::g_stats_enabled = true;
  auto &s = detail::stats();
  const auto before = s.closures[0].load() + s.closures[1].load();
  {
    Counter counter;
    Closure c =
        Closure::typed(Signature(host_abi(), T(K::I32), {P(), P()}), &descending, &counter, opts());
    int x = 1, y = 2;
    EXPECT_EQ(c.code<int (*)(const void *, const void *)>()(&x, &y), 1);
    EXPECT_EQ(counter.calls, 1);
  }
  detail::g_stats_enabled = was;
  EXPECT_EQ(s.closures[0].load() + s.closures[1].load() - before, 1u);
}

TEST_P(TypedClosures, Refusals) {
  const std::size_t live = Closure::live_count();
  EXPECT_THROW(
      Closure::typed(Signature(host_abi(), T(K::I32), {P(), P()}), nullptr, nullptr, opts()),
      Error);
  try {
    Closure::typed(Signature::variadic(host_abi(), T(K::I32), {P(), T(K::I32)}, 1),
                   reinterpret_cast<const void *>(&descending), nullptr, opts());
    ADD_FAILURE() << "a variadic typed closure was made";
  } catch (const UnsupportedError &e) {
    EXPECT_NE(std::string(e.what()).find("variadic"), std::string::npos) << e.what();
  }
  EXPECT_EQ(Closure::live_count(), live);
}

#if defined(__x86_64__)
// Win64 (ms_abi) handlers: user_data is the third argument (r8, register form) or the fifth
// (the stack slot at 32, after the shadow space: stack form).
__attribute__((ms_abi)) std::int64_t w64_three(std::int32_t a, double b, void *ud) {
  return a * 10 + std::int64_t(b) + *static_cast<std::int64_t *>(ud);
}
__attribute__((ms_abi)) double w64_seven(double a, std::int32_t b, float c, std::int64_t d,
                                         std::int8_t e, double f, void *ud) {
  return a + b * 2 + c * 3 + double(d) * 4 + e * 5 + f * 6 + *static_cast<double *>(ud);
}

TEST_P(TypedClosures, Win64Handlers) {
  std::int64_t k = 5000;
  Closure three = Closure::typed(Signature(Abi::Win64, T(K::I64), {T(K::I32), T(K::F64)}),
                                 reinterpret_cast<const void *>(&w64_three), &k, opts());
  using Three = std::int64_t(__attribute__((ms_abi)) *)(std::int32_t, double);
  EXPECT_EQ(three.code<Three>()(7, 3.0), 5073);
  double extra = 0.5;
  Closure seven =
      Closure::typed(Signature(Abi::Win64, T(K::F64),
                               {T(K::F64), T(K::I32), T(K::F32), T(K::I64), T(K::I8), T(K::F64)}),
                     reinterpret_cast<const void *>(&w64_seven), &extra, opts());
  using Seven = double(__attribute__((ms_abi)) *)(double, std::int32_t, float, std::int64_t,
                                                  std::int8_t, double);
  EXPECT_EQ(seven.code<Seven>()(1.0, 2, 3.0f, 4, -5, 6.0), 1 + 4 + 9 + 16 - 25 + 36 + 0.5);
}
#endif

std::string param_name(const testing::TestParamInfo<std::tuple<BackendChoice, bool>> &info) {
  const BackendChoice c = std::get<0>(info.param);
  std::string s = c == BackendChoice::Jit ? "Jit" : c == BackendChoice::Libffi ? "Libffi" : "Auto";
  return s + (std::get<1>(info.param) ? "Errno" : "");
}

INSTANTIATE_TEST_SUITE_P(Backends, TypedClosures,
                         testing::Combine(testing::ValuesIn(backends()), testing::Bool()),
                         param_name);

}  // namespace
