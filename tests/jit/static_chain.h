// Two assembly shims for testing the static chain (the register GCC passes a nested function's
// context in, and libffi's ffi_call_go and go closures the closure: r10 on x86-64, x18 on
// AArch64). Each touches only the chain register and a scratch register that no argument uses,
// and jumps on, so every argument, result and the stack reach the other side untouched: the
// compiler's own calls and callees judge the rest of the ABI.
//   chain_shim:  loads the chain register from chain_value and jumps to chain_target; called
//                through a pointer of any function type, it calls chain_target with that chain.
//   chain_probe: stores the chain register in chain_seen and jumps to chain_target; a callee
//                that records the chain it was given.
// Defines the symbols: include it in one source file per test binary. They are global (hidden):
// a GOT entry for a local symbol would name its section, and so the first shim, on AArch64.
#pragma once

extern "C" {
void *jitffi_test_chain_value = nullptr;
const void *jitffi_test_chain_target = nullptr;
void *jitffi_test_chain_seen = nullptr;
void jitffi_test_chain_shim();
void jitffi_test_chain_probe();
}

// The shims are pushed into .text and popped back: after a bare .text, gcc -O0 kept emitting the
// file's next globals there (read-only at run time), not knowing the asm had switched section.
#if defined(__x86_64__)
asm(R"(
  .pushsection .text
  .p2align 4
  .globl jitffi_test_chain_shim
  .hidden jitffi_test_chain_shim
  .type jitffi_test_chain_shim, @function
jitffi_test_chain_shim:
  movq jitffi_test_chain_value(%rip), %r10
  jmpq *jitffi_test_chain_target(%rip)
  .size jitffi_test_chain_shim, .-jitffi_test_chain_shim
  .p2align 4
  .globl jitffi_test_chain_probe
  .hidden jitffi_test_chain_probe
  .type jitffi_test_chain_probe, @function
jitffi_test_chain_probe:
  movq %r10, jitffi_test_chain_seen(%rip)
  jmpq *jitffi_test_chain_target(%rip)
  .size jitffi_test_chain_probe, .-jitffi_test_chain_probe
  .popsection
)");
#elif defined(__aarch64__)
// x16 (IP0) may be clobbered by any call (AAPCS64 veneers use it).
asm(R"(
  .pushsection .text
  .p2align 4
  .globl jitffi_test_chain_shim
  .hidden jitffi_test_chain_shim
  .type jitffi_test_chain_shim, %function
jitffi_test_chain_shim:
  adrp x16, jitffi_test_chain_value
  ldr x18, [x16, :lo12:jitffi_test_chain_value]
  adrp x16, jitffi_test_chain_target
  ldr x16, [x16, :lo12:jitffi_test_chain_target]
  br x16
  .size jitffi_test_chain_shim, .-jitffi_test_chain_shim
  .p2align 4
  .globl jitffi_test_chain_probe
  .hidden jitffi_test_chain_probe
  .type jitffi_test_chain_probe, %function
jitffi_test_chain_probe:
  adrp x16, jitffi_test_chain_seen
  str x18, [x16, :lo12:jitffi_test_chain_seen]
  adrp x16, jitffi_test_chain_target
  ldr x16, [x16, :lo12:jitffi_test_chain_target]
  br x16
  .size jitffi_test_chain_probe, .-jitffi_test_chain_probe
  .popsection
)");
#endif

#if defined(JITFFI_STATIC_CHAIN_CHECKS)
// The JIT's static chain stubs for a plan, judged against the compiler (tests/jit, tests/jit_a64).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "abi/call_plan.h"
#include "jit/stub.h"

