// The libffi drop-in (compat/, issues 6 and 12) against the real libffi on S1-S8, in one process:
// the system libffi is dlopen'ed by its real file name with RTLD_DEEPBIND (so its ffi_* and ours,
// which this program links, never bind to each other) and called through dlsym'ed pointers.
//   direct/S*                          a call through a function pointer
//   libffi/S*, compat_ffi_call/S*      ffi_call (compat_plan/S*: our ffi_call_plan_invoke)
//   floor/S*                           a hand-written C function of ffi_call's shape for the
//                                      signature (compat_floor.c): the floor of that shape
//   libffi_prep/S*, compat_prep/S*     ffi_prep_cif with the same ffi_type objects every time
//   libffi_prep_fresh/S*, compat_prep_fresh/S*
//                                      ffi_prep_cif with new type objects (64 copies in turn,
//                                      struct sizes reset to 0) of an already seen signature
//   libffi_closure/S*, compat_closure/S*
//                                      ffi_closure_alloc + ffi_prep_closure_loc + ffi_closure_free
// and the prepare-every-call pattern of ctypes on S2 through both.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <ffi.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench/cases.h"
#include "bench/compat_floor.h"

namespace {

static_assert(std::size(jitffi_bench_floor) == bench::kCaseCount, "one floor function per case");

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
  void *(*closure_alloc)(size_t, void **) = nullptr;
  void (*closure_free)(void *) = nullptr;
  ffi_status (*prep_closure_loc)(ffi_closure *, ffi_cif *,
                                 void (*)(ffi_cif *, void *, void **, void *), void *,
                                 void *) = nullptr;
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
    x.closure_alloc = reinterpret_cast<decltype(x.closure_alloc)>(dlsym(h, "ffi_closure_alloc"));
    x.closure_free = reinterpret_cast<decltype(x.closure_free)>(dlsym(h, "ffi_closure_free"));
    x.prep_closure_loc =
        reinterpret_cast<decltype(x.prep_closure_loc)>(dlsym(h, "ffi_prep_closure_loc"));
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
      std::memcpy(argv, a.argv, sizeof argv);
      const bool rewrites = k == 6;  // libffi 3.4.4 rewrites argv[i] for structs over 16 bytes
      for (auto _ : st) {
        if (rewrites) std::memcpy(argv, a.argv, sizeof(void *) * 2);
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
      std::memcpy(argv, a.argv, sizeof argv);  // ours never writes into argv
      for (auto _ : st) {
        ffi_call(&cif, fn, g_ret, argv);
        benchmark::ClobberMemory();
      }
    });
    benchmark::RegisterBenchmark(("floor/" + name).c_str(), [k](benchmark::State &st) {
      FfiSig s = ffi_sig(k);
      ffi_cif cif;
      if (prep(&cif, s) != FFI_OK) return st.SkipWithError("ffi_prep_cif failed");
      jitffi_bench_ffi_call_fn f = jitffi_bench_floor[k];
      benchmark::DoNotOptimize(f);  // called through the pointer, as ffi_call is
      auto fn = FFI_FN(symbol(kCases[k].symbol));
      Args a(k);
      void *argv[12];
      std::memcpy(argv, a.argv, sizeof argv);
      for (auto _ : st) {
        f(&cif, fn, g_ret, argv);
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
      std::memcpy(argv, a.argv, sizeof argv);
      for (auto _ : st) {
        ffi_call_plan_invoke(plan, fn, g_ret, argv);
        benchmark::ClobberMemory();
      }
      ffi_call_plan_free(plan);
    });
  }
}

// Case k's types as new objects: a copy of each top-level ffi_type (a struct's size and alignment
// reset to 0 before each use, for ffi_prep_cif to lay out), as a client that builds its types
// for each call has.
struct FreshSig {
  FfiSig s;
  std::vector<ffi_type> nodes;
  explicit FreshSig(int k) : s(ffi_sig(k)) {
    nodes.reserve(s.args.size() + 1);
    nodes.push_back(*s.ret);
    s.ret = &nodes.back();
    for (auto &a : s.args) {
      nodes.push_back(*a);
      a = &nodes.back();
    }
  }
  void reset() {
    for (ffi_type &t : nodes)
      if (t.type == FFI_TYPE_STRUCT) t.size = 0, t.alignment = 0;
  }
};

