/* The failure record of the differential suite's generated checks (see diff_runtime.h). */
#include "diff_runtime.h"

#include <stdio.h>

static unsigned g_failures;
static char g_first[512];
static unsigned g_sig;
static const char *g_who = "";
static int g_arg;

void diff_reset(void) {
  g_failures = 0;
  g_first[0] = 0;
}

unsigned diff_failure_count(void) {
  return g_failures;
}

const char *diff_first_failure(void) {
  return g_first;
}

void diff_context(unsigned sig, const char *who, int arg) {
  g_sig = sig;
  g_who = who;
  g_arg = arg;
}

/* Records a mismatch; only the first one's text is kept, the count says how many followed. */
static int record(const char *path) {
  if (g_failures++) return 0;
  int n;
  if (g_arg < 0)
    n = snprintf(g_first, sizeof g_first, "signature %u, %s, result%s: ", g_sig, g_who, path);
  else
    n = snprintf(g_first, sizeof g_first, "signature %u, %s, argument %d%s: ", g_sig, g_who, g_arg,
                 path);
  return n < 0 ? 0 : n;
}

void diff_fail_int(const char *path, unsigned long long got, unsigned long long exp) {
  int n = record(path);
  if (n) snprintf(g_first + n, sizeof g_first - n, "got 0x%llx, expected 0x%llx", got, exp);
}

void diff_fail_i128(const char *path, unsigned long long got_hi, unsigned long long got_lo,
                    unsigned long long exp_hi, unsigned long long exp_lo) {
  int n = record(path);
  if (n)
    snprintf(g_first + n, sizeof g_first - n, "got 0x%016llx%016llx, expected 0x%016llx%016llx",
             got_hi, got_lo, exp_hi, exp_lo);
}

void diff_fail_fp(const char *path, double got, double exp) {
  int n = record(path);
  if (n) snprintf(g_first + n, sizeof g_first - n, "got %a, expected %a", got, exp);
}

void diff_fail_ld(const char *path, long double got, long double exp) {
  int n = record(path);
  if (n) snprintf(g_first + n, sizeof g_first - n, "got %La, expected %La", got, exp);
}
