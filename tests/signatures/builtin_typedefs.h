// The table builtin_typedefs.c fills from the C compiler and the system headers.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bt_scalar {
  const char *name;
  size_t size, align;
  int is_signed;   // integers: (T)-1 < (T)0
  int is_pointer;  // written as a pointer type in the header
};
struct bt_div {
  const char *name;
  size_t size, align, quot, rem, member_size;
};

extern const struct bt_scalar jitffi_bt_libc[];
extern const size_t jitffi_bt_libc_count;
extern const struct bt_scalar jitffi_bt_zlib[];  // empty where zlib.h is not installed
extern const size_t jitffi_bt_zlib_count;
extern const struct bt_div jitffi_bt_div[];
extern const size_t jitffi_bt_div_count;

#ifdef __cplusplus
}
#endif
