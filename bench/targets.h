/* The aggregate types of the benchmark targets S6 (V2) and S7 (I3), for the C files that define or
 * call them (targets.c, compat_floor.c); bench/cases.h has the C++ view of the same layouts. */
#pragma once

#include <stdint.h>

typedef struct {
  double x, y;
} V2;
typedef struct {
  int64_t a, b, c;
} I3;
