/* The failure record and the leaf-by-leaf value checks of the differential suite's generated
 * code (see diff_runtime.h). */
#include "diff_runtime.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

static unsigned g_failures;
static char g_first[512];
static unsigned g_typed_calls;

void diff_reset(void) {
  g_failures = 0;
  g_first[0] = 0;
  g_typed_calls = 0;
}

unsigned diff_typed_calls(void) {
  return g_typed_calls;
}

unsigned diff_failure_count(void) {
  return g_failures;
}

const char *diff_first_failure(void) {
  return g_first;
}

/* Bytes that hold a leaf's value: x87's 80-bit long double has 6 bytes of padding after it. */
static size_t value_size(unsigned kind) {
  static const unsigned char sizes[] = {1, 1, 1, 2, 2, 4, 4, 8, 8, 16, 16, 4, 8, 0, 8};
  if (kind == DIFF_LDOUBLE) return LDBL_MANT_DIG == 64 ? 10 : sizeof(long double);
  return sizes[kind];
}

/* Prints one leaf's value for the failure text. */
static int format(char *out, size_t n, unsigned kind, const unsigned char *p) {
  switch (kind) {
    case DIFF_F32: {
      float f;
      memcpy(&f, p, sizeof f);
      return snprintf(out, n, "%a", (double)f);
    }
    case DIFF_F64: {
      double d;
      memcpy(&d, p, sizeof d);
      return snprintf(out, n, "%a", d);
    }
    case DIFF_LDOUBLE: {
      long double ld = 0;
      memcpy(&ld, p, value_size(kind));
      return snprintf(out, n, "%La", ld);
    }
    case DIFF_I128:
    case DIFF_U128: {
      unsigned long long lo, hi;
      memcpy(&lo, p, 8);
      memcpy(&hi, p + 8, 8);
      return snprintf(out, n, "0x%016llx%016llx", hi, lo);
    }
    default: {
      unsigned long long v = 0;
      memcpy(&v, p, value_size(kind));
      return snprintf(out, n, "0x%llx", v);
    }
  }
}

static void record(unsigned sig, const char *who, int arg, const struct diff_leaf *leaf,
                   const unsigned char *got, const unsigned char *exp) {
  if (g_failures++) return; /* the count says how many followed the first */
  char *o = g_first;
  size_t left = sizeof g_first;
  int w;
  if (arg < 0)
    w = snprintf(o, left, "signature %u, %s, result%s: got ", sig, who, leaf->path);
  else
    w = snprintf(o, left, "signature %u, %s, argument %d%s: got ", sig, who, arg, leaf->path);
  if (w < 0 || (size_t)w >= left) return;
  o += w, left -= (size_t)w;
  w = format(o, left, leaf->kind, got);
  if (w < 0 || (size_t)w >= left) return;
  o += w, left -= (size_t)w;
  w = snprintf(o, left, ", expected ");
  if (w < 0 || (size_t)w >= left) return;
  o += w, left -= (size_t)w;
  format(o, left, leaf->kind, exp);
}

int diff_check_values(unsigned sig, const char *who, int n, const void *const *got,
                      const struct diff_value *exp) {
  int bad = 0;
  int count = n < 0 ? 1 : n;
  for (int k = 0; k < count; ++k) {
    const struct diff_value *v = &exp[k];
    for (unsigned j = 0; j < v->count; ++j) {
      const struct diff_leaf *leaf = &v->leaves[j];
      const unsigned char *g = (const unsigned char *)got[k] + leaf->offset;
      const unsigned char *e = (const unsigned char *)v->exp + leaf->offset;
      if (memcmp(g, e, value_size(leaf->kind)) != 0) {
        ++bad;
        record(sig, who, n < 0 ? -1 : k, leaf, g, e);
      }
    }
  }
  return bad;
}

void diff_check_user_data(unsigned sig, const void *got, const void *want) {
  ++g_typed_calls;
  if (got == want) return;
  if (!g_failures++)
    snprintf(g_first, sizeof g_first, "signature %u, typed handler: user_data %p, expected %p", sig,
             got, want);
}
