// The benchmark signatures S1-S8 (issue 3), shared by jitffi_bench (timings) and
// jitffi_callcount (instruction counts under callgrind): their text, boxed arguments, libffi's
// view of them, the direct call of each, and a hand-written C++ boxed stub for each.
#pragma once

#include <benchmark/benchmark.h>
#include <ffi.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace bench {

// The layouts of bench/targets.h's V2 and I3 (the targets' C view).
struct V2 {
  double x, y;
};
struct I3 {
  std::int64_t a, b, c;
};

struct Case {
  const char *name;
  const char *sig;
  const char *symbol;
};

// Compact syntax for each case; S8 is called as s8(fmt, int, double, long).
inline constexpr Case kCases[] = {
    {"S1", "void()", "s1"},
    {"S2", "i32(i32,i32)", "s2"},
    {"S3", "f64(f64,f64,f64,f64)", "s3"},
    {"S4", "i64(i64,f64,i64,i64,f64,i64,i64,i64)", "s4"},
    {"S5", "f64(i32,f64,ptr,i32,f64,i64,ptr,f64,i32,i32,ptr,f64)", "s5"},
    {"S6", "{f64,f64}({f64,f64},{f64,f64})", "s6"},
    {"S7", "{i64,i64,i64}({i64,i64,i64},{i64,i64,i64})", "s7"},
    {"S8", "i32(ptr,...,i32,f64,i64)", "s8"},
};
inline constexpr int kCaseCount = int(sizeof(kCases) / sizeof(kCases[0]));

// Argument storage shared by the boxed rows (JIT, libffi, C++ stub) of a case.
struct Args {
  std::int32_t i1 = 3, i2 = 4;
  double d[6] = {1.5, 2.5, 3.5, 4.5, 5.5, 6.5};
  std::int64_t l[6] = {10, 20, 30, 40, 50, 60};
  void *p[3] = {nullptr, nullptr, nullptr};
  V2 v1{1, 2}, v2{3, 4};
  I3 t1{1, 2, 3}, t2{4, 5, 6};
  const char *fmt = "x";
  void *argv[12] = {};
  // The same arguments for the slot entry: values (signed integers sign-extended), structs by
  // address.
  std::uint64_t slots[12] = {};
  int n = 0;

  explicit Args(int which) {
    auto push = [&](auto *a) {
      using T = std::remove_cv_t<std::remove_pointer_t<decltype(a)>>;
      argv[n] = a;
      if constexpr (std::is_class_v<T>)
        slots[n] = reinterpret_cast<std::uintptr_t>(a);
      else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
        slots[n] = std::uint64_t(std::int64_t(*a));
      else
        std::memcpy(&slots[n], a, sizeof(T));
      ++n;
    };
    switch (which) {
      case 0:
        break;
      case 1:
        push(&i1), push(&i2);
        break;
      case 2:
        push(&d[0]), push(&d[1]), push(&d[2]), push(&d[3]);
        break;
      case 3:
        push(&l[0]), push(&d[0]), push(&l[1]), push(&l[2]), push(&d[1]), push(&l[3]), push(&l[4]),
            push(&l[5]);
        break;
      case 4:
        push(&i1), push(&d[0]), push(&p[0]), push(&i2), push(&d[1]), push(&l[0]), push(&p[1]),
            push(&d[2]), push(&i1), push(&i2), push(&p[2]), push(&d[3]);
        break;
      case 5:
        push(&v1), push(&v2);
        break;
      case 6:
        push(&t1), push(&t2);
        break;
      case 7:
        push(&fmt), push(&i1), push(&d[0]), push(&l[0]);
        break;
    }
  }
  Args(const Args &) = delete;
  Args &operator=(const Args &) = delete;
};

