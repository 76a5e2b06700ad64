// The parser's table of built-in words (signatures/parser_names.h): every C keyword and compact
// type name must come back as its own id, and near misses as no word. The table is a
// compile-time hash; a mistake in it once lost `i32` silently (four words in a bucket of three).
#include <gtest/gtest.h>

#include <iterator>
#include <set>
#include <string>

#include "signatures/parser_names.h"

namespace jitffi::parse {
namespace {

constexpr const char *kCompactNames[] = {"i8",  "u8",  "i16",     "u16",  "i32",
                                         "u32", "i64", "u64",     "i128", "u128",
                                         "f32", "f64", "ldouble", "ptr",  "cstr"};

TEST(WordTable, EveryKeywordIsItsOwnId) {
  for (std::size_t i = 0; i < std::size(kKeywords); ++i) {
    const std::string w(kKeywords[i]);
    EXPECT_EQ(word_of(w), i + 1) << w;
    EXPECT_TRUE(is_keyword(w)) << w;
    EXPECT_FALSE(is_compact_name(w)) << w;
    EXPECT_TRUE(is_reserved(w)) << w;
  }
}

TEST(WordTable, EveryCompactNameHasADistinctIdAfterTheKeywords) {
  std::set<unsigned> ids;
  for (const char *n : kCompactNames) {
    const unsigned id = word_of(n);
    EXPECT_GT(id, std::size(kKeywords)) << n;
    EXPECT_TRUE(is_compact_name(n)) << n;
    EXPECT_FALSE(is_keyword(n)) << n;
    EXPECT_TRUE(ids.insert(id).second) << n << " shares id " << id;
  }
  EXPECT_EQ(ids.size(), std::size(kCompactNames));
}

TEST(WordTable, NearMissesAndOtherNamesAreNoWord) {
  std::set<std::string> words(std::begin(kCompactNames), std::end(kCompactNames));
  for (auto k : kKeywords) words.insert(std::string(k));
  for (const std::string &w : words) {
    for (const std::string &miss : {w + "x", "x" + w, w.substr(0, w.size() - 1), w.substr(1)}) {
      if (miss.empty() || words.count(miss)) continue;  // `__asm` is a prefix of `__asm__`
      EXPECT_EQ(word_of(miss), 0u) << miss;
    }
  }
  for (const char *other : {"", "x", "size_t", "int32_t", "FILE", "my_type", "I32", "Double"})
    EXPECT_EQ(word_of(other), 0u) << other;
}

}  // namespace
}  // namespace jitffi::parse
