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

/* Which function is checking which argument, for the failure text. */
DIFF_HIDDEN void diff_context(unsigned sig, const char *who, int arg);
DIFF_HIDDEN void diff_fail_int(const char *path, unsigned long long got, unsigned long long exp);
DIFF_HIDDEN void diff_fail_i128(const char *path, unsigned long long got_hi,
                                unsigned long long got_lo, unsigned long long exp_hi,
                                unsigned long long exp_lo);
DIFF_HIDDEN void diff_fail_fp(const char *path, double got, double exp);
DIFF_HIDDEN void diff_fail_ld(const char *path, long double got, long double exp);

#define DIFF_EQ_INT(path, got, exp)                                                                \
  do {                                                                                             \
    if ((got) != (exp)) diff_fail_int(path, (unsigned long long)(got), (unsigned long long)(exp)); \
  } while (0)
#define DIFF_EQ_PTR(path, got, exp)                             \
  do {                                                          \
    if ((got) != (exp))                                         \
      diff_fail_int(path, (unsigned long long)(uintptr_t)(got), \
                    (unsigned long long)(uintptr_t)(exp));      \
  } while (0)
#define DIFF_EQ_I128(path, got, exp)                                                             \
  do {                                                                                           \
    if ((got) != (exp))                                                                          \
      diff_fail_i128(                                                                            \
          path, (unsigned long long)((unsigned __int128)(got) >> 64), (unsigned long long)(got), \
          (unsigned long long)((unsigned __int128)(exp) >> 64), (unsigned long long)(exp));      \
  } while (0)
/* Floats are compared exactly: every generated value is exactly representable. */
#define DIFF_EQ_FP(path, got, exp)                                        \
  do {                                                                    \
    if ((got) != (exp)) diff_fail_fp(path, (double)(got), (double)(exp)); \
  } while (0)
#define DIFF_EQ_LD(path, got, exp)                        \
  do {                                                    \
    if ((got) != (exp)) diff_fail_ld(path, (got), (exp)); \
  } while (0)

#ifdef __cplusplus
}
#endif

#endif
