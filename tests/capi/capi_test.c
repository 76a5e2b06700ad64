/* The C API (jitffi.h) used from C99, as a language runtime would use it.
 * Each CASE(name) is one ctest test (tests.cmake reads the names from this file):
 * `jitffi_capi_test NAME` runs one case, exit status 0 when every check in it holds. */
#define _GNU_SOURCE /* RTLD_NOLOAD */

#include "jitffi.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

/* A status check that shows jitffi's own message when it is not the expected one. */
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

static int contains(const char *haystack, const char *needle) {
  return haystack && strstr(haystack, needle) != NULL;
}

/* A function's address as the void * that jitffi takes (POSIX guarantees they convert; ISO C
 * does not, hence the copy). */
typedef void (*any_fn)(void);
static void *fn_addr_of(any_fn f) {
  void *p;
  memcpy(&p, &f, sizeof p);
  return p;
}
#define FN_ADDR(f) fn_addr_of((any_fn)(f))

/* ---- targets defined here, called through jitffi_fn_create -------------------------------- */

static int add3(int a, int b, int c) {
  return a + b + c;
}
static signed char negate_i8(signed char x) {
  return (signed char)-x;
}
static unsigned short twice_u16(unsigned short x) {
  return (unsigned short)(x * 2);
}
static double mix(int a, double b, float c, long long d) {
  return a + b * 2 + c * 4 + (double)d;
}

struct pair {
  double a, b;
};
static struct pair make_pair(double x) {
  struct pair p;
  p.a = x;
  p.b = -x;
  return p;
}

struct big {
  long long v[5];
};
static long long sum_big(struct big b) {
  return b.v[0] + b.v[1] + b.v[2] + b.v[3] + b.v[4];
}

/* ---- cases --------------------------------------------------------------------------------- */

#define CASE(name) static void case_##name(void)

CASE(version) {
  const char *v = jitffi_version();
  CHECK(v != NULL && v[0] >= '0' && v[0] <= '9' && strchr(v, '.') != NULL);
}

CASE(sig_parse) {
  jitffi_sig *compact = NULL, *proto = NULL, *other = NULL;
  CHECK_OK(jitffi_sig_parse("f64(f64, f64)", &compact));
  CHECK_OK(jitffi_sig_parse("double pow(double x, double y)", &proto));
  CHECK_OK(jitffi_sig_parse("i32(ptr)", &other));
  if (!compact || !proto || !other) return;
  CHECK(jitffi_sig_nargs(compact) == 2);
  CHECK(jitffi_sig_fixed_count(compact) == 2);
  CHECK(!jitffi_sig_is_variadic(compact));
  CHECK(contains(jitffi_sig_canonical(compact), "f64(f64,f64)"));
  CHECK(strcmp(jitffi_sig_canonical(compact), jitffi_sig_canonical(proto)) == 0);
  CHECK(jitffi_sig_hash(compact) == jitffi_sig_hash(proto));
  CHECK(jitffi_sig_equal(compact, proto));
  CHECK(!jitffi_sig_equal(compact, other));
  CHECK(jitffi_sig_hash(compact) != jitffi_sig_hash(other));
  CHECK(strcmp(jitffi_sig_name(proto), "pow") == 0);
  CHECK(strcmp(jitffi_sig_name(compact), "") == 0);
  jitffi_sig_free(compact);
  jitffi_sig_free(proto);
  jitffi_sig_free(other);
}

CASE(sig_parse_n) {
  /* Only the first 8 characters count: the rest is not part of the text. */
  const char text[] = "i32(i32)garbage";
  jitffi_sig *sig = NULL;
  CHECK_OK(jitffi_sig_parse_n(text, 8, &sig));
  CHECK(sig && jitffi_sig_nargs(sig) == 1);
  jitffi_sig_free(sig);
  CHECK_STATUS(jitffi_sig_parse_n(text, sizeof text - 1, &sig), JITFFI_PARSE_ERROR);
  CHECK(sig == NULL);
}

CASE(parse_error) {
  jitffi_sig *sig = (jitffi_sig *)&sig; /* must be reset to NULL on failure */
  CHECK_STATUS(jitffi_sig_parse("i32(ptr, f64", &sig), JITFFI_PARSE_ERROR);
  CHECK(sig == NULL);
  CHECK(jitffi_last_error_position() == 12);
  CHECK(contains(jitffi_last_error(), "expected"));
  CHECK(contains(jitffi_last_error(), "i32(ptr, f64"));

  CHECK_STATUS(jitffi_sig_parse("int f(frobnicator)", &sig), JITFFI_PARSE_ERROR);
  CHECK(contains(jitffi_last_error(), "frobnicator"));
  CHECK(jitffi_last_error_position() == 6);

  /* A failure of another kind resets the position. */
  CHECK_STATUS(jitffi_sig_parse(NULL, &sig), JITFFI_INVALID_ARGUMENT);
  CHECK(jitffi_last_error_position() == JITFFI_NO_POSITION);
}

CASE(null_arguments) {
  jitffi_sig *sig = NULL;
  jitffi_fn *fn = NULL;
  jitffi_lib *lib = NULL;
  jitffi_closure *closure = NULL;
  void *sym = NULL;
  CHECK_STATUS(jitffi_sig_parse(NULL, &sig), JITFFI_INVALID_ARGUMENT);
  CHECK(contains(jitffi_last_error(), "text"));
  CHECK_STATUS(jitffi_sig_parse("i32()", NULL), JITFFI_INVALID_ARGUMENT);
  CHECK_STATUS(jitffi_fn_create(NULL, FN_ADDR(add3), NULL, &fn), JITFFI_INVALID_ARGUMENT);
  CHECK_OK(jitffi_sig_parse("i32(i32, i32, i32)", &sig));
  CHECK_STATUS(jitffi_fn_create(sig, NULL, NULL, &fn), JITFFI_INVALID_ARGUMENT);
  CHECK(contains(jitffi_last_error(), "address"));
  CHECK_STATUS(jitffi_fn_create(sig, FN_ADDR(add3), NULL, NULL), JITFFI_INVALID_ARGUMENT);
  CHECK_STATUS(jitffi_fn_call(NULL, NULL, NULL), JITFFI_INVALID_ARGUMENT);
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(add3), NULL, &fn));
  {
    int64_t r = 0;
    CHECK_STATUS(jitffi_fn_call(fn, &r, NULL), JITFFI_INVALID_ARGUMENT); /* 3 parameters */
    CHECK(contains(jitffi_last_error(), "args"));
    CHECK_STATUS(jitffi_fn_call(fn, NULL, NULL), JITFFI_INVALID_ARGUMENT);
  }
  CHECK_STATUS(jitffi_closure_create(sig, NULL, NULL, &closure), JITFFI_INVALID_ARGUMENT);
  CHECK(contains(jitffi_last_error(), "handler"));
  jitffi_fn_free(fn);
  jitffi_sig_free(sig);
  CHECK_STATUS(jitffi_lib_open(NULL, &lib), JITFFI_INVALID_ARGUMENT);
  CHECK_STATUS(jitffi_lib_symbol(NULL, "cos", &sym), JITFFI_INVALID_ARGUMENT);
  CHECK_STATUS(jitffi_lib_function(NULL, "double cos(double)", NULL, &fn), JITFFI_INVALID_ARGUMENT);
  CHECK(fn == NULL); /* out is reset even when the failure is about another argument */
  CHECK_STATUS(jitffi_lib_declare(NULL, "struct a { int x; };"), JITFFI_INVALID_ARGUMENT);
  CHECK_STATUS(jitffi_sig_with_varargs(NULL, NULL, 0, &sig), JITFFI_INVALID_ARGUMENT);
  /* Accessors and destructors accept NULL. */
  CHECK(jitffi_sig_canonical(NULL) == NULL);
  CHECK(jitffi_sig_nargs(NULL) == 0);
  CHECK(jitffi_fn_backend(NULL) == NULL);
  CHECK(jitffi_closure_code(NULL) == NULL);
  jitffi_sig_free(NULL);
  jitffi_fn_free(NULL);
  jitffi_closure_free(NULL);
  jitffi_lib_close(NULL);
  CHECK(sig == NULL);
}

