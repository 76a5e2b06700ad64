// Prototypes as people copy them from man pages and headers (issues 14.5, 15.11, 15.12): C reads
// the compact type names as ordinary identifiers wherever it expects a name, adjusts array
// parameters to pointers, and knows the C library's usual typedefs. The texts below are copied
// verbatim from the man-pages 6.03 SYNOPSIS sections (Debian 12) and from zlib.h / uuid/uuid.h
// (with ZEXTERN/ZEXPORT/OF(()) and `extern` as the headers write them, or expanded).
#include <gtest/gtest.h>

#include <string>

#include "jitffi/signature.h"

namespace jitffi {
namespace {

std::string canon(std::string_view text, Abi abi = Abi::SysV_x64) {
  return Scope(abi).signature(text).canonical();
}

// ---- Compact names are identifiers where C expects a name (14.5) --------------------------

TEST(ManPagePrototypes, CompactNamesAsParameterNames) {
  EXPECT_EQ(canon("void free(void *ptr)"), "sysv:void(ptr)");
  EXPECT_EQ(canon("void *realloc(void *ptr, size_t size)"), "sysv:ptr(ptr,u64)");
  EXPECT_EQ(canon("void *reallocarray(void *ptr, size_t nmemb, size_t size)"),
            "sysv:ptr(ptr,u64,u64)");
  EXPECT_EQ(canon("int f(int i8)"), "sysv:i32(i32)");
  EXPECT_EQ(canon("int f(double f64, float f32, char *cstr, long i64, unsigned u8)"),
            "sysv:i32(f64,f32,ptr,i64,u32)");
  EXPECT_EQ(canon("int f(const char *ptr, size_t u128, long double ldouble)"),
            "sysv:i32(ptr,u64,ldouble)");
  EXPECT_EQ(canon("int f(int (*ptr)(void *i32), int *u32[3])"), "sysv:i32(ptr,ptr)");
  // The names are kept, for tools and messages.
  const Signature s = Signature::parse("void *realloc(void *ptr, size_t size)", Abi::SysV_x64);
  ASSERT_EQ(s.param_names().size(), 2u);
  EXPECT_EQ(s.param_names()[0], "ptr");
  EXPECT_EQ(s.name(), "realloc");
}

TEST(ManPagePrototypes, CompactNamesAsFunctionAndTagNames) {
  EXPECT_EQ(canon("int u8(void)"), "sysv:i32()");
  EXPECT_EQ(Signature::parse("double f64(double x)").name(), "f64");
  EXPECT_EQ(canon("void g(struct ptr { int i8; } *p)"), "sysv:void(ptr)");
}

TEST(ManPagePrototypes, CompactNamesAsMemberNames) {
  Scope s(Abi::SysV_x64);
  s.declare(
      "struct values { unsigned char u8; int i32; double f64; void *ptr; const char *cstr;"
      " int bool; long i64, *i16; };");
  const TypeRef t = s.find_tag("values");
  ASSERT_TRUE(t);
  ASSERT_EQ(t->fields().size(), 8u);
  EXPECT_EQ(t->fields()[0].name, "u8");
  EXPECT_EQ(t->fields()[5].name, "bool");
  EXPECT_EQ(t->fields()[5].type->kind(), TypeKind::I32);
  EXPECT_EQ(t->fields()[7].name, "i16");
  EXPECT_EQ(t->fields()[7].type->kind(), TypeKind::Pointer);
  EXPECT_EQ(t->canonical(), "{u8,i32,f64,ptr,ptr,i32,i64,ptr}");
  EXPECT_EQ(t->size(), 56u);
}

TEST(ManPagePrototypes, BoolIsATypeUntilATypeWasGiven) {
  // C23 and <stdbool.h>: `bool` is the type where a type is expected...
  EXPECT_EQ(canon("int f(bool)"), "sysv:i32(bool)");
  EXPECT_EQ(canon("bool f(const bool b, bool *p)"), "sysv:bool(bool,ptr)");
  // ...and, as before C23, a name after a complete type.
  EXPECT_EQ(canon("int f(int bool)"), "sysv:i32(i32)");
  Scope s(Abi::SysV_x64);
  s.declare("typedef _Bool bool;");  // what a pre-C23 header does: agrees with the built-in
  EXPECT_THROW(s.declare("typedef int bool;"), ParseError);
}

TEST(ManPagePrototypes, CompactSyntaxUnchanged) {
  EXPECT_EQ(canon("i32(ptr, f64)"), "sysv:i32(ptr,f64)");
  EXPECT_EQ(canon("{i32, f64}(ptr, {u8[4], f32})"), "sysv:{i32,f64}(ptr,{u8[4],f32})");
  EXPECT_EQ(canon("void(i8, u8, i16, u16, cstr, bool)"), "sysv:void(i8,u8,i16,u16,ptr,bool)");
  EXPECT_THROW(Signature::parse("i32(ptr f64)"), ParseError);   // a missing comma
  EXPECT_THROW(Signature::parse("i32(ptr *f64)"), ParseError);  // not a name after ptr
  EXPECT_THROW(Signature::parse("i32(i32[4])"), ParseError);    // no array parameters
  EXPECT_THROW(Signature::parse("void({i32 a, f64})"), ParseError);
}

// ---- Array parameters are pointers (15.12) ------------------------------------------------

TEST(ManPagePrototypes, ArrayParametersAdjustToPointers) {
  EXPECT_EQ(canon("int f(char name[])"), "sysv:i32(ptr)");
  EXPECT_EQ(canon("int f(int a[10])"), "sysv:i32(ptr)");
  EXPECT_EQ(canon("int f(int a[static 10])"), "sysv:i32(ptr)");
  EXPECT_EQ(canon("int f(const int a[const 3])"), "sysv:i32(ptr)");
  EXPECT_EQ(canon("int f(int a[const static 3], int b[restrict])"), "sysv:i32(ptr,ptr)");
  EXPECT_EQ(canon("int f(char s[2][3])"), "sysv:i32(ptr)");
  EXPECT_EQ(canon("int main(int argc, char *argv[])"), "sysv:i32(i32,ptr)");
  EXPECT_EQ(canon("void f(size_t n, double m[n][n], double v[*])"), "sysv:void(u64,ptr,ptr)");
  EXPECT_EQ(canon("void f(int (*p)[4], int (*q)[])"), "sysv:void(ptr,ptr)");
  EXPECT_EQ(canon("void f(struct s { int a[3]; } x[2])"), "sysv:void(ptr)");
  // A plain-char array is a string pointer, as `char *` is.
  const Signature s = Signature::parse("int f(char name[])", Abi::SysV_x64);
  EXPECT_TRUE(s.params()[0]->is_cstr());
}

TEST(ManPagePrototypes, ArrayTypedefParameters) {
  Scope s(Abi::SysV_x64);
  s.declare("typedef unsigned char uuid_t[16];");  // uuid/uuid.h
  EXPECT_EQ(s.signature("extern void uuid_generate(uuid_t out);").canonical(), "sysv:void(ptr)");
  EXPECT_EQ(s.signature("extern int uuid_compare(const uuid_t uu1, const uuid_t uu2);").canonical(),
            "sysv:i32(ptr,ptr)");
  EXPECT_EQ(s.signature("extern void uuid_unparse(const uuid_t uu, char *out);").canonical(),
            "sysv:void(ptr,ptr)");
  // The array type keeps its layout everywhere else.
  EXPECT_EQ(s.type("uuid_t")->size(), 16u);
  s.declare("struct rec { uuid_t id; int n; };");
  EXPECT_EQ(s.find_tag("rec")->size(), 20u);
  EXPECT_EQ(s.signature("void f(struct rec r)").canonical(), "sysv:void({u8[16],i32})");
}

TEST(ManPagePrototypes, ArrayMembersKeepTheirLayout) {
  Scope s(Abi::SysV_x64);
  s.declare("struct fd_pair { long fd[2]; };");
  EXPECT_EQ(s.find_tag("fd_pair")->canonical(), "{i64[2]}");
  // A struct defined inside a parameter list keeps its member arrays too.
  EXPECT_EQ(canon("void f(struct p { char name[8]; } v)"), "sysv:void({i8[8]})");
  EXPECT_THROW(s.declare("struct flex { int n; char d[]; };"), ParseError);
}

TEST(ManPagePrototypes, ManPageArrayNotation) {
  // man-pages 6 write the length an array parameter has as `[.name]`.
  EXPECT_EQ(canon("ssize_t read(int fd, void buf[.count], size_t count);"),
            "sysv:i64(i32,ptr,u64)");
  EXPECT_EQ(canon("ssize_t write(int fd, const void buf[.count], size_t count);"),
            "sysv:i64(i32,ptr,u64)");
  EXPECT_EQ(canon("int pipe(int pipefd[2]);"), "sysv:i32(ptr)");
  EXPECT_EQ(canon("int pipe2(int pipefd[2], int flags);"), "sysv:i32(ptr,i32)");
  EXPECT_EQ(canon("void qsort(void base[.size * .nmemb], size_t nmemb, size_t size,\n"
                  "           int (*compar)(const void [.size], const void [.size]));"),
            "sysv:void(ptr,u64,u64,ptr)");
  EXPECT_EQ(canon("void *memcpy(void dest[restrict .n], const void src[restrict .n],\n"
                  "             size_t n);"),
            "sysv:ptr(ptr,ptr,u64)");
  EXPECT_EQ(canon("int snprintf(char str[restrict .size], size_t size,\n"
                  "            const char *restrict format, ...);"),
            "sysv:i32(ptr,u64,ptr,...)");
  EXPECT_EQ(canon("size_t strftime(char s[restrict .max], size_t max,\n"
                  "                const char *restrict format,\n"
                  "                const struct tm *restrict tm);"),
            "sysv:u64(ptr,u64,ptr,ptr)");
  EXPECT_EQ(canon("char *fgets(char s[restrict .size], int size, FILE *restrict stream);"),
            "sysv:ptr(ptr,i32,ptr)");
}

TEST(ManPagePrototypes, LibcSynopses) {
  EXPECT_EQ(canon("long strtol(const char *restrict nptr,\n"
                  "            char **restrict endptr, int base);"),
            "sysv:i64(ptr,ptr,i32)");
  EXPECT_EQ(canon("long strtol(const char *restrict nptr, char **restrict endptr, int base);",
                  Abi::Win64),
            "win64:i32(ptr,ptr,i32)");
  EXPECT_EQ(canon("int gethostname(char *name, size_t len);"), "sysv:i32(ptr,u64)");
  EXPECT_EQ(canon("size_t fread(void ptr[restrict .size * .nmemb],\n"
                  "             size_t size, size_t nmemb,\n"
                  "             FILE *restrict stream);"),
            "sysv:u64(ptr,u64,u64,ptr)");
  EXPECT_EQ(canon("DIR *opendir(const char *name);"), "sysv:ptr(ptr)");
  EXPECT_EQ(canon("pid_t getpid(void);"), "sysv:i32()");
  EXPECT_EQ(canon("time_t time(time_t *tloc);"), "sysv:i64(ptr)");
  EXPECT_EQ(canon("int fstat(int fd, struct stat *statbuf);"), "sysv:i32(i32,ptr)");
  EXPECT_EQ(canon("double frexp(double x, int *exp);"), "sysv:f64(f64,ptr)");
  EXPECT_EQ(canon("div_t div(int numerator, int denominator);"), "sysv:{i32,i32}(i32,i32)");
  EXPECT_EQ(canon("ldiv_t ldiv(long numerator, long denominator);"), "sysv:{i64,i64}(i64,i64)");
  EXPECT_EQ(canon("ldiv_t ldiv(long numerator, long denominator);", Abi::Win64),
            "win64:{i32,i32}(i32,i32)");
  EXPECT_EQ(canon("off_t lseek(int fd, off_t offset, int whence);"), "sysv:i64(i32,i64,i32)");
  EXPECT_EQ(canon("off_t lseek(int fd, off_t offset, int whence);", Abi::Win64),
            "win64:i32(i32,i32,i32)");
  EXPECT_EQ(canon("ssize_t recvfrom(int sockfd, void buf[restrict .len], size_t len,\n"
                  "                 int flags,\n"
                  "                 struct sockaddr *_Nullable restrict src_addr,\n"
                  "                 socklen_t *_Nullable restrict addrlen);"),
            "sysv:i64(i32,ptr,u64,i32,ptr,ptr)");
}

TEST(ManPagePrototypes, ZlibHeaderPrototypes) {
  EXPECT_EQ(canon("uLong crc32(uLong crc, const Bytef *buf, uInt len);"), "sysv:u64(u64,ptr,u32)");
  EXPECT_EQ(canon("uLong crc32(uLong crc, const Bytef *buf, uInt len);", Abi::Win64),
            "win64:u32(u32,ptr,u32)");
  EXPECT_EQ(canon("uLong crc32_z(uLong crc, const Bytef *buf, z_size_t len);"),
            "sysv:u64(u64,ptr,u64)");
  EXPECT_EQ(canon("int compress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong "
                  "sourceLen);"),
            "sysv:i32(ptr,ptr,ptr,u64)");
  EXPECT_EQ(canon("const char *zlibVersion(void);"), "sysv:ptr()");
  EXPECT_EQ(canon("gzFile gzopen(const char *path, const char *mode);"), "sysv:ptr(ptr,ptr)");
  EXPECT_EQ(canon("int deflateInit_(z_streamp strm, int level, const char *version, int "
                  "stream_size);"),
            "sysv:i32(ptr,i32,ptr,i32)");
}

}  // namespace
}  // namespace jitffi
