/* A libffi client as any program built against the system's libffi: compiled with the system
 * ffi.h and linked with -lffi. ctest runs it three times: with the system libffi (the reference),
 * with build/compat in LD_LIBRARY_PATH and with build/compat/libffi.so.8 in LD_PRELOAD; with
 * --expect-jitffi it also checks that it really runs on jitffi's library (libffi 3.8 symbols,
 * closures whose writable and executable addresses differ). */
#define _GNU_SOURCE
#include <complex.h>
#include <dlfcn.h>
#include <ffi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int failures, checks;
#define CHECK(c)                                                            \
  do {                                                                      \
    ++checks;                                                               \
    if (!(c)) {                                                             \
      ++failures;                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
    }                                                                       \
  } while (0)

static int add(int a, int b) {
  return a + b;
}
static signed char neg_char(signed char c) {
  return (signed char)-c;
}
static unsigned short ushort_max(void) {
  return 65535;
}
static double mix(double a, float b, int c, long long d) {
  return a + b + c + (double)d;
}
static long double ld_twice(long double x) {
  return 2 * x;
}

static double vsum(int n, ...) {
  va_list ap;
  double s = 0;
  va_start(ap, n);
  for (int i = 0; i < n; ++i) s += va_arg(ap, double);
  va_end(ap);
  return s;
}

struct id {
  int i;
  double d;
};
struct big {
  long a, b, c;
};
struct small {
  signed char c; /* plain char is unsigned on AArch64 */
  short s;
};
struct outer {
  struct small s;
  float f;
  struct id inner;
};

static struct id id_scale(struct id v, int k) {
  struct id r = {v.i * k, v.d * k};
  return r;
}
static struct big big_sum(struct big x, struct big y) {
  struct big r = {x.a + y.a, x.b + y.b, x.c + y.c};
  return r;
}
static int small_sum(struct small s) {
  return s.c + s.s;
}
static double outer_sum(struct outer o) {
  return o.s.c + o.s.s + o.f + o.inner.i + o.inner.d;
}
static double complex cmul(double complex a, double complex b) {
  return a * b;
}

/* Floating-point structs: homogeneous aggregates (HFAs) in vector registers on AArch64, SSE
   eightbytes on x86-64. */
struct f3 {
  float a, b, c;
};
struct d4 {
  double a, b, c, d;
};
static struct d4 d4_mix(struct f3 x, struct d4 y, struct f3 z) {
  struct d4 r = {x.a + y.a, x.b * y.b, x.c - y.c, y.d + z.a + z.b + z.c};
  return r;
}

static ffi_type *f3_elems[] = {&ffi_type_float, &ffi_type_float, &ffi_type_float, NULL};
static ffi_type f3_type = {0, 0, FFI_TYPE_STRUCT, f3_elems};
static ffi_type *d4_elems[] = {&ffi_type_double, &ffi_type_double, &ffi_type_double,
                               &ffi_type_double, NULL};
static ffi_type d4_type = {0, 0, FFI_TYPE_STRUCT, d4_elems};
static ffi_type *id_elems[] = {&ffi_type_sint, &ffi_type_double, NULL};
static ffi_type id_type = {0, 0, FFI_TYPE_STRUCT, id_elems};
static ffi_type *big_elems[] = {&ffi_type_slong, &ffi_type_slong, &ffi_type_slong, NULL};
static ffi_type big_type = {0, 0, FFI_TYPE_STRUCT, big_elems};
static ffi_type *small_elems[] = {&ffi_type_schar, &ffi_type_sshort, NULL};
static ffi_type small_type = {0, 0, FFI_TYPE_STRUCT, small_elems};
static ffi_type *outer_elems[] = {&small_type, &ffi_type_float, &id_type, NULL};
static ffi_type outer_type = {0, 0, FFI_TYPE_STRUCT, outer_elems};

