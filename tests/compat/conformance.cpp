// Conformance of compat/'s libffi.so.8 with libffi's documented API (doc/libffi.texi): every
// exported function, the layouts clients rely on, and the error returns.
#include <dlfcn.h>
#include <execinfo.h>
#include <ffi.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

// ---- Layouts and constants (libffi 3.4-3.8, x86-64 and AArch64 Linux) ------------------------

// What differs between the two targets (libffi's ffitarget.h for each): the trampoline area at
// the start of every closure, and the ABI list.
#if defined(__x86_64__)
constexpr std::size_t kTrampolineSize = 32;
#elif defined(__aarch64__)
constexpr std::size_t kTrampolineSize = 24;
#endif

TEST(Layout, StructsHaveLibffisSizeAndOffsets) {
  EXPECT_EQ(sizeof(ffi_type), 24u);
  EXPECT_EQ(offsetof(ffi_type, alignment), 8u);
  EXPECT_EQ(offsetof(ffi_type, type), 10u);
  EXPECT_EQ(offsetof(ffi_type, elements), 16u);
  // No FFI_EXTRA_CIF_FIELDS on either target's Linux (AArch64 has them on Apple and Windows).
  EXPECT_EQ(sizeof(ffi_cif), 32u);
  EXPECT_EQ(offsetof(ffi_cif, nargs), 4u);
  EXPECT_EQ(offsetof(ffi_cif, arg_types), 8u);
  EXPECT_EQ(offsetof(ffi_cif, rtype), 16u);
  EXPECT_EQ(offsetof(ffi_cif, bytes), 24u);
  EXPECT_EQ(offsetof(ffi_cif, flags), 28u);
  EXPECT_EQ(FFI_TRAMPOLINE_SIZE, kTrampolineSize);
#if defined(__x86_64__)
  EXPECT_EQ(sizeof(ffi_closure), 56u);
  EXPECT_EQ(sizeof(ffi_raw_closure), 72u);
  EXPECT_EQ(sizeof(ffi_java_raw_closure), 72u);
#elif defined(__aarch64__)
  EXPECT_EQ(FFI_TRAMPOLINE_CLOSURE_OFFSET, 24);
  EXPECT_EQ(sizeof(ffi_closure), 48u);
  EXPECT_EQ(sizeof(ffi_raw_closure), 64u);
  EXPECT_EQ(sizeof(ffi_java_raw_closure), 64u);
#endif
  EXPECT_EQ(alignof(ffi_closure), 8u);
  EXPECT_EQ(offsetof(ffi_closure, cif), kTrampolineSize);
  EXPECT_EQ(offsetof(ffi_closure, fun), kTrampolineSize + 8);
  EXPECT_EQ(offsetof(ffi_closure, user_data), kTrampolineSize + 16);
  EXPECT_EQ(offsetof(ffi_raw_closure, translate_args), kTrampolineSize + 8);
  EXPECT_EQ(offsetof(ffi_raw_closure, fun), kTrampolineSize + 24);
  EXPECT_EQ(offsetof(ffi_raw_closure, user_data), kTrampolineSize + 32);
  EXPECT_EQ(sizeof(ffi_go_closure), 24u);
  EXPECT_EQ(offsetof(ffi_go_closure, cif), 8u);
  EXPECT_EQ(offsetof(ffi_go_closure, fun), 16u);
  EXPECT_EQ(sizeof(ffi_raw), 8u);
  EXPECT_EQ(sizeof(ffi_java_raw), 8u);
  EXPECT_EQ(sizeof(ffi_arg), 8u);
  EXPECT_EQ(sizeof(ffi_sarg), 8u);
  EXPECT_TRUE(ffi_sarg(-1) < 0 && ffi_arg(-1) > 0);
  EXPECT_EQ(sizeof(ffi_abi), 4u);
  EXPECT_EQ(FFI_SIZEOF_ARG, 8);
  EXPECT_EQ(FFI_SIZEOF_JAVA_RAW, 8);
}

TEST(Layout, ConstantsHaveLibffisValues) {
#if defined(__x86_64__)
  EXPECT_EQ(FFI_FIRST_ABI, 1);
  EXPECT_EQ(FFI_UNIX64, 2);
  EXPECT_EQ(FFI_WIN64, 3);
  EXPECT_EQ(FFI_EFI64, 3);
  EXPECT_EQ(FFI_GNUW64, 4);
  EXPECT_EQ(FFI_LAST_ABI, 5);
  EXPECT_EQ(FFI_DEFAULT_ABI, FFI_UNIX64);
#elif defined(__aarch64__)
  EXPECT_EQ(FFI_FIRST_ABI, 0);
  EXPECT_EQ(FFI_SYSV, 1);
  EXPECT_EQ(FFI_WIN64, 2);
  EXPECT_EQ(FFI_LAST_ABI, 3);
  EXPECT_EQ(FFI_DEFAULT_ABI, FFI_SYSV);
#endif
  EXPECT_EQ(FFI_CLOSURES, 1);
  EXPECT_EQ(FFI_GO_CLOSURES, 1);
  EXPECT_EQ(FFI_NATIVE_RAW_API, 0);
  EXPECT_EQ(FFI_OK, 0);
  EXPECT_EQ(FFI_BAD_TYPEDEF, 1);
  EXPECT_EQ(FFI_BAD_ABI, 2);
  EXPECT_EQ(FFI_BAD_ARGTYPE, 3);
  const int codes[] = {FFI_TYPE_VOID,       FFI_TYPE_INT,    FFI_TYPE_FLOAT,   FFI_TYPE_DOUBLE,
                       FFI_TYPE_LONGDOUBLE, FFI_TYPE_UINT8,  FFI_TYPE_SINT8,   FFI_TYPE_UINT16,
                       FFI_TYPE_SINT16,     FFI_TYPE_UINT32, FFI_TYPE_SINT32,  FFI_TYPE_UINT64,
                       FFI_TYPE_SINT64,     FFI_TYPE_STRUCT, FFI_TYPE_POINTER, FFI_TYPE_COMPLEX};
  for (int i = 0; i < 16; ++i) EXPECT_EQ(codes[i], i);
  EXPECT_EQ(FFI_TYPE_LAST, FFI_TYPE_COMPLEX);
  EXPECT_EQ(FFI_TYPE_UINT128, 16);
  EXPECT_EQ(FFI_TYPE_SINT128, 17);
}

TEST(Layout, BuiltinTypes) {
  struct {
    ffi_type *t;
    size_t size;
    unsigned short align, code;
  } cases[] = {{&ffi_type_void, 1, 1, FFI_TYPE_VOID},
               {&ffi_type_uint8, 1, 1, FFI_TYPE_UINT8},
               {&ffi_type_sint8, 1, 1, FFI_TYPE_SINT8},
               {&ffi_type_uint16, 2, 2, FFI_TYPE_UINT16},
               {&ffi_type_sint16, 2, 2, FFI_TYPE_SINT16},
               {&ffi_type_uint32, 4, 4, FFI_TYPE_UINT32},
               {&ffi_type_sint32, 4, 4, FFI_TYPE_SINT32},
               {&ffi_type_uint64, 8, 8, FFI_TYPE_UINT64},
               {&ffi_type_sint64, 8, 8, FFI_TYPE_SINT64},
               {&ffi_type_float, 4, 4, FFI_TYPE_FLOAT},
               {&ffi_type_double, 8, 8, FFI_TYPE_DOUBLE},
               {&ffi_type_longdouble, 16, 16, FFI_TYPE_LONGDOUBLE},
               {&ffi_type_pointer, 8, 8, FFI_TYPE_POINTER},
               {&ffi_type_complex_float, 8, 4, FFI_TYPE_COMPLEX},
               {&ffi_type_complex_double, 16, 8, FFI_TYPE_COMPLEX},
               {&ffi_type_complex_longdouble, 32, 16, FFI_TYPE_COMPLEX},
               {&ffi_type_uint128, 16, 16, FFI_TYPE_UINT128},
               {&ffi_type_sint128, 16, 16, FFI_TYPE_SINT128}};
  for (auto &c : cases) {
    EXPECT_EQ(c.t->size, c.size);
    EXPECT_EQ(c.t->alignment, c.align);
    EXPECT_EQ(c.t->type, c.code);
  }
  EXPECT_EQ(ffi_type_complex_double.elements[0], &ffi_type_double);
  EXPECT_EQ(ffi_type_complex_double.elements[1], nullptr);
}

TEST(Version, Functions) {
  EXPECT_STREQ(ffi_get_version(), FFI_VERSION_STRING);
  EXPECT_EQ(ffi_get_version_number(), 30800ul);
  EXPECT_EQ(ffi_get_default_abi(), unsigned(FFI_DEFAULT_ABI));
  EXPECT_EQ(ffi_get_closure_size(), sizeof(ffi_closure));
}

TEST(Version, SymbolsCarryLibffisVersionNodes) {
  struct {
    const char *name, *version;
  } syms[] = {{"ffi_call", "LIBFFI_BASE_8.0"},
              {"ffi_type_sint32", "LIBFFI_BASE_8.0"},
              {"ffi_get_version", "LIBFFI_BASE_8.1"},
              {"ffi_type_complex_double", "LIBFFI_COMPLEX_8.0"},
              {"ffi_closure_alloc", "LIBFFI_CLOSURE_8.0"},
              {"ffi_prep_go_closure", "LIBFFI_GO_CLOSURE_8.0"},
              {"ffi_type_sint128", "LIBFFI_INT128_8.3"},
              {"ffi_call_plan_alloc", "LIBFFI_CALL_PLAN_8.4"},
              {"ffi_call_plan_size", "LIBFFI_CALL_PLAN_8.5"}};
  for (auto &s : syms) {
    void *p = dlvsym(RTLD_DEFAULT, s.name, s.version);
    EXPECT_NE(p, nullptr) << s.name << "@" << s.version;
  }
  EXPECT_EQ(dlvsym(RTLD_DEFAULT, "ffi_call", "LIBFFI_BASE_8.0"),
            reinterpret_cast<void *>(&ffi_call));
  // Nothing of jitffi or asmjit leaks out.
  EXPECT_EQ(dlsym(RTLD_DEFAULT, "_ZN6jitffi6detail11jit_backendEv"), nullptr);
}

// ---- ffi_prep_cif / ffi_prep_cif_var -----------------------------------------------------------

TEST(PrepCif, SetsTheDocumentedFields) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32, &ffi_type_double};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_float, args), FFI_OK);
  EXPECT_EQ(cif.abi, FFI_DEFAULT_ABI);
  EXPECT_EQ(cif.nargs, 2u);
  EXPECT_EQ(cif.arg_types, args);
  EXPECT_EQ(cif.rtype, &ffi_type_float);
}