template <class Prep, class PrepVar>
void prep_loop(benchmark::State &st, int k, bool fresh, Prep prep_cif, PrepVar prep_cif_var) {
  constexpr int kCopies = 64;
  std::vector<FreshSig> copies;
  for (int i = 0; i < (fresh ? kCopies : 1); ++i) copies.emplace_back(k);
  FfiSig cached = ffi_sig(k);
  ffi_cif cif;
  if (prep_with(&cif, cached, prep_cif, prep_cif_var) != FFI_OK)
    return st.SkipWithError("ffi_prep_cif failed");
  unsigned i = 0;
  for (auto _ : st) {
    FfiSig *s = &cached;
    if (fresh) {
      FreshSig &c = copies[i++ % kCopies];
      c.reset();
      s = &c.s;
    }
    benchmark::DoNotOptimize(prep_with(&cif, *s, prep_cif, prep_cif_var));
    benchmark::ClobberMemory();
  }
}

void register_prep() {
  for (int k = 0; k < kCaseCount; ++k) {
    const std::string name = kCases[k].name;
    for (bool fresh : {false, true}) {
      const std::string suffix = std::string(fresh ? "_fresh/" : "/") + name;
      benchmark::RegisterBenchmark(("libffi_prep" + suffix).c_str(),
                                   [k, fresh](benchmark::State &st) {
                                     const Real &r = real();
                                     if (!r.prep_cif) return st.SkipWithError("no system libffi");
                                     prep_loop(st, k, fresh, r.prep_cif, r.prep_cif_var);
                                   });
      benchmark::RegisterBenchmark(("compat_prep" + suffix).c_str(),
                                   [k, fresh](benchmark::State &st) {
                                     prep_loop(st, k, fresh, ffi_prep_cif, ffi_prep_cif_var);
                                   });
    }
  }
}

void closure_fun(ffi_cif *, void *, void **, void *) {}

// A closure's life: ffi_closure_alloc, ffi_prep_closure_loc over a prepared cif, ffi_closure_free.
template <class Alloc, class PrepLoc, class Free>
void closure_loop(benchmark::State &st, ffi_cif *cif, Alloc alloc, PrepLoc prep_loc, Free free) {
  for (auto _ : st) {
    void *code = nullptr;
    auto *c = static_cast<ffi_closure *>(alloc(sizeof(ffi_closure), &code));
    if (!c || prep_loc(c, cif, &closure_fun, nullptr, code) != FFI_OK)
      return st.SkipWithError("closure failed");
    benchmark::DoNotOptimize(code);
    free(c);
  }
}

