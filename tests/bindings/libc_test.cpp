// libc binding against the real C library: exact results compared with the host's own calls,
// a real pseudo-terminal, threads started by pthread_create on closures, loopback sockets.
#include "jitffi/bindings/libc.h"

#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <sys/socket.h>
#include <termios.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>

#include "tests/bindings/test_util.h"

namespace lc = jitffi::bindings::libc;
using jitffi::Closure;
using namespace std::chrono_literals;

namespace {

class Libc : public jitffi::bindings::test::BindingTest {
 protected:
  lc::Libc c_;
};

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

}  // namespace

TEST_F(Libc, UsesTheChosenBackend) {
  EXPECT_EQ(c_.api().strlen.backend(), jitffi::bindings::test::expected_backend());
  EXPECT_EQ(c_.api().lib.name(), "libc.so.6");
}

// The binding's declarations give the same layouts as the system headers.
TEST_F(Libc, DeclaredLayoutsMatchTheSystemHeaders) {
  const lc::Api &a = c_.api();
  EXPECT_EQ(a.termios.size(), sizeof(struct termios));
  EXPECT_EQ(a.termios.offset("c_lflag"), offsetof(struct termios, c_lflag));
  EXPECT_EQ(a.termios.offset("c_cc[6]"), offsetof(struct termios, c_cc) + 6);
  EXPECT_EQ(a.termios.offset("c_ospeed"), offsetof(struct termios, c_ospeed));
  EXPECT_EQ(a.regex_t.size(), sizeof(regex_t));
  EXPECT_EQ(a.regex_t.offset("re_nsub"), offsetof(regex_t, re_nsub));
  EXPECT_EQ(a.regmatch_t.size(), sizeof(regmatch_t));
  EXPECT_EQ(a.timespec.size(), sizeof(struct timespec));
  EXPECT_EQ(a.pollfd.size(), sizeof(struct pollfd));
  EXPECT_EQ(a.pollfd.offset("revents"), offsetof(struct pollfd, revents));
  EXPECT_EQ(a.sockaddr_in.size(), sizeof(struct sockaddr_in));
  EXPECT_EQ(a.sockaddr_in.offset("sin_addr.s_addr"), offsetof(struct sockaddr_in, sin_addr));
  EXPECT_EQ(a.sockaddr_in6.size(), sizeof(struct sockaddr_in6));
  EXPECT_EQ(a.sockaddr_in6.offset("sin6_addr"), offsetof(struct sockaddr_in6, sin6_addr));
  EXPECT_EQ(a.sockaddr_storage.size(), sizeof(struct sockaddr_storage));
  EXPECT_EQ(a.addrinfo.size(), sizeof(struct addrinfo));
  EXPECT_EQ(a.addrinfo.offset("ai_next"), offsetof(struct addrinfo, ai_next));
  EXPECT_EQ(a.addrinfo.offset("ai_addr"), offsetof(struct addrinfo, ai_addr));
  EXPECT_EQ(a.pthread_mutex_t.size(), sizeof(pthread_mutex_t));
  EXPECT_EQ(a.pthread_cond_t.size(), sizeof(pthread_cond_t));
  // A wrong member or access size is an error naming the path, not a silent misread.
  EXPECT_THROW(a.termios.offset("c_nope"), jitffi::bindings::BindingError);
  EXPECT_THROW(a.termios.offset("c_cc[32]"), jitffi::bindings::BindingError);
  char buf[sizeof(struct termios)] = {};
  EXPECT_THROW(a.termios.get<std::uint64_t>(buf, "c_lflag"), jitffi::bindings::BindingError);
}

