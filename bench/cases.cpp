// libffi types of S1-S8 and the hand-written C++ boxed stubs (see cases.h).
#include "bench/cases.h"

#include <cstring>

namespace bench {

namespace {

ffi_type *v2_elems[] = {&ffi_type_double, &ffi_type_double, nullptr};
ffi_type v2_type = {0, 0, FFI_TYPE_STRUCT, v2_elems};
ffi_type *i3_elems[] = {&ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64, nullptr};
ffi_type i3_type = {0, 0, FFI_TYPE_STRUCT, i3_elems};

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

FfiSig ffi_sig(int which) {
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

ffi_status prep(ffi_cif *cif, FfiSig &s, ffi_abi abi) {
  if (s.fixed >= 0)
    return ffi_prep_cif_var(cif, abi, unsigned(s.fixed), unsigned(s.args.size()), s.ret,
                            s.args.data());
  return ffi_prep_cif(cif, abi, unsigned(s.args.size()), s.ret, s.args.data());
}

}  // namespace bench
