// Go closures as libffi defines them (doc/libffi.texi "Closure API", src/x86/unix64.S,
// src/aarch64/sysv.S): an ffi_go_closure {tramp, cif, fun} is called with its own address in the
// static chain register, and fun receives the client's cif and the closure; ffi_call_go passes
// its `closure` argument to the callee in that register. The register is set and read by the
// shims of tests/jit/static_chain.h; everything else is the compiler's.
#include <ffi.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>

#include "../jit/static_chain.h"

namespace {

// What the last go closure call saw.
struct Seen {
  ffi_cif *cif = nullptr;
  void *closure = nullptr;
  int calls = 0;
} g_seen;

void seen(ffi_cif *cif, void *closure) {
  g_seen.cif = cif;
  g_seen.closure = closure;
  ++g_seen.calls;
}

template <class F>
F shim_as() {
  F f = reinterpret_cast<F>(&jitffi_test_chain_shim);
  asm volatile("" : "+r"(f));  // the compiler must not call the shim by its own declaration
  return f;
}

// Prepares `gc` for `cif` and checks what ffi_prep_go_closure left in it.
void prep(ffi_go_closure &gc, ffi_cif &cif, void (*fun)(ffi_cif *, void *, void **, void *)) {
  std::memset(&gc, 0, sizeof gc);
  ASSERT_EQ(ffi_prep_go_closure(&gc, &cif, fun), FFI_OK);
  EXPECT_EQ(gc.cif, &cif);  // the client's cif, as libffi stores it
  EXPECT_EQ(gc.fun, fun);
  EXPECT_NE(gc.tramp, nullptr);
}

// Calls the go closure as its callers do: closure in the static chain register, call tramp.
template <class F>
F go_fn(ffi_go_closure &gc) {
  jitffi_test_chain_value = &gc;
  jitffi_test_chain_target = gc.tramp;
  g_seen = {};
  return shim_as<F>();
}

// ---- int, double, struct and stack arguments through a go closure -----------------------------

void int_fun(ffi_cif *cif, void *ret, void **args, void *closure) {
  seen(cif, closure);
  *static_cast<ffi_sarg *>(ret) =
      *static_cast<std::int32_t *>(args[0]) * 3 + *static_cast<std::int8_t *>(args[1]);
}

TEST(GoClosureCall, IntArgumentsAndNarrowResult) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32, &ffi_type_sint8};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint16, args), FFI_OK);
  ffi_go_closure gc;
  prep(gc, cif, int_fun);
  EXPECT_EQ(go_fn<std::int16_t (*)(std::int32_t, std::int8_t)>(gc)(-1000, -7), -3007);
  EXPECT_EQ(g_seen.cif, &cif);  // not a cif of the real libffi's
  EXPECT_EQ(g_seen.closure, &gc);
  EXPECT_EQ(g_seen.calls, 1);
}

void double_fun(ffi_cif *cif, void *ret, void **args, void *closure) {
  seen(cif, closure);
  *static_cast<double *>(ret) = *static_cast<double *>(args[0]) * *static_cast<float *>(args[1]) +
                                *static_cast<std::int64_t *>(args[2]);
}

TEST(GoClosureCall, FloatingPoint) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_double, &ffi_type_float, &ffi_type_sint64};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_double, args), FFI_OK);
  ffi_go_closure gc;
  prep(gc, cif, double_fun);
  EXPECT_EQ(go_fn<double (*)(double, float, std::int64_t)>(gc)(1.5, 4.0f, -100), -94.0);
  EXPECT_EQ(g_seen.cif, &cif);
  EXPECT_EQ(g_seen.closure, &gc);
}

struct DL {
  double d;
  long l;
};
struct Big {
  std::int64_t a, b, c;
};

ffi_type *dl_elems[] = {&ffi_type_double, &ffi_type_slong, nullptr};
ffi_type dl_type = {0, 0, FFI_TYPE_STRUCT, dl_elems};
ffi_type *big_elems[] = {&ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64, nullptr};
ffi_type big_type = {0, 0, FFI_TYPE_STRUCT, big_elems};

void struct_fun(ffi_cif *cif, void *ret, void **args, void *closure) {
  seen(cif, closure);
  const DL v = *static_cast<DL *>(args[0]);
  const Big b = *static_cast<Big *>(args[1]);
  *static_cast<Big *>(ret) = {b.c + v.l, b.b * 2, std::int64_t(v.d) - b.a};
}

TEST(GoClosureCall, StructsInRegistersAndInMemory) {
  ffi_cif cif;
  ffi_type *args[] = {&dl_type, &big_type};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &big_type, args), FFI_OK);
  ffi_go_closure gc;
  prep(gc, cif, struct_fun);
  const Big r = go_fn<Big (*)(DL, Big)>(gc)({7.5, 100}, {1, 2, 3});
  EXPECT_EQ(r.a, 103);
  EXPECT_EQ(r.b, 4);
  EXPECT_EQ(r.c, 6);
  EXPECT_EQ(g_seen.cif, &cif);
  EXPECT_EQ(g_seen.closure, &gc);
}

