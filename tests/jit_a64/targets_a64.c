/* C targets and C callers for the AArch64 execution tests, built by the (cross) compiler: what
 * it does with each type is the AAPCS64 the stubs must match. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>

#include "targets_a64.h"

int32_t t_add(int32_t a, int32_t b) {
  return a + b;
}
double t_hfa4(struct d4 v, double k) {
  return (v.a + 2 * v.b + 3 * v.c + 4 * v.d) * k;
}
struct f3 t_make_f3(float a, float b, float c) {
  struct f3 r = {a, b, c};
  return r;
}
struct big t_scale(struct big v, int64_t k) {
  struct big r = {v.a * k, v.b * k, v.c * k};
  return r;
}
double t_many(int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5, int64_t a6, int64_t a7,
              int64_t a8, int64_t a9, int8_t a10, uint16_t a11, double d1, double d2, double d3,
              double d4, double d5, double d6, double d7, double d8, double d9, float f10) {
  return (double)(a1 + 2 * a2 + 3 * a3 + 4 * a4 + 5 * a5 + 6 * a6 + 7 * a7 + 8 * a8 + 9 * a9 +
                  10 * a10 + 11 * a11) +
         d1 + d2 * 2 + d3 * 3 + d4 * 4 + d5 * 5 + d6 * 6 + d7 * 7 + d8 * 8 + d9 * 9 + f10 * 10;
}
long double t_ld(long double a, double b) {
  return a * b + 1;
}
struct c3 t_c3(struct c3 a, struct c7 b) {
  struct c3 r = {(char)(a.a + b.a[6]), (char)(a.b + b.a[0]), (char)(a.c + b.a[3])};
  return r;
}
int16_t t_narrow(int8_t a, uint8_t b, int16_t c, uint16_t d) {
  return (int16_t)(a + b + c + d);
}
double t_va(int n, ...) {
  va_list ap;
  va_start(ap, n);
  double s = 0;
  for (int i = 0; i < n; ++i) s += (i % 2) ? va_arg(ap, double) : (double)va_arg(ap, int);
  va_end(ap);
  return s;
}
struct aligned16 t_al16(int32_t a, struct aligned16 v) {
  v.lo += a;
  v.hi -= a;
  return v;
}

struct f2 t_f2(float k, struct f2 v) {
  struct f2 r = {v.b * k, v.a + k};
  return r;
}
struct d2 t_d2(double a, double b) {
  struct d2 r = {a + b, a - b};
  return r;
}
struct il t_il(struct il v, int8_t k) {
  struct il r = {v.i + k, v.f * k, v.l - k};
  return r;
}
int32_t t_set_errno(int32_t e) {
  errno = e;
  return -1;
}
int32_t t_get_errno(void) {
  return errno;
}
double t_errno_d(double x) {
  errno = 33;
  return 2 * x;
}
uint8_t t_u8(uint8_t a) {
  return (uint8_t)(a + 1);
}

/* A u8 result with junk above it, as AAPCS64 allows (the upper bits of x0 are unspecified):
 * x0 = 0x00001234000000ff whatever the arguments. */
__asm__(
    ".text\n"
    ".global t_u8_junk\n"
    ".type t_u8_junk, %function\n"
    "t_u8_junk:\n"
    "  movz x0, #0xff\n"
    "  movk x0, #0x1234, lsl #32\n"
    "  ret\n"
    ".size t_u8_junk, .-t_u8_junk\n");

/* Callers of closures: each passes known values and hands back what the closure returned. */
int32_t c_call_add(int32_t (*f)(int32_t, int32_t), int32_t a, int32_t b) {
  return f(a, b);
}
double c_call_hfa4(double (*f)(struct d4, double)) {
  struct d4 v = {1.5, 2.5, 3.5, 4.5};
  return f(v, 2.0);
}
struct f3 c_call_make_f3(struct f3 (*f)(float, float, float)) {
  return f(1.25f, -2.5f, 8.0f);
}
struct big c_call_scale(struct big (*f)(struct big, int64_t)) {
  struct big v = {1, -2, 3};
  return f(v, 7);
}
double c_call_many(double (*f)(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                               int64_t, int64_t, int8_t, uint16_t, double, double, double, double,
                               double, double, double, double, double, float)) {
  return f(1, 2, 3, 4, 5, 6, 7, 8, 9, -10, 65535, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5,
           9.5f);
}
long double c_call_ld(long double (*f)(long double, double)) {
  return f(1.5L, 4.0);
}
int16_t c_call_narrow(int16_t (*f)(int8_t, uint8_t, int16_t, uint16_t)) {
  return f(-100, 200, -30000, 40000);
}
struct c3 c_call_c3(struct c3 (*f)(struct c3, struct c7)) {
  struct c3 a = {1, 2, 3};
  struct c7 b = {{10, 20, 30, 40, 50, 60, 70}};
  return f(a, b);
}
int32_t c_call_twice(int32_t (*f)(int32_t, int32_t)) {
  return f(1, 2) + f(3, 4);
}

static uint64_t checksum(const unsigned char *b, unsigned long n, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned long i = 0; i < n; ++i) h = h * 1099511628211ull + b[i] + i;
  return h;
}
uint64_t t_sum60000(struct b60000 s, uint64_t seed) {
  return checksum(s.b, sizeof s.b, seed);
}
uint64_t t_sum131(struct b131 s, uint64_t seed) {
  return checksum(s.b, sizeof s.b, seed);
}
