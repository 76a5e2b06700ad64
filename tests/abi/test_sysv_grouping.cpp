// x86-64 System V: the merge rules (psABI §3.2.3 item 4) are not associative, so the order in
// which leaves are merged matters. gcc classifies each member of an aggregate whole (with its own
// cleanup) before merging it into the parent; these are the cases where merging leaf by leaf
// would differ. Found by the differential suite's 20,000-signature run (seed 1, #10668).
#include <gtest/gtest.h>

#include <string>

#include "abi/sysv_x64_classes.h"
#include "jitffi/signature.h"

namespace {

using jitffi::Abi;
using jitffi::Scope;

std::string classes(const char *type) {
  Scope scope(Abi::SysV_x64);
  auto c = jitffi::abi::sysv::classify(*scope.type(type));
  std::string s;
  for (std::size_t i = 0; i < c.count; ++i) {
    if (i) s += ",";
    s += jitffi::abi::sysv::class_name(c.eightbyte[i]);
  }
  return s;
}

// The long double's X87UP meets a member union whose second eightbyte is already INTEGER
// (SSE + INTEGER); X87UP + INTEGER is INTEGER by rule (d). Leaf by leaf, X87UP + SSE would be
// MEMORY by rule (e) first. gcc returns this union in rax:rdx.
TEST(SysvGrouping, LongDoubleBesideAMemberThatIsIntegerAsAWhole) {
  EXPECT_EQ(classes("union{ldouble, u16, i32, union{{f32, {f32[1]}[2], u8}, f32[2], f32}}"),
            "INTEGER,INTEGER");
}

TEST(SysvGrouping, LongDoubleBesideSseThenIntegerLeavesOfOneStruct) {
  EXPECT_EQ(classes("union{ldouble, {i64, f32, u8}}"), "INTEGER,INTEGER");
}

// Rule (e) still applies between whole members: X87UP against an all-SSE member is MEMORY.
TEST(SysvGrouping, LongDoubleBesideAnSseMemberIsMemory) {
  EXPECT_EQ(classes("union{ldouble, {i64, f64}}"), "MEMORY");
}

// A member that is MEMORY by itself makes the parent MEMORY (cleanup at every level).
TEST(SysvGrouping, MemberUnionThatIsMemoryByItself) {
  EXPECT_EQ(classes("{union{ldouble, {i64, f64}}}"), "MEMORY");
}

}  // namespace
