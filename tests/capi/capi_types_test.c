/* The C API's type introspection and builder (jitffi.h, "Types") used from C, as a language
 * runtime would: layouts read from parsed prototypes are checked against this compiler's own
 * offsetof/sizeof/_Alignof, types built without text must equal the parsed ones (canonical text
 * and hash), and built signatures must call real functions and make working closures.
 * Each CASE(name) is one ctest test; `jitffi_capi_types_test NAME` runs one case. */
#define _GNU_SOURCE

#include "jitffi.h"

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

#define CHECK_STATUS(expr, expected)                                                               \
  do {                                                                                             \
    jitffi_status s_ = (expr);                                                                     \
    if (s_ != (expected)) {                                                                        \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s (last error: %s)\n", __FILE__, __LINE__, \
              #expr, jitffi_status_name(s_), jitffi_status_name(expected), jitffi_last_error());   \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

#define CHECK_OK(expr) CHECK_STATUS(expr, JITFFI_OK)

/* The message of the last error contains `needle` (printed when it does not). */
#define CHECK_ERROR_HAS(needle)                                                      \
  do {                                                                               \
    if (!strstr(jitffi_last_error(), (needle))) {                                    \
      fprintf(stderr, "%s:%d: last error \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, \
              jitffi_last_error(), (needle));                                        \
      ++failures;                                                                    \
    }                                                                                \
  } while (0)

#define STR_(x) #x
#define STR(x) STR_(x)

typedef void (*any_fn)(void);
static void *fn_addr_of(any_fn f) {
  void *p;
  memcpy(&p, &f, sizeof p);
  return p;
}
#define FN_ADDR(f) fn_addr_of((any_fn)(f))

/* One text, compiled here and given to jitffi: the layouts must agree. */
#define MIXED_DECLS          \
  struct inner {             \
    float f;                 \
    char tag[5];             \
  };                         \
  union num {                \
    int i;                   \
    double x;                \
    unsigned char bytes[12]; \
  };                         \
  struct mixed {             \
    char c;                  \
    double d;                \
    short s;                 \
    int arr[3];              \
    struct inner in;         \
    union num u;             \
    long long ll;            \
    unsigned char last;      \
  };
MIXED_DECLS

#define MIXED_PROTO "struct mixed pass_mixed(struct mixed m, int k)"
static struct mixed pass_mixed(struct mixed m, int k) {
  m.c = (char)(m.c + k);
  m.d *= k;
  m.s = (short)(m.s - k);
  m.arr[2] += m.arr[0] * k;
  m.in.f += (float)k;
  m.in.tag[4] = 'Z';
  m.u.x += k;
  m.ll -= k;
  m.last = (unsigned char)(m.last ^ 0xff);
  return m;
}

static const jitffi_kind kChar = CHAR_MIN < 0 ? JITFFI_KIND_I8 : JITFFI_KIND_U8;

/* Parses MIXED_PROTO with MIXED_DECLS declared in the running program's scope. */
static jitffi_sig *parse_mixed(void) {
  jitffi_lib *self = NULL;
  jitffi_sig *sig = NULL;
  CHECK_OK(jitffi_lib_open_self(&self));
  if (!self) return NULL;
  CHECK_OK(jitffi_lib_declare(self, STR(MIXED_DECLS)));
  CHECK_OK(jitffi_lib_parse(self, MIXED_PROTO, &sig));
  jitffi_lib_close(self); /* the signature does not need the library */
  return sig;
}

struct expected_member {
  const char *name;
  size_t offset, size;
  jitffi_kind kind;
};
#define MEMBER(type, m, kind) \
  { #m, offsetof(type, m), sizeof(((type *)0)->m), kind }

/* type has exactly the members `want` (names, offsets, sizes, kinds), and sizeof/_Alignof. */
static void check_members(const jitffi_type *type, jitffi_kind kind, size_t size, size_t align,
                          const struct expected_member *want, size_t n) {
  size_t i;
  CHECK(jitffi_type_kind(type) == kind);
  CHECK(jitffi_type_size(type) == size);
  CHECK(jitffi_type_align(type) == align);
  CHECK(jitffi_type_member_count(type) == n);
  for (i = 0; i < n && i < jitffi_type_member_count(type); ++i) {
    const char *name = NULL;
    const jitffi_type *mt = NULL;
    size_t offset = 12345;
    CHECK_OK(jitffi_type_member_at(type, i, &name, &mt, &offset));
    if (!name || strcmp(name, want[i].name) != 0 || offset != want[i].offset ||
        jitffi_type_size(mt) != want[i].size || jitffi_type_kind(mt) != want[i].kind) {
      fprintf(stderr, "member %zu: got %s @%zu size %zu kind %s, want %s @%zu size %zu kind %s\n",
              i, name ? name : "(null)", offset, jitffi_type_size(mt),
              jitffi_kind_name(jitffi_type_kind(mt)), want[i].name, want[i].offset, want[i].size,
              jitffi_kind_name(want[i].kind));
      ++failures;
    }
  }
}

static void check_mixed_layout(const jitffi_type *m) {
  static const struct expected_member mixed[] = {
      MEMBER(struct mixed, c, JITFFI_KIND_I8 /* patched below on unsigned-char hosts */),
      MEMBER(struct mixed, d, JITFFI_KIND_F64),
      MEMBER(struct mixed, s, JITFFI_KIND_I16),
      MEMBER(struct mixed, arr, JITFFI_KIND_ARRAY),
      MEMBER(struct mixed, in, JITFFI_KIND_STRUCT),
      MEMBER(struct mixed, u, JITFFI_KIND_UNION),
      MEMBER(struct mixed, ll, JITFFI_KIND_I64),
      MEMBER(struct mixed, last, JITFFI_KIND_U8),
  };
  struct expected_member want[sizeof mixed / sizeof mixed[0]];
  static const struct expected_member inner[] = {
      MEMBER(struct inner, f, JITFFI_KIND_F32),
      MEMBER(struct inner, tag, JITFFI_KIND_ARRAY),
  };
  static const struct expected_member num[] = {
      MEMBER(union num, i, JITFFI_KIND_I32),
      MEMBER(union num, x, JITFFI_KIND_F64),
      MEMBER(union num, bytes, JITFFI_KIND_ARRAY),
  };
  const jitffi_type *arr = NULL, *in = NULL, *u = NULL, *tag = NULL, *c = NULL;
  memcpy(want, mixed, sizeof want);
  want[0].kind = kChar;
  check_members(m, JITFFI_KIND_STRUCT, sizeof(struct mixed), _Alignof(struct mixed), want,
                sizeof want / sizeof want[0]);
  CHECK_OK(jitffi_type_member_at(m, 0, NULL, &c, NULL));
  CHECK(jitffi_type_is_integer(c) && jitffi_type_is_signed(c) == (CHAR_MIN < 0));
  CHECK_OK(jitffi_type_member_at(m, 3, NULL, &arr, NULL));
  CHECK(jitffi_type_count(arr) == 3);
  CHECK(jitffi_type_kind(jitffi_type_element(arr)) == JITFFI_KIND_I32);
  CHECK(strcmp(jitffi_type_canonical(arr), "i32[3]") == 0);
  CHECK_OK(jitffi_type_member_at(m, 4, NULL, &in, NULL));
  check_members(in, JITFFI_KIND_STRUCT, sizeof(struct inner), _Alignof(struct inner), inner, 2);
  CHECK(strcmp(jitffi_type_tag(in), "inner") == 0);
  CHECK_OK(jitffi_type_member_at(in, 1, NULL, &tag, NULL));
  CHECK(jitffi_type_count(tag) == 5 && jitffi_type_kind(jitffi_type_element(tag)) == kChar);
  CHECK_OK(jitffi_type_member_at(m, 5, NULL, &u, NULL));
  check_members(u, JITFFI_KIND_UNION, sizeof(union num), _Alignof(union num), num, 3);
}

/* ---- cases --------------------------------------------------------------------------------- */

#define CASE(name) static void case_##name(void)

CASE(scalars_against_the_compiler) {
  struct {
    const char *type;
    jitffi_kind kind;
    size_t size, align;
    int is_signed, is_float;
  } table[] = {
      {"_Bool", JITFFI_KIND_BOOL, sizeof(_Bool), _Alignof(_Bool), 0, 0},
      {"char", kChar, 1, 1, CHAR_MIN < 0, 0},
      {"signed char", JITFFI_KIND_I8, 1, 1, 1, 0},
      {"unsigned short", JITFFI_KIND_U16, sizeof(short), _Alignof(short), 0, 0},
      {"int", JITFFI_KIND_I32, sizeof(int), _Alignof(int), 1, 0},
      {"unsigned", JITFFI_KIND_U32, sizeof(int), _Alignof(int), 0, 0},
      {"long", sizeof(long) == 8 ? JITFFI_KIND_I64 : JITFFI_KIND_I32, sizeof(long), _Alignof(long),
       1, 0},
      {"unsigned long long", JITFFI_KIND_U64, sizeof(long long), _Alignof(long long), 0, 0},
      {"size_t", JITFFI_KIND_U64, sizeof(size_t), _Alignof(size_t), 0, 0},
      {"float", JITFFI_KIND_F32, sizeof(float), _Alignof(float), 0, 1},
      {"double", JITFFI_KIND_F64, sizeof(double), _Alignof(double), 0, 1},
      {"long double", sizeof(long double) == 16 ? JITFFI_KIND_LONG_DOUBLE : JITFFI_KIND_F64,
       sizeof(long double), _Alignof(long double), 0, 1},
      {"void *", JITFFI_KIND_POINTER, sizeof(void *), _Alignof(void *), 0, 0},
  };
  size_t i;
  for (i = 0; i < sizeof table / sizeof table[0]; ++i) {
    char proto[96];
    jitffi_sig *sig = NULL;
    const jitffi_type *t;
    snprintf(proto, sizeof proto, "void f(%s x)", table[i].type);
    CHECK_OK(jitffi_sig_parse(proto, &sig));
    t = jitffi_sig_param(sig, 0);
    if (!t || jitffi_type_kind(t) != table[i].kind || jitffi_type_size(t) != table[i].size ||
        jitffi_type_align(t) != table[i].align || jitffi_type_is_signed(t) != table[i].is_signed ||
        jitffi_type_is_float(t) != table[i].is_float) {
      fprintf(stderr, "%s: kind %s size %zu align %zu signed %d float %d\n", table[i].type,
              jitffi_kind_name(jitffi_type_kind(t)), jitffi_type_size(t), jitffi_type_align(t),
              jitffi_type_is_signed(t), jitffi_type_is_float(t));
      ++failures;
    }
    CHECK(strcmp(jitffi_sig_param_name(sig, 0), "x") == 0);
    jitffi_sig_free(sig);
  }
}

CASE(signature_introspection) {
  jitffi_sig *sig = NULL, *call = NULL;
  const char *types[] = {"double", "const char *"};
  CHECK_OK(jitffi_sig_parse("int snprintf(char *buf, size_t n, const char *fmt, ...)", &sig));
  if (!sig) return;
  CHECK(jitffi_sig_abi(sig) == jitffi_host_abi());
  CHECK(jitffi_sig_abi(sig) != JITFFI_ABI_HOST);
  CHECK(strcmp(jitffi_abi_name(jitffi_sig_abi(sig)), jitffi_abi_name(JITFFI_ABI_HOST)) == 0);
  CHECK(jitffi_type_kind(jitffi_sig_return(sig)) == JITFFI_KIND_I32);
  CHECK(jitffi_type_is_signed(jitffi_sig_return(sig)));
  CHECK(jitffi_sig_is_variadic(sig) && jitffi_sig_fixed_count(sig) == 3);
  CHECK(jitffi_type_kind(jitffi_sig_param(sig, 0)) == JITFFI_KIND_POINTER);
  CHECK(jitffi_type_is_cstr(jitffi_sig_param(sig, 0)));
  CHECK(jitffi_type_kind(jitffi_sig_param(sig, 1)) == JITFFI_KIND_U64);
  CHECK(jitffi_sig_param(sig, 3) == NULL && jitffi_sig_param_name(sig, 3) == NULL);
  CHECK(strcmp(jitffi_sig_param_name(sig, 2), "fmt") == 0);
  /* Every kind in one call, bounded by cap; the count whatever cap is. */
  {
    unsigned char k[8];
    memset(k, 0xee, sizeof k);
    CHECK(jitffi_sig_kinds(sig, k, sizeof k) == 3);
    CHECK(k[0] == JITFFI_KIND_I32 && k[1] == JITFFI_KIND_POINTER && k[2] == JITFFI_KIND_U64 &&
          k[3] == JITFFI_KIND_POINTER && k[4] == 0xee);
    memset(k, 0xee, sizeof k);
    CHECK(jitffi_sig_kinds(sig, k, 2) == 3);
    CHECK(k[0] == JITFFI_KIND_I32 && k[1] == JITFFI_KIND_POINTER && k[2] == 0xee);
    CHECK(jitffi_sig_kinds(sig, NULL, 0) == 3);
    CHECK(jitffi_sig_kinds(NULL, k, sizeof k) == 0 && k[0] == JITFFI_KIND_I32);
  }
  CHECK_OK(jitffi_sig_with_varargs(sig, types, 2, &call));
  CHECK(jitffi_sig_nargs(call) == 5 && jitffi_sig_fixed_count(call) == 3);
  {
    unsigned char k[6];
    CHECK(jitffi_sig_kinds(call, k, sizeof k) == 5);
    CHECK(k[4] == JITFFI_KIND_F64 && k[5] == JITFFI_KIND_POINTER);
  }
  CHECK(jitffi_type_kind(jitffi_sig_param(call, 3)) == JITFFI_KIND_F64);
  CHECK(jitffi_type_is_cstr(jitffi_sig_param(call, 4)));
  /* Explicit ABIs: every one is reported back, and C's long is resolved per ABI. */
  {
    jitffi_sig *w = NULL, *a = NULL;
    CHECK_OK(jitffi_sig_parse("win64:i32(i64)", &w));
    CHECK(jitffi_sig_abi(w) == JITFFI_ABI_WIN64);
    CHECK(strcmp(jitffi_abi_name(JITFFI_ABI_WIN64), "win64") == 0);
    CHECK(strcmp(jitffi_abi_name(JITFFI_ABI_WINDOWS_ARM64), "windows_arm64") == 0);
    CHECK_OK(jitffi_sig_parse("aapcs64:ldouble(ldouble)", &a));
    CHECK(jitffi_sig_abi(a) == JITFFI_ABI_AAPCS64);
    CHECK(jitffi_type_kind(jitffi_sig_return(a)) == JITFFI_KIND_LONG_DOUBLE);
    CHECK(jitffi_type_size(jitffi_sig_return(a)) == 16);
    jitffi_sig_free(w);
    jitffi_sig_free(a);
  }
  CHECK(jitffi_abi_name((jitffi_abi)42) == NULL);
  CHECK(jitffi_sig_return(NULL) == NULL && jitffi_sig_param(NULL, 0) == NULL);
  CHECK(jitffi_type_kind(NULL) == JITFFI_KIND_VOID && jitffi_type_size(NULL) == 0);
  jitffi_sig_free(call);
  jitffi_sig_free(sig);
}

CASE(struct_layout_against_the_compiler) {
  jitffi_sig *sig = parse_mixed();
  const jitffi_type *param, *ret;
  if (!sig) return;
  param = jitffi_sig_param(sig, 0);
  ret = jitffi_sig_return(sig);
  CHECK(param == ret); /* one handle per distinct type */
  CHECK(strcmp(jitffi_type_tag(param), "mixed") == 0);
  CHECK(jitffi_type_kind(jitffi_sig_param(sig, 1)) == JITFFI_KIND_I32);
  check_mixed_layout(param);
  /* Asking again gives the same handles. */
  {
    const jitffi_type *a = NULL, *b = NULL;
    CHECK_OK(jitffi_type_member_at(param, 4, NULL, &a, NULL));
    CHECK_OK(jitffi_type_member_at(param, 4, NULL, &b, NULL));
    CHECK(a != NULL && a == b);
  }
  jitffi_sig_free(sig);
}

/* struct inner, union num and struct mixed from the builder; the caller frees the result. */
static jitffi_type *build_mixed(void) {
  jitffi_type *f32 = NULL, *chr = NULL, *f64 = NULL, *i16 = NULL, *i32 = NULL, *i64 = NULL,
              *u8 = NULL, *tag = NULL, *arr = NULL, *bytes = NULL, *inner = NULL, *num = NULL,
              *mixed = NULL;
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_F32, &f32));
  CHECK_OK(jitffi_type_scalar(kChar, &chr));
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_F64, &f64));
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_I16, &i16));
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_I32, &i32));
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_I64, &i64));
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_U8, &u8));
  CHECK_OK(jitffi_type_array(chr, 5, &tag));
  CHECK_OK(jitffi_type_array(i32, 3, &arr));
  CHECK_OK(jitffi_type_array(u8, 12, &bytes));
  {
    jitffi_member m[2];
    m[0].name = "f";
    m[0].type = f32;
    m[1].name = "tag";
    m[1].type = tag;
    CHECK_OK(jitffi_type_struct("inner", m, 2, &inner));
  }
  {
    jitffi_member m[3];
    m[0].name = "i";
    m[0].type = i32;
    m[1].name = "x";
    m[1].type = f64;
    m[2].name = "bytes";
    m[2].type = bytes;
    CHECK_OK(jitffi_type_union("num", m, 3, &num));
  }
  {
    jitffi_member m[8];
    m[0].name = "c";
    m[0].type = chr;
    m[1].name = "d";
    m[1].type = f64;
    m[2].name = "s";
    m[2].type = i16;
    m[3].name = "arr";
    m[3].type = arr;
    m[4].name = "in";
    m[4].type = inner;
    m[5].name = "u";
    m[5].type = num;
    m[6].name = "ll";
    m[6].type = i64;
    m[7].name = "last";
    m[7].type = u8;
    CHECK_OK(jitffi_type_struct("mixed", m, 8, &mixed));
  }
  /* Everything but the result may go now: the struct keeps what it needs. */
  jitffi_type_free(f32);
  jitffi_type_free(chr);
  jitffi_type_free(f64);
  jitffi_type_free(i16);
  jitffi_type_free(i32);
  jitffi_type_free(i64);
  jitffi_type_free(u8);
  jitffi_type_free(tag);
  jitffi_type_free(arr);
  jitffi_type_free(bytes);
  jitffi_type_free(inner);
  jitffi_type_free(num);
  return mixed;
}

