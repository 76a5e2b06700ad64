// JITFFI_BACKEND and JITFFI_STATS are read once per process: each case runs this test binary
// again as a child with the variable set, and checks what the child printed.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "api_test_util.h"

using namespace jt;

namespace {

// Runs this binary's EnvChild.DISABLED_Report (disabled: it is a helper) with `env` prepended;
// returns stdout and stderr.
std::string run_child(const std::string &env) {
  std::string self = "/proc/" + std::to_string(getpid()) + "/exe";
  if (const char *emu = std::getenv("JITFFI_EMULATOR")) {
    // Under qemu-user the shell would see qemu there; qemu shows us the binary it runs.
    char path[4096];
    const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0) self = std::string(emu) + " " + std::string(path, std::size_t(n));
  }
  std::string cmd = env + " JITFFI_TEST_CHILD=1 " + self +
                    " --gtest_also_run_disabled_tests --gtest_filter=EnvChild.DISABLED_Report 2>&1";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p) return "popen failed";
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return out;
}

int count(const std::string &s, const std::string &what) {
  int n = 0;
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
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
}

}  // namespace
