// Issue 14.3 and 14.8: how JIT code is mapped, and what happens under the kernel's own W^X rule.
//  - Default: dual mapping, a shared RX view of code beside a writable view elsewhere.
//  - JITFFI_NO_DUAL_MAP=1: no writable view of code at all; each block is written while RW and
//    made RX with mprotect (private pages), never writable again.
//  - PR_SET_MDWE (memory-deny-write-execute, Linux 6.3+): no mapping may gain PROT_EXEC after
//    creation and none may be W+X. The dual mapping maps its RX view executable from the start,
//    so the JIT keeps working; with JITFFI_NO_DUAL_MAP the mprotect flip is refused and Auto
//    serves Functions from libffi, closures fail with one clear error.
// Each mode is a child process (this binary, one DISABLED_ case) because neither the environment
// variable (read once) nor MDWE (cannot be lifted) can be undone.
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "api_test_util.h"

using namespace jt;

namespace {

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

// The /proc/self/maps line of the mapping holding `p` ("" when none does).
std::string mapping_of(const void *p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi) return line;
  }
  return "";
}

// The permissions field ("r-xp") of that line.
std::string perms_of(const void *p) {
  std::istringstream in(mapping_of(p));
  std::string range, perms;
  in >> range >> perms;
  return perms;
}

// Lines of /proc/self/maps that are writable and executable at once.
std::string wx_mappings() {
  std::ifstream maps("/proc/self/maps");
  std::string line, out;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    if (perms.size() >= 3 && perms[1] == 'w' && perms[2] == 'x') out += line + "\n";
  }
  return out;
}

bool under_emulator() {
  return std::getenv("JITFFI_EMULATOR") != nullptr;
}

std::string run_child(const std::string &env, const char *which) {
  return run_self(env + " JITFFI_DEBUG=1", std::string("WxModes.DISABLED_") + which);
}

bool in_child() {
  return std::getenv("JITFFI_TEST_CHILD") != nullptr;
}

void add_handler(void *ret, void **args, void *) {
  const std::int32_t a = *static_cast<std::int32_t *>(args[0]);
  const std::int32_t b = *static_cast<std::int32_t *>(args[1]);
  *static_cast<std::int64_t *>(ret) = a + b;  // int results are widened to the ffi_arg slot
}

// Calls through Auto and through a closure; prints what served them and how the code is mapped.
void exercise(bool expect_jit) {
  for (int round = 0; round < 3; ++round) {
    auto add = fn("jt_add_i32", T(TypeKind::I32), {T(TypeKind::I32), T(TypeKind::I32)});
    EXPECT_EQ(add.invoke<std::int32_t>(40, round), 40 + round);
    EXPECT_EQ(add.backend(), expect_jit ? BackendKind::Jit : BackendKind::Libffi);
    auto sum = fn("jt_f64", T(TypeKind::F64), {T(TypeKind::F64), T(TypeKind::F64)});
    EXPECT_EQ(sum.invoke<double>(1.5, 2.0), 3.25);
  }
  if (!expect_jit) return;
  for (int round = 0; round < 3; ++round) {
    Closure c(Signature::parse("int(int,int)"), &add_handler, nullptr);
    ASSERT_EQ(c.backend(), BackendKind::Jit);
    auto f = c.code<int (*)(int, int)>();
    EXPECT_EQ(f(round, 2), round + 2);
    std::printf("closure code mapped %s\n", perms_of(c.code()).c_str());
  }
  EXPECT_EQ(wx_mappings(), "") << "a mapping is writable and executable";
}

bool set_mdwe() {
  return prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L) == 0;
}

TEST(WxModes, DISABLED_NoDualMap) {
  if (!in_child()) GTEST_SKIP() << "only run as a child of WxModes";
  testlib();
  exercise(true);
  std::printf("child done\n");
}

TEST(WxModes, DISABLED_Mdwe) {
  if (!in_child()) GTEST_SKIP() << "only run as a child of WxModes";
  testlib();  // loaded before: ld.so maps code executable from the start, which MDWE allows
  if (!set_mdwe()) {
    std::printf("MDWE unavailable: %s\n", std::strerror(errno));
    return;
  }
  const bool no_dual = std::getenv("JITFFI_NO_DUAL_MAP") != nullptr;
  exercise(!no_dual);
  if (no_dual) {
    try {
      Closure c(Signature::parse("int(int,int)"), &add_handler, nullptr);
      ADD_FAILURE() << "a closure was made although code pages cannot become executable";
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find("refuses executable memory"), std::string::npos)
          << e.what();
    }
  }
  std::printf("child done\n");
}