// libffi's view of the same signatures.
struct FfiSig {
  ffi_type *ret;
  std::vector<ffi_type *> args;
  int fixed = -1;
};
// Header-only so that bench_compat, which links our libffi.so.8 and not the system one, builds
// the same table against its own ffi_type_* objects.
inline ffi_type *v2_elems[] = {&ffi_type_double, &ffi_type_double, nullptr};
inline ffi_type v2_type = {0, 0, FFI_TYPE_STRUCT, v2_elems};
inline ffi_type *i3_elems[] = {&ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64, nullptr};
inline ffi_type i3_type = {0, 0, FFI_TYPE_STRUCT, i3_elems};

inline FfiSig ffi_sig(int which) {
  ffi_type *i = &ffi_type_sint32, *d = &ffi_type_double, *p = &ffi_type_pointer,
           *l = &ffi_type_sint64;
  switch (which) {
    case 0:
      return {&ffi_type_void, {}};
    case 1:
      return {i, {i, i}};
    case 2:
      return {d, {d, d, d, d}};
    case 3:
      return {l, {l, d, l, l, d, l, l, l}};
    case 4:
      return {d, {i, d, p, i, d, l, p, d, i, i, p, d}};
    case 5:
      return {&v2_type, {&v2_type, &v2_type}};
    case 6:
      return {&i3_type, {&i3_type, &i3_type}};
    default:
      return {i, {p, i, d, l}, 1};
  }
}

// Prepares `s` with the given ffi_prep_cif / ffi_prep_cif_var (another library's entry points
// in bench_compat), or with the ones this program links.
template <class PrepCif, class PrepVar>
ffi_status prep_with(ffi_cif *cif, FfiSig &s, PrepCif prep_cif, PrepVar prep_cif_var,
                     ffi_abi abi = FFI_DEFAULT_ABI) {
  const auto n = static_cast<unsigned>(s.args.size());
  if (s.fixed >= 0) return prep_cif_var(cif, abi, unsigned(s.fixed), n, s.ret, s.args.data());
  return prep_cif(cif, abi, n, s.ret, s.args.data());
}
inline ffi_status prep(ffi_cif *cif, FfiSig &s, ffi_abi abi = FFI_DEFAULT_ABI) {
  return prep_with(cif, s, ffi_prep_cif, ffi_prep_cif_var, abi);
}

// Hand-written boxed stubs `void stub(void *fn, void *ret, void **args)`, compiled -O2 in their
// own file (cases.cpp): the floor a boxed interface costs when the compiler writes it.
using BoxedStub = void (*)(void *fn, void *ret, void **args);
extern const BoxedStub kCxxStubs[kCaseCount];

// Value and slot entries written by hand in C++ (`R (void *fn, void **args)` and
// `R (void *fn, const std::uint64_t *slots)`, R = Ret<K>::type; S7's result comes back through
// the caller's hidden pointer): the floor for the entry shapes, called as call_entry<K> calls
// the JIT's.
extern void *const kCxxValue[kCaseCount];
extern void *const kCxxSlots[kCaseCount];

// The floor for a closure with a boxed handler: int(int,int) written by hand in C++, boxing its
// arguments and calling handler(ret, args, user_data) through a pointer, as the JIT's entry does.
using BoxedHandler = void (*)(void *ret, void **args, void *user_data);
extern BoxedHandler g_cxx_closure_handler;
extern void *g_cxx_closure_user_data;
int cxx_closure_s2(int a, int b);

// The result type of each case, to call its value and slot entries (S7's result is in memory:
// it has none).
template <int K>
struct Ret {
  using type = int;
};
template <>
struct Ret<0> {
  using type = void;
};
template <>
struct Ret<2> {
  using type = double;
};
template <>
struct Ret<3> {
  using type = std::int64_t;
};
template <>
struct Ret<4> {
  using type = double;
};
template <>
struct Ret<5> {
  using type = V2;
};
template <>
struct Ret<6> {
  using type = I3;
};

