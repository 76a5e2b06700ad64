// The windows_arm64 ABI in the signature model: its names, the C type names of LLP64 and the
// canonical form (Microsoft, "Overview of ARM64 ABI conventions"; the C sizes are MSVC's).
#include <gtest/gtest.h>

#include "jitffi/signature.h"

namespace jitffi {
namespace {

TEST(WindowsArm64Abi, NameAndAliases) {
  EXPECT_EQ(abi_name(Abi::Windows_arm64), "windows_arm64");
  for (const char *alias :
       {"windows_arm64", "win_arm64", "arm64_win64", "win64_arm64", "arm64_windows", "woa64"}) {
    EXPECT_EQ(abi_from_name(alias), Abi::Windows_arm64) << alias;
    EXPECT_EQ(Signature::parse(std::string(alias) + ":f64(ptr, ..., f64)").canonical(),
              "windows_arm64:f64(ptr,...,f64)")
        << alias;
  }
  // "win64" stays x86-64 Windows, "arm64" stays AAPCS64.
  EXPECT_EQ(abi_from_name("win64"), Abi::Win64);
  EXPECT_EQ(abi_from_name("arm64"), Abi::AAPCS64);
}

TEST(WindowsArm64Abi, CanonicalFormRoundTripsAndDiffersFromAapcs64) {
  const Signature w = Signature::parse("windows_arm64:{f64, f64}(i32, ...)");
  EXPECT_EQ(w.canonical(), "windows_arm64:{f64,f64}(i32,...)");
  EXPECT_EQ(Signature::parse(w.canonical()).canonical(), w.canonical());
  const Signature a = Signature::parse("aapcs64:{f64, f64}(i32, ...)");
  EXPECT_NE(w.canonical(), a.canonical());
  EXPECT_NE(w.hash(), a.hash());
  EXPECT_NE(w, a);
}

// LLP64: long and unsigned long are 32 bits; long long, size_t and pointers 64.
TEST(WindowsArm64Abi, Llp64IntegerNames) {
  Scope s(Abi::Windows_arm64);
  EXPECT_EQ(s.type("long")->canonical(), "i32");
  EXPECT_EQ(s.type("unsigned long")->canonical(), "u32");
  EXPECT_EQ(s.type("long long")->canonical(), "i64");
  EXPECT_EQ(s.type("size_t")->canonical(), "u64");
  EXPECT_EQ(s.type("long")->size(), 4u);
  // MSVC: wchar_t is unsigned short, plain char is signed.
  EXPECT_EQ(s.type("wchar_t")->canonical(), "u16");
  EXPECT_EQ(s.type("char")->canonical(), "i8");
  EXPECT_EQ(Signature::parse("long f(unsigned long, long long)", Abi::Windows_arm64).canonical(),
            "windows_arm64:i32(u32,i64)");
}

// long double is double (8 bytes); the compact `ldouble` does not exist there.
TEST(WindowsArm64Abi, LongDoubleIsDouble) {
  Scope s(Abi::Windows_arm64);
  EXPECT_EQ(s.type("long double")->canonical(), "f64");
  EXPECT_EQ(s.type("long double")->size(), 8u);
  try {
    Signature::parse("windows_arm64:void(ldouble)");
    FAIL() << "ldouble accepted";
  } catch (const ParseError &e) {
    EXPECT_NE(std::string(e.what()).find("long double is double on windows_arm64"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(Signature(Abi::Windows_arm64, Type::scalar(TypeKind::LongDouble), {}), TypeError);
}

}  // namespace
}  // namespace jitffi
