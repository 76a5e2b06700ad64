// Call-cost benchmarks (issue 3): direct call vs jitffi's JIT vs libffi, on signatures S1-S8,
// plus closures, preparing a new signature, and a stub-cache hit. All rows of one run are
// measured in the same process; bench/report.py turns the JSON into ratios to direct/*.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "abi/call_plan.h"
#include "bench/cases.h"
#include "bench/invoke.h"
#include "bench/parse_texts.h"
#include "jit/closure.h"
#include "jit/stub.h"
#include "jit/stub_cache.h"
#include "jitffi/jitffi.hpp"

namespace {

using namespace bench;

const jitffi::Library &targets() {
  static const jitffi::Library lib = jitffi::Library::open(JITFFI_BENCH_TARGETS);
  return lib;
}

alignas(16) unsigned char g_ret[64];

// direct/S*: a call through a function pointer the compiler cannot see through.
template <int K>
void register_direct_case() {
  benchmark::RegisterBenchmark((std::string("direct/") + kCases[K].name).c_str(),
                               [](benchmark::State &st) {
                                 Direct<K> d(targets().symbol(kCases[K].symbol));
                                 for (auto _ : st) d();
                               });
}

void register_direct() {
  register_direct_case<0>();
  register_direct_case<1>();
  register_direct_case<2>();
  register_direct_case<3>();
  register_direct_case<4>();
  register_direct_case<5>();
  register_direct_case<6>();
  register_direct_case<7>();
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
    // The floor for a boxed interface: a C++ stub written by hand for this one signature.
    benchmark::RegisterBenchmark((std::string("cxx_stub/") + c.name).c_str(),
                                 [k](benchmark::State &st) {
                                   void *fn = targets().symbol(kCases[k].symbol);
                                   BoxedStub stub = kCxxStubs[k];
                                   Args a(k);
                                   for (auto _ : st) {
                                     benchmark::DoNotOptimize(stub);
                                     stub(fn, g_ret, a.argv);
                                     benchmark::ClobberMemory();
                                   }
                                 });
  }
}

// jit_value/S* and jit_slots/S* (issue 12): the raw value entry `R (fn, args)` with the boxed
// arguments prepared once, and the raw slot entry `R (fn, slots)` with the slots prepared once,
// each result taken in its registers as the C++ return type. S7 returns in memory and has no
// entry: its rows make Function::call_value's boxed call (marked in docs/performance.md).
template <int K>
void register_entry_case() {
  const Case &c = kCases[K];
  benchmark::RegisterBenchmark(
      (std::string("jit_value/") + c.name).c_str(), [](benchmark::State &st) {
        const Case &c = kCases[K];
        void *target = targets().symbol(c.symbol);
        jitffi::Function fn(jitffi::Signature::parse(c.sig), target, {jitffi::BackendChoice::Jit});
        Args a(K);
        void *e = fn.value_entry();
        if (!e) {
          for (auto _ : st) {
            fn.call_value(g_ret, a.argv);
            benchmark::ClobberMemory();
          }
          return;
        }
        for (auto _ : st) call_entry<K>(e, target, a.argv);
      });
  benchmark::RegisterBenchmark(
      (std::string("jit_slots/") + c.name).c_str(), [](benchmark::State &st) {
        const Case &c = kCases[K];
        void *target = targets().symbol(c.symbol);
        jitffi::Function fn(jitffi::Signature::parse(c.sig), target, {jitffi::BackendChoice::Jit});
        Args a(K);
        void *e = fn.slots_entry();
        if (!e) {
          for (auto _ : st) {
            fn.call_slots(g_ret, a.slots);
            benchmark::ClobberMemory();
          }
          return;
        }
        for (auto _ : st) call_entry<K>(e, target, static_cast<const std::uint64_t *>(a.slots));
      });
  // cxx_value/S* and cxx_slots/S*: the same entry shapes written by hand in C++ (bench/cases.cpp),
  // called the same way: g++'s floor for each shape (S7's result through the hidden pointer).
  benchmark::RegisterBenchmark((std::string("cxx_value/") + c.name).c_str(),
                               [](benchmark::State &st) {
                                 void *target = targets().symbol(kCases[K].symbol);
                                 Args a(K);
                                 for (auto _ : st) call_entry<K>(kCxxValue[K], target, a.argv);
                               });
  benchmark::RegisterBenchmark(
      (std::string("cxx_slots/") + c.name).c_str(), [](benchmark::State &st) {
        void *target = targets().symbol(kCases[K].symbol);
        Args a(K);
        for (auto _ : st)
          call_entry<K>(kCxxSlots[K], target, static_cast<const std::uint64_t *>(a.slots));
      });
  // jit_invoke/S*: the typed handle (Function::as<F>()), which now goes through the value entry;
  // jit_invoke_boxed/S*: the same call made the way invoke made it before (boxed call into a
  // buffer, then a copy), for comparison in one process.
  benchmark::RegisterBenchmark((std::string("jit_invoke/") + c.name).c_str(),
                               [](benchmark::State &st) {
                                 Invoke<K> inv(targets().symbol(kCases[K].symbol));
                                 auto h = inv.fn.template as<typename Invoke<K>::F>();
                                 for (auto _ : st) inv.run(h);
                               });
  benchmark::RegisterBenchmark(
      (std::string("jit_invoke_boxed/") + c.name).c_str(), [](benchmark::State &st) {
        Invoke<K> inv(targets().symbol(kCases[K].symbol));
        for (auto _ : st)
          inv.run([&](auto... a) { return boxed_invoke<typename Invoke<K>::R>(inv.fn, a...); });
      });
}

