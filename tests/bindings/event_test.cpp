// libevent binding against the real libevent-2.1.so.7: timers, socket-pair I/O events, signals,
// loop control, evbuffers, the base-creation error and a throwing callback.
#include "jitffi/bindings/event.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include "tests/bindings/test_util.h"

namespace ev = jitffi::bindings::event;
using namespace std::chrono_literals;

namespace {

class Event : public jitffi::bindings::test::BindingTest {
 protected:
  void SetUp() override {
    BindingTest::SetUp();
    try {
      lib_.emplace();
    } catch (const jitffi::Error &e) {
      GTEST_SKIP() << "libevent-2.1.so.7 not available (scripts/deps.sh installs libevent-dev): "
                   << e.what();
    }
  }
  std::optional<ev::Event> lib_;
};

}  // namespace

TEST_F(Event, VersionAndBackend) {
  EXPECT_EQ(lib_->version().rfind("2.1", 0), 0u) << lib_->version();
  EXPECT_EQ(lib_->api().base_new.backend(), jitffi::bindings::test::expected_backend());
  ev::Base base(*lib_);
  EXPECT_FALSE(base.method().empty());
  // No events: dispatch returns 1 at once.
  EXPECT_EQ(base.dispatch(), 1);
}

TEST_F(Event, OneShotAndPersistentTimers) {
  ev::Base base(*lib_);
  int once = 0, ticks = 0;
  ev::Handler one(base, -1, 0, [&](int fd, short what) {
    EXPECT_EQ(fd, -1);
    EXPECT_EQ(what, ev::kTimeout);
    ++once;
  });
  ev::Handler tick(base, -1, ev::kPersist, [&](int, short what) {
    EXPECT_EQ(what, ev::kTimeout);
    if (++ticks == 5) base.loopbreak();
  });
  one.add(2ms);
  tick.add(3ms);
  EXPECT_TRUE(tick.pending(ev::kTimeout));
  EXPECT_EQ(base.dispatch(), 0);
  EXPECT_EQ(once, 1);
  EXPECT_EQ(ticks, 5);
  EXPECT_TRUE(base.got_break());
  EXPECT_FALSE(one.pending(ev::kTimeout));
  EXPECT_TRUE(tick.pending(ev::kTimeout));  // persistent: still scheduled
  tick.del();
  EXPECT_FALSE(tick.pending(ev::kTimeout));
}

TEST_F(Event, ReadEventOnASocketPair) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ev::Base base(*lib_);
  std::string got;
  ev::Handler reader(base, fds[0], ev::kRead | ev::kPersist, [&](int fd, short what) {
    EXPECT_EQ(fd, fds[0]);
    EXPECT_TRUE(what & ev::kRead);
    char buf[64];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    if (n <= 0 || got.size() >= 10) base.loopexit();
  });
  reader.add();
  ASSERT_EQ(::write(fds[1], "hello", 5), 5);
  EXPECT_EQ(base.loop(ev::kLoopOnce), 0);  // one round: the first write
  EXPECT_EQ(got, "hello");
  ASSERT_EQ(::write(fds[1], "world", 5), 5);
  base.loopexit(2s);  // a bound, in case the read never comes
  EXPECT_EQ(base.dispatch(), 0);
  EXPECT_EQ(got, "helloworld");
  EXPECT_TRUE(base.got_exit());
  // Nonblocking with nothing to read: returns at once.
  EXPECT_EQ(base.loop(ev::kLoopNonblock), 0);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(Event, SignalEvent) {
  ev::Base base(*lib_);
  int seen = 0;
  ev::Handler sig(base, SIGUSR1, ev::kSignal | ev::kPersist, [&](int fd, short what) {
    EXPECT_EQ(fd, SIGUSR1);
    EXPECT_TRUE(what & ev::kSignal);
    ++seen;
    base.loopbreak();
  });
  sig.add();
  ev::Handler kick(base, -1, 0, [&](int, short) { ::raise(SIGUSR1); });
  kick.add(1ms);
  ev::Handler guard(base, -1, 0, [&](int, short) { base.loopbreak(); });
  guard.add(5s);
  base.dispatch();
  EXPECT_EQ(seen, 1);
  sig.del();
}

TEST_F(Event, ImpossibleFeaturesFailBaseCreation) {
  // No Linux method offers edge triggering (epoll) together with plain files (poll/select).
  try {
    ev::Base base(*lib_, ev::kFeatureEt | ev::kFeatureFds);
    ADD_FAILURE() << "a base with ET|FDS was made: " << base.method();
  } catch (const ev::EventError &e) {
    EXPECT_NE(std::string(e.what()).find("0x5"), std::string::npos) << e.what();
  }
  ev::Base ok(*lib_, ev::kFeatureEt);
  EXPECT_EQ(ok.method(), "epoll");
}