namespace jitffi::test::chain {

// What the chain points at: the target the handler computes with, and a count of its calls.
struct Ctx {
  std::uint64_t magic;
  const void *target;
  int calls;
};
inline constexpr std::uint64_t kMagic = 0x5a17c4a10badf00dull;

template <class R, class... A, std::size_t... I>
R invoke(const void *target, void **args, std::index_sequence<I...>) {
  return reinterpret_cast<R (*)(A...)>(const_cast<void *>(target))(*static_cast<A *>(args[I])...);
}

// The handler of a ChainUpcall entry: its user_data is the chain register's value.
template <class R, class... A>
void handler(void *ret, void **args, void *chain) {
  auto *c = static_cast<Ctx *>(chain);
  if (!c || c->magic != kMagic) throw std::runtime_error("the entry passed a wrong chain");
  ++c->calls;
  R r = invoke<R, A...>(c->target, args, std::index_sequence_for<A...>{});
  std::memcpy(ret, &r, sizeof r);
}

using ChainCall = void (*)(void *fn, void *ret, void **args, void *chain);

// For a plan of `target`'s type: the compiler calls the chain entry (through the shim), the chain
// downcall calls the compiler's target (through the probe), and the downcall calls the entry;
// each time the result must be the target's and the chain must arrive.
// The shim as a function of type F, through a pointer the compiler cannot see through: a call
// of a cast known function may take the convention of its declaration instead of F's.
template <class F>
F shim_as() {
  F f = reinterpret_cast<F>(&jitffi_test_chain_shim);
  asm volatile("" : "+r"(f));
  return f;
}

template <class T>
struct Same {
  using type = T;
};

template <class R, class... A>
void check(const abi::CallPlan &plan, R (*target)(A...), typename Same<A>::type... a) {
  const R want = target(a...);
  jit::Stub down(plan, jit::StubKind::ChainDowncall, "chain-down");
  jit::Stub entry(plan, jit::StubKind::ChainUpcall, "chain-up",
                  reinterpret_cast<const void *>(&handler<R, A...>));
  Ctx ctx{kMagic, reinterpret_cast<const void *>(target), 0};
  std::tuple<A...> vals{a...};
  std::array<void *, sizeof...(A)> args = std::apply(
      [](auto &...v) { return std::array<void *, sizeof...(A)>{static_cast<void *>(&v)...}; },
      vals);
  alignas(16) unsigned char buf[64];
  R got;

  jitffi_test_chain_value = &ctx;
  jitffi_test_chain_target = entry.code();
  got = shim_as<R (*)(A...)>()(a...);
  EXPECT_TRUE(got == want) << "the compiler's call into the chain entry";
  EXPECT_EQ(ctx.calls, 1);

  jitffi_test_chain_seen = nullptr;
  jitffi_test_chain_target = reinterpret_cast<const void *>(target);
  std::memset(buf, 0xAA, sizeof buf);
  reinterpret_cast<ChainCall>(down.code())(reinterpret_cast<void *>(&jitffi_test_chain_probe), buf,
                                           args.data(), &ctx);
  EXPECT_EQ(jitffi_test_chain_seen, &ctx) << "the chain downcall's static chain";
  std::memcpy(&got, buf, sizeof got);
  EXPECT_TRUE(got == want) << "the chain downcall into the compiler's target";

  std::memset(buf, 0xAA, sizeof buf);
  reinterpret_cast<ChainCall>(down.code())(entry.code(), buf, args.data(), &ctx);
  std::memcpy(&got, buf, sizeof got);
  EXPECT_TRUE(got == want) << "the chain downcall into the chain entry";
  EXPECT_EQ(ctx.calls, 2);
}

// The compiler-built targets both ISAs' tests call through the chain stubs.
namespace targets {

struct DL {
  double d;
  std::int64_t l;
  bool operator==(const DL &o) const { return d == o.d && l == o.l; }
};
struct Big {
  std::int64_t a, b, c;
  bool operator==(const Big &o) const { return a == o.a && b == o.b && c == o.c; }
};
struct F3 {
  float x, y, z;
  bool operator==(const F3 &o) const { return x == o.x && y == o.y && z == o.z; }
};

inline std::int32_t add(std::int32_t a, std::int32_t b) {
  return a * 3 + b;
}
inline std::int8_t narrow(std::int8_t a, std::uint16_t b) {
  return std::int8_t(a - std::int8_t(b));
}
inline double mix(double a, std::int32_t b, float c) {
  return a * b + c;
}
inline DL dl(DL v, std::int32_t k) {
  return {v.d * k, v.l - k};
}
inline Big big(Big v, std::int64_t k) {
  return {v.c + k, v.b * k, v.a - k};
}
inline F3 f3(F3 v, double k) {
  return {v.z, float(v.y * k), v.x};
}
inline long double ld(long double a, std::int32_t b) {
  return a * b;
}
inline std::int64_t many(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d,
                         std::int64_t e, std::int64_t f, std::int64_t g, std::int64_t h, double i,
                         double j, double k, double l, double m, double n, double o, double p,
                         double q, std::int8_t r) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h +
         std::int64_t(i + 2 * j + 3 * k + 4 * l + 5 * m + 6 * n + 7 * o + 8 * p + 9 * q) + 10 * r;
}

}  // namespace targets

}  // namespace jitffi::test::chain
#endif  // JITFFI_STATIC_CHAIN_CHECKS
