// stdlib.h through the libc binding, each function against the host's own direct call. The ones
// that end the process (exit, _Exit, abort, atexit's handler) run in a forked child.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <clocale>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "jitffi/bindings/libc.h"
#include "tests/bindings/test_util.h"

namespace lc = jitffi::bindings::libc;

namespace {

class Stdlib : public jitffi::bindings::test::BindingTest {
 protected:
  lc::Libc c_;
};

// Runs `body` in a forked child and returns its wait status; the child never returns to gtest.
template <class F>
int in_child(F body) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(99);  // the body was meant to end the process
  }
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return status;
}

}  // namespace

TEST_F(Stdlib, A64lAndL64a) {
  for (long v : {0L, 1L, 63L, 64L, 123456L, 0x7fffffffL}) {
    EXPECT_EQ(c_.l64a(v), std::string(::l64a(v))) << v;
    std::string text = c_.l64a(v);
    EXPECT_EQ(c_.a64l(text.c_str()), ::a64l(text.c_str()));
    EXPECT_EQ(c_.a64l(text.c_str()), v);
  }
  EXPECT_EQ(c_.a64l("zz1"), ::a64l("zz1"));
}

TEST_F(Stdlib, AbsFamily) {
  for (int v : {0, 1, -1, 42, -42, INT_MAX, INT_MIN + 1}) EXPECT_EQ(c_.abs(v), ::abs(v));
  for (long v : {0L, -5L, LONG_MAX, LONG_MIN + 1}) EXPECT_EQ(c_.labs(v), ::labs(v));
  for (long long v : {0LL, -7LL, LLONG_MAX, LLONG_MIN + 1}) EXPECT_EQ(c_.llabs(v), ::llabs(v));
}

TEST_F(Stdlib, AtoFamily) {
  for (const char *s : {"42", "  -17xyz", "", "abc", "2147483647", "+8", "0x1f", "1e3"}) {
    EXPECT_EQ(c_.atoi(s), ::atoi(s)) << s;
    EXPECT_EQ(c_.atol(s), ::atol(s)) << s;
    EXPECT_EQ(c_.atoll(s), ::atoll(s)) << s;
    EXPECT_EQ(c_.atof(s), ::atof(s)) << s;
  }
  EXPECT_EQ(c_.atoll("-9223372036854775807"), -9223372036854775807LL);
  EXPECT_DOUBLE_EQ(c_.atof("  3.25e2rest"), 325.0);
  // The string_view is copied: a view that is not NUL-terminated stops where it ends.
  std::string_view part = std::string_view("123456").substr(0, 3);
  EXPECT_EQ(c_.atoi(part), 123);
}

TEST_F(Stdlib, StrtofAndStrtoldAndStrtoull) {
  for (const char *s : {"3.14159", "-0.5e-3x", "inf", "nan", "1e40", "junk", "0x1.8p1"}) {
    char *end = nullptr;
    errno = 0;
    float f = ::strtof(s, &end);
    int err = errno;
    auto r = c_.strtof(s);
    if (std::isnan(f))
      EXPECT_TRUE(std::isnan(r.value)) << s;
    else
      EXPECT_EQ(r.value, f) << s;
    EXPECT_EQ(r.consumed, static_cast<std::size_t>(end - s)) << s;
    EXPECT_EQ(r.error, err) << s;

    errno = 0;
    long double ld = ::strtold(s, &end);
    err = errno;
    auto q = c_.strtold(s);
    if (std::isnan(ld))
      EXPECT_TRUE(std::isnan(q.value)) << s;
    else
      EXPECT_EQ(q.value, ld) << s;
    EXPECT_EQ(q.consumed, static_cast<std::size_t>(end - s)) << s;
    EXPECT_EQ(q.error, err) << s;
  }
  // long double keeps digits a double cannot.
  auto q = c_.strtold("0.1");
  EXPECT_EQ(q.value, 0.1L);
  EXPECT_NE(static_cast<long double>(static_cast<double>(q.value)), q.value);
  EXPECT_EQ(c_.strtof("1e40").error, ERANGE);
  auto u = c_.strtoull("18446744073709551615", 10);
  EXPECT_EQ(u.value, ULLONG_MAX);
  EXPECT_EQ(u.error, 0);
  EXPECT_EQ(c_.strtoull("ff", 16).value, 255u);
}

