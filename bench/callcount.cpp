// Instruction counts per call under callgrind (stable where timings are not): each section runs
// N calls between CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT("<name>"), so each dump's
// total divided by N is the cost of one call plus the loop around it. bench/callgrind.py runs
// it and prints the table. Outside valgrind the macros do nothing and the program just runs.
#include <valgrind/callgrind.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "abi/call_plan.h"
#include "bench/cases.h"
#include "bench/invoke.h"
#include "jit/stub.h"
#include "jitffi/jitffi.hpp"

using namespace bench;

namespace {

alignas(16) unsigned char g_ret[64];
long g_n = 10000;

const jitffi::Library &targets() {
  static const jitffi::Library lib = jitffi::Library::open(JITFFI_BENCH_TARGETS);
  return lib;
}

template <class F>
void section(const std::string &name, F &&body) {
  body(g_n / 10 + 1);  // warm: first-call binding, caches
  CALLGRIND_ZERO_STATS;
  body(g_n);
  CALLGRIND_DUMP_STATS_AT(name.c_str());
}

template <int K>
void direct_case() {
  section(std::string("direct/") + kCases[K].name, [](long n) {
    Direct<K> d(targets().symbol(kCases[K].symbol));
    for (long i = 0; i < n; ++i) d();
  });
}

void boxed_cases(int k) {
  const Case &c = kCases[k];
  void *target = targets().symbol(c.symbol);
  Args a(k);
  jitffi::Function fn(jitffi::Signature::parse(c.sig), target, {jitffi::BackendChoice::Jit});
  section(std::string("jit/") + c.name, [&](long n) {
    for (long i = 0; i < n; ++i) {
      fn.call(g_ret, a.argv);
      benchmark::ClobberMemory();
    }
  });
  BoxedStub stub = kCxxStubs[k];
  section(std::string("cxx_stub/") + c.name, [&](long n) {
    for (long i = 0; i < n; ++i) {
      benchmark::DoNotOptimize(stub);
      stub(target, g_ret, a.argv);
      benchmark::ClobberMemory();
    }
  });
  FfiSig s = ffi_sig(k);
  ffi_cif cif;
  if (prep(&cif, s) != FFI_OK) std::abort();
  section(std::string("libffi/") + c.name, [&](long n) {
    void *argv[12];
    for (long i = 0; i < n; ++i) {
      std::memcpy(argv, a.argv, sizeof(void *) * unsigned(a.n));  // libffi may rewrite argv
      ffi_call(&cif, FFI_FN(target), g_ret, argv);
      benchmark::ClobberMemory();
    }
  });
}

// The value and slot entries (raw pointers, arguments prepared once), and Function::invoke
// through a typed handle against the same call made the way invoke made it before (boxed).
template <int K>
void entry_cases() {
  const Case &c = kCases[K];
  void *target = targets().symbol(c.symbol);
  Args a(K);
  jitffi::Function fn(jitffi::Signature::parse(c.sig), target, {jitffi::BackendChoice::Jit});
  void *ve = fn.value_entry(), *se = fn.slots_entry();
  // Each entry row calls `e(t, in)` with all three in locals, the same loop for the JIT's entries
  // and the hand-written ones; the entry test is outside the loop.
  section(std::string("jit_value/") + c.name, [&](long n) {
    void *e = ve, *t = target, **in = a.argv;
    if (e)
      for (long i = 0; i < n; ++i) call_entry<K>(e, t, in);
    else
      for (long i = 0; i < n; ++i) {
        fn.call_value(g_ret, a.argv);
        benchmark::ClobberMemory();
      }
  });
  section(std::string("cxx_value/") + c.name, [&](long n) {
    void *e = kCxxValue[K], *t = target, **in = a.argv;
    for (long i = 0; i < n; ++i) call_entry<K>(e, t, in);
  });
  section(std::string("cxx_slots/") + c.name, [&](long n) {
    void *e = kCxxSlots[K], *t = target;
    const std::uint64_t *in = a.slots;
    for (long i = 0; i < n; ++i) call_entry<K>(e, t, in);
  });
  Invoke<K> inv(target);
  auto h = inv.fn.template as<typename Invoke<K>::F>();
  section(std::string("jit_invoke/") + c.name, [&](long n) {
    for (long i = 0; i < n; ++i) inv.run(h);
  });
  section(std::string("jit_invoke_boxed/") + c.name, [&](long n) {
    for (long i = 0; i < n; ++i)
      inv.run([&](auto... x) { return boxed_invoke<typename Invoke<K>::R>(inv.fn, x...); });
  });
  section(std::string("jit_slots/") + c.name, [&](long n) {
    void *e = se, *t = target;
    const std::uint64_t *in = a.slots;
    if (e)
      for (long i = 0; i < n; ++i) call_entry<K>(e, t, in);
    else
      for (long i = 0; i < n; ++i) {
        fn.call_slots(g_ret, a.slots);
        benchmark::ClobberMemory();
      }
  });
}

void closure_cases() {
  jitffi::Closure cl(jitffi::Signature::parse("i32(i32,i32)"),
                     [](void *ret, void **args, void *) {
                       *static_cast<std::int64_t *>(ret) =
                           *static_cast<int *>(args[0]) + *static_cast<int *>(args[1]);
                     },
                     nullptr, {jitffi::BackendChoice::Jit});
  section("jit_closure/S2", [&](long n) {
    auto f = cl.code<int (*)(int, int)>();
    int x = 3;
    for (long i = 0; i < n; ++i) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(x);
      benchmark::DoNotOptimize(f(x, 4));
    }
  });
}

