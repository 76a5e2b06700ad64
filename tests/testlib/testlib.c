/* Target functions for the call tests, built as a shared library and loaded with dlopen.
 * Each function checks or folds its inputs into its result, so that a test compares with a value
 * it computes on its own: the compiler that built this file decides the ABI. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../api/testlib_types.h"

#define API __attribute__((visibility("default")))

/* ---- scalars ---- */
API int32_t jt_add_i32(int32_t a, int32_t b) {
  return a + b;
}
API bool jt_not(bool b) {
  return !b;
}
API int8_t jt_neg_i8(int8_t x) {
  return (int8_t)-x;
}
API uint8_t jt_inc_u8(uint8_t x) {
  return (uint8_t)(x + 1);
}
API int16_t jt_neg_i16(int16_t x) {
  return (int16_t)-x;
}
API uint16_t jt_inc_u16(uint16_t x) {
  return (uint16_t)(x + 1);
}
API int32_t jt_neg_i32(int32_t x) {
  return -x;
}
API uint32_t jt_inc_u32(uint32_t x) {
  return x + 1;
}
API int64_t jt_neg_i64(int64_t x) {
  return -x;
}
API uint64_t jt_inc_u64(uint64_t x) {
  return x + 1;
}
API __int128 jt_i128(__int128 a, __int128 b) {
  return a * 3 - b;
}
API unsigned __int128 jt_u128(unsigned __int128 a, unsigned __int128 b) {
  return a * 5 + b;
}
API float jt_f32(float a, float b) {
  return a * b + 0.5f;
}
API double jt_f64(double a, double b) {
  return a * b + 0.25;
}
API long double jt_ldouble(long double a, long double b) {
  return a * b + 0.125L;
}
API void *jt_ptr_add(void *p, int64_t off) {
  return (char *)p + off;
}
API size_t jt_strlen(const char *s) {
  return strlen(s);
}
API void jt_store_i32(int32_t *dst, int32_t v) {
  *dst = v * 2;
}

/* Narrow arguments: each must arrive as the value the caller meant. */
API int64_t jt_narrow_args(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f,
                           bool g) {
  return (int64_t)a + 10 * (int64_t)b + 100 * (int64_t)c + 1000 * (int64_t)d + 10000 * (int64_t)e +
         100000 * (int64_t)f + 1000000 * (int64_t)g;
}

/* An i128 after five integers: no two GPRs left, so it goes on the stack, 16-aligned. */
API __int128 jt_i128_stack(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, __int128 x) {
  return x + a + 2 * b + 3 * c + 4 * d + 5 * e;
}

/* Many arguments: 8 integers and 10 doubles exhaust both register files. */
API double jt_many(int8_t a, int16_t b, int32_t c, int64_t d, uint8_t e, uint16_t f, uint32_t g,
                   uint64_t h, float i, double j, double k, double l, double m, double n, double o,
                   double p, double q, float r, int32_t s, double t) {
  return a + 2.0 * b + 3.0 * c + 4.0 * d + 5.0 * e + 6.0 * f + 7.0 * g + 8.0 * h + 9.0 * i +
         10 * j + 11 * k + 12 * l + 13 * m + 14 * n + 15 * o + 16 * p + 17 * q + 18.0 * r +
         19.0 * s + 20 * t;
}

/* ---- aggregates: sum (weighted by leaf position), next (every leaf + 1), mid (between
 * five integers and doubles), cb (through a callback) ---- */
#define SHAPE(S, SUM, NEXT)                                                                     \
  API double jt_##S##_sum(S v) {                                                                \
    return (SUM);                                                                               \
  }                                                                                             \
  API S jt_##S##_next(S v) {                                                                    \
    NEXT;                                                                                       \
    return v;                                                                                   \
  }                                                                                             \
  API double jt_##S##_mid(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, double x, S v, \
                          double y) {                                                           \
    return a + 2.0 * b + 3.0 * c + 4.0 * d + 5.0 * e + 6 * x + 7 * jt_##S##_sum(v) + 8 * y;     \
  }                                                                                             \
  API double jt_##S##_cb(S (*cb)(S, double), S v) {                                             \
    return jt_##S##_sum(cb(v, 0.5));                                                            \
  }

SHAPE(S1, v.a, v.a++)
SHAPE(B5, v.a[0] + 2.0 * v.a[1] + 3.0 * v.a[2] + 4.0 * v.a[3] + 5.0 * v.a[4],
      for (int i = 0; i < 5; ++i) v.a[i]++)
