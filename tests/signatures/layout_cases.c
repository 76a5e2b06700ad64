// The compiler's side of the layout test: defines every case of layout_cases.h and records what
// the C compiler computed for it, along with the text the parser will read.
// Laid out as a table, one case per line; its text is also the parser's input.
// clang-format off
#include "layout_cases_table.h"

#include <limits.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <wchar.h>

// The compact names used inside some definitions, as C types.
typedef int8_t i8;
typedef uint16_t u16;
typedef double f64;

#define LC_EXPAND(...) __VA_ARGS__
#define LC_GET(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, \
               _19, _20, N, ...)                                                             \
  N
#define LC_FE_1(F, T, x) F(T, x)
#define LC_FE_2(F, T, x, ...) F(T, x) LC_FE_1(F, T, __VA_ARGS__)
#define LC_FE_3(F, T, x, ...) F(T, x) LC_FE_2(F, T, __VA_ARGS__)
#define LC_FE_4(F, T, x, ...) F(T, x) LC_FE_3(F, T, __VA_ARGS__)
#define LC_FE_5(F, T, x, ...) F(T, x) LC_FE_4(F, T, __VA_ARGS__)
#define LC_FE_6(F, T, x, ...) F(T, x) LC_FE_5(F, T, __VA_ARGS__)
#define LC_FE_7(F, T, x, ...) F(T, x) LC_FE_6(F, T, __VA_ARGS__)
#define LC_FE_8(F, T, x, ...) F(T, x) LC_FE_7(F, T, __VA_ARGS__)
#define LC_FE_9(F, T, x, ...) F(T, x) LC_FE_8(F, T, __VA_ARGS__)
#define LC_FE_10(F, T, x, ...) F(T, x) LC_FE_9(F, T, __VA_ARGS__)
#define LC_FE_11(F, T, x, ...) F(T, x) LC_FE_10(F, T, __VA_ARGS__)
#define LC_FE_12(F, T, x, ...) F(T, x) LC_FE_11(F, T, __VA_ARGS__)
#define LC_FE_13(F, T, x, ...) F(T, x) LC_FE_12(F, T, __VA_ARGS__)
#define LC_FE_14(F, T, x, ...) F(T, x) LC_FE_13(F, T, __VA_ARGS__)
#define LC_FE_15(F, T, x, ...) F(T, x) LC_FE_14(F, T, __VA_ARGS__)
#define LC_FE_16(F, T, x, ...) F(T, x) LC_FE_15(F, T, __VA_ARGS__)
#define LC_FE_17(F, T, x, ...) F(T, x) LC_FE_16(F, T, __VA_ARGS__)
#define LC_FE_18(F, T, x, ...) F(T, x) LC_FE_17(F, T, __VA_ARGS__)
#define LC_FE_19(F, T, x, ...) F(T, x) LC_FE_18(F, T, __VA_ARGS__)
#define LC_FE_20(F, T, x, ...) F(T, x) LC_FE_19(F, T, __VA_ARGS__)
#define LC_FE(F, T, ...)                                                                        \
  LC_GET(__VA_ARGS__, LC_FE_20, LC_FE_19, LC_FE_18, LC_FE_17, LC_FE_16, LC_FE_15, LC_FE_14,    \
         LC_FE_13, LC_FE_12, LC_FE_11, LC_FE_10, LC_FE_9, LC_FE_8, LC_FE_7, LC_FE_6, LC_FE_5,  \
         LC_FE_4, LC_FE_3, LC_FE_2, LC_FE_1)                                                   \
  (F, T, __VA_ARGS__)
#define LC_OFF(T, m) offsetof(T, m),
#define LC_NAME(T, m) #m,

// 1. The definitions themselves.
#define LAYOUT(kind, tag, members, ...) kind tag __VA_ARGS__;
#define ENUM_LAYOUT(tag, ...) enum tag __VA_ARGS__;
#include "layout_cases.h"
#undef LAYOUT
#undef ENUM_LAYOUT

// 2. Offsets and names of the listed members.
#define LAYOUT(kind, tag, members, ...)                                              \
  static const size_t tag##_offsets[] = {LC_FE(LC_OFF, kind tag, LC_EXPAND members)}; \
  static const char *const tag##_names[] = {LC_FE(LC_NAME, _, LC_EXPAND members)};
#define ENUM_LAYOUT(tag, ...)
#include "layout_cases.h"
#undef LAYOUT
#undef ENUM_LAYOUT

// 3. The table. `(T)-1 < 0` asks the compiler whether T is signed, which it already knows.
#pragma GCC diagnostic ignored "-Wtype-limits"
const struct lc_case jitffi_layout_cases[] = {
#define LAYOUT(kind, tag, members, ...)                                                      \
  {#tag, #kind " " #tag " " #__VA_ARGS__, sizeof(kind tag), alignof(kind tag),               \
   sizeof(tag##_offsets) / sizeof(size_t), tag##_offsets, tag##_names, 0},
#define ENUM_LAYOUT(tag, ...) \
  {#tag, "enum " #tag " " #__VA_ARGS__, sizeof(enum tag), alignof(enum tag), 0, 0, 0, \
   (enum tag) - 1 < 0},
#include "layout_cases.h"
#undef LAYOUT
#undef ENUM_LAYOUT
};
const size_t jitffi_layout_case_count = sizeof(jitffi_layout_cases) / sizeof(jitffi_layout_cases[0]);

// What this compiler makes of the C names whose meaning depends on the ABI.
const struct lc_c_facts jitffi_c_facts = {
    (char)-1 < 0,
    sizeof(long),
    sizeof(long double),
    alignof(long double),
    sizeof(long double) == sizeof(double),
    sizeof(wchar_t),
    (wchar_t)-1 < 0,
};
