/* Aggregates passed by value in the call tests: shared by testlib.c (compiled by the C compiler,
 * which is the judge of the ABI) and the C++ tests that describe them to jitffi. The comment on
 * each gives its x86-64 SysV classification. */
#ifndef JITFFI_TESTLIB_TYPES_H
#define JITFFI_TESTLIB_TYPES_H

#include <stdint.h>

typedef struct {
  int8_t a;
} S1; /* INTEGER, 1 byte */
typedef struct {
  int8_t a[5];
} B5; /* INTEGER, 5-byte tail */
typedef struct {
  float x, y;
} F2; /* SSE */
typedef struct {
  double x, y;
} D2; /* SSE, SSE */
typedef struct {
  int32_t i;
  float f;
} IF; /* INTEGER (merged) */
typedef struct {
  double d;
  int64_t l;
} DL; /* SSE, INTEGER */
typedef struct {
  int64_t l;
  double d;
} LD; /* INTEGER, SSE */
typedef struct {
  float a, b, c;
} F3; /* SSE, SSE (12 bytes) */
typedef struct {
  int8_t c;
  int16_t s;
  float f;
  double d;
} MIX; /* INTEGER, SSE */
typedef struct {
  int32_t a[3];
  int8_t c;
} ARR; /* INTEGER, INTEGER */
typedef struct {
  F2 p;
  double z;
} NEST; /* SSE, SSE */
typedef struct {
  double a, b, c;
} D3; /* MEMORY (24) */
typedef struct {
  int64_t a[4];
} L4; /* MEMORY (32) */
typedef struct {
  uint8_t b[64];
} B64; /* MEMORY (64) */
typedef union {
  int32_t i;
  float f;
} UIF; /* INTEGER */
typedef union {
  float f;
  float g[2];
} UFF; /* SSE */
typedef union {
  double d[2];
  int64_t l;
} UDL; /* INTEGER, SSE */
typedef union {
  long double ld;
  int32_t i;
} ULD; /* MEMORY (X87 merged with INTEGER) */
typedef struct {
  long double ld;
} SLD; /* X87, X87UP: returned in st(0) */
typedef struct {
  __int128 x;
} S128; /* INTEGER, INTEGER, align 16 */
typedef struct {
  int8_t tag;
  UIF u;
} TAG; /* INTEGER */

#endif