TEST(PrepCif, BadAbi) {
  ffi_cif cif;
  EXPECT_EQ(ffi_prep_cif(&cif, ffi_abi(0), 0, &ffi_type_void, nullptr), FFI_BAD_ABI);
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_FIRST_ABI, 0, &ffi_type_void, nullptr), FFI_BAD_ABI);
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_LAST_ABI, 0, &ffi_type_void, nullptr), FFI_BAD_ABI);
  EXPECT_EQ(ffi_prep_cif(&cif, ffi_abi(77), 0, &ffi_type_void, nullptr), FFI_BAD_ABI);
  EXPECT_EQ(ffi_prep_cif_var(&cif, ffi_abi(0), 0, 0, &ffi_type_void, nullptr), FFI_BAD_ABI);
}

int sub_sysv(int a, int b) {
  return a - b;
}
#if defined(__x86_64__)
__attribute__((ms_abi)) int sub_ms(int a, int b) {
  return a - b;
}
#endif

TEST(PrepCif, EveryAbiOfTheTargetCalls) {
  struct {
    ffi_abi abi;
    void (*fn)(void);
  } cases[] = {
#if defined(__x86_64__)
    {FFI_UNIX64, FFI_FN(sub_sysv)},
    {FFI_WIN64, FFI_FN(sub_ms)},
    {FFI_EFI64, FFI_FN(sub_ms)},
    {FFI_GNUW64, FFI_FN(sub_ms)},
#elif defined(__aarch64__)
    // FFI_WIN64 is windows_arm64, which places fixed int arguments as AAPCS64 does.
    {FFI_SYSV, FFI_FN(sub_sysv)},
    {FFI_WIN64, FFI_FN(sub_sysv)},
#endif
  };
  for (int abi = FFI_FIRST_ABI + 1; abi < FFI_LAST_ABI; ++abi)  // every value libffi accepts
    ASSERT_TRUE(std::any_of(std::begin(cases), std::end(cases), [&](auto &c) {
      return c.abi == abi;
    })) << abi;
  for (auto &c : cases) {
    ffi_cif cif;
    ffi_type *args[] = {&ffi_type_sint32, &ffi_type_sint32};
    ASSERT_EQ(ffi_prep_cif(&cif, c.abi, 2, &ffi_type_sint32, args), FFI_OK) << c.abi;
    EXPECT_EQ(cif.abi, c.abi);
    int a = 50, b = 8;
    void *vals[] = {&a, &b};
    ffi_arg r = 0;
    ffi_call(&cif, c.fn, &r, vals);
    EXPECT_EQ(int(r), 42) << c.abi;
  }
}

#if defined(__x86_64__)
struct MsBig {
  long long a, b, c;
};
struct MsPair {
  double x, y;
};
struct MsSmall {
  int lo, hi;
};
// A result in memory (its pointer in rcx, where SysV's fourth argument arrives), integer and
// double arguments in rdx, xmm2, r9 and on the stack, an aggregate passed by reference.
__attribute__((ms_abi)) MsBig ms_big(int a, double b, long long c, MsPair p, int d, double e) {
  return {a + c, static_cast<long long>(b * e + p.x), d + static_cast<long long>(p.y)};
}
__attribute__((ms_abi)) MsSmall ms_small(long long a, long long b, long long c, long long d,
                                         long long e) {
  return {int(a + b + c), int(d * e)};
}

// FFI_WIN64 cifs on x86-64 through ffi_call: their stubs are SysV functions in ffi_call's shape
// whose Win64 argument registers overlap the stub's own inputs (rcx, rdx).
TEST(Call, Win64CifsWithResultsInMemoryAndOnTheStack) {
  ffi_type *pair_el[] = {&ffi_type_double, &ffi_type_double, nullptr};
  ffi_type pair = {0, 0, FFI_TYPE_STRUCT, pair_el};
  ffi_type *big_el[] = {&ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64, nullptr};
  ffi_type big = {0, 0, FFI_TYPE_STRUCT, big_el};
  ffi_type *small_el[] = {&ffi_type_sint32, &ffi_type_sint32, nullptr};
  ffi_type small = {0, 0, FFI_TYPE_STRUCT, small_el};

  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32, &ffi_type_double, &ffi_type_sint64, &pair,
                      &ffi_type_sint32, &ffi_type_double};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_WIN64, 6, &big, args), FFI_OK);
  int a = 3, d = 5;
  double b = 2.5, e = 4;
  long long c = 10;
  MsPair p = {1, 7};
  void *vals[] = {&a, &b, &c, &p, &d, &e};
  MsBig r{};
  ffi_call(&cif, FFI_FN(ms_big), &r, vals);
  EXPECT_EQ(r.a, 13);
  EXPECT_EQ(r.b, 11);
  EXPECT_EQ(r.c, 12);
  EXPECT_EQ(p.x, 1);  // the callee's copy, not the caller's
  ffi_call(&cif, FFI_FN(ms_big), nullptr, vals);

  ffi_cif cif2;
  ffi_type *args2[] = {&ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64,
                       &ffi_type_sint64};
  ASSERT_EQ(ffi_prep_cif(&cif2, FFI_WIN64, 5, &small, args2), FFI_OK);
  long long v[5] = {1, 2, 3, 6, 7};
  void *vals2[] = {&v[0], &v[1], &v[2], &v[3], &v[4]};
  MsSmall s{};
  ffi_call(&cif2, FFI_FN(ms_small), &s, vals2);
  EXPECT_EQ(s.lo, 6);
  EXPECT_EQ(s.hi, 42);
}
#endif

#if defined(__aarch64__)
// What a Windows on ARM64 callee of `long long f(int, ...)` finds in x1 for a double passed
// after the `...`: the double's bits ([MS]: variadic arguments go in x registers only). Read
// here as the second integer argument of a Linux function.
long long second_x_register(int, long long x1) {
  return x1;
}

TEST(PrepCif, Win64OnAarch64UsesTheWindowsVariadicRules) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32, &ffi_type_double};
  ASSERT_EQ(ffi_prep_cif_var(&cif, FFI_WIN64, 1, 2, &ffi_type_sint64, args), FFI_OK);
  int a = 1;
  double d = 2.5;
  void *vals[] = {&a, &d};
  long long r = 0;
  ffi_call(&cif, FFI_FN(second_x_register), &r, vals);
  long long bits;
  std::memcpy(&bits, &d, sizeof bits);
  EXPECT_EQ(r, bits) << "the double after ... is not in x1";
  // The same call as FFI_SYSV puts the double in v0: x1 does not hold it.
  ASSERT_EQ(ffi_prep_cif_var(&cif, FFI_SYSV, 1, 2, &ffi_type_sint64, args), FFI_OK);
  long long sysv_x1 = 0x5a5a;
  ffi_call(&cif, FFI_FN(second_x_register), &sysv_x1, vals);
  EXPECT_NE(sysv_x1, bits);
}

// long double is double on Windows: a 16-byte ffi_type_longdouble cannot be passed as FFI_WIN64,
// and the real libffi (SYSV rules) must not take it over.
TEST(PrepCif, Win64OnAarch64RefusesWhatTheJitCannotServe) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_longdouble};
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_WIN64, 1, &ffi_type_void, args), FFI_BAD_ABI);
  ffi_type *ok[] = {&ffi_type_double};
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_WIN64, 1, &ffi_type_double, ok), FFI_OK);
}
#endif

TEST(PrepCif, BadTypedef) {
  ffi_cif cif;
  ffi_type no_list = {0, 0, FFI_TYPE_STRUCT, nullptr};
  ffi_type *empty_list[] = {nullptr};
  ffi_type empty = {0, 0, FFI_TYPE_STRUCT, empty_list};
  ffi_type *inner_bad[] = {&ffi_type_sint32, &no_list, nullptr};
  ffi_type nested = {0, 0, FFI_TYPE_STRUCT, inner_bad};
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 0, &no_list, nullptr), FFI_BAD_TYPEDEF);
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 0, &empty, nullptr), FFI_BAD_TYPEDEF);
  ffi_type *args[] = {&nested};
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_void, args), FFI_BAD_TYPEDEF);
  ffi_type *nullarg[] = {nullptr};
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_void, nullarg), FFI_BAD_TYPEDEF);
}

TEST(PrepCif, LaysOutStructsOfSizeZeroAndKeepsPresetSizes) {
  ffi_type *elems[] = {&ffi_type_sint8, &ffi_type_double, &ffi_type_sint16, nullptr};
  ffi_type s = {0, 0, FFI_TYPE_STRUCT, elems};
  ffi_cif cif;
  ffi_type *args[] = {&s};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_void, args), FFI_OK);
  EXPECT_EQ(s.size, 24u);
  EXPECT_EQ(s.alignment, 8);
  // A size the client set is kept (ctypes presets every struct's size).
  ffi_type *one[] = {&ffi_type_sint32, nullptr};
  ffi_type preset = {16, 8, FFI_TYPE_STRUCT, one};
  args[0] = &preset;
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_void, args), FFI_OK);
  EXPECT_EQ(preset.size, 16u);
  EXPECT_EQ(preset.alignment, 8);
}

TEST(PrepCifVar, PromotionRules) {
  ffi_cif cif;
  ffi_type *ok[] = {&ffi_type_pointer, &ffi_type_sint32, &ffi_type_double, &ffi_type_pointer,
                    &ffi_type_sint64};
  EXPECT_EQ(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 1, 5, &ffi_type_sint32, ok), FFI_OK);
  for (ffi_type *bad :
       {&ffi_type_float, &ffi_type_sint8, &ffi_type_uint8, &ffi_type_sint16, &ffi_type_uint16}) {
    ffi_type *args[] = {&ffi_type_pointer, bad};
    EXPECT_EQ(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 1, 2, &ffi_type_sint32, args),
              FFI_BAD_ARGTYPE)
        << bad->type;
    // The same types are fine among the fixed arguments.
    EXPECT_EQ(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 2, 2, &ffi_type_sint32, args), FFI_OK);
  }
  EXPECT_EQ(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 3, 2, &ffi_type_sint32, ok), FFI_BAD_ARGTYPE);
}

// ---- ffi_call ----------------------------------------------------------------------------------

template <class T>
T identity(T v) {
  return v;
}

