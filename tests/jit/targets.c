// Targets and closure callers for the JIT tests (see targets.h).
#include "targets.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>

int32_t t_add(int32_t a, int32_t b) {
  return a * 3 + b;
}
double t_div(double a, double b) {
  return a / b;
}
uint8_t t_narrow(int8_t a, uint16_t b, bool c, int16_t d) {
  return (uint8_t)(a == -7 && b == 65000 && c && d == -30000 ? 200 : 1);
}
V2 t_mix(IDs s, float f) {
  V2 r = {(double)s.i * 2 + f, s.d - f};
  return r;
}
C3 t_odd(C3 a, C7 b, C5 c, S6 d) {
  C3 r;
  r.c[0] = (char)(a.c[0] + b.c[6]);
  r.c[1] = (char)(a.c[1] + c.c[4]);
  r.c[2] = (char)(a.c[2] + d.s[2] + b.c[0] + c.c[0] + d.s[0]);
  return r;
}
double t_many(int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5, int64_t a6, int64_t a7,
              int64_t a8, double d1, double d2, double d3, double d4, double d5, double d6,
              double d7, double d8, double d9, double d10) {
  return (double)(a1 + 2 * a2 + 3 * a3 + 4 * a4 + 5 * a5 + 6 * a6 + 7 * a7 + 8 * a8) + 11 * d1 +
         12 * d2 + 13 * d3 + 14 * d4 + 15 * d5 + 16 * d6 + 17 * d7 + 18 * d8 + 19 * d9 + 20 * d10;
}
int64_t t_stack_narrow(int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5, int64_t a6,
                       int8_t s7, uint16_t u8) {
  return a1 + a2 + a3 + a4 + a5 + a6 + s7 * 1000 + u8;
}
I3 t_sret(I3 x, int64_t k) {
  I3 r = {x.a * k, x.b * k, x.c * k};
  return r;
}
long double t_ld(long double a, int32_t k) {
  return a * k + 0.25L;
}
F3 t_f3(F3 v) {
  F3 r = {v.c, v.a, v.b * 2};
  return r;
}
double t_var(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  double sum = 0;
  for (const char *p = fmt; *p; ++p)
    sum = sum * 10 + (*p == 'd' ? va_arg(ap, double) : (double)va_arg(ap, int));
  va_end(ap);
  return sum;
}
int64_t t_c19(C19 s, int32_t k) {
  int64_t sum = 0;
  for (int i = 0; i < 19; ++i) sum = sum * 3 + s.c[i];
  return sum + k;
}
IF t_if(IF v) {
  IF r = {v.i + 1, v.f * 2};
  return r;
}
__int128 t_i128(__int128 a) {
  return a * 3 - 1;
}
void t_void(int64_t *out, int64_t v) {
  *out = v;
}

MS int32_t w_add(int32_t a, int32_t b) {
  return a * 3 + b;
}
MS double w_mixed(int32_t a, double b, int32_t c, double d, int32_t e, double f) {
  return a + 10 * b + 100 * c + 1000 * d + 10000 * e + 100000 * f;
}
MS int32_t w_byref(B12 s, int32_t k) {
  return s.a + 10 * s.b + 100 * s.c + 1000 * k;
}
MS B12 w_sret(int32_t a, int32_t b) {
  B12 r = {a, b, a * b};
  return r;
}
MS double w_var(int32_t n, ...) {
  __builtin_ms_va_list ap;
  __builtin_ms_va_start(ap, n);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum = sum * 10 + __builtin_va_arg(ap, double);
  __builtin_ms_va_end(ap);
  return sum;
}
MS H2 w_h2(H2 v, int64_t k) {
  H2 r = {(int16_t)(v.b + k), (int16_t)(v.a - k)};
  return r;
}

int32_t call_add(int32_t (*f)(int32_t, int32_t), int32_t a, int32_t b) {
  return f(a, b);
}
double call_div(double (*f)(double, double), double a, double b) {
  return f(a, b);
}
uint8_t call_narrow(uint8_t (*f)(int8_t, uint16_t, bool, int16_t)) {
  return f(-7, 65000, true, -30000);
}
V2 call_mix(V2 (*f)(IDs, float)) {
  IDs s = {-5, 2.5};
  return f(s, 0.5f);
}
C3 call_odd(C3 (*f)(C3, C7, C5, S6)) {
  C3 a = {{1, 2, 3}};
  C7 b = {{10, 11, 12, 13, 14, 15, 16}};
  C5 c = {{20, 21, 22, 23, 24}};
  S6 d = {{30, 31, 32}};
  return f(a, b, c, d);
}
double call_many(double (*f)(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                             double, double, double, double, double, double, double, double, double,
                             double)) {
  return f(1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5);
}
I3 call_sret(I3 (*f)(I3, int64_t)) {
  I3 x = {1, -2, 3};
  return f(x, 7);
}
long double call_ld(long double (*f)(long double, int32_t)) {
  return f(1.5L, 4);
}
F3 call_f3(F3 (*f)(F3)) {
  F3 v = {1.25f, 2.5f, 3.75f};
  return f(v);
}
int64_t call_c19(int64_t (*f)(C19, int32_t)) {
  C19 s;
  for (int i = 0; i < 19; ++i) s.c[i] = (char)(i + 1);
  return f(s, 5);
}