TEST_F(Libc, StringAndMemoryFunctions) {
  EXPECT_EQ(c_.strlen("hello, world"), 12u);
  EXPECT_EQ(c_.strlen(""), 0u);
  EXPECT_LT(c_.strcmp("abc", "abd"), 0);
  EXPECT_GT(c_.strcmp("b", "abc"), 0);
  EXPECT_EQ(c_.strcmp("same", "same"), 0);
  EXPECT_EQ(c_.strncmp("prefix-a", "prefix-b", 7), 0);
  EXPECT_NE(c_.strncmp("prefix-a", "prefix-b", 8), 0);
  EXPECT_EQ(c_.strchr("key=value", '='), 3u);
  EXPECT_EQ(c_.strchr("key", '='), std::nullopt);
  EXPECT_EQ(c_.strstr("the quick brown fox", "brown"), 10u);
  EXPECT_EQ(c_.strstr("the quick brown fox", "cat"), std::nullopt);

  std::string src = "0123456789";
  std::string dst(10, '.');
  c_.memcpy(std::as_writable_bytes(std::span<char>(dst.data(), dst.size())), bytes(src));
  EXPECT_EQ(dst, src);
  c_.memmove(dst.data() + 2, dst.data(), 6);  // overlapping
  EXPECT_EQ(dst, "0101234589");
  c_.memset(std::as_writable_bytes(std::span<char>(dst.data() + 1, 3)), 'x');
  EXPECT_EQ(dst, "0xxx234589");
  EXPECT_EQ(c_.memcmp(bytes("abc"), bytes("abc")), 0);
  EXPECT_LT(c_.memcmp(bytes("ab\x01"), bytes("ab\xff")), 0);  // unsigned comparison
  EXPECT_THROW(c_.memcmp(bytes("ab"), bytes("abc")), jitffi::bindings::BindingError);
  EXPECT_EQ(c_.memchr(bytes(std::string_view("a\0b\0c", 5)), 'c'), 4u);
  EXPECT_EQ(c_.memchr(bytes("abc"), 'z'), std::nullopt);
  EXPECT_EQ(c_.strerror(ENOENT), "No such file or directory");
  EXPECT_EQ(c_.strerror(ECONNREFUSED), "Connection refused");
}

TEST_F(Libc, StrtolAndStrtodWithErrnoCapture) {
  auto a = c_.strtol("  -42xyz");
  EXPECT_EQ(a.value, -42);
  EXPECT_EQ(a.consumed, 5u);
  EXPECT_EQ(a.error, 0);
  auto h = c_.strtol("0x1Fg", 16);
  EXPECT_EQ(h.value, 31);
  EXPECT_EQ(h.consumed, 4u);
  auto o = c_.strtol("99999999999999999999");
  EXPECT_EQ(o.value, LONG_MAX);
  EXPECT_EQ(o.error, ERANGE);
  auto neg = c_.strtoll("-99999999999999999999");
  EXPECT_EQ(neg.value, LLONG_MIN);
  EXPECT_EQ(neg.error, ERANGE);
  auto none = c_.strtol("abc");
  EXPECT_EQ(none.value, 0);
  EXPECT_EQ(none.consumed, 0u);
  EXPECT_EQ(c_.strtol("12", 99).error, EINVAL);
  EXPECT_EQ(c_.strtoul("4294967296", 10).value, 4294967296UL);
  EXPECT_EQ(c_.strtol("777", 8).value, 511);

  auto d = c_.strtod("3.25e2rest");
  EXPECT_EQ(d.value, 325.0);
  EXPECT_EQ(d.consumed, 6u);
  EXPECT_EQ(d.error, 0);
  auto big = c_.strtod("1e999");
  EXPECT_EQ(big.value, HUGE_VAL);
  EXPECT_EQ(big.error, ERANGE);
  EXPECT_EQ(c_.strtod("0x1.8p1").value, 3.0);
  EXPECT_TRUE(std::isnan(c_.strtod("nan").value));
  // A successful call after a failing one reports 0, not the stale ERANGE.
  EXPECT_EQ(c_.strtol("5").error, 0);
}