template <class T>
void expect_roundtrip(ffi_type *t, T v) {
  ffi_cif cif;
  ffi_type *args[] = {t};
  void *vals[] = {&v};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, t, args), FFI_OK);
  alignas(16) unsigned char r[32];
  std::memset(r, 0xa5, sizeof r);
  ffi_call(&cif, FFI_FN(&identity<T>), r, vals);
  if constexpr (std::is_integral_v<T> && sizeof(T) < sizeof(ffi_arg)) {
    // Narrow integers are returned widened to a whole ffi_arg.
    ffi_arg full;
    std::memcpy(&full, r, sizeof full);
    if constexpr (std::is_signed_v<T>)
      EXPECT_EQ(ffi_sarg(full), ffi_sarg(v));
    else
      EXPECT_EQ(full, ffi_arg(v));
  } else {
    T got;
    std::memcpy(&got, r, sizeof got);
    EXPECT_TRUE(got == v) << "type code " << t->type;
  }
  // Nothing past the result (a whole ffi_arg for narrow integers): clients size the buffer so.
  const std::size_t written =
      std::is_integral_v<T> ? std::max(sizeof(T), sizeof(ffi_arg)) : sizeof(T);
  for (std::size_t i = written; i < sizeof r; ++i)
    EXPECT_EQ(r[i], 0xa5) << "type code " << t->type << ": byte " << i << " written";
}

// A C _Complex value (no imaginary literals in ISO C++).
#define JITFFI_CX(F)             \
  __complex__ F cx(F re, F im) { \
    __complex__ F z;             \
    __real__ z = re;             \
    __imag__ z = im;             \
    return z;                    \
  }
JITFFI_CX(float)
JITFFI_CX(double)
JITFFI_CX(long double)

__complex__ double cx_scaled(__complex__ double z, __int128 k) {
  return z * double(k);
}

TEST(PrepCif, TypeCodesNoLibffiKnowsAreBadTypedef) {
  // What the JIT cannot serve goes to the real libffi, which must never see a code it does not
  // know: libffi 3.4's arm64 build aborts on one.
  ffi_cif cif;
  ffi_type odd = {4, 4, 99, nullptr};
  ffi_type *in_struct[] = {&ffi_type_sint32, &odd, nullptr};
  ffi_type s = {0, 0, FFI_TYPE_STRUCT, in_struct};
  ffi_type *args[] = {&odd};
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_void, args), FFI_BAD_TYPEDEF);
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 0, &odd, nullptr), FFI_BAD_TYPEDEF);
  args[0] = &s;
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_void, args), FFI_BAD_TYPEDEF);
  // A complex number sends the cif to the real libffi, and __int128 is only libffi 3.6's: either
  // that libffi serves it, or the answer is FFI_BAD_TYPEDEF.
  ffi_type *cargs[] = {&ffi_type_complex_double, &ffi_type_sint128};
  const ffi_status st = ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_complex_double, cargs);
  ASSERT_TRUE(st == FFI_OK || st == FFI_BAD_TYPEDEF) << st;
  if (st == FFI_OK) {
    __complex__ double z = cx(1.0, 2.0), r = 0;
    __int128 k = 3;
    void *vals[] = {&z, &k};
    ffi_call(&cif, FFI_FN(cx_scaled), &r, vals);
    EXPECT_TRUE(r == cx(3.0, 6.0));
  }
}

TEST(Call, EveryScalarType) {
  expect_roundtrip<std::uint8_t>(&ffi_type_uint8, 200);
  expect_roundtrip<std::int8_t>(&ffi_type_sint8, -100);
  expect_roundtrip<std::uint16_t>(&ffi_type_uint16, 60000);
  expect_roundtrip<std::int16_t>(&ffi_type_sint16, -30000);
  expect_roundtrip<std::uint32_t>(&ffi_type_uint32, 4000000000u);
  expect_roundtrip<std::int32_t>(&ffi_type_sint32, -2000000000);
  expect_roundtrip<std::uint64_t>(&ffi_type_uint64, 0xfedcba9876543210ull);
  expect_roundtrip<std::int64_t>(&ffi_type_sint64, -(1ll << 62));
  expect_roundtrip<float>(&ffi_type_float, 1.5f);
  expect_roundtrip<double>(&ffi_type_double, -2.25);
  expect_roundtrip<long double>(&ffi_type_longdouble, 1.0L / 3);
  expect_roundtrip<void *>(&ffi_type_pointer, reinterpret_cast<void *>(0x1234));
  expect_roundtrip<__int128>(&ffi_type_sint128, (__int128(1) << 100) - 7);
  // C's _Complex types (std::complex is a class, passed as a struct).
  expect_roundtrip<__complex__ float>(&ffi_type_complex_float, cx(1.5f, -2.0f));
  expect_roundtrip<__complex__ double>(&ffi_type_complex_double, cx(3.0, 4.0));
  expect_roundtrip<__complex__ long double>(&ffi_type_complex_longdouble, cx(5.0L, -6.0L));
}

double many(int a, double b, int c, double d, int e, double f, int g, double h, int i, double j,
            int k, double l, int m, double n, int o, double p, int q, double r, float s) {
  return a + b + c + d + e + f + g + h + i + j + k + l + m + n + o + p + q + r + s;
}

TEST(Call, StackArguments) {
  int iv[9];
  double dv[9];
  float s = 0.5f;
  std::vector<ffi_type *> types;
  std::vector<void *> vals;
  double expect = 0;
  for (int i = 0; i < 9; ++i) {
    iv[i] = i + 1;
    dv[i] = (i + 1) * 0.25;
    types.push_back(&ffi_type_sint32);
    vals.push_back(&iv[i]);
    types.push_back(&ffi_type_double);
    vals.push_back(&dv[i]);
    expect += iv[i] + dv[i];
  }
  types.push_back(&ffi_type_float);
  vals.push_back(&s);
  expect += s;
  ffi_cif cif;
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 19, &ffi_type_double, types.data()), FFI_OK);
  double r = 0;
  ffi_call(&cif, FFI_FN(many), &r, vals.data());
  EXPECT_EQ(r, expect);
}

template <int N>
struct Bytes {
  unsigned char b[N];
};
template <int N>
Bytes<N> bump(Bytes<N> v) {
  for (auto &c : v.b) c = static_cast<unsigned char>(c + 1);
  return v;
}

template <int N>
void expect_bytes_struct() {
  std::vector<ffi_type *> elems(N, &ffi_type_uint8);
  elems.push_back(nullptr);
  ffi_type t = {0, 0, FFI_TYPE_STRUCT, elems.data()};
  ffi_cif cif;
  ffi_type *args[] = {&t};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &t, args), FFI_OK);
  Bytes<N> in;
  for (int i = 0; i < N; ++i) in.b[i] = static_cast<unsigned char>(i * 7);
  const Bytes<N> before = in;
  void *vals[] = {&in};
  // The result buffer is exactly the struct, followed by a guard: libffi writes rtype->size
  // bytes, even for a struct that comes back in registers.
  unsigned char out[N + 16];
  std::memset(out, 0xee, sizeof out);
  ffi_call(&cif, FFI_FN(bump<N>), out, vals);
  for (int i = 0; i < N; ++i) EXPECT_EQ(out[i], static_cast<unsigned char>(i * 7 + 1)) << N;
  for (int i = N; i < N + 16; ++i) EXPECT_EQ(out[i], 0xee) << "written past a struct of " << N;
  // By value: the callee changed its own copy (AArch64 passes structs over 16 bytes as a pointer
  // to a copy the caller makes), never the client's argument.
  EXPECT_EQ(std::memcmp(&in, &before, N), 0) << N;
}

TEST(Call, StructsOfEverySizeUpTo33Bytes) {
  expect_bytes_struct<1>();
  expect_bytes_struct<3>();
  expect_bytes_struct<7>();
  expect_bytes_struct<8>();
  expect_bytes_struct<9>();
  expect_bytes_struct<12>();
  expect_bytes_struct<16>();
  expect_bytes_struct<17>();
  expect_bytes_struct<24>();
  expect_bytes_struct<33>();
}

struct DL {
  double d;
  long l;
};
DL make_dl(double d, long l) {
  return {d, l};
}
void nothing() {}
struct Three {
  long long a, b, c;
};
Three make_three(long long v) {
  return {v, v + 1, v + 2};
}

TEST(Call, NullRvalueDiscardsTheResult) {
  ffi_type *elems[] = {&ffi_type_double, &ffi_type_slong, nullptr};
  ffi_type t = {0, 0, FFI_TYPE_STRUCT, elems};
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_double, &ffi_type_slong};
  double d = 1;
  long l = 2;
  void *vals[] = {&d, &l};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &t, args), FFI_OK);
  ffi_call(&cif, FFI_FN(make_dl), nullptr, vals);
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 0, &ffi_type_void, nullptr), FFI_OK);
  ffi_call(&cif, FFI_FN(nothing), nullptr, nullptr);
  // A result returned in memory: the callee still gets somewhere to write it.
  ffi_type *elems3[] = {&ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64, nullptr};
  ffi_type t3 = {0, 0, FFI_TYPE_STRUCT, elems3};
  ffi_type *arg3[] = {&ffi_type_sint64};
  long long v = 7;
  void *val3[] = {&v};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &t3, arg3), FFI_OK);
  ffi_call(&cif, FFI_FN(make_three), nullptr, val3);
  Three three{};
  ffi_call(&cif, FFI_FN(make_three), &three, val3);
  EXPECT_EQ(three.c, 9);
}

int plus_one(int x) {
  return x + 1;
}

// ffi_call jumps by the low bits of a cif's flags into a stub that checks the rest of the cif
// (flags, abi, nargs): any cif it was not made for goes the slow way, which says what is wrong.
TEST(CallDeathTest, UnpreparedOrChangedCifDies) {
  GTEST_FLAG_SET(death_test_style, std::getenv("JITFFI_EMULATOR") ? "fast" : "threadsafe");
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint32, args), FFI_OK);
  int x = 41;
  void *vals[] = {&x};
  ffi_arg r = 0;
  ffi_call(&cif, FFI_FN(plus_one), &r, vals);
  EXPECT_EQ(int(r), 42);
  const char *const msg = "ffi_call: the cif was not prepared by ffi_prep_cif";
  ffi_cif zero{};
  EXPECT_DEATH(ffi_call(&zero, FFI_FN(plus_one), &r, vals), msg);
  EXPECT_DEATH(ffi_call(nullptr, FFI_FN(plus_one), &r, vals), msg);
  ffi_cif c = cif;
  c.nargs = 2;
  EXPECT_DEATH(ffi_call(&c, FFI_FN(plus_one), &r, vals), msg);
  c = cif;
  c.abi = ffi_abi(int(c.abi) + 1);
  EXPECT_DEATH(ffi_call(&c, FFI_FN(plus_one), &r, vals), msg);
  c = cif;
  c.flags ^= 1u << 30;  // same low bits, not our flags
  EXPECT_DEATH(ffi_call(&c, FFI_FN(plus_one), &r, vals), msg);
  c = cif;
  c.flags += 1u << 16;  // same low bits, an entry never made
  EXPECT_DEATH(ffi_call(&c, FFI_FN(plus_one), &r, vals), msg);
  ffi_call(&cif, FFI_FN(plus_one), &r, vals);  // the cif itself still calls
  EXPECT_EQ(int(r), 42);
}

