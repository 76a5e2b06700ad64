/* Target functions for the call tests, built as a shared library and loaded with dlopen. */
#include <stdint.h>

int32_t jt_add_i32(int32_t a, int32_t b) { return a + b; }