SHAPE(F2, v.x + 2.0 * v.y, (v.x++, v.y++))
SHAPE(D2, v.x + 2.0 * v.y, (v.x++, v.y++))
SHAPE(IF, v.i + 2.0 * v.f, (v.i++, v.f++))
SHAPE(DL, v.d + 2.0 * v.l, (v.d++, v.l++))
SHAPE(LD, v.l + 2.0 * v.d, (v.l++, v.d++))
SHAPE(F3, v.a + 2.0 * v.b + 3.0 * v.c, (v.a++, v.b++, v.c++))
SHAPE(MIX, v.c + 2.0 * v.s + 3.0 * v.f + 4.0 * v.d, (v.c++, v.s++, v.f++, v.d++))
SHAPE(ARR, v.a[0] + 2.0 * v.a[1] + 3.0 * v.a[2] + 4.0 * v.c, (v.a[0]++, v.a[1]++, v.a[2]++, v.c++))
SHAPE(NEST, v.p.x + 2.0 * v.p.y + 3.0 * v.z, (v.p.x++, v.p.y++, v.z++))
SHAPE(D3, v.a + 2.0 * v.b + 3.0 * v.c, (v.a++, v.b++, v.c++))
SHAPE(L4, v.a[0] + 2.0 * v.a[1] + 3.0 * v.a[2] + 4.0 * v.a[3], for (int i = 0; i < 4; ++i) v.a[i]++)
/* Sums its parameter (a0 + 2 a1 + 3 a2 + 4 a3), then overwrites it. AAPCS64 (B.4) passes it by
 * reference to a copy the callee owns, and clang writes such a parameter in place; gcc copies it
 * first, so on arm64 clang's in-place form is written out. */
#if defined(__aarch64__) && defined(__ELF__)
__asm__(
    ".text\n"
    ".globl jt_L4_clobber\n"
    ".type jt_L4_clobber, %function\n"
    "jt_L4_clobber:\n"
    "  ldp x1, x2, [x0]\n"
    "  ldp x3, x4, [x0, #16]\n"
    "  add x1, x1, x2, lsl #1\n"
    "  add x3, x3, x3, lsl #1\n"
    "  add x1, x1, x3\n"
    "  add x1, x1, x4, lsl #2\n"
    "  mov x5, #-1\n"
    "  stp x5, x5, [x0]\n"
    "  stp x5, x5, [x0, #16]\n"
    "  mov x0, x1\n"
    "  ret\n"
    ".size jt_L4_clobber, .-jt_L4_clobber\n");
#else
API int64_t jt_L4_clobber(L4 v) {
  int64_t s = v.a[0] + 2 * v.a[1] + 3 * v.a[2] + 4 * v.a[3];
  memset(&v, 0xEE, sizeof v);
  __asm__ volatile("" : : "r"(&v) : "memory"); /* keep the stores */
  return s;
}
#endif
static double sum_b64(const B64 *v) {
  double s = 0;
  for (int i = 0; i < 64; ++i) s += (i + 1.0) * v->b[i];
  return s;
}
SHAPE(B64, sum_b64(&v), for (int i = 0; i < 64; ++i) v.b[i]++)
SHAPE(UIF, v.i, v.i++)
SHAPE(UFF, v.g[0] + 2.0 * v.g[1], (v.g[0]++, v.g[1]++))
SHAPE(UDL, v.d[0] + 2.0 * v.d[1], (v.d[0]++, v.d[1]++))
SHAPE(ULD, (double)v.ld, v.ld++)
SHAPE(SLD, (double)v.ld, v.ld++)
SHAPE(S128, (double)v.x, v.x++)
SHAPE(TAG, v.tag + 2.0 * v.u.i, (v.tag++, v.u.i++))

/* ---- variadic: types spells each argument: i int, l int64, u unsigned, d double, p pointer
 * (its low byte counts), S a D2 by value (x + 2y) ---- */
API double jt_vsum(int n, const char *types, ...) {
  va_list ap;
  double s = 0;
  va_start(ap, types);
  for (int k = 0; k < n; ++k) {
    double w = k + 1.0, v = 0;
    switch (types[k]) {
      case 'i':
        v = va_arg(ap, int);
        break;
      case 'l':
        v = (double)va_arg(ap, int64_t);
        break;
      case 'u':
        v = va_arg(ap, unsigned);
        break;
      case 'd':
        v = va_arg(ap, double);
        break;
      case 'p':
        v = (double)((uintptr_t)va_arg(ap, void *) & 0xff);
        break;
      case 'S': {
        D2 d = va_arg(ap, D2);
        v = d.x + 2 * d.y;
        break;
      }
      default:
        va_end(ap);
        return -1e300;
    }
    s += w * v;
  }
  va_end(ap);
  return s;
}

