// Shared by the binding tests: a temporary directory per test, and the check that every closure a
// test made is gone when it ends.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "jitffi/function.h"

namespace jitffi::bindings::test {

// The back end the bindings' calls should run on in this process.
inline BackendKind expected_backend() {
  const char *env = std::getenv("JITFFI_BACKEND");
  if (env && std::strcmp(env, "libffi") == 0) return BackendKind::Libffi;
  return detail::jit_backend() ? BackendKind::Jit : BackendKind::Libffi;
}

class BindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    closures_ = Closure::live_count();
    std::string tmpl = (std::filesystem::temp_directory_path() / "jitffi-bind-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    EXPECT_EQ(Closure::live_count(), closures_) << "a closure outlived the test";
  }
  const std::string &dir() const { return dir_; }

 private:
  std::size_t closures_ = 0;
  std::string dir_;
};

}  // namespace jitffi::bindings::test