// More signatures than ffi_call's 4096 fast slots: each later one shares a slot with an earlier
// one, whose stub sends it the slow way; both call right, first and again afterwards. The result
// kinds cycle with period 7, so slot-sharing cifs (4096 apart) differ in how the result widens:
// a wrong stub would give a wrong result.
long long minus_one_minus(int x) {
  return -static_cast<long long>(x) - 1;
}

TEST(Call, MoreSignaturesThanFastSlots) {
  ffi_type *const kinds[] = {&ffi_type_uint8,  &ffi_type_sint8,  &ffi_type_uint16, &ffi_type_sint16,
                             &ffi_type_uint32, &ffi_type_sint32, &ffi_type_uint64, &ffi_type_sint64,
                             &ffi_type_float,  &ffi_type_double};
  auto widened = [](int kind, long long v) -> ffi_arg {  // libffi widens results to ffi_arg
    switch (kind) {
      case 0:
        return std::uint8_t(v);
      case 1:
        return ffi_arg(ffi_sarg(std::int8_t(v)));
      case 2:
        return std::uint16_t(v);
      case 3:
        return ffi_arg(ffi_sarg(std::int16_t(v)));
      case 4:
        return std::uint32_t(v);
      case 5:
        return ffi_arg(ffi_sarg(std::int32_t(v)));
      default:
        return ffi_arg(v);
    }
  };
  constexpr int kCount = 5000;  // distinct: result kind n % 7, four ignored arguments of ten kinds
  std::vector<ffi_cif> cifs(kCount);
  std::vector<std::array<ffi_type *, 5>> types(kCount);
  alignas(8) unsigned char zero[8] = {};  // every kind's zero
  auto call = [&](int n) {
    int x = n;
    void *vals[] = {&x, zero, zero, zero, zero};
    ffi_arg r = 0;
    ffi_call(&cifs[n], FFI_FN(minus_one_minus), &r, vals);  // the callee ignores the other four
    return r;
  };
  for (int n = 0; n < kCount; ++n) {
    const int m = n / 7;
    types[n] = {&ffi_type_sint32, kinds[m % 10], kinds[m / 10 % 10], kinds[m / 100 % 10],
                kinds[m / 1000 % 10]};
    ASSERT_EQ(ffi_prep_cif(&cifs[n], FFI_DEFAULT_ABI, 5, kinds[n % 7], types[n].data()), FFI_OK);
    ASSERT_EQ(call(n), widened(n % 7, -n - 1)) << "signature " << n;
  }
  for (int n = 0; n < kCount; ++n)
    ASSERT_EQ(call(n), widened(n % 7, -n - 1)) << "signature " << n << ", again";
}

union IF {
  int i;
  float f;
};
int union_bits(IF u) {
  return u.i;
}

TEST(Call, CtypesUnionConventionAsLibffi) {
  // ctypes describes a union as a struct of all its members with the union's size preset.
  ffi_type *elems[] = {&ffi_type_sint32, &ffi_type_float, nullptr};
  ffi_type u = {4, 4, FFI_TYPE_STRUCT, elems};
  ffi_cif cif;
  ffi_type *args[] = {&u};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint32, args), FFI_OK);
  EXPECT_EQ(u.size, 4u);
  IF v;
  v.i = 0x12345678;
  void *vals[] = {&v};
  ffi_arg r = 0;
  ffi_call(&cif, FFI_FN(union_bits), &r, vals);
  EXPECT_EQ(int(r), 0x12345678);
}

TEST(Call, CifReusedAtTheSameAddressWithOtherTypes) {
  for (int round = 0; round < 3; ++round) {
    ffi_cif cif;  // same stack slot each time, different signatures
    if (round % 2 == 0) {
      ffi_type *args[] = {&ffi_type_double};
      double v = 2.5, r = 0;
      void *vals[] = {&v};
      ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_double, args), FFI_OK);
      ffi_call(&cif, FFI_FN(identity<double>), &r, vals);
      EXPECT_EQ(r, 2.5);
    } else {
      ffi_type *args[] = {&ffi_type_sint16};
      std::int16_t v = -7;
      ffi_arg r = 0;
      void *vals[] = {&v};
      ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint16, args), FFI_OK);
      ffi_call(&cif, FFI_FN(identity<std::int16_t>), &r, vals);
      EXPECT_EQ(ffi_sarg(r), -7);
    }
  }
}

// ffi_prep_cif remembers shapes by their ffi_type pointers, checked against the contents: a type
// changed in place (or freed and reallocated at the same address) is prepared anew.
struct Pair {
  double a, b;
};
struct Triple {
  std::int64_t a, b, c;
};
Pair swap_pair(Pair p) {
  return {p.b, p.a};
}
Triple rotate_triple(Triple t) {
  return {t.c, t.a, t.b};
}
TEST(PrepCif, TypesChangedInPlaceArePreparedAgain) {
  ffi_type *pair_elems[] = {&ffi_type_double, &ffi_type_double, nullptr};
  ffi_type *triple_elems[] = {&ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64, nullptr};
  ffi_type st{0, 0, FFI_TYPE_STRUCT, pair_elems};  // one address, two meanings in turn
  ffi_type *args[] = {&st};
  for (int round = 0; round < 4; ++round) {
    ffi_cif cif;
    if (round % 2 == 0) {
      st = {0, 0, FFI_TYPE_STRUCT, pair_elems};
      for (int again = 0; again < 2; ++again) {  // the second prep is served from the cache
        ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &st, args), FFI_OK);
        EXPECT_EQ(st.size, sizeof(Pair));
        Pair in{1.5, -2.5}, out{};
        void *vals[] = {&in};
        ffi_call(&cif, FFI_FN(swap_pair), &out, vals);
        EXPECT_EQ(out.a, -2.5);
        EXPECT_EQ(out.b, 1.5);
      }
    } else {
      st = {0, 0, FFI_TYPE_STRUCT, triple_elems};
      for (int again = 0; again < 2; ++again) {
        ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &st, args), FFI_OK);
        EXPECT_EQ(st.size, sizeof(Triple));
        Triple in{1, 2, 3}, out{};
        void *vals[] = {&in};
        ffi_call(&cif, FFI_FN(rotate_triple), &out, vals);
        EXPECT_EQ(out.a, 3);
        EXPECT_EQ(out.b, 1);
        EXPECT_EQ(out.c, 2);
      }
    }
  }
  // An element list changed in place (same list address, other element) is seen too.
  ffi_type inner{0, 0, FFI_TYPE_STRUCT, pair_elems};
  ffi_type *outer_elems[] = {&inner, nullptr};
  ffi_type outer{0, 0, FFI_TYPE_STRUCT, outer_elems};
  ffi_type *oargs[] = {&outer};
  ffi_cif cif;
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &outer, oargs), FFI_OK);
  EXPECT_EQ(outer.size, sizeof(Pair));
  outer_elems[0] = &ffi_type_sint64;  // now {int64}
  outer.size = 0;
  outer.alignment = 0;
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &outer, oargs), FFI_OK);
  EXPECT_EQ(outer.size, 8u);
  std::int64_t in = -42, out = 0;
  void *vals[] = {&in};
  ffi_call(&cif, FFI_FN(identity<std::int64_t>), &out, vals);
  EXPECT_EQ(out, -42);
  // A scalar type object of the client's, changed from int64 to double at the same address.
  ffi_type mine = ffi_type_sint64;
  ffi_type *margs[] = {&mine};
  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &mine, margs), FFI_OK);
    ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &mine, margs), FFI_OK);
    if (round == 0) {
      std::int64_t i = 7, o = 0;
      void *v[] = {&i};
      ffi_call(&cif, FFI_FN(identity<std::int64_t>), &o, v);
      EXPECT_EQ(o, 7);
      mine = ffi_type_double;
    } else {
      double d = 0.25, o = 0;
      void *v[] = {&d};
      ffi_call(&cif, FFI_FN(identity<double>), &o, v);
      EXPECT_EQ(o, 0.25);
    }
  }
}

TEST(Call, Variadic) {
  char buf[64];
  char *p = buf;
  std::size_t n = sizeof buf;
  const char *fmt = "%s|%d|%g|%ld";
  const char *s = "x";
  int i = -3;
  double d = 0.5;
  long l = 1l << 40;
  ffi_type *args[] = {&ffi_type_pointer, &ffi_type_uint64, &ffi_type_pointer, &ffi_type_pointer,
                      &ffi_type_sint32,  &ffi_type_double, &ffi_type_sint64};
  void *vals[] = {&p, &n, &fmt, &s, &i, &d, &l};
  ffi_cif cif;
  ASSERT_EQ(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 3, 7, &ffi_type_sint32, args), FFI_OK);
  ffi_arg r = 0;
  ffi_call(&cif, FFI_FN(std::snprintf), &r, vals);
  EXPECT_STREQ(buf, "x|-3|0.5|1099511627776");
  EXPECT_EQ(int(r), int(std::strlen(buf)));
}

[[noreturn]] int thrower(int v) {
  throw std::runtime_error("from callee " + std::to_string(v));
}

TEST(Call, CxxExceptionFromTheCalleeUnwindsThroughFfiCall) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32};
  int v = 5;
  void *vals[] = {&v};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint32, args), FFI_OK);
  ffi_arg r;
  try {
    ffi_call(&cif, FFI_FN(thrower), &r, vals);
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "from callee 5");
  }
}

