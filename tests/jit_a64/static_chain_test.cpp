// The static chain stubs on AArch64 (libffi's ffi_call_go and go closures): the context travels in
// x18. Listed on any host; run on arm64 (or qemu-aarch64 in the cross build), judged by the
// compiler on both sides (tests/jit/static_chain.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "abi/call_plan.h"
#include "jit/stub.h"

#if defined(__aarch64__)
#define JITFFI_STATIC_CHAIN_CHECKS
#include "../jit/static_chain.h"
#endif

namespace jitffi::test {
namespace {

using jit::Stub;
using jit::StubKind;

abi::CallPlan plan_of(const char *text) {
  return abi::classify(Signature::parse(text, Abi::AAPCS64));
}

bool has(const std::string &text, const char *what) {
  return text.find(what) != std::string::npos;
}

TEST(A64StaticChain, ListingSetsAndReadsX18) {
  const abi::CallPlan plan = plan_of("i32(i32, i32, i32, i32, i32)");  // x3 carries an argument
  const std::string down = jit::disassemble(plan, StubKind::ChainDowncall);
  // The chain is taken from x3 before any argument register is loaded.
  const auto chain = down.find("mov x18, x3");
  ASSERT_NE(chain, std::string::npos) << down;
  EXPECT_LT(chain, down.find("ldr w3")) << down;
  static const char handler = 0;
  const std::string up = jit::disassemble(plan, StubKind::ChainUpcall, &handler);
  EXPECT_TRUE(has(up, "mov x2, x18")) << up;
  EXPECT_FALSE(has(up, "x9")) << up;  // no ClosureContext: the chain is the user data
  EXPECT_THROW(jit::disassemble(plan, StubKind::ChainUpcall), Error);
}

#if defined(__aarch64__)

using namespace chain::targets;

TEST(A64StaticChain, IntsAndNarrowInts) {
  chain::check(plan_of("i32(i32, i32)"), &add, 14, -2);
  chain::check(plan_of("i8(i8, u16)"), &narrow, std::int8_t(-100), std::uint16_t(60000));
}

TEST(A64StaticChain, FloatingPoint) {
  chain::check(plan_of("f64(f64, i32, f32)"), &mix, 1.5, -3, 0.25f);
  chain::check(plan_of("ldouble(ldouble, i32)"), &ld, 1.25L, 3);  // binary128 in q0
}

TEST(A64StaticChain, StructsInRegistersAndInMemory) {
  chain::check(plan_of("{f64, i64}({f64, i64}, i32)"), &dl, DL{2.5, 40}, 3);
  chain::check(plan_of("{f32, f32, f32}({f32, f32, f32}, f64)"), &f3, F3{1, 2, 3}, 0.5);
  // The result through x8, the argument as a pointer to a copy.
  chain::check(plan_of("{i64, i64, i64}({i64, i64, i64}, i64)"), &big, Big{1, -2, 3}, 7);
}

TEST(A64StaticChain, StackArguments) {
  chain::check(plan_of("i64(i64, i64, i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, "
                       "f64, f64, f64, f64, i8)"),
               &many, std::int64_t(1), std::int64_t(2), std::int64_t(3), std::int64_t(4),
               std::int64_t(5), std::int64_t(6), std::int64_t(7), std::int64_t(8), 0.5, 1.5, 2.5,
               3.5, 4.5, 5.5, 6.5, 7.5, 8.5, std::int8_t(-9));
}

TEST(A64StaticChain, ExceptionFromTheHandlerUnwindsThroughTheEntry) {
  auto throwing = [](void *, void **args, void *chain) {
    throw std::runtime_error("chain " + std::to_string(*static_cast<int *>(chain)) + " arg " +
                             std::to_string(*static_cast<std::int32_t *>(args[0])));
  };
  Stub entry(plan_of("i32(i32, i32)"), StubKind::ChainUpcall, "throw-chain",
             reinterpret_cast<const void *>(+throwing));
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

#endif  // __aarch64__

}  // namespace
}  // namespace jitffi::test
