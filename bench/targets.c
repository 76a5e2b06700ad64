/* Benchmark targets S1-S8 (issue 3): built -O2 -fno-tree-slp-vectorize into their own shared
 * library so that neither the direct call nor a stub can be inlined or specialised. */
#include <stdarg.h>
#include <stdint.h>

#include "targets.h"

void s1(void) {
  __asm__ volatile("");
}
int s2(int a, int b) {
  return a + b;
}
double s3(double a, double b, double c, double d) {
  return a + b + c + d;
}
int64_t s4(int64_t a, double b, int64_t c, int64_t d, double e, int64_t f, int64_t g, int64_t h) {
  return a + (int64_t)b + c + d + (int64_t)e + f + g + h;
}
double s5(int a, double b, void *c, int d, double e, int64_t f, void *g, double h, int i, int j,
          void *k, double l) {
  return a + b + (double)(intptr_t)c + d + e + (double)f + (double)(intptr_t)g + h + i + j +
         (double)(intptr_t)k + l;
}
V2 s6(V2 a, V2 b) {
  V2 r = {a.x + b.x, a.y + b.y};
  return r;
}
I3 s7(I3 a, I3 b) {
  I3 r = {a.a + b.a, a.b + b.b, a.c + b.c};
  return r;
}
/* Called as s8("...", int, double, long). */
int s8(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int i = va_arg(ap, int);
  double d = va_arg(ap, double);
  long l = va_arg(ap, long);
  va_end(ap);
  return fmt[0] + i + (int)d + (int)l;
}

#if defined(__x86_64__)
/* The same targets compiled for the Microsoft x64 convention (issue 4's jit_win64/S* rows). */
#define MS __attribute__((ms_abi))
MS void w1(void) {
  __asm__ volatile("");
}
MS int w2(int a, int b) {
  return a + b;
}
MS double w3(double a, double b, double c, double d) {
  return a + b + c + d;
}
MS int64_t w4(int64_t a, double b, int64_t c, int64_t d, double e, int64_t f, int64_t g,
              int64_t h) {
  return a + (int64_t)b + c + d + (int64_t)e + f + g + h;
}
MS double w5(int a, double b, void *c, int d, double e, int64_t f, void *g, double h, int i, int j,
             void *k, double l) {
  return a + b + (double)(intptr_t)c + d + e + (double)f + (double)(intptr_t)g + h + i + j +
         (double)(intptr_t)k + l;
}
MS V2 w6(V2 a, V2 b) {
  V2 r = {a.x + b.x, a.y + b.y};
  return r;
}
MS I3 w7(I3 a, I3 b) {
  I3 r = {a.a + b.a, a.b + b.b, a.c + b.c};
  return r;
}
/* Called as w8("...", int, double, int64_t): `long` is 32 bits under win64, so i64 here. */
MS int w8(const char *fmt, ...) {
  __builtin_ms_va_list ap;
  __builtin_ms_va_start(ap, fmt);
  int i = __builtin_va_arg(ap, int);
  double d = __builtin_va_arg(ap, double);
  int64_t l = __builtin_va_arg(ap, int64_t);
  __builtin_ms_va_end(ap);
  return fmt[0] + i + (int)d + (int)l;
}
#endif
