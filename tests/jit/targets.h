// C targets called through stubs, and C callers of closures, compiled by the C compiler: the
// compiler is the judge of the ABI.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MS __attribute__((ms_abi))

typedef struct {
  int64_t i;
  double d;
} IDs;
typedef struct {
  double x, y;
} V2;
typedef struct {
  char c[3];
} C3;
typedef struct {
  char c[5];
} C5;
typedef struct {
  short s[3];
} S6;
typedef struct {
  char c[7];
} C7;
typedef struct {
  int64_t a, b, c;
} I3;
typedef struct {
  float a, b, c;
} F3;
typedef struct {
  char c[19];
} C19;
typedef struct {
  int32_t i;
  float f;
} IF;
typedef struct {
  int32_t a, b, c;
} B12;
typedef struct {
  int16_t a, b;
} H2;

// SysV targets.
int32_t t_add(int32_t a, int32_t b);
double t_div(double a, double b);
uint8_t t_narrow(int8_t a, uint16_t b, bool c, int16_t d);
V2 t_mix(IDs s, float f);
C3 t_odd(C3 a, C7 b, C5 c, S6 d);
double t_many(int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5, int64_t a6, int64_t a7,
              int64_t a8, double d1, double d2, double d3, double d4, double d5, double d6,
              double d7, double d8, double d9, double d10);
int64_t t_stack_narrow(int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5, int64_t a6,
                       int8_t s7, uint16_t u8);
I3 t_sret(I3 x, int64_t k);
long double t_ld(long double a, int32_t k);
F3 t_f3(F3 v);
double t_var(const char *fmt, ...);
int64_t t_c19(C19 s, int32_t k);
IF t_if(IF v);
__int128 t_i128(__int128 a);
void t_void(int64_t *out, int64_t v);

// Win64 targets.
MS int32_t w_add(int32_t a, int32_t b);
MS double w_mixed(int32_t a, double b, int32_t c, double d, int32_t e, double f);
MS int32_t w_byref(B12 s, int32_t k);
MS B12 w_sret(int32_t a, int32_t b);
MS double w_var(int32_t n, ...);
MS H2 w_h2(H2 v, int64_t k);

// C callers of closures (SysV function pointers).
int32_t call_add(int32_t (*f)(int32_t, int32_t), int32_t a, int32_t b);
double call_div(double (*f)(double, double), double a, double b);
uint8_t call_narrow(uint8_t (*f)(int8_t, uint16_t, bool, int16_t));
V2 call_mix(V2 (*f)(IDs, float));
C3 call_odd(C3 (*f)(C3, C7, C5, S6));
double call_many(double (*f)(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                             double, double, double, double, double, double, double, double, double,
                             double));
I3 call_sret(I3 (*f)(I3, int64_t));
long double call_ld(long double (*f)(long double, int32_t));
F3 call_f3(F3 (*f)(F3));
int64_t call_c19(int64_t (*f)(C19, int32_t));
// Calls f from a thread created here with pthread_create (not by the host); returns f(a, b).
int32_t call_add_in_c_thread(int32_t (*f)(int32_t, int32_t), int32_t a, int32_t b);

// C callers of Win64 closures.
int32_t wcall_add(MS int32_t (*f)(int32_t, int32_t), int32_t a, int32_t b);
double wcall_mixed(MS double (*f)(int32_t, double, int32_t, double, int32_t, double));
int32_t wcall_byref(MS int32_t (*f)(B12, int32_t));
B12 wcall_sret(MS B12 (*f)(int32_t, int32_t));
// Large aggregates by value (copied by a loop in the stubs): a position-sensitive checksum of the
// bytes, seeded. Big is 60000 bytes (on the stack for SysV, by reference for Win64; both
// classifiers refuse arguments over 64 KiB); B131 a loop's worth plus a 3-byte tail.
typedef struct {
  unsigned char b[60000];
} Big;
typedef struct {
  unsigned char b[131];
} B131;
uint64_t t_big(Big s, uint64_t seed);
MS uint64_t w_big(Big s, uint64_t seed);
uint64_t t_b131(B131 s, uint64_t seed);
MS uint64_t w_b131(B131 s, uint64_t seed);
// Call f(*s, seed): the closure side.
uint64_t call_big(uint64_t (*f)(Big, uint64_t), const Big *s, uint64_t seed);
uint64_t wcall_big(MS uint64_t (*f)(Big, uint64_t), const Big *s, uint64_t seed);
uint64_t call_b131(uint64_t (*f)(B131, uint64_t), const B131 *s, uint64_t seed);
uint64_t wcall_b131(MS uint64_t (*f)(B131, uint64_t), const B131 *s, uint64_t seed);

// Calls the Win64 int(int,int) f(1, 2) with rsi, rdi, rbx, xmm6-xmm15 holding known values;
// returns a bit mask of those that changed (bit 0 rsi, 1 rdi, 2 rbx, 3+k xmm(6+k)).
uint64_t w64_probe(void *f);

#ifdef __cplusplus
}
#endif