CASE(builder_layout_against_the_compiler) {
  jitffi_type *mixed = build_mixed();
  if (!mixed) return;
  check_mixed_layout(mixed);
  CHECK(strcmp(jitffi_type_tag(mixed), "mixed") == 0);
  jitffi_type_free(mixed);
}

CASE(built_signature_equals_parsed) {
  jitffi_sig *parsed = parse_mixed(), *built = NULL, *named = NULL;
  jitffi_type *mixed = build_mixed(), *i32 = NULL;
  const jitffi_type *params[2];
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_I32, &i32));
  if (!parsed || !mixed || !i32) return;
  params[0] = mixed;
  params[1] = i32;
  CHECK_OK(jitffi_sig_build(JITFFI_ABI_HOST, mixed, params, 2, &built));
  if (!built) return;
  CHECK(strcmp(jitffi_sig_canonical(built), jitffi_sig_canonical(parsed)) == 0);
  CHECK(jitffi_sig_hash(built) == jitffi_sig_hash(parsed));
  CHECK(jitffi_sig_equal(built, parsed));
  CHECK(jitffi_type_member_count(jitffi_sig_param(built, 0)) == 8);
  CHECK_OK(jitffi_sig_with_name(built, "pass_mixed", &named));
  CHECK(strcmp(jitffi_sig_name(named), "pass_mixed") == 0);
  CHECK(strcmp(jitffi_sig_name(built), "") == 0);
  CHECK(jitffi_sig_equal(named, parsed));
  jitffi_type_free(mixed); /* the signature keeps the type alive */
  check_mixed_layout(jitffi_sig_return(built));
  /* A variadic one against the parsed prototype plus this call's varargs. */
  {
    jitffi_sig *proto = NULL, *call = NULL, *vb = NULL, *vb2 = NULL;
    const char *names[] = {"int", "double"};
    jitffi_type *ptr = NULL, *cstr = NULL, *sz = NULL, *f64 = NULL;
    const jitffi_type *p[5];
    CHECK_OK(jitffi_sig_parse("int snprintf(char *, size_t, const char *, ...)", &proto));
    CHECK_OK(jitffi_sig_with_varargs(proto, names, 2, &call));
    CHECK_OK(jitffi_type_pointer(1, &cstr));
    CHECK_OK(jitffi_type_scalar(JITFFI_KIND_POINTER, &ptr));
    CHECK_OK(jitffi_type_parse(JITFFI_ABI_HOST, "size_t", &sz));
    CHECK_OK(jitffi_type_scalar(JITFFI_KIND_F64, &f64));
    CHECK(jitffi_type_is_cstr(cstr) && !jitffi_type_is_cstr(ptr));
    p[0] = ptr;
    p[1] = sz;
    p[2] = cstr;
    p[3] = i32;
    p[4] = f64;
    CHECK_OK(jitffi_sig_build_variadic(JITFFI_ABI_HOST, i32, p, 5, 3, &vb));
    CHECK(vb && jitffi_sig_is_variadic(vb) && jitffi_sig_fixed_count(vb) == 3);
    CHECK(jitffi_sig_equal(vb, call) && jitffi_sig_hash(vb) == jitffi_sig_hash(call));
    /* The fixed part alone, then the varargs as types. */
    CHECK_OK(jitffi_sig_build_variadic(JITFFI_ABI_HOST, i32, p, 3, 3, &vb2));
    CHECK(vb2 && jitffi_sig_equal(vb2, proto));
    jitffi_sig_free(vb);
    vb = NULL;
    CHECK_OK(jitffi_sig_with_vararg_types(vb2, p + 3, 2, &vb));
    CHECK(vb && jitffi_sig_equal(vb, call));
    jitffi_sig_free(vb);
    jitffi_sig_free(vb2);
    jitffi_sig_free(call);
    jitffi_sig_free(proto);
    jitffi_type_free(ptr);
    jitffi_type_free(cstr);
    jitffi_type_free(sz);
    jitffi_type_free(f64);
  }
  jitffi_type_free(i32);
  jitffi_sig_free(named);
  jitffi_sig_free(built);
  jitffi_sig_free(parsed);
}

