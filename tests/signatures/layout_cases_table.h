// The table layout_cases.c fills from the C compiler; shared by C and C++.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lc_case {
  const char *name;
  const char *text;  // the definition, as the parser reads it
  size_t size, align;
  size_t member_count;  // 0 for an enum
  const size_t *offsets;
  const char *const *member_names;
  int enum_is_signed;  // enums only: whether the compiler made it a signed type
};

extern const struct lc_case jitffi_layout_cases[];
extern const size_t jitffi_layout_case_count;

struct lc_c_facts {
  int char_is_signed;
  size_t long_size;
  size_t long_double_size, long_double_align;
  int long_double_is_double;
  size_t wchar_size;
  int wchar_is_signed;
};
extern const struct lc_c_facts jitffi_c_facts;

#ifdef __cplusplus
}
#endif
