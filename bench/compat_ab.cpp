// Two builds of our libffi.so.8 in one process, each in a namespace of its own (dlmopen), their
// ffi_call timed on S1-S7 in batches that alternate between the two: an A/B comparison that the
// machine's drift (other processes, frequency) affects alike, where two runs of
// jitffi_bench_compat minutes apart on a shared VM differed by more than the change measured.
// Both are called through a pointer (jitffi_bench_compat's compat_ffi_call rows go through the
// PLT). Run it both ways round: the first of each pair of batches can be favoured.
//   jitffi_bench_compat_ab A/libffi.so.8 B/libffi.so.8 [rounds]
#include <dlfcn.h>
#include <ffi.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <vector>

#include "bench/targets.h"

namespace {

struct Lib {
  ffi_status (*prep)(ffi_cif *, ffi_abi, unsigned, ffi_type *, ffi_type **);
  void (*call)(ffi_cif *, void (*)(void), void *, void **);
  ffi_type *sint32, *sint64, *dbl, *vd, *ptr;
};

Lib load(const char *path) {
  void *h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    std::fprintf(stderr, "compat_ab: %s\n", dlerror());
    std::exit(1);
  }
  auto sym = [&](const char *name) {
    void *p = dlsym(h, name);
    if (!p) {
      std::fprintf(stderr, "compat_ab: %s has no %s\n", path, name);
      std::exit(1);
    }
    return p;
  };
  Lib l;
  l.prep = reinterpret_cast<decltype(l.prep)>(sym("ffi_prep_cif"));
  l.call = reinterpret_cast<decltype(l.call)>(sym("ffi_call"));
  l.sint32 = static_cast<ffi_type *>(sym("ffi_type_sint32"));
  l.sint64 = static_cast<ffi_type *>(sym("ffi_type_sint64"));
  l.dbl = static_cast<ffi_type *>(sym("ffi_type_double"));
  l.vd = static_cast<ffi_type *>(sym("ffi_type_void"));
  l.ptr = static_cast<ffi_type *>(sym("ffi_type_pointer"));
  return l;
}

// One library's cifs for S1-S7 (bench/cases.h), over its own type objects.
struct Cifs {
  ffi_type *v2_elems[3]{}, v2{}, *i3_elems[4]{}, i3{};
  ffi_type *args[7][12]{};
  ffi_cif cif[7]{};
  explicit Cifs(const Lib &l) {
    v2_elems[0] = v2_elems[1] = l.dbl;
    v2 = {0, 0, FFI_TYPE_STRUCT, v2_elems};
    i3_elems[0] = i3_elems[1] = i3_elems[2] = l.sint64;
    i3 = {0, 0, FFI_TYPE_STRUCT, i3_elems};
    ffi_type *const s4[] = {l.sint64, l.dbl,    l.sint64, l.sint64,
                            l.dbl,    l.sint64, l.sint64, l.sint64};
    ffi_type *const s5[] = {l.sint32, l.dbl, l.ptr,    l.sint32, l.dbl, l.sint64,
                            l.ptr,    l.dbl, l.sint32, l.sint32, l.ptr, l.dbl};
    std::copy(std::begin(s4), std::end(s4), args[3]);
    std::copy(std::begin(s5), std::end(s5), args[4]);
    args[1][0] = args[1][1] = l.sint32;
    for (int i = 0; i < 4; ++i) args[2][i] = l.dbl;
    args[5][0] = args[5][1] = &v2;
    args[6][0] = args[6][1] = &i3;
    struct {
      unsigned n;
      ffi_type *r;
    } const shape[7] = {{0, l.vd},   {2, l.sint32}, {4, l.dbl}, {8, l.sint64},
                        {12, l.dbl}, {2, &v2},      {2, &i3}};
    for (int s = 0; s < 7; ++s)
      if (l.prep(&cif[s], FFI_DEFAULT_ABI, shape[s].n, shape[s].r, args[s]) != FFI_OK) {
        std::fprintf(stderr, "compat_ab: ffi_prep_cif failed for S%d\n", s + 1);
        std::exit(1);
      }
  }
};

double now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return double(t.tv_sec) * 1e9 + double(t.tv_nsec);
}

alignas(16) unsigned char g_ret[64];

}  // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s A/libffi.so.8 B/libffi.so.8 [rounds]\n", argv[0]);
    return 2;
  }
  void *targets = dlopen(JITFFI_BENCH_TARGETS, RTLD_NOW);
  if (!targets) {
    std::fprintf(stderr, "compat_ab: %s\n", dlerror());
    return 1;
  }
  const Lib lib[2] = {load(argv[1]), load(argv[2])};
  Cifs cifs[2] = {Cifs(lib[0]), Cifs(lib[1])};
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 41;
  constexpr int kBatch = 200000;

  int i2[2] = {1, 2};
  double d4[4] = {1, 2, 3, 4};
  std::int64_t q[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  double d8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  void *p = nullptr;
  V2 v2[2] = {{1, 2}, {3, 4}};
  I3 i3[2] = {{1, 2, 3}, {4, 5, 6}};
  void *vals[7][12] = {
      {},
      {&i2[0], &i2[1]},
      {&d4[0], &d4[1], &d4[2], &d4[3]},
      {&q[0], &d8[0], &q[1], &q[2], &d8[1], &q[3], &q[4], &q[5]},
      {&i2[0], &d8[0], &p, &i2[1], &d8[1], &q[0], &p, &d8[2], &i2[0], &i2[1], &p, &d8[3]},
      {&v2[0], &v2[1]},
      {&i3[0], &i3[1]}};
  std::printf("ns per ffi_call, median (min) of %d batches of %d; A = %s, B = %s\n", rounds, kBatch,
              argv[1], argv[2]);
  for (int s = 0; s < 7; ++s) {
    char name[8];
    std::snprintf(name, sizeof name, "s%d", s + 1);
    auto fn = reinterpret_cast<void (*)(void)>(dlsym(targets, name));
    std::vector<double> t[2];
    for (int r = 0; r < rounds; ++r)
      for (int k = 0; k < 2; ++k) {
        auto call = lib[k].call;
        ffi_cif *cif = &cifs[k].cif[s];
        const double t0 = now_ns();
        for (int i = 0; i < kBatch; ++i) {
          call(cif, fn, g_ret, vals[s]);
          asm volatile("" ::: "memory");
        }
        t[k].push_back((now_ns() - t0) / kBatch);
      }
    for (auto &v : t) std::sort(v.begin(), v.end());
    const double a = t[0][t[0].size() / 2], b = t[1][t[1].size() / 2];
    std::printf("S%d  A %.2f (%.2f)  B %.2f (%.2f)  B/A %.3f\n", s + 1, a, t[0][0], b, t[1][0],
                b / a);
  }
}
