// libuv through jitffi: the real libuv.so.1, its loop, timers, TCP on loopback, the filesystem,
// the thread pool, async wake-ups from other threads and signals.
#include <gtest/gtest.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>  // only for the layout check against the real header

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "jitffi/bindings/uv.h"
#include "net_test_util.h"

namespace uv = jitffi::bindings::uv;
using namespace std::chrono_literals;
using net_test::pattern;

namespace {

const uv::Uv &lib() {
  static const uv::Uv u;
  return u;
}

class UvTest : public net_test::ClosureLeakCheck {};

// A fresh directory under the system temp dir, removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "jitffi-uv-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_F(UvTest, VersionAndErrorText) {
  EXPECT_EQ(lib().version().rfind("1.", 0), 0u) << lib().version();
  EXPECT_GE(lib().version_number(), 0x010000u);
  EXPECT_EQ(lib().strerror(uv::kEConnRefused), "connection refused");
  EXPECT_EQ(lib().err_name(uv::kEConnRefused), "ECONNREFUSED");
  EXPECT_EQ(lib().strerror(uv::kEOF), "end of file");
  EXPECT_EQ(lib().err_name(uv::kENoEnt), "ENOENT");
  std::uint64_t a = lib().hrtime(), b = lib().hrtime();
  EXPECT_LE(a, b);
}

// The layouts declared in the binding's C text agree with the compiler's view of uv.h.
TEST_F(UvTest, DeclaredLayoutsMatchUvHeader) {
  const uv::Api &a = lib().api();
  EXPECT_EQ(a.buf.size(), sizeof(uv_buf_t));
  EXPECT_EQ(a.buf.offset("len"), offsetof(uv_buf_t, len));
  EXPECT_EQ(a.stat.size(), sizeof(uv_stat_t));
  EXPECT_EQ(a.stat.offset("st_size"), offsetof(uv_stat_t, st_size));
  EXPECT_EQ(a.stat.offset("st_mtim.tv_sec"), offsetof(uv_stat_t, st_mtim));
  EXPECT_EQ(a.stat.offset("st_birthtim.tv_nsec"),
            offsetof(uv_stat_t, st_birthtim) + offsetof(uv_timespec_t, tv_nsec));
  EXPECT_EQ(a.dirent.size(), sizeof(uv_dirent_t));
  EXPECT_EQ(a.dirent.offset("type"), offsetof(uv_dirent_t, type));
  EXPECT_EQ(a.sockaddr_in6.size(), sizeof(struct sockaddr_in6));
  EXPECT_EQ(a.handle_size.invoke<std::size_t>(uv::kTcpHandle), sizeof(uv_tcp_t));
  EXPECT_EQ(a.handle_size.invoke<std::size_t>(uv::kTimerHandle), sizeof(uv_timer_t));
  EXPECT_EQ(a.req_size.invoke<std::size_t>(uv::kFsReq), sizeof(uv_fs_t));
  EXPECT_EQ(a.loop_size.invoke<std::size_t>(), sizeof(uv_loop_t));
  EXPECT_EQ(uv::kSignalHandle, UV_SIGNAL);
  EXPECT_EQ(uv::kWorkReq, UV_WORK);
  EXPECT_EQ(uv::kEOF, UV_EOF);
  EXPECT_EQ(uv::kCreat, UV_FS_O_CREAT);
  EXPECT_EQ(uv::kTrunc, UV_FS_O_TRUNC);
}

TEST_F(UvTest, LibraryOverrideByPathAndEnvironment) {
  EXPECT_THROW(uv::Uv("/nonexistent/libuv.so.1"), jitffi::LibraryError);
  try {
    uv::Uv bad("/nonexistent/libuv.so.1");
  } catch (const jitffi::LibraryError &e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/libuv.so.1"), std::string::npos);
  }
  ::setenv("JITFFI_UV_PATH", "/nonexistent/env-libuv.so", 1);
  EXPECT_THROW(uv::Uv(), jitffi::LibraryError);
  ::setenv("JITFFI_UV_PATH", "libuv.so.1", 1);
  EXPECT_NO_THROW(uv::Uv());
  ::unsetenv("JITFFI_UV_PATH");
}

