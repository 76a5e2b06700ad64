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
      FfiSig s = ffi_sig(k);
      ffi_cif cif;
      if (prep_with(&cif, s, r.prep_cif, r.prep_cif_var) != FFI_OK)
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
      FfiSig s = ffi_sig(k);
      ffi_cif cif;
      if (prep(&cif, s) != FFI_OK) return st.SkipWithError("ffi_prep_cif failed");
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
      FfiSig s = ffi_sig(k);
      ffi_cif cif;
      if (prep(&cif, s) != FFI_OK) return st.SkipWithError("ffi_prep_cif failed");
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