static void test_calls(void) {
  ffi_cif cif;
  ffi_type *args[4] = {&ffi_type_sint, &ffi_type_sint};
  int a = 40, b = 2;
  void *vals[4] = {&a, &b};
  ffi_arg r = 0;
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, args) == FFI_OK);
  ffi_call(&cif, FFI_FN(add), &r, vals);
  CHECK((int)r == 42);

  /* Narrow results come back widened to a full ffi_arg. */
  signed char c = 5;
  vals[0] = &c;
  args[0] = &ffi_type_schar;
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_schar, args) == FFI_OK);
  r = 0;
  ffi_call(&cif, FFI_FN(neg_char), &r, vals);
  CHECK((ffi_sarg)r == -5);
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 0, &ffi_type_ushort, NULL) == FFI_OK);
  r = ~(ffi_arg)0;
  ffi_call(&cif, FFI_FN(ushort_max), &r, NULL);
  CHECK(r == 65535);

  double d = 1.5;
  float f = 2.25f;
  int i = 3;
  long long ll = 1LL << 40;
  ffi_type *margs[] = {&ffi_type_double, &ffi_type_float, &ffi_type_sint, &ffi_type_sint64};
  void *mvals[] = {&d, &f, &i, &ll};
  double dr = 0;
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 4, &ffi_type_double, margs) == FFI_OK);
  ffi_call(&cif, FFI_FN(mix), &dr, mvals);
  CHECK(dr == 1.5 + 2.25 + 3 + (double)(1LL << 40));

  long double x = 1.25L, lr = 0;
  ffi_type *largs[] = {&ffi_type_longdouble};
  void *lvals[] = {&x};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_longdouble, largs) == FFI_OK);
  ffi_call(&cif, FFI_FN(ld_twice), &lr, lvals);
  CHECK(lr == 2.5L);

  /* Errors. */
  CHECK(ffi_prep_cif(&cif, (ffi_abi)0, 0, &ffi_type_void, NULL) == FFI_BAD_ABI);
  CHECK(ffi_prep_cif(&cif, FFI_LAST_ABI, 0, &ffi_type_void, NULL) == FFI_BAD_ABI);
  ffi_type no_elements = {0, 0, FFI_TYPE_STRUCT, NULL};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 0, &no_elements, NULL) == FFI_BAD_TYPEDEF);
}

static void test_variadic(void) {
  ffi_cif cif;
  char buf[64];
  char *p = buf;
  size_t n = sizeof buf;
  const char *fmt = "%d %.2f %s";
  int i = 7;
  double d = 3.25;
  const char *s = "ok";
  ffi_type *args[] = {&ffi_type_pointer, &ffi_type_ulong,  &ffi_type_pointer,
                      &ffi_type_sint,    &ffi_type_double, &ffi_type_pointer};
  void *vals[] = {&p, &n, &fmt, &i, &d, &s};
  ffi_arg r = 0;
  CHECK(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 3, 6, &ffi_type_sint, args) == FFI_OK);
  ffi_call(&cif, FFI_FN(snprintf), &r, vals);
  CHECK((int)r == 9);
  CHECK(strcmp(buf, "7 3.25 ok") == 0);

  /* A float after `...` is not a promoted type. */
  ffi_type *bad[] = {&ffi_type_pointer, &ffi_type_float};
  CHECK(ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 1, 2, &ffi_type_sint, bad) == FFI_BAD_ARGTYPE);

  /* A variadic callee through a plain cif: libffi sets %al on x86-64 anyway. */
  int cnt = 3;
  double a = 1, b = 2, c = 4.5, sum = 0;
  ffi_type *vargs[] = {&ffi_type_sint, &ffi_type_double, &ffi_type_double, &ffi_type_double};
  void *vv[] = {&cnt, &a, &b, &c};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 4, &ffi_type_double, vargs) == FFI_OK);
  ffi_call(&cif, FFI_FN(vsum), &sum, vv);
  CHECK(sum == 7.5);
}