void many_fun(ffi_cif *cif, void *ret, void **args, void *closure) {
  seen(cif, closure);
  std::int64_t sum = 0;
  for (unsigned i = 0; i < cif->nargs; ++i)
    sum += (i + 1) * (cif->arg_types[i] == &ffi_type_double
                          ? std::int64_t(*static_cast<double *>(args[i]))
                          : *static_cast<std::int64_t *>(args[i]));
  *static_cast<std::int64_t *>(ret) = sum;
}

TEST(GoClosureCall, StackArguments) {
  ffi_cif cif;
  ffi_type *args[20];
  for (int i = 0; i < 20; ++i) args[i] = i % 2 ? &ffi_type_double : &ffi_type_sint64;
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 20, &ffi_type_sint64, args), FFI_OK);
  ffi_go_closure gc;
  prep(gc, cif, many_fun);
  using D = double;
  using L = std::int64_t;
  using Fn = L (*)(L, D, L, D, L, D, L, D, L, D, L, D, L, D, L, D, L, D, L, D);
  const L r = go_fn<Fn>(gc)(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20);
  EXPECT_EQ(r, 2870);  // sum of i * i for 1..20
  EXPECT_EQ(g_seen.closure, &gc);
}

void throwing_fun(ffi_cif *, void *, void **args, void *) {
  throw std::runtime_error("go " + std::to_string(*static_cast<std::int32_t *>(args[0])));
}

TEST(GoClosureCall, CxxExceptionUnwindsThroughTheGoClosure) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint32, args), FFI_OK);
  ffi_go_closure gc;
  prep(gc, cif, throwing_fun);
  try {
    go_fn<int (*)(std::int32_t)>(gc)(31);
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "go 31");
  }
}

// ---- ffi_call_go ---------------------------------------------------------------------------

double target_mix(std::int32_t a, double b, Big c) {
  return a + b + double(c.a * 100 + c.b * 10 + c.c);
}

TEST(GoClosureCall, CallGoPassesTheClosureInTheStaticChain) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32, &ffi_type_double, &big_type};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_double, args), FFI_OK);
  std::int32_t a = 5;
  double b = 0.25;
  Big c = {1, 2, 3};
  void *vals[] = {&a, &b, &c};
  double r = 0;
  int chain = 0;
  jitffi_test_chain_seen = nullptr;
  jitffi_test_chain_target = reinterpret_cast<const void *>(&target_mix);
  ffi_call_go(&cif, FFI_FN(jitffi_test_chain_probe), &r, vals, &chain);
  EXPECT_EQ(jitffi_test_chain_seen, &chain);
  EXPECT_EQ(r, 128.25);
}

TEST(GoClosureCall, CallGoOfAVariadicCif) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_pointer, &ffi_type_ulong, &ffi_type_pointer, &ffi_type_double,
                      &ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 3, 5, &ffi_type_sint32, args), FFI_OK);
  char buf[32];
  char *p = buf;
  unsigned long n = sizeof buf;
  const char *fmt = "%.2f %d";
  double d = 2.5;
  std::int32_t i = -4;
  void *vals[] = {&p, &n, &fmt, &d, &i};
  ffi_arg r = 0;
  int chain = 0;
  jitffi_test_chain_seen = nullptr;
  jitffi_test_chain_target = reinterpret_cast<const void *>(&std::snprintf);
  ffi_call_go(&cif, FFI_FN(jitffi_test_chain_probe), &r, vals, &chain);
  EXPECT_EQ(jitffi_test_chain_seen, &chain);
  EXPECT_EQ(int(r), 7);
  EXPECT_STREQ(buf, "2.50 -4");
}

TEST(GoClosureCall, CallGoIntoAGoClosure) {
  ffi_cif cif;
  ffi_type *args[] = {&dl_type, &big_type};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &big_type, args), FFI_OK);
  ffi_go_closure gc;
  prep(gc, cif, struct_fun);
  DL v = {7.5, 100};
  Big b = {1, 2, 3};
  void *vals[] = {&v, &b};
  Big r{};
  g_seen = {};
  ffi_call_go(&cif, FFI_FN(gc.tramp), &r, vals, &gc);
  EXPECT_EQ(r.a, 103);
  EXPECT_EQ(r.c, 6);
  EXPECT_EQ(g_seen.cif, &cif);
  EXPECT_EQ(g_seen.closure, &gc);
}

// ---- what the JIT does not serve: the real libffi behind the same interface -------------------

void complex_fun(ffi_cif *cif, void *ret, void **args, void *closure) {
  seen(cif, closure);
  const _Complex double z = *static_cast<_Complex double *>(args[0]);
  *static_cast<_Complex double *>(ret) = z * *static_cast<double *>(args[1]);
}