static struct mixed sample_mixed(void) {
  struct mixed m;
  memset(&m, 0, sizeof m);
  m.c = 'a';
  m.d = 1.5;
  m.s = 300;
  m.arr[0] = 4;
  m.arr[1] = 5;
  m.arr[2] = 6;
  m.in.f = 0.25f;
  memcpy(m.in.tag, "abcd", 5);
  m.u.x = 10.0;
  m.ll = 1000000000000LL;
  m.last = 0x0f;
  return m;
}

static int same_mixed(const struct mixed *a, const struct mixed *b) {
  return a->c == b->c && a->d == b->d && a->s == b->s &&
         memcmp(a->arr, b->arr, sizeof a->arr) == 0 && a->in.f == b->in.f &&
         memcmp(a->in.tag, b->in.tag, sizeof a->in.tag) == 0 && a->u.x == b->u.x &&
         a->ll == b->ll && a->last == b->last;
}

static jitffi_sig *build_mixed_sig(void) {
  jitffi_type *mixed = build_mixed(), *i32 = NULL;
  jitffi_sig *sig = NULL;
  const jitffi_type *params[2];
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_I32, &i32));
  params[0] = mixed;
  params[1] = i32;
  CHECK_OK(jitffi_sig_build(JITFFI_ABI_HOST, mixed, params, 2, &sig));
  jitffi_type_free(mixed);
  jitffi_type_free(i32);
  return sig;
}

