// Declared libc functions that the C++ layer does not wrap (or wraps in a path the other tests do
// not take), called through the binding's raw Functions (Libc::api()) and checked against the
// same call made directly: each declaration's types must match the real function.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/socket.h>
#include <termios.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "jitffi/bindings/libc.h"
#include "tests/bindings/test_util.h"

namespace lc = jitffi::bindings::libc;
using namespace std::chrono_literals;

namespace {

class LibcDeclared : public jitffi::bindings::test::BindingTest {
 protected:
  lc::Libc c_;
};

}  // namespace

// cfsetispeed/cfsetospeed/cfgetospeed on the binding's termios, read back by the C library's own
// cfgetispeed/cfgetospeed on the same bytes, and an invalid speed rejected with EINVAL.
TEST_F(LibcDeclared, TerminalSpeedsThroughTheDeclaredTermios) {
  lc::Pty pty = lc::open_pty(c_);
  lc::Termios t = lc::tcgetattr(c_, pty.slave.get());
  const auto &a = c_.api();
  struct termios direct;
  // Linux keeps one speed in c_cflag for both directions: each setter is read back in turn.
  EXPECT_EQ(a.cfsetispeed.invoke<int>(t.data(), static_cast<unsigned>(B38400)), 0);
  std::memcpy(&direct, t.data(), sizeof direct);  // same size: DeclaredLayoutsMatchTheSystemHeaders
  EXPECT_EQ(::cfgetispeed(&direct), static_cast<speed_t>(B38400));
  EXPECT_EQ(a.cfsetospeed.invoke<int>(t.data(), static_cast<unsigned>(B9600)), 0);
  EXPECT_EQ(a.cfgetospeed.invoke<unsigned>(static_cast<const void *>(t.data())),
            static_cast<unsigned>(B9600));
  std::memcpy(&direct, t.data(), sizeof direct);
  EXPECT_EQ(::cfgetospeed(&direct), static_cast<speed_t>(B9600));

  // The terminal takes the new speed and reports it back.
  lc::tcsetattr(c_, pty.slave.get(), lc::kTcsaNow, t);
  lc::Termios back = lc::tcgetattr(c_, pty.slave.get());
  EXPECT_EQ(a.cfgetospeed.invoke<unsigned>(static_cast<const void *>(back.data())),
            static_cast<unsigned>(B9600));

  // Not a speed: errno EINVAL, captured by the binding's kErrno entry.
  EXPECT_EQ(a.cfsetospeed.invoke<int>(t.data(), 12345u), -1);
  EXPECT_EQ(jitffi::saved_errno(), EINVAL);
  EXPECT_EQ(a.cfsetispeed.invoke<int>(t.data(), 12345u), -1);
  EXPECT_EQ(jitffi::saved_errno(), EINVAL);
}

// malloc from the binding, written to and released by the binding's free (the two are resolved
// from the same libc, so they pair even where a sanitizer interposes the allocator).
TEST_F(LibcDeclared, MallocAndFree) {
  void *p = c_.api().malloc.invoke<void *>(std::size_t{4096});
  ASSERT_NE(p, nullptr);
  std::memset(p, 0xA5, 4096);
  EXPECT_EQ(static_cast<unsigned char *>(p)[4095], 0xA5);
  c_.free(p);
}

// pthread_equal on pthread_t values from the binding's pthread_self and from the direct call.
TEST_F(LibcDeclared, PthreadEqual) {
  const auto &eq = c_.api().pthread_equal;
  const std::uint64_t self = lc::pthread_self(c_);
  EXPECT_NE(eq.invoke<int>(self, static_cast<std::uint64_t>(::pthread_self())), 0);
  std::uint64_t other = 0;
  lc::Thread t(c_, [&] { other = lc::pthread_self(c_); });
  t.join();
  EXPECT_EQ(eq.invoke<int>(self, other), 0);
  EXPECT_NE(eq.invoke<int>(other, other), 0);
}

// recv(2) with flags: MSG_PEEK leaves the bytes for the next read, and a non-blocking recv on
// an empty socket fails with EAGAIN, captured as errno.
TEST_F(LibcDeclared, RecvWithFlags) {
  auto [a, b] = lc::socketpair(c_);
  a.send("peekaboo");
  char buf[16] = {};
  const auto &recv = c_.api().recv;
  std::this_thread::sleep_for(1ms);
  long n = recv.invoke<long>(b.get(), static_cast<void *>(buf), sizeof buf, MSG_PEEK);
  ASSERT_EQ(n, 8);
  EXPECT_EQ(std::string(buf, 8), "peekaboo");
  n = recv.invoke<long>(b.get(), static_cast<void *>(buf), std::size_t{4}, 0);
  ASSERT_EQ(n, 4);
  EXPECT_EQ(std::string(buf, 4), "peek");
  EXPECT_EQ(b.read_exactly(4, 2000ms), "aboo");
  n = recv.invoke<long>(b.get(), static_cast<void *>(buf), sizeof buf, MSG_DONTWAIT);
  EXPECT_EQ(n, -1);
  EXPECT_EQ(jitffi::saved_errno(), EAGAIN);
}

// CondVar::wait (pthread_cond_wait, no timeout): a producer thread's signal wakes it.
TEST_F(LibcDeclared, CondVarWaitWithoutTimeout) {
  lc::Mutex m(c_);
  lc::CondVar cv(c_);
  int value = 0;
  lc::Thread producer(c_, [&] {
    std::this_thread::sleep_for(20ms);
    m.lock();
    value = 42;
    cv.signal();
    m.unlock();
  });
  m.lock();
  while (value == 0) cv.wait(m);
  m.unlock();
  producer.join();
  EXPECT_EQ(value, 42);
}