TEST_F(Libc, QsortAndBsearchWithClosures) {
  std::vector<int> v(1000);
  std::uint32_t x = 12345;
  for (int &i : v) i = static_cast<int>((x = x * 1103515245u + 12345u) >> 8) % 100000 - 50000;
  std::vector<int> expect = v;
  std::sort(expect.begin(), expect.end());
  int calls = 0;
  c_.qsort(v.data(), v.size(), sizeof(int), [&](const void *a, const void *b) {
    ++calls;
    int l = *static_cast<const int *>(a), r = *static_cast<const int *>(b);
    return (l > r) - (l < r);
  });
  EXPECT_EQ(v, expect);
  EXPECT_GT(calls, 999);

  struct Rec {
    char name[12];
    double score;
  };
  std::vector<Rec> recs = {{"carol", 2.5}, {"alice", 9.0}, {"bob", -1.0}, {"dave", 2.5}};
  c_.sort(std::span<Rec>(recs), [](const Rec &a, const Rec &b) {
    return a.score != b.score ? a.score < b.score : std::strcmp(a.name, b.name) < 0;
  });
  EXPECT_STREQ(recs[0].name, "bob");
  EXPECT_STREQ(recs[1].name, "carol");
  EXPECT_STREQ(recs[2].name, "dave");
  EXPECT_STREQ(recs[3].name, "alice");

  auto cmp = [](const void *a, const void *b) {
    int l = *static_cast<const int *>(a), r = *static_cast<const int *>(b);
    return (l > r) - (l < r);
  };
  int key = expect[617];
  auto found = static_cast<const int *>(c_.bsearch(&key, v.data(), v.size(), sizeof(int), cmp));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(*found, key);
  int absent = 1000000;
  EXPECT_EQ(c_.bsearch(&absent, v.data(), v.size(), sizeof(int), cmp), nullptr);

  // A comparator that throws: qsort finishes, the exception comes out of qsort.
  EXPECT_THROW(c_.qsort(v.data(), v.size(), sizeof(int),
                        [](const void *, const void *) -> int { throw std::logic_error("no"); }),
               std::logic_error);
}

TEST_F(Libc, SnprintfIsCalledAsVariadic) {
  char expect[512];
  std::snprintf(expect, sizeof expect, "%d|%5.2f|%s|%lld|%x|%c|%lu", -7, 3.14159, "str",
                -1234567890123LL, 0xbeefu, 'Q', 18446744073709551615UL);
  EXPECT_EQ(c_.format("%d|%5.2f|%s|%lld|%x|%c|%lu", -7, 3.14159, "str", -1234567890123LL, 0xbeefu,
                      int('Q'), 18446744073709551615UL),
            expect);
  // Enough of each kind that some go on the stack (6 integer and 8 vector registers).
  std::snprintf(expect, sizeof expect,
                "%d %d %d %d %d %d %d %d %d %d|%g %g %g %g %g %g %g %g %g %g|%s", 1, 2, 3, 4, 5, 6,
                7, 8, 9, 10, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, "end");
  EXPECT_EQ(c_.format("%d %d %d %d %d %d %d %d %d %d|%g %g %g %g %g %g %g %g %g %g|%s", 1, 2, 3, 4,
                      5, 6, 7, 8, 9, 10, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, "end"),
            expect);
  std::string longer(1000, 'z');
  EXPECT_EQ(c_.format("<%s>", longer.c_str()), "<" + longer + ">");
  EXPECT_EQ(c_.format("no args"), "no args");
  int local = 0;
  std::snprintf(expect, sizeof expect, "%p", static_cast<void *>(&local));
  EXPECT_EQ(c_.format("%p", static_cast<const void *>(&local)), expect);
}

TEST_F(Libc, EnvironmentFunctions) {
  const char *name = "JITFFI_BINDING_TEST_VAR";
  c_.unsetenv(name);
  EXPECT_EQ(c_.getenv(name), std::nullopt);
  c_.setenv(name, "first");
  EXPECT_EQ(c_.getenv(name), "first");
  EXPECT_STREQ(std::getenv(name), "first");  // the same environment as the host's
  c_.setenv(name, "second", false);
  EXPECT_EQ(c_.getenv(name), "first");
  c_.setenv(name, "third", true);
  EXPECT_EQ(c_.getenv(name), "third");
  c_.unsetenv(name);
  EXPECT_EQ(c_.getenv(name), std::nullopt);
  try {
    c_.setenv("BAD=NAME", "x");
    FAIL();
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), EINVAL);
    EXPECT_EQ(e.message(), "Invalid argument");
  }
}

TEST_F(Libc, TimeAndClocks) {
  std::int64_t t = c_.time();
  EXPECT_LE(std::abs(t - static_cast<std::int64_t>(std::time(nullptr))), 2);
  auto m1 = c_.clock_gettime(lc::kClockMonotonic);
  std::this_thread::sleep_for(20ms);
  auto m2 = c_.clock_gettime(lc::kClockMonotonic);
  std::int64_t ns = (m2.sec - m1.sec) * 1000000000LL + (m2.nsec - m1.nsec);
  EXPECT_GE(ns, 19000000);
  EXPECT_LT(ns, 5000000000LL);
  EXPECT_GE(m1.nsec, 0);
  EXPECT_LT(m1.nsec, 1000000000);
  struct timespec host;
  ::clock_gettime(CLOCK_REALTIME, &host);
  auto r = c_.clock_gettime(lc::kClockRealtime);
  EXPECT_LE(std::abs(r.sec - host.tv_sec), 1);
  try {
    c_.clock_gettime(12345);
    FAIL();
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), EINVAL);
  }
}

