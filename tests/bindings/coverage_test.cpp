// JITFFI_BINDING_COVERAGE (bindings/coverage.cpp), the measure behind ctest bindings.coverage:
// this test runs itself as a child with the variable set, makes known calls through the libc
// binding there (plain, variadic, errno-capturing, and one from a forked grandchild that ends
// with _Exit), and checks the lines the child appended at exit.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>

#include "jitffi/bindings/libc.h"

namespace lc = jitffi::bindings::libc;

namespace {

constexpr const char *kChildVar = "JITFFI_COVERAGE_TEST_CHILD";

// The child's calls: 3 x strlen, snprintf (variadic), strtol out of range (errno through the
// thunk), and abs only in a forked grandchild, which never runs atexit handlers.
int child_body() {
  lc::Libc c;
  int bad = 0;
  for (const char *s : {"a", "bb", "ccc"}) bad += c.strlen(s) != std::strlen(s);
  bad += c.format("%d-%s", 7, "x") != "7-x";
  auto big = c.strtol("99999999999999999999999");
  bad += big.value != LONG_MAX || big.error != ERANGE;
  const pid_t pid = ::fork();
  if (pid == 0) c.exit_now(c.abs(-5) == 5 ? 0 : 1);
  int status = 0;
  bad += ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  return bad;
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, std::size_t(n)) : std::string();
}

}  // namespace

TEST(BindingCoverage, CountsEveryCallOfEachDeclaredFunction) {
  if (std::getenv(kChildVar)) {
    ASSERT_EQ(child_body(), 0);
    return;
  }
  // Unset (the usual case), the binding calls the symbol itself: no thunk in between.
  if (!std::getenv("JITFFI_BINDING_COVERAGE")) {
    lc::Libc c;
    EXPECT_EQ(c.api().strlen.address(), c.api().lib.find("strlen"));
  }
  char path[] = "/tmp/jitffi-coverage-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  // Under qemu-user (a cross build's tests) the shell needs the emulator named.
  const char *emu = std::getenv("JITFFI_EMULATOR");
  const std::string cmd = std::string(kChildVar) + "=1 JITFFI_BINDING_COVERAGE=" + path + " " +
                          (emu ? std::string(emu) + " " : std::string()) + "'" + self_exe() +
                          "' --gtest_filter=BindingCoverage.* >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << cmd << ": status " << rc;

  std::map<std::string, std::string> calls;  // "binding function" -> count
  std::ifstream in(path);
  std::string binding, function, count;
  int lines = 0;
  while (std::getline(in, binding, '\t') && std::getline(in, function, '\t') &&
         std::getline(in, count)) {
    ++lines;
    EXPECT_TRUE(calls.emplace(binding + " " + function, count).second)
        << binding << " " << function << " written twice";
  }
  std::remove(path);
  EXPECT_GT(lines, 100);  // every declared libc function, called or not
  EXPECT_EQ(calls["libc strlen"], "3");
  EXPECT_EQ(calls["libc strtol"], "1");
  EXPECT_EQ(calls["libc abs"], "1");  // from the grandchild, through the shared counter
  ASSERT_EQ(calls.count("libc snprintf"), 1u);
  EXPECT_GE(std::stoi(calls["libc snprintf"]), 1);  // variadic, through the same thunk
  EXPECT_EQ(calls["libc qsort"], "0");              // declared, not called
  EXPECT_EQ(calls.count("libc fork"), 0u);          // not declared: no line
}
