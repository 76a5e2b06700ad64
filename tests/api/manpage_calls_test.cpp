// Real calls through prototypes copied from man pages and headers (issues 14.5, 15.11, 15.12):
// parameter names that are compact type names (`void *ptr`), array parameters in every notation
// (`buf[.count]`, `pipefd[2]`, `uuid_t`), and the C library's typedefs. Each call is checked
// against the C library's own answer, so a wrong adjustment (an array passed by value, a lost
// parameter, a 32-bit off_t) would show; invoke<>() also checks arity and each argument's kind.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "api_test_util.h"

using namespace jt;

namespace {

class ManPageCalls : public testing::TestWithParam<BackendChoice> {
 protected:
  Function fn(const Library &lib, const char *prototype) const {
    return lib.function(prototype, CallOptions{GetParam(), false});
  }
  Library libc = Library::open("c");
};

int compare_ints(const void *a, const void *b) {
  const int x = *static_cast<const int *>(a), y = *static_cast<const int *>(b);
  return (x > y) - (x < y);
}

TEST_P(ManPageCalls, PipeWriteRead) {
  auto pipe = fn(libc, "int pipe(int pipefd[2]);");
  auto write = fn(libc, "ssize_t write(int fd, const void buf[.count], size_t count);");
  auto read = fn(libc, "ssize_t read(int fd, void buf[.count], size_t count);");
  auto close = fn(libc, "int close(int fd);");
  int fds[2] = {-1, -1};
  ASSERT_EQ(pipe.invoke<int>(static_cast<int *>(fds)), 0);
  ASSERT_GE(fds[0], 0);
  ASSERT_GE(fds[1], 0);
  const char msg[] = "hello, pipe";
  EXPECT_EQ(write.invoke<ssize_t>(fds[1], static_cast<const void *>(msg), sizeof msg - 1),
            static_cast<ssize_t>(sizeof msg - 1));
  char buf[64] = {};
  EXPECT_EQ(read.invoke<ssize_t>(fds[0], static_cast<void *>(buf), sizeof buf),
            static_cast<ssize_t>(sizeof msg - 1));
  EXPECT_STREQ(buf, msg);
  EXPECT_EQ(close.invoke<int>(fds[0]), 0);
  EXPECT_EQ(close.invoke<int>(fds[1]), 0);
}

TEST_P(ManPageCalls, MallocReallocFree) {
  auto malloc = fn(libc, "void *malloc(size_t size);");
  auto realloc = fn(libc, "void *realloc(void *ptr, size_t size);");
  auto free = fn(libc, "void free(void *ptr);");
  void *p = malloc.invoke<void *>(std::size_t{16});
  ASSERT_NE(p, nullptr);
  std::memcpy(p, "0123456789abcde", 16);
  void *q = realloc.invoke<void *>(p, std::size_t{1 << 20});
  ASSERT_NE(q, nullptr);
  EXPECT_STREQ(static_cast<const char *>(q), "0123456789abcde");
  free.invoke<void>(q);
}

TEST_P(ManPageCalls, StrtolSetsTheEndPointer) {
  auto strtol = fn(libc,
                   "long strtol(const char *restrict nptr,\n"
                   "            char **restrict endptr, int base);");
  const char *text = "-0x1fz";
  char *end = nullptr;
  EXPECT_EQ(strtol.invoke<long>(text, &end, 16), -0x1f);
  EXPECT_EQ(end, text + 5);
}

TEST_P(ManPageCalls, QsortWithArrayNotation) {
  auto qsort = fn(libc,
                  "void qsort(void base[.size * .nmemb], size_t nmemb, size_t size,\n"
                  "           int (*compar)(const void [.size], const void [.size]));");
  int v[] = {5, -3, 9, 0, 2};
  int (*cmp)(const void *, const void *) = compare_ints;
  qsort.invoke<void>(static_cast<void *>(v), std::size_t{5}, sizeof(int),
                     reinterpret_cast<void *>(cmp));
  EXPECT_EQ(v[0], -3);
  EXPECT_EQ(v[1], 0);
  EXPECT_EQ(v[2], 2);
  EXPECT_EQ(v[3], 5);
  EXPECT_EQ(v[4], 9);
}

TEST_P(ManPageCalls, GethostnameAndGetpid) {
  auto gethostname = fn(libc, "int gethostname(char *name, size_t len);");
  char mine[256] = {}, theirs[256] = {};
  ASSERT_EQ(::gethostname(theirs, sizeof theirs), 0);
  EXPECT_EQ(gethostname.invoke<int>(static_cast<char *>(mine), sizeof mine), 0);
  EXPECT_STREQ(mine, theirs);
  auto getpid = fn(libc, "pid_t getpid(void);");
  EXPECT_EQ(getpid.invoke<pid_t>(), ::getpid());
}

TEST_P(ManPageCalls, DivReturnsTheLibraryStruct) {
  auto div = fn(libc, "div_t div(int numerator, int denominator);");
  const div_t d = div.invoke<div_t>(-17, 5);
  EXPECT_EQ(d.quot, -3);
  EXPECT_EQ(d.rem, -2);
  auto ldiv = fn(libc, "ldiv_t ldiv(long numerator, long denominator);");
  const ldiv_t l = ldiv.invoke<ldiv_t>(1L << 40, 7L);
  EXPECT_EQ(l.quot, (1L << 40) / 7);
  EXPECT_EQ(l.rem, (1L << 40) % 7);
  auto lseek = fn(libc, "off_t lseek(int fd, off_t offset, int whence);");
  EXPECT_EQ(lseek.invoke<off_t>(-1, off_t{0}, SEEK_SET), -1);  // EBADF, through a 64-bit off_t
}

TEST_P(ManPageCalls, ZlibHeaderPrototypes) {
  if (!dlopen("libz.so.1", RTLD_NOW | RTLD_NOLOAD) && !dlopen("libz.so.1", RTLD_NOW))
    GTEST_SKIP() << "libz.so.1 is not installed";
  Library z = Library::open("libz.so.1");
  auto crc32 = fn(z, "uLong crc32(uLong crc, const Bytef *buf, uInt len);");
  const unsigned char hello[] = "hello";
  EXPECT_EQ(crc32.invoke<unsigned long>(0UL, static_cast<const unsigned char *>(hello), 5u),
            0x3610a686UL);
  auto compress = fn(z,
                     "int compress(Bytef *dest,   uLongf *destLen,\n"
                     "             const Bytef *source, uLong sourceLen);");
  auto uncompress = fn(z,
                       "int uncompress(Bytef *dest,   uLongf *destLen,\n"
                       "               const Bytef *source, uLong sourceLen);");
  std::string text(1000, 'x');
  unsigned char packed[256], unpacked[1000];
  unsigned long packed_len = sizeof packed, unpacked_len = sizeof unpacked;
  const auto *src = reinterpret_cast<const unsigned char *>(text.data());
  ASSERT_EQ(compress.invoke<int>(static_cast<unsigned char *>(packed), &packed_len, src,
                                 static_cast<unsigned long>(text.size())),
            0);
  EXPECT_LT(packed_len, 100UL);
  ASSERT_EQ(uncompress.invoke<int>(static_cast<unsigned char *>(unpacked), &unpacked_len,
                                   static_cast<const unsigned char *>(packed), packed_len),
            0);
  EXPECT_EQ(unpacked_len, 1000UL);
  EXPECT_EQ(std::string(reinterpret_cast<char *>(unpacked), unpacked_len), text);
}

TEST_P(ManPageCalls, UuidArrayTypedefParameters) {
  if (!dlopen("libuuid.so.1", RTLD_NOW)) GTEST_SKIP() << "libuuid.so.1 is not installed";
  Library uuid = Library::open("libuuid.so.1");
  uuid.scope().declare("typedef unsigned char uuid_t[16];");  // uuid/uuid.h
  auto parse = fn(uuid, "extern int uuid_parse(const char *in, uuid_t uu);");
  auto unparse = fn(uuid, "extern void uuid_unparse(const uuid_t uu, char *out);");
  auto compare = fn(uuid, "extern int uuid_compare(const uuid_t uu1, const uuid_t uu2);");
  auto generate = fn(uuid, "extern void uuid_generate(uuid_t out);");
  const char *text = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
  unsigned char u[16] = {}, g[16] = {};
  ASSERT_EQ(parse.invoke<int>(text, static_cast<unsigned char *>(u)), 0);
  EXPECT_EQ(u[0], 0x1b);
  EXPECT_EQ(u[15], 0x27);
  char out[37] = {};
  unparse.invoke<void>(static_cast<const unsigned char *>(u), static_cast<char *>(out));
  EXPECT_STREQ(out, text);
  generate.invoke<void>(static_cast<unsigned char *>(g));
  EXPECT_NE(compare.invoke<int>(static_cast<const unsigned char *>(u),
                                static_cast<const unsigned char *>(g)),
            0);
  EXPECT_EQ(compare.invoke<int>(static_cast<const unsigned char *>(u),
                                static_cast<const unsigned char *>(u)),
            0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ManPageCalls, testing::ValuesIn(backends()), choice_name);

}  // namespace
