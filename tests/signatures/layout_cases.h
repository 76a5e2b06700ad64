// Struct and union definitions for the layout test, written once: layout_cases.c compiles each
// with the C compiler and records sizeof, _Alignof and offsetof of every member named in the
// list; test_layout.cpp parses the same text (stringized by the preprocessor) and compares.
//
// LAYOUT(kind, tag, (members whose offsets to compare), body...)
// ENUM_LAYOUT(tag, body...)
// Later cases may use the tags of earlier ones. Keep it C: no C++-only syntax.
// Laid out as a table, one case per line; its text is also the parser's input.
// clang-format off

// Scalars alone and in pairs: every scalar alignment against a 1-byte neighbour.
LAYOUT(struct, lc_char, (c), { char c; })
LAYOUT(struct, lc_bool_int, (b, i), { _Bool b; int i; })
LAYOUT(struct, lc_char_short, (c, s), { char c; short s; })
LAYOUT(struct, lc_char_int, (c, i), { char c; int i; })
LAYOUT(struct, lc_char_long, (c, l), { char c; long l; })
LAYOUT(struct, lc_char_llong, (c, l), { char c; long long l; })
LAYOUT(struct, lc_char_float, (c, f), { char c; float f; })
LAYOUT(struct, lc_char_double, (c, d), { char c; double d; })
LAYOUT(struct, lc_char_ldouble, (c, d), { char c; long double d; })
LAYOUT(struct, lc_char_ptr, (c, p), { char c; void *p; })
LAYOUT(struct, lc_char_i128, (c, i), { char c; __int128 i; })
LAYOUT(struct, lc_u128_char, (u, c), { unsigned __int128 u; unsigned char c; })
LAYOUT(struct, lc_int_char, (i, c), { int i; char c; })
LAYOUT(struct, lc_double_char, (d, c), { double d; char c; })
LAYOUT(struct, lc_ldouble_char, (d, c), { long double d; char c; })

// Every C spelling of the integer types, in one struct.
LAYOUT(struct, lc_c_names, (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p),
       { signed char a; unsigned char b; short c; unsigned short d; short int e;
         unsigned int f; long g; unsigned long h; long int i; long unsigned int j;
         long long k; unsigned long long l; long long int m; int long unsigned n;
         signed o; unsigned p; })
LAYOUT(struct, lc_std_names, (a, b, c, d, e, f, g, h, i, j, k, l, m),
       { int8_t a; uint8_t b; int16_t c; uint16_t d; int32_t e; uint32_t f; int64_t g;
         uint64_t h; size_t i; ssize_t j; ptrdiff_t k; intptr_t l; uintptr_t m; })
LAYOUT(struct, lc_qualified, (a, b, c, d),
       { const char a; volatile int b; const double *const c; char *restrict d; })

// Mixed alignment and tail padding.
LAYOUT(struct, lc_mixed1, (a, b, c, d, e), { char a; double b; short c; int d; char e; })
LAYOUT(struct, lc_mixed2, (a, b, c), { short a; char b; float c; })
LAYOUT(struct, lc_mixed3, (a, b, c, d), { float a; char b; long long c; char d; })
LAYOUT(struct, lc_three_chars, (a, b, c), { char a, b, c; })
LAYOUT(struct, lc_floats, (x, y, z), { float x, y, z; })
LAYOUT(struct, lc_point, (x, y), { double x, y; })
LAYOUT(struct, lc_int_ptrs, (a, b, c), { int a, *b, **c; })

// Pointers of every kind are 8 bytes.
LAYOUT(struct, lc_pointers, (a, b, c, d, c2, e, f),
       { const char *a; struct lc_point *b; int (*c)(void *, int); void (*d)(void);
         char c2; int (*(*e)(int))(double); struct lc_undefined_tag *f; })

// Arrays.
LAYOUT(struct, lc_char_arr, (a), { char a[3]; })
LAYOUT(struct, lc_arr_mixed, (a, b, c), { char a[5]; int b[3]; short c[1]; })
LAYOUT(struct, lc_arr_2d, (a, b), { char a; int b[2][3]; })
LAYOUT(struct, lc_arr_3d, (a, b), { short a[2][3][4]; char b; })
LAYOUT(struct, lc_arr_ptrs, (a, b), { char a; void *b[3]; })
LAYOUT(struct, lc_arr_const, (a, b), { char a[2 * 3 + 1]; int b[(1 << 2) - 1]; })
LAYOUT(struct, lc_arr_points, (n, p), { int n; struct lc_point p[2]; })
LAYOUT(struct, lc_arr_ld, (c, d), { char c; long double d[2]; })

// Nesting.
LAYOUT(struct, lc_nested1, (a, in, b),
       { char a; struct lc_nested1_in { char c; double d; } in; char b; })
LAYOUT(struct, lc_nested2, (x, n, y), { short x; struct lc_nested1 n; short y; })
LAYOUT(struct, lc_nested3, (a, m),
       { char a; struct { struct { char c; int i[2]; } deep[2]; short s; } m; })
LAYOUT(struct, lc_nested_arr, (a, b),
       { struct lc_mixed2 a[3]; struct lc_char_ldouble b; })

// Unions, and unions of structs.
LAYOUT(union, lc_u_int_float, (i, f), { int i; float f; })
LAYOUT(union, lc_u_char_double, (c, d), { char c; double d; })
LAYOUT(union, lc_u_mixed, (a, b, c), { char a[7]; short b; int c; })
LAYOUT(union, lc_u_structs, (p, m, c), { struct lc_point p; struct lc_mixed1 m; char c[33]; })
LAYOUT(union, lc_u_ld, (d, c), { long double d; char c[20]; })
LAYOUT(union, lc_u_i128, (i, c), { __int128 i; char c[3]; })
LAYOUT(struct, lc_struct_union, (tag, u, after),
       { char tag; union { int i; double d; char s[12]; } u; char after; })
LAYOUT(struct, lc_anon_members, (k, f, i, c, s, after),
       { int k; union { float f; int i; }; struct { char c; short s; }; char after; })

// Sizes up to and beyond 64 bytes.
LAYOUT(struct, lc_size_7, (a, b), { char a[5]; short b; })
LAYOUT(struct, lc_size_24, (a, b, c), { double a; int b; double c; })
LAYOUT(struct, lc_size_32, (a, b), { long double a; long double b; })
LAYOUT(struct, lc_size_48, (a, b, c), { __int128 a; char b; double c[3]; })
LAYOUT(struct, lc_size_64, (a, b), { double a[7]; long long b; })
LAYOUT(struct, lc_size_72, (a, b), { double a[8]; char b; })
LAYOUT(struct, lc_size_big, (a, b, c), { char a; struct lc_size_72 b[3]; union lc_u_structs c; })

// Compact member syntax inside a C definition.
LAYOUT(struct, lc_compact_members, (a, b, c), { i8 a; f64 b; u16 c; })

ENUM_LAYOUT(lc_e_small, { LC_A, LC_B, LC_C })
ENUM_LAYOUT(lc_e_negative, { LC_NEG = -1, LC_POS = 1 })
ENUM_LAYOUT(lc_e_explicit, { LC_X = 5, LC_Y, LC_Z = LC_Y * 2 })
ENUM_LAYOUT(lc_e_big_unsigned, { LC_BIG = 0x80000000u })
ENUM_LAYOUT(lc_e_wide, { LC_WIDE_NEG = -1, LC_WIDE = 0x80000000LL })
ENUM_LAYOUT(lc_e_64, { LC_64 = 0x100000000LL })
