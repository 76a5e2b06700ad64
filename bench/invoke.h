// Typed calls of S1-S8 for jitffi_bench and jitffi_callcount: through a Function::as<F>() handle
// (the value entry), or the way Function::invoke made them before the value entry (boxed).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "bench/cases.h"
#include "jitffi/jitffi.hpp"

namespace bench {

// Function::invoke's code before the value entry (commit 5074337): one args[] slot per argument
// through an asm barrier, the boxed call into a buffer, a copy out.
template <class R, class... A>
[[gnu::always_inline]] inline R boxed_invoke(const jitffi::Function &fn, A... a) {
  auto slot = [](const void *cp) {
    void *p = const_cast<void *>(cp);
    asm("" : "+r"(p));
    return p;
  };
  (void)slot;  // unused without arguments
  void *args[sizeof...(A) ? sizeof...(A) : 1] = {slot(&a)...};
  if constexpr (std::is_void_v<R>) {
    fn.call(nullptr, args);
  } else {
    alignas(16) unsigned char buf[sizeof(R) < 8 ? 8 : sizeof(R)];
    fn.call(buf, args);
    R r;
    std::memcpy(&r, buf, sizeof(R));
    return r;
  }
}

// A typed call of case K with the direct rows' arguments, through `call` (a typed handle or
// boxed_invoke).
template <int K>
struct Invoke;
template <int K>
struct InvokeBase {
  explicit InvokeBase(void *target)
      : fn(jitffi::Signature::parse(kCases[K].sig), target, {jitffi::BackendChoice::Jit}) {}
  jitffi::Function fn;
};
template <>
struct Invoke<0> : InvokeBase<0> {
  using InvokeBase::InvokeBase;
  using R = void;
  using F = void();
  template <class C>
  [[gnu::always_inline]] void run(C &&call) {
    call();
  }
};
template <>
struct Invoke<1> : InvokeBase<1> {
  using InvokeBase::InvokeBase;
  using R = int;
  using F = int(int, int);
  int a = 3, b = 4;
  template <class C>
  [[gnu::always_inline]] void run(C &&call) {
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(call(a, b));
  }
};
template <>
struct Invoke<2> : InvokeBase<2> {
  using InvokeBase::InvokeBase;
  using R = double;
  using F = double(double, double, double, double);
  double a = 1.5, b = 2.5, c = 3.5, d = 4.5;
  template <class C>
  [[gnu::always_inline]] void run(C &&call) {
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(call(a, b, c, d));
  }
};
template <>
struct Invoke<3> : InvokeBase<3> {
  using InvokeBase::InvokeBase;
  using R = std::int64_t;
  using F = std::int64_t(std::int64_t, double, std::int64_t, std::int64_t, double, std::int64_t,
                         std::int64_t, std::int64_t);
  std::int64_t a = 10;
  double d = 1.5;
  template <class C>
  [[gnu::always_inline]] void run(C &&call) {
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(call(a, d, std::int64_t{20}, std::int64_t{30}, 2.5, std::int64_t{40},
                                  std::int64_t{50}, std::int64_t{60}));
  }
};
template <>
struct Invoke<4> : InvokeBase<4> {
  using InvokeBase::InvokeBase;
  using R = double;
  using F = double(int, double, void *, int, double, std::int64_t, void *, double, int, int, void *,
                   double);
  int a = 3;
  double d = 1.5;
  void *p = nullptr;
  template <class C>
  [[gnu::always_inline]] void run(C &&call) {
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(call(a, d, p, 4, 2.5, std::int64_t{10}, p, 3.5, a, 4, p, 4.5));
  }
};
template <>
struct Invoke<5> : InvokeBase<5> {
  using InvokeBase::InvokeBase;
  using R = V2;
  using F = V2(V2, V2);
  V2 a{1, 2}, b{3, 4};
  template <class C>
  [[gnu::always_inline]] void run(C &&call) {
    benchmark::DoNotOptimize(a);
    V2 r = call(a, b);
    benchmark::DoNotOptimize(r);
  }
};
template <>
struct Invoke<6> : InvokeBase<6> {
  using InvokeBase::InvokeBase;
  using R = I3;
  using F = I3(I3, I3);
  I3 a{1, 2, 3}, b{4, 5, 6};
  template <class C>
  [[gnu::always_inline]] void run(C &&call) {
    benchmark::DoNotOptimize(a);
    I3 r = call(a, b);
    benchmark::DoNotOptimize(r);
  }
};
template <>
struct Invoke<7> : InvokeBase<7> {
  using InvokeBase::InvokeBase;
  using R = int;
  using F = int(const char *, int, double, std::int64_t);
  const char *fmt = "x";
  int i = 3;
  template <class C>
  [[gnu::always_inline]] void run(C &&call) {
    benchmark::DoNotOptimize(i);
    benchmark::DoNotOptimize(call(fmt, i, 1.5, std::int64_t{10}));
  }
};

}  // namespace bench