// A typed closure (Closure::typed): the handler takes the arguments and user_data in registers.
int typed_add(int a, int b, void *) {
  return a + b;
}

void typed_closure_case() {
  auto cl = jitffi::Closure::typed(jitffi::Signature::parse("i32(i32,i32)"), &typed_add, nullptr,
                                   {jitffi::BackendChoice::Jit});
  section("jit_closure_typed/S2", [&](long n) {
    auto f = cl.code<int (*)(int, int)>();
    int x = 3;
    for (long i = 0; i < n; ++i) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(x);
      benchmark::DoNotOptimize(f(x, 4));
    }
  });
}

void cxx_closure_case() {
  g_cxx_closure_handler = [](void *ret, void **args, void *) {
    *static_cast<std::int64_t *>(ret) = *static_cast<int *>(args[0]) + *static_cast<int *>(args[1]);
  };
  section("cxx_closure/S2", [&](long n) {
    auto f = &cxx_closure_s2;
    int x = 3;
    for (long i = 0; i < n; ++i) {
      benchmark::DoNotOptimize(f);
      benchmark::DoNotOptimize(x);
      benchmark::DoNotOptimize(f(x, 4));
    }
  });
}

void prepare_cases() {
  auto sig = jitffi::Signature::parse("i32(i32,i32)");
  void *p = targets().symbol("s2");
  jitffi::Function warm(sig, p, {jitffi::BackendChoice::Jit});
  section("jit_cache_hit/S2", [&](long n) {
    for (long i = 0; i < n; ++i) {
      jitffi::Function fn(sig, p, {jitffi::BackendChoice::Jit});
      benchmark::DoNotOptimize(fn);
    }
  });
  const long saved = g_n;
  g_n = saved / 100 + 1;  // compiling is ~1000x a call
  for (int k = 0; k < kCaseCount; ++k) {
    auto s = jitffi::Signature::parse(kCases[k].sig);
    section(std::string("jit_prepare/") + kCases[k].name, [&](long n) {
      for (long i = 0; i < n; ++i) {
        jitffi::jit::Stub stub(jitffi::abi::classify(s), jitffi::jit::StubKind::Downcall,
                               s.canonical());
        benchmark::DoNotOptimize(stub.code());
      }
    });
  }
  g_n = saved;
}

// The unwinder's side of registering every stub: libgcc keeps __register_frame'd objects in a
// list that _Unwind_Find_FDE walks on every throw (sorting each object the first time), so a
// throw anywhere in the process pays for the stubs alive. Compared with none and 1000 alive.
[[gnu::noinline]] void thrower(int v) {
  throw v;
}

void throw_cases() {
  auto one_throw = [](long n) {
    for (long i = 0; i < n; ++i) {
      try {
        thrower(int(i));
      } catch (int) {
      }
    }
  };
  const long saved = g_n;
  g_n = saved / 100 + 1;
  section("throw_catch/0_extra_stubs", one_throw);
  {
    auto s = jitffi::Signature::parse("i32(i32,i32)");
    const auto plan = jitffi::abi::classify(s);
    std::vector<std::unique_ptr<jitffi::jit::Stub>> alive;
    for (int i = 0; i < 1000; ++i)
      alive.push_back(std::make_unique<jitffi::jit::Stub>(plan, jitffi::jit::StubKind::Downcall,
                                                          s.canonical()));
    section("throw_catch/1000_extra_stubs", one_throw);
    section("jit_prepare_after_throw/S2", [&](long n) {
      for (long i = 0; i < n; ++i) {
        jitffi::jit::Stub stub(jitffi::abi::classify(s), jitffi::jit::StubKind::Downcall,
                               s.canonical());
        benchmark::DoNotOptimize(stub.code());
      }
    });
  }
  g_n = saved;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc > 1) g_n = std::atol(argv[1]);
  std::printf("calls per section: %ld\n", g_n);
  direct_case<0>();
  direct_case<1>();
  direct_case<2>();
  direct_case<3>();
  direct_case<4>();
  direct_case<5>();
  direct_case<6>();
  direct_case<7>();
  for (int k = 0; k < kCaseCount; ++k) boxed_cases(k);
  entry_cases<0>();
  entry_cases<1>();
  entry_cases<2>();
  entry_cases<3>();
  entry_cases<4>();
  entry_cases<5>();
  entry_cases<6>();
  entry_cases<7>();
  closure_cases();
  cxx_closure_case();
  typed_closure_case();
  prepare_cases();
  throw_cases();
  return 0;
}