TEST_F(Libc, RegexWithCaptureGroups) {
  lc::Regex re(c_, "([a-z]+)@([a-z]+)\\.(com|org)");
  EXPECT_EQ(re.group_count(), 3u);
  const char *text = "mail: bob@example.org!";
  auto m = re.match(text);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->groups.size(), 4u);
  EXPECT_EQ(m->group(text, 0), "bob@example.org");
  EXPECT_EQ(m->groups[0]->first, 6u);
  EXPECT_EQ(m->group(text, 1), "bob");
  EXPECT_EQ(m->group(text, 2), "example");
  EXPECT_EQ(m->group(text, 3), "org");
  EXPECT_FALSE(re.match("nobody at example dot com"));
  EXPECT_TRUE(re.matches("x@y.com"));
  EXPECT_FALSE(re.matches("x@y.net"));

  lc::Regex alt(c_, "(a)|(b)");
  auto b = alt.match("b");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->groups[1].has_value());  // did not take part
  EXPECT_EQ(b->group("b", 2), "b");

  lc::Regex icase(c_, "^hello$", lc::kRegExtended | lc::kRegIcase);
  EXPECT_TRUE(icase.matches("HeLLo"));

  try {
    lc::Regex bad(c_, "a(b");
    FAIL();
  } catch (const lc::RegexError &e) {
    EXPECT_EQ(e.code(), REG_EPAREN);
    EXPECT_EQ(e.message(), "Unmatched ( or \\(");
  }
  try {
    lc::Regex bad(c_, "[z-a]");
    FAIL();
  } catch (const lc::RegexError &e) {
    EXPECT_EQ(e.code(), REG_ERANGE);
    EXPECT_EQ(e.message(), "Invalid range end");
  }
}

namespace {

void check_pty(const lc::Libc &c, lc::Pty &pty) {
  ASSERT_TRUE(pty.master);
  ASSERT_TRUE(pty.slave);
  EXPECT_EQ(pty.slave_name.rfind("/dev/pts/", 0), 0u) << pty.slave_name;

  // A new terminal is canonical with echo: a line arrives whole, and the master sees the echo.
  lc::Termios t = lc::tcgetattr(c, pty.slave.get());
  EXPECT_NE(t.lflag() & lc::kEcho, 0u);
  EXPECT_NE(t.lflag() & lc::kIcanon, 0u);
  pty.master.write("hello\n");
  EXPECT_EQ(pty.slave.read_exactly(6, 2000ms), "hello\n");
  EXPECT_EQ(pty.master.read_exactly(7, 2000ms), "hello\r\n");  // echo, with ONLCR

  // Raw mode: no echo, no line discipline, no output processing.
  lc::cfmakeraw(c, t);
  EXPECT_EQ(t.lflag() & (lc::kEcho | lc::kIcanon | lc::kIsig), 0u);
  EXPECT_EQ(t.oflag() & lc::kOpost, 0u);
  EXPECT_EQ(t.cc(6), 1);  // VMIN
  EXPECT_EQ(t.cc(5), 0);  // VTIME
  lc::tcsetattr(c, pty.slave.get(), lc::kTcsaNow, t);
  lc::Termios back = lc::tcgetattr(c, pty.slave.get());
  EXPECT_EQ(back.lflag() & (lc::kEcho | lc::kIcanon), 0u);
  pty.master.write("xy");  // no newline: raw input is delivered at once
  EXPECT_EQ(pty.slave.read_exactly(2, 2000ms), "xy");
  try {
    pty.master.read_some(16, 100ms);
    FAIL() << "raw mode echoed";
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), ETIMEDOUT);
  }
  pty.slave.write("out\n");
  EXPECT_EQ(pty.master.read_exactly(4, 2000ms), "out\n");  // no "\r\n" without OPOST
}

}  // namespace

TEST_F(Libc, TermiosOnPosixOpenpt) {
  lc::Pty pty = lc::open_pty(c_);
  check_pty(c_, pty);
}

