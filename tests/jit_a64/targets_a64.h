/* Types and functions of targets_a64.c, for C and C++. */
#ifndef JITFFI_TESTS_JIT_A64_TARGETS_H
#define JITFFI_TESTS_JIT_A64_TARGETS_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct d4 {
  double a, b, c, d;
}; /* HFA of four doubles: v0-v3 */
struct f3 {
  float a, b, c;
}; /* HFA of three floats: s0-s2 */
struct big {
  int64_t a, b, c;
}; /* over 16 bytes: by reference, result through x8 */
struct c3 {
  char a, b, c;
}; /* 3 bytes in one register */
struct c7 {
  char a[7];
}; /* 7 bytes in one register */
struct aligned16 {
  __int128 lo;
  int64_t hi;
}; /* 32 bytes, by reference */

int32_t t_add(int32_t a, int32_t b);
double t_hfa4(struct d4 v, double k);
struct f3 t_make_f3(float a, float b, float c);
struct big t_scale(struct big v, int64_t k);
double t_many(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
              int8_t, uint16_t, double, double, double, double, double, double, double, double,
              double, float);
long double t_ld(long double a, double b);
struct c3 t_c3(struct c3 a, struct c7 b);
int16_t t_narrow(int8_t a, uint8_t b, int16_t c, uint16_t d);
double t_va(int n, ...);
struct aligned16 t_al16(int32_t a, struct aligned16 v);

/* The value and slot entries' results: a float HFA pair in s0:s1, a double pair in d0:d1, a
 * 16-byte mixed composite in x0:x1. */
struct f2 {
  float a, b;
};
struct d2 {
  double a, b;
};
struct il {
  int32_t i;
  float f;
  int64_t l;
};
struct f2 t_f2(float k, struct f2 v);
struct d2 t_d2(double a, double b);
struct il t_il(struct il v, int8_t k);
int32_t t_set_errno(int32_t e); /* sets errno, returns -1 */
int32_t t_get_errno(void);
double t_errno_d(double x); /* sets errno to 33, returns 2x */
uint8_t t_u8(uint8_t a);    /* a + 1, computed in 32 bits */
uint8_t t_u8_junk(void);    /* 0xff in x0 with 0x1234 in bits 32-47 (assembly) */

int32_t c_call_add(int32_t (*f)(int32_t, int32_t), int32_t a, int32_t b);
double c_call_hfa4(double (*f)(struct d4, double));
struct f3 c_call_make_f3(struct f3 (*f)(float, float, float));
struct big c_call_scale(struct big (*f)(struct big, int64_t));
double c_call_many(double (*f)(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                               int64_t, int64_t, int8_t, uint16_t, double, double, double, double,
                               double, double, double, double, double, float));
long double c_call_ld(long double (*f)(long double, double));
int16_t c_call_narrow(int16_t (*f)(int8_t, uint8_t, int16_t, uint16_t));
struct c3 c_call_c3(struct c3 (*f)(struct c3, struct c7));
int32_t c_call_twice(int32_t (*f)(int32_t, int32_t));

// Large composites (by reference, copied by the stub with a loop): a position-sensitive checksum.
struct b60000 {
  unsigned char b[60000];
};
struct b131 {
  unsigned char b[131];
};
uint64_t t_sum60000(struct b60000 s, uint64_t seed);
uint64_t t_sum131(struct b131 s, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
