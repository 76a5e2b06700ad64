// Closures: the shared upcall entry for a hand-built plan behind a per-closure trampoline,
// called from C code compiled by the system compiler.
#include <gtest/gtest.h>

#include <cstring>

#include "jit/closure.h"
#include "jit/stub.h"
#include "plans.h"
#include "targets.h"

namespace jitffi::test {
namespace {

using jit::JitClosure;
using jit::Stub;
using jit::StubKind;

template <class T>
T arg(void **args, int i) {
  T v;
  std::memcpy(&v, args[i], sizeof v);
  return v;
}
template <class T>
void put(void *ret, T v) {
  std::memcpy(ret, &v, sizeof v);
}

// The entry for a plan plus one closure on it; user_data counts calls.
struct Fixture {
  Fixture(const CallPlan &plan, ClosureHandler h)
      : entry(plan, StubKind::Upcall, "test-upcall"), closure(entry.code(), h, &calls) {}
  template <class F>
  F fn() const {
    return reinterpret_cast<F>(closure.code());
  }
  Stub entry;
  int calls = 0;
  JitClosure closure;
};

void count(void *ud) {
  ++*static_cast<int *>(ud);
}

TEST(Upcall, IntInt) {
  Fixture f(plan_add(), [](void *ret, void **args, void *ud) {
    count(ud);
    put<std::int32_t>(ret, t_add(arg<std::int32_t>(args, 0), arg<std::int32_t>(args, 1)));
  });
  EXPECT_EQ(call_add(f.fn<std::int32_t (*)(std::int32_t, std::int32_t)>(), -5, 2), -13);
  EXPECT_EQ(call_add(f.fn<std::int32_t (*)(std::int32_t, std::int32_t)>(), 1 << 20, 3),
            (1 << 20) * 3 + 3);
  EXPECT_EQ(f.calls, 2);
}

TEST(Upcall, TwoClosuresOnOneEntryKeepTheirOwnContext) {
  Stub entry(plan_add(), StubKind::Upcall, "test-upcall");
  auto h = [](void *ret, void **args, void *ud) {
    put<std::int32_t>(ret, arg<std::int32_t>(args, 0) + *static_cast<int *>(ud));
  };
  int k1 = 100, k2 = 200;
  JitClosure c1(entry.code(), h, &k1), c2(entry.code(), h, &k2);
  using Fn = std::int32_t (*)(std::int32_t, std::int32_t);
  EXPECT_EQ(call_add(reinterpret_cast<Fn>(c1.code()), 1, 0), 101);
  EXPECT_EQ(call_add(reinterpret_cast<Fn>(c2.code()), 1, 0), 201);
  EXPECT_NE(c1.code(), c2.code());
}

TEST(Upcall, DoubleDouble) {
  Fixture f(plan_div(), [](void *ret, void **args, void *) {
    put<double>(ret, arg<double>(args, 0) / arg<double>(args, 1));
  });
  EXPECT_EQ(call_div(f.fn<double (*)(double, double)>(), 1.0, 3.0), 1.0 / 3.0);
}

TEST(Upcall, NarrowArgumentsAndResult) {
  Fixture f(plan_narrow(), [](void *ret, void **args, void *) {
    put<std::uint8_t>(ret, t_narrow(arg<std::int8_t>(args, 0), arg<std::uint16_t>(args, 1),
                                    arg<bool>(args, 2), arg<std::int16_t>(args, 3)));
  });
  EXPECT_EQ(call_narrow(f.fn<std::uint8_t (*)(std::int8_t, std::uint16_t, bool, std::int16_t)>()),
            200);
}

TEST(Upcall, StructInGprAndXmm) {
  Fixture f(plan_mix(), [](void *ret, void **args, void *) {
    put<V2>(ret, t_mix(arg<IDs>(args, 0), arg<float>(args, 1)));
  });
  const V2 r = call_mix(f.fn<V2 (*)(IDs, float)>());
  EXPECT_EQ(r.x, -9.5);
  EXPECT_EQ(r.y, 2.0);
}

TEST(Upcall, OddSizedAggregates) {
  Fixture f(plan_odd(), [](void *ret, void **args, void *) {
    put<C3>(ret, t_odd(arg<C3>(args, 0), arg<C7>(args, 1), arg<C5>(args, 2), arg<S6>(args, 3)));
  });
  const C3 r = call_odd(f.fn<C3 (*)(C3, C7, C5, S6)>());
  C3 a = {{1, 2, 3}};
  C7 b = {{10, 11, 12, 13, 14, 15, 16}};
  C5 c = {{20, 21, 22, 23, 24}};
  S6 d = {{30, 31, 32}};
  const C3 expect = t_odd(a, b, c, d);
  EXPECT_EQ(std::memcmp(r.c, expect.c, 3), 0);
}

TEST(Upcall, StackArgumentsArePassedInPlace) {
  static void *seen_a7;
  Fixture f(plan_many(), [](void *ret, void **args, void *) {
    std::int64_t a[8];
    double d[10];
    for (int i = 0; i < 8; ++i) a[i] = arg<std::int64_t>(args, i);
    for (int i = 0; i < 10; ++i) d[i] = arg<double>(args, 8 + i);
    seen_a7 = args[6];
    put<double>(ret, t_many(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], d[0], d[1], d[2], d[3],
                            d[4], d[5], d[6], d[7], d[8], d[9]));
  });
  const double expect =
      t_many(1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5);
  EXPECT_EQ(call_many(f.fn<decltype(&t_many)>()), expect);
  // args[6] points into the caller's frame, not into the entry's own frame: above our stack.
  int here;
  EXPECT_GT(reinterpret_cast<std::uintptr_t>(seen_a7),
            reinterpret_cast<std::uintptr_t>(&here) - (1 << 16));
}

TEST(Upcall, MemoryResultThroughTheHiddenPointer) {
  Fixture f(plan_sret(), [](void *ret, void **args, void *) {
    put<I3>(ret, t_sret(arg<I3>(args, 0), arg<std::int64_t>(args, 1)));
  });
  const I3 r = call_sret(f.fn<I3 (*)(I3, std::int64_t)>());
  EXPECT_EQ(r.a, 7);
  EXPECT_EQ(r.b, -14);
  EXPECT_EQ(r.c, 21);
}

TEST(Upcall, LongDoubleInAndOut) {
  Fixture f(plan_ld(), [](void *ret, void **args, void *) {
    put<long double>(ret, t_ld(arg<long double>(args, 0), arg<std::int32_t>(args, 1)));
  });
  EXPECT_EQ(call_ld(f.fn<long double (*)(long double, std::int32_t)>()), 6.25L);
}

TEST(Upcall, ThreeFloats) {
  Fixture f(plan_f3(),
            [](void *ret, void **args, void *) { put<F3>(ret, t_f3(arg<F3>(args, 0))); });
  const F3 r = call_f3(f.fn<F3 (*)(F3)>());
  EXPECT_EQ(r.a, 3.75f);
  EXPECT_EQ(r.b, 1.25f);
  EXPECT_EQ(r.c, 5.0f);
}

TEST(Upcall, NineteenByteStructOnTheStack) {
  Fixture f(plan_c19(), [](void *ret, void **args, void *) {
    put<std::int64_t>(ret, t_c19(arg<C19>(args, 0), arg<std::int32_t>(args, 1)));
  });
  C19 s;
  for (int i = 0; i < 19; ++i) s.c[i] = char(i + 1);
  EXPECT_EQ(call_c19(f.fn<std::int64_t (*)(C19, std::int32_t)>()), t_c19(s, 5));
}

TEST(Upcall, CalledFromAThreadTheHostDidNotCreate) {
  Fixture f(plan_add(), [](void *ret, void **args, void *ud) {
    count(ud);
    put<std::int32_t>(ret, t_add(arg<std::int32_t>(args, 0), arg<std::int32_t>(args, 1)));
  });
  EXPECT_EQ(call_add_in_c_thread(f.fn<std::int32_t (*)(std::int32_t, std::int32_t)>(), 4, 5), 17);
  EXPECT_EQ(f.calls, 1);
}

TEST(UpcallWin64, IntInt) {
  Fixture f(wplan_add(), [](void *ret, void **args, void *) {
    put<std::int32_t>(ret, t_add(arg<std::int32_t>(args, 0), arg<std::int32_t>(args, 1)));
  });
  EXPECT_EQ(wcall_add(f.fn<MS std::int32_t (*)(std::int32_t, std::int32_t)>(), -5, 2), -13);
}

TEST(UpcallWin64, PositionalRegistersAndStack) {
  Fixture f(wplan_mixed(), [](void *ret, void **args, void *) {
    put<double>(
        ret, w_mixed(arg<std::int32_t>(args, 0), arg<double>(args, 1), arg<std::int32_t>(args, 2),
                     arg<double>(args, 3), arg<std::int32_t>(args, 4), arg<double>(args, 5)));
  });
  EXPECT_EQ(wcall_mixed(f.fn<decltype(&w_mixed)>()), w_mixed(1, 2.5, 3, 4.5, 5, 6.5));
}

TEST(UpcallWin64, ByReferenceArgumentIsTheCallersCopy) {
  Fixture f(wplan_byref(), [](void *ret, void **args, void *) {
    put<std::int32_t>(ret, w_byref(arg<B12>(args, 0), arg<std::int32_t>(args, 1)));
  });
  EXPECT_EQ(wcall_byref(f.fn<decltype(&w_byref)>()), 4321);
}

TEST(UpcallWin64, HiddenResultPointer) {
  Fixture f(wplan_sret(), [](void *ret, void **args, void *) {
    put<B12>(ret, w_sret(arg<std::int32_t>(args, 0), arg<std::int32_t>(args, 1)));
  });
  const B12 r = wcall_sret(f.fn<decltype(&w_sret)>());
  EXPECT_EQ(r.a, 6);
  EXPECT_EQ(r.b, 7);
  EXPECT_EQ(r.c, 42);
}

TEST(UpcallWin64, PreservesWhatWin64CalleesMustPreserve) {
  // The handler is a SysV function and clobbers rsi, rdi and xmm6-xmm15 freely.
  Fixture f(wplan_add(), [](void *ret, void **, void *) {
    __asm__ volatile(
        "xor %%esi, %%esi\n xor %%edi, %%edi\n xorps %%xmm6, %%xmm6\n xorps %%xmm9, %%xmm9\n"
        "xorps %%xmm15, %%xmm15" ::
            : "rsi", "rdi", "xmm6", "xmm9", "xmm15");
    put<std::int32_t>(ret, 3);
  });
  EXPECT_EQ(w64_probe(f.closure.code()), 0u);
  EXPECT_EQ(f.calls, 0);
}

extern "C" std::int32_t clobbers_like_sysv(std::int32_t, std::int32_t) {
  __asm__ volatile("xor %%esi, %%esi\n xorps %%xmm6, %%xmm6" ::: "rsi", "xmm6");
  return 0;
}

TEST(UpcallWin64, TheProbeSeesClobberedRegisters) {
  // Without the entry's saves the probe must notice: rsi (bit 0) and xmm6 (bit 3).
  EXPECT_EQ(w64_probe(reinterpret_cast<void *>(&clobbers_like_sysv)) & 9u, 9u);
}

}  // namespace
}  // namespace jitffi::test