TEST_F(Event, ThrowingCallbackStopsTheLoopAndIsRethrown) {
  ev::Base base(*lib_);
  int after = 0;
  ev::Handler bad(base, -1, 0, [&](int, short) { throw std::runtime_error("from the callback"); });
  ev::Handler later(base, -1, 0, [&](int, short) { ++after; });
  bad.add(1ms);
  later.add(500ms);
  try {
    base.dispatch();
    ADD_FAILURE() << "dispatch returned";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "from the callback");
  }
  EXPECT_TRUE(base.got_break());
  EXPECT_EQ(after, 0);
  // The base stays usable; the error was consumed.
  later.del();
  EXPECT_EQ(base.dispatch(), 1);
}

TEST_F(Event, EvbufferAddDrainSearchPrintf) {
  ev::Buffer buf(*lib_);
  EXPECT_EQ(buf.size(), 0u);
  buf.add("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(buf.size(), 27u);
  EXPECT_EQ(buf.search("\r\n\r\n"), std::optional<std::size_t>(23));
  EXPECT_EQ(buf.search("Host"), std::optional<std::size_t>(16));
  EXPECT_EQ(buf.search("absent"), std::nullopt);
  buf.drain(16);
  EXPECT_EQ(buf.contents(), "Host: x\r\n\r\n");
  EXPECT_EQ(buf.search("Host"), std::optional<std::size_t>(0));
  buf.drain(buf.size());
  int n = buf.printf("%d|%s|%.3f|%ld|%x", {42, "str", 2.5, 1234567890123L, 255u});
  char want[128];
  int wn =
      std::snprintf(want, sizeof want, "%d|%s|%.3f|%ld|%x", 42, "str", 2.5, 1234567890123L, 255u);
  EXPECT_EQ(n, wn);
  EXPECT_EQ(buf.contents(), std::string(want));
  // Large content spans several chains; search still finds across them.
  ev::Buffer big(*lib_);
  std::string chunk(4000, 'a');
  for (int i = 0; i < 10; ++i) big.add(chunk);
  big.add("needle");
  EXPECT_EQ(big.search("needle"), std::optional<std::size_t>(40000));
  EXPECT_EQ(big.size(), 40006u);
}

// An echo server (evconnlistener + bufferevents) and 32 clients (bufferevents connecting), all in
// one loop on an ephemeral loopback port; every byte each client gets back is checked.
TEST_F(Event, BuffereventEchoServerWithManyClients) {
  ev::Base base(*lib_);
  std::vector<std::unique_ptr<ev::BufferEvent>> served;
  ev::Listener listener(base, 0, [&](int fd) {
    served.push_back(std::make_unique<ev::BufferEvent>(
        base, fd, [](ev::BufferEvent &b) { b.echo(); },
        [](ev::BufferEvent &, short what) { EXPECT_FALSE(what & ev::kBevEventError); }));
    served.back()->enable(ev::kRead | ev::kWrite);
  });
  std::uint16_t port = listener.port();
  ASSERT_NE(port, 0);

  constexpr int kClients = 32;
  std::vector<std::string> sent(kClients), got(kClients);
  std::vector<std::unique_ptr<ev::BufferEvent>> clients;
  int done = 0;
  for (int i = 0; i < kClients; ++i) {
    for (int k = 0; k < 200 + i * 37; ++k) sent[i] += static_cast<char>('A' + (i * 7 + k) % 61);
    clients.push_back(std::make_unique<ev::BufferEvent>(
        base, -1,
        [&, i](ev::BufferEvent &b) {
          got[i] += b.read_all();
          if (got[i].size() >= sent[i].size() && ++done == kClients) base.loopexit();
        },
        [&, i](ev::BufferEvent &b, short what) {
          ASSERT_FALSE(what & ev::kBevEventError) << "client " << i;
          if (what & ev::kBevEventConnected) b.write(sent[i]);
        }));
    clients.back()->connect_loopback(port);
    clients.back()->enable(ev::kRead | ev::kWrite);
  }
  base.loopexit(10s);  // the bound
  base.dispatch();
  EXPECT_EQ(done, kClients);
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(got[i], sent[i]) << "client " << i;
  EXPECT_EQ(static_cast<int>(served.size()), kClients);
}

TEST_F(Event, ListenerOnAPortInUseIsAnError) {
  ev::Base base(*lib_);
  ev::Listener first(base, 0, [](int fd) { ::close(fd); });
  // REUSEABLE is SO_REUSEADDR, which does not allow two listeners on one port.
  try {
    ev::Listener second(base, first.port(), [](int fd) { ::close(fd); });
    ADD_FAILURE() << "a second listener bound port " << first.port();
  } catch (const ev::EventError &e) {
    EXPECT_NE(std::string(e.what()).find("Address already in use"), std::string::npos) << e.what();
  }
}
