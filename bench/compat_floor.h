/* Hand-written C functions of ffi_call's shape for S1-S8 (compat_floor.c). */
#pragma once

#include <ffi.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*jitffi_bench_ffi_call_fn)(ffi_cif *cif, void (*fn)(void), void *rvalue,
                                         void **avalue);
extern const jitffi_bench_ffi_call_fn jitffi_bench_floor[8];

#ifdef __cplusplus
}
#endif