static void test_structs(int expect_jitffi) {
  ffi_cif cif;
  struct id v = {3, 1.5}, rv = {0, 0};
  int k = 4;
  ffi_type *args[] = {&id_type, &ffi_type_sint};
  void *vals[] = {&v, &k};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &id_type, args) == FFI_OK);
  CHECK(id_type.size == sizeof(struct id) && id_type.alignment == 8); /* laid out by prep */
  ffi_call(&cif, FFI_FN(id_scale), &rv, vals);
  CHECK(rv.i == 12 && rv.d == 6.0);

  struct big x = {1, 2, 3}, y = {10, 20, 30}, br;
  ffi_type *bargs[] = {&big_type, &big_type};
  void *bvals[] = {&x, &y};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &big_type, bargs) == FFI_OK);
  ffi_call(&cif, FFI_FN(big_sum), &br, bvals);
  CHECK(br.a == 11 && br.b == 22 && br.c == 33);
  if (expect_jitffi) CHECK(bvals[0] == &x && bvals[1] == &y);
  (void)bvals; /* libffi 3.4.4 replaces these pointers (large structs); jitffi never writes */

  struct small sm = {-3, 300};
  ffi_type *sargs[] = {&small_type};
  void *svals[] = {&sm};
  ffi_arg r = 0;
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint, sargs) == FFI_OK);
  ffi_call(&cif, FFI_FN(small_sum), &r, svals);
  CHECK((int)r == 297);

  struct outer o = {{1, 2}, 0.5f, {3, 0.25}};
  ffi_type *oargs[] = {&outer_type};
  void *ovals[] = {&o};
  double od = 0;
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_double, oargs) == FFI_OK);
  CHECK(outer_type.size == sizeof(struct outer));
  ffi_call(&cif, FFI_FN(outer_sum), &od, ovals);
  CHECK(od == 6.75);

  size_t offs[3];
  CHECK(ffi_get_struct_offsets(FFI_DEFAULT_ABI, &outer_type, offs) == FFI_OK);
  CHECK(offs[0] == 0 && offs[1] == 4 && offs[2] == 8);

  struct f3 fx = {1, 2, 3}, fz = {0.5f, 0.25f, 0.125f};
  struct d4 dy = {10, 20, 30, 40}, dr = {0, 0, 0, 0};
  ffi_type *hargs[] = {&f3_type, &d4_type, &f3_type};
  void *hvals[] = {&fx, &dy, &fz};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &d4_type, hargs) == FFI_OK);
  CHECK(d4_type.size == sizeof(struct d4) && f3_type.size == sizeof(struct f3));
  ffi_call(&cif, FFI_FN(d4_mix), &dr, hvals);
  CHECK(dr.a == 11 && dr.b == 40 && dr.c == -27 && dr.d == 40.875);

  double complex ca = 1 + 2 * I, cb = 3 - I, cr = 0;
  ffi_type *cargs[] = {&ffi_type_complex_double, &ffi_type_complex_double};
  void *cvals[] = {&ca, &cb};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_complex_double, cargs) == FFI_OK);
  ffi_call(&cif, FFI_FN(cmul), &cr, cvals);
  CHECK(cr == (1 + 2 * I) * (3 - I));
}

static void add_handler(ffi_cif *cif, void *ret, void **args, void *ud) {
  (void)cif;
  *(ffi_arg *)ret = (ffi_arg)(*(int *)args[0] + *(int *)args[1] + *(int *)ud);
}
static void id_handler(ffi_cif *cif, void *ret, void **args, void *ud) {
  (void)cif, (void)ud;
  struct id v = *(struct id *)args[0];
  v.i += 1;
  v.d *= 2;
  *(struct id *)ret = v;
}
static void cmp_handler(ffi_cif *cif, void *ret, void **args, void *ud) {
  (void)cif;
  int a = **(const int **)args[0], b = **(const int **)args[1];
  ++*(int *)ud;
  *(ffi_arg *)ret = (ffi_arg)(ffi_sarg)((a > b) - (a < b));
}

static void f3_handler(ffi_cif *cif, void *ret, void **args, void *ud) {
  (void)cif, (void)ud;
  struct f3 v = *(struct f3 *)args[0];
  double k = *(double *)args[1];
  struct f3 r = {(float)(v.c * k), (float)(v.b * k), (float)(v.a * k)};
  *(struct f3 *)ret = r;
}