TEST_F(Stdlib, CallocReallocFree) {
  auto *p = static_cast<unsigned char *>(c_.calloc(100, 4));
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 400; ++i) ASSERT_EQ(p[i], 0) << i;
  std::memset(p, 0xab, 400);
  p = static_cast<unsigned char *>(c_.realloc(p, 4000));
  for (int i = 0; i < 400; ++i) ASSERT_EQ(p[i], 0xab) << i;  // realloc kept the contents
  p[3999] = 1;
  c_.free(p);
  void *fresh = c_.realloc(nullptr, 16);  // realloc(NULL, n) is malloc
  ASSERT_NE(fresh, nullptr);
  c_.free(fresh);
  // count * size overflows: C returns NULL with ENOMEM; the binding throws with that errno.
  try {
    c_.calloc(SIZE_MAX / 2, 4);
    ADD_FAILURE() << "calloc of an overflowing size returned";
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), ENOMEM);
    EXPECT_NE(std::string(e.what()).find("calloc"), std::string::npos) << e.what();
  }
}

TEST_F(Stdlib, DivStructsReturnedByValue) {
  for (auto [n, d] : {std::pair{17, 5}, {-17, 5}, {17, -5}, {-17, -5}, {0, 3}, {INT_MAX, 7}}) {
    div_t want = ::div(n, d);
    auto got = c_.div(n, d);
    EXPECT_EQ(got.quot, want.quot) << n << "/" << d;
    EXPECT_EQ(got.rem, want.rem) << n << "/" << d;
  }
  for (auto [n, d] : {std::pair{LONG_MAX, 3L}, {-1234567890123L, 1000L}}) {
    ldiv_t want = ::ldiv(n, d);
    auto got = c_.ldiv(n, d);
    EXPECT_EQ(got.quot, want.quot);
    EXPECT_EQ(got.rem, want.rem);
  }
  for (auto [n, d] : {std::pair{LLONG_MIN + 1, 10LL}, {987654321987654321LL, -13LL}}) {
    lldiv_t want = ::lldiv(n, d);
    auto got = c_.lldiv(n, d);
    EXPECT_EQ(got.quot, want.quot);
    EXPECT_EQ(got.rem, want.rem);
  }
  EXPECT_EQ(c_.api().div_t.size(), sizeof(div_t));
  EXPECT_EQ(c_.api().lldiv_t.offset("rem"), offsetof(lldiv_t, rem));
  EXPECT_THROW(c_.div(1, 0), jitffi::bindings::BindingError);  // not SIGFPE
}

TEST_F(Stdlib, Drand48FamilyMatchesTheDirectCalls) {
  // The shared state: the same seed gives the same sequence through either path.
  c_.srand48(12345);
  std::vector<double> via;
  std::vector<long> vial, viam;
  for (int i = 0; i < 5; ++i) via.push_back(c_.drand48());
  for (int i = 0; i < 5; ++i) vial.push_back(c_.lrand48());
  for (int i = 0; i < 5; ++i) viam.push_back(c_.mrand48());
  ::srand48(12345);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(via[i], ::drand48());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(vial[i], ::lrand48());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(viam[i], ::mrand48());

  // Caller-held states: the arrays advance exactly as the direct calls advance theirs.
  lc::Xsubi a{0x330e, 0xabcd, 0x1234};
  unsigned short b[3] = {0x330e, 0xabcd, 0x1234};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(c_.erand48(a), ::erand48(b));
    EXPECT_EQ(c_.nrand48(a), ::nrand48(b));
    EXPECT_EQ(c_.jrand48(a), ::jrand48(b));
    EXPECT_EQ(a[0], b[0]);
    EXPECT_EQ(a[1], b[1]);
    EXPECT_EQ(a[2], b[2]);
  }

  // seed48 returns the previous state; lcong48 changes the multiplier too.
  unsigned short s[3] = {1, 2, 3};
  ::seed48(s);
  auto prev = c_.seed48({4, 5, 6});
  EXPECT_EQ(prev, (lc::Xsubi{1, 2, 3}));
  long x = c_.lrand48();
  unsigned short s2[3] = {4, 5, 6};
  ::seed48(s2);
  EXPECT_EQ(x, ::lrand48());
  std::array<unsigned short, 7> param{1, 2, 3, 0xe66d, 0xdeec, 0x5, 0xb};
  c_.lcong48(param);
  long y = c_.lrand48();
  unsigned short p2[7] = {1, 2, 3, 0xe66d, 0xdeec, 0x5, 0xb};
  ::lcong48(p2);
  EXPECT_EQ(y, ::lrand48());
}

