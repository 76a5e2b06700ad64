// Call-cost benchmarks (issue 3): direct call vs jitffi's JIT vs libffi, on signatures S1-S8,
// plus closures, preparing a new signature, and a stub-cache hit. All rows of one run are
// measured in the same process; bench/report.py turns the JSON into ratios to direct/*.
#include <benchmark/benchmark.h>
#include <ffi.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "abi/call_plan.h"
#include "jit/stub.h"
#include "jitffi/jitffi.hpp"

namespace {

struct V2 {
  double x, y;
};
struct I3 {
  std::int64_t a, b, c;
};

const jitffi::Library &targets() {
  static const jitffi::Library lib = jitffi::Library::open(JITFFI_BENCH_TARGETS);
  return lib;
}

template <class F>
F target(const char *name) {
  return reinterpret_cast<F>(targets().symbol(name));
}

// One benchmark signature: its text, its target, boxed arguments and a libffi cif.
struct Case {
  const char *name;
  const char *sig;
  const char *symbol;
};

// Compact syntax for each case; S8 is called as s8(fmt, int, double, long).
constexpr Case kCases[] = {
    {"S1", "void()", "s1"},
    {"S2", "i32(i32,i32)", "s2"},
    {"S3", "f64(f64,f64,f64,f64)", "s3"},
    {"S4", "i64(i64,f64,i64,i64,f64,i64,i64,i64)", "s4"},
    {"S5", "f64(i32,f64,ptr,i32,f64,i64,ptr,f64,i32,i32,ptr,f64)", "s5"},
    {"S6", "{f64,f64}({f64,f64},{f64,f64})", "s6"},
    {"S7", "{i64,i64,i64}({i64,i64,i64},{i64,i64,i64})", "s7"},
    {"S8", "i32(ptr,...,i32,f64,i64)", "s8"},
};

// Argument storage shared by the JIT and libffi rows of a case.
struct Args {
  std::int32_t i1 = 3, i2 = 4;
  double d[6] = {1.5, 2.5, 3.5, 4.5, 5.5, 6.5};
  std::int64_t l[6] = {10, 20, 30, 40, 50, 60};
  void *p[3] = {nullptr, nullptr, nullptr};
  V2 v1{1, 2}, v2{3, 4};
  I3 t1{1, 2, 3}, t2{4, 5, 6};
  const char *fmt = "x";
  void *argv[12] = {};
  int n = 0;

  explicit Args(int which) {
    auto push = [&](void *a) { argv[n++] = a; };
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
};

// libffi's view of the same signatures.
ffi_type *v2_elems[] = {&ffi_type_double, &ffi_type_double, nullptr};
ffi_type v2_type = {0, 0, FFI_TYPE_STRUCT, v2_elems};
ffi_type *i3_elems[] = {&ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64, nullptr};
ffi_type i3_type = {0, 0, FFI_TYPE_STRUCT, i3_elems};

struct FfiSig {
  ffi_type *ret;
  std::vector<ffi_type *> args;
  int fixed = -1;
};

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

ffi_status prep(ffi_cif *cif, FfiSig &s) {
  if (s.fixed >= 0)
    return ffi_prep_cif_var(cif, FFI_DEFAULT_ABI, unsigned(s.fixed), unsigned(s.args.size()), s.ret,
                            s.args.data());
  return ffi_prep_cif(cif, FFI_DEFAULT_ABI, unsigned(s.args.size()), s.ret, s.args.data());
}

alignas(16) unsigned char g_ret[64];

// direct/S*: a call through a function pointer the compiler cannot see through.
void register_direct() {
  benchmark::RegisterBenchmark("direct/S1", [](benchmark::State &st) {
    auto f = target<void (*)()>("s1");
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      f();
    }
  });
  benchmark::RegisterBenchmark("direct/S2", [](benchmark::State &st) {
    auto f = target<int (*)(int, int)>("s2");
    int a = 3, b = 4;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, b));
    }
  });
  benchmark::RegisterBenchmark("direct/S3", [](benchmark::State &st) {
    auto f = target<double (*)(double, double, double, double)>("s3");
    double a = 1.5, b = 2.5, c = 3.5, d = 4.5;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, b, c, d));
    }
  });
  benchmark::RegisterBenchmark("direct/S4", [](benchmark::State &st) {
    auto f = target<std::int64_t (*)(std::int64_t, double, std::int64_t, std::int64_t, double,
                                     std::int64_t, std::int64_t, std::int64_t)>("s4");
    std::int64_t a = 10;
    double d = 1.5;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, d, 20, 30, 2.5, 40, 50, 60));
    }
  });
  benchmark::RegisterBenchmark("direct/S5", [](benchmark::State &st) {
    auto f = target<double (*)(int, double, void *, int, double, std::int64_t, void *, double, int,
                               int, void *, double)>("s5");
    int a = 3;
    double d = 1.5;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, d, nullptr, 4, 2.5, 10, nullptr, 3.5, a, 4, nullptr, 4.5));
    }
  });
  benchmark::RegisterBenchmark("direct/S6", [](benchmark::State &st) {
    auto f = target<V2 (*)(V2, V2)>("s6");
    V2 a{1, 2}, b{3, 4};
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      V2 r = f(a, b);
      benchmark::DoNotOptimize(r);
    }
  });
  benchmark::RegisterBenchmark("direct/S7", [](benchmark::State &st) {
    auto f = target<I3 (*)(I3, I3)>("s7");
    I3 a{1, 2, 3}, b{4, 5, 6};
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      I3 r = f(a, b);
      benchmark::DoNotOptimize(r);
    }
  });
  benchmark::RegisterBenchmark("direct/S8", [](benchmark::State &st) {
    auto f = target<int (*)(const char *, ...)>("s8");
    const char *fmt = "x";
    int i = 3;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(i);
      benchmark::DoNotOptimize(f(fmt, i, 1.5, 10L));
    }
  });
}

