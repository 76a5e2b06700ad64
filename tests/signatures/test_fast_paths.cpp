// The compact notation's fast path (signatures/parser_fast.cpp) against the general parser:
// on every text here, whatever the fast path accepts the general parser reads to the same parts
// (ABI, the same types, fixed count, variadic), and whatever the general parser rejects the fast
// path leaves to it, so that Signature::parse throws the general parser's error, message and
// position. Scalar names and aliases on every ABI, whitespace, prefixes of valid texts and
// random texts from the language's tokens; and the shapes that must take the fast path.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "jitffi/signature.h"
#include "signatures/parser_fast.h"

namespace jitffi {
namespace {

constexpr Abi kAbis[] = {Abi::SysV_x64, Abi::Win64, Abi::AAPCS64, Abi::Apple_arm64,
                         Abi::Windows_arm64};

// The same type, member by member: kind, layout, cstr, canonical text, tag, member names.
::testing::AssertionResult same_type(const TypeRef &a, const TypeRef &b) {
  if (!a || !b) return ::testing::AssertionFailure() << "a null type";
  if (a->kind() != b->kind() || a->size() != b->size() || a->align() != b->align() ||
      a->is_cstr() != b->is_cstr() || a->canonical() != b->canonical() || a->tag() != b->tag() ||
      a->fields().size() != b->fields().size() || a->count() != b->count())
    return ::testing::AssertionFailure() << a->canonical() << " vs " << b->canonical();
  for (std::size_t i = 0; i < a->fields().size(); ++i) {
    const Field &x = a->fields()[i], &y = b->fields()[i];
    if (x.name != y.name || x.offset != y.offset)
      return ::testing::AssertionFailure() << "member " << i << " of " << a->canonical();
    if (auto r = same_type(x.type, y.type); !r) return r;
  }
  // Scalars are shared: the fast path hands out the very same objects.
  if (!a->is_aggregate() && a.get() != b.get())
    return ::testing::AssertionFailure() << a->canonical() << ": another object";
  return ::testing::AssertionSuccess();
}

// What the general parser says about `text`: its parts, or its error.
struct General {
  bool ok = false;
  parse::SigParts parts;
  std::string error;
  std::size_t position = 0;
};
General general(std::string_view text, Abi abi) {
  General g;
  try {
    const Scope base(abi);
    Scope overlay(abi);
    g.parts = Parser(text, abi, base, overlay).signature();
    g.ok = true;
  } catch (const ParseError &e) {
    g.error = e.what();
    g.position = e.position();
  }
  return g;
}

// Which reader took a text: one of the fast paths, or the general parser.
enum class Path { General, Compact, C };

void expect_same_parts(const parse::SigParts &f, const parse::SigParts &g, bool names) {
  EXPECT_EQ(f.abi, g.abi);
  EXPECT_TRUE(same_type(f.ret, g.ret));
  EXPECT_EQ(f.params.size(), g.params.size());
  for (std::size_t i = 0; i < f.params.size() && i < g.params.size(); ++i)
    EXPECT_TRUE(same_type(f.params[i], g.params[i])) << "parameter " << i;
  EXPECT_EQ(f.fixed, g.fixed);
  EXPECT_EQ(f.variadic, g.variadic);
  EXPECT_EQ(f.name, g.name);
  if (names) {
    EXPECT_EQ(f.names, g.names);
  } else {  // the compact path names nothing
    EXPECT_TRUE(f.names.empty());
    for (const std::string &n : g.names) EXPECT_EQ(n, "");
  }
}

// Compares both fast paths with the general parser on one text; returns the path
// Scope::signature takes (the compact one first).
Path compare(std::string_view text, Abi abi) {
  SCOPED_TRACE(::testing::Message() << "text \"" << text << "\" on " << abi_name(abi));
  const General g = general(text, abi);
  parse::SigParts compact, c;
  const bool by_compact = parse::compact_signature(text, abi, &compact);
  const bool by_c = parse::c_signature(text, abi, true, &c);
  if (!g.ok) {
    EXPECT_FALSE(by_compact) << "the compact path accepts what the general parser rejects: "
                             << g.error;
    EXPECT_FALSE(by_c) << "the C path accepts what the general parser rejects: " << g.error;
    try {
      (void)Signature::parse(text, abi);
      ADD_FAILURE() << "Signature::parse accepts it";
    } catch (const ParseError &e) {
      EXPECT_EQ(e.what(), g.error);
      EXPECT_EQ(e.position(), g.position);
    }
    return Path::General;
  }
  if (by_compact) expect_same_parts(compact, g.parts, false);
  if (by_c) expect_same_parts(c, g.parts, true);
  return by_compact ? Path::Compact : by_c ? Path::C : Path::General;
}

// Every single-word name of a scalar type (compact, C keywords, standard typedefs), names that
// are close to them, and multi-word C types, which the general parser reads alone.
const std::vector<std::string> &names() {
  static const std::vector<std::string> n = {
      "i8",         "u8",        "i16",          "u16",         "i32",         "u32",
      "i64",        "u64",       "i128",         "u128",        "f32",         "f64",
      "ldouble",    "ptr",       "cstr",         "void",        "bool",        "_Bool",
      "char",       "short",     "int",          "long",        "signed",      "__signed",
      "__signed__", "unsigned",  "float",        "double",      "__int128",    "size_t",
      "ssize_t",    "int32_t",   "uint8_t",      "wchar_t",     "time_t",      "FILE",
      "i",          "u",         "i3",           "i320",        "i32x",        "f",
      "f16",        "f128",      "pt",           "ptrx",        "cst",         "cstrs",
      "u1",         "i12",       "i1288",        "I32",         "_i32",        "x",
      "ldoubl",     "ldoublex",  "struct",       "union",       "enum",        "const",
      "typedef",    "long long", "unsigned int", "long double", "signed char", "void *",
      "char *",     "i32 *",     "const char *"};
  return n;
}

TEST(CompactFastPath, EveryScalarNameAsReturnAndParameterOnEveryAbi) {
  for (Abi abi : kAbis)
    for (const std::string &n : names()) {
      compare(n + "()", abi);
      compare(n + "(void)", abi);
      compare("i32(" + n + ")", abi);
      compare("void(" + n + ", " + n + ")", abi);
      compare("i32(ptr, ..., " + n + ")", abi);
      compare("void({" + n + "})", abi);
      compare("{" + n + ", i8}(union{" + n + ", f64})", abi);
      compare("i32(" + n + " x)", abi);
    }
}

TEST(CompactFastPath, TakesTheCompactShapes) {
  const char *const kFast[] = {
      "void()",
      "i32(ptr, f64)",
      "f64(i8,i16,i32)",
      "  i32 ( ptr ,\n f64 )  ",
      "\ti32\v(\fptr\r,f64)\n;\n",
      "i32(ptr, f64, ...)",
      "i32(...)",
      "i32(ptr, ..., f64, i64, ptr)",
      "i32(void)",
      "void(i8, u8, i16, u16, i32, u32, i64, u64, i128, u128, f32, f64, ldouble, ptr, cstr)",
      "cstr(cstr, ptr)",
      "sysv:i32(i32)",
      "win64 : i32(i32)",
      "ms_abi:void()",
      "{i32,f64}(ptr,{f32,f32},u64)",
      "void(union{i32, f32}, {u8, union{f64, i64}})",
      "struct{i8, i64}(struct{f32})",
      "{{{{i8}}}}()",
      "double(double, double)",
      "int(char, short, long, unsigned, signed, float, bool, _Bool, __int128)",
      "i32(i32);",
  };
  for (const char *t : kFast)
    for (Abi abi : kAbis) {
      if (std::string_view(t).find("ldouble") != std::string_view::npos &&
          (abi == Abi::Win64 || abi == Abi::Apple_arm64 || abi == Abi::Windows_arm64))
        continue;  // an error there: the general parser's
      EXPECT_EQ(compare(t, abi), Path::Compact)
          << "not on the compact path: \"" << t << "\" on " << abi_name(abi);
    }
}

TEST(CompactFastPath, LeavesEverythingElseToTheGeneralParser) {
  const char *const kGeneral[] = {
      "i32(ptr f64)",
      "i32(ptr,)",
      "i32(,ptr)",
      "i32(ptr",
      "i32 ptr)",
      "i32(void, i32)",
      "i32(i32, void)",
      "i32(void, ...)",
      "i32(..., void)",
      "i32(ptr, ..., ...)",
      "i32(ptr, ..., f32)",
      "i32(ptr, ..., i8)",
      "i32(....)",
      "i32(..)",
      "i32(ptr) x",
      "i32(ptr);;",
      "i32(/* c */ ptr)",
      "i32(ptr) // c",
      "void({})",
      "void({i32,})",
      "void({void})",
      "void({i32; f64})",
      "void({i32[4]})",
      "void(struct s {i32})",
      "void(union u)",
      "void(enum{A})",
      "i32(*)(i32)",
      "i32((i32))",
      "bogus:i32()",
      "sysv:win64:i32()",
      "sysv:",
      ":i32()",
      "win64:ldouble()",
      "i32(unsigned int)",
      "i32(const i32)",
      "i32(i32 const)",
      "i32(i32[2])",
      "i32(size_t)",
      "i32(\xff)",
      "",
      "   ",
      "()",
      "i32",
  };
  for (const char *t : kGeneral) {
    EXPECT_EQ(compare(t, Abi::SysV_x64), Path::General) << "on a fast path: \"" << t << "\"";
  }
  // A text with a NUL: a string_view, not a C string.
  EXPECT_EQ(compare(std::string_view("i32(i\0 32)", 10), Abi::SysV_x64), Path::General);
  EXPECT_EQ(compare(std::string_view("i32(i32)\0", 9), Abi::SysV_x64), Path::General);
  EXPECT_EQ(compare(std::string_view("int f(int)\0", 11), Abi::SysV_x64), Path::General);
}

TEST(CompactFastPath, EveryPrefixOfValidTexts) {
  const char *const kTexts[] = {
      "sysv:{i32, union{f64, u8}}(ptr, {f32, f32}, u64, ..., f64, i32);",
      "win64 : void(i8,u16,...)",
      "int(char, long, double)",
      "i32(void)",
  };
  for (const char *t : kTexts) {
    const std::string text(t);
    for (std::size_t n = 0; n <= text.size(); ++n)
      for (Abi abi : kAbis) compare(text.substr(0, n), abi);
  }
}

TEST(CompactFastPath, DeepAggregates) {
  for (int depth : {1, 63, 64, 65, 199, 200, 201, 300}) {
    const std::string text =
        "void(" + std::string(depth, '{') + "i8" + std::string(depth, '}') + ")";
    compare(text, Abi::SysV_x64);
  }
}

TEST(CompactFastPath, RandomTextsFromTheLanguagesTokens) {
  static const char *const kTokens[] = {"i8",       "u16",    "i32",    "u64",
                                        "i128",     "f32",    "f64",    "ldouble",
                                        "ptr",      "cstr",   "void",   "bool",
                                        "int",      "long",   "double", "char",
                                        "unsigned", "size_t", "x",      "struct",
                                        "union",    "enum",   "const",  "(",
                                        ")",        "(",      ")",      ",",
                                        ",",        ",",      "...",    "{",
                                        "}",        "*",      "[4]",    ";",
                                        ":",        "sysv",   "win64",  "/**/",
                                        ".",        "0",      "i",      "__attribute__((ms_abi))"};
  static const char *const kSpace[] = {"", "", "", " ", "\n", "\t", "  "};
  static const char *const kScalars[] = {"i8",   "u8",   "i16", "u16",  "i32",     "u32",
                                         "i64",  "u64",  "f32", "f64",  "ldouble", "ptr",
                                         "cstr", "bool", "int", "char", "double",  "u128"};
  std::mt19937 rng(20261206);
  auto pick = [&](auto &list) { return std::string(list[rng() % std::size(list)]); };
  // A type of the compact language, sometimes an aggregate of them.
  std::function<std::string(int)> type = [&](int depth) {
    if (depth < 3 && rng() % 6 == 0) {
      std::string t = rng() % 3 == 0 ? "union{" : "{";
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) t += (i ? "," : "") + pick(kSpace) + type(depth + 1);
      return t + "}";
    }
    return pick(kScalars);
  };
  int fast = 0;
  for (int k = 0; k < 20000; ++k) {
    std::string text;
    if (k % 2) {
      // Tokens at random after a plausible head.
      if (rng() % 2) text = rng() % 4 == 0 ? "sysv:i32(" : "i32(";
      const int n = 1 + static_cast<int>(rng() % 10);
      for (int i = 0; i < n; ++i) {
        text += pick(kTokens);
        text += pick(kSpace);
      }
      if (rng() % 2) text += ")";
    } else {
      // A signature of the language, then at times one mutation: a character deleted or a
      // token inserted.
      // Appended piece by piece: gcc 12 warns (-Wrestrict) about `"literal" + std::string`.
      if (rng() % 4 == 0) text += "win64:";
      text += type(0);
      text += pick(kSpace);
      text += '(';
      const int n = static_cast<int>(rng() % 6);
      const int dots = rng() % 3 == 0 ? static_cast<int>(rng() % (n + 1)) : -1;
      for (int i = 0; i < n; ++i) {
        if (i == dots) text += i ? ",..." : "...";
        if (i || i == dots) text += ',';
        text += pick(kSpace);
        text += type(0);
        text += pick(kSpace);
      }
      if (dots == n) text += n ? ",..." : "...";
      text += ")";
      if (rng() % 3 == 0) {
        const std::size_t at = rng() % (text.size() + 1);
        if (rng() % 2 && at < text.size())
          text.erase(at, 1);
        else
          text.insert(at, pick(kTokens));
      }
    }
    fast += compare(text, kAbis[rng() % std::size(kAbis)]) != Path::General;
  }
  EXPECT_GT(fast, 2000);  // the generator reaches the fast path often enough to mean something
}

// The C types the prototype path reads, every spelling in several orders, with qualifiers.
const std::vector<std::string> &c_types() {
  static const std::vector<std::string> t = {
      "void", "char", "signed char", "char signed", "unsigned char", "short", "short int",
      "int short", "signed short", "unsigned short int", "int unsigned short", "int", "signed",
      "unsigned", "signed int", "unsigned int", "long", "long int", "int long", "unsigned long",
      "long unsigned", "long long", "long long int", "long int long", "unsigned long long",
      "long unsigned long", "float", "double", "long double", "double long", "_Bool", "bool",
      "__int128", "unsigned __int128", "__signed__ char", "__signed int", "const int", "int const",
      "volatile unsigned const long", "__const char", "size_t", "const size_t", "size_t const",
      "ssize_t", "int8_t", "uint64_t", "intptr_t", "wchar_t", "char16_t", "__uint128_t",
      // not read by the C path, or not types at all
      "time_t", "FILE", "uLong", "i32", "ptr", "myint", "struct s", "enum e", "union u",
      "long long long", "short long", "signed unsigned", "char char", "float double", "size_t int",
      "int size_t int", "typedef int", "extern int", "register int", "_Atomic int",
      "__attribute__((unused)) int", "int __attribute__((unused))", "_Complex double", ""};
  return t;
}

TEST(CFastPath, EveryTypeSpellingWithPointersAndNamesOnEveryAbi) {
  static const char *const kDecl[] = {
      "",         " x",         " *x",          "*",
      " **x",     " * const x", " *restrict x", " * const * volatile x",
      " bool",    " i32",       " size_t",      " ptr",
      " int",     " void",      " x[4]",        " (*x)(int)",
      " x y",     " *x const",  " *x[]",        " x[ 10 ]",
      " x[0]",    " x[08]",     " x[010]",      " x[2u]",
      " x[1][2]", " x[]",       "[]",           " x[static 2]"};
  int fast = 0;
  for (Abi abi : kAbis)
    for (const std::string &t : c_types())
      for (const char *d : kDecl) {
        fast += compare("int f(" + t + d + ")", abi) == Path::C;
        fast += compare("int f(int a, " + t + d + ", ...)", abi) == Path::C;
        fast += compare(t + d + "(int)", abi) == Path::C;
        fast += compare(t + d + " f(void)", abi) == Path::C;
        fast +=
            compare("static " + t + d + " f(const char *restrict s, " + t + ")", abi) == Path::C;
      }
  EXPECT_GT(fast, 5000);
}

TEST(CFastPath, TakesSimplePrototypes) {
  const char *const kC[] = {
      "double pow(double, double)",
      "void *memcpy(void *dest, const void *src, size_t n)",
      "int snprintf(char *restrict str, size_t size, const char *restrict format, ...)",
      "extern int puts(const char *s);",
      "unsigned long long f(long long a, unsigned short b, signed char c, char *d, char **e)",
      "const char *getenv(const char *name)",
      "int f(void)",
      "int f()",
      "int f(const void)",
      "int *f(int)",
      "_Bool f(bool b, int bool)",
      "int f(int size_t, int i32, char *ptr, long cstr)",
      "static inline int f(register int x)",
      "char const * const f(char const * const * p, const char *const q)",
      "sysv:int f(int)",
      "win64 : long f(long)",
      "wchar_t *f(wchar_t c)",
      "__int128 f(unsigned __int128 x)",
      "int printf(const char *fmt, ..., int x, double y)",
      "int f(...)",
      "\tint\nf ( int\ta ,\vchar * b ) ;\n",
      "__extension__ long long f(long long)",
      "int __cdecl f(int)",
      "int f(int _Nullable * _Nonnull p)",
      "int main(int argc, char *argv[])",
      "int pipe(int pipefd[2])",
      "int f(char x[], char *y[ 10 ], void z[], FILE *w[])",
      "FILE *fopen(const char *restrict path, const char *restrict mode)",
      "DIR *opendir(const char *name)",
      "time_t time(time_t *t)",
      "uLong crc32(uLong crc, const Bytef *buf, uInt len)",
      "int f(charf *s, const charf **t)",
      "int f(int FILE, int time_t)",
  };
  for (const char *t : kC)
    for (Abi abi : kAbis) {
      const Path p = compare(t, abi);
      EXPECT_TRUE(p == Path::C || (p == Path::Compact && std::string_view(t) == "int f(...)"))
          << "not on the C path: \"" << t << "\" on " << abi_name(abi);
    }
  // The names come through.
  const Signature s = Signature::parse("void *memcpy(void *dest, const void *src, size_t n)");
  EXPECT_EQ(s.name(), "memcpy");
  EXPECT_EQ(s.param_names(), (std::vector<std::string>{"dest", "src", "n"}));
  EXPECT_TRUE(Signature::parse("char *strdup(const char *s)").ret()->is_cstr());
  EXPECT_FALSE(Signature::parse("char **f(void)").ret()->is_cstr());
  EXPECT_FALSE(Signature::parse("unsigned char *f(void)").ret()->is_cstr());
}

TEST(CFastPath, LeavesTheRestToTheGeneralParser) {
  const char *const kGeneral[] = {
      "int f(int x[0])",
      "int f(int x[010])",
      "int f(int x[2u])",
      "int f(int x[N])",
      "int f(int x[][2])",
      "int f(int x[2][2])",
      "int f(int x[static 2])",
      "int f(int x[*])",
      "int f(int x[)",
      "int f[2](int)",
      "int f(int x[99999999999999999999])",
      "FILE f(void)",
      "int f(FILE x)",
      "int f(FILE)",
      "int f(const FILE)",
      "div_t div(int, int)",
      "int f(FILE int *x)",
      "int f(int (*cb)(int))",
      "int (*f)(int)",
      "int (f)(int)",
      "int (__cdecl f)(int)",
      "int *(__attribute__((unused)) f)(int)",
      "int f(struct point p)",
      "int f(int) __attribute__((nothrow))",
      "int f(int) /* c */",
      "int f(int);;",
      "int f(int)(int)",
      "int f(int)[2]",
      "int f(int x,)",
      "int f(, int x)",
      "int f(void, int)",
      "int f(void x)",
      "int f(int, void)",
      "int f(..., ...)",
      "int f(..., char)",
      "int f(..., float)",
      "int f(int x int y)",
      "int f(int x",
      "int f int x)",
      "typedef int f(int)",
      "int f(extern int x)",
      "int f(static int x)",
      "i32 f(i32 x)",
      "int f(i32 x)",
      "myint f(myint)",
      "long long long f(void)",
      "int int f(void)",
      "bogus:int f(int)",
      "int f(int) x",
      "ldouble f(void)",
  };
  for (const char *t : kGeneral)
    EXPECT_EQ(compare(t, Abi::SysV_x64), Path::General) << "on a fast path: \"" << t << "\"";
}

TEST(CFastPath, EveryPrefixOfValidPrototypes) {
  const char *const kTexts[] = {
      "sysv:static const char *const f(unsigned long long a, char *restrict b, ...);",
      "void *memcpy(void *dest, const void *src, size_t n)",
      "int f(void)",
  };
  for (const char *t : kTexts) {
    const std::string text(t);
    for (std::size_t n = 0; n <= text.size(); ++n)
      for (Abi abi : kAbis) compare(text.substr(0, n), abi);
  }
}

TEST(CFastPath, RandomPrototypes) {
  static const char *const kSpace[] = {"", " ", " ", " ", "\n", "\t"};
  static const char *const kNames[] = {"",    "",       "x",   "n",   "bool",
                                       "i32", "size_t", "ptr", "int", "struct"};
  static const char *const kNoise[] = {"*",     ",",    "(",      ")",   "...",
                                       "const", "[2]",  "x",      "int", ";",
                                       "long",  "void", "size_t", "{",   "__attribute__"};
  std::mt19937 rng(7);
  auto pick = [&](auto &list) { return std::string(list[rng() % std::size(list)]); };
  auto decl = [&](bool named) {
    std::string d = c_types()[rng() % 50];  // the spellings the C path reads
    const int stars = static_cast<int>(rng() % 4);
    for (int i = 0; i < stars; ++i) {
      d += pick(kSpace);
      d += '*';
      if (rng() % 3 == 0) d += " const";
    }
    if (named) {
      const std::string n = pick(kNames);
      if (!n.empty()) {
        d += ' ';
        d += n;
      }
    }
    return d;
  };
  int fast = 0;
  for (int k = 0; k < 20000; ++k) {
    std::string text;
    if (rng() % 5 == 0) text += "sysv:";
    if (rng() % 6 == 0) text += "extern ";
    text += decl(false);
    text += " f";
    text += pick(kSpace);
    text += '(';
    const int n = static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      if (i) text += ',';
      text += pick(kSpace);
      text += decl(true);
    }
    if (rng() % 4 == 0) text += n ? ", ..." : "...";
    text += ')';
    if (rng() % 4 == 0) text += ';';
    if (rng() % 3 == 0) {
      const std::size_t at = rng() % (text.size() + 1);
      if (rng() % 2 && at < text.size())
        text.erase(at, 1);
      else
        text.insert(at, pick(kNoise));
    }
    fast += compare(text, kAbis[rng() % std::size(kAbis)]) == Path::C;
  }
  EXPECT_GT(fast, 2000);
}

