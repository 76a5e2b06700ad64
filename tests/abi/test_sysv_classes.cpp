// x86-64 System V psABI §3.2.3 eightbyte classification, rule by rule: the merge of two field
// classes (item 4), the post-merger cleanup (item 5, including the SSEUP and COMPLEX_X87 cases our
// type model cannot produce) and the classes of scalars and aggregates.
#include <gtest/gtest.h>

#include <string>

#include "abi/sysv_x64_classes.h"
#include "test_sysv_util.h"

namespace jitffi::test::sysv {
namespace {

using abi::sysv::ArgClass;
using abi::sysv::class_name;
using abi::sysv::Classification;
using abi::sysv::merge;
using abi::sysv::post_merge;
constexpr ArgClass NO = ArgClass::NoClass, INT = ArgClass::Integer, SSE = ArgClass::Sse,
                   SSEUP = ArgClass::SseUp, X87 = ArgClass::X87, X87UP = ArgClass::X87Up,
                   CX87 = ArgClass::ComplexX87, MEM = ArgClass::Memory;

std::string names(const Classification &c) {
  std::string s;
  for (std::size_t i = 0; i < c.count; ++i) {
    if (i) s += ",";
    s += class_name(c.eightbyte[i]);
  }
  return s;
}

std::string classes(const TypeRef &t) {
  return names(abi::sysv::classify(*t));
}

Classification of(std::initializer_list<ArgClass> cs) {
  Classification c;
  for (ArgClass k : cs) c.eightbyte[c.count++] = k;
  return c;
}

// Item 4: the full table, both argument orders.
TEST(SysvClasses, MergeRules) {
  struct Row {
    ArgClass a, b, want;
    const char *rule;
  };
  const Row rows[] = {
      {INT, INT, INT, "(a) equal"},
      {SSE, SSE, SSE, "(a) equal"},
      {X87, X87, X87, "(a) equal"},
      {NO, SSE, SSE, "(b) NO_CLASS yields"},
      {NO, INT, INT, "(b) NO_CLASS yields"},
      {NO, X87UP, X87UP, "(b) NO_CLASS yields"},
      {MEM, SSE, MEM, "(c) MEMORY"},
      {MEM, INT, MEM, "(c) MEMORY"},
      {INT, SSE, INT, "(d) INTEGER"},
      {INT, X87, INT, "(d) INTEGER before (e)"},
      {INT, X87UP, INT, "(d) INTEGER"},
      {INT, SSEUP, INT, "(d) INTEGER"},
      {X87, SSE, MEM, "(e) X87"},
      {X87UP, SSE, MEM, "(e) X87UP"},
      {CX87, SSE, MEM, "(e) COMPLEX_X87"},
      {X87, X87UP, MEM, "(e) X87 with X87UP"},
      {SSE, SSEUP, SSE, "(f) SSE"},
  };
  for (const Row &r : rows) {
    EXPECT_EQ(merge(r.a, r.b), r.want)
        << class_name(r.a) << " + " << class_name(r.b) << " " << r.rule;
    EXPECT_EQ(merge(r.b, r.a), r.want)
        << class_name(r.b) << " + " << class_name(r.a) << " " << r.rule;
  }
}

// Item 5.
TEST(SysvClasses, PostMergerCleanup) {
  // (a) one MEMORY eightbyte makes the whole object MEMORY.
  EXPECT_EQ(names(post_merge(of({INT, MEM}), 16)), "MEMORY");
  // (b) X87UP must follow X87.
  EXPECT_EQ(names(post_merge(of({X87, X87UP}), 16)), "X87,X87UP");
  EXPECT_EQ(names(post_merge(of({INT, X87UP}), 16)), "MEMORY");
  EXPECT_EQ(names(post_merge(of({SSE, X87UP}), 16)), "MEMORY");
  // (c) over 16 bytes only SSE followed by SSEUPs (one vector register) stays.
  EXPECT_EQ(names(post_merge(of({SSE, SSEUP, SSEUP, SSEUP}), 32)), "SSE,SSEUP,SSEUP,SSEUP");
  EXPECT_EQ(names(post_merge(of({SSE, SSE, SSE}), 24)), "MEMORY");
  EXPECT_EQ(names(post_merge(of({INT, SSEUP, SSEUP}), 24)), "MEMORY");
  EXPECT_EQ(names(post_merge(of({SSE, SSEUP, SSE, SSEUP}), 32)), "MEMORY");
  // (d) SSEUP not after SSE or SSEUP becomes SSE.
  EXPECT_EQ(names(post_merge(of({INT, SSEUP}), 16)), "INTEGER,SSE");
  EXPECT_EQ(names(post_merge(of({SSE, SSEUP}), 16)), "SSE,SSEUP");
  // Nothing to clean up.
  EXPECT_EQ(names(post_merge(of({SSE, INT}), 16)), "SSE,INTEGER");
}

// Item 1: scalar classes.
TEST(SysvClasses, Scalars) {
  for (TypeRef t : {b(), i8(), u8(), i16(), u16(), i32(), u32(), i64(), u64(), ptr()})
    EXPECT_EQ(classes(t), "INTEGER") << t->canonical();
  EXPECT_EQ(classes(f32()), "SSE");
  EXPECT_EQ(classes(f64()), "SSE");
  EXPECT_EQ(classes(i128()), "INTEGER,INTEGER");  // like a struct of two longs
  EXPECT_EQ(classes(u128()), "INTEGER,INTEGER");
  EXPECT_EQ(classes(ld()), "X87,X87UP");
  EXPECT_THROW(abi::sysv::classify(*v()), UnsupportedError);
}

// Items 1, 3, 4, 5 on aggregates.
TEST(SysvClasses, Aggregates) {
  EXPECT_EQ(classes(S({i32(), f32()})), "INTEGER");
  EXPECT_EQ(classes(S({f32(), f32(), f64()})), "SSE,SSE");
  EXPECT_EQ(classes(S({f64(), i8()})), "SSE,INTEGER");
  EXPECT_EQ(classes(S({S({f32()}), S({f32()}), A(i16(), 2)})), "SSE,INTEGER");
  EXPECT_EQ(classes(U({A(f32(), 2), i64()})), "INTEGER");
  EXPECT_EQ(classes(U({A(f32(), 4), S({f64(), i32()})})), "SSE,INTEGER");
  EXPECT_EQ(classes(S({ld()})), "X87,X87UP");
  EXPECT_EQ(classes(U({ld(), ld()})), "X87,X87UP");
  EXPECT_EQ(classes(U({ld(), f64()})), "MEMORY");
  EXPECT_EQ(classes(U({ld(), i64()})), "MEMORY");
  EXPECT_EQ(classes(S({i64(), i64(), i64()})), "MEMORY");
  EXPECT_EQ(classes(S({A(i8(), 17)})), "MEMORY");
  EXPECT_EQ(classes(S({A(f64(), 9)})), "MEMORY");
  EXPECT_EQ(classes(S({A(i8(), 16)})), "INTEGER,INTEGER");
  EXPECT_EQ(classes(S({i8()})), "INTEGER");
}

}  // namespace
}  // namespace jitffi::test::sysv