/* A fixed float before the variadic part (libffi 3.4.4's ffi_prep_cif_var rejects it). */
API double jt_vfixed_float(float f, int n, ...) {
  va_list ap;
  double s = f;
  va_start(ap, n);
  for (int k = 0; k < n; ++k) s += (k + 2.0) * va_arg(ap, double);
  va_end(ap);
  return s;
}

/* ---- callbacks ---- */
typedef double (*many_cb)(int8_t, uint16_t, int32_t, int64_t, float, double, MIX, D3, uint8_t,
                          double, double, double, double, double, double, double, int64_t, bool);
/* Calls cb with fixed values and folds its result with a marker. */
API double jt_call_many(many_cb cb) {
  MIX m = {-3, 300, 1.5f, -2.25};
  D3 big = {10.5, 20.25, -30.125};
  return cb(-7, 65000, -100000, 5000000000LL, 0.75f, 1.5, m, big, 200, 1, 2, 3, 4, 5, 6, 7, -9,
            true) *
             2 +
         1;
}

/* Narrow results from callbacks: the caller reads them at their natural width. */
API int64_t jt_call_narrow(int8_t (*a)(void), uint8_t (*b)(void), int16_t (*c)(void),
                           uint16_t (*d)(void), bool (*e)(void), int32_t (*f)(void)) {
  return (int64_t)a() + 1000 * (int64_t)b() + 1000000 * (int64_t)c() + 1000000000LL * (int64_t)d() +
         100 * (int64_t)e() + 7 * (int64_t)f();
}

API int64_t jt_run_thread(void *(*start)(void *), void *arg) {
  pthread_t t;
  void *result = NULL;
  if (pthread_create(&t, NULL, start, arg) != 0) return -1;
  if (pthread_join(t, &result) != 0) return -2;
  return (int64_t)(intptr_t)result;
}

/* ---- six parameters of one kind: weighted sums, so that a swapped argument shows ---- */
API int32_t jt_w6_i32(int32_t a, int32_t b, int32_t c, int32_t d, int32_t e, int32_t f) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}
API int64_t jt_w6_i64(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, int64_t f) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}
API double jt_w6_f64(double a, double b, double c, double d, double e, double f) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}
API int64_t jt_w6_ptr(const void *a, const void *b, const void *c, const void *d, const void *e,
                      const void *f) {
  return (int64_t)((uintptr_t)a + 2 * (uintptr_t)b + 3 * (uintptr_t)c + 4 * (uintptr_t)d +
                   5 * (uintptr_t)e + 6 * (uintptr_t)f);
}

/* ---- no arguments: callers may pass a null args array ---- */
API int32_t jt_answer(void) {
  return 42;
}

/* ---- errno ---- */
API int jt_set_errno(int e) {
  errno = e;
  return -1;
}
API int jt_get_errno(void) {
  return errno;
}
/* A C caller of a callback that relies on errno: sets it, calls cb, returns errno after. */
API int jt_errno_after_cb(int (*cb)(int), int before) {
  errno = before;
  cb(before);
  return errno;
}

/* ---- Win64 (ms_abi) targets, called through Abi::Win64 (x86-64 hosts only) ---- */
#if defined(__x86_64__)
#define MS __attribute__((ms_abi))
API MS double jt_w64_mix(int32_t a, double b, int64_t c, float d, int32_t e, double f) {
  return a + 2 * b + 3.0 * c + 4.0 * d + 5.0 * e + 6 * f;
}
API MS int8_t jt_w64_neg_i8(int8_t x) {
  return (int8_t)-x;
}
/* F2 (8 bytes) goes in a register, D3 (24) by reference to a copy. */
API MS double jt_w64_struct(F2 s, D3 big, int8_t c) {
  double r = s.x + 2 * s.y + 3 * (big.a + 2 * big.b + 3 * big.c) + 4.0 * c;
  big.a = -1; /* writes the caller's copy only */
  return r;
}
API MS D3 jt_w64_ret_d3(double x) {
  D3 r = {x, x * 2, x * 3};
  return r;
}
API MS int32_t jt_w64_call(int32_t(MS *cb)(int32_t, double, F2), int32_t k) {
  F2 f = {1.5f, 2.5f};
  return cb(k, 0.5, f) + 1;
}
API MS double jt_w64_vsum(int n, ...) {
  double s = 0;
  __builtin_ms_va_list mp;
  __builtin_ms_va_start(mp, n);
  for (int k = 0; k < n; ++k) s += (k + 1.0) * __builtin_va_arg(mp, double);
  __builtin_ms_va_end(mp);
  return s;
}
#endif /* __x86_64__ */