CASE(call_through_built_signature) {
  static const jitffi_backend backends[] = {JITFFI_BACKEND_LIBFFI, JITFFI_BACKEND_AUTO};
  jitffi_sig *sig = build_mixed_sig();
  size_t b;
  if (!sig) return;
  for (b = 0; b < 2; ++b) {
    jitffi_fn *fn = NULL;
    jitffi_fn_options opts = {JITFFI_BACKEND_AUTO, 0};
    struct mixed in = sample_mixed(), out, want;
    int k = 3;
    void *args[2];
    opts.backend = backends[b];
    CHECK_OK(jitffi_fn_create(sig, FN_ADDR(pass_mixed), &opts, &fn));
    if (!fn) continue;
    CHECK(jitffi_fn_return_size(fn) == sizeof(struct mixed));
    args[0] = &in;
    args[1] = &k;
    memset(&out, 0, sizeof out);
    CHECK_OK(jitffi_fn_call(fn, &out, args));
    want = pass_mixed(sample_mixed(), 3);
    CHECK(same_mixed(&out, &want));
    jitffi_fn_free(fn);
  }
  jitffi_sig_free(sig);
  /* libc through a built signature looked up by name: size_t strlen(const char *). */
  {
    jitffi_lib *libc = NULL;
    jitffi_type *u64 = NULL, *cstr = NULL;
    const jitffi_type *p[1];
    jitffi_sig *s = NULL, *named = NULL;
    jitffi_fn *fn = NULL;
    const char *text = "built without text";
    void *args[1];
    uint64_t n = 0;
    CHECK_OK(jitffi_lib_open("libc.so.6", &libc));
    CHECK_OK(jitffi_type_scalar(JITFFI_KIND_U64, &u64));
    CHECK_OK(jitffi_type_pointer(1, &cstr));
    p[0] = cstr;
    CHECK_OK(jitffi_sig_build(JITFFI_ABI_HOST, u64, p, 1, &s));
    CHECK_OK(jitffi_sig_with_name(s, "strlen", &named));
    CHECK_OK(jitffi_lib_function_sig(libc, named, NULL, &fn));
    args[0] = &text;
    if (fn) CHECK_OK(jitffi_fn_call(fn, &n, args));
    CHECK(n == strlen(text));
    jitffi_fn_free(fn);
    jitffi_sig_free(named);
    jitffi_sig_free(s);
    jitffi_type_free(u64);
    jitffi_type_free(cstr);
    jitffi_lib_close(libc);
  }
}