TEST_F(Libc, TermiosOnOpenpty) {
  ASSERT_TRUE(c_.api().openpty) << "glibc >= 2.34 has openpty in libc";
  lc::Pty pty = lc::openpty(c_);
  check_pty(c_, pty);
}

TEST_F(Libc, TcgetattrOnANonTerminalIsAnError) {
  auto [a, b] = lc::socketpair(c_);
  try {
    lc::tcgetattr(c_, a.get());
    FAIL();
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), ENOTTY);
    EXPECT_EQ(e.message(), "Inappropriate ioctl for device");
  }
}

TEST_F(Libc, ThreadStartRoutineIsAClosureOnAForeignThread) {
  std::uint64_t main_thread = lc::pthread_self(c_);
  EXPECT_EQ(main_thread, static_cast<std::uint64_t>(::pthread_self()));
  std::uint64_t inside = 0;
  std::thread::id inside_id;
  lc::Thread t(c_, [&] {
    inside = lc::pthread_self(c_);
    inside_id = std::this_thread::get_id();
  });
  t.join();
  EXPECT_NE(inside, 0u);
  EXPECT_NE(inside, main_thread);
  EXPECT_EQ(inside, t.id());
  EXPECT_NE(inside_id, std::this_thread::get_id());

  // An exception on the thread comes out of join.
  lc::Thread failing(c_, [] { throw std::runtime_error("thread failed"); });
  EXPECT_THROW(failing.join(), std::runtime_error);
}

TEST_F(Libc, MutexesProtectACounterAcrossThreads) {
  lc::Mutex m(c_);
  long counter = 0;
  {
    std::vector<std::unique_ptr<lc::Thread>> threads;
    for (int i = 0; i < 4; ++i)
      threads.push_back(std::make_unique<lc::Thread>(c_, [&] {
        for (int k = 0; k < 20000; ++k) {
          m.lock();
          ++counter;
          m.unlock();
        }
      }));
    for (auto &t : threads) t->join();
  }
  EXPECT_EQ(counter, 80000);

  m.lock();
  bool other_got_it = true;
  lc::Thread probe(c_, [&] { other_got_it = m.try_lock(); });
  probe.join();
  EXPECT_FALSE(other_got_it);
  m.unlock();
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST_F(Libc, ConditionVariablesWakeAndTimeOut) {
  lc::Mutex m(c_);
  lc::CondVar cv(c_);
  bool ready = false;
  int consumed = -1;
  lc::Thread consumer(c_, [&] {
    m.lock();
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!ready && std::chrono::steady_clock::now() < deadline) cv.wait_for(m, 1000ms);
    consumed = ready ? 1 : 0;
    m.unlock();
  });
  std::this_thread::sleep_for(30ms);
  m.lock();
  ready = true;
  cv.signal();
  m.unlock();
  consumer.join();
  EXPECT_EQ(consumed, 1);

  m.lock();
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(cv.wait_for(m, 80ms));
  auto waited = std::chrono::steady_clock::now() - start;
  m.unlock();
  EXPECT_GE(waited, 70ms);
  EXPECT_LT(waited, 5s);

  // broadcast wakes every waiter.
  int woken = 0;
  bool go = false;
  {
    std::vector<std::unique_ptr<lc::Thread>> waiters;
    for (int i = 0; i < 3; ++i)
      waiters.push_back(std::make_unique<lc::Thread>(c_, [&] {
        m.lock();
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!go && std::chrono::steady_clock::now() < deadline) cv.wait_for(m, 1000ms);
        if (go) ++woken;
        m.unlock();
      }));
    std::this_thread::sleep_for(30ms);
    m.lock();
    go = true;
    cv.broadcast();
    m.unlock();
    for (auto &w : waiters) w->join();
  }
  EXPECT_EQ(woken, 3);
}

TEST_F(Libc, TcpOverLoopback) {
  lc::Socket listener = lc::listen_loopback(c_);
  std::uint16_t port = listener.local_port();
  ASSERT_GT(port, 0);
  lc::Socket client = lc::connect_loopback(c_, port);
  lc::Socket server = lc::accept(c_, listener);

  // 256 KiB from a binding thread while this thread reads: every byte checked.
  std::string payload(256 * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7 + i / 256);
  lc::Thread sender(c_, [&] {
    client.send(payload);
    client.shutdown(lc::kShutWr);
  });
  std::string got = server.read_exactly(payload.size(), 10s);
  sender.join();
  EXPECT_TRUE(got == payload);
  EXPECT_EQ(server.recv(16, 2000ms), "");  // the client's shutdown: end of stream
  server.send("reply");
  EXPECT_EQ(client.read_exactly(5, 2000ms), "reply");
}