// jit/S* and libffi/S*: the boxed interface, arguments prepared once.
void register_boxed() {
  for (int k = 0; k < int(std::size(kCases)); ++k) {
    const Case &c = kCases[k];
    benchmark::RegisterBenchmark((std::string("jit/") + c.name).c_str(), [k](benchmark::State &st) {
      const Case &c = kCases[k];
      jitffi::Function fn(jitffi::Signature::parse(c.sig), targets().symbol(c.symbol),
                          {jitffi::BackendChoice::Jit});
      Args a(k);
      for (auto _ : st) {
        fn.call(g_ret, a.argv);
        benchmark::ClobberMemory();
      }
    });
    benchmark::RegisterBenchmark((std::string("libffi/") + c.name).c_str(),
                                 [k](benchmark::State &st) {
                                   const Case &c = kCases[k];
                                   FfiSig s = ffi_sig(k);
                                   ffi_cif cif;
                                   if (prep(&cif, s) != FFI_OK)
                                     return st.SkipWithError("ffi_prep_cif failed");
                                   void (*fn)() = FFI_FN(targets().symbol(c.symbol));
                                   Args a(k);
                                   void *argv[12];
                                   for (auto _ : st) {
                                     // libffi 3.4.4 rewrites argv[i] for structs over 16 bytes:
                                     // give it a fresh copy.
                                     std::memcpy(argv, a.argv, sizeof(void *) * unsigned(a.n));
                                     ffi_call(&cif, fn, g_ret, argv);
                                     benchmark::ClobberMemory();
                                   }
                                 });
  }
}

// Closures: a native caller calls int(int,int) that ends in a C++ handler.

void register_closures() {
  benchmark::RegisterBenchmark("jit_closure/S2", [](benchmark::State &st) {
    jitffi::Closure cl(jitffi::Signature::parse("i32(i32,i32)"),
                       [](void *ret, void **args, void *) {
                         *static_cast<std::int64_t *>(ret) =
                             *static_cast<int *>(args[0]) + *static_cast<int *>(args[1]);
                       },
                       nullptr, {jitffi::BackendChoice::Jit});
    auto f = cl.code<int (*)(int, int)>();
    int a = 3;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, 4));
    }
  });
  benchmark::RegisterBenchmark("libffi_closure/S2", [](benchmark::State &st) {
    static ffi_type *argt[] = {&ffi_type_sint32, &ffi_type_sint32};
    ffi_cif cif;
    ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint32, argt);
    void *code = nullptr;
    auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
    ffi_prep_closure_loc(
        cl, &cif,
        [](ffi_cif *, void *ret, void **args, void *) {
          *static_cast<ffi_arg *>(ret) =
              ffi_arg(*static_cast<int *>(args[0]) + *static_cast<int *>(args[1]));
        },
        nullptr, code);
    auto f = reinterpret_cast<int (*)(int, int)>(code);
    int a = 3;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, 4));
    }
    ffi_closure_free(cl);
  });
}

// Preparing: libffi's ffi_prep_cif against a JIT compile of a signature not seen before, and a
// cache hit (Function construction for a signature already compiled).
void register_prepare() {
  for (int k = 0; k < int(std::size(kCases)); ++k) {
    benchmark::RegisterBenchmark((std::string("libffi_prep_cif/") + kCases[k].name).c_str(),
                                 [k](benchmark::State &st) {
                                   FfiSig s = ffi_sig(k);
                                   ffi_cif cif;
                                   for (auto _ : st) {
                                     benchmark::DoNotOptimize(prep(&cif, s));
                                     benchmark::ClobberMemory();
                                   }
                                 });
  }
  // A new signature through the JIT: classify, assemble, map W^X, register unwind info (and
  // free it again, so that memory does not grow over the run).
  for (int k = 0; k < int(std::size(kCases)); ++k) {
    benchmark::RegisterBenchmark(
        (std::string("jit_prepare/") + kCases[k].name).c_str(), [k](benchmark::State &st) {
          auto sig = jitffi::Signature::parse(kCases[k].sig);
          for (auto _ : st) {
            jitffi::jit::Stub stub(jitffi::abi::classify(sig), jitffi::jit::StubKind::Downcall,
                                   sig.canonical());
            benchmark::DoNotOptimize(stub.code());
          }
        });
  }
  benchmark::RegisterBenchmark("jit_cache_hit/S2", [](benchmark::State &st) {
    auto sig = jitffi::Signature::parse("i32(i32,i32)");
    void *p = targets().symbol("s2");
    jitffi::Function warm(sig, p, {jitffi::BackendChoice::Jit});
    for (auto _ : st) {
      jitffi::Function fn(sig, p, {jitffi::BackendChoice::Jit});
      benchmark::DoNotOptimize(fn);
    }
  });
}

}  // namespace

int main(int argc, char **argv) {
  register_direct();
  register_boxed();
  register_closures();
  register_prepare();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
