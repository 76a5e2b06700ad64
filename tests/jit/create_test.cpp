// Making a stub for a new signature (issue 13): the shortcuts taken there change no byte of the
// code and keep a prepared call usable after the cache that made it is gone.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "abi/call_plan.h"
#include "jit/stub_cache.h"
#include "jit/x64_emitter.h"
#include "targets.h"

namespace jitffi::test {
namespace {

abi::CallPlan plan_of(const std::string &text, Abi abi = Abi::SysV_x64) {
  return abi::classify(Signature::parse(text, abi));
}

// Stack arguments of every width and by-value aggregates of odd sizes on the stack: the copies
// the downcall encodes without asmjit operands give the bytes asmjit gives.
TEST(NewSignature, StackArgumentCopiesEncodeAsAsmjitDoes) {
  std::string many = "i64(f64";
  const char *const kTypes[] = {"i32", "i8", "i16", "i64", "f32", "f64", "ptr", "u16", "u8"};
  for (int i = 0; i < 44; ++i) many += std::string(",") + kTypes[i % 9];
  many += ")";
  for (const std::string &text :
       {many, std::string("void(i64,i64,i64,i64,i64,i64,i8,{i8,i8,i8},{i32,i8},{i32,i16,i8})"),
        std::string("void(i64,i64,i64,i64,i64,i64,{i64,i64,i64},{i8[23]},u16)"),
        std::string("f32(f64,f64,f64,f64,f64,f64,f64,f64,f32,f64,{f32,f32,f32})"),
        std::string("{i64,i64,i64}(i64,i64,i64,i64,i64,i64,i32,{i64[20]})")}) {
    std::string why;
    EXPECT_TRUE(jit::x64::encoding_matches(plan_of(text), &why)) << text << ": " << why;
    EXPECT_TRUE(jit::x64::encoding_matches(plan_of(text, Abi::Win64), &why)) << text << ": " << why;
  }
}

// A call prepared by a cache that is destroyed first (a pinned entry of a cache other than the
// global one: the call keeps its own copy of the plan) still makes its value entry later.
TEST(NewSignature, ACallOutlivesItsCacheAndStillMakesItsEntries) {
  std::shared_ptr<const detail::CallImpl> impl;
  {
    jit::StubCache cache;
    impl = cache.downcall(Signature::parse("i32(i32,i32)"));
    ASSERT_EQ(cache.pinned(), 1u);
  }
  void *entry = impl->entry(EntryKind::Value, false);
  ASSERT_NE(entry, nullptr);
  std::int32_t a = 5, b = -2;
  void *args[] = {&a, &b};
  auto value = reinterpret_cast<std::int32_t (*)(void *, void **)>(entry);
  EXPECT_EQ(value(reinterpret_cast<void *>(&t_add), args), 13);
}

}  // namespace
}  // namespace jitffi::test