// A Scope's declarations do not change what the fast paths read: the names they read are
// built in and cannot be declared again with another meaning; every other name goes to the
// general parser and its Scope.
TEST(CFastPath, ScopesKeepTheirTypedefs) {
  Scope s(Abi::SysV_x64);
  s.declare("typedef int myint; typedef unsigned long size_t; typedef struct p { int x; } p;");
  EXPECT_EQ(s.signature("myint f(myint a, size_t n)").canonical(), "sysv:i32(i32,u64)");
  EXPECT_EQ(s.signature("int f(p x)").canonical(), "sysv:i32({i32})");
  EXPECT_THROW(s.declare("typedef int size_t;"), ParseError);
  EXPECT_THROW(s.define("size_t", Type::scalar(TypeKind::I32)), TypeError);
  EXPECT_THROW(s.define("i32", Type::scalar(TypeKind::I64)), TypeError);
  EXPECT_EQ(s.signature("size_t f(size_t)").canonical(), "sysv:u64(u64)");
  // The C library's typedefs are the Scope's to redefine; the fast path leaves them alone then.
  Scope t(Abi::SysV_x64);
  t.declare("typedef int time_t; typedef int FILE(int);");
  EXPECT_EQ(t.signature("time_t f(time_t x, FILE y)").canonical(), "sysv:i32(i32,ptr)");
  EXPECT_EQ(Signature::parse("time_t f(time_t x, FILE *y)", Abi::SysV_x64).canonical(),
            "sysv:i64(i64,ptr)");
}

