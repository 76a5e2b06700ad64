// Helpers for the API tests: the test library, type shorthands, and the back ends to run on.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "jitffi/jitffi.hpp"

namespace jt {

using namespace jitffi;

inline Library &testlib() {
  static Library lib = Library::open(JITFFI_TESTLIB);
  return lib;
}

inline TypeRef T(TypeKind k) {
  return Type::scalar(k);
}
inline TypeRef P() {
  return Type::pointer();
}

// A function of the test library, declared with the C++ builder (independent of the parser).
inline Function fn(const char *name, TypeRef ret, std::vector<TypeRef> params,
                   CallOptions options = {}, Abi abi = host_abi()) {
  return testlib().function(Signature(abi, std::move(ret), std::move(params)).with_name(name),
                            options);
}

// Back ends every call test runs on: libffi always, and Auto (the JIT where it serves the
// signature, once there is a JIT).
inline std::vector<BackendChoice> backends() {
  std::vector<BackendChoice> v{BackendChoice::Libffi};
  if (detail::jit_backend()) v.push_back(BackendChoice::Auto);
  return v;
}

inline std::string choice_name(const testing::TestParamInfo<BackendChoice> &info) {
  return info.param == BackendChoice::Libffi ? "libffi" : "auto";
}

// Runs this test binary again with only the test `filter` (a DISABLED_ helper test: a child that
// sets up what cannot be undone), `env` prepended and JITFFI_TEST_CHILD=1. Returns its stdout
// and stderr followed by "\nstatus=N\n" (pclose's value).
inline std::string run_self(const std::string &env, const std::string &filter) {
  std::string self = "/proc/" + std::to_string(getpid()) + "/exe";
  if (const char *emu = std::getenv("JITFFI_EMULATOR")) {
    // Under qemu-user the shell would see qemu there; qemu shows us the binary it runs.
    char path[4096];
    const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0) self = std::string(emu) + " " + std::string(path, std::size_t(n));
  }
  const std::string cmd = env + " JITFFI_TEST_CHILD=1 " + self +
                          " --gtest_also_run_disabled_tests --gtest_filter=" + filter + " 2>&1";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p) return "popen failed";
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int st = pclose(p);
  return out + "\nstatus=" + std::to_string(st) + "\n";
}

// How many times `what` occurs in `s` (overlapping occurrences counted).
inline int count(const std::string &s, const std::string &what) {
  int n = 0;
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace jt