TEST_F(UvTest, OneShotTimerFiresOnceAfterItsTimeout) {
  uv::Loop loop(lib());
  uv::Timer t(loop);
  int fired = 0;
  std::uint64_t start = loop.now(), at = 0;
  t.start(30ms, 0ms, [&] {
    ++fired;
    at = loop.now();
  });
  EXPECT_TRUE(t.is_active());
  ASSERT_TRUE(loop.run_for(5s));
  EXPECT_EQ(fired, 1);
  EXPECT_GE(at - start, 30u);
  EXPECT_FALSE(t.is_active());
}

TEST_F(UvTest, RepeatingTimerRunsUntilStopped) {
  uv::Loop loop(lib());
  uv::Timer t(loop);
  std::vector<std::uint64_t> ticks;
  t.start(5ms, 10ms, [&] {
    ticks.push_back(loop.now());
    if (ticks.size() == 5) t.stop();
  });
  EXPECT_EQ(t.repeat(), 10ms);
  ASSERT_TRUE(loop.run_for(5s));
  ASSERT_EQ(ticks.size(), 5u);
  for (std::size_t i = 1; i < ticks.size(); ++i) EXPECT_GE(ticks[i] - ticks[i - 1], 9u);
}

TEST_F(UvTest, TimerRestartedFromItsOwnCallbackKeepsTheNewCallable) {
  uv::Loop loop(lib());
  uv::Timer t(loop);
  std::string log;
  t.start(1ms, 0ms, [&] {
    log += "a";
    t.start(1ms, 0ms, [&] { log += "b"; });
  });
  ASSERT_TRUE(loop.run_for(5s));
  EXPECT_EQ(log, "ab");
}

TEST_F(UvTest, CloseRunsItsCallbackOnceAndLaterUseThrows) {
  uv::Loop loop(lib());
  int closed = 0;
  uv::Timer t(loop);
  t.start(1h, 0ms, [] {});
  t.close([&] { ++closed; });
  EXPECT_FALSE(t.is_open());
  t.close([&] { ++closed; });  // already closing: nothing
  EXPECT_THROW(t.stop(), jitffi::bindings::BindingError);
  ASSERT_TRUE(loop.run_for(5s));  // the 1h timer no longer holds the loop
  EXPECT_EQ(closed, 1);
  EXPECT_FALSE(loop.alive());
}

TEST_F(UvTest, HandlesDestroyedOrLeftOpenAreClosedByTheLoop) {
  int closed = 0;
  {
    uv::Loop loop(lib());
    { uv::Timer gone(loop); }  // destroyed: closed without a callback, freed by the loop
    uv::Timer left(loop);
    left.start(1h, 0ms, [] {});
    uv::Timer moved(loop);
    uv::Timer target = std::move(moved);
    target.close([&] { ++closed; });
    EXPECT_FALSE(moved.is_open());
    // The loop goes first: it closes `left` and finishes every close.
  }
  EXPECT_EQ(closed, 1);
}

TEST_F(UvTest, ExceptionFromACallbackStopsTheLoopAndIsRethrown) {
  uv::Loop loop(lib());
  uv::Timer t(loop), later(loop);
  bool later_ran = false;
  t.start(1ms, 0ms, [] { throw std::runtime_error("from a timer"); });
  later.start(200ms, 0ms, [&] { later_ran = true; });
  try {
    loop.run();
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "from a timer");
  }
  EXPECT_FALSE(later_ran);
  ASSERT_TRUE(loop.run_for(5s));  // the loop can go on
  EXPECT_TRUE(later_ran);
}