// One pass writes the canonical text and hashes it: the hash is FNV-1a of the text.
TEST(CompactFastPath, HashIsFnv1aOfTheCanonicalText) {
  for (const char *t :
       {"f64(i8,i16,i32)", "double pow(double, double)", "{i32,f64}(ptr,{f32,f32},u64)",
        "i32(ptr, ...)", "i32(...)", "int printf(const char *, ...)", "void()"})
    for (Abi abi : kAbis) {
      const Signature s = Signature::parse(t, abi);
      std::uint64_t h = 0xcbf29ce484222325ull;
      for (unsigned char c : s.canonical()) h = (h ^ c) * 0x100000001b3ull;
      EXPECT_EQ(s.hash(), h) << s.canonical();
      EXPECT_EQ(s.param_names().size(), s.params().size());
    }
}

// Signatures without names share vectors of empty names (signature.cpp): one name per
// parameter whatever the count, and the names of a prototype kept through with_varargs/with_name.
TEST(CompactFastPath, ParamNamesAreOnePerParameter) {
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string compact = "void(", proto = "void f(", named = "void g(";
    for (std::size_t i = 0; i < n; ++i) {
      compact += i ? ",i32" : "i32";
      proto += i ? ", int" : "int";
      named += (i ? ", int a" : "int a") + std::to_string(i);
    }
    for (const std::string &t : {compact + ")", proto + ")"}) {
      const Signature s = Signature::parse(t);
      ASSERT_EQ(s.param_names().size(), n) << t;
      for (const std::string &name : s.param_names()) EXPECT_EQ(name, "") << t;
      EXPECT_EQ(s.with_name("h").param_names().size(), n) << t;
    }
    const Signature s = Signature::parse(named + ")");
    ASSERT_EQ(s.param_names().size(), n);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(s.param_names()[i], "a" + std::to_string(i));
    EXPECT_EQ(s.with_name("h").param_names(), s.param_names());
  }
  const Signature printf_ = Signature::parse("int printf(const char *fmt, ...)");
  const Signature call = printf_.with_varargs({Type::scalar(TypeKind::I32), Type::pointer()});
  EXPECT_EQ(call.param_names(), (std::vector<std::string>{"fmt", "", ""}));
  std::vector<TypeRef> many(30, Type::scalar(TypeKind::F64));
  const Signature compact = Signature::parse("i32(ptr, ...)").with_varargs(many);
  EXPECT_EQ(compact.param_names(), std::vector<std::string>(31));
}

}  // namespace
}  // namespace jitffi
