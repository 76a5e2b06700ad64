// What an entry stub costs at least (issue 12): every row runs the same loop (bench/
// entry_floor_x64.S: load two argument registers, `call *reg`, count down), timed with the TSC in
// many short rounds, interleaved; the minimum and the median round give ns per call. Rows differ
// only in what the call reaches: the target itself (a direct call), the JIT's value or slot entry,
// the same bytes written by hand in the program's text, or a one-instruction jump (`jmp reg` or
// `jmp rel32`) placed at chosen alignments and distances from its target. x86-64 only.
#include <sys/mman.h>
#include <x86intrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "jitffi/jitffi.hpp"

extern "C" {
std::uint64_t floor_loop(void *callee, long n, void *fn, void *in);
void floor_value_s1();
void floor_value_s2();
}

namespace {

// Code bytes in fresh pages, mapped RW, filled, then made RX (no page is both).
struct Pages {
  char *base = nullptr;
  std::size_t size = 0;
  Pages(std::size_t n, void *hint) : size(n) {
    void *p =
        mmap(hint, n, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (hint ? MAP_FIXED_NOREPLACE : 0), -1, 0);
    if (p == MAP_FAILED) {
      std::perror("jitffi_entry_floor: mmap");
      std::exit(1);
    }
    base = static_cast<char *>(p);
  }
  void seal() { mprotect(base, size, PROT_READ | PROT_EXEC); }
};

void put_jmp_rel32(char *at, const void *to) {
  const auto rel = std::int32_t(static_cast<const char *>(to) - (at + 5));
  at[0] = char(0xE9);
  std::memcpy(at + 1, &rel, 4);
}

double tsc_ghz() {
  timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  const std::uint64_t t0 = __rdtsc();
  for (long i = 0; i < 100000000; i = i + 1) asm volatile("");
  clock_gettime(CLOCK_MONOTONIC, &b);
  return double(__rdtsc() - t0) /
         (double(b.tv_sec - a.tv_sec) * 1e9 + double(b.tv_nsec - a.tv_nsec));
}

struct Row {
  Row(std::string n, void *c, void *f, void *i) : name(std::move(n)), callee(c), fn(f), in(i) {}
  std::string name;
  void *callee, *fn, *in;
  std::vector<double> ns;
};

}  // namespace

int main(int argc, char **argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 300;
  const long n = 20000;
  const auto lib = jitffi::Library::open(JITFFI_BENCH_TARGETS);
  void *s1 = lib.symbol("s1"), *s2 = lib.symbol("s2");
  jitffi::Function f1(jitffi::Signature::parse("void()"), s1, {jitffi::BackendChoice::Jit});
  jitffi::Function f2(jitffi::Signature::parse("i32(i32,i32)"), s2, {jitffi::BackendChoice::Jit});
  static int a = 3, b = 4;
  static void *args[2] = {&a, &b};
  static std::uint64_t slots[2] = {3, 4};

  std::vector<Row> rows = {
      {"direct: call s1", s1, s1, args},
      {"jit value entry void() -> s1", f1.value_entry(), s1, args},
      {"hand-written `jmp *%rdi` in the program -> s1", (void *)floor_value_s1, s1, args},
      {"direct: call s2", s2, s2, args},
      {"jit value entry int(int,int) -> s2", f2.value_entry(), s2, args},
      {"hand-written value entry (same bytes) -> s2", (void *)floor_value_s2, s2, args},
      {"jit slot entry int(int,int) -> s2", f2.slots_entry(), s2, slots},
  };
  // `jmp *%rdi` at 0, 16, 32, 48 bytes past a 64-byte line, 64 MiB below the targets' library.
  const auto lib_page = reinterpret_cast<std::uintptr_t>(s1) & ~std::uintptr_t(0xFFFF);
  Pages near(1 << 16, reinterpret_cast<void *>(lib_page - (std::uintptr_t(64) << 20)));
  for (int off : {0, 16, 32, 48}) {
    char *p = near.base + 64 * off + off;
    p[0] = char(0xFF), p[1] = char(0xE7);
    rows.push_back({"`jmp *%rdi` at +" + std::to_string(off) + " of a line -> s1", p, s1, args});
  }
  near.seal();
  // A jump with the target built in (`jmp rel32` -> s1), placed within 1 MiB of s1 where a free
  // page is found (mmap puts new mappings right below the libraries loaded last), and 64 MiB away.
  Pages far_bound(4096, reinterpret_cast<void *>(lib_page - (std::uintptr_t(80) << 20)));
  put_jmp_rel32(far_bound.base, s1);
  far_bound.seal();
  rows.push_back({"`jmp rel32` -> s1, 80 MiB away", far_bound.base, s1, args});
  bool placed_near = false;
  for (std::uintptr_t k = 1; k <= 16 && !placed_near; ++k) {
    void *hint = reinterpret_cast<void *>(lib_page - k * 0x10000);
    void *p = mmap(hint, 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) continue;
    put_jmp_rel32(static_cast<char *>(p), s1);
    mprotect(p, 4096, PROT_READ | PROT_EXEC);
    rows.push_back({"`jmp rel32` -> s1, " + std::to_string(k * 64) + " KiB away", p, s1, args});
    placed_near = true;
  }
  if (!placed_near) std::printf("(no free page within 1 MiB below s1's library: no such row)\n");
  // `jmp rel32` and `jmp *%rdi` to a `ret` d bytes further on, and a direct call of that `ret`.
  const long dists[] = {64, 4096, 1L << 20, 1L << 24, 1L << 27};
  Pages far(std::size_t(1) << 28, nullptr);
  char *at = far.base;
  for (long d : dists) {
    char *ret = at + 64 + d;
    ret[0] = char(0xC3);
    put_jmp_rel32(at, ret);
    at[32] = char(0xFF), at[33] = char(0xE7);
    const std::string ds =
        d >= (1L << 20) ? std::to_string(d >> 20) + " MiB" : std::to_string(d) + " B";
    rows.push_back({"direct: call ret (" + ds + " away)", ret, ret, args});
    rows.push_back({"`jmp rel32` -> ret " + ds + " away", at, ret, args});
    rows.push_back({"`jmp *%rdi` -> ret " + ds + " away", at + 32, ret, args});
    at = reinterpret_cast<char *>((reinterpret_cast<std::uintptr_t>(ret) + 8192) &
                                  ~std::uintptr_t(4095));
  }
  far.seal();

  const double ghz = tsc_ghz();
  for (Row &r : rows) floor_loop(r.callee, n, r.fn, r.in);  // warm up
  for (int i = 0; i < rounds; ++i)
    for (Row &r : rows)
      r.ns.push_back(double(floor_loop(r.callee, n, r.fn, r.in)) / double(n) / ghz);
  std::printf("ns per call (TSC %.3f GHz): min and median of %d rounds of %ld calls each\n\n", ghz,
              rounds, n);
  std::printf("| row | min ns | median ns |\n|---|---:|---:|\n");
  for (Row &r : rows) {
    std::sort(r.ns.begin(), r.ns.end());
    std::printf("| %s | %.2f | %.2f |\n", r.name.c_str(), r.ns[0], r.ns[r.ns.size() / 2]);
  }
  return 0;
}
