/* The floor of ffi_call's shape for S1-S8 (bench_compat's floor/S* rows): for each signature, a
 * C function with exactly ffi_call's parameters that does what an ideal ffi_call must do for
 * it and no more: read each argument through avalue[i], call the target through the function
 * pointer, store the result through rvalue (integers widened to ffi_arg, as libffi's contract
 * says). Compiled -O2 in a file of its own and called through a pointer, so it is never inlined;
 * the cif is not read (the signature is compiled in). Each starts a 64-byte line, as JIT stubs do
 * (see cases.cpp on what sharing a line cost). */
#include <ffi.h>
#include <stdint.h>

#include "bench/compat_floor.h"
#include "bench/targets.h"

#define FLOOR __attribute__((aligned(64))) static void

FLOOR floor_s1(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue) {
  (void)cif, (void)rvalue, (void)avalue;
  fn();
}
FLOOR floor_s2(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue) {
  (void)cif;
  *(ffi_sarg *)rvalue = ((int (*)(int, int))fn)(*(int *)avalue[0], *(int *)avalue[1]);
}
FLOOR floor_s3(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue) {
  (void)cif;
  *(double *)rvalue = ((double (*)(double, double, double, double))fn)(
      *(double *)avalue[0], *(double *)avalue[1], *(double *)avalue[2], *(double *)avalue[3]);
}
FLOOR floor_s4(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue) {
  (void)cif;
  *(int64_t *)rvalue =
      ((int64_t(*)(int64_t, double, int64_t, int64_t, double, int64_t, int64_t, int64_t))fn)(
          *(int64_t *)avalue[0], *(double *)avalue[1], *(int64_t *)avalue[2], *(int64_t *)avalue[3],
          *(double *)avalue[4], *(int64_t *)avalue[5], *(int64_t *)avalue[6],
          *(int64_t *)avalue[7]);
}
FLOOR floor_s5(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue) {
  (void)cif;
  *(double *)rvalue = ((double (*)(int, double, void *, int, double, int64_t, void *, double, int,
                                   int, void *, double))fn)(
      *(int *)avalue[0], *(double *)avalue[1], *(void **)avalue[2], *(int *)avalue[3],
      *(double *)avalue[4], *(int64_t *)avalue[5], *(void **)avalue[6], *(double *)avalue[7],
      *(int *)avalue[8], *(int *)avalue[9], *(void **)avalue[10], *(double *)avalue[11]);
}
FLOOR floor_s6(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue) {
  (void)cif;
  *(V2 *)rvalue = ((V2(*)(V2, V2))fn)(*(V2 *)avalue[0], *(V2 *)avalue[1]);
}
FLOOR floor_s7(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue) {
  (void)cif;
  *(I3 *)rvalue = ((I3(*)(I3, I3))fn)(*(I3 *)avalue[0], *(I3 *)avalue[1]);
}
FLOOR floor_s8(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalue) {
  (void)cif;
  *(ffi_sarg *)rvalue = ((int (*)(const char *, ...))fn)(
      *(const char **)avalue[0], *(int *)avalue[1], *(double *)avalue[2], *(long *)avalue[3]);
}

const jitffi_bench_ffi_call_fn jitffi_bench_floor[8] = {floor_s1, floor_s2, floor_s3, floor_s4,
                                                        floor_s5, floor_s6, floor_s7, floor_s8};
