// Valid input in both syntaxes: what each form parses to.
#include <gtest/gtest.h>

#include "jitffi/signature.h"

namespace jitffi {
namespace {

std::string canon(std::string_view text, Abi abi = Abi::SysV_x64) {
  return Signature::parse(text, abi).canonical();
}

TEST(ParseCompact, ScalarsAndPointers) {
  EXPECT_EQ(canon("void()"), "sysv:void()");
  EXPECT_EQ(canon("i32(ptr, f64)"), "sysv:i32(ptr,f64)");
  EXPECT_EQ(canon("void(ptr, u64)"), "sysv:void(ptr,u64)");
  EXPECT_EQ(canon("bool(i8, u8, i16, u16, i32, u32, i64, u64, i128, u128, f32, f64, ldouble)"),
            "sysv:bool(i8,u8,i16,u16,i32,u32,i64,u64,i128,u128,f32,f64,ldouble)");
  EXPECT_EQ(canon("cstr(cstr, ptr)"), "sysv:ptr(ptr,ptr)");
  EXPECT_EQ(canon("  i32 ( ptr ,\n f64 )  "), "sysv:i32(ptr,f64)");
}

TEST(ParseCompact, CstrMarksStringsButKeepsPointerCanonical) {
  const Signature s = Signature::parse("cstr(cstr, ptr)", Abi::SysV_x64);
  EXPECT_TRUE(s.ret()->is_cstr());
  EXPECT_TRUE(s.params()[0]->is_cstr());
  EXPECT_FALSE(s.params()[1]->is_cstr());
  EXPECT_EQ(s, Signature::parse("ptr(ptr, ptr)", Abi::SysV_x64));
}

TEST(ParseCompact, StructsUnionsAndMemberArrays) {
  EXPECT_EQ(canon("{f64, f64}({f64, f64}, i32)"), "sysv:{f64,f64}({f64,f64},i32)");
  EXPECT_EQ(canon("void(union{i32, f32}, {u8, union{f64, i64}})"),
            "sysv:void(union{i32,f32},{u8,union{f64,i64}})");
  EXPECT_EQ(canon("void({i32[4], u8})"), "sysv:void({i32[4],u8})");
  EXPECT_EQ(canon("void({f32[2][3]})"), "sysv:void({f32[2][3]})");
  EXPECT_EQ(canon("void({{i8, i16}[3], ptr})"), "sysv:void({{i8,i16}[3],ptr})");
  const TypeRef t = Scope(Abi::SysV_x64).type("{i8, {f64, i32}[2], u16}");
  ASSERT_EQ(t->fields().size(), 3u);
  EXPECT_EQ(t->fields()[1].offset, 8u);
  EXPECT_EQ(t->fields()[2].offset, 40u);
  EXPECT_EQ(t->size(), 48u);
}

TEST(ParseCompact, MemberArraysAreCOrder) {
  const TypeRef t = Scope(Abi::SysV_x64).type("{i32[2][3]}");
  const TypeRef &a = t->fields()[0].type;
  ASSERT_EQ(a->kind(), TypeKind::Array);
  EXPECT_EQ(a->count(), 2u);  // 2 arrays of 3 i32
  EXPECT_EQ(a->element()->count(), 3u);
  EXPECT_EQ(a->size(), 24u);
}

TEST(ParseCompact, Variadic) {
  const Signature s = Signature::parse("i32(ptr, f64, ...)", Abi::SysV_x64);
  EXPECT_TRUE(s.is_variadic());
  EXPECT_EQ(s.fixed_count(), 2u);
  EXPECT_EQ(s.params().size(), 2u);
  EXPECT_EQ(s.canonical(), "sysv:i32(ptr,f64,...)");

  // Types after `...` are this call's variadic arguments.
  const Signature call = Signature::parse("i32(ptr, ..., i32, f64)", Abi::SysV_x64);
  EXPECT_EQ(call.fixed_count(), 1u);
  ASSERT_EQ(call.params().size(), 3u);
  EXPECT_EQ(call.params()[2]->kind(), TypeKind::F64);
  EXPECT_EQ(call.canonical(), "sysv:i32(ptr,...,i32,f64)");
  EXPECT_EQ(call, Signature::parse("i32(ptr, ...)", Abi::SysV_x64)
                      .with_varargs({Type::scalar(TypeKind::I32), Type::scalar(TypeKind::F64)}));
}

TEST(ParseCompact, BareEllipsisIsVariadicWithNoFixedParameter) {
  // C23 allows `int f(...)` and libffi's ffi_prep_cif_var accepts nfixedargs == 0.
  const Signature s = Signature::parse("i32(...)", Abi::SysV_x64);
  EXPECT_TRUE(s.is_variadic());
  EXPECT_EQ(s.fixed_count(), 0u);
  EXPECT_EQ(s.canonical(), "sysv:i32(...)");
  const Signature t = Signature::parse("i32(..., i64, ptr)", Abi::SysV_x64);
  EXPECT_EQ(t.fixed_count(), 0u);
  EXPECT_EQ(t.params().size(), 2u);
  EXPECT_EQ(t.canonical(), "sysv:i32(...,i64,ptr)");
}

TEST(ParseCompact, AbiPrefix) {
  EXPECT_EQ(Signature::parse("win64:i32(i32)").abi(), Abi::Win64);
  EXPECT_EQ(Signature::parse("sysv: i32(i32)").abi(), Abi::SysV_x64);
  EXPECT_EQ(Signature::parse("aapcs64:i32(i32)").abi(), Abi::AAPCS64);
  EXPECT_EQ(Signature::parse("apple_arm64:i32(i32)").abi(), Abi::Apple_arm64);
  EXPECT_EQ(Signature::parse("ms_abi:i32(i32)").abi(), Abi::Win64);
  EXPECT_EQ(Signature::parse("x86_64:i32(i32)", Abi::Win64).abi(), Abi::SysV_x64);
  EXPECT_EQ(Signature::parse("arm64:i32(i32)").abi(), Abi::AAPCS64);
  // The prefix wins over the ABI argument; without one the argument applies.
  EXPECT_EQ(Signature::parse("win64:i32(i32)", Abi::AAPCS64).abi(), Abi::Win64);
  EXPECT_EQ(Signature::parse("i32(i32)", Abi::Apple_arm64).abi(), Abi::Apple_arm64);
  EXPECT_EQ(Signature::parse("i32(i32)").abi(), host_abi());
}

TEST(ParseC, Prototypes) {
  EXPECT_EQ(canon("double cos(double)"), "sysv:f64(f64)");
  EXPECT_EQ(canon("int puts(const char *s);"), "sysv:i32(ptr)");
  EXPECT_EQ(canon("void *memcpy(void *restrict dst, const void *restrict src, size_t n)"),
            "sysv:ptr(ptr,ptr,u64)");
  EXPECT_EQ(canon("unsigned long long strtoull(const char *, char **, int)"),
            "sysv:u64(ptr,ptr,i32)");
  EXPECT_EQ(canon("int getpid(void)"), "sysv:i32()");
  EXPECT_EQ(canon("int f()"), "sysv:i32()");  // C23: () is (void)
  EXPECT_EQ(canon("extern int atoi(const char *nptr);"), "sysv:i32(ptr)");
  EXPECT_EQ(canon("int /* comment */ f(// line comment\n int)"), "sysv:i32(i32)");
}

TEST(ParseC, NamesOfFunctionAndParameters) {
  const Signature s =
      Signature::parse("int sqlite3_open(const char *filename, void **, int flags)");
  EXPECT_EQ(s.name(), "sqlite3_open");
  EXPECT_EQ(s.param_names(), (std::vector<std::string>{"filename", "", "flags"}));
  EXPECT_TRUE(s.params()[0]->is_cstr());
  EXPECT_FALSE(s.params()[1]->is_cstr());
  // Names are not part of the signature's identity.
  EXPECT_EQ(s, Signature::parse("i32(ptr, ptr, i32)"));
  EXPECT_EQ(Signature::parse("i32(ptr)").name(), "");
}

TEST(ParseC, CharPointersAreStringsOnlyForPlainChar) {
  const Signature s = Signature::parse(
      "void f(char *, const char *, char **, unsigned char *, signed char *, const char *const)");
  std::vector<bool> cstr;
  for (const TypeRef &t : s.params()) cstr.push_back(t->is_cstr());
  EXPECT_EQ(cstr, (std::vector<bool>{true, true, false, false, false, true}));
}

TEST(ParseC, FunctionPointersArePlainPointers) {
  EXPECT_EQ(canon("void qsort(void *, size_t, size_t, int (*)(const void *, const void *))"),
            "sysv:void(ptr,u64,u64,ptr)");
  const Signature s = Signature::parse("void f(int (*cb)(void *), void (*)(void))");
  EXPECT_EQ(s.param_names()[0], "cb");
  EXPECT_EQ(s.canonical(), canon("void(ptr, ptr)", host_abi()));
  // A parameter of function type is adjusted to a pointer, as in C.
  EXPECT_EQ(canon("void f(int cb(int))"), "sysv:void(ptr)");
  // A function returning a function pointer.
  EXPECT_EQ(canon("void (*signal(int sig, void (*func)(int)))(int)"), "sysv:ptr(i32,ptr)");
  EXPECT_EQ(Signature::parse("void (*signal(int sig, void (*func)(int)))(int)").name(), "signal");
}

TEST(ParseC, Variadic) {
  const Signature s = Signature::parse("int printf(const char *fmt, ...)", Abi::SysV_x64);
  EXPECT_EQ(s.fixed_count(), 1u);
  EXPECT_TRUE(s.is_variadic());
  const Signature c = Signature::parse("int printf(const char *, ..., int, double, long)");
  EXPECT_EQ(c.fixed_count(), 1u);
  EXPECT_EQ(c.params().size(), 4u);
  EXPECT_EQ(Signature::parse("int f(...)").fixed_count(), 0u);
}

TEST(ParseC, AttributesNameTheAbi) {
  EXPECT_EQ(Signature::parse("__attribute__((ms_abi)) int f(int)", Abi::SysV_x64).abi(),
            Abi::Win64);
  EXPECT_EQ(Signature::parse("int __attribute__((ms_abi)) f(int)", Abi::SysV_x64).abi(),
            Abi::Win64);
  EXPECT_EQ(Signature::parse("int f(int) __attribute__((ms_abi));", Abi::SysV_x64).abi(),
            Abi::Win64);
  EXPECT_EQ(Signature::parse("int f(int) __attribute__((__sysv_abi__))", Abi::Win64).abi(),
            Abi::SysV_x64);
  // The attribute is known before the types are read: long is 32 bits under ms_abi.
  EXPECT_EQ(canon("long __attribute__((ms_abi)) f(long)"), "win64:i32(i32)");
  // An attribute on a function-pointer parameter is about that pointer, not this function.
  EXPECT_EQ(
      Signature::parse("void f(void (__attribute__((ms_abi)) *cb)(void))", Abi::SysV_x64).abi(),
      Abi::SysV_x64);
  // Other attributes are ignored.
  EXPECT_EQ(canon("__attribute__((nonnull(1), warn_unused_result)) int f(const char *) "
                  "__attribute__((noreturn))"),
            "sysv:i32(ptr)");
  EXPECT_EQ(canon("sysv: int __attribute__((sysv_abi)) f(void)", Abi::Win64), "sysv:i32()");
}

TEST(ParseC, InlineStructDefinitionInAPrototype) {
  const Signature s =
      Signature::parse("struct pt { double x, y; } mid(struct pt a, struct pt b)", Abi::SysV_x64);
  EXPECT_EQ(s.canonical(), "sysv:{f64,f64}({f64,f64},{f64,f64})");
  EXPECT_EQ(s.ret()->tag(), "pt");
  // The definition does not leak into the scope used.
  Scope scope(Abi::SysV_x64);
  scope.signature("struct pt { int x; } f(void)");
  EXPECT_EQ(scope.find_tag("pt"), nullptr);
}

TEST(ParseC, MixedSyntax) {
  Scope s(Abi::SysV_x64);
  s.declare("struct point { double x, y; };");
  EXPECT_EQ(s.signature("i32(struct point, const char *, {u8, float})").canonical(),
            "sysv:i32({f64,f64},ptr,{u8,f32})");
  EXPECT_EQ(s.signature("struct point scale(struct point p, f64 k)").canonical(),
            "sysv:{f64,f64}({f64,f64},f64)");
  EXPECT_EQ(s.type("{struct point, int[2]}")->canonical(), "{{f64,f64},i32[2]}");
}

TEST(ScopeDeclare, TheDocumentedDeclarations) {
  Scope s(Abi::SysV_x64);
  s.declare(R"(
    struct point { double x, y; };
    struct a { int n; struct point p[2]; };
    typedef struct sqlite3 sqlite3;             /* opaque */
    typedef int (*cmp_fn)(const void *, const void *);
    typedef struct { int a; } anon_t;
    union u { int i; float f; };
    enum e { A, B = 5 };
  )");
  EXPECT_EQ(s.find_tag("point")->canonical(), "{f64,f64}");
  EXPECT_EQ(s.find_tag("a")->canonical(), "{i32,{f64,f64}[2]}");
  EXPECT_EQ(s.find_tag("a")->size(), 40u);
  EXPECT_EQ(s.find_tag("a")->fields()[1].name, "p");
  EXPECT_EQ(s.find_tag("sqlite3"), nullptr);  // opaque
  EXPECT_EQ(s.find_typedef("sqlite3"), nullptr);
  EXPECT_EQ(s.find_typedef("cmp_fn")->kind(), TypeKind::Pointer);
  EXPECT_EQ(s.find_typedef("anon_t")->canonical(), "{i32}");
  EXPECT_EQ(s.find_tag("u")->canonical(), "union{i32,f32}");
  EXPECT_EQ(s.find_tag("e")->kind(), TypeKind::U32);
  EXPECT_EQ(s.type("int[B]")->count(), 5u);
  EXPECT_EQ(s.signature("int sqlite3_open(const char *filename, sqlite3 **db)").canonical(),
            "sysv:i32(ptr,ptr)");
  EXPECT_EQ(s.signature("void qsort(void *, size_t, size_t, cmp_fn)").canonical(),
            "sysv:void(ptr,u64,u64,ptr)");
  EXPECT_EQ(s.signature("anon_t f(union u, enum e)").canonical(), "sysv:{i32}(union{i32,f32},u32)");
}

TEST(ScopeDeclare, SeveralCallsBuildOnEachOther) {
  Scope s(Abi::SysV_x64);
  s.declare("enum { NAME_LEN = 16 };");
  s.declare("typedef struct rec rec_t;");
  EXPECT_EQ(s.find_typedef("rec_t"), nullptr);
  // Defining the tag later completes the typedef, as in C.
  s.declare("struct rec { char name[NAME_LEN]; rec_t *next; };");
  ASSERT_NE(s.find_typedef("rec_t"), nullptr);
  EXPECT_EQ(s.find_typedef("rec_t")->canonical(), "{i8[16],ptr}");
  EXPECT_EQ(s.signature("rec_t f(rec_t *)").canonical(), "sysv:{i8[16],ptr}(ptr)");
}

TEST(ScopeDeclare, SelfReferenceThroughAPointer) {
  Scope s(Abi::SysV_x64);
  s.declare("typedef struct node { int value; struct node *next, *prev; } node;");
  EXPECT_EQ(s.find_typedef("node")->canonical(), "{i32,ptr,ptr}");
  EXPECT_EQ(s.find_tag("node"), s.find_typedef("node"));
}

TEST(ScopeDeclare, CommentsNewlinesAndRepeats) {
  Scope s(Abi::SysV_x64);
  const char *header =
      "// a header\n struct /*tag*/ p\n{\n int x; // x\n int y;\n};\n"
      "typedef struct p p;\n typedef unsigned long size_t;\n";
  s.declare(header);
  // A header included twice: identical redefinitions are accepted.
  s.declare(header);
  EXPECT_EQ(s.find_typedef("p")->canonical(), "{i32,i32}");
}

TEST(ScopeDeclare, TypedefsOfEveryShape) {
  Scope s(Abi::SysV_x64);
  s.declare(
      "typedef unsigned char byte, *bytes; typedef int vec4[4]; typedef const char *str;"
      "typedef void callback(int); typedef struct { vec4 v; byte b; } holder;"
      "typedef union { float f; unsigned u; } bits;");
  EXPECT_EQ(s.find_typedef("byte")->kind(), TypeKind::U8);
  EXPECT_EQ(s.find_typedef("bytes")->kind(), TypeKind::Pointer);
  EXPECT_EQ(s.find_typedef("vec4")->canonical(), "i32[4]");
  EXPECT_TRUE(s.find_typedef("str")->is_cstr());
  EXPECT_EQ(s.find_typedef("holder")->canonical(), "{i32[4],u8}");
  EXPECT_EQ(s.find_typedef("bits")->canonical(), "union{f32,u32}");
  // C code often restates the compact names; that is fine when the meaning agrees.
  s.declare("typedef int32_t i32; typedef unsigned char u8; typedef char *cstr, *ptr;");
  EXPECT_EQ(s.signature("i32 f(u8, cstr)").canonical(), "sysv:i32(u8,ptr)");
  // A function typedef is usable behind a pointer and as a parameter (adjusted to a pointer).
  EXPECT_EQ(s.signature("void reg(callback *a, callback b)").canonical(), "sysv:void(ptr,ptr)");
}

TEST(ScopeDeclare, EnumValuesAndTypes) {
  Scope s(Abi::SysV_x64);
  s.declare(
      "enum flags { F_A = 1 << 0, F_B = 1 << 1, F_AB = F_A | F_B, F_HEX = 0x10, F_OCT = 010 };"
      "enum neg { N_MINUS = -1, N_ZERO };"
      "enum chars { C_A = 'a', C_NL = '\\n' };"
      "struct sized { char a[F_AB]; char b[F_HEX + F_OCT]; char c[C_NL]; "
      "char d[sizeof(struct sized_dep { double d; int i; })]; };");
  EXPECT_EQ(s.find_tag("flags")->kind(), TypeKind::U32);
  EXPECT_EQ(s.find_tag("neg")->kind(), TypeKind::I32);
  EXPECT_EQ(s.type("int[F_AB]")->count(), 3u);
  const TypeRef sized = s.find_tag("sized");
  EXPECT_EQ(sized->fields()[1].type->count(), 24u);
  EXPECT_EQ(sized->fields()[2].type->count(), 10u);
  EXPECT_EQ(sized->fields()[3].type->count(), 16u);
  EXPECT_EQ(s.signature("enum neg f(enum flags)").canonical(), "sysv:i32(u32)");
}

TEST(ScopeType, EitherSyntax) {
  Scope s(Abi::SysV_x64);
  EXPECT_EQ(s.type("u32")->kind(), TypeKind::U32);
  EXPECT_EQ(s.type("unsigned int")->kind(), TypeKind::U32);
  EXPECT_TRUE(s.type("const char *")->is_cstr());
  EXPECT_EQ(s.type("int (*)(void *, int)")->kind(), TypeKind::Pointer);
  EXPECT_EQ(s.type("{f64,f64}")->size(), 16u);
  EXPECT_EQ(s.type("int[3]")->size(), 12u);
  EXPECT_TRUE(s.type("void")->is_void());
}

TEST(ScopeDefine, RegistersATypedefName) {
  Scope s(Abi::SysV_x64);
  s.define("pair", Type::struct_({{"a", Type::scalar(TypeKind::I32), 0},
                                  {"b", Type::scalar(TypeKind::F32), 0}}));
  EXPECT_EQ(s.find_typedef("pair")->canonical(), "{i32,f32}");
  EXPECT_EQ(s.signature("pair f(pair *)").canonical(), "sysv:{i32,f32}(ptr)");
  EXPECT_THROW(s.define("i32", Type::scalar(TypeKind::I64)), TypeError);
  EXPECT_THROW(s.define("2bad", Type::scalar(TypeKind::I64)), TypeError);
  EXPECT_THROW(s.define("x", nullptr), TypeError);
}

TEST(ScopeSignature, FailedDeclareLeavesTheScopeUnchanged) {
  Scope s(Abi::SysV_x64);
  EXPECT_THROW(s.declare("struct good { int a; }; struct bad { nope x; };"), ParseError);
  EXPECT_EQ(s.find_tag("good"), nullptr);
  EXPECT_EQ(s.find_tag("bad"), nullptr);
}

}  // namespace
}  // namespace jitffi