namespace {

// An echo server and `clients` clients on one loop; each client sends `size` bytes in chunks and
// checks that exactly the same bytes come back.
void echo_round_trip(std::string_view host, int clients, std::size_t size) {
  uv::Loop loop(lib());
  uv::Tcp server(loop);
  server.bind(host, 0);
  std::vector<std::unique_ptr<uv::Tcp>> conns;
  std::size_t server_bytes = 0;
  int server_closed = 0;
  server.listen(128, [&](int status) {
    ASSERT_EQ(status, 0);
    auto c = std::make_unique<uv::Tcp>(server.accept());
    uv::Tcp *raw = c.get();
    conns.push_back(std::move(c));
    raw->read_start(
        [raw, &server_bytes](std::string_view data) {
          server_bytes += data.size();
          raw->write(std::string(data));
        },
        [raw, &server_closed](int status) {
          EXPECT_EQ(status, 0);
          raw->shutdown([raw, &server_closed](int) { raw->close([&] { ++server_closed; }); });
        });
  });
  const int port = server.local_port();
  ASSERT_GT(port, 0);

  struct Client {
    std::unique_ptr<uv::Tcp> tcp;
    std::string sent, received;
    bool ended = false;
  };
  std::vector<Client> cs(static_cast<std::size_t>(clients));
  int writes_done = 0;
  for (int i = 0; i < clients; ++i) {
    Client &c = cs[static_cast<std::size_t>(i)];
    c.sent = pattern(static_cast<std::size_t>(i), size);
    c.tcp = std::make_unique<uv::Tcp>(loop);
    c.tcp->connect(host, port, [&c, &writes_done, &server](int status) {
      ASSERT_EQ(status, 0);
      c.tcp->read_start([&c](std::string_view d) { c.received.append(d); },
                        [&c](int st) {
                          EXPECT_EQ(st, 0);
                          c.ended = true;
                          c.tcp->close();
                        });
      // Several writes of uneven sizes, then a half-close.
      for (std::size_t off = 0; off < c.sent.size();) {
        std::size_t n = std::min<std::size_t>(c.sent.size() - off, 7000 + off % 3001);
        c.tcp->write(c.sent.substr(off, n), [&writes_done](int st) {
          EXPECT_EQ(st, 0);
          ++writes_done;
        });
        off += n;
      }
      c.tcp->shutdown([](int st) { EXPECT_EQ(st, 0); });
      (void)server;
    });
  }
  int finished = 0;
  uv::Timer watch(loop);
  watch.start(5ms, 5ms, [&] {
    finished = 0;
    for (const Client &c : cs) finished += c.ended;
    if (finished == clients && server_closed == clients) {
      watch.close();
      server.close();
    }
  });
  ASSERT_TRUE(loop.run_for(30s)) << finished << " of " << clients << " clients finished";
  EXPECT_EQ(server_bytes, size * static_cast<std::size_t>(clients));
  EXPECT_GT(writes_done, clients);
  for (int i = 0; i < clients; ++i) {
    const Client &c = cs[static_cast<std::size_t>(i)];
    ASSERT_EQ(c.received.size(), c.sent.size()) << "client " << i;
    EXPECT_TRUE(c.received == c.sent) << "client " << i << " got different bytes";
  }
}

}  // namespace

TEST_F(UvTest, TcpEchoManyConcurrentClientsIPv4) {
  echo_round_trip("127.0.0.1", 64, 100 * 1000);
}

TEST_F(UvTest, TcpEchoIPv6Loopback) {
  {
    uv::Loop loop(lib());
    uv::Tcp probe(loop);
    try {
      probe.bind("::1", 0);
      probe.local_port();
    } catch (const uv::Error &e) {
      GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
    }
  }
  echo_round_trip("::1", 8, 50 * 1000);
}

TEST_F(UvTest, ConnectionRefusedOnAClosedPort) {
  uv::Loop loop(lib());
  int port = 0;
  {
    uv::Tcp probe(loop);  // a port that was free a moment ago and has no listener now
    probe.bind("127.0.0.1", 0);
    port = probe.local_port();
  }
  loop.run_for(1s);
  uv::Tcp c(loop);
  int status = 1;
  c.connect("127.0.0.1", port, [&](int st) {
    status = st;
    c.close();
  });
  ASSERT_TRUE(loop.run_for(10s));
  EXPECT_EQ(status, uv::kEConnRefused);
  EXPECT_EQ(lib().strerror(status), "connection refused");
}