TEST(Call, ConcurrentPrepAndCall) {
  std::vector<std::thread> ts;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int k = 0; k < 2000; ++k) {
        ffi_cif cif;
        ffi_type *args[] = {(k + t) % 2 ? &ffi_type_sint64 : &ffi_type_double};
        if ((k + t) % 2) {
          std::int64_t v = k, r = 0;
          void *vals[] = {&v};
          if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint64, args) != FFI_OK) ++bad;
          ffi_call(&cif, FFI_FN(identity<std::int64_t>), &r, vals);
          if (r != k) ++bad;
        } else {
          double v = k, r = 0;
          void *vals[] = {&v};
          if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_double, args) != FFI_OK) ++bad;
          ffi_call(&cif, FFI_FN(identity<double>), &r, vals);
          if (r != k) ++bad;
        }
      }
    });
  for (auto &t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// ---- Structs of floating-point members (AArch64's HFAs, x86-64's SSE eightbytes) --------------

struct F2 {
  float a, b;
};
struct F3 {
  float a, b, c;
};
struct D2 {
  double a, b;
};
struct D4 {
  double a, b, c, d;
};
struct FD {  // not homogeneous: general registers on AArch64, one SSE eightbyte each on x86-64
  float f;
  double d;
};
struct LD2 {  // an HFA of quads on AArch64 (q0, q1), in memory on x86-64
  long double a, b;
};
bool operator==(F2 x, F2 y) {
  return x.a == y.a && x.b == y.b;
}
bool operator==(F3 x, F3 y) {
  return x.a == y.a && x.b == y.b && x.c == y.c;
}
bool operator==(D2 x, D2 y) {
  return x.a == y.a && x.b == y.b;
}
bool operator==(D4 x, D4 y) {
  return x.a == y.a && x.b == y.b && x.c == y.c && x.d == y.d;
}
bool operator==(FD x, FD y) {
  return x.f == y.f && x.d == y.d;
}
bool operator==(LD2 x, LD2 y) {
  return x.a == y.a && x.b == y.b;
}

F2 twice(F2 v) {
  return {2 * v.a, 2 * v.b};
}
F3 twice(F3 v) {
  return {2 * v.a, 2 * v.b, 2 * v.c};
}
D2 twice(D2 v) {
  return {2 * v.a, 2 * v.b};
}
D4 twice(D4 v) {
  return {2 * v.a, 2 * v.b, 2 * v.c, 2 * v.d};
}
FD twice(FD v) {
  return {2 * v.f, 2 * v.d};
}
LD2 twice(LD2 v) {
  return {2 * v.a, 2 * v.b};
}

ffi_type *f2_elems[] = {&ffi_type_float, &ffi_type_float, nullptr};
ffi_type *f3_elems[] = {&ffi_type_float, &ffi_type_float, &ffi_type_float, nullptr};
ffi_type *d2_elems[] = {&ffi_type_double, &ffi_type_double, nullptr};
ffi_type *d4_elems[] = {&ffi_type_double, &ffi_type_double, &ffi_type_double, &ffi_type_double,
                        nullptr};
ffi_type *fd_elems[] = {&ffi_type_float, &ffi_type_double, nullptr};
ffi_type *ld2_elems[] = {&ffi_type_longdouble, &ffi_type_longdouble, nullptr};
ffi_type f2_type = {0, 0, FFI_TYPE_STRUCT, f2_elems};
ffi_type f3_type = {0, 0, FFI_TYPE_STRUCT, f3_elems};
ffi_type d2_type = {0, 0, FFI_TYPE_STRUCT, d2_elems};
ffi_type d4_type = {0, 0, FFI_TYPE_STRUCT, d4_elems};
ffi_type fd_type = {0, 0, FFI_TYPE_STRUCT, fd_elems};
ffi_type ld2_type = {0, 0, FFI_TYPE_STRUCT, ld2_elems};

template <class S>
void expect_struct_twice(ffi_type *t, S in) {
  ffi_cif cif;
  ffi_type *args[] = {t};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, t, args), FFI_OK);
  EXPECT_EQ(t->size, sizeof(S));
  EXPECT_EQ(t->alignment, alignof(S));
  void *vals[] = {&in};
  alignas(S) unsigned char buf[sizeof(S) + 16];
  std::memset(buf, 0xee, sizeof buf);
  ffi_call(&cif, FFI_FN(static_cast<S (*)(S)>(twice)), buf, vals);
  S out;
  std::memcpy(&out, buf, sizeof out);
  EXPECT_TRUE(out == twice(in)) << "struct of size " << sizeof(S);
  for (std::size_t i = sizeof(S); i < sizeof buf; ++i)
    EXPECT_EQ(buf[i], 0xee) << "written past a struct of " << sizeof(S);
}

TEST(Call, FloatingPointStructsInAndOut) {
  expect_struct_twice(&f2_type, F2{1.5f, -2.5f});
  expect_struct_twice(&f3_type, F3{1, 2, 3.25f});
  expect_struct_twice(&d2_type, D2{0.5, 1e100});
  expect_struct_twice(&d4_type, D4{1, -2, 3, 4.5});
  expect_struct_twice(&fd_type, FD{0.25f, 8});
  expect_struct_twice(&ld2_type, LD2{1.0L / 3, -7});
}

// Eight vector registers on AArch64: F2 and D4 take six, F3 no longer fits and goes to the stack
// (AAPCS64 C.3 then closes the vector registers), and so do D2, LD2 and the float; FD goes in
// general registers. On x86-64, the SSE eightbytes run out in the same way.
double hfa_mix(F2 x, D4 y, F3 z, D2 w, FD v, LD2 u, float s) {
  return x.a + 2 * x.b + 3 * y.a + 4 * y.b + 5 * y.c + 6 * y.d + 7 * z.a + 8 * z.b + 9 * z.c +
         10 * w.a + 11 * w.b + 12 * v.f + 13 * v.d + double(14 * u.a + 15 * u.b) + 16 * s;
}
ffi_type *hfa_mix_args[] = {&f2_type, &d4_type,  &f3_type,       &d2_type,
                            &fd_type, &ld2_type, &ffi_type_float};

TEST(Call, FloatingPointStructsBeyondTheRegisters) {
  ffi_cif cif;
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 7, &ffi_type_double, hfa_mix_args), FFI_OK);
  F2 x{1, 2};
  D4 y{3, 4, 5, 6};
  F3 z{7, 8, 9};
  D2 w{10, 11};
  FD v{12, 13};
  LD2 u{14, 15};
  float s = 16;
  void *vals[] = {&x, &y, &z, &w, &v, &u, &s};
  double r = 0;
  ffi_call(&cif, FFI_FN(hfa_mix), &r, vals);
  EXPECT_EQ(r, hfa_mix(x, y, z, w, v, u, s));
}

// ---- The JIT serves what it can ----------------------------------------------------------------

// True when `pc` lies in no loaded object: code the JIT compiled at run time. Every call and
// closure that the real libffi serves runs through code in its file.
bool in_jit_code(const void *pc) {
  Dl_info info;
  return dladdr(pc, &info) == 0;
}
// True when `pc` lies in a libffi other than this one (the real libffi we hand work to).
bool in_real_libffi(const void *pc) {
  Dl_info ours, info;
  if (!dladdr(reinterpret_cast<void *>(&ffi_call), &ours) || !dladdr(pc, &info)) return false;
  return info.dli_fbase != ours.dli_fbase && std::strstr(info.dli_fname, "libffi");
}

const void *g_return_address;
__attribute__((noinline)) std::int64_t ra_scalars(std::int64_t a, double b) {
  g_return_address = __builtin_return_address(0);
  return a + std::int64_t(b);
}
__attribute__((noinline)) D4 ra_hfa(F2 x, D4 y) {
  g_return_address = __builtin_return_address(0);
  return {x.a + y.a, x.b + y.b, y.c, y.d};
}
__attribute__((noinline)) int ra_variadic(int n, ...) {
  g_return_address = __builtin_return_address(0);
  return n;
}
__attribute__((noinline)) __complex__ double ra_complex(__complex__ double z) {
  g_return_address = __builtin_return_address(0);
  return z;
}

TEST(Call, ServedByTheJitWhereItCan) {
  ffi_cif cif;
  {
    ffi_type *args[] = {&ffi_type_sint64, &ffi_type_double};
    std::int64_t a = 40;
    double b = 2;
    void *vals[] = {&a, &b};
    std::int64_t r = 0;
    ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint64, args), FFI_OK);
    ffi_call(&cif, FFI_FN(ra_scalars), &r, vals);
    EXPECT_EQ(r, 42);
    EXPECT_TRUE(in_jit_code(g_return_address)) << "scalars";
  }
  {
    ffi_type *args[] = {&f2_type, &d4_type};
    F2 x{1, 2};
    D4 y{3, 4, 5, 6};
    void *vals[] = {&x, &y};
    D4 r{};
    ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &d4_type, args), FFI_OK);
    ffi_call(&cif, FFI_FN(ra_hfa), &r, vals);
    EXPECT_TRUE(r == (D4{4, 6, 5, 6}));
    EXPECT_TRUE(in_jit_code(g_return_address)) << "floating-point structs";
  }
  {
    ffi_type *args[] = {&ffi_type_sint32, &ffi_type_double, &ffi_type_pointer};
    int n = 3;
    double d = 1;
    void *p = nullptr;
    void *vals[] = {&n, &d, &p};
    ffi_arg r = 0;
    ASSERT_EQ(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 1, 3, &ffi_type_sint32, args), FFI_OK);
    ffi_call(&cif, FFI_FN(ra_variadic), &r, vals);
    EXPECT_EQ(int(r), 3);
    EXPECT_TRUE(in_jit_code(g_return_address)) << "variadic";
  }
  {
    // The control: complex numbers go to the real libffi, and the probe sees it.
    ffi_type *args[] = {&ffi_type_complex_double};
    __complex__ double z = cx(1.0, 2.0), r = 0;
    void *vals[] = {&z};
    ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_complex_double, args), FFI_OK);
    ffi_call(&cif, FFI_FN(ra_complex), &r, vals);
    EXPECT_TRUE(r == z);
    EXPECT_FALSE(in_jit_code(g_return_address));
    EXPECT_TRUE(in_real_libffi(g_return_address));
  }
}

// ---- Call plans (libffi 3.8) -------------------------------------------------------------------

TEST(CallPlan, AllocInvokeSizeFree) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32, &ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint32, args), FFI_OK);
  ffi_call_plan *plan = ffi_call_plan_alloc(&cif);
  ASSERT_NE(plan, nullptr);
  EXPECT_GT(ffi_call_plan_size(plan), 0u);
  EXPECT_EQ(ffi_call_plan_size(nullptr), 0u);
  for (int k = 0; k < 10; ++k) {
    int a = k, b = 2 * k;
    void *vals[] = {&a, &b};
    ffi_arg r = 0;
    ffi_call_plan_invoke(plan, FFI_FN(+[](int x, int y) { return x + y; }), &r, vals);
    EXPECT_EQ(int(r), 3 * k);
  }
  ffi_call_plan_free(plan);
  ffi_call_plan_free(nullptr);
  ffi_cif unprepared{};
  EXPECT_EQ(ffi_call_plan_alloc(&unprepared), nullptr);
}

// ---- ffi_get_struct_offsets --------------------------------------------------------------------

