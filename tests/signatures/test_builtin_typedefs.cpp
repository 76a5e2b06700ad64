// The C library's usual typedefs (time_t, pid_t, FILE, div_t, zlib's uLong, ...) are built in per
// ABI (issue 15.11). On the host (and on aarch64 in the cross build, under qemu) every value is
// compared with what the C compiler makes of the system headers (builtin_typedefs.c); the other
// ABIs' rows are pinned to the values signatures/parser_names.cpp cites from their headers.
#include <gtest/gtest.h>

#include <string>

#include "builtin_typedefs.h"
#include "jitffi/signature.h"

namespace jitffi {
namespace {

void expect_matches(const Scope &s, const bt_scalar &c) {
  SCOPED_TRACE(c.name);
  TypeRef t;
  ASSERT_NO_THROW(t = s.type(c.name));
  EXPECT_EQ(t->size(), c.size);
  EXPECT_EQ(t->align(), c.align);
  if (c.is_pointer) {
    EXPECT_EQ(t->kind(), TypeKind::Pointer);
  } else {
    EXPECT_TRUE(t->is_integer());
    EXPECT_EQ(t->is_signed(), c.is_signed != 0);
  }
}

TEST(BuiltinTypedefsVsCompiler, CLibraryNames) {
  const Scope s(host_abi());
  EXPECT_GE(jitffi_bt_libc_count, 36u);
  for (std::size_t i = 0; i < jitffi_bt_libc_count; ++i) expect_matches(s, jitffi_bt_libc[i]);
}

TEST(BuiltinTypedefsVsCompiler, ZlibNames) {
  if (jitffi_bt_zlib_count == 0)
    GTEST_SKIP() << "zlib.h was not installed for this target when the test was compiled";
  const Scope s(host_abi());
  for (std::size_t i = 0; i < jitffi_bt_zlib_count; ++i) expect_matches(s, jitffi_bt_zlib[i]);
}

TEST(BuiltinTypedefsVsCompiler, DivStructs) {
  const Scope s(host_abi());
  for (std::size_t i = 0; i < jitffi_bt_div_count; ++i) {
    const bt_div &c = jitffi_bt_div[i];
    SCOPED_TRACE(c.name);
    const TypeRef t = s.type(c.name);
    ASSERT_EQ(t->kind(), TypeKind::Struct);
    EXPECT_EQ(t->size(), c.size);
    EXPECT_EQ(t->align(), c.align);
    ASSERT_EQ(t->fields().size(), 2u);
    EXPECT_EQ(t->fields()[0].name, "quot");
    EXPECT_EQ(t->fields()[0].offset, c.quot);
    EXPECT_EQ(t->fields()[1].name, "rem");
    EXPECT_EQ(t->fields()[1].offset, c.rem);
    EXPECT_EQ(t->fields()[1].type->size(), c.member_size);
    EXPECT_TRUE(t->fields()[1].type->is_signed());
  }
}

// ---- The rows no compiler here can judge: pinned to the headers parser_names.cpp cites -----

struct Row {
  const char *name;
  TypeKind sysv, win64, aapcs64, apple;
};
constexpr TypeKind kAbsent = TypeKind::Void;
using K = TypeKind;
constexpr Row kRows[] = {
    {"time_t", K::I64, K::I64, K::I64, K::I64},
    {"clock_t", K::I64, K::I32, K::I64, K::U64},
    {"pid_t", K::I32, K::I32, K::I32, K::I32},
    {"uid_t", K::U32, kAbsent, K::U32, K::U32},
    {"off_t", K::I64, K::I32, K::I64, K::I64},
    {"off64_t", K::I64, K::I64, K::I64, kAbsent},
    {"mode_t", K::U32, K::U16, K::U32, K::U16},
    {"socklen_t", K::U32, K::I32, K::U32, K::U32},
    {"wint_t", K::U32, K::U16, K::U32, K::I32},
    {"ino_t", K::U64, K::U16, K::U64, K::U64},
    {"dev_t", K::U64, K::U32, K::U64, K::I32},
    {"nlink_t", K::U64, kAbsent, K::U32, K::U16},
    {"blksize_t", K::I64, kAbsent, K::I32, K::I32},
    {"suseconds_t", K::I64, kAbsent, K::I64, K::I32},
    {"uLong", K::U64, K::U32, K::U64, K::U64},
    {"z_off_t", K::I64, K::I32, K::I64, K::I64},
};

TEST(BuiltinTypedefs, ValuesPerAbi) {
  for (const Row &r : kRows) {
    // Windows on ARM64: the UCRT's types on LLP64, as on Win64.
    const TypeKind want[] = {r.sysv, r.win64, r.aapcs64, r.apple, r.win64};
    static_assert(sizeof want / sizeof want[0] == kAbiCount, "a column per ABI");
    for (int a = 0; a < kAbiCount; ++a) {
      const Abi abi = static_cast<Abi>(a);
      SCOPED_TRACE(std::string(r.name) + " on " + std::string(abi_name(abi)));
      const Scope s(abi);
      if (want[a] == kAbsent) {
        try {
          s.type(r.name);
          ADD_FAILURE() << "no error";
        } catch (const ParseError &e) {
          EXPECT_NE(e.expected().find("C library does not define"), std::string::npos) << e.what();
        }
      } else {
        EXPECT_EQ(s.type(r.name)->kind(), want[a]);
      }
    }
  }
  // zlib's charf is plain char: a pointer to it is a string, and its sign follows the ABI.
  EXPECT_TRUE(Scope(Abi::SysV_x64).type("charf *")->is_cstr());
  EXPECT_EQ(Scope(Abi::AAPCS64).type("charf")->kind(), TypeKind::U8);
  EXPECT_EQ(Scope(Abi::Win64).type("ldiv_t")->size(), 8u);
  EXPECT_EQ(Scope(Abi::Windows_arm64).type("ldiv_t")->size(), 8u);
  EXPECT_EQ(Scope(Abi::Apple_arm64).type("ldiv_t")->size(), 16u);
}

TEST(BuiltinTypedefs, FileAndDirAreOpaque) {
  for (int a = 0; a < kAbiCount; ++a) {
    const Scope s(static_cast<Abi>(a));
    EXPECT_EQ(s.signature("FILE *fopen(const char *path, const char *mode)").params().size(), 2u);
    EXPECT_EQ(s.signature("int closedir(DIR *dirp)").params()[0]->kind(), TypeKind::Pointer);
    EXPECT_EQ(s.type("FILE **")->kind(), TypeKind::Pointer);
  }
  const Scope s(Abi::SysV_x64);
  try {
    s.signature("int f(FILE f)");
    ADD_FAILURE() << "no error";
  } catch (const ParseError &e) {
    EXPECT_EQ(e.position(), 6u);
    EXPECT_NE(e.expected().find("a complete parameter type, got 'FILE', which is opaque (pass a "
                                "pointer)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(s.type("FILE"), ParseError);
  EXPECT_THROW(Scope(Abi::SysV_x64).declare("struct s { DIR d; };"), ParseError);
}

// A user typedef of a C-library name replaces the built-in one in its scope (headers differ:
// glibc's FILE is struct _IO_FILE, a library may build zlib with other types); the compiler's
// own names (size_t, int32_t, wchar_t, the compact names) must agree with the built-in.
TEST(BuiltinTypedefs, UserTypedefsShadowLibraryNames) {
  Scope s(Abi::SysV_x64);
  s.declare("typedef struct _IO_FILE FILE; typedef int time_t; typedef long long uLong;");
  EXPECT_EQ(s.type("time_t")->kind(), TypeKind::I32);
  EXPECT_EQ(s.type("uLong")->kind(), TypeKind::I64);
  try {
    s.signature("int f(FILE x)");
    ADD_FAILURE() << "no error";
  } catch (const ParseError &e) {
    EXPECT_NE(e.expected().find("'struct _IO_FILE', which is declared but not defined"),
              std::string::npos)
        << e.what();
  }
  s.declare("struct _IO_FILE { int fd; };");
  EXPECT_EQ(s.type("FILE")->size(), 4u);
  // Restating the same typedef is fine; a second, different one is an error as for any typedef.
  s.declare("typedef int time_t;");
  EXPECT_THROW(s.declare("typedef long time_t;"), ParseError);
  // Another scope still has the built-in.
  EXPECT_EQ(Scope(Abi::SysV_x64).type("time_t")->kind(), TypeKind::I64);
  // Scope::define may name a library type too, but not a compiler one.
  Scope d(Abi::SysV_x64);
  d.define("pid_t", Type::scalar(TypeKind::I64));
  EXPECT_EQ(d.signature("pid_t getpid(void)").canonical(), "sysv:i64()");
  EXPECT_THROW(d.define("size_t", Type::scalar(TypeKind::U32)), TypeError);
  EXPECT_THROW(d.declare("typedef unsigned size_t;"), ParseError);
  d.declare("typedef unsigned long size_t;");
  // A name that is not built in on this ABI may be declared there.
  Scope w(Abi::Win64);
  w.declare("typedef unsigned int uid_t;");
  EXPECT_EQ(w.signature("uid_t getuid(void)").canonical(), "win64:u32()");
}

TEST(BuiltinTypedefs, NamesStayNamesAfterAType) {
  // Built-in typedef names are types only where C expects a type.
  EXPECT_EQ(Signature::parse("int f(int pid_t, long time_t)", Abi::SysV_x64).canonical(),
            "sysv:i32(i32,i64)");
  Scope s(Abi::SysV_x64);
  s.declare("struct st { int FILE; unsigned uLong; };");
  EXPECT_EQ(s.find_tag("st")->canonical(), "{i32,u32}");
}

}  // namespace
}  // namespace jitffi