TEST_F(Stdlib, RandomWithStateArrays) {
  c_.srandom(42);
  long a = c_.random(), b = c_.random();
  ::srandom(42);
  EXPECT_EQ(a, ::random());
  EXPECT_EQ(b, ::random());

  char mine[64], theirs[64];
  char *prev = c_.initstate(7, std::span<char>(mine));
  std::vector<long> seq;
  for (int i = 0; i < 6; ++i) seq.push_back(c_.random());
  ::initstate(7, theirs, sizeof theirs);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(seq[i], ::random()) << i;
  // setstate switches back to our array and continues its sequence.
  EXPECT_EQ(c_.setstate(mine), theirs);
  long next = c_.random();
  ::setstate(theirs);
  EXPECT_EQ(next, ::random());
  ::setstate(prev);  // the C library's default state again

  char tiny[4];
  try {
    c_.initstate(1, std::span<char>(tiny));
    ADD_FAILURE() << "initstate accepted 4 bytes";
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), EINVAL);
  }

  c_.srand(9);
  int r = c_.rand();
  ::srand(9);
  EXPECT_EQ(r, ::rand());
}

TEST_F(Stdlib, EcvtFcvtGcvt) {
  for (double v : {3.14159265, -0.000123, 1234567.891, 0.0, -2.5e10}) {
    for (int nd : {1, 4, 8}) {
      int dp = 0, sg = 0;
      std::string want = ::ecvt(v, nd, &dp, &sg);
      auto got = c_.ecvt(v, nd);
      EXPECT_EQ(got.digits, want) << v << " " << nd;
      EXPECT_EQ(got.decimal_point, dp);
      EXPECT_EQ(got.negative, sg != 0);
      want = ::fcvt(v, nd, &dp, &sg);
      got = c_.fcvt(v, nd);
      EXPECT_EQ(got.digits, want) << v << " " << nd;
      EXPECT_EQ(got.decimal_point, dp);
      EXPECT_EQ(got.negative, sg != 0);
      char buf[64];
      EXPECT_EQ(c_.gcvt(v, nd), std::string(::gcvt(v, nd, buf))) << v << " " << nd;
    }
  }
  auto e = c_.ecvt(-31.4159, 3);
  EXPECT_EQ(e.digits, "314");
  EXPECT_EQ(e.decimal_point, 2);
  EXPECT_TRUE(e.negative);
  char big[64];
  EXPECT_EQ(c_.gcvt(1e300, 17), std::string(::gcvt(1e300, 17, big)));
}

TEST_F(Stdlib, Getsubopt) {
  const char *tokens[] = {"ro", "rw", "size"};
  auto opts = c_.getsubopt("ro,size=512,bogus=1,rw", tokens);
  ASSERT_EQ(opts.size(), 4u);
  EXPECT_EQ(opts[0].index, 0);
  EXPECT_FALSE(opts[0].value);
  EXPECT_EQ(opts[1].index, 2);
  EXPECT_EQ(opts[1].name, "size");
  EXPECT_EQ(opts[1].value, std::optional<std::string>("512"));
  EXPECT_EQ(opts[2].index, -1);
  EXPECT_EQ(opts[2].name, "bogus=1");
  EXPECT_EQ(opts[3].index, 1);
  // The same walk through the direct call.
  char text[] = "ro,size=512,bogus=1,rw";
  char *cur = text, *val = nullptr;
  char *const toks[] = {const_cast<char *>("ro"), const_cast<char *>("rw"),
                        const_cast<char *>("size"), nullptr};
  for (const auto &o : opts) {
    int idx = ::getsubopt(&cur, toks, &val);
    EXPECT_EQ(o.index, idx);
    if (idx >= 0 && val) {
      EXPECT_EQ(o.value, std::optional<std::string>(val));
    }
  }
  EXPECT_TRUE(c_.getsubopt("", tokens).empty());
}

TEST_F(Stdlib, MultibyteCharactersInUtf8) {
  const char *old = std::setlocale(LC_CTYPE, nullptr);
  std::string saved = old ? old : "C";
  if (!std::setlocale(LC_CTYPE, "C.UTF-8")) GTEST_SKIP() << "no C.UTF-8 locale on this system";
  std::string euro = "\xe2\x82\xac";  // U+20AC
  EXPECT_EQ(c_.mblen(euro), ::mblen(euro.data(), euro.size()));
  EXPECT_EQ(c_.mblen(euro), 3);
  EXPECT_EQ(c_.mblen("a"), 1);
  auto w = c_.mbtowc(euro);
  wchar_t direct = 0;
  EXPECT_EQ(w.length, ::mbtowc(&direct, euro.data(), euro.size()));
  EXPECT_EQ(w.wc, direct);
  EXPECT_EQ(w.wc, L'\x20ac');
  EXPECT_EQ(c_.wctomb(0x1F600), "\xf0\x9f\x98\x80");
  char buf[MB_LEN_MAX];
  EXPECT_EQ(c_.wctomb(L'\x20ac'), std::string(buf, ::wctomb(buf, L'\x20ac')));
  // A truncated sequence and an invalid byte are EILSEQ errors.
  EXPECT_THROW(c_.mbtowc(euro.substr(0, 2)), lc::SystemError);
  try {
    c_.mblen("\xff");
    ADD_FAILURE() << "0xff accepted";
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), EILSEQ);
  }
  try {
    c_.wctomb(0xD800);  // a surrogate has no UTF-8 form
    ADD_FAILURE() << "a surrogate converted";
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), EILSEQ);
  }
  std::setlocale(LC_CTYPE, saved.c_str());
}

