/* Shared between the generated C targets of the differential suite and the C++ driver: the table
 * of generated functions and the failure record the checks write into. */
#ifndef JITFFI_DIFF_RUNTIME_H
#define JITFFI_DIFF_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Runtime helpers are hidden so that two generated libraries (sysv, win64) loaded into one
 * process each keep their own failure record. */
#define DIFF_HIDDEN __attribute__((visibility("hidden")))

/* `void *` under a name, so that the generated `const T *` means a pointer to a const pointer. */
typedef void *diff_ptr;

#define DIFF_NOINLINE __attribute__((noinline))

/* One generated signature. `layout` lists, for the result and then each parameter, its C
 * sizeof, _Alignof, number of scalar leaves and each leaf's offset, in the order of
 * jitffi::Type::for_each_scalar (every union member); a void result is 0, 0, 0. */
struct diff_entry {
  unsigned index;
  const char *sig; /* canonical text: `sysv:{i32,f64}(i8,...,i64)` */
  void *target;    /* R diff_target_i(params...) */
  void (*fill_args)(void **boxes);
  int (*check_args)(void **args); /* returns the number of mismatches */
  int (*check_ret)(const void *ret);
  void (*fill_ret)(void *ret);
  int (*call_closure)(void *fn); /* mismatches in the result the closure returned */
  const unsigned *layout;
  /* R diff_typed_i(params..., void *user_data): a typed closure's handler (Closure::typed),
   * which checks its arguments and that user_data is its own address; 0 when variadic. */
  void *typed_handler;
};

struct diff_chunk {
  const struct diff_entry *entries;
  unsigned count;
};

/* Exported by every generated library (its table file). */
extern const struct diff_chunk diff_chunks[];
extern const unsigned diff_chunk_count;
extern const char diff_abi[]; /* "sysv", "win64", "aapcs64" */
extern const char diff_seed[];

/* The failure record. */
void diff_reset(void);
unsigned diff_failure_count(void);
const char *diff_first_failure(void); /* "" when none */

/* Scalar kinds of leaves, as in jitffi's canonical names. */
enum diff_kind {
  DIFF_BOOL,
  DIFF_I8,
  DIFF_U8,
  DIFF_I16,
  DIFF_U16,
  DIFF_I32,
  DIFF_U32,
  DIFF_I64,
  DIFF_U64,
  DIFF_I128,
  DIFF_U128,
  DIFF_F32,
  DIFF_F64,
  DIFF_LDOUBLE,
  DIFF_PTR
};

/* One scalar leaf of a value: its offset as the compiler laid it out, its kind, its path in C
 * (".m1.m0[2]"; "" for a scalar). A union contributes only its largest member's leaves. */
struct diff_leaf {
  unsigned offset;
  unsigned char kind;
  const char *path;
};

/* A known value (a static const object of the real C type) and its leaves. */
struct diff_value {
  const void *exp;
  const struct diff_leaf *leaves;
  unsigned count;
};

/* Compares got[k] with exp[k] leaf by leaf for k < n, or the one result got[0] with exp[0] when
 * n is -1; records each mismatch and returns how many there were. Floats compare by value bits
 * (every generated value is exact); a long double by its value bytes only, never its padding. */
DIFF_HIDDEN int diff_check_values(unsigned sig, const char *who, int n, const void *const *got,
                                  const struct diff_value *exp);
/* Counts a typed handler's call and records a mismatch when its user_data is not `want`. */
DIFF_HIDDEN void diff_check_user_data(unsigned sig, const void *got, const void *want);
/* Typed handler calls since diff_reset(). */
unsigned diff_typed_calls(void);

#ifdef __cplusplus
}
#endif

#endif
