// Library loading and errors, errno capture, back-end selection and stats, Win64 calls.
#include <dlfcn.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "api_test_util.h"
#include "testlib_types.h"

using namespace jt;

namespace {

using K = TypeKind;

TEST(Library, OpensByBareNameSonameAndPath) {
  Library c = Library::open("c");  // libc.so is a linker script: must land on libc.so.6
  EXPECT_NE(c.name().find("libc.so.6"), std::string::npos) << c.name();
  EXPECT_NE(c.find("strlen"), nullptr);
  Library m = Library::open("m");
  EXPECT_NE(m.name().find("libm.so"), std::string::npos) << m.name();
  Library m6 = Library::open("libm.so.6");
  EXPECT_EQ(m6.name(), "libm.so.6");
  EXPECT_EQ(m.symbol("cos"), m6.symbol("cos"));
  Library t = Library::open(JITFFI_TESTLIB);
  EXPECT_NE(t.find("jt_add_i32"), nullptr);
  Library any = Library::open_any({"jitffi_no_such_library_1", "libm.so.6"});
  EXPECT_EQ(any.name(), "libm.so.6");
  Library self = Library::self();
  EXPECT_NE(self.find("strlen"), nullptr);
}

TEST(Library, MissingLibraryNamesItAndEveryAttempt) {
  try {
    Library::open("jitffi_no_such_lib");
    FAIL() << "no exception";
  } catch (const LibraryError &e) {
    std::string w = e.what();
    EXPECT_NE(w.find("jitffi_no_such_lib"), std::string::npos) << w;
    EXPECT_NE(w.find("libjitffi_no_such_lib.so"), std::string::npos) << w;
    EXPECT_NE(w.find("cannot open shared object file"), std::string::npos) << w;  // dlerror
  }
  EXPECT_THROW(Library::open("/nonexistent/dir/libx.so"), LibraryError);
  EXPECT_THROW(Library::open(""), LibraryError);
  try {
    Library::open_any({"jitffi_nope_a", "jitffi_nope_b"});
    FAIL() << "no exception";
  } catch (const LibraryError &e) {
    std::string w = e.what();
    EXPECT_NE(w.find("jitffi_nope_a"), std::string::npos) << w;
    EXPECT_NE(w.find("jitffi_nope_b"), std::string::npos) << w;
  }
}

TEST(Library, MissingSymbolNamesSymbolAndLibrary) {
  Library t = Library::open(JITFFI_TESTLIB);
  EXPECT_EQ(t.find("jt_no_such_function"), nullptr);
  try {
    t.symbol("jt_no_such_function");
    FAIL() << "no exception";
  } catch (const SymbolError &e) {
    EXPECT_EQ(e.symbol(), "jt_no_such_function");
    EXPECT_EQ(e.library(), JITFFI_TESTLIB);
    EXPECT_NE(std::string(e.what()).find("jt_no_such_function"), std::string::npos);
  }
  Signature sig = Signature(host_abi(), T(K::I32), {}).with_name("jt_missing_too");
  try {
    t.function(sig);
    FAIL() << "no exception";
  } catch (const SymbolError &e) {
    EXPECT_EQ(e.symbol(), "jt_missing_too");
  }
  // A signature without a name cannot be looked up.
  EXPECT_THROW(t.function(Signature(host_abi(), T(K::I32), {})), Error);
}

TEST(Library, FunctionFromAPrototype) {
  Library m = Library::open("m");
  Function cosf = m.function("double cos(double)");
  EXPECT_EQ(cosf.signature().name(), "cos");
  EXPECT_EQ(cosf.invoke<double>(0.0), 1.0);
  EXPECT_THROW(m.function("double no_such_cos(double)"), SymbolError);
  EXPECT_THROW(m.function("double cos(double"), ParseError);
  // Declarations in the library's scope serve later prototypes.
  Library t = Library::open(JITFFI_TESTLIB);
  t.scope().declare("struct d2 { double x, y; };");
  Function sum = t.function("double jt_D2_sum(struct d2 v)");
  D2 v{1.5, 4.0};
  EXPECT_EQ(sum.invoke<double>(v), 1.5 + 8.0);
}

// Whether the library at `path` is loaded in this process (RTLD_NOLOAD: never loads it).
bool is_loaded(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (h) dlclose(h);
  return h != nullptr;
}

// One lifetime rule for the C++ and C APIs: a Function from Library::function keeps its library
// loaded; dlclose runs when the last Library copy and the last such Function are gone.
TEST(Library, FunctionKeepsItsLibraryLoaded) {
  ASSERT_FALSE(is_loaded(JITFFI_TESTLIB)) << "this test needs a process without the test library";
  Function add;
  {
    Library t = Library::open(JITFFI_TESTLIB);
    add = t.function("int jt_add_i32(int, int)");
    EXPECT_TRUE(is_loaded(JITFFI_TESTLIB));
  }
  EXPECT_TRUE(is_loaded(JITFFI_TESTLIB)) << "the Function keeps it";
  EXPECT_EQ(add.invoke<std::int32_t>(std::int32_t{40}, std::int32_t{2}), 42);
  Function copy = add;
  add = Function();
  EXPECT_TRUE(is_loaded(JITFFI_TESTLIB)) << "so does a copy";
  EXPECT_EQ(copy.invoke<std::int32_t>(std::int32_t{1}, std::int32_t{2}), 3);
  auto typed = copy.as<std::int32_t(std::int32_t, std::int32_t)>();
  copy = Function();
  EXPECT_TRUE(is_loaded(JITFFI_TESTLIB)) << "and a typed handle";
  EXPECT_EQ(typed(5, 6), 11);
  typed = {};
  EXPECT_FALSE(is_loaded(JITFFI_TESTLIB)) << "dlclose ran with the last one";

  // A Function made from a raw address does not keep the library: that is the caller's business.
  {
    Library t = Library::open(JITFFI_TESTLIB);
    add = Function(Signature::parse("i32(i32, i32)"), t.symbol("jt_add_i32"));
  }
  EXPECT_FALSE(is_loaded(JITFFI_TESTLIB));
}

// One test, in this order: once jitffi_testlib is global it stays so for the process.
TEST(Library, GlobalAndLazyOpen) {
  ASSERT_EQ(Library::self().find("jt_add_i32"), nullptr)
      << "jitffi_testlib is already global in this process (test run twice?)";
  {
    // RTLD_NOW (the default) refuses a library with an unresolvable reference...
    Library local = Library::open(JITFFI_TESTLIB);
    EXPECT_EQ(Library::self().find("jt_add_i32"), nullptr);  // RTLD_LOCAL: not visible
    try {
      Library::open(JITFFI_TEST_NEEDS);
      FAIL() << "no exception";
    } catch (const LibraryError &e) {
      EXPECT_NE(std::string(e.what()).find("jt_add_i32"), std::string::npos) << e.what();
    }
    // ...RTLD_LAZY opens it, and what does not need the missing symbol works.
    OpenOptions lazy;
    lazy.lazy = true;
    Library needs = Library::open(JITFFI_TEST_NEEDS, lazy);
    EXPECT_EQ(needs.function("int jt_needs_nothing(void)").invoke<int>(), 7);
  }
  OpenOptions global;
  global.global = true;
  Library t = Library::open(JITFFI_TESTLIB, global);
  EXPECT_EQ(Library::self().find("jt_add_i32"), t.symbol("jt_add_i32"));
  // A library opened later resolves its reference against the global one.
  Library needs = Library::open(JITFFI_TEST_NEEDS);
  EXPECT_EQ(needs.function("int jt_needs_add(int)").invoke<int>(1), 101);
}

TEST(Library, VersionedSymbols) {
  Library c = Library::open("c");
#if defined(__x86_64__)
  const char *old_memcpy = "memcpy@GLIBC_2.2.5";  // the memmove-like one, kept for old binaries
  EXPECT_EQ(c.symbol("memcpy@@GLIBC_2.14"), c.symbol("memcpy"));
#elif defined(__aarch64__)
  const char *old_memcpy = "memcpy@GLIBC_2.17";
#else
  GTEST_SKIP() << "no known memcpy version on this architecture";
#endif
  void *p = c.symbol(old_memcpy);
  EXPECT_NE(p, nullptr);
  EXPECT_EQ(c.find(old_memcpy), p);
  // The version in a prototype follows the name.
  Function f = c.function(std::string("void *") + old_memcpy + "(void *, const void *, size_t)");
  EXPECT_EQ(f.signature().name(), "memcpy");
  EXPECT_EQ(f.address(), p);
  char dst[6] = {}, src[6] = "hello";
  EXPECT_EQ(f.invoke<void *>(static_cast<void *>(dst), static_cast<const void *>(src), sizeof src),
            static_cast<void *>(dst));
  EXPECT_STREQ(dst, "hello");

  // A version that does not exist: SymbolError naming name@version and the version.
  EXPECT_EQ(c.find("memcpy@GLIBC_9.99"), nullptr);
  try {
    c.symbol("memcpy@GLIBC_9.99");
    FAIL() << "no exception";
  } catch (const SymbolError &e) {
    EXPECT_EQ(e.symbol(), "memcpy@GLIBC_9.99");
    EXPECT_NE(std::string(e.what()).find("no version GLIBC_9.99 of memcpy"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(c.function("void *memcpy@GLIBC_9.99(void *, const void *, size_t)"), SymbolError);
  EXPECT_THROW(c.symbol("memcpy@"), SymbolError);
  try {
    c.function("int abs@(int)");
    FAIL() << "no exception";
  } catch (const ParseError &e) {
    EXPECT_EQ(e.position(), 8u);
  }
}

TEST(Errno, CapturedOnlyWhenAsked) {
  auto set = fn("jt_set_errno", T(K::I32), {T(K::I32)}, {BackendChoice::Auto, true});
  set_saved_errno(0);
  EXPECT_EQ(set.invoke<std::int32_t>(std::int32_t{EDOM}), -1);
  EXPECT_EQ(saved_errno(), EDOM);
  // Before the call errno is set from the saved value.
  auto get = fn("jt_get_errno", T(K::I32), {}, {BackendChoice::Auto, true});
  set_saved_errno(1234);
  EXPECT_EQ(get.invoke<std::int32_t>(), 1234);
  // Without capture_errno nothing is saved.
  auto plain = fn("jt_set_errno", T(K::I32), {T(K::I32)});
  set_saved_errno(5);
  plain.invoke<std::int32_t>(std::int32_t{EILSEQ});
  EXPECT_EQ(saved_errno(), 5);
}

TEST(Errno, StrtolOverflowSetsErange) {
  Library libc = Library::open("c");
  auto strtol = libc.function(
      Signature(host_abi(), T(K::I64), {Type::cstr(), P(), T(K::I32)}).with_name("strtol"),
      {BackendChoice::Auto, true});
  set_saved_errno(0);
  EXPECT_EQ(strtol.invoke<std::int64_t>(static_cast<const char *>("99999999999999999999999"),
                                        static_cast<void *>(nullptr), std::int32_t{10}),
            LONG_MAX);
  EXPECT_EQ(saved_errno(), ERANGE);
  EXPECT_EQ(strtol.invoke<std::int64_t>(static_cast<const char *>("-42"),
                                        static_cast<void *>(nullptr), std::int32_t{10}),
            -42);
  EXPECT_EQ(saved_errno(), ERANGE) << "a successful strtol leaves errno alone";
}

TEST(Errno, SavedValueIsPerThread) {
  set_saved_errno(77);
  int other = -1;
  std::thread([&] {
    other = saved_errno();
    set_saved_errno(3);
  }).join();
  EXPECT_EQ(other, 0);
  EXPECT_EQ(saved_errno(), 77);
}

TEST(Backends, NamesAndSelection) {
  EXPECT_EQ(backend_name(BackendKind::Jit), "jit");
  EXPECT_EQ(backend_name(BackendKind::Libffi), "libffi");
  const BackendChoice saved = default_backend();
  Signature sig = Signature(host_abi(), T(K::I32), {T(K::I32), T(K::I32)}).with_name("jt_add_i32");

  auto lf = testlib().function(sig, {BackendChoice::Libffi, false});
  EXPECT_EQ(lf.backend(), BackendKind::Libffi);
  EXPECT_EQ(lf.invoke<std::int32_t>(std::int32_t{1}, std::int32_t{2}), 3);

  set_default_backend(BackendChoice::Libffi);
  EXPECT_EQ(default_backend(), BackendChoice::Libffi);
  EXPECT_EQ(testlib().function(sig).backend(), BackendKind::Libffi);

  set_default_backend(BackendChoice::Auto);
  detail::Backend *jit = detail::jit_backend();
  auto au = testlib().function(sig);
  EXPECT_EQ(au.backend(), jit && jit->supports(sig) ? BackendKind::Jit : BackendKind::Libffi);
  EXPECT_EQ(au.invoke<std::int32_t>(std::int32_t{20}, std::int32_t{22}), 42);

  if (!jit) {
    try {
      testlib().function(sig, {BackendChoice::Jit, false});
      FAIL() << "no exception";
    } catch (const UnsupportedError &e) {
      EXPECT_NE(std::string(e.what()).find("JIT"), std::string::npos) << e.what();
    }
    set_default_backend(BackendChoice::Jit);
    EXPECT_THROW(testlib().function(sig), UnsupportedError);
    EXPECT_THROW(Closure(Signature(host_abi(), Type::void_(), {}), [](void *, void **) {}),
                 UnsupportedError);
  } else {
    EXPECT_EQ(testlib().function(sig, {BackendChoice::Jit, false}).backend(), BackendKind::Jit);
  }
  set_default_backend(saved);
}

TEST(Backends, LibffiRejectsForeignAbisByName) {
#if defined(__aarch64__)
  const Abi foreign = Abi::SysV_x64;  // an ABI of another ISA than the host's
#else
  const Abi foreign = Abi::AAPCS64;
#endif
  Signature sig(foreign, T(K::I32), {T(K::I32)});
  EXPECT_FALSE(detail::libffi_backend().supports(sig));
  try {
    detail::libffi_backend().prepare(sig);
    FAIL() << "no exception";
  } catch (const UnsupportedError &e) {
    EXPECT_NE(std::string(e.what()).find(abi_name(foreign)), std::string::npos) << e.what();
  }
#if defined(__x86_64__)
  EXPECT_TRUE(detail::libffi_backend().supports(Signature(Abi::Win64, T(K::I32), {})));
#endif
}

TEST(Backends, PreparedCallsAreSharedPerSignature) {
  Signature a = Signature(host_abi(), T(K::I32), {T(K::I32), T(K::I32)}).with_name("jt_add_i32");
  auto f1 = testlib().function(a, {BackendChoice::Libffi, false});
  auto f2 = testlib().function(a, {BackendChoice::Libffi, false});
  EXPECT_EQ(f1.signature().canonical(), f2.signature().canonical());
  // The same canonical form under another name keeps its own name.
  Function renamed(a.with_name("other_name"), f1.address(), {BackendChoice::Libffi, false});
  EXPECT_EQ(renamed.signature().name(), "other_name");
  EXPECT_EQ(renamed.invoke<std::int32_t>(std::int32_t{2}, std::int32_t{3}), 5);
  EXPECT_THROW(Function(a, nullptr), Error);
}

TEST(Backends, StatsCountCallsAndClosures) {
  const bool was = detail::g_stats_enabled;
  detail::g_stats_enabled = true;
  auto &s = detail::stats();
  auto f = fn("jt_add_i32", T(K::I32), {T(K::I32), T(K::I32)}, {BackendChoice::Libffi, false});
  const auto calls = s.calls[int(BackendKind::Libffi)].load();
  const auto closures = s.closures[int(BackendKind::Libffi)].load();
  const auto ccalls = s.closure_calls[int(BackendKind::Libffi)].load();
  for (int i = 0; i < 5; ++i) f.invoke<std::int32_t>(std::int32_t{i}, std::int32_t{i});
  Closure c(Signature(host_abi(), Type::void_(), {}), [](void *, void **) {},
            {BackendChoice::Libffi, false});
  c.code<void (*)()>()();
  c.code<void (*)()>()();
  detail::g_stats_enabled = was;
  EXPECT_EQ(s.calls[int(BackendKind::Libffi)].load() - calls, 5u);
  EXPECT_EQ(s.closures[int(BackendKind::Libffi)].load() - closures, 1u);
  EXPECT_EQ(s.closure_calls[int(BackendKind::Libffi)].load() - ccalls, 2u);
}

#if defined(__x86_64__)  // ms_abi targets exist on x86-64 hosts only
// Win64 targets compiled with __attribute__((ms_abi)), called through Abi::Win64.
TEST(Win64, CallsThroughTheMsAbi) {
  const Abi w = Abi::Win64;
  auto mix = fn("jt_w64_mix", T(K::F64),
                {T(K::I32), T(K::F64), T(K::I64), T(K::F32), T(K::I32), T(K::F64)}, {}, w);
  EXPECT_EQ(mix.invoke<double>(std::int32_t{-1}, 2.5, std::int64_t{1LL << 40}, 0.5f,
                               std::int32_t{7}, -8.0),
            -1 + 2 * 2.5 + 3.0 * (1LL << 40) + 4 * 0.5 + 5 * 7 + 6 * -8.0);
  auto neg = fn("jt_w64_neg_i8", T(K::I8), {T(K::I8)}, {}, w);
  std::uint64_t buf = 0xABABABABABABABABull;
  std::int8_t x = 9;
  void *args[] = {&x};
  neg.call(&buf, args);
  EXPECT_EQ(buf, std::uint64_t(-9));

  auto f2 = Type::struct_({{"x", T(K::F32)}, {"y", T(K::F32)}});
  auto d3 = Type::struct_({{"a", T(K::F64)}, {"b", T(K::F64)}, {"c", T(K::F64)}});
  auto st = fn("jt_w64_struct", T(K::F64), {f2, d3, T(K::I8)}, {}, w);
  F2 fv{1.5f, -2.0f};
  D3 dv{1, 2, 3};
  EXPECT_EQ(st.invoke<double>(fv, dv, std::int8_t{-4}), 1.5 - 4.0 + 3 * 14.0 - 16.0);
  EXPECT_EQ(dv.a, 1) << "the callee changed the caller's struct";
  auto ret = fn("jt_w64_ret_d3", d3, {T(K::F64)}, {}, w);
  D3 r = ret.invoke<D3>(1.25);
  EXPECT_EQ(r.a, 1.25);
  EXPECT_EQ(r.b, 2.5);
  EXPECT_EQ(r.c, 3.75);

  Signature vs = Signature::variadic(w, T(K::F64), {T(K::I32), T(K::F64), T(K::F64), T(K::F64)}, 1)
                     .with_name("jt_w64_vsum");
  auto v = testlib().function(vs);
  EXPECT_EQ(v.invoke<double>(std::int32_t{3}, 1.5, -2.0, 4.0), 1.5 - 4.0 + 12.0);
}

TEST(Win64, ClosureCalledByAnMsAbiFunction) {
  const Abi w = Abi::Win64;
  auto f2 = Type::struct_({{"x", T(K::F32)}, {"y", T(K::F32)}});
  Closure cb(
      Signature(w, T(K::I32), {T(K::I32), T(K::F64), f2}),
      [](void *ret, void **a) {
        std::int32_t k;
        double d;
        F2 s;
        std::memcpy(&k, a[0], 4);
        std::memcpy(&d, a[1], 8);
        std::memcpy(&s, a[2], 8);
        std::int32_t r = k * 100 + static_cast<std::int32_t>(d * 10 + s.x * 2 + s.y * 4);
        std::memcpy(ret, &r, 4);
      },
      CallOptions{BackendChoice::Libffi, false});
  auto call = fn("jt_w64_call", T(K::I32), {P(), T(K::I32)}, {}, w);
  EXPECT_EQ(call.invoke<std::int32_t>(cb.code(), std::int32_t{3}), 300 + (5 + 3 + 10) + 1);
}
#endif  // __x86_64__

}  // namespace
