// JITFFI_BACKEND and JITFFI_STATS are read once per process: each case runs this test binary
// again as a child with the variable set, and checks what the child printed.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "api_test_util.h"

using namespace jt;

namespace {

// Runs this binary's EnvChild.DISABLED_<child> (disabled: it is a helper) with `env` prepended;
// returns stdout and stderr.
std::string run_child(const std::string &env, const std::string &child = "Report") {
  return run_self(env, "EnvChild.DISABLED_" + child);
}

// The child: reports the default back end twice and the back end of three calls.
TEST(EnvChild, DISABLED_Report) {
  if (!std::getenv("JITFFI_TEST_CHILD")) GTEST_SKIP() << "only run as a child of EnvVars";
  const char *names[] = {"auto", "jit", "libffi"};
  std::printf("default=%s\n", names[int(default_backend())]);
  std::printf("default=%s\n", names[int(default_backend())]);
  auto f = fn("jt_add_i32", T(TypeKind::I32), {T(TypeKind::I32), T(TypeKind::I32)});
  for (int i = 0; i < 3; ++i) f.invoke<std::int32_t>(i, i);
  std::printf("kind=%s\n", std::string(backend_name(f.backend())).c_str());
  std::fflush(stdout);
}

// A child that loads jitffi but neither makes a call nor creates a closure.
TEST(EnvChild, DISABLED_Idle) {
  if (!std::getenv("JITFFI_TEST_CHILD")) GTEST_SKIP() << "only run as a child of EnvVars";
  std::printf("idle\n");
  std::fflush(stdout);
}

// The child: five calls through the raw value and slot entries and a typed call, with and without
// errno capture (each entry counts its own calls when JITFFI_STATS is on).
TEST(EnvChild, DISABLED_Entries) {
  if (!std::getenv("JITFFI_TEST_CHILD")) GTEST_SKIP() << "only run as a child of EnvVars";
  auto f = fn("jt_add_i32", T(TypeKind::I32), {T(TypeKind::I32), T(TypeKind::I32)});
  auto g = fn("jt_add_i32", T(TypeKind::I32), {T(TypeKind::I32), T(TypeKind::I32)},
              {BackendChoice::Auto, true});
  std::int32_t a = 1, b = 2;
  void *args[] = {&a, &b};
  const std::uint64_t slots[] = {3, 4};
  int sum = reinterpret_cast<int (*)(void *, void **)>(f.value_entry())(f.address(), args);
  sum +=
      reinterpret_cast<int (*)(void *, const std::uint64_t *)>(f.slots_entry())(f.address(), slots);
  sum += reinterpret_cast<int (*)(void *, void **)>(g.value_entry())(g.address(), args);
  sum +=
      reinterpret_cast<int (*)(void *, const std::uint64_t *)>(g.slots_entry())(g.address(), slots);
  sum += f.invoke<std::int32_t>(5, 6);
  std::printf("sum=%d kind=%s\n", sum, std::string(backend_name(f.backend())).c_str());
  std::fflush(stdout);
}

// The child again, with a forked process that makes two more calls and exits through exit().
TEST(EnvChild, DISABLED_Fork) {
  if (!std::getenv("JITFFI_TEST_CHILD")) GTEST_SKIP() << "only run as a child of EnvVars";
  auto f = fn("jt_add_i32", T(TypeKind::I32), {T(TypeKind::I32), T(TypeKind::I32)});
  for (int i = 0; i < 3; ++i) f.invoke<std::int32_t>(i, i);
  std::fflush(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    for (int i = 0; i < 2; ++i) f.invoke<std::int32_t>(i, i);
    std::exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(status, 0);
}

// A temporary file with `text` in it; removed on destruction.
struct TempFile {
  explicit TempFile(const std::string &text) {
    char p[] = "/tmp/jitffi_stats_test_XXXXXX";
    const int fd = mkstemp(p);
    if (fd >= 0) {
      if (write(fd, text.data(), text.size()) != ssize_t(text.size())) path.clear();
      close(fd);
      path = p;
    }
  }
  ~TempFile() {
    if (!path.empty()) std::remove(path.c_str());
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  std::string path;
};

// pid, program, calls through the JIT and through libffi of a JITFFI_STATS=<path> line.
struct StatsLine {
  long pid = -1;
  std::string program;
  long jit = -1, libffi = -1;
};
StatsLine parse_stats(const std::string &line) {
  static const std::regex re(
      "^jitffi stats \\[pid ([0-9]+) (.+)\\]: stubs compiled [0-9]+; calls: jit ([0-9]+), libffi "
      "([0-9]+); closures: jit [0-9]+, libffi [0-9]+; closure calls: jit [0-9]+, libffi [0-9]+$");
  std::smatch m;
  StatsLine s;
  if (std::regex_match(line, m, re)) s = {std::stol(m[1]), m[2], std::stol(m[3]), std::stol(m[4])};
  return s;
}

TEST(EnvVars, StatsAppendedToAFileByEachProcess) {
  TempFile file("an earlier line\n");
  ASSERT_FALSE(file.path.empty());
  // A value with a '/' is a file: nothing on stderr, one line per process appended to it.
  std::string out = run_child("JITFFI_BACKEND=libffi JITFFI_STATS=" + file.path);
  EXPECT_EQ(count(out, "jitffi stats"), 0) << out;
  EXPECT_EQ(count(out, "kind=libffi"), 1) << out;
  out = run_child("JITFFI_BACKEND=auto JITFFI_STATS=" + file.path);
  EXPECT_EQ(count(out, "jitffi stats"), 0) << out;
  const std::vector<std::string> lines = file.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "an earlier line");
  const StatsLine a = parse_stats(lines[1]), b = parse_stats(lines[2]);
  EXPECT_GT(a.pid, 0) << lines[1];
  EXPECT_GT(b.pid, 0) << lines[2];
  EXPECT_NE(a.pid, b.pid);
  EXPECT_NE(a.pid, long(getpid()));
  EXPECT_EQ(a.program, "jitffi_test_api");
  EXPECT_EQ(a.jit, 0);
  EXPECT_EQ(a.libffi, 3);
  EXPECT_EQ(b.jit + b.libffi, 3);  // the JIT where the host has one
}

// JITFFI_STATS counts calls through the value and slot entries on both back ends.
TEST(EnvVars, StatsCountEntryCalls) {
  TempFile file("");
  ASSERT_FALSE(file.path.empty());
  std::string out = run_child("JITFFI_BACKEND=libffi JITFFI_STATS=" + file.path, "Entries");
  EXPECT_EQ(count(out, "sum=31 kind=libffi"), 1) << out;
  out = run_child("JITFFI_BACKEND=auto JITFFI_STATS=" + file.path, "Entries");
  EXPECT_EQ(count(out, "sum=31"), 1) << out;
  const std::vector<std::string> lines = file.lines();
  ASSERT_EQ(lines.size(), 2u) << out;
  const StatsLine a = parse_stats(lines[0]), b = parse_stats(lines[1]);
  EXPECT_EQ(a.jit, 0) << lines[0];
  EXPECT_EQ(a.libffi, 5) << lines[0];
  EXPECT_EQ(b.jit + b.libffi, 5) << lines[1];
  if (detail::jit_backend()) {
    EXPECT_EQ(b.jit, 5) << lines[1];
  }
}

TEST(EnvVars, StatsOfAForkedChildCountItsOwnCalls) {
  TempFile file("");
  ASSERT_FALSE(file.path.empty());
  const std::string out = run_child("JITFFI_STATS=" + file.path, "Fork");
  const std::vector<std::string> lines = file.lines();
  ASSERT_EQ(lines.size(), 2u) << out;
  const StatsLine child = parse_stats(lines[0]), parent = parse_stats(lines[1]);
  EXPECT_EQ(child.jit + child.libffi, 2) << lines[0];    // the fork counts from zero
  EXPECT_EQ(parent.jit + parent.libffi, 3) << lines[1];  // the calls before the fork
  EXPECT_NE(child.pid, parent.pid);
}

TEST(EnvVars, StatsFileThatCannotBeWrittenGoesToStderr) {
  const std::string out =
      run_child("JITFFI_BACKEND=libffi JITFFI_STATS=/nonexistent-jitffi-dir/stats.txt");
  EXPECT_EQ(count(out, "cannot append the stats to JITFFI_STATS=/nonexistent-jitffi-dir/"), 1)
      << out;
  EXPECT_EQ(count(out, "jitffi stats [pid "), 1) << out;
  EXPECT_NE(out.find("libffi 3;"), std::string::npos) << out;
}

TEST(EnvVars, BadBackendWarnsOnceAndMeansAuto) {
  std::string out = run_child("JITFFI_BACKEND=bogus");
  EXPECT_EQ(count(out, "ignoring JITFFI_BACKEND=bogus"), 1) << out;
  EXPECT_EQ(count(out, "default=auto"), 2) << out;
}

TEST(EnvVars, BackendLibffi) {
  std::string out = run_child("JITFFI_BACKEND=libffi");
  EXPECT_EQ(count(out, "default=libffi"), 2) << out;
  EXPECT_EQ(count(out, "kind=libffi"), 1) << out;
  EXPECT_EQ(count(out, "ignoring"), 0) << out;
}

TEST(EnvVars, StatsPrintedAtExit) {
  std::string out = run_child("JITFFI_BACKEND=libffi JITFFI_STATS=1");
  EXPECT_EQ(count(out, "jitffi stats:"), 1) << out;
  EXPECT_NE(out.find("libffi 3;"), std::string::npos) << out;
  EXPECT_EQ(count(run_child("JITFFI_BACKEND=libffi"), "jitffi stats:"), 0);
  EXPECT_EQ(count(run_child("JITFFI_BACKEND=libffi JITFFI_STATS=0"), "jitffi stats"), 0);
}

TEST(EnvVars, StatsOnStderrOnlyFromAProcessThatDidSomething) {
  const std::string out = run_child("JITFFI_STATS=1", "Idle");
  EXPECT_EQ(count(out, "idle"), 1) << out;  // the child did run
  EXPECT_EQ(count(out, "jitffi stats"), 0) << out;
  // A file still gets the idle process's line: it records which processes loaded jitffi.
  TempFile file("");
  ASSERT_FALSE(file.path.empty());
  run_child("JITFFI_STATS=" + file.path, "Idle");
  const std::vector<std::string> lines = file.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(parse_stats(lines[0]).jit, 0) << lines[0];
  EXPECT_EQ(parse_stats(lines[0]).libffi, 0) << lines[0];
}

}  // namespace