static void test_closures(int expect_jitffi) {
  ffi_cif cif;
  void *code = NULL;
  ffi_closure *cl = ffi_closure_alloc(sizeof(ffi_closure), &code);
  CHECK(cl != NULL && code != NULL);
  if (expect_jitffi) CHECK((void *)cl != code); /* W^X: separate writable and executable views */
  ffi_type *args[] = {&ffi_type_sint, &ffi_type_sint};
  int extra = 100;
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, args) == FFI_OK);
  CHECK(ffi_prep_closure_loc(cl, &cif, add_handler, &extra, code) == FFI_OK);
  CHECK(cl->cif == &cif && cl->user_data == &extra);
  int (*fn)(int, int) = (int (*)(int, int))code;
  CHECK(fn(1, 2) == 103);
  extra = 1000; /* user data is read at call time */
  CHECK(fn(1, 2) == 1003);
  ffi_closure_free(cl);

  ffi_cif scif;
  ffi_type *sargs[] = {&id_type};
  cl = ffi_closure_alloc(sizeof(ffi_closure), &code);
  CHECK(ffi_prep_cif(&scif, FFI_DEFAULT_ABI, 1, &id_type, sargs) == FFI_OK);
  CHECK(ffi_prep_closure_loc(cl, &scif, id_handler, NULL, code) == FFI_OK);
  struct id (*sfn)(struct id) = (struct id(*)(struct id))code;
  struct id r = sfn((struct id){4, 1.25});
  CHECK(r.i == 5 && r.d == 2.5);
  ffi_closure_free(cl);

  ffi_cif hcif;
  ffi_type *hargs[] = {&f3_type, &ffi_type_double};
  cl = ffi_closure_alloc(sizeof(ffi_closure), &code);
  CHECK(ffi_prep_cif(&hcif, FFI_DEFAULT_ABI, 2, &f3_type, hargs) == FFI_OK);
  CHECK(ffi_prep_closure_loc(cl, &hcif, f3_handler, NULL, code) == FFI_OK);
  struct f3 (*hfn)(struct f3, double) = (struct f3(*)(struct f3, double))code;
  struct f3 hr = hfn((struct f3){1, 2, 3}, 0.5);
  CHECK(hr.a == 1.5f && hr.b == 1 && hr.c == 0.5f);
  ffi_closure_free(cl);

  ffi_cif qcif;
  ffi_type *qargs[] = {&ffi_type_pointer, &ffi_type_pointer};
  int calls = 0;
  cl = ffi_closure_alloc(sizeof(ffi_closure), &code);
  CHECK(ffi_prep_cif(&qcif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, qargs) == FFI_OK);
  CHECK(ffi_prep_closure_loc(cl, &qcif, cmp_handler, &calls, code) == FFI_OK);
  int arr[] = {5, -1, 9, 3, 3, 0};
  qsort(arr, 6, sizeof(int), (int (*)(const void *, const void *))code);
  CHECK(arr[0] == -1 && arr[1] == 0 && arr[2] == 3 && arr[3] == 3 && arr[4] == 5 && arr[5] == 9);
  CHECK(calls > 0);
  ffi_closure_free(cl);
}

/* Which code called a function through ffi_call: compiled at run time (jitffi's JIT: no loaded
   file holds it) or libffi's own ffi_call in a file. */
static void *return_address;
__attribute__((noinline)) static long ra_probe(long a, double b) {
  return_address = __builtin_return_address(0);
  return a + (long)b;
}
__attribute__((noinline)) static struct d4 ra_probe_hfa(struct f3 x, struct d4 y) {
  return_address = __builtin_return_address(0);
  y.a += x.a;
  return y;
}
__attribute__((noinline)) static double complex ra_probe_complex(double complex z) {
  return_address = __builtin_return_address(0);
  return z;
}
static int called_from_jit(void) {
  Dl_info info;
  return dladdr(return_address, &info) == 0;
}