CASE(fn_call) {
  jitffi_sig *sig = NULL;
  jitffi_fn *fn = NULL;
  CHECK_OK(jitffi_sig_parse("int add3(int, int, int)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(add3), NULL, &fn));
  jitffi_sig_free(sig); /* the function keeps its own copy */
  if (!fn) return;
  {
    int a = 40, b = 3, c = -1;
    void *args[3];
    int64_t r = 0;
    args[0] = &a;
    args[1] = &b;
    args[2] = &c;
    CHECK(jitffi_fn_return_size(fn) >= 8);
    CHECK_OK(jitffi_fn_call(fn, &r, args));
    CHECK(r == 42);
    CHECK(jitffi_fn_address(fn) == FN_ADDR(add3));
    CHECK(jitffi_sig_nargs(jitffi_fn_sig(fn)) == 3);
    CHECK(strcmp(jitffi_fn_backend(fn), "jit") == 0 ||
          strcmp(jitffi_fn_backend(fn), "libffi") == 0);
    /* args are read, never written */
    CHECK(args[0] == &a && args[1] == &b && args[2] == &c && a == 40);
  }
  jitffi_fn_free(fn);
}

CASE(narrow_returns_widened) {
  jitffi_sig *sig = NULL;
  jitffi_fn *fn = NULL;
  signed char x = 5;
  unsigned short u = 40000;
  void *args[1];
  int64_t r;
  CHECK_OK(jitffi_sig_parse("signed char negate(signed char)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(negate_i8), NULL, &fn));
  args[0] = &x;
  memset(&r, 0x55, sizeof r);
  CHECK_OK(jitffi_fn_call(fn, &r, args));
  CHECK(r == -5); /* sign-extended to 64 bits */
  jitffi_fn_free(fn);
  jitffi_sig_free(sig);

  CHECK_OK(jitffi_sig_parse("u16(u16)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(twice_u16), NULL, &fn));
  args[0] = &u;
  memset(&r, 0xff, sizeof r);
  CHECK_OK(jitffi_fn_call(fn, &r, args));
  CHECK(r == (uint16_t)80000); /* wrapped in 16 bits, zero-extended */
  jitffi_fn_free(fn);
  jitffi_sig_free(sig);
}

CASE(mixed_scalars) {
  jitffi_sig *sig = NULL;
  jitffi_fn *fn = NULL;
  int a = 1;
  double b = 2.5;
  float c = 0.25f;
  long long d = -1000000000000LL;
  void *args[4];
  double r = 0;
  CHECK_OK(jitffi_sig_parse("double mix(int, double, float, long long)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(mix), NULL, &fn));
  args[0] = &a;
  args[1] = &b;
  args[2] = &c;
  args[3] = &d;
  CHECK_OK(jitffi_fn_call(fn, &r, args));
  CHECK(r == mix(a, b, c, d));
  jitffi_fn_free(fn);
  jitffi_sig_free(sig);
}

CASE(struct_by_value) {
  jitffi_sig *sig = NULL;
  jitffi_fn *fn = NULL;
  double x = 1.5;
  void *args[1];
  struct pair p = {0, 0};
  struct big b = {{1, 20, 300, 4000, 50000}};
  int64_t r = 0;
  CHECK_OK(jitffi_sig_parse("{f64, f64}(f64)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(make_pair), NULL, &fn));
  args[0] = &x;
  CHECK(jitffi_fn_return_size(fn) == sizeof(struct pair));
  CHECK_OK(jitffi_fn_call(fn, &p, args));
  CHECK(p.a == 1.5 && p.b == -1.5);
  jitffi_fn_free(fn);
  jitffi_sig_free(sig);

  /* Over 16 bytes: passed in memory; the caller's args[] must stay as it was. */
  CHECK_OK(jitffi_sig_parse("i64({i64, i64, i64, i64, i64})", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(sum_big), NULL, &fn));
  args[0] = &b;
  CHECK_OK(jitffi_fn_call(fn, &r, args));
  CHECK(r == 54321);
  CHECK(args[0] == &b);
  CHECK_OK(jitffi_fn_call(fn, &r, args));
  CHECK(r == 54321);
  jitffi_fn_free(fn);
  jitffi_sig_free(sig);
}

CASE(library) {
  jitffi_lib *libm = NULL;
  jitffi_fn *cos_fn = NULL;
  void *sym = NULL;
  double x = 0, r = -1;
  void *args[1];
  CHECK_OK(jitffi_lib_open("libm.so.6", &libm));
  if (!libm) return;
  CHECK(contains(jitffi_lib_name(libm), "libm"));
  CHECK_OK(jitffi_lib_function(libm, "double cos(double)", NULL, &cos_fn));
  CHECK_OK(jitffi_lib_symbol(libm, "cos", &sym));
  CHECK(sym != NULL && jitffi_fn_address(cos_fn) == sym);
  /* The function keeps the library loaded after its handle is closed. */
  jitffi_lib_close(libm);
  args[0] = &x;
  CHECK_OK(jitffi_fn_call(cos_fn, &r, args));
  CHECK(r == 1.0);
  jitffi_fn_free(cos_fn);
}

CASE(library_errors) {
  jitffi_lib *lib = NULL, *libm = NULL;
  jitffi_fn *fn = NULL;
  void *sym = NULL;
  CHECK_STATUS(jitffi_lib_open("libjitffi_no_such_library.so.7", &lib), JITFFI_LIBRARY_ERROR);
  CHECK(lib == NULL);
  CHECK(contains(jitffi_last_error(), "libjitffi_no_such_library"));
  CHECK_OK(jitffi_lib_open("m", &libm)); /* short name: libm.so.N found */
  if (!libm) return;
  CHECK_STATUS(jitffi_lib_symbol(libm, "jitffi_no_such_symbol", &sym), JITFFI_SYMBOL_ERROR);
  CHECK(contains(jitffi_last_error(), "jitffi_no_such_symbol"));
  CHECK(sym == NULL);
  CHECK_STATUS(jitffi_lib_function(libm, "double jitffi_missing(double)", NULL, &fn),
               JITFFI_SYMBOL_ERROR);
  CHECK(contains(jitffi_last_error(), "jitffi_missing"));
  CHECK_STATUS(jitffi_lib_function(libm, "double cos(double", NULL, &fn), JITFFI_PARSE_ERROR);
  CHECK(jitffi_last_error_position() == 17);
  CHECK(fn == NULL);
  jitffi_lib_close(libm);
}

/* Each case runs in its own process, so jitffi_testlib is not global before this one. */
CASE(library_open_flags) {
  jitffi_lib *t = NULL, *needs = NULL, *self = NULL;
  jitffi_fn *fn = NULL;
  void *sym = NULL, *global_sym = NULL;
  int a = 1;
  int64_t r = 0; /* integer results come back widened, as libffi's ffi_arg */
  void *args[1];
  CHECK_STATUS(jitffi_lib_open_flags(JITFFI_TESTLIB, 4u, &t), JITFFI_INVALID_ARGUMENT);
  CHECK(contains(jitffi_last_error(), "0x4"));
  CHECK_OK(jitffi_lib_open_self(&self));
  if (!self) return;
  CHECK_STATUS(jitffi_lib_symbol(self, "jt_add_i32", &sym), JITFFI_SYMBOL_ERROR);
  /* RTLD_NOW refuses jitffi_test_needs (jt_add_i32 unresolved); RTLD_LAZY opens it. */
  CHECK_STATUS(jitffi_lib_open(JITFFI_TEST_NEEDS, &needs), JITFFI_LIBRARY_ERROR);
  CHECK(contains(jitffi_last_error(), "jt_add_i32"));
  CHECK_OK(jitffi_lib_open_flags(JITFFI_TEST_NEEDS, JITFFI_OPEN_LAZY, &needs));
  if (needs) {
    CHECK_OK(jitffi_lib_function(needs, "int jt_needs_nothing(void)", NULL, &fn));
    if (fn) CHECK_OK(jitffi_fn_call(fn, &r, NULL));
    CHECK(r == 7);
    jitffi_fn_free(fn);
    fn = NULL;
    jitffi_lib_close(needs);
    needs = NULL;
  }
  /* RTLD_GLOBAL: visible to the program's lookups and to libraries opened later. */
  CHECK_OK(jitffi_lib_open_flags(JITFFI_TESTLIB, JITFFI_OPEN_GLOBAL, &t));
  if (!t) return;
  CHECK_OK(jitffi_lib_symbol(t, "jt_add_i32", &sym));
  CHECK_OK(jitffi_lib_symbol(self, "jt_add_i32", &global_sym));
  CHECK(sym != NULL && sym == global_sym);
  CHECK_OK(jitffi_lib_open(JITFFI_TEST_NEEDS, &needs));
  if (needs) {
    CHECK_OK(jitffi_lib_function(needs, "int jt_needs_add(int)", NULL, &fn));
    args[0] = &a;
    r = 0;
    if (fn) CHECK_OK(jitffi_fn_call(fn, &r, args));
    CHECK(r == 101);
    jitffi_fn_free(fn);
    jitffi_lib_close(needs);
  }
  jitffi_lib_close(t);
  jitffi_lib_close(self);
}

CASE(versioned_symbols) {
  jitffi_lib *libc = NULL;
  jitffi_fn *fn = NULL;
  void *sym = NULL, *ret = NULL, *dst_p, *src_p;
  char dst[6] = {0}, src[6] = "hello";
  size_t n = sizeof src;
  void *args[3];
  const char *name = NULL, *proto = NULL;
#if defined(__x86_64__)
  name = "memcpy@GLIBC_2.2.5";
  proto = "void *memcpy@GLIBC_2.2.5(void *, const void *, size_t)";
#elif defined(__aarch64__)
  name = "memcpy@GLIBC_2.17";
  proto = "void *memcpy@GLIBC_2.17(void *, const void *, size_t)";
#endif
  if (!name) {
    fprintf(stderr, "no known memcpy version on this architecture\n");
    ++failures;
    return;
  }
  CHECK_OK(jitffi_lib_open("libc.so.6", &libc));
  if (!libc) return;
  CHECK_OK(jitffi_lib_symbol(libc, name, &sym));
  CHECK(sym != NULL);
  CHECK_OK(jitffi_lib_function(libc, proto, NULL, &fn));
  if (fn) {
    CHECK(jitffi_fn_address(fn) == sym);
    dst_p = dst;
    src_p = src;
    args[0] = &dst_p;
    args[1] = &src_p;
    args[2] = &n;
    CHECK_OK(jitffi_fn_call(fn, &ret, args));
    CHECK(ret == (void *)dst);
    CHECK(strcmp(dst, "hello") == 0);
    jitffi_fn_free(fn);
    fn = NULL;
  }
  CHECK_STATUS(jitffi_lib_symbol(libc, "memcpy@GLIBC_9.99", &sym), JITFFI_SYMBOL_ERROR);
  CHECK(contains(jitffi_last_error(), "memcpy@GLIBC_9.99"));
  CHECK_STATUS(jitffi_lib_function(libc, "int abs@(int)", NULL, &fn), JITFFI_PARSE_ERROR);
  CHECK(jitffi_last_error_position() == 8);
  jitffi_lib_close(libc);
}

CASE(declarations) {
  jitffi_lib *libc = NULL;
  jitffi_fn *fn = NULL;
  jitffi_sig *sig = NULL;
  FILE *out = stdout;
  void *args[1];
  int64_t r = -1;
  CHECK_OK(jitffi_lib_open("libc.so.6", &libc));
  if (!libc) return;
  /* A type is unknown until declared; FILE is built in (opaque, usable behind a pointer), and a
     declaration of it replaces the built-in one. */
  CHECK_STATUS(jitffi_lib_parse(libc, "int f(my_file *stream)", &sig), JITFFI_PARSE_ERROR);
  CHECK_OK(jitffi_lib_parse(libc, "int fileno(FILE *stream)", &sig));
  jitffi_sig_free(sig);
  sig = NULL;
  CHECK_OK(jitffi_lib_declare(libc, "typedef struct _IO_FILE FILE;"));
  CHECK_OK(jitffi_lib_function(libc, "int fileno(FILE *stream)", NULL, &fn));
  args[0] = &out;
  CHECK_OK(jitffi_fn_call(fn, &r, args));
  CHECK(r == fileno(stdout));
  jitffi_fn_free(fn);
  CHECK_STATUS(jitffi_lib_declare(libc, "struct broken { int x; "), JITFFI_PARSE_ERROR);
  jitffi_lib_close(libc);
}

CASE(variadic) {
  jitffi_lib *libc = NULL;
  jitffi_sig *proto = NULL, *call_sig = NULL;
  jitffi_fn *fn = NULL;
  const char *types[] = {"int", "double", "const char *"};
  char buf[64], expected[64];
  char *bufp = buf;
  size_t size = sizeof buf;
  const char *fmt = "%d|%.3f|%s";
  int i = -17;
  double d = 2.71828;
  const char *s = "text";
  void *args[6];
  int64_t r = 0;
  CHECK_OK(jitffi_lib_open("libc.so.6", &libc));
  CHECK_OK(jitffi_lib_parse(libc, "int snprintf(char *, size_t, const char *, ...)", &proto));
  if (!libc || !proto) return;
  CHECK(jitffi_sig_is_variadic(proto));
  CHECK(jitffi_sig_fixed_count(proto) == 3);
  CHECK_OK(jitffi_sig_with_varargs(proto, types, 3, &call_sig));
  CHECK(jitffi_sig_nargs(call_sig) == 6);
  CHECK(jitffi_sig_fixed_count(call_sig) == 3);
  CHECK(strcmp(jitffi_sig_name(call_sig), "snprintf") == 0);
  CHECK_OK(jitffi_lib_function_sig(libc, call_sig, NULL, &fn));
  args[0] = &bufp;
  args[1] = &size;
  args[2] = &fmt;
  args[3] = &i;
  args[4] = &d;
  args[5] = &s;
  CHECK_OK(jitffi_fn_call(fn, &r, args));
  snprintf(expected, sizeof expected, fmt, i, d, s);
  CHECK(strcmp(buf, expected) == 0);
  CHECK(r == (int64_t)strlen(expected));
  {
    const char *bad[] = {"int", "no_such_type"};
    jitffi_sig *other = NULL;
    CHECK_STATUS(jitffi_sig_with_varargs(proto, bad, 2, &other), JITFFI_PARSE_ERROR);
    CHECK(other == NULL);
  }
  jitffi_fn_free(fn);
  jitffi_sig_free(call_sig);
  jitffi_sig_free(proto);
  jitffi_lib_close(libc);
}

struct compare_state {
  int calls;
};

static void compare_ints(void *ret, void **args, void *user_data) {
  const int *a = *(const int *const *)args[0];
  const int *b = *(const int *const *)args[1];
  int64_t r = (*a > *b) - (*a < *b);
  ((struct compare_state *)user_data)->calls++;
  memcpy(ret, &r, sizeof r);
}

static void add_doubles(void *ret, void **args, void *user_data) {
  double r = *(const double *)args[0] + *(const double *)args[1] + *(const double *)user_data;
  memcpy(ret, &r, sizeof r);
}

CASE(closure_qsort) {
  jitffi_sig *sig = NULL;
  jitffi_closure *closure = NULL;
  struct compare_state state = {0};
  int values[] = {9, -3, 7, 0, 12, 5, -8, 1};
  const size_t n = sizeof values / sizeof values[0];
  size_t k;
  int (*cmp)(const void *, const void *);
  CHECK_OK(jitffi_sig_parse("int(const void *, const void *)", &sig));
  CHECK_OK(jitffi_closure_create(sig, compare_ints, &state, &closure));
  jitffi_sig_free(sig);
  if (!closure) return;
  CHECK(jitffi_closure_backend(closure) != NULL);
  *(void **)&cmp = jitffi_closure_code(closure);
  qsort(values, n, sizeof values[0], cmp);
  for (k = 1; k < n; ++k) CHECK(values[k - 1] <= values[k]);
  CHECK(values[0] == -8 && values[n - 1] == 12);
  CHECK(state.calls >= (int)n - 1);
  jitffi_closure_free(closure);
}

CASE(closure_direct) {
  jitffi_sig *sig = NULL;
  jitffi_closure *closure = NULL;
  double bias = 0.5;
  double (*fn)(double, double);
  CHECK_OK(jitffi_sig_parse("double(double, double)", &sig));
  CHECK_OK(jitffi_closure_create_with(sig, add_doubles, &bias, JITFFI_BACKEND_LIBFFI, &closure));
  if (!closure) return;
  CHECK(strcmp(jitffi_closure_backend(closure), "libffi") == 0);
  *(void **)&fn = jitffi_closure_code(closure);
  CHECK(fn(1.25, 2.0) == 3.75);
  bias = 10;
  CHECK(fn(1, 2) == 13);
  jitffi_closure_free(closure);
  CHECK_STATUS(jitffi_closure_create_with(sig, add_doubles, &bias, (jitffi_backend)77, &closure),
               JITFFI_INVALID_ARGUMENT);
  CHECK(contains(jitffi_last_error(), "backend is 77, not a jitffi_backend"));
  jitffi_sig_free(sig);
}

CASE(errno_capture) {
  jitffi_lib *libc = NULL;
  jitffi_fn *close_fn = NULL, *plain = NULL;
  jitffi_fn_options opts;
  int fd = -1;
  void *args[1];
  int64_t r = 0;
  opts.backend = JITFFI_BACKEND_AUTO;
  opts.capture_errno = 1;
  CHECK_OK(jitffi_lib_open("libc.so.6", &libc));
  if (!libc) return;
  CHECK_OK(jitffi_lib_function(libc, "int close(int)", &opts, &close_fn));
  CHECK_OK(jitffi_lib_function(libc, "int close(int)", NULL, &plain));
  args[0] = &fd;
  jitffi_set_saved_errno(0);
  CHECK(jitffi_saved_errno() == 0);
  CHECK_OK(jitffi_fn_call(close_fn, &r, args));
  CHECK((int)r == -1);
  CHECK(jitffi_saved_errno() == EBADF);
  /* Without capture the saved value is left alone. */
  jitffi_set_saved_errno(1234);
  CHECK_OK(jitffi_fn_call(plain, &r, args));
  CHECK(jitffi_saved_errno() == 1234);
  jitffi_fn_free(close_fn);
  jitffi_fn_free(plain);
  opts.backend = (jitffi_backend)9;
  CHECK_STATUS(jitffi_lib_function(libc, "int close(int)", &opts, &close_fn),
               JITFFI_INVALID_ARGUMENT);
  CHECK(contains(jitffi_last_error(), "backend"));
  jitffi_lib_close(libc);
}

/* A C caller that relies on errno around its callback (as jt_errno_after_cb in the test
 * library does): sets errno, calls cb, reads errno after. */
static int errno_after(int (*cb)(int), int before) {
  errno = before;
  cb(before);
  return errno;
}

struct errno_state {
  int seen;   /* jitffi_saved_errno() inside the handler */
  int set_to; /* non-zero: the handler sets the saved value to it */
};

static void errno_handler(void *ret, void **args, void *user_data) {
  struct errno_state *st = (struct errno_state *)user_data;
  int64_t r = 0;
  (void)args;
  st->seen = jitffi_saved_errno();
  errno = EBADF; /* what a runtime's own work might leave in errno */
  if (st->set_to) jitffi_set_saved_errno(st->set_to);
  memcpy(ret, &r, sizeof r);
}

CASE(closure_capture_errno) {
  static const jitffi_backend backends[] = {JITFFI_BACKEND_LIBFFI, JITFFI_BACKEND_AUTO};
  jitffi_sig *sig = NULL;
  size_t b;
  CHECK_OK(jitffi_sig_parse("int(int)", &sig));
  if (!sig) return;
  for (b = 0; b < 2; ++b) {
    jitffi_fn_options opts;
    jitffi_closure *captured = NULL, *plain = NULL;
    struct errno_state st = {-1, 0};
    int (*cb)(int);
    opts.backend = backends[b];
    opts.capture_errno = 1;
    CHECK_OK(jitffi_closure_create_full(sig, errno_handler, &st, NULL, &opts, &captured));
    opts.capture_errno = 0;
    CHECK_OK(jitffi_closure_create_full(sig, errno_handler, &st, NULL, &opts, &plain));
    if (!captured || !plain) continue;
    *(void **)&cb = jitffi_closure_code(captured);
    jitffi_set_saved_errno(99);
    CHECK(errno_after(cb, EINTR) == EINTR); /* the caller's errno is preserved */
    CHECK(st.seen == EINTR);                /* and was the saved value in the handler */
    CHECK(jitffi_saved_errno() == 99);      /* the runtime's own saved value is put back */
    st.set_to = ERANGE;
    CHECK(errno_after(cb, EINTR) == ERANGE); /* set by the handler */
    CHECK(jitffi_saved_errno() == 99);
    /* Without capture_errno the caller sees what the handler left. */
    st.seen = -1;
    *(void **)&cb = jitffi_closure_code(plain);
    CHECK(errno_after(cb, EINTR) == EBADF);
    CHECK(st.seen == 99);
    jitffi_closure_free(captured);
    jitffi_closure_free(plain);
  }
  jitffi_sig_free(sig);
}

struct destroy_state {
  int destroyed;
  int calls;
};

static void count_destroy(void *user_data) {
  ((struct destroy_state *)user_data)->destroyed++;
}

static void count_call(void *ret, void **args, void *user_data) {
  (void)ret;
  (void)args;
  ((struct destroy_state *)user_data)->calls++;
}

CASE(closure_destroy) {
  jitffi_sig *sig = NULL;
  jitffi_closure *c = NULL;
  struct destroy_state st = {0, 0};
  jitffi_fn_options bad;
  void (*fp)(void);
  CHECK_OK(jitffi_sig_parse("void(void)", &sig));
  if (!sig) return;
  CHECK_OK(jitffi_closure_create_full(sig, count_call, &st, count_destroy, NULL, &c));
  if (!c) return;
  *(void **)&fp = jitffi_closure_code(c);
  fp();
  fp();
  CHECK(st.calls == 2 && st.destroyed == 0);
  jitffi_closure_free(c);
  CHECK(st.destroyed == 1); /* exactly once, when freed */
  CHECK(st.calls == 2);
  /* A failed creation does not call it: user_data stays the caller's. */
  bad.backend = (jitffi_backend)42;
  bad.capture_errno = 0;
  c = (jitffi_closure *)&c;
  CHECK_STATUS(jitffi_closure_create_full(sig, count_call, &st, count_destroy, &bad, &c),
               JITFFI_INVALID_ARGUMENT);
  CHECK(c == NULL);
  CHECK_STATUS(jitffi_closure_create_full(sig, NULL, &st, count_destroy, NULL, &c),
               JITFFI_INVALID_ARGUMENT);
  CHECK(contains(jitffi_last_error(), "handler is NULL"));
  CHECK_STATUS(jitffi_closure_create_full(NULL, count_call, &st, count_destroy, NULL, &c),
               JITFFI_INVALID_ARGUMENT);
  CHECK(st.destroyed == 1);
  /* No destroy function, and the older constructors: nothing is called. */
  CHECK_OK(jitffi_closure_create_full(sig, count_call, &st, NULL, NULL, &c));
  jitffi_closure_free(c);
  CHECK_OK(jitffi_closure_create(sig, count_call, &st, &c));
  jitffi_closure_free(c);
  CHECK(st.destroyed == 1);
  jitffi_closure_free(NULL);
  jitffi_sig_free(sig);
}

/* Typed closures: the handler has the closure's own parameters plus user_data. */
static int typed_compare(const void *a, const void *b, void *user_data) {
  ((struct destroy_state *)user_data)->calls++;
  return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

static long typed_sum7(long a, long b, long c, long d, long e, long f, long g, void *user_data) {
  return a + 10 * b + 100 * c + 1000 * d + 10000 * e + 100000 * f + 1000000 * g +
         *(const long *)user_data;
}

static int typed_errno(int before, void *user_data) {
  *(int *)user_data = jitffi_saved_errno();
  errno = EBADF;
  (void)before;
  return 0;
}

CASE(closure_typed) {
  jitffi_sig *cmp_sig = NULL, *sum_sig = NULL, *err_sig = NULL, *va_sig = NULL;
  int pass;
  CHECK_OK(jitffi_sig_parse("int(const void *, const void *)", &cmp_sig));
  CHECK_OK(jitffi_sig_parse("long(long, long, long, long, long, long, long)", &sum_sig));
  CHECK_OK(jitffi_sig_parse("int(int)", &err_sig));
  CHECK_OK(jitffi_sig_parse("int(int, ...)", &va_sig));
  if (!cmp_sig || !sum_sig || !err_sig || !va_sig) return;
  /* AUTO and LIBFFI, each without and with errno capture. */
  for (pass = 0; pass < 4; ++pass) {
    jitffi_fn_options opts;
    jitffi_closure *c = NULL;
    struct destroy_state st = {0, 0};
    int values[] = {9, -3, 7, 0, 12, 5, -8, 1};
    size_t k;
    int (*cmp)(const void *, const void *);
    long (*sum)(long, long, long, long, long, long, long);
    long bias = 5000000000L;
    int seen = -1;
    int (*cb)(int);
    opts.backend = pass < 2 ? JITFFI_BACKEND_AUTO : JITFFI_BACKEND_LIBFFI;
    opts.capture_errno = pass % 2;
    CHECK_OK(jitffi_closure_create_typed(cmp_sig, (jitffi_typed_handler)typed_compare, &st,
                                         count_destroy, &opts, &c));
    if (!c) continue;
    if (pass >= 2) CHECK(strcmp(jitffi_closure_backend(c), "libffi") == 0);
    *(void **)&cmp = jitffi_closure_code(c);
    qsort(values, sizeof values / sizeof values[0], sizeof values[0], cmp);
    for (k = 1; k < sizeof values / sizeof values[0]; ++k) CHECK(values[k - 1] <= values[k]);
    CHECK(st.calls > 0);
    jitffi_closure_free(c);
    CHECK(st.destroyed == 1);

    /* The seventh long goes on the stack on SysV, and user_data after it. */
    CHECK_OK(jitffi_closure_create_typed(sum_sig, (jitffi_typed_handler)typed_sum7, &bias, NULL,
                                         &opts, &c));
    if (!c) continue;
    *(void **)&sum = jitffi_closure_code(c);
    CHECK(sum(1, 2, 3, 4, 5, 6, 7) == 7654321L + 5000000000L);
    jitffi_closure_free(c);

    /* Errno: with capture the caller keeps its own, without it sees the handler's EBADF. */
    CHECK_OK(jitffi_closure_create_typed(err_sig, (jitffi_typed_handler)typed_errno, &seen, NULL,
                                         &opts, &c));
    if (!c) continue;
    jitffi_set_saved_errno(99);
    *(void **)&cb = jitffi_closure_code(c);
    CHECK(errno_after(cb, ENOENT) == (opts.capture_errno ? ENOENT : EBADF));
    CHECK(seen == (opts.capture_errno ? ENOENT : 99));
    CHECK(jitffi_saved_errno() == 99);
    jitffi_closure_free(c);
  }
  /* Refusals: a variadic signature, a NULL handler. */
  {
    jitffi_closure *c = (jitffi_closure *)&c;
    CHECK_STATUS(jitffi_closure_create_typed(va_sig, (jitffi_typed_handler)typed_errno, NULL, NULL,
                                             NULL, &c),
                 JITFFI_UNSUPPORTED);
    CHECK(c == NULL);
    CHECK(contains(jitffi_last_error(), "variadic"));
    CHECK_STATUS(jitffi_closure_create_typed(cmp_sig, NULL, NULL, NULL, NULL, &c),
                 JITFFI_INVALID_ARGUMENT);
    CHECK(contains(jitffi_last_error(), "handler is NULL"));
  }
  jitffi_sig_free(cmp_sig);
  jitffi_sig_free(sum_sig);
  jitffi_sig_free(err_sig);
  jitffi_sig_free(va_sig);
}

/* Thread hooks: enter says "new" (1) on any thread but the one the "runtime" knows, as Chez's
 * Sactivate_thread does; leave must then run after the handler, on that thread, and only then. */
static pthread_t hook_known_thread;
static int hook_enters, hook_leaves, hook_leave_on_known, hook_inside;
static int hook_enter(void) {
  hook_enters++;
  if (pthread_equal(pthread_self(), hook_known_thread)) return 0;
  hook_inside++;
  return 1;
}
static int hook_leave(void) {
  hook_leaves++;
  /* a leave without its enter, or on the known thread */
  if (hook_inside != 1 || pthread_equal(pthread_self(), hook_known_thread)) hook_leave_on_known++;
  hook_inside--;
  return 0;
}
static void *call_void_fn(void *fp) {
  void (*f)(void);
  *(void **)&f = fp;
  f();
  f();
  return NULL;
}

CASE(closure_hooked) {
  jitffi_sig *sig = NULL;
  jitffi_closure *c = NULL;
  struct destroy_state st = {0, 0};
  pthread_t t;
  CHECK_OK(jitffi_sig_parse("void(void)", &sig));
  if (!sig) return;
  CHECK_OK(jitffi_closure_create_hooked(sig, count_call, &st, count_destroy, NULL, hook_enter,
                                        hook_leave, &c));
  if (!c) return;
  hook_known_thread = pthread_self(); /* the "runtime" knows this thread: enter only */
  call_void_fn(jitffi_closure_code(c));
  CHECK(st.calls == 2 && hook_enters == 2 && hook_leaves == 0);
  /* A new thread: each call enters (new) and leaves. */
  CHECK(pthread_create(&t, NULL, call_void_fn, jitffi_closure_code(c)) == 0);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK(st.calls == 4 && hook_enters == 4 && hook_leaves == 2 && hook_leave_on_known == 0);
  jitffi_closure_free(c);
  CHECK(st.destroyed == 1); /* the user's destroy, exactly once */
  /* NULL hooks are not called; a failed creation calls nothing. */
  CHECK_OK(jitffi_closure_create_hooked(sig, count_call, &st, NULL, NULL, NULL, NULL, &c));
  call_void_fn(jitffi_closure_code(c));
  CHECK(st.calls == 6 && hook_enters == 4);
  jitffi_closure_free(c);
  CHECK_STATUS(
      jitffi_closure_create_hooked(sig, NULL, &st, count_destroy, NULL, hook_enter, hook_leave, &c),
      JITFFI_INVALID_ARGUMENT);
  CHECK(c == NULL);
  CHECK_STATUS(jitffi_closure_create_hooked(NULL, count_call, &st, count_destroy, NULL, hook_enter,
                                            hook_leave, &c),
               JITFFI_INVALID_ARGUMENT);
  CHECK(st.destroyed == 1);
  jitffi_sig_free(sig);
}

/* Whether the library at `path` is loaded (RTLD_NOLOAD never loads it). */
static int is_loaded(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (h) dlclose(h);
  return h != NULL;
}

/* A function keeps its library loaded (the same rule as the C++ API's): dlclose runs when the
 * jitffi_lib handle and the last function from it are gone. */
CASE(fn_keeps_library) {
  jitffi_lib *lib = NULL;
  jitffi_fn *add = NULL, *add2 = NULL;
  int32_t a = 40, b = 2;
  void *args[2];
  int64_t r = 0;
  args[0] = &a;
  args[1] = &b;
  CHECK(!is_loaded(JITFFI_TESTLIB));
  CHECK_OK(jitffi_lib_open(JITFFI_TESTLIB, &lib));
  CHECK_OK(jitffi_lib_function(lib, "int jt_add_i32(int, int)", NULL, &add));
  CHECK_OK(jitffi_lib_function(lib, "int jt_add_i32(int, int)", NULL, &add2));
  if (!lib || !add || !add2) return;
  jitffi_lib_close(lib);
  CHECK(is_loaded(JITFFI_TESTLIB));
  CHECK_OK(jitffi_fn_call(add, &r, args));
  CHECK(r == 42);
  jitffi_fn_free(add);
  CHECK(is_loaded(JITFFI_TESTLIB));
  CHECK_OK(jitffi_fn_call(add2, &r, args));
  CHECK(r == 42);
  jitffi_fn_free(add2);
  CHECK(!is_loaded(JITFFI_TESTLIB));
}

/* The value calls: results as int64_t / double / the bytes of a pair, arguments boxed or in
 * slots (values sign-extended per type, a struct by address). */
CASE(value_and_slot_calls) {
  jitffi_sig *sig = NULL;
  jitffi_fn *fn = NULL;
  int64_t r = 0;
  double d = 0;
  jitffi_pair pr;
  CHECK_OK(jitffi_sig_parse("int add3(int, int, int)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(add3), NULL, &fn));
  jitffi_sig_free(sig);
  if (!fn) return;
  {
    int a = 40, b = 3, c = -100;
    void *args[3];
    uint64_t slots[3];
    args[0] = &a;
    args[1] = &b;
    args[2] = &c;
    CHECK_OK(jitffi_fn_call_i64(fn, args, &r));
    CHECK(r == -57);
    slots[0] = (uint64_t)(int64_t)-1;
    slots[1] = (uint64_t)(int64_t)-2;
    slots[2] = 10;
    CHECK_OK(jitffi_fn_call_slots_i64(fn, slots, &r));
    CHECK(r == 7);
    /* The result type decides: an int is not a double. */
    CHECK_STATUS(jitffi_fn_call_f64(fn, args, &d), JITFFI_TYPE_ERROR);
    CHECK(contains(jitffi_last_error(), "i32"));
    CHECK_STATUS(jitffi_fn_call_slots_i64(fn, NULL, &r), JITFFI_INVALID_ARGUMENT);
    CHECK(jitffi_fn_value_shape(fn) == JITFFI_SHAPE_INT);
  }
  jitffi_fn_free(fn);

  /* A narrow result comes back sign-extended as an int64_t; call_slots writes its one byte. */
  CHECK_OK(jitffi_sig_parse("i8(i8)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(negate_i8), NULL, &fn));
  jitffi_sig_free(sig);
  {
    uint64_t slots[1];
    unsigned char byte[2] = {0xA5, 0xA5};
    slots[0] = (uint64_t)(int64_t)-9;
    CHECK_OK(jitffi_fn_call_slots_i64(fn, slots, &r));
    CHECK(r == 9);
    slots[0] = 9;
    CHECK_OK(jitffi_fn_call_slots_i64(fn, slots, &r));
    CHECK(r == -9);
    CHECK_OK(jitffi_fn_call_slots(fn, byte, slots));
    CHECK((signed char)byte[0] == -9 && byte[1] == 0xA5);
  }
  jitffi_fn_free(fn);

  /* double(int, double, float, long long): a float slot holds the float's bits in its low half. */
  CHECK_OK(jitffi_sig_parse("double mix(int, double, float, long long)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(mix), NULL, &fn));
  jitffi_sig_free(sig);
  {
    double b = 2.5;
    float c = 0.25f;
    uint64_t slots[4];
    slots[0] = 1;
    memcpy(&slots[1], &b, 8);
    slots[2] = 0;
    memcpy(&slots[2], &c, 4);
    slots[3] = (uint64_t)(int64_t)-1000000000000LL;
    CHECK_OK(jitffi_fn_call_slots_f64(fn, slots, &d));
    CHECK(d == mix(1, b, c, -1000000000000LL));
    CHECK(jitffi_fn_value_shape(fn) == JITFFI_SHAPE_FLOAT);
  }
  jitffi_fn_free(fn);

  /* {f64, f64}(f64): two vector registers, as a pair of words. */
  CHECK_OK(jitffi_sig_parse("{f64, f64}(f64)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(make_pair), NULL, &fn));
  jitffi_sig_free(sig);
  {
    double x = 3.25;
    void *args[1];
    struct pair p;
    args[0] = &x;
    CHECK_OK(jitffi_fn_call_pair(fn, args, &pr));
    memcpy(&p, &pr, sizeof p);
    CHECK(p.a == 3.25 && p.b == -3.25);
    CHECK_STATUS(jitffi_fn_call_i64(fn, args, &r), JITFFI_TYPE_ERROR);
  }
  jitffi_fn_free(fn);

  /* A struct argument in a slot: its address. */
  CHECK_OK(jitffi_sig_parse("i64({i64, i64, i64, i64, i64})", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(sum_big), NULL, &fn));
  jitffi_sig_free(sig);
  {
    struct big b = {{1, 20, 300, 4000, 50000}};
    uint64_t slots[1];
    slots[0] = (uint64_t)(uintptr_t)&b;
    CHECK_OK(jitffi_fn_call_slots_i64(fn, slots, &r));
    CHECK(r == 54321);
  }
  jitffi_fn_free(fn);
}

/* The raw entries, called as C function pointers (a runtime's own call site). */
typedef int (*slots_int_entry)(void *, const uint64_t *);
typedef int (*value_int_entry)(void *, void **);
CASE(raw_entries) {
  jitffi_sig *sig = NULL;
  jitffi_fn *fn = NULL;
  void *p;
  slots_int_entry se;
  value_int_entry ve;
  uint64_t slots[3];
  int a = 1, b = 2, c = 3;
  void *args[3];
  CHECK_OK(jitffi_sig_parse("int add3(int, int, int)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(add3), NULL, &fn));
  jitffi_sig_free(sig);
  if (!fn) return;
  p = jitffi_fn_slots_entry(fn);
  CHECK(p != NULL);
  memcpy(&se, &p, sizeof se);
  p = jitffi_fn_value_entry(fn);
  CHECK(p != NULL);
  memcpy(&ve, &p, sizeof ve);
  slots[0] = 100;
  slots[1] = (uint64_t)(int64_t)-20;
  slots[2] = 3;
  CHECK(se(jitffi_fn_address(fn), slots) == 83);
  args[0] = &a;
  args[1] = &b;
  args[2] = &c;
  CHECK(ve(jitffi_fn_address(fn), args) == 6);
  jitffi_fn_free(fn);
  /* A result in memory has no raw entry. */
  CHECK_OK(jitffi_sig_parse("{i64, i64, i64}(i64)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(add3), NULL, &fn));
  jitffi_sig_free(sig);
  CHECK(jitffi_fn_value_shape(fn) == JITFFI_SHAPE_NONE);
  CHECK(jitffi_fn_value_entry(fn) == NULL && jitffi_fn_slots_entry(fn) == NULL);
  jitffi_fn_free(fn);
  CHECK(jitffi_fn_value_entry(NULL) == NULL);
}

/* A signature equal to a compiled one but for its names (a prototype after a compact text, as a
 * runtime meets them) gets that call under its own names: it must keep the raw entries. */
CASE(raw_entries_renamed) {
  const char *texts[] = {"int first3(int, int, int)", "i32(i32, i32, i32)",
                         "int add3(int x, int y, int z)"};
  uint64_t slots[3] = {7, 8, (uint64_t)(int64_t)-5};
  size_t i;
  for (i = 0; i < sizeof texts / sizeof texts[0]; ++i) {
    jitffi_sig *sig = NULL;
    jitffi_fn *fn = NULL;
    void *p;
    slots_int_entry se;
    CHECK_OK(jitffi_sig_parse(texts[i], &sig));
    CHECK_OK(jitffi_fn_create(sig, FN_ADDR(add3), NULL, &fn));
    jitffi_sig_free(sig);
    if (!fn) return;
    CHECK(jitffi_fn_value_shape(fn) == JITFFI_SHAPE_INT);
    p = jitffi_fn_slots_entry(fn);
    CHECK(p != NULL && jitffi_fn_value_entry(fn) != NULL);
    if (p) {
      memcpy(&se, &p, sizeof se);
      CHECK(se(jitffi_fn_address(fn), slots) == 10);
    }
    jitffi_fn_free(fn);
  }
}

CASE(default_backend) {
  jitffi_backend before = jitffi_default_backend();
  jitffi_sig *sig = NULL;
  jitffi_fn *fn = NULL;
  jitffi_fn_options opts;
  CHECK_OK(jitffi_set_default_backend(JITFFI_BACKEND_LIBFFI));
  CHECK(jitffi_default_backend() == JITFFI_BACKEND_LIBFFI);
  CHECK_OK(jitffi_sig_parse("int(int, int, int)", &sig));
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(add3), NULL, &fn));
  CHECK(fn && strcmp(jitffi_fn_backend(fn), "libffi") == 0);
  jitffi_fn_free(fn);
  CHECK_STATUS(jitffi_set_default_backend((jitffi_backend)3), JITFFI_INVALID_ARGUMENT);
  CHECK(jitffi_default_backend() == JITFFI_BACKEND_LIBFFI);
  CHECK_OK(jitffi_set_default_backend(before));
  /* An explicit back end wins over the default. */
  opts.backend = JITFFI_BACKEND_LIBFFI;
  opts.capture_errno = 0;
  CHECK_OK(jitffi_fn_create(sig, FN_ADDR(add3), &opts, &fn));
  CHECK(fn && strcmp(jitffi_fn_backend(fn), "libffi") == 0);
  jitffi_fn_free(fn);
  jitffi_sig_free(sig);
}

static void *fail_in_thread(void *arg) {
  jitffi_sig *sig = NULL;
  (void)arg;
  if (jitffi_sig_parse("i32(", &sig) != JITFFI_PARSE_ERROR) return (void *)1;
  if (!contains(jitffi_last_error(), "i32(")) return (void *)2;
  return NULL;
}

CASE(error_is_thread_local) {
  jitffi_sig *sig = NULL;
  pthread_t t;
  void *result = (void *)99;
  CHECK_STATUS(jitffi_sig_parse("void(frob)", &sig), JITFFI_PARSE_ERROR);
  CHECK(pthread_create(&t, NULL, fail_in_thread, NULL) == 0);
  CHECK(pthread_join(t, &result) == 0);
  CHECK(result == NULL);
  CHECK(contains(jitffi_last_error(), "frob")); /* this thread's message is untouched */
  CHECK(!contains(jitffi_last_error(), "i32("));
}

CASE(status_names) {
  CHECK(strcmp(jitffi_status_name(JITFFI_OK), "JITFFI_OK") == 0);
  CHECK(strcmp(jitffi_status_name(JITFFI_SYMBOL_ERROR), "JITFFI_SYMBOL_ERROR") == 0);
  CHECK(strcmp(jitffi_status_name(JITFFI_NO_MEMORY), "JITFFI_NO_MEMORY") == 0);
  CHECK(contains(jitffi_status_name((jitffi_status)100), "unknown"));
}

/* ---- driver -------------------------------------------------------------------------------- */

struct case_entry {
  const char *name;
  void (*run)(void);
};

#define ENTRY(name) \
  { #name, case_##name }
static const struct case_entry cases[] = {
    ENTRY(version),
    ENTRY(sig_parse),
    ENTRY(sig_parse_n),
    ENTRY(parse_error),
    ENTRY(null_arguments),
    ENTRY(fn_call),
    ENTRY(narrow_returns_widened),
    ENTRY(mixed_scalars),
    ENTRY(struct_by_value),
    ENTRY(library),
    ENTRY(library_errors),
    ENTRY(library_open_flags),
    ENTRY(versioned_symbols),
    ENTRY(declarations),
    ENTRY(variadic),
    ENTRY(closure_qsort),
    ENTRY(closure_direct),
    ENTRY(errno_capture),
    ENTRY(closure_capture_errno),
    ENTRY(closure_destroy),
    ENTRY(closure_hooked),
    ENTRY(closure_typed),
    ENTRY(fn_keeps_library),
    ENTRY(value_and_slot_calls),
    ENTRY(raw_entries),
    ENTRY(raw_entries_renamed),
    ENTRY(default_backend),
    ENTRY(error_is_thread_local),
    ENTRY(status_names),
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