struct thread_args {
  int32_t (*f)(int32_t, int32_t);
  int32_t a, b, r;
};
static void *thread_main(void *p) {
  struct thread_args *t = (struct thread_args *)p;
  t->r = t->f(t->a, t->b);
  return 0;
}
int32_t call_add_in_c_thread(int32_t (*f)(int32_t, int32_t), int32_t a, int32_t b) {
  struct thread_args t = {f, a, b, 0};
  pthread_t th;
  if (pthread_create(&th, 0, thread_main, &t)) return -1;
  pthread_join(th, 0);
  return t.r;
}

int32_t wcall_add(MS int32_t (*f)(int32_t, int32_t), int32_t a, int32_t b) {
  return f(a, b);
}
double wcall_mixed(MS double (*f)(int32_t, double, int32_t, double, int32_t, double)) {
  return f(1, 2.5, 3, 4.5, 5, 6.5);
}
int32_t wcall_byref(MS int32_t (*f)(B12, int32_t)) {
  B12 s = {1, 2, 3};
  return f(s, 4);
}
B12 wcall_sret(MS B12 (*f)(int32_t, int32_t)) {
  return f(6, 7);
}

// rsi, rdi, rbx and xmm6-xmm15 are callee-saved on Win64: set them, call, compare.
__asm__(
    ".text\n"
    ".globl w64_probe\n"
    ".type w64_probe, @function\n"
    "w64_probe:\n"
    "  push %rbx\n"
    "  mov %rdi, %rax\n"
    "  movabs $0x1111111111111111, %rsi\n"
    "  movabs $0x2222222222222222, %rdi\n"
    "  movabs $0x3333333333333333, %rbx\n"
    "  mov $6, %r11\n  movq %r11, %xmm6\n"
    "  mov $7, %r11\n  movq %r11, %xmm7\n"
    "  mov $8, %r11\n  movq %r11, %xmm8\n"
    "  mov $9, %r11\n  movq %r11, %xmm9\n"
    "  mov $10, %r11\n  movq %r11, %xmm10\n"
    "  mov $11, %r11\n  movq %r11, %xmm11\n"
    "  mov $12, %r11\n  movq %r11, %xmm12\n"
    "  mov $13, %r11\n  movq %r11, %xmm13\n"
    "  mov $14, %r11\n  movq %r11, %xmm14\n"
    "  mov $15, %r11\n  movq %r11, %xmm15\n"
    "  sub $32, %rsp\n"
    "  mov $1, %ecx\n"
    "  mov $2, %edx\n"
    "  call *%rax\n"
    "  add $32, %rsp\n"
    "  xor %eax, %eax\n"
    "  movabs $0x1111111111111111, %r11\n  cmp %r11, %rsi\n  je 1f\n  or $1, %rax\n1:\n"
    "  movabs $0x2222222222222222, %r11\n  cmp %r11, %rdi\n  je 1f\n  or $2, %rax\n1:\n"
    "  movabs $0x3333333333333333, %r11\n  cmp %r11, %rbx\n  je 1f\n  or $4, %rax\n1:\n"
    "  movq %xmm6, %r11\n  cmp $6, %r11\n  je 1f\n  or $8, %rax\n1:\n"
    "  movq %xmm7, %r11\n  cmp $7, %r11\n  je 1f\n  or $16, %rax\n1:\n"
    "  movq %xmm8, %r11\n  cmp $8, %r11\n  je 1f\n  or $32, %rax\n1:\n"
    "  movq %xmm9, %r11\n  cmp $9, %r11\n  je 1f\n  or $64, %rax\n1:\n"
    "  movq %xmm10, %r11\n  cmp $10, %r11\n  je 1f\n  or $128, %rax\n1:\n"
    "  movq %xmm11, %r11\n  cmp $11, %r11\n  je 1f\n  or $256, %rax\n1:\n"
    "  movq %xmm12, %r11\n  cmp $12, %r11\n  je 1f\n  or $512, %rax\n1:\n"
    "  movq %xmm13, %r11\n  cmp $13, %r11\n  je 1f\n  or $1024, %rax\n1:\n"
    "  movq %xmm14, %r11\n  cmp $14, %r11\n  je 1f\n  or $2048, %rax\n1:\n"
    "  movq %xmm15, %r11\n  cmp $15, %r11\n  je 1f\n  or $4096, %rax\n1:\n"
    "  pop %rbx\n"
    "  ret\n"
    ".size w64_probe, .-w64_probe\n");

static uint64_t checksum(const unsigned char *b, size_t n, uint64_t seed) {
  uint64_t h = seed;
  for (size_t i = 0; i < n; ++i) h = h * 1099511628211ull + b[i] + i;
  return h;
}
uint64_t t_big(Big s, uint64_t seed) {
  return checksum(s.b, sizeof s.b, seed);
}
MS uint64_t w_big(Big s, uint64_t seed) {
  return checksum(s.b, sizeof s.b, seed);
}
uint64_t t_b131(B131 s, uint64_t seed) {
  return checksum(s.b, sizeof s.b, seed);
}
MS uint64_t w_b131(B131 s, uint64_t seed) {
  return checksum(s.b, sizeof s.b, seed);
}
uint64_t call_big(uint64_t (*f)(Big, uint64_t), const Big *s, uint64_t seed) {
  return f(*s, seed);
}
uint64_t wcall_big(MS uint64_t (*f)(Big, uint64_t), const Big *s, uint64_t seed) {
  return f(*s, seed);
}
uint64_t call_b131(uint64_t (*f)(B131, uint64_t), const B131 *s, uint64_t seed) {
  return f(*s, seed);
}
uint64_t wcall_b131(MS uint64_t (*f)(B131, uint64_t), const B131 *s, uint64_t seed) {
  return f(*s, seed);
}
