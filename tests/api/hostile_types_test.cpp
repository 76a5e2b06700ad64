// Types a host may be handed by someone it does not trust (issue 14 items 1 and 6): preparing a
// call costs no more than the text that described it, the libffi back end refuses what it would
// have to expand element by element, and error text survives an embedded NUL.
#include <chrono>
#include <cstring>
#include <string>

#include "api_test_util.h"
#include "jitffi.h"

using namespace jt;

namespace {

// Near the libffi back end's limit (1 MiB by value): a struct it passes, and one byte more.
struct AtLimit {
  unsigned char bytes[1 << 20];
};

extern "C" __attribute__((noinline)) unsigned hostile_sum_at_limit(AtLimit s) {
  unsigned sum = 0;
  for (unsigned char b : s.bytes) sum += b;
  return sum;
}

extern "C" __attribute__((noinline)) void hostile_nothing() {}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The message of the UnsupportedError that making a Function of `sig` throws.
std::string refusal(const Signature &sig, BackendChoice backend) {
  try {
    Function(sig, reinterpret_cast<void *>(&hostile_nothing), {backend});
  } catch (const UnsupportedError &e) {
    return e.what();
  }
  ADD_FAILURE() << "no UnsupportedError for " << sig.canonical();
  return {};
}

// `void(struct { int a[1<<30]; })` took 5.8 s in the libffi back end's checks (a walk over every
// element), the 2^40-byte maximum about an hour: now both are refused at once, naming the size.
TEST(HostileTypes, LibffiRefusesHugeAggregatesAtOnce) {
  const auto t0 = std::chrono::steady_clock::now();
  for (BackendChoice b : backends()) {
    const std::string msg = refusal(Signature::parse("void(struct { int a[1<<30]; })"), b);
    EXPECT_NE(msg.find("at most 1048576 bytes (1 MiB) by value; {i32[1073741824]} has "
                       "4294967296 bytes"),
              std::string::npos)
        << msg;
    const std::string big = refusal(Signature::parse("{u8[1099511627776]}(i32)"), b);
    EXPECT_NE(big.find("1099511627776 bytes"), std::string::npos) << big;
  }
  EXPECT_LT(seconds_since(t0), 5.0);
}

// libffi's Win64 ABI on an x86-64 host: the same bound (the old check walked 2^40 leaves).
TEST(HostileTypes, LibffiWin64RefusesHugeAggregatesAtOnce) {
#if !defined(__x86_64__) || defined(_WIN32)
  GTEST_SKIP() << "libffi's FFI_WIN64 is an x86-64 ABI; this host is " << abi_name(host_abi());
#endif
  const auto t0 = std::chrono::steady_clock::now();
  const std::string msg =
      refusal(Signature::parse("win64:void({u8[1099511627776]})"), BackendChoice::Libffi);
  EXPECT_NE(msg.find("{u8[1099511627776]} has 1099511627776 bytes"), std::string::npos) << msg;
  EXPECT_LT(seconds_since(t0), 5.0);
}

// The bound is exact: 1 MiB by value is still called (through libffi, since the JIT's frame
// limit is 64 KiB), one byte more is refused.
TEST(HostileTypes, LibffiPassesOneMebibyteByValue) {
  static AtLimit s;
  unsigned want = 0;
  for (std::size_t i = 0; i < sizeof s.bytes; ++i) {
    s.bytes[i] = static_cast<unsigned char>(i * 7 + 1);
    want += s.bytes[i];
  }
  const Signature sig = Signature::parse("u32({u8[1048576]})");
  for (BackendChoice b : backends()) {
    Function f(sig, reinterpret_cast<void *>(&hostile_sum_at_limit), {b});
    EXPECT_EQ(f.backend(), BackendKind::Libffi);
    std::uint64_t got = 0;
    void *args[] = {&s};
    f.call(&got, args);
    EXPECT_EQ(static_cast<unsigned>(got), want);
  }
  EXPECT_NE(refusal(Signature::parse("u32({u8[1048577]})"), BackendChoice::Libffi)
                .find("{u8[1048577]} has 1048577 bytes"),
            std::string::npos);
}

// Closures: the libffi back end refuses the same types, and Auto says why.
TEST(HostileTypes, ClosuresRefuseHugeAggregates) {
  const Signature sig = Signature::parse("i32(struct { int a[1<<30]; })");
  for (BackendChoice b : backends()) {
    try {
      Closure c(sig, [](void *, void **) {}, {b});
      ADD_FAILURE() << "no error";
    } catch (const UnsupportedError &e) {
      EXPECT_NE(std::string(e.what()).find("4294967296 bytes"), std::string::npos) << e.what();
    }
  }
}

// The C API hands out its error text as a C string: a NUL in the input is written \0 and the
// rest of the message follows it.
TEST(HostileTypes, CApiErrorTextEscapesNul) {
  const char text[] = "i32(\0i32) after the nul";
  jitffi_sig *sig = nullptr;
  ASSERT_EQ(jitffi_sig_parse_n(text, sizeof text - 1, &sig), JITFFI_PARSE_ERROR);
  EXPECT_EQ(sig, nullptr);
  const std::string err = jitffi_last_error();
  EXPECT_NE(err.find("\"i32(\\0i32) after the nul\""), std::string::npos) << err;
  EXPECT_EQ(jitffi_last_error_position(), 4u);
}

}  // namespace
