/* Force-included (-include) into compat's own build of the fallback sources, which becomes part of
 * libffi.so.8: that back end calls ffi_prep_cif, ffi_call, ... by name, and inside this library
 * those names are our own exports. The macros below send its calls to the real libffi that
 * compat loaded under its own name (real_ffi.cpp), so the fallback stays the real libffi and
 * never re-enters us. The ffi_type_* objects it uses are ours, with libffi's values. */
#pragma once
#include <ffi.h>

#ifdef __cplusplus
extern "C" {
#endif
ffi_status jitffi_compat_real_prep_cif(ffi_cif *, ffi_abi, unsigned, ffi_type *, ffi_type **);
ffi_status jitffi_compat_real_prep_cif_var(ffi_cif *, ffi_abi, unsigned, unsigned, ffi_type *,
                                           ffi_type **);
void jitffi_compat_real_call(ffi_cif *, void (*)(void), void *, void **);
void *jitffi_compat_real_closure_alloc(size_t, void **);
void jitffi_compat_real_closure_free(void *);
ffi_status jitffi_compat_real_prep_closure_loc(ffi_closure *, ffi_cif *,
                                               void (*)(ffi_cif *, void *, void **, void *), void *,
                                               void *);
#ifdef __cplusplus
}
#endif

#define ffi_prep_cif jitffi_compat_real_prep_cif
#define ffi_prep_cif_var jitffi_compat_real_prep_cif_var
#define ffi_call jitffi_compat_real_call
#define ffi_closure_alloc jitffi_compat_real_closure_alloc
#define ffi_closure_free jitffi_compat_real_closure_free
#define ffi_prep_closure_loc jitffi_compat_real_prep_closure_loc
