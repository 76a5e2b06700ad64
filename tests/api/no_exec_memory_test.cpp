// Issue 14.3: where the process may not make memory executable (a seccomp filter, SELinux
// deny_execmem), Auto serves every Function from libffi and a Closure fails with one clear error.
// The restriction cannot be lifted, so a child process (this binary, one helper case) takes it.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "api_test_util.h"
#include "jitffi.h"

using namespace jt;

namespace {

#if defined(__x86_64__)
// EPERM for any mmap, mprotect or pkey_mprotect asking for PROT_EXEC (the repro's seccomp-noexec).
bool forbid_exec() {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pkey_mprotect, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_EXEC),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_EXEC, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}
#endif

std::string run_child() {
  return run_self("JITFFI_DEBUG=1", "NoExecMemory.DISABLED_Child");
}

// The child: the test library is loaded before the filter (loading code needs PROT_EXEC too).
TEST(NoExecMemory, DISABLED_Child) {
  if (!std::getenv("JITFFI_TEST_CHILD")) GTEST_SKIP() << "only run as a child of NoExecMemory";
#if defined(__x86_64__)
  testlib();
  ASSERT_TRUE(forbid_exec()) << "seccomp filter not installed: " << std::strerror(errno);
  void *probe = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_EQ(probe, MAP_FAILED) << "the filter lets PROT_EXEC through";
  for (int round = 0; round < 3; ++round) {
    auto add = fn("jt_add_i32", T(TypeKind::I32), {T(TypeKind::I32), T(TypeKind::I32)});
    EXPECT_EQ(add.invoke<std::int32_t>(40, round), 40 + round);
    EXPECT_EQ(add.backend(), BackendKind::Libffi);
    auto sum = fn("jt_f64", T(TypeKind::F64), {T(TypeKind::F64), T(TypeKind::F64)});
    EXPECT_EQ(sum.invoke<double>(1.5, 2.0), 3.25);
    EXPECT_EQ(sum.backend(), BackendKind::Libffi);
  }
  try {
    Closure c(
        Signature::parse("int(int)"),
        [](void *ret, void **, void *) { *static_cast<std::int64_t *>(ret) = 0; }, nullptr);
    ADD_FAILURE() << "a closure was made without executable memory";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("refuses executable memory"), std::string::npos)
        << e.what();
  }
  // Asking for the JIT explicitly is refused with the reason, not a failed mprotect.
  try {
    CallOptions jit_only;
    jit_only.backend = BackendChoice::Jit;
    auto add = fn("jt_add_i32", T(TypeKind::I32), {T(TypeKind::I32), T(TypeKind::I32)}, jit_only);
    ADD_FAILURE() << "the JIT back end served a call without executable memory";
  } catch (const UnsupportedError &e) {
    EXPECT_NE(std::string(e.what()).find("refuses executable memory"), std::string::npos)
        << e.what();
  }
  // The C API reports the same: libffi serves its calls, a closure fails with the reason.
  jitffi_lib *lib = nullptr;
  ASSERT_EQ(jitffi_lib_open(JITFFI_TESTLIB, &lib), JITFFI_OK) << jitffi_last_error();
  jitffi_fn *add = nullptr;
  ASSERT_EQ(jitffi_lib_function(lib, "int jt_add_i32(int, int)", nullptr, &add), JITFFI_OK)
      << jitffi_last_error();
  EXPECT_STREQ(jitffi_fn_backend(add), "libffi");
  std::int32_t a = 20, b = 22;
  void *args[] = {&a, &b};
  std::int64_t r = 0;
  EXPECT_EQ(jitffi_fn_call(add, &r, args), JITFFI_OK) << jitffi_last_error();
  EXPECT_EQ(static_cast<std::int32_t>(r), 42);
  jitffi_fn_free(add);
  jitffi_sig *sig = nullptr;
  ASSERT_EQ(jitffi_sig_parse("int(int)", &sig), JITFFI_OK) << jitffi_last_error();
  jitffi_closure *c = nullptr;
  EXPECT_NE(jitffi_closure_create(
                sig, [](void *, void **, void *) {}, nullptr, &c),
            JITFFI_OK);
  EXPECT_EQ(c, nullptr);
  EXPECT_NE(std::string(jitffi_last_error()).find("refuses executable memory"), std::string::npos)
      << jitffi_last_error();
  jitffi_sig_free(sig);
  jitffi_lib_close(lib);
  std::printf("child done\n");
  std::fflush(stdout);
#else
  GTEST_SKIP() << "the seccomp filter of this test is written for x86-64";
#endif
}

TEST(NoExecMemory, AutoServesFunctionsFromLibffiAndClosuresFailClearly) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the seccomp filter of this test is written for x86-64";
#endif
  const std::string out = run_child();
  EXPECT_EQ(count(out, "child done"), 1) << out;
  EXPECT_EQ(count(out, "[  PASSED  ] 1 test"), 1) << out;
  EXPECT_EQ(count(out, "executable memory is refused"), 1) << out;
  EXPECT_NE(out.find("status=0"), std::string::npos) << out;
}

}  // namespace
