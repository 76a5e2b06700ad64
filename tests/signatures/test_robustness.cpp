// Hostile and damaged input: the parser answers with a ParseError or a valid signature, never a
// crash, a hang or another exception.
#include <gtest/gtest.h>

#include <random>

#include "jitffi/signature.h"

namespace jitffi {
namespace {

TEST(Robustness, DeepNestingIsAnErrorNotAStackOverflow) {
  const int n = 100000;
  const std::string structs = "void(" + std::string(n, '{') + "i32" + std::string(n, '}') + ")";
  EXPECT_THROW(Signature::parse(structs), ParseError);
  const std::string parens = "void({i8[" + std::string(n, '(') + "1" + std::string(n, ')') + "]})";
  EXPECT_THROW(Signature::parse(parens), ParseError);
  const std::string minus = "void({i8[" + std::string(n, '-') + "1]})";
  EXPECT_THROW(Signature::parse(minus), ParseError);
  std::string fnptr = "void f(";
  for (int i = 0; i < 5000; ++i) fnptr += "void (*)(";
  EXPECT_THROW(Signature::parse(fnptr), ParseError);
  std::string conds = "void({i8[";
  for (int i = 0; i < 5000; ++i) conds += "1 ? ";
  EXPECT_THROW(Signature::parse(conds + "1]})"), ParseError);
  // Reasonable nesting still works.
  const std::string ok = "void(" + std::string(20, '{') + "i32" + std::string(20, '}') + ")";
  EXPECT_EQ(Signature::parse(ok, Abi::SysV_x64).params()[0]->size(), 4u);
}

// Valid texts of many shapes, damaged at random: each result must be a ParseError or a
// signature whose canonical form parses back to itself.
TEST(Robustness, MutatedInputNeverCrashes) {
  const std::vector<std::string> seeds = {
      "i32(ptr, f64, ...)",
      "{f64, f64}({f64, f64}, i32)",
      "sysv:{i32,union{f32,i64}[2]}(ptr,...,i32,f64)",
      "int sqlite3_open(const char *filename, void **db)",
      "void (*signal(int sig, void (*func)(int)))(int)",
      "__attribute__((ms_abi)) long f(long double, unsigned char c[3])",
      "struct pt { double x, y; } mid(struct pt a, struct pt b);",
      "void f({i8[(1 << 3) + 'a' % 5], enum { A = -1 } e})",
      "int printf(const char *, ..., int, double)",
  };
  const std::string alphabet = "(){}[],;*:.=+-~!/%<>&^|?'\"# \n/*ai0x_";
  std::mt19937 rng(42);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  int errors = 0, parsed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = seeds[pick(seeds.size())];
    const int edits = 1 + static_cast<int>(pick(3));
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = pick(text.size());
      switch (pick(4)) {
        case 0:
          text.erase(at, 1);
          break;
        case 1:
          text.insert(at, 1, alphabet[pick(alphabet.size())]);
          break;
        case 2:
          text.resize(at);
          break;
        default:
          text[at] = alphabet[pick(alphabet.size())];
          break;
      }
    }
    try {
      const Signature sig = Signature::parse(text, Abi::SysV_x64);
      ASSERT_EQ(Signature::parse(sig.canonical()), sig) << text;
      ++parsed;
    } catch (const ParseError &e) {
      ASSERT_EQ(e.input(), text);
      ASSERT_LE(e.position(), text.size()) << e.what();
      ++errors;
    }
  }
  // Both outcomes occur, so the mutations exercise the error paths and the valid paths.
  EXPECT_GT(errors, 1000);
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace jitffi
