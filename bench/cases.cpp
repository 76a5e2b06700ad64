// libffi types of S1-S8 and the hand-written C++ boxed stubs (see cases.h).
#include "bench/cases.h"

#include <cstring>
#include <type_traits>

namespace bench {

namespace {

template <class T>
T arg(void **args, int i) {
  T v;
  std::memcpy(&v, args[i], sizeof(T));
  return v;
}

// What a C++ programmer would write by hand for each signature: unbox, call, box the result
// (narrow integers widened to 64 bits, as the JIT does).
void cxx_s1(void *fn, void *, void **) {
  reinterpret_cast<void (*)()>(fn)();
}
void cxx_s2(void *fn, void *ret, void **a) {
  *static_cast<std::int64_t *>(ret) =
      reinterpret_cast<int (*)(int, int)>(fn)(arg<int>(a, 0), arg<int>(a, 1));
}
void cxx_s3(void *fn, void *ret, void **a) {
  *static_cast<double *>(ret) = reinterpret_cast<double (*)(double, double, double, double)>(fn)(
      arg<double>(a, 0), arg<double>(a, 1), arg<double>(a, 2), arg<double>(a, 3));
}
void cxx_s4(void *fn, void *ret, void **a) {
  using F = std::int64_t (*)(std::int64_t, double, std::int64_t, std::int64_t, double, std::int64_t,
                             std::int64_t, std::int64_t);
  *static_cast<std::int64_t *>(ret) = reinterpret_cast<F>(fn)(
      arg<std::int64_t>(a, 0), arg<double>(a, 1), arg<std::int64_t>(a, 2), arg<std::int64_t>(a, 3),
      arg<double>(a, 4), arg<std::int64_t>(a, 5), arg<std::int64_t>(a, 6), arg<std::int64_t>(a, 7));
}
void cxx_s5(void *fn, void *ret, void **a) {
  using F = double (*)(int, double, void *, int, double, std::int64_t, void *, double, int, int,
                       void *, double);
  *static_cast<double *>(ret) = reinterpret_cast<F>(fn)(
      arg<int>(a, 0), arg<double>(a, 1), arg<void *>(a, 2), arg<int>(a, 3), arg<double>(a, 4),
      arg<std::int64_t>(a, 5), arg<void *>(a, 6), arg<double>(a, 7), arg<int>(a, 8), arg<int>(a, 9),
      arg<void *>(a, 10), arg<double>(a, 11));
}
void cxx_s6(void *fn, void *ret, void **a) {
  *static_cast<V2 *>(ret) = reinterpret_cast<V2 (*)(V2, V2)>(fn)(arg<V2>(a, 0), arg<V2>(a, 1));
}
void cxx_s7(void *fn, void *ret, void **a) {
  *static_cast<I3 *>(ret) = reinterpret_cast<I3 (*)(I3, I3)>(fn)(arg<I3>(a, 0), arg<I3>(a, 1));
}
void cxx_s8(void *fn, void *ret, void **a) {
  *static_cast<std::int64_t *>(ret) = reinterpret_cast<int (*)(const char *, ...)>(fn)(
      arg<const char *>(a, 0), arg<int>(a, 1), arg<double>(a, 2), arg<long>(a, 3));
}

}  // namespace

const BoxedStub kCxxStubs[kCaseCount] = {cxx_s1, cxx_s2, cxx_s3, cxx_s4,
                                         cxx_s5, cxx_s6, cxx_s7, cxx_s8};

namespace {

// Value and slot entries written by hand in C++ (issue 12): what g++ makes of `R (fn, args)` and
// `R (fn, slots)` for each signature; where no argument goes on the stack it ends in a tail jump,
// like the JIT's entries. Slots hold the values (integers extended to 64 bits, structs by
// address). Each starts a 64-byte line, as every JIT stub does (ExecMemory hands out 64-byte
// aligned blocks): packed 16 bytes apart, cxx_slots/S2 shared a line with value_s8's and
// slots_s3's jumps and cost 9.7 ns a call against 1.5 for its neighbours on the Zen 5.
template <class T>
T slot(const std::uint64_t *s, int i) {
  if constexpr (std::is_class_v<T>) {
    T v;
    std::memcpy(&v, reinterpret_cast<const void *>(s[i]), sizeof(T));
    return v;
  } else {
    T v;
    std::memcpy(&v, &s[i], sizeof(T));  // the low bytes (little-endian)
    return v;
  }
}

using F4 = std::int64_t (*)(std::int64_t, double, std::int64_t, std::int64_t, double, std::int64_t,
                            std::int64_t, std::int64_t);
using F5 = double (*)(int, double, void *, int, double, std::int64_t, void *, double, int, int,
                      void *, double);

[[gnu::aligned(64)]] void value_s1(void *fn, void **) {
  reinterpret_cast<void (*)()>(fn)();
}
[[gnu::aligned(64)]] int value_s2(void *fn, void **a) {
  return reinterpret_cast<int (*)(int, int)>(fn)(arg<int>(a, 0), arg<int>(a, 1));
}
[[gnu::aligned(64)]] double value_s3(void *fn, void **a) {
  return reinterpret_cast<double (*)(double, double, double, double)>(fn)(
      arg<double>(a, 0), arg<double>(a, 1), arg<double>(a, 2), arg<double>(a, 3));
}
[[gnu::aligned(64)]] std::int64_t value_s4(void *fn, void **a) {
  return reinterpret_cast<F4>(fn)(
      arg<std::int64_t>(a, 0), arg<double>(a, 1), arg<std::int64_t>(a, 2), arg<std::int64_t>(a, 3),
      arg<double>(a, 4), arg<std::int64_t>(a, 5), arg<std::int64_t>(a, 6), arg<std::int64_t>(a, 7));
}
[[gnu::aligned(64)]] double value_s5(void *fn, void **a) {
  return reinterpret_cast<F5>(fn)(arg<int>(a, 0), arg<double>(a, 1), arg<void *>(a, 2),
                                  arg<int>(a, 3), arg<double>(a, 4), arg<std::int64_t>(a, 5),
                                  arg<void *>(a, 6), arg<double>(a, 7), arg<int>(a, 8),
                                  arg<int>(a, 9), arg<void *>(a, 10), arg<double>(a, 11));
}
[[gnu::aligned(64)]] V2 value_s6(void *fn, void **a) {
  return reinterpret_cast<V2 (*)(V2, V2)>(fn)(arg<V2>(a, 0), arg<V2>(a, 1));
}
// The result in memory: the caller's hidden result pointer (rdi) is handed on to the target.
[[gnu::aligned(64)]] I3 value_s7(void *fn, void **a) {
  return reinterpret_cast<I3 (*)(I3, I3)>(fn)(arg<I3>(a, 0), arg<I3>(a, 1));
}
[[gnu::aligned(64)]] int value_s8(void *fn, void **a) {
  return reinterpret_cast<int (*)(const char *, ...)>(fn)(arg<const char *>(a, 0), arg<int>(a, 1),
                                                          arg<double>(a, 2), arg<long>(a, 3));
}

[[gnu::aligned(64)]] void slots_s1(void *fn, const std::uint64_t *) {
  reinterpret_cast<void (*)()>(fn)();
}
[[gnu::aligned(64)]] int slots_s2(void *fn, const std::uint64_t *s) {
  return reinterpret_cast<int (*)(int, int)>(fn)(slot<int>(s, 0), slot<int>(s, 1));
}
[[gnu::aligned(64)]] double slots_s3(void *fn, const std::uint64_t *s) {
  return reinterpret_cast<double (*)(double, double, double, double)>(fn)(
      slot<double>(s, 0), slot<double>(s, 1), slot<double>(s, 2), slot<double>(s, 3));
}
[[gnu::aligned(64)]] std::int64_t slots_s4(void *fn, const std::uint64_t *s) {
  return reinterpret_cast<F4>(fn)(slot<std::int64_t>(s, 0), slot<double>(s, 1),
                                  slot<std::int64_t>(s, 2), slot<std::int64_t>(s, 3),
                                  slot<double>(s, 4), slot<std::int64_t>(s, 5),
                                  slot<std::int64_t>(s, 6), slot<std::int64_t>(s, 7));
}
[[gnu::aligned(64)]] double slots_s5(void *fn, const std::uint64_t *s) {
  return reinterpret_cast<F5>(fn)(slot<int>(s, 0), slot<double>(s, 1), slot<void *>(s, 2),
                                  slot<int>(s, 3), slot<double>(s, 4), slot<std::int64_t>(s, 5),
                                  slot<void *>(s, 6), slot<double>(s, 7), slot<int>(s, 8),
                                  slot<int>(s, 9), slot<void *>(s, 10), slot<double>(s, 11));
}
[[gnu::aligned(64)]] V2 slots_s6(void *fn, const std::uint64_t *s) {
  return reinterpret_cast<V2 (*)(V2, V2)>(fn)(slot<V2>(s, 0), slot<V2>(s, 1));
}
[[gnu::aligned(64)]] I3 slots_s7(void *fn, const std::uint64_t *s) {
  return reinterpret_cast<I3 (*)(I3, I3)>(fn)(slot<I3>(s, 0), slot<I3>(s, 1));
}
[[gnu::aligned(64)]] int slots_s8(void *fn, const std::uint64_t *s) {
  return reinterpret_cast<int (*)(const char *, ...)>(fn)(slot<const char *>(s, 0), slot<int>(s, 1),
                                                          slot<double>(s, 2), slot<long>(s, 3));
}

}  // namespace

void *const kCxxValue[kCaseCount] = {
    reinterpret_cast<void *>(value_s1), reinterpret_cast<void *>(value_s2),
    reinterpret_cast<void *>(value_s3), reinterpret_cast<void *>(value_s4),
    reinterpret_cast<void *>(value_s5), reinterpret_cast<void *>(value_s6),
    reinterpret_cast<void *>(value_s7), reinterpret_cast<void *>(value_s8)};
void *const kCxxSlots[kCaseCount] = {
    reinterpret_cast<void *>(slots_s1), reinterpret_cast<void *>(slots_s2),
    reinterpret_cast<void *>(slots_s3), reinterpret_cast<void *>(slots_s4),
    reinterpret_cast<void *>(slots_s5), reinterpret_cast<void *>(slots_s6),
    reinterpret_cast<void *>(slots_s7), reinterpret_cast<void *>(slots_s8)};

BoxedHandler g_cxx_closure_handler = nullptr;
void *g_cxx_closure_user_data = nullptr;

int cxx_closure_s2(int a, int b) {
  void *args[2] = {&a, &b};
  alignas(8) std::int64_t ret;  // narrow results come back widened, as from a JIT closure
  g_cxx_closure_handler(&ret, args, g_cxx_closure_user_data);
  return int(ret);
}

}  // namespace bench
