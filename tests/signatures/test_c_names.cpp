// The C type names and what each means on each ABI. The ABI documents are the source for the
// per-ABI rows (SysV x86-64 psABI §3.1.2, Microsoft x64 type sizes, AAPCS64 §10.1 "char is
// unsigned", Apple's arm64 ABI deviations); test_layout.cpp checks the host's row against the
// compiler itself.
#include <gtest/gtest.h>

#include "jitffi/signature.h"

namespace jitffi {
namespace {

struct Row {
  const char *c_name;
  const char *sysv, *win64, *aapcs64, *apple;  // canonical per ABI
};

constexpr Row kRows[] = {
    {"char", "i8", "i8", "u8", "i8"},
    {"signed char", "i8", "i8", "i8", "i8"},
    {"unsigned char", "u8", "u8", "u8", "u8"},
    {"short", "i16", "i16", "i16", "i16"},
    {"short int", "i16", "i16", "i16", "i16"},
    {"signed short int", "i16", "i16", "i16", "i16"},
    {"unsigned short", "u16", "u16", "u16", "u16"},
    {"int", "i32", "i32", "i32", "i32"},
    {"signed", "i32", "i32", "i32", "i32"},
    {"signed int", "i32", "i32", "i32", "i32"},
    {"unsigned", "u32", "u32", "u32", "u32"},
    {"unsigned int", "u32", "u32", "u32", "u32"},
    {"long", "i64", "i32", "i64", "i64"},
    {"long int", "i64", "i32", "i64", "i64"},
    {"signed long", "i64", "i32", "i64", "i64"},
    {"unsigned long", "u64", "u32", "u64", "u64"},
    {"long unsigned int", "u64", "u32", "u64", "u64"},
    {"long long", "i64", "i64", "i64", "i64"},
    {"long long int", "i64", "i64", "i64", "i64"},
    {"unsigned long long", "u64", "u64", "u64", "u64"},
    {"int long long unsigned", "u64", "u64", "u64", "u64"},
    {"__int128", "i128", "i128", "i128", "i128"},
    {"signed __int128", "i128", "i128", "i128", "i128"},
    {"unsigned __int128", "u128", "u128", "u128", "u128"},
    {"__int128_t", "i128", "i128", "i128", "i128"},
    {"__uint128_t", "u128", "u128", "u128", "u128"},
    {"_Bool", "bool", "bool", "bool", "bool"},
    {"bool", "bool", "bool", "bool", "bool"},
    {"float", "f32", "f32", "f32", "f32"},
    {"double", "f64", "f64", "f64", "f64"},
    {"long double", "ldouble", "f64", "ldouble", "f64"},
    {"size_t", "u64", "u64", "u64", "u64"},
    {"ssize_t", "i64", "i64", "i64", "i64"},
    {"ptrdiff_t", "i64", "i64", "i64", "i64"},
    {"intptr_t", "i64", "i64", "i64", "i64"},
    {"uintptr_t", "u64", "u64", "u64", "u64"},
    {"intmax_t", "i64", "i64", "i64", "i64"},
    {"uintmax_t", "u64", "u64", "u64", "u64"},
    {"int8_t", "i8", "i8", "i8", "i8"},
    {"uint8_t", "u8", "u8", "u8", "u8"},
    {"int16_t", "i16", "i16", "i16", "i16"},
    {"uint16_t", "u16", "u16", "u16", "u16"},
    {"int32_t", "i32", "i32", "i32", "i32"},
    {"uint32_t", "u32", "u32", "u32", "u32"},
    {"int64_t", "i64", "i64", "i64", "i64"},
    {"uint64_t", "u64", "u64", "u64", "u64"},
    {"wchar_t", "i32", "u16", "u32", "i32"},
    {"char16_t", "u16", "u16", "u16", "u16"},
    {"char32_t", "u32", "u32", "u32", "u32"},
    {"void *", "ptr", "ptr", "ptr", "ptr"},
    {"const volatile int", "i32", "i32", "i32", "i32"},
    {"int const", "i32", "i32", "i32", "i32"},
    {"unsigned const long", "u64", "u32", "u64", "u64"},
    {"char *restrict", "ptr", "ptr", "ptr", "ptr"},
    {"int *__restrict *const", "ptr", "ptr", "ptr", "ptr"},
};

TEST(CNames, MappingPerAbi) {
  for (const Row &r : kRows) {
    SCOPED_TRACE(r.c_name);
    EXPECT_EQ(Scope(Abi::SysV_x64).type(r.c_name)->canonical(), r.sysv);
    EXPECT_EQ(Scope(Abi::Win64).type(r.c_name)->canonical(), r.win64);
    EXPECT_EQ(Scope(Abi::AAPCS64).type(r.c_name)->canonical(), r.aapcs64);
    EXPECT_EQ(Scope(Abi::Apple_arm64).type(r.c_name)->canonical(), r.apple);
  }
}

TEST(CNames, InSignaturesTheTextAbiDecides) {
  const char *text = "long double f(long, char, unsigned long)";
  EXPECT_EQ(Signature::parse(text, Abi::SysV_x64).canonical(), "sysv:ldouble(i64,i8,u64)");
  EXPECT_EQ(Signature::parse(text, Abi::Win64).canonical(), "win64:f64(i32,i8,u32)");
  EXPECT_EQ(Signature::parse(text, Abi::AAPCS64).canonical(), "aapcs64:ldouble(i64,u8,u64)");
  EXPECT_EQ(Signature::parse(text, Abi::Apple_arm64).canonical(), "apple_arm64:f64(i64,i8,u64)");
  // The prefix is read before the types, so `long` follows the named ABI.
  EXPECT_EQ(Signature::parse(std::string("win64:") + text, Abi::SysV_x64).canonical(),
            "win64:f64(i32,i8,u32)");
}

TEST(CNames, CharPointerIsAStringOnEveryAbi) {
  for (Abi abi : {Abi::SysV_x64, Abi::Win64, Abi::AAPCS64, Abi::Apple_arm64}) {
    EXPECT_TRUE(Scope(abi).type("const char *")->is_cstr());
    EXPECT_FALSE(Scope(abi).type("unsigned char *")->is_cstr());
    EXPECT_FALSE(Scope(abi).type("int8_t *")->is_cstr());
  }
}

TEST(CNames, CharLiteralsFollowCharSignedness) {
  Scope sysv(Abi::SysV_x64), arm(Abi::AAPCS64);
  // '\xff' is not supported; a byte above 0x7f can only come from the text itself.
  sysv.declare("enum e { HIGH = '\x80' };");
  arm.declare("enum e { HIGH = '\x80' };");
  EXPECT_EQ(sysv.find_tag("e")->kind(), TypeKind::I32);  // -128: signed char
  EXPECT_EQ(arm.find_tag("e")->kind(), TypeKind::U32);   // 128: unsigned char
}

TEST(CNames, EnumTypeIsWhatGccChooses) {
  // GCC: unsigned int without negative values, int with; 64-bit types when values need them.
  // test_layout.cpp checks the same rule against the compiler.
  Scope s(Abi::SysV_x64);
  s.declare(
      "enum a { A0 }; enum b { B0 = -1 }; enum c { C0 = 0xffffffff };"
      "enum d { D0 = -1, D1 = 0x7fffffff }; enum e { E0 = -1, E1 = 0x80000000 };"
      "enum f { F0 = 0x100000000 };");
  EXPECT_EQ(s.find_tag("a")->canonical(), "u32");
  EXPECT_EQ(s.find_tag("b")->canonical(), "i32");
  EXPECT_EQ(s.find_tag("c")->canonical(), "u32");
  EXPECT_EQ(s.find_tag("d")->canonical(), "i32");
  EXPECT_EQ(s.find_tag("e")->canonical(), "i64");
  EXPECT_EQ(s.find_tag("f")->canonical(), "u64");
}

}  // namespace
}  // namespace jitffi