// Counterpart of the next test: by default a closure's code is a shared (dual-mapped) view.
TEST(WxModes, DISABLED_Default) {
  if (!in_child()) GTEST_SKIP() << "only run as a child of WxModes";
  testlib();
  exercise(true);
  std::printf("child done\n");
}

// A child process of its own: the check that no mapping is writable and executable covers the
// whole process, and other tests of this binary legitimately make libffi closures, whose pages
// libffi maps rwx (docs/security.md).
TEST(WxModes, DefaultMapsCodeAsASharedReadExecuteView) {
  if (!detail::jit_backend()) GTEST_SKIP() << "no JIT on this host";
  {
    Closure c(Signature::parse("int(int,int)"), &add_handler, nullptr);
    if (c.backend() != BackendKind::Jit) GTEST_SKIP() << "closures are not served by the JIT here";
    if (perms_of(c.code()) == "r-xp")
      GTEST_SKIP() << "this host refuses dual mapping (code is mprotect-flipped)";
  }
  const std::string out = run_child("", "Default");
  EXPECT_EQ(count(out, "child done"), 1) << out;
  EXPECT_EQ(count(out, "closure code mapped r-xs"), 3) << out;
  EXPECT_EQ(count(out, "[  PASSED  ] 1 test"), 1) << out;
  EXPECT_NE(out.find("status=0"), std::string::npos) << out;
}

TEST(WxModes, NoDualMapLeavesNoWritableViewOfCode) {
  if (!detail::jit_backend()) GTEST_SKIP() << "no JIT on this host";
  const std::string out = run_child("JITFFI_NO_DUAL_MAP=1", "NoDualMap");
  EXPECT_EQ(count(out, "child done"), 1) << out;
  EXPECT_EQ(count(out, "closure code mapped r-xp"), 3) << out;  // private pages, flipped RW->RX
  EXPECT_EQ(count(out, "[  PASSED  ] 1 test"), 1) << out;
  EXPECT_NE(out.find("status=0"), std::string::npos) << out;
}

// qemu-user passes prctl through to the host kernel, where MDWE would bind qemu's own code
// generator: these two run natively only.
TEST(WxModes, UnderMdweTheJitRunsThroughItsDualMapping) {
  if (!detail::jit_backend()) GTEST_SKIP() << "no JIT on this host";
  if (under_emulator()) GTEST_SKIP() << "MDWE would apply to qemu-user itself";
  const std::string out = run_child("", "Mdwe");
  if (out.find("MDWE unavailable") != std::string::npos)
    GTEST_SKIP() << "the kernel has no PR_SET_MDWE (Linux 6.3+): " << out;
  EXPECT_EQ(count(out, "child done"), 1) << out;
  EXPECT_EQ(count(out, "closure code mapped r-xs"), 3) << out;
  EXPECT_EQ(count(out, "executable memory is refused"), 0) << out;
  EXPECT_EQ(count(out, "[  PASSED  ] 1 test"), 1) << out;
  EXPECT_NE(out.find("status=0"), std::string::npos) << out;
}

TEST(WxModes, UnderMdweWithoutDualMappingAutoFallsBackToLibffi) {
  if (!detail::jit_backend()) GTEST_SKIP() << "no JIT on this host";
  if (under_emulator()) GTEST_SKIP() << "MDWE would apply to qemu-user itself";
  const std::string out = run_child("JITFFI_NO_DUAL_MAP=1", "Mdwe");
  if (out.find("MDWE unavailable") != std::string::npos)
    GTEST_SKIP() << "the kernel has no PR_SET_MDWE (Linux 6.3+): " << out;
  EXPECT_EQ(count(out, "child done"), 1) << out;
  EXPECT_EQ(count(out, "executable memory is refused"), 1) << out;  // said once (JITFFI_DEBUG)
  EXPECT_EQ(count(out, "[  PASSED  ] 1 test"), 1) << out;
  EXPECT_NE(out.find("status=0"), std::string::npos) << out;
}

}  // namespace
