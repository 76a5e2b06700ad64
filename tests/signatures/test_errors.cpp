// Bad input: every kind of error is a ParseError naming the input, the 0-based position of the
// offending token and what was expected there.
#include <gtest/gtest.h>

#include <functional>

#include "jitffi/signature.h"

namespace jitffi {
namespace {

// Runs `f`, which must throw ParseError; checks its input, position and expected text.
void expect_error(const std::function<void()> &f, std::string_view input, std::size_t pos,
                  std::string_view expected_part) {
  SCOPED_TRACE(std::string(input));
  try {
    f();
    ADD_FAILURE() << "no error for: " << input;
  } catch (const ParseError &e) {
    EXPECT_EQ(e.input(), input);
    EXPECT_EQ(e.position(), pos) << e.what();
    EXPECT_NE(e.expected().find(expected_part), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at position " + std::to_string(pos)), std::string::npos);
  }
}

void sig_error(std::string_view text, std::size_t pos, std::string_view expected,
               Abi abi = Abi::SysV_x64) {
  expect_error([&] { Signature::parse(text, abi); }, text, pos, expected);
}

// Position of the n-th (0-based) occurrence of `what` in `text`: keeps the tests readable.
std::size_t at(std::string_view text, std::string_view what, int n = 0) {
  std::size_t p = text.find(what);
  while (n-- > 0) p = text.find(what, p + 1);
  return p;
}

TEST(ParseErrors, MessageFormat) {
  try {
    Signature::parse("i32(ptr, f64", Abi::SysV_x64);
    FAIL();
  } catch (const ParseError &e) {
    EXPECT_EQ(std::string(e.what()),
              "expected ',' or ')' in the parameter list, got end of input at position 12 in "
              "\"i32(ptr, f64\"");
  }
}

TEST(ParseErrors, UnknownTypeNames) {
  sig_error("foo(i32)", 0, "a type name, got 'foo'");
  sig_error("i32(ptr, foo)", 9, "a type name, got 'foo'");
  sig_error("int f(bar x)", 6, "a type name, got 'bar'");
  sig_error("void({i32, foo})", 11, "a member type, got 'foo'");
  sig_error("int f(sqlite3 *db)", 6, "a type name, got 'sqlite3'");
  sig_error("i32(const)", 9, "a type name, got ')'");
  // An unknown name says so and how to declare it (issue 15.11).
  sig_error("uLongz crc(uLongz crc)", 0,
            "a type name, got 'uLongz', an unknown type (declare it first: 'typedef <its type> "
            "uLongz;')");
  const std::string c = "int f(const foo_t *p)";
  sig_error(c, at(c, "foo_t"), "got 'foo_t', an unknown type");
  // A C library name that this ABI's C library lacks says that instead.
  expect_error([] { Signature::parse("uid_t getuid(void)", Abi::Win64); }, "uid_t getuid(void)", 0,
               "got 'uid_t', a type that win64's C library does not define (declare it first");
}

TEST(ParseErrors, UnbalancedBrackets) {
  sig_error("i32(ptr, f64", 12, "',' or ')'");
  sig_error("i32(ptr))", 8, "end of input, got ')'");
  sig_error("void({i32, f64)", 14, "',', ';' or '}' after a member, got ')'");
  sig_error("void({i32, f64}", 15, "',' or ')'");
  sig_error("int (*f(int)", 12, "')' to close the declarator");
  sig_error("void({i32[4})", 11, "']' to close the array size");
  sig_error("i32 f(ptr) }", 11, "end of input, got '}'");
  sig_error("i32(", 4, "a type name, got end of input");
}

TEST(ParseErrors, TrailingJunkAndMissingParts) {
  sig_error("i32(ptr) x", 9, "end of input, got 'x'");
  sig_error("int f(int); int g(int);", 12, "end of input, got 'int'");
  sig_error("i32", 3, "'(' and the parameters of a function, got end of input");
  sig_error("int x;", 5, "'(' and the parameters of a function, got ';'");
  sig_error("int (*fp)(int)", 4, "a function, got a function pointer");
  sig_error("", 0, "a type name, got end of input");
  sig_error("i32(ptr f64)", 8, "one type, got 'f64' after 'ptr'");
  sig_error("i32(ptr,)", 8, "a type name, got ')'");
  sig_error("i32(ptr, f64 x y)", 15, "',' or ')'");
}

TEST(ParseErrors, BadCharactersAndComments) {
  sig_error("i32(ptr @)", 8, "got '@'");
  sig_error("i32(/* never closed", 4, "'*/' to close the comment");
  sig_error("i32(ptr, \"str)", 9, "closing");
  sig_error("i32(ptr) # x", 9, "got '#'");
}

TEST(ParseErrors, EmptyStructsAndUnions) {
  sig_error("void({})", 6, "an empty struct has size 0");
  sig_error("void(union{})", 11, "an empty union has size 0");
  const std::string d = "struct e {};";
  expect_error([&] { Scope(Abi::SysV_x64).declare(d); }, d, 10, "an empty struct");
  sig_error("void({i32,})", 10, "a member type after ',', got '}'");
}

TEST(ParseErrors, OpaqueStructByValue) {
  Scope s(Abi::SysV_x64);
  s.declare("typedef struct sqlite3 sqlite3; struct fwd;");
  auto err = [&](std::string_view text, std::size_t pos, std::string_view expected) {
    expect_error([&] { s.signature(text); }, text, pos, expected);
  };
  err("int f(sqlite3 db)", 6, "a complete parameter type, got 'struct sqlite3'");
  err("int f(int, struct fwd x)", 11, "'struct fwd', which is declared but not defined");
  err("sqlite3 f(void)", 0, "a complete return type, got 'struct sqlite3'");
  err("int f(struct never_seen)", 6, "a complete parameter type, got 'struct never_seen'");
  // A tag never declared is not "declared but not defined" (issue 15.13).
  err("int f(struct never_seen2)", 6,
      "got 'struct never_seen2', an unknown struct (never declared: define it first, or pass a "
      "pointer)");
  err("union nope f(void)", 0, "got 'union nope', an unknown union (never declared");
  err("enum undefined f(void)", 0, "a complete return type, got 'enum undefined'");
  err("enum undefined f(void)", 0, "an unknown enum");
  const std::string d = "struct holder { struct fwd inner; };";
  expect_error([&] { s.declare(d); }, d, 16, "a complete member type, got 'struct fwd'");
  // Behind a pointer an opaque type is fine.
  EXPECT_EQ(s.signature("sqlite3 *f(struct fwd *, struct never_seen **)").canonical(),
            "sysv:ptr(ptr,ptr)");
}

TEST(ParseErrors, ArraySizes) {
  sig_error("void({i32[0]})", 10, "a positive array size, got 0");
  sig_error("void({i32[-2]})", 10, "a positive array size, got -2");
  sig_error("void({i32[]})", 10, "an array size, got ']'");
  sig_error("void({i32[x]})", 10, "an integer constant, got 'x'");
  sig_error("void({i32[4/0]})", 12, "a divisor other than 0");
  sig_error("void({i8[1099511627777]})", 8, "an array of at most 2^40 bytes");
  sig_error("void({i8[99999999999999999999]})", 9, "an integer literal below 2^63");
  sig_error("void({i8[0x]})", 9, "an integer literal, got '0x'");
  sig_error("void({i8[09]})", 9, "an integer literal, got '09'");
  sig_error("void({i8[1 << 70]})", 14, "a shift count");
  sig_error("void({void[2]})", 10, "an array element type other than void");
  const std::string d = "struct flex { int n; char data[]; };";
  expect_error([&] { Scope(Abi::SysV_x64).declare(d); }, d, at(d, "]"), "an array size");
}

TEST(ParseErrors, VoidParameters) {
  sig_error("i32(void, i32)", 4, "a parameter type other than void");
  sig_error("i32(i32, void)", 9, "a parameter type other than void");
  sig_error("void f(void x)", 7, "a parameter type other than void");
  sig_error("void f(void, ...)", 7, "a parameter type other than void");
  sig_error("void({void})", 6, "a member type other than void");
}

TEST(ParseErrors, ArrayParameters) {
  // A compact element type keeps the compact rule: no array parameters (C types are adjusted
  // to pointers, see test_manpage_prototypes.cpp).
  sig_error("i32(i32[4])", 7, "pass a pointer");
  sig_error("i32(u8[])", 7, "an array size, got ']'");
  sig_error("void f(u8 buf[.count])", 14, "an integer constant, got '.'");
  // In a C parameter the size is not used, but a constant one is still checked, and the
  // brackets must close.
  sig_error("int f(int a[0])", 12, "a positive array size, got 0");
  sig_error("int f(int a[-1])", 12, "a positive array size, got -1");
  sig_error("int f(int a[3)", 13, "']' to close the array size");
  sig_error("int f(int a[.n", 12, "']' to close the array size");
  // In C, `a[2](int)` is an array of functions.
  sig_error("i32[2](i32)", 3, "an array element type, got a function type");
  sig_error("int (*f(int))(int)(int)", 13, "a function returning a pointer, not a function");
  Scope s(Abi::SysV_x64);
  s.declare("typedef int arr3[3];");
  const std::string text = "arr3 f(int)";
  expect_error([&] { s.signature(text); }, text, 6,
               "a function returning a pointer or a struct, not an array");
}

TEST(ParseErrors, VariadicArgumentsMustBePromoted) {
  sig_error("i32(ptr, ..., f32)", 14, "a promoted type after '...', got f32");
  const std::string c = "int printf(const char *, ..., int, char)";
  sig_error(c, at(c, "char", 1), "a promoted type after '...', got i8");
  sig_error("i32(ptr, ..., u16)", 14, "got u16");
  sig_error("i32(ptr, ..., bool)", 14, "got bool");
  sig_error("i32(ptr, ..., ..., i32)", 14, "one '...' per parameter list");
}

TEST(ParseErrors, Abi) {
  sig_error(
      "foo:i32()", 0,
      "an ABI name (sysv, win64, aapcs64, apple_arm64, windows_arm64 or an alias), got 'foo'");
  const std::string two = "int __attribute__((ms_abi)) f(int) __attribute__((sysv_abi))";
  sig_error(two, at(two, "sysv_abi"), "one calling-convention attribute, got 'sysv_abi'");
  const std::string conflict = "win64: int __attribute__((sysv_abi)) f(int)";
  sig_error(conflict, at(conflict, "sysv_abi"), "agrees with the 'win64:' prefix");
  // long double does not exist as its own type where the C name means double.
  sig_error("win64:ldouble()", 6, "f64, got 'ldouble'");
  sig_error("void({ldouble})", 6, "f64, got 'ldouble'", Abi::Apple_arm64);
}

TEST(ParseErrors, TypeSpecifierCombinations) {
  sig_error("long char f(void)", 5, "a C type, got 'long char'");
  sig_error("unsigned float f(void)", 9, "a C type, got 'unsigned float'");
  sig_error("int int f(void)", 4, "a C type, got 'int int'");
  sig_error("long long long f(void)", 10, "a C type, got 'long long long'");
  sig_error("signed unsigned f(void)", 7, "a C type, got 'signed unsigned'");
  sig_error("i32 int (void)", 4, "one type, got 'int' after 'i32'");
  sig_error("i32 u32(void)", 4, "one type, got 'u32' after 'i32'");
  sig_error("i32(ptr f64)", 8, "one type, got 'f64' after 'ptr'");
  sig_error("void({i32 bool})", 10, "one type, got 'bool' after 'i32'");
  sig_error("int struct x f(void)", 4, "one type, got 'struct'");
  sig_error("_Complex double f(void)", 0, "not supported");
  sig_error("typedef int f(void)", 0, "typedefs go to Scope::declare");
}

TEST(ParseErrors, Declarations) {
  auto decl_error = [](std::string_view text, std::size_t pos, std::string_view expected) {
    expect_error([&] { Scope(Abi::SysV_x64).declare(text); }, text, pos, expected);
  };
  std::string d = "struct n { int v; struct n next; };";
  decl_error(d, at(d, "struct", 1), "'struct n', which is still being defined");
  d = "struct p { int x; }; struct p { long x; };";
  decl_error(d, at(d, "p", 1), "the same members as the earlier struct p {i32}, got {i64}");
  d = "typedef int t; typedef long t;";
  decl_error(d, at(d, "t;", 1), "the same type as the earlier typedef 't' (i32), got i64");
  d = "typedef long size_t;";
  decl_error(d, at(d, "size_t"), "agrees with the built-in 'size_t' (u64), got i64");
  d = "typedef int i64;";
  decl_error(d, at(d, "i64"), "agrees with the built-in 'i64' (i64), got i32");
  d = "struct b { int x : 3; };";
  decl_error(d, at(d, ":"), "bit-field");
  d = "struct pk { char c; int i; } __attribute__((packed));";
  decl_error(d, at(d, "packed"), "an attribute that keeps the C layout, got 'packed'");
  d = "struct al { int i __attribute__((aligned(16))); };";
  decl_error(d, at(d, "aligned"), "got 'aligned'");
  d = "int foo(int);";
  decl_error(d, at(d, "foo"), "a Scope holds types only");
  d = "int;";
  decl_error(d, 0, "declares nothing");
  d = "struct x { int a; }; typedef union x *xp;";
  decl_error(d, at(d, "x", 1), "a union tag, got 'x', which is a struct");
  d = "struct d { int a; float a; };";
  decl_error(d, at(d, "a;", 1), "a new member name, got 'a' again");
  d = "enum e { A, B }; enum f { A = 3 };";
  decl_error(d, at(d, "A", 1), "a new enumerator name, got 'A', which already has the value 0");
  d = "enum e {};";
  decl_error(d, at(d, "}"), "an enumerator, got '}'");
  d = "struct s { int a; } ";
  decl_error(d, d.size(), "got end of input");
  d = "struct s { int; };";
  decl_error(d, at(d, ";"), "a member name before ';'");
  d = "struct s { int (*f)(int); int g(int); };";
  decl_error(d, at(d, "int", 2), "a member type, got a function type");
  d = "typedef struct;";
  decl_error(d, at(d, ";"), "a tag name or '{' after 'struct'");
  d = "typedef int;";
  decl_error(d, at(d, ";"), "a typedef name, got ';'");
}

TEST(ParseErrors, ScopeType) {
  auto type_error = [](std::string_view text, std::size_t pos, std::string_view expected) {
    expect_error([&] { Scope(Abi::SysV_x64).type(text); }, text, pos, expected);
  };
  type_error("int x", 4, "no name in a type, got 'x'");
  type_error("int(int)", 0, "a type, got a function type");
  type_error("struct opaque", 0, "a complete type, got 'struct opaque'");
  type_error("i32 i32", 4, "one type, got 'i32' after 'i32'");
  type_error("{}", 1, "an empty struct");
}

}  // namespace
}  // namespace jitffi
