// Shared by the network binding tests: every test checks that the closures it made are gone.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "jitffi/function.h"

namespace net_test {

// A fixture that fails the test when jitffi::Closure::live_count() does not come back to its
// value at the start (a closure leaked by the binding or by the test).
class ClosureLeakCheck : public ::testing::Test {
 protected:
  void SetUp() override { live_at_start_ = jitffi::Closure::live_count(); }
  void TearDown() override {
    EXPECT_EQ(jitffi::Closure::live_count(), live_at_start_) << "closures leaked";
  }

 private:
  std::size_t live_at_start_ = 0;
};

// Deterministic bytes for stream i: every byte depends on the stream and the position.
inline std::string pattern(std::size_t stream, std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>((i * 131 + stream * 7 + (i >> 8)) & 0xff);
  return s;
}

}  // namespace net_test