TEST_F(Libc, ConnectToAClosedLoopbackPortIsRefused) {
  std::uint16_t port;
  {
    lc::Socket l = lc::listen_loopback(c_);
    port = l.local_port();
  }  // closed: nothing listens there now
  try {
    lc::connect_loopback(c_, port);
    FAIL() << "connected to a closed port";
  } catch (const lc::SystemError &e) {
    EXPECT_EQ(e.code(), ECONNREFUSED);
    EXPECT_EQ(e.message(), "Connection refused");
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos);
  }
}

TEST_F(Libc, Socketpair) {
  auto [a, b] = lc::socketpair(c_);
  a.send("to b");
  b.send("to a!");
  EXPECT_EQ(b.read_exactly(4, 2000ms), "to b");
  EXPECT_EQ(a.read_exactly(5, 2000ms), "to a!");
  a.shutdown(lc::kShutWr);
  EXPECT_EQ(b.recv(8, 2000ms), "");
  try {
    b.recv(8, 50ms);  // still at end of file, not a timeout
  } catch (const lc::SystemError &e) {
    ADD_FAILURE() << e.what();
  }
}

TEST_F(Libc, Getaddrinfo) {
  auto numeric = lc::getaddrinfo(c_, "127.0.0.1", "8080", lc::kAfInet, lc::kSockStream,
                                 lc::kAiNumericHost | lc::kAiNumericServ);
  ASSERT_EQ(numeric.size(), 1u);
  EXPECT_EQ(numeric[0].family, lc::kAfInet);
  EXPECT_EQ(numeric[0].socktype, lc::kSockStream);
  EXPECT_EQ(numeric[0].address, "127.0.0.1");
  EXPECT_EQ(numeric[0].port, 8080);
  auto v6 = lc::getaddrinfo(c_, "::1", "443", lc::kAfInet6, lc::kSockStream, lc::kAiNumericHost);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].address, "::1");
  EXPECT_EQ(v6[0].port, 443);
  auto local = lc::getaddrinfo(c_, "localhost", "80", 0, lc::kSockStream);
  ASSERT_FALSE(local.empty());
  for (const auto &ai : local)
    EXPECT_TRUE(ai.address == "127.0.0.1" || ai.address == "::1") << ai.address;
  try {
    lc::getaddrinfo(c_, "not-an-address", "80", lc::kAfInet, 0, lc::kAiNumericHost);
    FAIL();
  } catch (const lc::AddrInfoError &e) {
    EXPECT_EQ(e.code(), EAI_NONAME);
    EXPECT_EQ(e.message(), std::string(::gai_strerror(EAI_NONAME)));
  }
}

// Struct storage handed to C must be zero in every byte: getaddrinfo reads hints members we never
// set (ai_protocol: garbage there is "ai_socktype not supported"). The heap is dirtied first, so
// storage that zeroes only members (value-initialised max_align_t) fails here in any build.
static void dirty_the_heap() {
  std::vector<unsigned char *> blocks;
  for (std::size_t size = 16; size <= 512; size += 16)
    for (int i = 0; i < 8; ++i) {
      blocks.push_back(new unsigned char[size]);
      std::memset(blocks.back(), 0xbe, size);
    }
  for (unsigned char *b : blocks) delete[] b;
}

TEST(BindingStorage, ZeroedStorageIsZeroInEveryByte) {
  for (std::size_t bytes : {1u, 16u, 48u, 60u, 112u, 128u, 400u}) {
    dirty_the_heap();
    auto p = jitffi::bindings::zeroed_storage(bytes);
    const auto *b = reinterpret_cast<const unsigned char *>(p.get());
    for (std::size_t i = 0; i < bytes; ++i) ASSERT_EQ(b[i], 0) << "byte " << i << " of " << bytes;
  }
}

TEST_F(Libc, NewTermiosIsZeroInEveryByte) {
  dirty_the_heap();
  lc::Termios t(c_);
  const auto *b = static_cast<const unsigned char *>(t.data());
  for (std::size_t i = 0; i < sizeof(struct termios); ++i) ASSERT_EQ(b[i], 0) << "byte " << i;
}