TEST(StructOffsets, Documented) {
  ffi_type *elems[] = {&ffi_type_sint8, &ffi_type_double, &ffi_type_sint16, &ffi_type_float,
                       nullptr};
  ffi_type s = {0, 0, FFI_TYPE_STRUCT, elems};
  size_t offs[4] = {};
  ASSERT_EQ(ffi_get_struct_offsets(FFI_DEFAULT_ABI, &s, offs), FFI_OK);
  EXPECT_EQ(offs[0], 0u);
  EXPECT_EQ(offs[1], 8u);
  EXPECT_EQ(offs[2], 16u);
  EXPECT_EQ(offs[3], 20u);
  EXPECT_EQ(s.size, 24u);
  EXPECT_EQ(ffi_get_struct_offsets(FFI_DEFAULT_ABI, &s, nullptr), FFI_OK);
  EXPECT_EQ(ffi_get_struct_offsets(ffi_abi(0), &s, offs), FFI_BAD_ABI);
  EXPECT_EQ(ffi_get_struct_offsets(FFI_DEFAULT_ABI, &ffi_type_sint32, offs), FFI_BAD_TYPEDEF);
}

// ---- Closures ----------------------------------------------------------------------------------

template <class T>
void echo_handler(ffi_cif *, void *ret, void **args, void *) {
  if constexpr (std::is_integral_v<T> && sizeof(T) < sizeof(ffi_arg)) {
    // libffi's contract: the handler stores a whole ffi_arg for narrow integer results.
    if constexpr (std::is_signed_v<T>)
      *static_cast<ffi_sarg *>(ret) = *static_cast<T *>(args[0]);
    else
      *static_cast<ffi_arg *>(ret) = *static_cast<T *>(args[0]);
  } else {
    std::memcpy(ret, args[0], sizeof(T));
  }
}

template <class T>
void expect_closure_roundtrip(ffi_type *t, T v) {
  ffi_cif cif;
  ffi_type *args[] = {t};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, t, args), FFI_OK);
  void *code = nullptr;
  auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
  ASSERT_NE(cl, nullptr);
  EXPECT_NE(static_cast<void *>(cl), code);  // W^X: writable and executable views differ
  ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, &echo_handler<T>, nullptr, code), FFI_OK);
  EXPECT_EQ(cl->cif, &cif);
  EXPECT_EQ(cl->fun, &echo_handler<T>);
  T got = reinterpret_cast<T (*)(T)>(code)(v);
  EXPECT_TRUE(got == v);
  ffi_closure_free(cl);
}

TEST(Closure, EveryScalarType) {
  expect_closure_roundtrip<std::uint8_t>(&ffi_type_uint8, 250);
  expect_closure_roundtrip<std::int8_t>(&ffi_type_sint8, -5);
  expect_closure_roundtrip<std::uint16_t>(&ffi_type_uint16, 65000);
  expect_closure_roundtrip<std::int16_t>(&ffi_type_sint16, -32000);
  expect_closure_roundtrip<std::int32_t>(&ffi_type_sint32, -7);
  expect_closure_roundtrip<std::uint64_t>(&ffi_type_uint64, ~0ull);
  expect_closure_roundtrip<float>(&ffi_type_float, 0.75f);
  expect_closure_roundtrip<double>(&ffi_type_double, 1e300);
  expect_closure_roundtrip<long double>(&ffi_type_longdouble, 2.5L);
  expect_closure_roundtrip<__complex__ double>(&ffi_type_complex_double, cx(1.0, -1.0));
}

void dl_handler(ffi_cif *cif, void *ret, void **args, void *ud) {
  EXPECT_EQ(cif->nargs, 1u);
  DL v = *static_cast<DL *>(args[0]);
  v.d += *static_cast<int *>(ud);
  v.l *= 2;
  *static_cast<DL *>(ret) = v;
}

TEST(Closure, StructsAndUserData) {
  ffi_type *elems[] = {&ffi_type_double, &ffi_type_slong, nullptr};
  ffi_type t = {0, 0, FFI_TYPE_STRUCT, elems};
  ffi_cif cif;
  ffi_type *args[] = {&t};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &t, args), FFI_OK);
  void *code;
  auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
  int add = 10;
  ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, dl_handler, &add, code), FFI_OK);
  DL r = reinterpret_cast<DL (*)(DL)>(code)({1.5, 21});
  EXPECT_EQ(r.d, 11.5);
  EXPECT_EQ(r.l, 42);
  add = 20;  // read at call time
  EXPECT_EQ(reinterpret_cast<DL (*)(DL)>(code)({1.5, 21}).d, 21.5);
  ffi_closure_free(cl);
}

void throwing_handler(ffi_cif *, void *, void **args, void *) {
  throw std::runtime_error("from closure " + std::to_string(*static_cast<int *>(args[0])));
}

TEST(Closure, CxxExceptionUnwindsThroughTheClosure) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint32, args), FFI_OK);
  void *code;
  auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
  ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, throwing_handler, nullptr, code), FFI_OK);
  try {
    reinterpret_cast<int (*)(int)>(code)(9);
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "from closure 9");
  }
  ffi_closure_free(cl);
}

TEST(Closure, LegacyPrepClosureInClientMemory) {
  // ffi_prep_closure writes the trampoline into the closure itself, as libffi does: the client
  // owns an executable mapping.
  void *mem =
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) GTEST_SKIP() << "no rwx mapping allowed here";
  auto *cl = static_cast<ffi_closure *>(mem);
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint32, args), FFI_OK);
  ASSERT_EQ(ffi_prep_closure(cl, &cif, &echo_handler<std::int32_t>, nullptr), FFI_OK);
  EXPECT_EQ(reinterpret_cast<int (*)(int)>(mem)(1234), 1234);
  munmap(mem, 4096);
}

// The mapping of /proc/self/maps that holds `p`.
struct Mapping {
  std::uintptr_t start = 0, end = 0;
  std::string perms, dev;
  std::uint64_t offset = 0, inode = 0;
  // Where p lies in the mapped object: equal for two views of the same bytes.
  std::uint64_t object_offset(const void *p) const {
    return offset + (reinterpret_cast<std::uintptr_t>(p) - start);
  }
};

std::optional<Mapping> mapping_of(const void *p) {
  std::ifstream maps("/proc/self/maps");
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  for (std::string line; std::getline(maps, line);) {
    std::istringstream in(line);
    Mapping m;
    char dash;
    in >> std::hex >> m.start >> dash >> m.end >> m.perms >> m.offset >> m.dev >> std::dec >>
        m.inode;
    if (in && a >= m.start && a < m.end) return m;
  }
  return std::nullopt;
}

// Whether this system lets a process map the same memory twice, read+write and read+execute
// (what jit/exec_memory.h's dual mapping needs): a memfd mapped both ways. Asked on x86-64 only
// (on AArch64 the JIT memory may fall back to mprotect, e.g. under qemu-user).
[[maybe_unused]] bool system_allows_dual_mapping() {
  const int fd = memfd_create("jitffi-probe", 0);
  if (fd < 0) return false;
  const long page = sysconf(_SC_PAGESIZE);
  bool ok = false;
  if (ftruncate(fd, page) == 0) {
    void *rw = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    void *rx = mmap(nullptr, page, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    ok = rw != MAP_FAILED && rx != MAP_FAILED;
    if (rw != MAP_FAILED) munmap(rw, page);
    if (rx != MAP_FAILED) munmap(rx, page);
  }
  close(fd);
  return ok;
}

// libffi's testsuite/libffi.closures/closure_loc_fn0.c, built without static trampolines (as
// Debian builds libffi), requires memcmp(closure, code, sizeof *closure) == 0: the executable
// address is the closure itself, seen through the executable mapping. With dual mapping ours is
// that too, and still W^X: the writable view is never executable, the executable one never
// writable. Where the JIT cannot dual-map (qemu-user on AArch64 keeps stale code for an alias),
// the closure is heap memory and the trampoline a separate executable block.
TEST(Closure, CodeIsTheClosureSeenThroughItsExecutableView) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint32, args), FFI_OK);
  void *code = nullptr;
  auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
  ASSERT_NE(cl, nullptr);
  int marker = 0;
  ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, &echo_handler<std::int32_t>, &marker, code), FFI_OK);
  const std::optional<Mapping> w = mapping_of(cl), x = mapping_of(code);
  ASSERT_TRUE(w && x);
  EXPECT_EQ(w->perms.substr(0, 3), "rw-");
  EXPECT_EQ(x->perms.substr(0, 3), "r-x");
  const bool dual = w->inode != 0 && w->inode == x->inode && w->dev == x->dev &&
                    w->object_offset(cl) == x->object_offset(code);
#if defined(__x86_64__)
  if (system_allows_dual_mapping()) {
    EXPECT_TRUE(dual) << "closure and code are not two views";
  }
#endif
  if (dual) {
    EXPECT_EQ(std::memcmp(cl, code, sizeof *cl), 0);
    EXPECT_EQ(static_cast<ffi_closure *>(code)->user_data, &marker);
    int other = 0;
    cl->user_data = &other;  // a write through the closure shows through the code's view
    EXPECT_EQ(std::memcmp(cl, code, sizeof *cl), 0);
  }
  EXPECT_EQ(reinterpret_cast<int (*)(int)>(code)(-77), -77);
  // A larger allocation (a client's struct that starts with the closure) is usable whole.
  void *code2 = nullptr;
  auto *big = static_cast<unsigned char *>(ffi_closure_alloc(4096, &code2));
  ASSERT_NE(big, nullptr);
  std::memset(big + sizeof(ffi_closure), 0xa5, 4096 - sizeof(ffi_closure));
  ASSERT_EQ(ffi_prep_closure_loc(reinterpret_cast<ffi_closure *>(big), &cif,
                                 &echo_handler<std::int32_t>, nullptr, code2),
            FFI_OK);
  EXPECT_EQ(reinterpret_cast<int (*)(int)>(code2)(5), 5);
  if (dual) {
    EXPECT_EQ(std::memcmp(big, code2, 4096), 0);
  }
  ffi_closure_free(big);
  ffi_closure_free(cl);
}

TEST(Closure, Errors) {
  void *code;
  auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
  ffi_cif unprepared{};
  EXPECT_EQ(ffi_prep_closure_loc(cl, &unprepared, &echo_handler<int>, nullptr, code), FFI_BAD_ABI);
  ffi_closure_free(cl);
  ffi_closure_free(nullptr);  // documented as harmless
}

void add_handler(ffi_cif *, void *ret, void **args, void *ud) {
  *static_cast<ffi_arg *>(ret) =
      ffi_arg(*static_cast<int *>(args[0]) + int(reinterpret_cast<std::intptr_t>(ud)));
}

