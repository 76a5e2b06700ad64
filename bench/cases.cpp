// libffi types of S1-S8 and the hand-written C++ boxed stubs (see cases.h).
#include "bench/cases.h"

#include <cstring>

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

BoxedHandler g_cxx_closure_handler = nullptr;
void *g_cxx_closure_user_data = nullptr;

int cxx_closure_s2(int a, int b) {
  void *args[2] = {&a, &b};
  alignas(8) std::int64_t ret;  // narrow results come back widened, as from a JIT closure
  g_cxx_closure_handler(&ret, args, g_cxx_closure_user_data);
  return int(ret);
}

}  // namespace bench