void register_entries() {
  register_entry_case<0>();
  register_entry_case<1>();
  register_entry_case<2>();
  register_entry_case<3>();
  register_entry_case<4>();
  register_entry_case<5>();
  register_entry_case<6>();
  register_entry_case<7>();
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
  // The same closure with its code in the shared JIT memory, next to the shared libraries and
  // ~40 TiB from this program, where the caller and the handler are: how closures were placed
  // before ExecMemory::near (two far call/return pairs per call).
  benchmark::RegisterBenchmark("jit_closure_far/S2", [](benchmark::State &st) {
    auto sig = jitffi::Signature::parse("i32(i32,i32)");
    const auto entry = jitffi::jit::StubCache::global().upcall(sig);
    jitffi::jit::JitClosure cl(
        entry->code(),
        [](void *ret, void **args, void *) {
          *static_cast<std::int64_t *>(ret) =
              *static_cast<int *>(args[0]) + *static_cast<int *>(args[1]);
        },
        nullptr);
    auto f = reinterpret_cast<int (*)(int, int)>(cl.code());
    int a = 3;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, 4));
    }
  });
  // The same handler behind a thunk written by hand in C++: the floor for a boxed closure.
  benchmark::RegisterBenchmark("cxx_closure/S2", [](benchmark::State &st) {
    g_cxx_closure_handler = [](void *ret, void **args, void *) {
      *static_cast<std::int64_t *>(ret) =
          *static_cast<int *>(args[0]) + *static_cast<int *>(args[1]);
    };
    auto f = &cxx_closure_s2;
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

// ---- Closure kinds (issue 12 item 6): the same int(int,int) closure with other handler shapes.

// A typed handler: the closure's own arguments plus user_data, the result in registers.
int typed_add(int a, int b, void *) {
  return a + b;
}

// The slot-handler floor, written by hand: a thunk that stores its arguments as 8-byte slots and
// calls `uint64_t handler(const uint64_t *slots, void *user_data)`, whose result it returns.
using SlotHandler = std::uint64_t (*)(const std::uint64_t *slots, void *user_data);
SlotHandler g_slot_handler = nullptr;
void *g_slot_user_data = nullptr;
__attribute__((noinline)) int cxx_slot_thunk_s2(int a, int b) {
  const std::uint64_t slots[2] = {std::uint64_t(std::int64_t(a)), std::uint64_t(std::int64_t(b))};
  return int(g_slot_handler(slots, g_slot_user_data));
}

template <class F>
void closure_loop(benchmark::State &st, F f) {
  int a = 3;
  for (auto _ : st) {
    benchmark::DoNotOptimize(f);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(f(a, 4));
  }
}

void register_closure_kinds() {
  benchmark::RegisterBenchmark("jit_closure_typed/S2", [](benchmark::State &st) {
    auto cl = jitffi::Closure::typed(jitffi::Signature::parse("i32(i32,i32)"), &typed_add, nullptr,
                                     {jitffi::BackendChoice::Jit});
    closure_loop(st, cl.code<int (*)(int, int)>());
  });
  // The typed closure through the generic adapter (what libffi and errno capture use).
  benchmark::RegisterBenchmark("libffi_closure_typed/S2", [](benchmark::State &st) {
    auto cl = jitffi::Closure::typed(jitffi::Signature::parse("i32(i32,i32)"), &typed_add, nullptr,
                                     {jitffi::BackendChoice::Libffi});
    closure_loop(st, cl.code<int (*)(int, int)>());
  });
  benchmark::RegisterBenchmark("cxx_closure_slots/S2", [](benchmark::State &st) {
    g_slot_handler = [](const std::uint64_t *s, void *) -> std::uint64_t {
      return std::uint64_t(int(s[0]) + int(s[1]));
    };
    closure_loop(st, &cxx_slot_thunk_s2);
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

// Parsing a signature (Signature::parse: tokenize, parse, canonical text and hash), both
// syntaxes, short and long (bench/parse_texts.h, shared with jitffi_parsecount's instruction
// counts): the floor of making a procedure for a signature new to the process (docs/chez.md).
void register_parse() {
  for (const bench::ParseText &t : bench::parse_texts())
    benchmark::RegisterBenchmark(("parse/" + t.name).c_str(),
                                 [text = t.text](benchmark::State &st) {
                                   for (auto _ : st) {
                                     auto sig = jitffi::Signature::parse(text);
                                     benchmark::DoNotOptimize(sig);
                                   }
                                 });
}

#if defined(__x86_64__)
// Win64 (issue 4): the same eight signatures against targets compiled with
// __attribute__((ms_abi)) (w1-w8 in targets.c): a direct call, the JIT with a `win64:` plan, and
// libffi's FFI_WIN64.
#define MS __attribute__((ms_abi))
void register_win64() {
  static const char *const kSyms[] = {"w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"};
  auto direct = [](const char *name, auto body) {
    benchmark::RegisterBenchmark((std::string("direct_win64/") + name).c_str(), body);
  };
  direct("S1", [](benchmark::State &st) {
    auto f = reinterpret_cast<MS void (*)()>(targets().symbol("w1"));
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      f();
    }
  });
  direct("S2", [](benchmark::State &st) {
    auto f = reinterpret_cast<MS int (*)(int, int)>(targets().symbol("w2"));
    int a = 3, b = 4;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, b));
    }
  });
  direct("S3", [](benchmark::State &st) {
    auto f =
        reinterpret_cast<MS double (*)(double, double, double, double)>(targets().symbol("w3"));
    double a = 1.5, b = 2.5, c = 3.5, d = 4.5;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, b, c, d));
    }
  });
  direct("S4", [](benchmark::State &st) {
    auto f =
        reinterpret_cast<MS std::int64_t (*)(std::int64_t, double, std::int64_t, std::int64_t,
                                             double, std::int64_t, std::int64_t, std::int64_t)>(
            targets().symbol("w4"));
    std::int64_t a = 10;
    double d = 1.5;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, d, 20, 30, 2.5, 40, 50, 60));
    }
  });
  direct("S5", [](benchmark::State &st) {
    auto f =
        reinterpret_cast<MS double (*)(int, double, void *, int, double, std::int64_t, void *,
                                       double, int, int, void *, double)>(targets().symbol("w5"));
    int a = 3;
    double d = 1.5;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      benchmark::DoNotOptimize(f(a, d, nullptr, 4, 2.5, 10, nullptr, 3.5, a, 4, nullptr, 4.5));
    }
  });
  direct("S6", [](benchmark::State &st) {
    auto f = reinterpret_cast<MS V2 (*)(V2, V2)>(targets().symbol("w6"));
    V2 a{1, 2}, b{3, 4};
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      V2 r = f(a, b);
      benchmark::DoNotOptimize(r);
    }
  });
  direct("S7", [](benchmark::State &st) {
    auto f = reinterpret_cast<MS I3 (*)(I3, I3)>(targets().symbol("w7"));
    I3 a{1, 2, 3}, b{4, 5, 6};
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(a);
      I3 r = f(a, b);
      benchmark::DoNotOptimize(r);
    }
  });
  direct("S8", [](benchmark::State &st) {
    auto f = reinterpret_cast<MS int (*)(const char *, ...)>(targets().symbol("w8"));
    const char *fmt = "x";
    int i = 3;
    for (auto _ : st) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(i);
      benchmark::DoNotOptimize(f(fmt, i, 1.5, std::int64_t{10}));
    }
  });
  for (int k = 0; k < kCaseCount; ++k) {
    benchmark::RegisterBenchmark(
        (std::string("jit_win64/") + kCases[k].name).c_str(), [k](benchmark::State &st) {
          jitffi::Function fn(jitffi::Signature::parse(std::string("win64:") + kCases[k].sig),
                              targets().symbol(kSyms[k]), {jitffi::BackendChoice::Jit});
          Args a(k);
          for (auto _ : st) {
            fn.call(g_ret, a.argv);
            benchmark::ClobberMemory();
          }
        });
    benchmark::RegisterBenchmark(
        (std::string("libffi_win64/") + kCases[k].name).c_str(), [k](benchmark::State &st) {
          FfiSig s = ffi_sig(k);
          ffi_cif cif;
          if (prep(&cif, s, FFI_WIN64) != FFI_OK) return st.SkipWithError("ffi_prep_cif failed");
          void (*fn)() = FFI_FN(targets().symbol(kSyms[k]));
          Args a(k);
          void *argv[12];
          for (auto _ : st) {
            std::memcpy(argv, a.argv, sizeof(void *) * unsigned(a.n));  // libffi may rewrite it
            ffi_call(&cif, fn, g_ret, argv);
            benchmark::ClobberMemory();
          }
        });
  }
}
#endif

}  // namespace

int main(int argc, char **argv) {
  register_direct();
  register_boxed();
  register_entries();
  register_closures();
  register_closure_kinds();
  register_prepare();
  register_parse();
#if defined(__x86_64__)
  register_win64();
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