// The permissions of the mapping holding `p` in /proc/self/maps ("r-xp", ...), or empty.
std::string mapping_perms(const void *p) {
  std::ifstream maps("/proc/self/maps");
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  for (std::string line; std::getline(maps, line);) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi)
      return perms;
  }
  return {};
}

// Closures are reused after ffi_closure_free (a pool of pre-made ones where memory is dual
// mapped): many at once, freed and allocated again, each with its own behaviour, the code never
// writable, the writable view never executable.
TEST(Closure, ManyAllocatedFreedAndReused) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint32, args), FFI_OK);
  constexpr int kCount = 300;  // several of the pool's batches
  for (int round = 0; round < 3; ++round) {
    std::vector<std::pair<ffi_closure *, void *>> cls;
    for (int i = 0; i < kCount; ++i) {
      void *code = nullptr;
      auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
      ASSERT_NE(cl, nullptr);
      ASSERT_NE(static_cast<void *>(cl), code);
      EXPECT_EQ(cl->cif, nullptr);  // a reused closure comes back cleared
      EXPECT_EQ(cl->user_data, nullptr);
      ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, &add_handler,
                                     reinterpret_cast<void *>(std::intptr_t(i * 10 + round)), code),
                FFI_OK);
      cls.emplace_back(cl, code);
    }
    for (int i = 0; i < kCount; ++i)
      ASSERT_EQ(reinterpret_cast<int (*)(int)>(cls[std::size_t(i)].second)(5), 5 + i * 10 + round);
    for (int i : {0, kCount / 2, kCount - 1}) {
      const std::string code_perms = mapping_perms(cls[std::size_t(i)].second);
      const std::string rw_perms = mapping_perms(cls[std::size_t(i)].first);
      EXPECT_EQ(code_perms.substr(0, 3), "r-x") << code_perms;
      EXPECT_EQ(rw_perms.find('x'), std::string::npos) << rw_perms;
    }
    // Freed in another order than allocated, so the next round reuses them mixed.
    for (int i = 0; i < kCount; i += 2) ffi_closure_free(cls[std::size_t(i)].first);
    for (int i = 1; i < kCount; i += 2) ffi_closure_free(cls[std::size_t(i)].first);
  }
}

// Threads allocating and freeing closures at once (each keeps freed ones for itself, and hands
// them back to the pool when it exits): each closure calls its own handler with its own data.
TEST(Closure, ConcurrentAllocFreeAcrossThreads) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint32, args), FFI_OK);
  std::atomic<int> bad{0};
  for (int wave = 0; wave < 2; ++wave) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        std::vector<std::pair<ffi_closure *, void *>> mine;
        for (int i = 0; i < 500; ++i) {
          void *code = nullptr;
          auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
          if (!cl || ffi_prep_closure_loc(cl, &cif, &add_handler,
                                          reinterpret_cast<void *>(std::intptr_t(t * 1000 + i)),
                                          code) != FFI_OK) {
            ++bad;
            return;
          }
          mine.emplace_back(cl, code);
          if (i % 3 == 2) {  // keep some alive, free the rest as we go
            for (auto &[c, x] : mine)
              if (reinterpret_cast<int (*)(int)>(x)(1) !=
                  1 + int(reinterpret_cast<std::intptr_t>(c->user_data)))
                ++bad;
            for (auto &m : mine) ffi_closure_free(m.first);
            mine.clear();
          }
        }
        for (auto &m : mine) ffi_closure_free(m.first);
      });
    for (auto &th : threads) th.join();
  }
  EXPECT_EQ(bad.load(), 0);
}

TEST(ClosureDeathTest, FreeingTwiceOrAForeignPointerDies) {
  // "threadsafe" re-executes this binary, which qemu-user (no binfmt handler) cannot do; the
  // fork-only style works there, and ctest runs each test in a process of its own.
  GTEST_FLAG_SET(death_test_style, std::getenv("JITFFI_EMULATOR") ? "fast" : "threadsafe");
  void *code = nullptr;
  auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
  ASSERT_NE(cl, nullptr);
  EXPECT_DEATH(ffi_closure_free(reinterpret_cast<char *>(cl) + 8), "ffi_closure_free");
  int local = 0;
  EXPECT_DEATH(ffi_closure_free(&local), "ffi_closure_free");
  ffi_closure_free(cl);
  EXPECT_DEATH(ffi_closure_free(cl), "ffi_closure_free");
}

template <class S>
void twice_handler(ffi_cif *, void *ret, void **args, void *) {
  *static_cast<S *>(ret) = twice(*static_cast<S *>(args[0]));
}

template <class S>
void expect_struct_closure(ffi_type *t, S in) {
  ffi_cif cif;
  ffi_type *args[] = {t};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, t, args), FFI_OK);
  void *code;
  auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
  ASSERT_NE(cl, nullptr);
  ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, &twice_handler<S>, nullptr, code), FFI_OK);
  EXPECT_TRUE(reinterpret_cast<S (*)(S)>(code)(in) == twice(in)) << "struct of size " << sizeof(S);
  ffi_closure_free(cl);
}

void hfa_mix_handler(ffi_cif *cif, void *ret, void **a, void *) {
  EXPECT_EQ(cif->nargs, 7u);
  *static_cast<double *>(ret) =
      hfa_mix(*static_cast<F2 *>(a[0]), *static_cast<D4 *>(a[1]), *static_cast<F3 *>(a[2]),
              *static_cast<D2 *>(a[3]), *static_cast<FD *>(a[4]), *static_cast<LD2 *>(a[5]),
              *static_cast<float *>(a[6]));
}

TEST(Closure, FloatingPointStructs) {
  expect_struct_closure(&f2_type, F2{1.5f, -2.5f});
  expect_struct_closure(&f3_type, F3{1, 2, 3.25f});
  expect_struct_closure(&d2_type, D2{0.5, 1e100});
  expect_struct_closure(&d4_type, D4{1, -2, 3, 4.5});
  expect_struct_closure(&fd_type, FD{0.25f, 8});
  expect_struct_closure(&ld2_type, LD2{1.0L / 3, -7});

  ffi_cif cif;
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 7, &ffi_type_double, hfa_mix_args), FFI_OK);
  void *code;
  auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
  ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, hfa_mix_handler, nullptr, code), FFI_OK);
  auto fn = reinterpret_cast<decltype(&hfa_mix)>(code);
  EXPECT_EQ(fn({1, 2}, {3, 4, 5, 6}, {7, 8, 9}, {10, 11}, {12, 13}, {14, 15}, 16),
            hfa_mix({1, 2}, {3, 4, 5, 6}, {7, 8, 9}, {10, 11}, {12, 13}, {14, 15}, 16));
  ffi_closure_free(cl);
}

// Where the handler was called from: a frame in JIT code (the shared upcall entry), or frames
// in the real libffi (its closure entry). The trampolines jump, so they leave no frame.
struct CallerFrames {
  bool jit = false, real_libffi = false;
};
template <class T>
void frames_handler(ffi_cif *, void *ret, void **args, void *ud) {
  void *frames[32];
  const int n = backtrace(frames, 32);
  auto *seen = static_cast<CallerFrames *>(ud);
  for (int i = 1; i < n; ++i) {
    seen->jit |= in_jit_code(frames[i]);
    seen->real_libffi |= in_real_libffi(frames[i]);
  }
  std::memcpy(ret, args[0], sizeof(T));
}

template <class T>
CallerFrames frames_of_closure(ffi_type *t, T v) {
  CallerFrames seen;
  ffi_cif cif;
  ffi_type *args[] = {t};
  EXPECT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, t, args), FFI_OK);
  void *code;
  auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
  EXPECT_EQ(ffi_prep_closure_loc(cl, &cif, &frames_handler<T>, &seen, code), FFI_OK);
  EXPECT_TRUE(reinterpret_cast<T (*)(T)>(code)(v) == v);
  ffi_closure_free(cl);
  return seen;
}

TEST(Closure, ServedByTheJitWhereItCan) {
  CallerFrames d = frames_of_closure(&ffi_type_double, 2.5);
  EXPECT_TRUE(d.jit && !d.real_libffi) << "double";
  CallerFrames h = frames_of_closure(&d4_type, D4{1, 2, 3, 4});
  EXPECT_TRUE(h.jit && !h.real_libffi) << "floating-point struct";
  // The control: a complex closure is the real libffi's, and the frames show it.
  CallerFrames c = frames_of_closure(&ffi_type_complex_double, cx(1.0, 2.0));
  EXPECT_TRUE(!c.jit && c.real_libffi) << "complex";
}

// ---- Raw and java-raw APIs ---------------------------------------------------------------------

int raw_target(std::int8_t a, double b, void *c, std::int32_t d) {
  return a + int(b) + (c ? 100 : 0) + d;
}

TEST(Raw, ConversionsAndCall) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint8, &ffi_type_double, &ffi_type_pointer, &ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 4, &ffi_type_sint32, args), FFI_OK);
  EXPECT_EQ(ffi_raw_size(&cif), 32u);
  std::int8_t a = -2;
  double b = 3.0;
  void *c = &cif;
  std::int32_t d = 1000;
  void *vals[] = {&a, &b, &c, &d};
  ffi_raw raw[4];
  ffi_ptrarray_to_raw(&cif, vals, raw);
  EXPECT_EQ(raw[0].sint, -2);
  EXPECT_EQ(raw[2].ptr, c);
  void *back[4];
  ffi_raw_to_ptrarray(&cif, raw, back);
  EXPECT_EQ(*static_cast<double *>(back[1]), 3.0);
  EXPECT_EQ(*static_cast<void **>(back[2]), c);
  ffi_arg r = 0;
  ffi_raw_call(&cif, FFI_FN(raw_target), &r, raw);
  EXPECT_EQ(int(r), 1101);
}

void raw_handler(ffi_cif *, void *ret, ffi_raw *args, void *ud) {
  *static_cast<ffi_arg *>(ret) = ffi_arg(args[0].sint + args[3].sint + *static_cast<int *>(ud));
}

TEST(Raw, Closure) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint8, &ffi_type_double, &ffi_type_pointer, &ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 4, &ffi_type_sint32, args), FFI_OK);
  void *code;
  auto *cl = static_cast<ffi_raw_closure *>(ffi_closure_alloc(sizeof(ffi_raw_closure), &code));
  int extra = 5;
  ASSERT_EQ(ffi_prep_raw_closure_loc(cl, &cif, raw_handler, &extra, code), FFI_OK);
  auto fn = reinterpret_cast<int (*)(std::int8_t, double, void *, std::int32_t)>(code);
  EXPECT_EQ(fn(3, 0.0, nullptr, 40), 48);
  ffi_closure_free(cl);
}

