// The static chain stubs on x86-64 (libffi's ffi_call_go and go closures): the context travels in
// r10. Each case is judged by the compiler on both sides (static_chain.h).
#define JITFFI_STATIC_CHAIN_CHECKS
#include "static_chain.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "jit/stub.h"
#include "jit/x64_emitter.h"

namespace jitffi::test {
namespace {

using jit::Stub;
using jit::StubKind;

abi::CallPlan plan_of(const char *text, Abi abi = Abi::SysV_x64) {
  return abi::classify(Signature::parse(text, abi));
}

using namespace chain::targets;

TEST(StaticChain, IntsAndNarrowInts) {
  chain::check(plan_of("i32(i32, i32)"), &add, 14, -2);
  chain::check(plan_of("i8(i8, u16)"), &narrow, std::int8_t(-100), std::uint16_t(60000));
}

TEST(StaticChain, FloatingPoint) {
  chain::check(plan_of("f64(f64, i32, f32)"), &mix, 1.5, -3, 0.25f);
  chain::check(plan_of("ldouble(ldouble, i32)"), &ld, 1.25L, 3);  // x87 result, stack argument
}

TEST(StaticChain, StructsInRegistersAndInMemory) {
  chain::check(plan_of("{f64, i64}({f64, i64}, i32)"), &dl, DL{2.5, 40}, 3);
  chain::check(plan_of("{f32, f32, f32}({f32, f32, f32}, f64)"), &f3, F3{1, 2, 3}, 0.5);
  // The result through a hidden pointer (rdi), the argument on the stack.
  chain::check(plan_of("{i64, i64, i64}({i64, i64, i64}, i64)"), &big, Big{1, -2, 3}, 7);
}

TEST(StaticChain, StackArguments) {
  chain::check(plan_of("i64(i64, i64, i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, "
                       "f64, f64, f64, f64, i8)"),
               &many, std::int64_t(1), std::int64_t(2), std::int64_t(3), std::int64_t(4),
               std::int64_t(5), std::int64_t(6), std::int64_t(7), std::int64_t(8), 0.5, 1.5, 2.5,
               3.5, 4.5, 5.5, 6.5, 7.5, 8.5, std::int8_t(-9));
}

// Win64: the callee and the entry's caller use the Microsoft convention, the stubs the host's.
using WinFn = std::int64_t(__attribute__((ms_abi)) *)(std::int64_t, double, std::int32_t,
                                                      std::int64_t, double, std::int64_t);
__attribute__((ms_abi)) std::int64_t win_mix(std::int64_t a, double b, std::int32_t c,
                                             std::int64_t d, double e, std::int64_t f) {
  return a + std::int64_t(b * 4) + 3 * c + 5 * d + std::int64_t(e * 8) + 7 * f;
}
std::int64_t sysv_mix(std::int64_t a, double b, std::int32_t c, std::int64_t d, double e,
                      std::int64_t f) {
  return win_mix(a, b, c, d, e, f);
}

TEST(StaticChain, Win64) {
  const abi::CallPlan plan = plan_of("i64(i64, f64, i32, i64, f64, i64)", Abi::Win64);
  Stub down(plan, StubKind::ChainDowncall, "w-down");
  Stub entry(plan, StubKind::ChainUpcall, "w-up",
             reinterpret_cast<const void *>(
                 &chain::handler<std::int64_t, std::int64_t, double, std::int32_t, std::int64_t,
                                 double, std::int64_t>));
  chain::Ctx ctx{chain::kMagic, reinterpret_cast<const void *>(&sysv_mix), 0};
  const std::int64_t want = win_mix(1, 2.5, -3, 4, 0.75, -6);

  jitffi_test_chain_value = &ctx;
  jitffi_test_chain_target = entry.code();
  EXPECT_EQ(chain::shim_as<WinFn>()(1, 2.5, -3, 4, 0.75, -6), want);

  std::int64_t a = 1, d = 4, f = -6, r = 0;
  double b = 2.5, e = 0.75;
  std::int32_t c = -3;
  void *args[] = {&a, &b, &c, &d, &e, &f};
  jitffi_test_chain_seen = nullptr;
  jitffi_test_chain_target = reinterpret_cast<const void *>(&win_mix);
  reinterpret_cast<chain::ChainCall>(down.code())(
      reinterpret_cast<void *>(&jitffi_test_chain_probe), &r, args, &ctx);
  EXPECT_EQ(jitffi_test_chain_seen, &ctx);
  EXPECT_EQ(r, want);
  r = 0;
  reinterpret_cast<chain::ChainCall>(down.code())(entry.code(), &r, args, &ctx);
  EXPECT_EQ(r, want);
  EXPECT_EQ(ctx.calls, 2);
}

TEST(StaticChain, ExceptionFromTheHandlerUnwindsThroughTheEntry) {
  const abi::CallPlan plan = plan_of("i32(i32, i32)");
  auto throwing = [](void *, void **args, void *chain) {
    throw std::runtime_error("chain " + std::to_string(*static_cast<int *>(chain)) + " arg " +
                             std::to_string(*static_cast<std::int32_t *>(args[0])));
  };
  Stub entry(plan, StubKind::ChainUpcall, "throw-chain", reinterpret_cast<const void *>(+throwing));
  int tag = 77;
  jitffi_test_chain_value = &tag;
  jitffi_test_chain_target = entry.code();
  try {
    chain::shim_as<std::int32_t (*)(std::int32_t, std::int32_t)>()(5, 6);
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "chain 77 arg 5");
  }
}

TEST(StaticChain, ListingAndEncoding) {
  const abi::CallPlan plan = plan_of("i32(i32, i32, i32, i32, i32)");  // rcx carries an argument
  const std::string down = jit::disassemble(plan, StubKind::ChainDowncall);
  EXPECT_NE(down.find("mov r10, qword ptr [rsp"), std::string::npos) << down;
  static const char handler = 0;
  const std::string up = jit::disassemble(plan, StubKind::ChainUpcall, &handler);
  EXPECT_NE(up.find("mov rdx, r10"), std::string::npos) << up;
  for (const char *text : {"i32(i32, i32, i32, i32, i32)", "{i64, i64, i64}({i64, i64, i64}, i64)",
                           "f64(f64, i32, f32)", "ldouble(ldouble, i32)", "void()"}) {
    std::string why;
    EXPECT_TRUE(jit::x64::encoding_matches(plan_of(text), &why)) << text << ": " << why;
  }
}

TEST(StaticChain, AnEntryNeedsAHandler) {
  EXPECT_THROW(Stub(plan_of("void()"), StubKind::ChainUpcall, "no-handler"), Error);
}

}  // namespace
}  // namespace jitffi::test
