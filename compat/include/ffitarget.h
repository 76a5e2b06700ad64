/* ffitarget.h for jitffi's libffi-compatible library (compat/): the target definitions of
   libffi 3.4-3.8 for x86-64 and AArch64 Linux, value for value, so that code compiled against
   libffi's own headers and code compiled against these agree on every layout and constant. */
#ifndef LIBFFI_TARGET_H
#define LIBFFI_TARGET_H

#ifndef LIBFFI_H
#error "Please do not include ffitarget.h directly into your source.  Use ffi.h instead."
#endif

#if defined(__x86_64__) && !defined(_WIN32)
#ifndef X86_64
#define X86_64
#endif

#define FFI_SIZEOF_ARG 8
#define FFI_TARGET_SPECIFIC_STACK_SPACE_ALLOCATION
#define FFI_TARGET_HAS_COMPLEX_TYPE

#ifndef LIBFFI_ASM
typedef unsigned long ffi_arg;
typedef signed long ffi_sarg;

/* libffi's x86-64 ABI list: FFI_UNIX64 (SysV, the default), FFI_WIN64 (= FFI_EFI64, the
   Microsoft convention as __attribute__((ms_abi))) and FFI_GNUW64 (GCC's Win64 variant). */
typedef enum ffi_abi {
  FFI_FIRST_ABI = 1,
  FFI_UNIX64,
  FFI_WIN64,
  FFI_EFI64 = FFI_WIN64,
  FFI_GNUW64,
  FFI_LAST_ABI,
  FFI_DEFAULT_ABI = FFI_UNIX64
} ffi_abi;
#endif

#define FFI_CLOSURES 1
#define FFI_GO_CLOSURES 1
#define FFI_TRAMPOLINE_SIZE 32
#define FFI_NATIVE_RAW_API 0

#elif defined(__aarch64__) && !defined(_WIN32) && !defined(__APPLE__)
#ifndef AARCH64
#define AARCH64
#endif

/* libffi's arm64 header leaves FFI_SIZEOF_ARG to ffi.h, which makes it 8 for LP64. */
#define FFI_SIZEOF_ARG 8
#define FFI_TARGET_HAS_COMPLEX_TYPE

#ifndef LIBFFI_ASM
typedef unsigned long ffi_arg;
typedef signed long ffi_sarg;

/* libffi's AArch64 ABI list: FFI_SYSV (AAPCS64, the default off Windows) and FFI_WIN64. */
typedef enum ffi_abi {
  FFI_FIRST_ABI = 0,
  FFI_SYSV,
  FFI_WIN64,
  FFI_LAST_ABI,
  FFI_DEFAULT_ABI = FFI_SYSV
} ffi_abi;
#endif

/* No FFI_EXTRA_CIF_FIELDS on Linux (Apple adds aarch64_nfixedargs, Windows is_variadic): the
   cif is the common 32 bytes. Go closures use x18 as the static chain, as on Linux only. */
#define FFI_CLOSURES 1
#define FFI_GO_CLOSURES 1
#define FFI_TRAMPOLINE_SIZE 24
#define FFI_TRAMPOLINE_CLOSURE_OFFSET FFI_TRAMPOLINE_SIZE
#define FFI_NATIVE_RAW_API 0
#define FFI_TARGET_SPECIFIC_VARIADIC

#else
#error "jitffi's ffi.h supports x86-64 and AArch64 Linux only"
#endif

#endif /* LIBFFI_TARGET_H */
