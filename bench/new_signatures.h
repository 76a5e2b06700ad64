// Signatures a process has not compiled yet, for the creation benchmarks (bench_create.cpp and
// create_count.cpp): the k-th text of a family, distinct for every k, so that each creation
// classifies and compiles a stub instead of finding one in the cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

enum class NewSig {
  Small,   // 3 parameters (4 past the first 1024): "f64(i64,ptr,f32)"
  Args45,  // i64(f64, 44 more): mostly i32, most on the stack
};

inline std::string new_signature(NewSig family, std::uint64_t k) {
  static const char *const kTypes[] = {"i32", "i8", "i16", "i64", "f32", "f64", "ptr", "u16"};
  std::string s;
  auto add = [&s](unsigned digit) { (s += ',') += kTypes[digit & 7]; };
  if (family == NewSig::Small) {
    // The result and three parameters spell k's low 10 bits; the rest of k, when not zero, goes
    // in bijective base 8 (one more parameter per digit), so no two k give the same text.
    s = (k & 1) ? "i32(" : "f64(";
    k >>= 1;
    s += kTypes[k & 7];
    add(unsigned(k >> 3));
    add(unsigned(k >> 6));
    for (k >>= 9; k; k = (k - 1) / 8) add(unsigned((k - 1) % 8));
    return s + ")";
  }
  // k in base 8 over the 44 parameters, lowest digit first (0 is i32).
  s = "i64(f64";
  for (int j = 0; j < 44; ++j, k >>= 3) add(unsigned(k & 7));
  return s + ")";
}

// The next n signatures of a family that this process has not used yet: runs of one row, and rows
// of one family, never repeat a signature.
inline std::vector<std::string> next_new_signatures(NewSig family, std::size_t n) {
  static std::uint64_t next[2];
  std::vector<std::string> out(n);
  for (auto &t : out) t = new_signature(family, next[int(family)]++);
  return out;
}

// What every created function points at (never called).
inline double target(double, double) {
  return 0;
}
inline void *const kTarget = reinterpret_cast<void *>(&target);

}  // namespace bench