TEST_F(Stdlib, MkstempMkdtempRealpath) {
  auto [fd, name] = c_.mkstemp(dir() + "/fileXXXXXX");
  ASSERT_TRUE(fd);
  EXPECT_EQ(name.size(), dir().size() + 11);
  EXPECT_EQ(name.find("XXXXXX"), std::string::npos);
  fd.write("hello");
  struct stat st;
  ASSERT_EQ(::stat(name.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 5);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::string d = c_.mkdtemp(dir() + "/dirXXXXXX");
  ASSERT_EQ(::stat(d.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  std::string twisted = d + "/../" + std::filesystem::path(name).filename().string();
  char *direct = ::realpath(twisted.c_str(), nullptr);
  ASSERT_NE(direct, nullptr);
  EXPECT_EQ(c_.realpath(twisted.c_str()), std::string(direct));
  std::free(direct);

  try {
    c_.mkstemp(dir() + "/no-placeholder");
    ADD_FAILURE() << "mkstemp accepted a template without XXXXXX";
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), EINVAL);
  }
  EXPECT_THROW(c_.mkdtemp("/nonexistent-dir-jitffi/XXXXXX"), lc::SystemError);
  try {
    c_.realpath((dir() + "/missing").c_str());
    ADD_FAILURE() << "realpath of a missing file";
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
  }
}

TEST_F(Stdlib, SystemReturnsTheWaitStatus) {
  EXPECT_NE(c_.system(nullptr), 0);  // a shell exists
  int s = c_.system("exit 7");
  EXPECT_EQ(s, ::system("exit 7"));
  ASSERT_TRUE(WIFEXITED(s));
  EXPECT_EQ(WEXITSTATUS(s), 7);
  s = c_.system("kill -TERM $$");
  EXPECT_TRUE(WIFSIGNALED(s));
  EXPECT_EQ(WTERMSIG(s), SIGTERM);
  std::string out = dir() + "/out";
  EXPECT_EQ(c_.system(("printf hi > " + out).c_str()), 0);
  struct stat st;
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 2);
}

TEST_F(Stdlib, ExitAndQuickExitInAChild) {
  int s = in_child([&] { c_.exit(3); });
  ASSERT_TRUE(WIFEXITED(s));
  EXPECT_EQ(WEXITSTATUS(s), 3);
  s = in_child([&] { c_.exit_now(4); });
  ASSERT_TRUE(WIFEXITED(s));
  EXPECT_EQ(WEXITSTATUS(s), 4);
  EXPECT_EQ(s, in_child([] { ::_Exit(4); }));  // as the direct call
}

TEST_F(Stdlib, AbortRaisesSigabrtInAChild) {
  int s = in_child([&] { c_.abort(); });
  ASSERT_TRUE(WIFSIGNALED(s));
  EXPECT_EQ(WTERMSIG(s), SIGABRT);
}

TEST_F(Stdlib, AtexitClosureRunsAtExitInAChild) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int s = in_child([&] {
    ::close(fds[0]);
    // Handlers run in reverse order of registration, C ones and closures alike.
    c_.atexit([&] { (void)!::write(fds[1], "first;", 6); });
    c_.atexit([&] { (void)!::write(fds[1], "second;", 7); });
    c_.exit(5);
  });
  ::close(fds[1]);
  std::string got;
  char buf[64];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  ASSERT_TRUE(WIFEXITED(s));
  EXPECT_EQ(WEXITSTATUS(s), 5);
  EXPECT_EQ(got, "second;first;");
  // _Exit skips them.
  ASSERT_EQ(::pipe(fds), 0);
  s = in_child([&] {
    ::close(fds[0]);
    c_.atexit([&] { (void)!::write(fds[1], "ran", 3); });
    c_.exit_now(6);
  });
  ::close(fds[1]);
  EXPECT_EQ(::read(fds[0], buf, sizeof buf), 0);
  ::close(fds[0]);
  EXPECT_EQ(WEXITSTATUS(s), 6);
}