TEST(JavaRaw, SizesCallAndClosure) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32, &ffi_type_double, &ffi_type_sint64};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_double, args), FFI_OK);
  EXPECT_EQ(ffi_java_raw_size(&cif), 5u * FFI_SIZEOF_JAVA_RAW);  // 64-bit values take two
  std::int32_t i = 2;
  double d = 0.5;
  std::int64_t l = 40;
  void *vals[] = {&i, &d, &l};
  ffi_java_raw raw[5];
  ffi_java_ptrarray_to_raw(&cif, vals, raw);
  void *back[3];
  ffi_java_raw_to_ptrarray(&cif, raw, back);
  EXPECT_EQ(*static_cast<std::int32_t *>(back[0]), 2);
  EXPECT_EQ(*static_cast<double *>(back[1]), 0.5);
  EXPECT_EQ(*static_cast<std::int64_t *>(back[2]), 40);
  auto target = +[](std::int32_t a, double b, std::int64_t c) { return a + b + double(c); };
  double r = 0;
  ffi_java_raw_call(&cif, FFI_FN(target), &r, raw);
  EXPECT_EQ(r, 42.5);

  void *code;
  auto *cl =
      static_cast<ffi_java_raw_closure *>(ffi_closure_alloc(sizeof(ffi_java_raw_closure), &code));
  auto handler = +[](ffi_cif *, void *ret, ffi_java_raw *a, void *) {
    double b;
    std::int64_t c;
    std::memcpy(&b, &a[1], 8);
    std::memcpy(&c, &a[3], 8);
    *static_cast<double *>(ret) = a[0].sint + b + double(c);
  };
  ASSERT_EQ(ffi_prep_java_raw_closure_loc(cl, &cif, handler, nullptr, code), FFI_OK);
  EXPECT_EQ(reinterpret_cast<double (*)(std::int32_t, double, std::int64_t)>(code)(1, 0.25, 2),
            3.25);
  ffi_closure_free(cl);
}

// ---- Go closures -------------------------------------------------------------------------------

void go_handler(ffi_cif *cif, void *ret, void **args, void *closure) {
  EXPECT_EQ(cif->nargs, 1u);
  auto *gc = static_cast<ffi_go_closure *>(closure);
  EXPECT_NE(gc, nullptr);
  *static_cast<ffi_arg *>(ret) = ffi_arg(*static_cast<int *>(args[0]) * 3);
}

TEST(GoClosure, PrepAndCallGo) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint32, args), FFI_OK);
  ffi_go_closure gc;
  ASSERT_EQ(ffi_prep_go_closure(&gc, &cif, go_handler), FFI_OK);
  int v = 14;
  void *vals[] = {&v};
  ffi_arg r = 0;
  ffi_call_go(&cif, FFI_FN(gc.tramp), &r, vals, &gc);
  EXPECT_EQ(int(r), 42);
  ffi_cif unprepared{};
  EXPECT_EQ(ffi_prep_go_closure(&gc, &unprepared, go_handler), FFI_BAD_ABI);
}

// ---- Void arguments (libffi accepts ffi_type_void in arg_types; Ruby's fiddle passes one) -------

// Whether this process runs with JITFFI_BACKEND=libffi (ctest runs these tests both ways).
bool libffi_forced() {
  const char *b = std::getenv("JITFFI_BACKEND");
  return b && std::strcmp(b, "libffi") == 0;
}

int void_mid(int a, int b) {
  g_return_address = __builtin_return_address(0);
  return a * 10 + b;
}
double void_mix(double a, int b, double c) {
  return a * 100 + b * 10 + c;
}
double void_cx(__complex__ double z, int b) {
  return __real__ z * 100 + __imag__ z * 10 + b;
}

TEST(VoidArgument, PrepAcceptsItWithoutASlot) {
  ffi_cif cif;
  ffi_type *only[] = {&ffi_type_void};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint, only), FFI_OK);
  EXPECT_EQ(cif.nargs, 1u);
  EXPECT_EQ(cif.arg_types, only);
  // Nine void arguments take no stack, as with libffi (bytes 0 on x86-64 and AArch64).
  ffi_type *many[9];
  std::fill(std::begin(many), std::end(many), &ffi_type_void);
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 9, &ffi_type_sint, many), FFI_OK);
  EXPECT_EQ(cif.bytes, 0u);
  // After `...` a void argument is no promoted type, as libffi's prep_cif_var says.
  ffi_type *var[] = {&ffi_type_pointer, &ffi_type_void};
  EXPECT_EQ(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 1, 2, &ffi_type_sint, var), FFI_BAD_ARGTYPE);
}

TEST(VoidArgument, DowncallSkipsIt) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint, &ffi_type_void, &ffi_type_sint};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_sint, args), FFI_OK);
  int a = 3, b = 4;
  char unused = 0;
  void *vals[] = {&a, &unused, &b};
  ffi_arg r = 0;
  g_return_address = nullptr;
  ffi_call(&cif, FFI_FN(void_mid), &r, vals);
  EXPECT_EQ(int(r), 34);
  EXPECT_EQ(in_jit_code(g_return_address), !libffi_forced());
  // The void entry of avalue may be anything, null included: it is never read.
  void *null_void[] = {&a, nullptr, &b};
  ffi_call(&cif, FFI_FN(void_mid), &r, null_void);
  EXPECT_EQ(int(r), 34);
  ffi_call_plan *plan = ffi_call_plan_alloc(&cif);
  ASSERT_NE(plan, nullptr);
  r = 0;
  ffi_call_plan_invoke(plan, FFI_FN(void_mid), &r, vals);
  EXPECT_EQ(int(r), 34);
  ffi_call_plan_free(plan);

  ffi_type *mix[] = {&ffi_type_void, &ffi_type_double, &ffi_type_void,
                     &ffi_type_sint, &ffi_type_double, &ffi_type_void};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 6, &ffi_type_double, mix), FFI_OK);
  double x = 1, z = 3;
  int y = 2;
  void *mvals[] = {nullptr, &x, nullptr, &y, &z, nullptr};
  double d = 0;
  ffi_call(&cif, FFI_FN(void_mix), &d, mvals);
  EXPECT_EQ(d, 123.0);

  // A complex argument sends the cif to the real libffi; the void one is skipped there too.
  ffi_type *cx_args[] = {&ffi_type_complex_double, &ffi_type_void, &ffi_type_sint};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_double, cx_args), FFI_OK);
  __complex__ double w = cx(4.0, 5.0);
  int k = 6;
  void *cvals[] = {&w, nullptr, &k};
  ffi_call(&cif, FFI_FN(void_cx), &d, cvals);
  EXPECT_EQ(d, 456.0);
}

// Records what a closure's handler saw in args[] (the client's numbering, void included).
struct VoidSeen {
  unsigned nargs = 0;
  bool void_non_null = false;
  double sum = 0;
};
void void_handler(ffi_cif *cif, void *ret, void **args, void *user_data) {
  auto *seen = static_cast<VoidSeen *>(user_data);
  seen->nargs = cif->nargs;
  seen->void_non_null = true;
  double v = 0;
  for (unsigned i = 0; i < cif->nargs; ++i) {
    switch (cif->arg_types[i]->type) {
      case FFI_TYPE_VOID:
        seen->void_non_null = seen->void_non_null && args[i] != nullptr;
        break;
      case FFI_TYPE_SINT32:
        v = v * 10 + *static_cast<int *>(args[i]);
        break;
      case FFI_TYPE_DOUBLE:
        v = v * 10 + *static_cast<double *>(args[i]);
        break;
      case FFI_TYPE_COMPLEX: {
        auto z = *static_cast<__complex__ double *>(args[i]);
        v = v * 100 + __real__ z * 10 + __imag__ z;
        break;
      }
      default:
        ADD_FAILURE() << "unexpected type " << cif->arg_types[i]->type;
    }
  }
  seen->sum = v;
  if (cif->rtype->type == FFI_TYPE_SINT32)
    *static_cast<ffi_arg *>(ret) = static_cast<ffi_arg>(v + 42);
  else
    *static_cast<double *>(ret) = v;
}

TEST(VoidArgument, ClosureSeesTheClientsNumbering) {
  void *code = nullptr;
  auto *cl = static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code));
  ASSERT_NE(cl, nullptr);
  ffi_cif cif;
  VoidSeen seen;
  // fiddle's Closure.new(TYPE_INT, [TYPE_VOID]): a function of no argument.
  ffi_type *only[] = {&ffi_type_void};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint, only), FFI_OK);
  ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, void_handler, &seen, code), FFI_OK);
  EXPECT_EQ(reinterpret_cast<int (*)()>(code)(), 42);
  EXPECT_EQ(seen.nargs, 1u);
  EXPECT_TRUE(seen.void_non_null);

  ffi_type *mid[] = {&ffi_type_sint, &ffi_type_void, &ffi_type_sint};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_sint, mid), FFI_OK);
  ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, void_handler, &seen, code), FFI_OK);
  EXPECT_EQ(reinterpret_cast<int (*)(int, int)>(code)(3, 4), 34 + 42);
  EXPECT_TRUE(seen.void_non_null);

  ffi_type *mix[] = {&ffi_type_double, &ffi_type_void, &ffi_type_sint, &ffi_type_void,
                     &ffi_type_double};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 5, &ffi_type_double, mix), FFI_OK);
  ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, void_handler, &seen, code), FFI_OK);
  EXPECT_EQ(reinterpret_cast<double (*)(double, int, double)>(code)(1, 2, 3), 123.0);
  EXPECT_EQ(seen.nargs, 5u);

  // Served by the real libffi (complex): the same numbering.
  ffi_type *cx_args[] = {&ffi_type_void, &ffi_type_complex_double, &ffi_type_void, &ffi_type_sint};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 4, &ffi_type_double, cx_args), FFI_OK);
  ASSERT_EQ(ffi_prep_closure_loc(cl, &cif, void_handler, &seen, code), FFI_OK);
  EXPECT_EQ(reinterpret_cast<double (*)(__complex__ double, int)>(code)(cx(4.0, 5.0), 6), 456.0);
  EXPECT_TRUE(seen.void_non_null);
  ffi_closure_free(cl);
}

TEST(VoidArgument, GoClosuresRefuseIt) {
  ffi_cif cif;
  ffi_type *args[] = {&ffi_type_sint32, &ffi_type_void};
  ASSERT_EQ(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint32, args), FFI_OK);
  ffi_go_closure gc;
  EXPECT_EQ(ffi_prep_go_closure(&gc, &cif, go_handler), FFI_BAD_TYPEDEF);
}

}  // namespace