void register_closures() {
  for (int k = 0; k < kCaseCount; ++k) {
    const std::string name = kCases[k].name;
    benchmark::RegisterBenchmark(("libffi_closure/" + name).c_str(), [k](benchmark::State &st) {
      const Real &r = real();
      if (!r.closure_alloc) return st.SkipWithError("no system libffi");
      FfiSig s = ffi_sig(k);
      ffi_cif cif;
      if (prep_with(&cif, s, r.prep_cif, r.prep_cif_var) != FFI_OK)
        return st.SkipWithError("ffi_prep_cif failed");
      closure_loop(st, &cif, r.closure_alloc, r.prep_closure_loc, r.closure_free);
    });
    benchmark::RegisterBenchmark(("compat_closure/" + name).c_str(), [k](benchmark::State &st) {
      FfiSig s = ffi_sig(k);
      ffi_cif cif;
      if (prep(&cif, s) != FFI_OK) return st.SkipWithError("ffi_prep_cif failed");
      closure_loop(st, &cif, ffi_closure_alloc, ffi_prep_closure_loc, ffi_closure_free);
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

// The console output, then one table per operation: each S with direct, libffi and ours side by
// side (medians when repeated, CPU time) and the ratios the targets are stated in.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run> &runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run &r : runs) {
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.error_occurred || (r.run_type == Run::RT_Aggregate && !median)) continue;
      // A median replaces the single runs of its benchmark.
      if (median || !ns_.count(r.run_name.str())) ns_[r.run_name.str()] = r.GetAdjustedCPUTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    auto get = [&](const std::string &row, const char *s) {
      auto it = ns_.find(row + "/" + s);
      return it == ns_.end() ? -1.0 : it->second;
    };
    auto cell = [](double v) {
      char b[32];
      if (v < 0)
        std::snprintf(b, sizeof b, "%9s", "-");
      else
        std::snprintf(b, sizeof b, "%9.2f", v);
      return std::string(b);
    };
    auto ratio = [&](double a, double b) { return cell(a < 0 || b <= 0 ? -1 : a / b); };
    std::printf("\nSummary (ns, CPU time%s; ratio columns: ours / other)\n",
                ns_.empty() ? "" : ", medians when repeated");
    std::printf("%-4s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "", "direct", "call/ffi",
                "call/ours", "ours/dir", "ours/ffi", "prep/ffi", "prep/ours", "ours/ffi",
                "fresh/ffi", "fresh/our", "ours/ffi", "clos/ffi");
    for (int k = 0; k < kCaseCount; ++k) {
      const char *s = kCases[k].name;
      const double d = get("direct", s), lc = get("libffi", s), cc = get("compat_ffi_call", s),
                   lp = get("libffi_prep", s), cp = get("compat_prep", s),
                   lf = get("libffi_prep_fresh", s), cf = get("compat_prep_fresh", s);
      std::printf("%-4s%s%s%s%s%s%s%s%s%s%s%s%s\n", s, cell(d).c_str(), cell(lc).c_str(),
                  cell(cc).c_str(), ratio(cc, d).c_str(), ratio(cc, lc).c_str(), cell(lp).c_str(),
                  cell(cp).c_str(), ratio(cp, lp).c_str(), cell(lf).c_str(), cell(cf).c_str(),
                  ratio(cf, lf).c_str(), cell(get("libffi_closure", s)).c_str());
    }
    // ffi_call against the floor of its shape (floor/S*: hand-written C, ffi_call's parameters).
    std::printf("\n%-4s %9s %9s %9s %9s %9s %9s %9s\n", "", "direct", "floor", "call/ours",
                "call/ffi", "floor/dir", "ours/dir", "ours/flr");
    for (int k = 0; k < kCaseCount; ++k) {
      const char *s = kCases[k].name;
      const double d = get("direct", s), f = get("floor", s), cc = get("compat_ffi_call", s);
      std::printf("%-4s%s%s%s%s%s%s%s\n", s, cell(d).c_str(), cell(f).c_str(), cell(cc).c_str(),
                  cell(get("libffi", s)).c_str(), ratio(f, d).c_str(), ratio(cc, d).c_str(),
                  ratio(cc, f).c_str());
    }
    std::printf("\n%-4s %9s %9s %9s\n", "", "clos/ffi", "clos/ours", "ours/ffi");
    for (int k = 0; k < kCaseCount; ++k) {
      const char *s = kCases[k].name;
      const double lc = get("libffi_closure", s), cc = get("compat_closure", s);
      std::printf("%-4s%s%s%s\n", s, cell(lc).c_str(), cell(cc).c_str(), ratio(cc, lc).c_str());
    }
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace

int main(int argc, char **argv) {
  if (!targets()) {
    std::fprintf(stderr, "cannot load %s: %s\n", JITFFI_BENCH_TARGETS, dlerror());
    return 1;
  }
  register_direct<0>();
  register_boxed();
  register_prep_each_call();
  register_prep();
  register_closures();
  benchmark::Initialize(&argc, argv);
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