// One call of case K's value entry (In = void **) or slot entry (In = const std::uint64_t *),
// the result taken as the C++ return type.
template <int K, class In>
[[gnu::always_inline]] inline void call_entry(void *entry, void *fn, In in) {
  using R = typename Ret<K>::type;
  auto f = reinterpret_cast<R (*)(void *, In)>(entry);
  benchmark::DoNotOptimize(f);
  if constexpr (std::is_void_v<R>) {
    f(fn, in);
  } else {
    R r = f(fn, in);
    benchmark::DoNotOptimize(r);
  }
}

// One direct call of case K through a function pointer the compiler cannot see through, with
// the same arguments as the boxed rows. `Direct<K> d(fn); d();` inside a timing loop.
template <int K>
struct Direct;

template <>
struct Direct<0> {
  void (*f)();
  explicit Direct(void *p) : f(reinterpret_cast<void (*)()>(p)) {}
  [[gnu::always_inline]] void operator()() {
    benchmark::DoNotOptimize(f);
    f();
  }
};
template <>
struct Direct<1> {
  int (*f)(int, int);
  int a = 3, b = 4;
  explicit Direct(void *p) : f(reinterpret_cast<decltype(f)>(p)) {}
  [[gnu::always_inline]] void operator()() {
    benchmark::DoNotOptimize(f);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(f(a, b));
  }
};
template <>
struct Direct<2> {
  double (*f)(double, double, double, double);
  double a = 1.5, b = 2.5, c = 3.5, d = 4.5;
  explicit Direct(void *p) : f(reinterpret_cast<decltype(f)>(p)) {}
  [[gnu::always_inline]] void operator()() {
    benchmark::DoNotOptimize(f);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(f(a, b, c, d));
  }
};
template <>
struct Direct<3> {
  std::int64_t (*f)(std::int64_t, double, std::int64_t, std::int64_t, double, std::int64_t,
                    std::int64_t, std::int64_t);
  std::int64_t a = 10;
  double d = 1.5;
  explicit Direct(void *p) : f(reinterpret_cast<decltype(f)>(p)) {}
  [[gnu::always_inline]] void operator()() {
    benchmark::DoNotOptimize(f);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(f(a, d, 20, 30, 2.5, 40, 50, 60));
  }
};
template <>
struct Direct<4> {
  double (*f)(int, double, void *, int, double, std::int64_t, void *, double, int, int, void *,
              double);
  int a = 3;
  double d = 1.5;
  explicit Direct(void *p) : f(reinterpret_cast<decltype(f)>(p)) {}
  [[gnu::always_inline]] void operator()() {
    benchmark::DoNotOptimize(f);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(f(a, d, nullptr, 4, 2.5, 10, nullptr, 3.5, a, 4, nullptr, 4.5));
  }
};
template <>
struct Direct<5> {
  V2 (*f)(V2, V2);
  V2 a{1, 2}, b{3, 4};
  explicit Direct(void *p) : f(reinterpret_cast<decltype(f)>(p)) {}
  [[gnu::always_inline]] void operator()() {
    benchmark::DoNotOptimize(f);
    benchmark::DoNotOptimize(a);
    V2 r = f(a, b);
    benchmark::DoNotOptimize(r);
  }
};
template <>
struct Direct<6> {
  I3 (*f)(I3, I3);
  I3 a{1, 2, 3}, b{4, 5, 6};
  explicit Direct(void *p) : f(reinterpret_cast<decltype(f)>(p)) {}
  [[gnu::always_inline]] void operator()() {
    benchmark::DoNotOptimize(f);
    benchmark::DoNotOptimize(a);
    I3 r = f(a, b);
    benchmark::DoNotOptimize(r);
  }
};
template <>
struct Direct<7> {
  int (*f)(const char *, ...);
  const char *fmt = "x";
  int i = 3;
  explicit Direct(void *p) : f(reinterpret_cast<decltype(f)>(p)) {}
  [[gnu::always_inline]] void operator()() {
    benchmark::DoNotOptimize(f);
    benchmark::DoNotOptimize(i);
    benchmark::DoNotOptimize(f(fmt, i, 1.5, 10L));
  }
};

}  // namespace bench