TEST_F(UvTest, BadAddressIsALibuvErrorWithItsText) {
  uv::Loop loop(lib());
  uv::Tcp t(loop);
  try {
    t.bind("not-an-address", 80);
    FAIL() << "no exception";
  } catch (const uv::Error &e) {
    EXPECT_EQ(e.code(), uv::kEInval);
    EXPECT_EQ(e.name(), "EINVAL");
    EXPECT_NE(std::string(e.what()).find("not-an-address"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("invalid argument"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.bind("127.0.0.1", 70000), jitffi::bindings::BindingError);
}

TEST_F(UvTest, FilesystemSynchronous) {
  TempDir tmp;
  uv::Loop loop(lib());
  uv::Fs fs(loop);
  const std::string dir = (tmp.path / "d").string(), file = dir + "/a.txt";
  fs.mkdir(dir);
  int fd = fs.open(file, uv::kWrOnly | uv::kCreat | uv::kTrunc, 0600);
  EXPECT_EQ(fs.write(fd, "hello, "), 7u);
  EXPECT_EQ(fs.write(fd, "world"), 5u);
  EXPECT_EQ(fs.write(fd, "W", 7), 1u);  // positional write
  fs.close(fd);
  uv::Stat st = fs.stat(file);
  EXPECT_EQ(st.size, 12u);
  EXPECT_TRUE(st.is_file());
  EXPECT_EQ(st.mode & 0777, 0600u);
  EXPECT_TRUE(fs.stat(dir).is_dir());
  fd = fs.open(file, uv::kRdOnly);
  EXPECT_EQ(fs.read(fd, 100), "hello, World");
  EXPECT_EQ(fs.read(fd, 5, 2), "llo, ");
  EXPECT_EQ(fs.read(fd, 100), "");  // end of file
  fs.close(fd);
  fs.rename(file, dir + "/b.txt");
  fs.mkdir(dir + "/sub");
  auto entries = fs.scandir(dir);
  std::map<std::string, uv::DirentType> byname;
  for (auto &e : entries) byname[e.name] = e.type;
  EXPECT_EQ(byname.size(), 2u);
  EXPECT_EQ(byname["b.txt"], uv::DirentType::File);
  EXPECT_EQ(byname["sub"], uv::DirentType::Dir);
  try {
    fs.stat(file);
    FAIL() << "no exception";
  } catch (const uv::Error &e) {
    EXPECT_EQ(e.code(), uv::kENoEnt);
    EXPECT_EQ(e.message(), "no such file or directory");
    EXPECT_NE(std::string(e.what()).find("a.txt"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fs.close(12345), uv::Error);
  fs.unlink(dir + "/b.txt");
  fs.rmdir(dir + "/sub");
  fs.rmdir(dir);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST_F(UvTest, FilesystemAsynchronousChain) {
  TempDir tmp;
  uv::Loop loop(lib());
  uv::Fs fs(loop);
  const std::string file = (tmp.path / "async.bin").string();
  const std::string payload = pattern(3, 200000);
  std::string readback;
  std::vector<std::string> steps;
  std::int64_t missing = 0;
  fs.open(file, uv::kRdWr | uv::kCreat, 0644, [&](std::int64_t fd) {
    ASSERT_GE(fd, 0);
    steps.push_back("open");
    fs.write(static_cast<int>(fd), payload, 0, [&, fd](std::int64_t n) {
      EXPECT_EQ(n, static_cast<std::int64_t>(payload.size()));
      steps.push_back("write");
      fs.read(
          static_cast<int>(fd), payload.size() + 10, 0, [&, fd](std::int64_t n2, std::string d) {
            EXPECT_EQ(n2, static_cast<std::int64_t>(payload.size()));
            readback = std::move(d);
            steps.push_back("read");
            fs.close(static_cast<int>(fd), [&](std::int64_t r) {
              EXPECT_EQ(r, 0);
              steps.push_back("close");
              fs.stat(file, [&](std::int64_t r2, uv::Stat st) {
                EXPECT_EQ(r2, 0);
                EXPECT_EQ(st.size, payload.size());
                steps.push_back("stat");
                fs.scandir(tmp.path.string(), [&](std::int64_t r3, std::vector<uv::DirEntry> es) {
                  EXPECT_EQ(r3, 1);
                  ASSERT_EQ(es.size(), 1u);
                  EXPECT_EQ(es[0].name, "async.bin");
                  steps.push_back("scandir");
                  fs.unlink(file, [&](std::int64_t r4) {
                    EXPECT_EQ(r4, 0);
                    steps.push_back("unlink");
                    fs.unlink(file, [&](std::int64_t r5) { missing = r5; });
                  });
                });
              });
            });
          });
    });
  });
  ASSERT_TRUE(loop.run_for(20s));
  EXPECT_EQ(steps, (std::vector<std::string>{"open", "write", "read", "close", "stat", "scandir",
                                             "unlink"}));
  EXPECT_TRUE(readback == payload);
  EXPECT_EQ(missing, uv::kENoEnt);
}

TEST_F(UvTest, QueueWorkRunsOnThePoolAndAfterWorkOnTheLoop) {
  uv::Loop loop(lib());
  const auto loop_thread = std::this_thread::get_id();
  constexpr int kJobs = 16;
  std::vector<std::thread::id> worker(kJobs);
  std::vector<long> results(kJobs, 0);
  std::atomic<int> after_on_loop{0};
  for (int i = 0; i < kJobs; ++i) {
    loop.queue_work(
        [&, i] {
          worker[i] = std::this_thread::get_id();
          long s = 0;
          for (long k = 0; k <= 10000 * (i + 1); ++k) s += k;
          results[i] = s;
        },
        [&, i](int status) {
          EXPECT_EQ(status, 0);
          EXPECT_NE(results[i], 0);
          if (std::this_thread::get_id() == loop_thread) ++after_on_loop;
        });
  }
  ASSERT_TRUE(loop.run_for(30s));
  EXPECT_EQ(after_on_loop.load(), kJobs);
  for (int i = 0; i < kJobs; ++i) {
    long n = 10000L * (i + 1);
    EXPECT_EQ(results[i], n * (n + 1) / 2);
    EXPECT_NE(worker[i], loop_thread);
  }
}

TEST_F(UvTest, ExceptionFromPoolWorkIsRethrownOnTheLoop) {
  uv::Loop loop(lib());
  bool after_called = false;
  loop.queue_work([] { throw std::logic_error("in the pool"); }, [&](int) { after_called = true; });
  EXPECT_THROW(loop.run(), std::logic_error);
  EXPECT_FALSE(after_called);
}

TEST_F(UvTest, AsyncSendFromAnotherThread) {
  uv::Loop loop(lib());
  std::atomic<int> produced{0};
  int wakeups = 0, seen = 0;
  std::unique_ptr<uv::Async> wake;
  wake = std::make_unique<uv::Async>(loop, [&] {
    ++wakeups;
    seen = produced.load();
    if (seen == 100) wake->close();
  });
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) {
      produced.fetch_add(1);
      wake->send();
      if (i % 10 == 0) std::this_thread::sleep_for(1ms);
    }
  });
  bool finished = loop.run_for(20s);
  producer.join();
  ASSERT_TRUE(finished);
  EXPECT_EQ(seen, 100);
  EXPECT_GE(wakeups, 1);
  EXPECT_LE(wakeups, 100);  // sends coalesce
}

TEST_F(UvTest, SignalRaisedByTheTest) {
  uv::Loop loop(lib());
  uv::Signal sig(loop);
  std::vector<int> got;
  sig.start(SIGUSR1, [&](int signum) {
    got.push_back(signum);
    if (got.size() == 2) sig.close();
  });
  uv::Timer t(loop);
  int raised = 0;
  t.start(1ms, 5ms, [&] {
    if (raised < 2) {
      ::kill(::getpid(), SIGUSR1);
      ++raised;
    } else if (got.size() == 2) {
      t.close();
    }
  });
  ASSERT_TRUE(loop.run_for(10s));
  EXPECT_EQ(got, (std::vector<int>{SIGUSR1, SIGUSR1}));
}

TEST_F(UvTest, OneShotSignal) {
  uv::Loop loop(lib());
  uv::Signal sig(loop);
  int got = 0;
  sig.start_oneshot(SIGUSR2, [&](int signum) { got = signum; });
  ::kill(::getpid(), SIGUSR2);
  loop.run(uv::RunMode::NoWait);
  ASSERT_TRUE(loop.run_for(10s));  // a one-shot handler is inactive after the signal
  EXPECT_EQ(got, SIGUSR2);
  EXPECT_FALSE(sig.is_active());
}

// ---- declared functions the tests above do not reach: each through its wrapper, or raw
// (Uv::api()) where the C++ layer has none ----

// uv_timer_again restarts a repeating timer with its repeat as the new timeout.
TEST_F(UvTest, TimerAgainRestartsWithTheRepeatInterval) {
  uv::Loop loop(lib());
  uv::Timer t(loop);
  int fired = 0;
  const std::uint64_t start = loop.now();
  std::uint64_t at = 0;
  t.start(10s, 20ms, [&] {
    at = loop.now();
    if (++fired == 2) t.stop();
  });
  t.again();  // the 10 s timeout is replaced by the 20 ms repeat
  EXPECT_TRUE(t.is_active());
  ASSERT_TRUE(loop.run_for(5s));
  EXPECT_EQ(fired, 2);
  EXPECT_GE(at - start, 40u);
  EXPECT_LT(at - start, 5000u);
}

// uv_unref/uv_ref/uv_has_ref: an unreferenced timer does not keep uv_run going.
TEST_F(UvTest, UnreferencedHandleDoesNotKeepTheLoopAlive) {
  uv::Loop loop(lib());
  uv::Timer t(loop);
  int fired = 0;
  t.start(10s, 0ms, [&] { ++fired; });
  EXPECT_TRUE(t.has_ref());
  t.unref();
  EXPECT_FALSE(t.has_ref());
  EXPECT_FALSE(loop.run());  // returns at once: nothing referenced is active
  EXPECT_EQ(fired, 0);
  EXPECT_TRUE(t.is_active());
  t.ref();
  EXPECT_TRUE(t.has_ref());
  EXPECT_TRUE(loop.run(uv::RunMode::NoWait));  // the referenced timer keeps the loop alive
  t.close();
  loop.run();
}

// uv_update_time: the loop's cached clock moves only when updated.
TEST_F(UvTest, UpdateTimeRefreshesTheCachedClock) {
  uv::Loop loop(lib());
  const std::uint64_t before = loop.now();
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(loop.now(), before);
  loop.update_time();
  EXPECT_GE(loop.now() - before, 25u);
}

// uv_signal_stop: a stopped handler sees no more signals (SIGWINCH: ignored by default, so the
// signal raised after the stop is harmless).
TEST_F(UvTest, StoppedSignalHandlerSeesNoMoreSignals) {
  uv::Loop loop(lib());
  uv::Signal sig(loop);
  int got = 0;
  sig.start(SIGWINCH, [&](int) { ++got; });
  ::kill(::getpid(), SIGWINCH);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (got == 0 && std::chrono::steady_clock::now() < deadline) loop.run(uv::RunMode::Once);
  EXPECT_EQ(got, 1);
  sig.stop();
  EXPECT_FALSE(sig.is_active());
  ::kill(::getpid(), SIGWINCH);
  std::this_thread::sleep_for(20ms);
  loop.run(uv::RunMode::NoWait);
  EXPECT_EQ(got, 1);
}

// uv_try_write on a connected TCP stream: written at once, read whole by the peer.
TEST_F(UvTest, TryWriteOnAConnectedStream) {
  uv::Loop loop(lib());
  uv::Tcp server(loop);
  server.bind("127.0.0.1", 0);
  std::unique_ptr<uv::Tcp> conn;
  std::string received;
  server.listen(4, [&](int status) {
    ASSERT_EQ(status, 0);
    conn = std::make_unique<uv::Tcp>(server.accept());
    conn->read_start([&](std::string_view d) { received.append(d); }, [&](int) { conn->close(); });
  });
  uv::Tcp client(loop);
  std::size_t written = 0;
  client.connect("127.0.0.1", server.local_port(), [&](int status) {
    ASSERT_EQ(status, 0);
    written = client.try_write("sent by uv_try_write");
    client.shutdown([&](int) {
      client.close();
      server.close();
    });
  });
  ASSERT_TRUE(loop.run_for(10s));
  EXPECT_EQ(written, 20u);
  EXPECT_EQ(received, "sent by uv_try_write");
}

// uv_is_closing and uv_handle_get_data, raw: the data pointer is the handle's first member, as
// uv.h has it, and a handle is "closing" from uv_close until its close callback.
TEST_F(UvTest, IsClosingAndHandleDataRaw) {
  uv::Loop loop(lib());
  uv::Timer t(loop);
  const uv::Api &a = lib().api();
  void *h = t.raw();
  void *data = a.handle_get_data.invoke<void *>(static_cast<const void *>(h));
  EXPECT_NE(data, nullptr);  // the binding's dispatch record
  EXPECT_EQ(data, static_cast<uv_handle_t *>(h)->data);
  EXPECT_EQ(a.is_closing.invoke<int>(static_cast<const void *>(h)), 0);
  bool closed = false;
  t.close([&] { closed = true; });
  EXPECT_NE(a.is_closing.invoke<int>(static_cast<const void *>(h)), 0);  // closing, not yet freed
  loop.run();
  EXPECT_TRUE(closed);
}

// uv_cancel, raw: a work request still queued behind a busy pool is cancelled, and its after-work
// callback gets UV_ECANCELED without the work ever running.
TEST_F(UvTest, CancelAQueuedWorkRequest) {
  uv::Loop loop(lib());
  const uv::Api &a = lib().api();
  // Occupy every pool thread (UV_THREADPOOL_SIZE, default 4) until the request is cancelled.
  const char *env = std::getenv("UV_THREADPOOL_SIZE");
  const int threads = env && std::atoi(env) > 0 ? std::atoi(env) : 4;
  std::atomic<int> started{0};
  std::atomic<bool> release{false};
  for (int i = 0; i < threads; ++i)
    loop.queue_work([&] {
      ++started;
      while (!release.load()) std::this_thread::sleep_for(1ms);
    });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (started.load() < threads && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  ASSERT_EQ(started.load(), threads) << "the pool did not start every blocker";

  bool worked = false;
  int after_status = 1;
  const jitffi::Scope &scope = a.lib.scope();
  jitffi::Closure work(scope.signature("void w(uv_work_t *req)"),
                       [&](void *, void **) { worked = true; });
  jitffi::Closure after(
      scope.signature("void a(uv_work_t *req, int status)"),
      [&](void *, void **args) { after_status = jitffi::bindings::arg<int>(args, 1); });
  std::vector<std::max_align_t> req(
      a.req_size.invoke<std::size_t>(uv::kWorkReq) / sizeof(std::max_align_t) + 1);
  ASSERT_EQ(a.queue_work.invoke<int>(loop.raw(), static_cast<void *>(req.data()), work.code(),
                                     after.code()),
            0);
  EXPECT_EQ(a.cancel.invoke<int>(static_cast<void *>(req.data())), 0);
  release = true;
  ASSERT_TRUE(loop.run_for(10s));
  EXPECT_FALSE(worked);
  EXPECT_EQ(after_status, uv::kECanceled);
}