static void mixed_handler(void *ret, void **args, void *user_data) {
  struct mixed m;
  int k;
  memcpy(&m, args[0], sizeof m);
  memcpy(&k, args[1], sizeof k);
  ++*(int *)user_data;
  m = pass_mixed(m, k);
  memcpy(ret, &m, sizeof m);
}

CASE(closure_with_built_signature) {
  static const jitffi_backend backends[] = {JITFFI_BACKEND_LIBFFI, JITFFI_BACKEND_AUTO};
  jitffi_sig *sig = build_mixed_sig();
  size_t b;
  if (!sig) return;
  for (b = 0; b < 2; ++b) {
    jitffi_closure *c = NULL;
    int calls = 0;
    struct mixed (*fp)(struct mixed, int);
    struct mixed out, want;
    CHECK_OK(jitffi_closure_create_with(sig, mixed_handler, &calls, backends[b], &c));
    if (!c) continue;
    *(void **)&fp = jitffi_closure_code(c);
    out = fp(sample_mixed(), 7);
    want = pass_mixed(sample_mixed(), 7);
    CHECK(calls == 1);
    CHECK(same_mixed(&out, &want));
    jitffi_closure_free(c);
  }
  jitffi_sig_free(sig);
}

CASE(types_from_text_per_abi) {
  struct {
    jitffi_abi abi;
    const char *text;
    jitffi_kind kind;
    size_t size;
  } table[] = {
      {JITFFI_ABI_SYSV_X64, "long", JITFFI_KIND_I64, 8},
      {JITFFI_ABI_WIN64, "long", JITFFI_KIND_I32, 4},
      {JITFFI_ABI_WIN64, "unsigned long", JITFFI_KIND_U32, 4},
      {JITFFI_ABI_SYSV_X64, "long double", JITFFI_KIND_LONG_DOUBLE, 16},
      {JITFFI_ABI_WIN64, "long double", JITFFI_KIND_F64, 8},
      {JITFFI_ABI_AAPCS64, "long double", JITFFI_KIND_LONG_DOUBLE, 16},
      {JITFFI_ABI_APPLE_ARM64, "long double", JITFFI_KIND_F64, 8},
      {JITFFI_ABI_WINDOWS_ARM64, "long", JITFFI_KIND_I32, 4},
      {JITFFI_ABI_WINDOWS_ARM64, "long double", JITFFI_KIND_F64, 8},
      {JITFFI_ABI_HOST, "struct { char c; long double x; }", JITFFI_KIND_STRUCT, sizeof(struct {
         char c;
         long double x;
       })},
      {JITFFI_ABI_HOST, "u16[7]", JITFFI_KIND_ARRAY, 14},
  };
  size_t i;
  for (i = 0; i < sizeof table / sizeof table[0]; ++i) {
    jitffi_type *t = NULL;
    CHECK_OK(jitffi_type_parse(table[i].abi, table[i].text, &t));
    if (jitffi_type_kind(t) != table[i].kind || jitffi_type_size(t) != table[i].size) {
      fprintf(stderr, "%s on %s: kind %s size %zu\n", table[i].text, jitffi_abi_name(table[i].abi),
              jitffi_kind_name(jitffi_type_kind(t)), jitffi_type_size(t));
      ++failures;
    }
    jitffi_type_free(t);
  }
  /* A library's declarations give its layouts. */
  {
    jitffi_lib *self = NULL;
    jitffi_type *t = NULL;
    size_t off = 0;
    const char *name = NULL;
    CHECK_OK(jitffi_lib_open_self(&self));
    CHECK_OK(jitffi_lib_declare(self, "typedef struct point { short x; double y; } point_t;"));
    CHECK_OK(jitffi_lib_type(self, "point_t", &t));
    CHECK(jitffi_type_size(t) == 16 && jitffi_type_member_count(t) == 2);
    CHECK_OK(jitffi_type_member_at(t, 1, &name, NULL, &off));
    CHECK(off == 8 && name && strcmp(name, "y") == 0);
    jitffi_type_free(t);
    CHECK_STATUS(jitffi_lib_type(self, "struct nowhere", &t), JITFFI_PARSE_ERROR);
    CHECK(t == NULL);
    CHECK_ERROR_HAS("nowhere");
    /* Incomplete types: no handle can hold one (so the builder never meets them); text that
     * needs one as a value or a member is refused, naming it. A pointer to one is fine. */
    CHECK_OK(jitffi_lib_declare(self, "typedef struct opaque opaque_t;"));
    CHECK_STATUS(jitffi_lib_type(self, "opaque_t", &t), JITFFI_PARSE_ERROR);
    CHECK_ERROR_HAS("'struct opaque', which is declared but not defined");
    CHECK_STATUS(jitffi_lib_type(self, "struct { int x; opaque_t o; }", &t), JITFFI_PARSE_ERROR);
    CHECK_ERROR_HAS("expected a complete member type, got 'struct opaque'");
    CHECK(jitffi_last_error_position() == 16);
    CHECK_OK(jitffi_lib_type(self, "opaque_t *", &t));
    CHECK(jitffi_type_kind(t) == JITFFI_KIND_POINTER);
    jitffi_type_free(t);
    jitffi_lib_close(self);
  }
  {
    jitffi_type *t = (jitffi_type *)&t;
    CHECK_STATUS(jitffi_type_parse(JITFFI_ABI_HOST, "int (", &t), JITFFI_PARSE_ERROR);
    CHECK(t == NULL);
    CHECK(jitffi_last_error_position() != JITFFI_NO_POSITION);
    CHECK_STATUS(jitffi_type_parse((jitffi_abi)9, "int", &t), JITFFI_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("abi is 9, not a jitffi_abi");
    CHECK_STATUS(jitffi_type_parse(JITFFI_ABI_HOST, NULL, &t), JITFFI_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("text is NULL");
  }
}

CASE(builder_errors) {
  jitffi_type *i32 = NULL, *v = NULL, *u8 = NULL, *t = NULL, *big = NULL;
  jitffi_member m[2];
  jitffi_sig *sig = NULL;
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_I32, &i32));
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_VOID, &v));
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_U8, &u8));
  /* NULL */
  CHECK_STATUS(jitffi_type_scalar(JITFFI_KIND_I32, NULL), JITFFI_INVALID_ARGUMENT);
  CHECK_ERROR_HAS("jitffi_type_scalar: out is NULL");
  CHECK_STATUS(jitffi_type_array(NULL, 3, &t), JITFFI_INVALID_ARGUMENT);
  CHECK_ERROR_HAS("element is NULL");
  CHECK_STATUS(jitffi_type_struct("s", NULL, 2, &t), JITFFI_INVALID_ARGUMENT);
  CHECK_ERROR_HAS("members is NULL");
  m[0].name = "x";
  m[0].type = i32;
  m[1].name = "y";
  m[1].type = NULL;
  CHECK_STATUS(jitffi_type_struct("s", m, 2, &t), JITFFI_INVALID_ARGUMENT);
  CHECK_ERROR_HAS("members[1] ('y').type is NULL");
  CHECK(t == NULL);
  /* unknown kind, and a kind that is not a scalar */
  CHECK_STATUS(jitffi_type_scalar((jitffi_kind)77, &t), JITFFI_INVALID_ARGUMENT);
  CHECK_ERROR_HAS("kind is 77, not a jitffi_kind");
  CHECK_STATUS(jitffi_type_scalar((jitffi_kind)-1, &t), JITFFI_INVALID_ARGUMENT);
  CHECK_STATUS(jitffi_type_scalar(JITFFI_KIND_STRUCT, &t), JITFFI_INVALID_ARGUMENT);
  CHECK_ERROR_HAS("struct is not a scalar kind");
  CHECK(jitffi_kind_name((jitffi_kind)77) == NULL);
  /* zero members */
  CHECK_STATUS(jitffi_type_struct("empty", m, 0, &t), JITFFI_TYPE_ERROR);
  CHECK_ERROR_HAS("struct empty has no members");
  CHECK_STATUS(jitffi_type_union(NULL, NULL, 0, &t), JITFFI_TYPE_ERROR);
  CHECK_ERROR_HAS("union has no members");
  /* a member of incomplete type (void) */
  m[1].type = v;
  CHECK_STATUS(jitffi_type_struct("s", m, 2, &t), JITFFI_TYPE_ERROR);
  CHECK_ERROR_HAS("struct s: members[1] ('y') has type void");
  m[1].name = NULL;
  CHECK_STATUS(jitffi_type_union("u", m, 2, &t), JITFFI_TYPE_ERROR);
  CHECK_ERROR_HAS("union u: members[1] has type void");
  CHECK_STATUS(jitffi_type_array(v, 4, &t), JITFFI_TYPE_ERROR);
  CHECK_ERROR_HAS("array of void");
  CHECK_STATUS(jitffi_type_array(i32, 0, &t), JITFFI_TYPE_ERROR);
  CHECK_ERROR_HAS("0 elements");
  /* size overflow: arrays, and structs whose members add up past the bound */
  CHECK_STATUS(jitffi_type_array(i32, SIZE_MAX / 2, &t), JITFFI_TYPE_ERROR);
  CHECK_ERROR_HAS("larger than 2^40 bytes");
  CHECK_OK(jitffi_type_array(u8, (size_t)1 << 40, &big));
  CHECK(jitffi_type_size(big) == (size_t)1 << 40);
  CHECK_STATUS(jitffi_type_array(big, 2, &t), JITFFI_TYPE_ERROR);
  m[0].name = "huge";
  m[0].type = big;
  m[1].name = "one_more";
  m[1].type = u8;
  CHECK_STATUS(jitffi_type_struct("s", m, 2, &t), JITFFI_TYPE_ERROR);
  CHECK_ERROR_HAS("members[1] ('one_more') (u8) makes it larger than 2^40 bytes");
  m[1].type = big;
  CHECK_OK(jitffi_type_union("u", m, 2, &t)); /* a union is only as big as its largest */
  CHECK(jitffi_type_size(t) == (size_t)1 << 40);
  jitffi_type_free(t);
  t = NULL;
  /* member_at misuse */
  CHECK_STATUS(jitffi_type_member_at(i32, 0, NULL, NULL, NULL), JITFFI_INVALID_ARGUMENT);
  CHECK_ERROR_HAS("i32 is not a struct or union");
  m[0].name = "x";
  m[0].type = i32;
  CHECK_OK(jitffi_type_struct(NULL, m, 1, &t));
  CHECK_STATUS(jitffi_type_member_at(t, 1, NULL, NULL, NULL), JITFFI_INVALID_ARGUMENT);
  CHECK_ERROR_HAS("index 1 is out of range: {i32} has 1 members");
  CHECK_STATUS(jitffi_type_member_at(NULL, 0, NULL, NULL, NULL), JITFFI_INVALID_ARGUMENT);
  /* signatures */
  {
    const jitffi_type *p[2];
    jitffi_type *arr = NULL, *ld = NULL, *f32 = NULL;
    CHECK_OK(jitffi_type_array(i32, 2, &arr));
    CHECK_OK(jitffi_type_scalar(JITFFI_KIND_LONG_DOUBLE, &ld));
    CHECK_OK(jitffi_type_scalar(JITFFI_KIND_F32, &f32));
    p[0] = i32;
    p[1] = v;
    CHECK_STATUS(jitffi_sig_build(JITFFI_ABI_HOST, i32, p, 2, &sig), JITFFI_TYPE_ERROR);
    CHECK_ERROR_HAS("parameter 2 has type void");
    p[1] = arr;
    CHECK_STATUS(jitffi_sig_build(JITFFI_ABI_HOST, i32, p, 2, &sig), JITFFI_TYPE_ERROR);
    CHECK_ERROR_HAS("is an array (i32[2])");
    CHECK_STATUS(jitffi_sig_build(JITFFI_ABI_HOST, arr, p, 0, &sig), JITFFI_TYPE_ERROR);
    CHECK_ERROR_HAS("cannot return an array");
    p[1] = NULL;
    CHECK_STATUS(jitffi_sig_build(JITFFI_ABI_HOST, i32, p, 2, &sig), JITFFI_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("params[1] is NULL");
    CHECK_STATUS(jitffi_sig_build(JITFFI_ABI_HOST, i32, NULL, 1, &sig), JITFFI_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("params is NULL");
    CHECK_STATUS(jitffi_sig_build(JITFFI_ABI_HOST, NULL, p, 0, &sig), JITFFI_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("ret is NULL");
    CHECK_STATUS(jitffi_sig_build((jitffi_abi)7, i32, p, 0, &sig), JITFFI_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("abi is 7, not a jitffi_abi");
    p[0] = ld;
    CHECK_STATUS(jitffi_sig_build(JITFFI_ABI_WIN64, i32, p, 1, &sig), JITFFI_TYPE_ERROR);
    CHECK_ERROR_HAS("long double");
    CHECK_OK(jitffi_sig_build(JITFFI_ABI_SYSV_X64, ld, p, 1, &sig));
    CHECK(sig && strcmp(jitffi_sig_canonical(sig), "sysv:ldouble(ldouble)") == 0);
    jitffi_sig_free(sig);
    sig = NULL;
    p[0] = i32;
    p[1] = f32;
    CHECK_STATUS(jitffi_sig_build_variadic(JITFFI_ABI_HOST, i32, p, 2, 1, &sig), JITFFI_TYPE_ERROR);
    CHECK_ERROR_HAS("(variadic) has type f32");
    CHECK_STATUS(jitffi_sig_build_variadic(JITFFI_ABI_HOST, i32, p, 1, 2, &sig),
                 JITFFI_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fixed_count 2 exceeds count 1");
    CHECK_OK(jitffi_sig_build(JITFFI_ABI_HOST, i32, p, 1, &sig));
    {
      jitffi_sig *other = NULL;
      CHECK_STATUS(jitffi_sig_with_vararg_types(sig, p, 1, &other), JITFFI_TYPE_ERROR);
      CHECK_ERROR_HAS("is not variadic");
      CHECK_STATUS(jitffi_sig_with_name(sig, NULL, &other), JITFFI_INVALID_ARGUMENT);
      CHECK_ERROR_HAS("name is NULL");
      CHECK(other == NULL);
    }
    jitffi_sig_free(sig);
    jitffi_type_free(arr);
    jitffi_type_free(ld);
    jitffi_type_free(f32);
  }
  jitffi_type_free(t);
  jitffi_type_free(big);
  jitffi_type_free(i32);
  jitffi_type_free(v);
  jitffi_type_free(u8);
  /* Freeing a handle owned by a signature is ignored (it is not the caller's). */
  CHECK_OK(jitffi_sig_parse("{i32,f64}({i32,f64})", &sig));
  jitffi_type_free((jitffi_type *)jitffi_sig_return(sig));
  CHECK(jitffi_type_member_count(jitffi_sig_return(sig)) == 2);
  jitffi_sig_free(sig);
  jitffi_type_free(NULL);
}

/* Real C library types: glibc's struct tm and ldiv_t as its headers lay them out, read from
 * declarations and checked against <time.h>/<stdlib.h>; ldiv called through a built signature.
 * (ldiv_t is declared under another name: the parser may know the C library's own typedefs.) */
CASE(libc_structs_against_the_headers) {
  jitffi_lib *libc = NULL;
  jitffi_type *tm = NULL, *ldt = NULL, *i64 = NULL;
  jitffi_sig *sig = NULL, *named = NULL;
  jitffi_fn *fn = NULL;
  CHECK_OK(jitffi_lib_open("libc.so.6", &libc));
  if (!libc) return;
  CHECK_OK(jitffi_lib_declare(libc,
                              "struct tm { int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year,"
                              " tm_wday, tm_yday, tm_isdst; long tm_gmtoff; const char *tm_zone; };"
                              "typedef struct { long quot; long rem; } ldiv_result;"));
  CHECK_OK(jitffi_lib_type(libc, "struct tm", &tm));
  {
    static const struct expected_member want[] = {
        MEMBER(struct tm, tm_sec, JITFFI_KIND_I32),
        MEMBER(struct tm, tm_min, JITFFI_KIND_I32),
        MEMBER(struct tm, tm_hour, JITFFI_KIND_I32),
        MEMBER(struct tm, tm_mday, JITFFI_KIND_I32),
        MEMBER(struct tm, tm_mon, JITFFI_KIND_I32),
        MEMBER(struct tm, tm_year, JITFFI_KIND_I32),
        MEMBER(struct tm, tm_wday, JITFFI_KIND_I32),
        MEMBER(struct tm, tm_yday, JITFFI_KIND_I32),
        MEMBER(struct tm, tm_isdst, JITFFI_KIND_I32),
        MEMBER(struct tm, tm_gmtoff, JITFFI_KIND_I64),
        MEMBER(struct tm, tm_zone, JITFFI_KIND_POINTER),
    };
    check_members(tm, JITFFI_KIND_STRUCT, sizeof(struct tm), _Alignof(struct tm), want, 11);
  }
  CHECK_OK(jitffi_lib_type(libc, "ldiv_result", &ldt));
  {
    static const struct expected_member want[] = {
        MEMBER(ldiv_t, quot, JITFFI_KIND_I64),
        MEMBER(ldiv_t, rem, JITFFI_KIND_I64),
    };
    check_members(ldt, JITFFI_KIND_STRUCT, sizeof(ldiv_t), _Alignof(ldiv_t), want, 2);
  }
  /* ldiv_t ldiv(long, long), built from the handles, called in libc. */
  CHECK_OK(jitffi_type_scalar(JITFFI_KIND_I64, &i64));
  {
    const jitffi_type *p[2];
    jitffi_sig *parsed = NULL;
    p[0] = i64;
    p[1] = i64;
    CHECK_OK(jitffi_sig_build(JITFFI_ABI_HOST, ldt, p, 2, &sig));
    CHECK_OK(jitffi_sig_with_name(sig, "ldiv", &named));
    CHECK_OK(jitffi_lib_parse(libc, "ldiv_result ldiv(long numer, long denom)", &parsed));
    CHECK(jitffi_sig_equal(named, parsed) && jitffi_sig_hash(named) == jitffi_sig_hash(parsed));
    jitffi_sig_free(parsed);
  }
  CHECK_OK(jitffi_lib_function_sig(libc, named, NULL, &fn));
  if (fn) {
    long num = -47, den = 5;
    void *args[2];
    ldiv_t r, want = ldiv(-47, 5);
    args[0] = &num;
    args[1] = &den;
    memset(&r, 0, sizeof r);
    CHECK_OK(jitffi_fn_call(fn, &r, args));
    CHECK(r.quot == want.quot && r.rem == want.rem);
  }
  jitffi_fn_free(fn);
  jitffi_sig_free(named);
  jitffi_sig_free(sig);
  jitffi_type_free(i64);
  jitffi_type_free(ldt);
  jitffi_type_free(tm);
  jitffi_lib_close(libc);
}

/* Shared types reached along many paths: one handle each, so work stays linear in the text. */
CASE(shared_types_one_handle) {
  jitffi_lib *self = NULL;
  jitffi_sig *sig = NULL;
  const jitffi_type *t, *a = NULL, *b = NULL, *a2 = NULL;
  CHECK_OK(jitffi_lib_open_self(&self));
  CHECK_OK(jitffi_lib_declare(self,
                              "struct s0 { int x; }; struct s1 { struct s0 a, b; };"
                              "struct s2 { struct s1 a, b; }; struct s3 { struct s2 a, b; };"));
  CHECK_OK(jitffi_lib_parse(self, "void f(struct s3 *p, struct s3 v)", &sig));
  jitffi_lib_close(self);
  if (!sig) return;
  t = jitffi_sig_param(sig, 1);
  CHECK(jitffi_type_size(t) == 32);
  CHECK_OK(jitffi_type_member_at(t, 0, NULL, &a, NULL));
  CHECK_OK(jitffi_type_member_at(t, 1, NULL, &b, NULL));
  CHECK(a == b); /* struct s2, once */
  CHECK_OK(jitffi_type_member_at(a, 1, NULL, &a2, NULL));
  CHECK(strcmp(jitffi_type_tag(a2), "s1") == 0);
  jitffi_sig_free(sig);
}

struct introspect_job {
  const jitffi_sig *sig;
  const jitffi_type *seen[3];
};

static void *introspect_thread(void *p) {
  struct introspect_job *job = (struct introspect_job *)p;
  int round;
  for (round = 0; round < 2000; ++round) {
    const jitffi_type *m = jitffi_sig_param(job->sig, 0);
    const jitffi_type *in = NULL, *u = NULL;
    jitffi_type_member_at(m, 4, NULL, &in, NULL);
    jitffi_type_member_at(m, 5, NULL, &u, NULL);
    job->seen[0] = m;
    job->seen[1] = in;
    job->seen[2] = u;
  }
  return NULL;
}

CASE(introspection_from_many_threads) {
  jitffi_sig *sig = parse_mixed();
  struct introspect_job jobs[4];
  pthread_t threads[4];
  int i;
  if (!sig) return;
  for (i = 0; i < 4; ++i) {
    jobs[i].sig = sig;
    CHECK(pthread_create(&threads[i], NULL, introspect_thread, &jobs[i]) == 0);
  }
  for (i = 0; i < 4; ++i) pthread_join(threads[i], NULL);
  for (i = 1; i < 4; ++i) CHECK(memcmp(jobs[i].seen, jobs[0].seen, sizeof jobs[0].seen) == 0);
  CHECK(jitffi_type_kind(jobs[0].seen[2]) == JITFFI_KIND_UNION);
  jitffi_sig_free(sig);
}

/* ---- driver -------------------------------------------------------------------------------- */

struct case_entry {
  const char *name;
  void (*run)(void);
};

#define ENTRY(name) \
  { #name, case_##name }
static const struct case_entry cases[] = {
    ENTRY(scalars_against_the_compiler),
    ENTRY(signature_introspection),
    ENTRY(struct_layout_against_the_compiler),
    ENTRY(builder_layout_against_the_compiler),
    ENTRY(built_signature_equals_parsed),
    ENTRY(call_through_built_signature),
    ENTRY(closure_with_built_signature),
    ENTRY(types_from_text_per_abi),
    ENTRY(builder_errors),
    ENTRY(libc_structs_against_the_headers),
    ENTRY(shared_types_one_handle),
    ENTRY(introspection_from_many_threads),
};

int main(int argc, char **argv) {
  size_t i;
  if (argc != 2) {
    fprintf(stderr, "usage: %s CASE\n", argv[0]);
    return 2;
  }
  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    if (strcmp(cases[i].name, argv[1]) == 0) {
      cases[i].run();
      if (failures) fprintf(stderr, "%s: %d check(s) failed\n", argv[1], failures);
      return failures ? 1 : 0;
    }
  }
  fprintf(stderr, "unknown case '%s'\n", argv[1]);
  return 2;
}