TEST(GoClosureCall, ComplexThroughTheRealLibffi) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_complex_double, &ffi_type_double};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_complex_double, args), FFI_OK);
  ffi_go_closure gc;
  prep(gc, cif, complex_fun);
  _Complex double z;
  __real__ z = 1.5;
  __imag__ z = -2;
  const _Complex double r = go_fn<_Complex double (*)(_Complex double, double)>(gc)(z, 2.0);
  EXPECT_EQ(__real__ r, 3.0);
  EXPECT_EQ(__imag__ r, -4.0);
  EXPECT_EQ(g_seen.cif, &cif);
  EXPECT_EQ(g_seen.closure, &gc);

  double k = 0.5;
  void *vals[] = {&z, &k};
  _Complex double back = 0;
  g_seen = {};
  ffi_call_go(&cif, FFI_FN(gc.tramp), &back, vals, &gc);
  EXPECT_EQ(__real__ back, 0.75);
  EXPECT_EQ(__imag__ back, -1.0);
  EXPECT_EQ(g_seen.cif, &cif);
  EXPECT_EQ(g_seen.closure, &gc);
}

TEST(GoClosureCall, Errors) {
  ffi_go_closure gc;
  ffi_cif unprepared{};
  EXPECT_EQ(ffi_prep_go_closure(&gc, &unprepared, int_fun), FFI_BAD_ABI);
  ffi_cif cif;
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 0, &ffi_type_void, nullptr), FFI_OK);
  EXPECT_EQ(ffi_prep_go_closure(nullptr, &cif, int_fun), FFI_BAD_TYPEDEF);
}

// ---- the same cases in child processes: through the JIT, and through the real libffi ----------

// Runs this binary's GoClosureCall tests again with `env`; returns the exit status and leaves the
// JITFFI_STATS line the child appended in `stats`.
int run_children(const std::string &env, std::string &stats) {
  char path[] = "/tmp/jitffi_go_stats_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return -1;
  close(fd);
  std::string self = "/proc/" + std::to_string(getpid()) + "/exe";
  if (const char *emu = std::getenv("JITFFI_EMULATOR")) {
    char exe[4096];  // under qemu-user, /proc/self/exe names the binary qemu runs
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) self = std::string(emu) + " " + std::string(exe, std::size_t(n));
  }
  const std::string cmd = env + " JITFFI_STATS=" + path + " " + self +
                          " --gtest_filter='GoClosureCall.*' >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream in(path);
  std::getline(in, stats);
  std::remove(path);
  return status;
}

// The counters of a JITFFI_STATS line, in its order: stubs compiled; calls, closures and closure
// calls, each through the JIT and through the real libffi.
struct Counts {
  std::uint64_t stubs, calls_jit, calls_libffi, closures_jit, closures_libffi, closure_calls_jit,
      closure_calls_libffi;
};

bool parse(const std::string &line, Counts &c) {
  std::smatch m;
  const std::regex re(
      "stubs compiled ([0-9]+); calls: jit ([0-9]+), libffi ([0-9]+); closures: jit ([0-9]+), "
      "libffi ([0-9]+); closure calls: jit ([0-9]+), libffi ([0-9]+)");
  if (!std::regex_search(line, m, re)) return false;
  std::uint64_t *out[] = {
      &c.stubs,           &c.calls_jit,         &c.calls_libffi,        &c.closures_jit,
      &c.closures_libffi, &c.closure_calls_jit, &c.closure_calls_libffi};
  for (int k = 0; k < 7; ++k) *out[k] = std::stoull(m[k + 1]);
  return true;
}

// The go closures prepared above: 7, the complex one through the real libffi; their calls: 8,
// the complex one's 2 through the real libffi; ffi_call_go: 4, the complex one's through it.
TEST(GoClosureStats, ServedByTheJit) {
  std::string line;
  ASSERT_EQ(run_children("JITFFI_BACKEND=auto", line), 0) << line;
  Counts c{};
  ASSERT_TRUE(parse(line, c)) << line;
  EXPECT_EQ(c.closures_jit, 6u) << line;
  EXPECT_EQ(c.closures_libffi, 1u) << line;
  EXPECT_EQ(c.closure_calls_jit, 6u) << line;
  EXPECT_EQ(c.closure_calls_libffi, 2u) << line;
  EXPECT_EQ(c.calls_jit, 3u) << line;
  EXPECT_EQ(c.calls_libffi, 1u) << line;
  EXPECT_NE(line.find("[pid "), std::string::npos) << line;
}

TEST(GoClosureStats, ServedByTheRealLibffi) {
  // The fallback for every signature: the same cases pass through the real libffi.
  std::string line;
  ASSERT_EQ(run_children("JITFFI_BACKEND=libffi", line), 0) << line;
  Counts c{};
  ASSERT_TRUE(parse(line, c)) << line;
  EXPECT_EQ(c.closures_jit + c.closure_calls_jit + c.calls_jit, 0u) << line;
  EXPECT_EQ(c.closures_libffi, 7u) << line;
  EXPECT_EQ(c.closure_calls_libffi, 8u) << line;
  EXPECT_EQ(c.calls_libffi, 4u) << line;
}

}  // namespace
