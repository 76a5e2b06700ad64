// The libffi drop-in (compat/, issue 6) against the real libffi on S1-S8: direct/S* (a call
// through a function pointer), libffi/S* (ffi_call of the system libffi, dlopen'ed under its own
// name in this same process), compat_ffi_call/S* (ffi_call of our libffi.so.8, which this
// program links), compat_plan/S* (our ffi_call_plan_invoke), and the prepare-every-call pattern
// of ctypes on S2 through both.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <ffi.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/cases.h"

namespace {

using namespace bench;

void *targets() {
  static void *h = dlopen(JITFFI_BENCH_TARGETS, RTLD_NOW | RTLD_LOCAL);
  return h;
}
void *symbol(const char *name) {
  return targets() ? dlsym(targets(), name) : nullptr;
}

// The system libffi's entry points (its ffi_type objects are not needed: it reads contents).
struct Real {
  ffi_status (*prep_cif)(ffi_cif *, ffi_abi, unsigned, ffi_type *, ffi_type **) = nullptr;
  ffi_status (*prep_cif_var)(ffi_cif *, ffi_abi, unsigned, unsigned, ffi_type *,
                             ffi_type **) = nullptr;
  void (*call)(ffi_cif *, void (*)(void), void *, void **) = nullptr;
};
const Real &real() {
  static Real r = [] {
    Real x;
    char path[PATH_MAX];
    if (!realpath(JITFFI_SYSTEM_LIBFFI, path)) return x;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!h) return x;
    x.prep_cif = reinterpret_cast<decltype(x.prep_cif)>(dlsym(h, "ffi_prep_cif"));
    x.prep_cif_var = reinterpret_cast<decltype(x.prep_cif_var)>(dlsym(h, "ffi_prep_cif_var"));
    x.call = reinterpret_cast<decltype(x.call)>(dlsym(h, "ffi_call"));
    return x;
  }();
  return r;
}

ffi_type *v2_elems[] = {&ffi_type_double, &ffi_type_double, nullptr};
ffi_type v2_type = {0, 0, FFI_TYPE_STRUCT, v2_elems};
ffi_type *i3_elems[] = {&ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64, nullptr};
ffi_type i3_type = {0, 0, FFI_TYPE_STRUCT, i3_elems};

struct Sig {
  ffi_type *ret;
  std::vector<ffi_type *> args;
  int fixed = -1;
};

Sig sig(int k) {
  ffi_type *i = &ffi_type_sint32, *d = &ffi_type_double, *l = &ffi_type_sint64,
           *p = &ffi_type_pointer;
  switch (k) {
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

template <class PrepCif, class PrepVar>
ffi_status prep(ffi_cif *cif, Sig &s, PrepCif pc, PrepVar pv) {
  auto n = static_cast<unsigned>(s.args.size());
  if (s.fixed >= 0) return pv(cif, FFI_DEFAULT_ABI, unsigned(s.fixed), n, s.ret, s.args.data());
  return pc(cif, FFI_DEFAULT_ABI, n, s.ret, s.args.data());
}

alignas(16) unsigned char g_ret[64];

template <int K>
void register_direct() {
  benchmark::RegisterBenchmark((std::string("direct/") + kCases[K].name).c_str(),
                               [](benchmark::State &st) {
                                 Direct<K> d(symbol(kCases[K].symbol));
                                 for (auto _ : st) d();
                               });
  if constexpr (K + 1 < kCaseCount) register_direct<K + 1>();
}

void register_boxed() {
  for (int k = 0; k < kCaseCount; ++k) {
    const std::string name = kCases[k].name;
    benchmark::RegisterBenchmark(("libffi/" + name).c_str(), [k](benchmark::State &st) {
      const Real &r = real();
      if (!r.call) return st.SkipWithError("no system libffi");
      Sig s = sig(k);
      ffi_cif cif;
      if (prep(&cif, s, r.prep_cif, r.prep_cif_var) != FFI_OK)
        return st.SkipWithError("ffi_prep_cif failed");
      auto fn = FFI_FN(symbol(kCases[k].symbol));
      Args a(k);
      void *argv[12];
      for (auto _ : st) {
        // libffi 3.4.4 rewrites argv[i] for structs over 16 bytes: a fresh copy each time.
        std::memcpy(argv, a.argv, sizeof(void *) * unsigned(a.n));
        r.call(&cif, fn, g_ret, argv);
        benchmark::ClobberMemory();
      }
    });
    benchmark::RegisterBenchmark(("compat_ffi_call/" + name).c_str(), [k](benchmark::State &st) {
      Sig s = sig(k);
      ffi_cif cif;
      if (prep(&cif, s, ffi_prep_cif, ffi_prep_cif_var) != FFI_OK)
        return st.SkipWithError("ffi_prep_cif failed");
      auto fn = FFI_FN(symbol(kCases[k].symbol));
      Args a(k);
      void *argv[12];
      for (auto _ : st) {
        std::memcpy(argv, a.argv, sizeof(void *) * unsigned(a.n));  // same work as libffi/
        ffi_call(&cif, fn, g_ret, argv);
        benchmark::ClobberMemory();
      }
    });
    benchmark::RegisterBenchmark(("compat_plan/" + name).c_str(), [k](benchmark::State &st) {
      Sig s = sig(k);
      ffi_cif cif;
      if (prep(&cif, s, ffi_prep_cif, ffi_prep_cif_var) != FFI_OK)
        return st.SkipWithError("ffi_prep_cif failed");
      ffi_call_plan *plan = ffi_call_plan_alloc(&cif);
      auto fn = FFI_FN(symbol(kCases[k].symbol));
      Args a(k);
      void *argv[12];
      for (auto _ : st) {
        std::memcpy(argv, a.argv, sizeof(void *) * unsigned(a.n));
        ffi_call_plan_invoke(plan, fn, g_ret, argv);
        benchmark::ClobberMemory();
      }
      ffi_call_plan_free(plan);
    });
  }
}

// What ctypes does on every foreign call: prepare a cif on the stack, then call.
void register_prep_each_call() {
  benchmark::RegisterBenchmark("libffi_prep_call/S2", [](benchmark::State &st) {
    const Real &r = real();
    if (!r.call) return st.SkipWithError("no system libffi");
    auto fn = FFI_FN(symbol("s2"));
    Args a(1);
    for (auto _ : st) {
      ffi_cif cif;
      ffi_type *at[] = {&ffi_type_sint32, &ffi_type_sint32};
      r.prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint32, at);
      r.call(&cif, fn, g_ret, a.argv);
      benchmark::ClobberMemory();
    }
  });
  benchmark::RegisterBenchmark("compat_prep_call/S2", [](benchmark::State &st) {
    auto fn = FFI_FN(symbol("s2"));
    Args a(1);
    for (auto _ : st) {
      ffi_cif cif;
      ffi_type *at[] = {&ffi_type_sint32, &ffi_type_sint32};
      ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint32, at);
      ffi_call(&cif, fn, g_ret, a.argv);
      benchmark::ClobberMemory();
    }
  });
}

}  // namespace

int main(int argc, char **argv) {
  if (!targets()) {
    std::fprintf(stderr, "cannot load %s: %s\n", JITFFI_BENCH_TARGETS, dlerror());
    return 1;
  }
  register_direct<0>();
  register_boxed();
  register_prep_each_call();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