static void test_jit_served(void) {
  ffi_cif cif;
  long a = 40, r = 0;
  double b = 2;
  ffi_type *args[] = {&ffi_type_slong, &ffi_type_double};
  void *vals[] = {&a, &b};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_slong, args) == FFI_OK);
  ffi_call(&cif, FFI_FN(ra_probe), &r, vals);
  CHECK(r == 42 && called_from_jit());

  struct f3 x = {1, 2, 3};
  struct d4 y = {1, 2, 3, 4}, dr;
  ffi_type *hargs[] = {&f3_type, &d4_type};
  void *hvals[] = {&x, &y};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &d4_type, hargs) == FFI_OK);
  ffi_call(&cif, FFI_FN(ra_probe_hfa), &dr, hvals);
  CHECK(dr.a == 2 && dr.d == 4 && called_from_jit());

  /* The control: complex numbers are the real libffi's, and the probe sees it. */
  double complex z = 1 + 2 * I, zr = 0;
  ffi_type *cargs[] = {&ffi_type_complex_double};
  void *cvals[] = {&z};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_complex_double, cargs) == FFI_OK);
  ffi_call(&cif, FFI_FN(ra_probe_complex), &zr, cvals);
  CHECK(zr == z && !called_from_jit());
}

/* libffi 3.8's call plans are not in the system's 3.4 header: declared here, found by dlsym. */
typedef struct ffi_call_plan ffi_call_plan;
static void test_plans(int expect_jitffi) {
  ffi_call_plan *(*alloc)(ffi_cif *) =
      (ffi_call_plan * (*)(ffi_cif *)) dlsym(RTLD_DEFAULT, "ffi_call_plan_alloc");
  void (*invoke)(ffi_call_plan *, void (*)(void), void *, void **) = (void (*)(
      ffi_call_plan *, void (*)(void), void *, void **))dlsym(RTLD_DEFAULT, "ffi_call_plan_invoke");
  void (*pfree)(ffi_call_plan *) =
      (void (*)(ffi_call_plan *))dlsym(RTLD_DEFAULT, "ffi_call_plan_free");
  size_t (*psize)(ffi_call_plan *) =
      (size_t(*)(ffi_call_plan *))dlsym(RTLD_DEFAULT, "ffi_call_plan_size");
  if (!expect_jitffi && !alloc) return; /* libffi before 3.8 */
  CHECK(alloc && invoke && pfree && psize);
  if (!alloc || !invoke || !pfree || !psize) return;
  ffi_cif cif;
  struct big x = {1, 2, 3}, y = {4, 5, 6}, br;
  ffi_type *bargs[] = {&big_type, &big_type};
  void *bvals[] = {&x, &y};
  CHECK(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &big_type, bargs) == FFI_OK);
  ffi_call_plan *p = alloc(&cif);
  CHECK(p != NULL);
  CHECK(psize(p) > 0 && psize(NULL) == 0);
  for (int i = 0; i < 3; ++i) {
    invoke(p, FFI_FN(big_sum), &br, bvals);
    CHECK(br.a == 5 && br.b == 7 && br.c == 9);
  }
  pfree(p);
}

/* Whether two paths name the same file (device and inode: a bind mount counts as the file). */
static int same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int main(int argc, char **argv) {
  /* --expect-jitffi=PATH: ours is PATH, wherever the loader found it (a replaced system file). */
  int expect_jitffi = argc > 1 && strncmp(argv[1], "--expect-jitffi", 15) == 0 &&
                      (argv[1][15] == 0 || argv[1][15] == '=');
  const char *ours = expect_jitffi && argv[1][15] == '=' ? argv[1] + 16 : NULL;
  if (expect_jitffi) {
    Dl_info info;
    CHECK(
        dladdr((void *)&ffi_call, &info) &&
        (ours ? same_file(info.dli_fname, ours) : !!strstr(info.dli_fname, "compat/libffi.so.8")));
    CHECK(dlsym(RTLD_DEFAULT, "ffi_get_version") != NULL);
    if (dladdr((void *)&ffi_call, &info)) printf("ffi_call from %s\n", info.dli_fname);
  }
  test_calls();
  test_variadic();
  test_structs(expect_jitffi);
  test_closures(expect_jitffi);
  test_plans(expect_jitffi);
  if (expect_jitffi) test_jit_served();
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
