// A long-running host that keeps making new signatures: N distinct ones through the public API,
// each Function made, called and dropped. Prints the resident set and the executable mappings as
// it goes and fails when either keeps growing once the stub cache is full (issue 14, item 4).
//   jitffi_cache_rss [N] [small|large]
// small: `i64(i64,f64,{i32[k]})`-like signatures; large: a by-value aggregate of 40000-60000
// bytes (copied by the stub: unrolled, ~112 KB of code each, before the copy loop).
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "jitffi/function.h"

namespace {

long vm_rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

// Under an emulator (qemu-user: JITFFI_EMULATOR is set by the cross build) VmRSS is the
// emulator's, which grows with every new code page it translates: the program's own heap in use
// (malloc'd and mmap'd by malloc) is measured instead.
bool under_emulator() {
  static const bool on = std::getenv("JITFFI_EMULATOR") != nullptr;
  return on;
}

long memory_kib() {
  if (!under_emulator()) return vm_rss_kib();
  const struct mallinfo2 mi = mallinfo2();
  return long((mi.uordblks + mi.hblkhd) / 1024);
}

long exec_mapped_kib() {  // mappings with x in their permissions
  std::ifstream f("/proc/self/maps");
  std::string line;
  long total = 0;
  while (std::getline(f, line)) {
    unsigned long lo, hi;
    char perms[5];
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) == 3 && perms[2] == 'x')
      total += long(hi - lo);
  }
  return total / 1024;
}

std::int64_t target(std::int64_t a, double) {
  return a + 1;
}

std::string signature(long k, bool large) {
  if (large)
    return "i64(i64,f64,{u8[" + std::to_string(40000 + k % 20000) + "]},{u" +
           std::to_string(8 << (k / 20000 % 4)) + "[" + std::to_string(k / 80000 + 1) + "]})";
  return "i64(i64,f64,{i32[" + std::to_string(k % 1000 + 1) + "]},{u" +
         std::to_string(8 << (k / 1000 % 4)) + "[" + std::to_string(k / 4000 + 1) + "]})";
}

}  // namespace

int main(int argc, char **argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 100000;
  const bool large = argc > 2 && std::strcmp(argv[2], "large") == 0;
  if (n < 10) return std::fprintf(stderr, "usage: %s [N >= 10] [small|large]\n", argv[0]), 2;
  const char *what = under_emulator() ? "heap in use" : "VmRSS";
  const long r0 = memory_kib(), e0 = exec_mapped_kib();
  long r_warm = 0, e_warm = 0;
  std::vector<unsigned char> blob(60000 + 64, 7);
  for (long k = 0; k < n; ++k) {
    const std::string text = signature(k, large);  // the callee reads only its first two
    jitffi::Function f(jitffi::Signature::parse(text), reinterpret_cast<void *>(&target));
    std::int64_t a = k, r = 0;
    double d = 0.5;
    void *args[] = {&a, &d, blob.data(), blob.data()};
    f.call(&r, args);
    if (r != k + 1)
      return std::fprintf(stderr, "%s: got %lld for %ld\n", text.c_str(), (long long)r, k), 1;
    if ((k + 1) % (n / 10) == 0) {
      std::printf("%ld distinct signatures (%s): %s %ld -> %ld KiB, exec mappings %ld -> %ld KiB\n",
                  k + 1, large ? "large" : "small", what, r0, memory_kib(), e0, exec_mapped_kib());
      std::fflush(stdout);
    }
    if (k + 1 == n / 5) r_warm = memory_kib(), e_warm = exec_mapped_kib();  // the cache is full
  }
  const long dr = memory_kib() - r_warm, de = exec_mapped_kib() - e_warm;
  std::printf("growth over the last %ld signatures: %s %+ld KiB, exec mappings %+ld KiB\n",
              n - n / 5, what, dr, de);
  // Flat: a few MiB of allocator slack, not the ~1.7 KiB (small) or ~112 KiB (large) per
  // signature an unbounded cache would add.
  if (dr > 16 * 1024 || de > 4 * 1024) {
    std::fprintf(stderr, "FAIL: memory keeps growing with new signatures\n");
    return 1;
  }
  return 0;
}
