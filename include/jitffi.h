/* jitffi C API: the C++ API (jitffi/function.h) for language runtimes and C programs.
 *
 * Every handle is opaque and owned by the caller: free it with its _free/_close function
 * (passing NULL is a no-op). Functions that can fail return a jitffi_status; on failure
 * jitffi_last_error() holds a message for this thread (and, for JITFFI_PARSE_ERROR, the 0-based
 * character position in jitffi_last_error_position()). No C++ exception ever leaves the library
 * through this API. See docs/c-api.md.
 *
 *   jitffi_lib *libm;  jitffi_fn *cos_fn;  double x = 0.5, r;  void *args[] = {&x};
 *   if (jitffi_lib_open("libm.so.6", &libm) != JITFFI_OK ||
 *       jitffi_lib_function(libm, "double cos(double)", NULL, &cos_fn) != JITFFI_OK)
 *     fprintf(stderr, "%s\n", jitffi_last_error());
 *   jitffi_fn_call(cos_fn, &r, args);
 *   jitffi_fn_free(cos_fn);  jitffi_lib_close(libm);
 */
#ifndef JITFFI_H
#define JITFFI_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define JITFFI_API __attribute__((visibility("default")))
#else
#define JITFFI_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum jitffi_status {
  JITFFI_OK = 0,
  JITFFI_PARSE_ERROR = 1,      /* signature or declaration text is malformed */
  JITFFI_TYPE_ERROR = 2,       /* a type that cannot exist or be used there */
  JITFFI_LIBRARY_ERROR = 3,    /* dlopen failed */
  JITFFI_SYMBOL_ERROR = 4,     /* a symbol is missing from a library */
  JITFFI_UNSUPPORTED = 5,      /* the requested back end cannot serve this signature */
  JITFFI_INVALID_ARGUMENT = 6, /* a null pointer or an out-of-range value was passed */
  JITFFI_NO_MEMORY = 7,        /* allocation failed */
  JITFFI_ERROR = 8             /* any other failure (see jitffi_last_error) */
} jitffi_status;

/* Which back end calls and closures use. AUTO: the JIT where it can serve the signature,
 * libffi otherwise. The process-wide default starts from JITFFI_BACKEND=auto|jit|libffi. */
typedef enum jitffi_backend {
  JITFFI_BACKEND_AUTO = 0,
  JITFFI_BACKEND_JIT = 1,
  JITFFI_BACKEND_LIBFFI = 2
} jitffi_backend;

typedef struct jitffi_sig jitffi_sig;         /* a parsed signature */
typedef struct jitffi_fn jitffi_fn;           /* a callable foreign function */
typedef struct jitffi_closure jitffi_closure; /* a native function pointer into a handler */
typedef struct jitffi_lib jitffi_lib;         /* a shared library opened with dlopen */

/* The host side of a closure: args[i] points to the i-th argument; write the result to ret. */
typedef void (*jitffi_handler)(void *ret, void **args, void *user_data);

/* Options for a function; a NULL options pointer means all zero (AUTO, no errno capture). */
typedef struct jitffi_fn_options {
  jitffi_backend backend;
  /* Non-zero: errno is set from jitffi_saved_errno() before each call and saved after it. */
  int capture_errno;
} jitffi_fn_options;

/* The library's version, e.g. "0.1.0". */
JITFFI_API const char *jitffi_version(void);

/* The message of the last failed call on this thread ("" if none failed yet). Successful calls
 * leave it as it is, like errno. Valid until the next failing call on this thread. */
JITFFI_API const char *jitffi_last_error(void);
/* The 0-based character position of the last JITFFI_PARSE_ERROR on this thread, or
 * JITFFI_NO_POSITION when the last failure was not a parse error. */
#define JITFFI_NO_POSITION ((size_t)-1)
JITFFI_API size_t jitffi_last_error_position(void);
/* A constant name for a status: "JITFFI_OK", "JITFFI_PARSE_ERROR", ... */
JITFFI_API const char *jitffi_status_name(jitffi_status status);

/* ---- Signatures ------------------------------------------------------------------------ */

/* Parses either syntax (`i32(ptr, f64, ...)` or `int open(const char *, int, ...)`) for the
 * host ABI (an ABI named in the text wins). See docs/signatures.md. */
JITFFI_API jitffi_status jitffi_sig_parse(const char *text, jitffi_sig **out);
/* Same with an explicit length (text need not be NUL-terminated). */
JITFFI_API jitffi_status jitffi_sig_parse_n(const char *text, size_t length, jitffi_sig **out);
/* For a variadic signature: the same fixed part with this call's variadic argument types, each
 * a type name in either syntax ("int", "f64", "const char *"), already default-promoted. */
JITFFI_API jitffi_status jitffi_sig_with_varargs(const jitffi_sig *sig, const char *const *types,
                                                 size_t count, jitffi_sig **out);
JITFFI_API void jitffi_sig_free(jitffi_sig *sig);

/* The canonical text, e.g. "sysv:f64(f64)"; owned by sig. NULL if sig is NULL. */
JITFFI_API const char *jitffi_sig_canonical(const jitffi_sig *sig);
/* The 64-bit hash of the canonical text (0 if sig is NULL). */
JITFFI_API uint64_t jitffi_sig_hash(const jitffi_sig *sig);
/* Number of parameters (fixed plus this call's variadic ones); 0 if sig is NULL. */
JITFFI_API size_t jitffi_sig_nargs(const jitffi_sig *sig);
/* Number of fixed parameters (== nargs unless variadic). */
JITFFI_API size_t jitffi_sig_fixed_count(const jitffi_sig *sig);
JITFFI_API int jitffi_sig_is_variadic(const jitffi_sig *sig);
/* The function name of a C prototype ("" for the compact syntax); owned by sig. */
JITFFI_API const char *jitffi_sig_name(const jitffi_sig *sig);
/* Non-zero if both describe the same call (same canonical form). */
JITFFI_API int jitffi_sig_equal(const jitffi_sig *a, const jitffi_sig *b);

/* ---- Functions ------------------------------------------------------------------------- */

/* A function at `address` with signature `sig` (sig may be freed afterwards). */
JITFFI_API jitffi_status jitffi_fn_create(const jitffi_sig *sig, void *address,
                                          const jitffi_fn_options *options, jitffi_fn **out);
/* Calls it: args[i] points to the i-th argument (never written to); ret points to a buffer of
 * jitffi_fn_return_size() bytes (integers narrower than 64 bits come back widened to 64 bits,
 * like libffi's ffi_arg); ret may be NULL for void. Safe to call from many threads at once.
 * Returns JITFFI_INVALID_ARGUMENT if fn is NULL or args is NULL while the function has
 * parameters. */
JITFFI_API jitffi_status jitffi_fn_call(const jitffi_fn *fn, void *ret, void **args);
JITFFI_API size_t jitffi_fn_return_size(const jitffi_fn *fn);
/* "jit" or "libffi": the back end that was chosen. NULL if fn is NULL. */
JITFFI_API const char *jitffi_fn_backend(const jitffi_fn *fn);
JITFFI_API void *jitffi_fn_address(const jitffi_fn *fn);
/* Its signature, owned by fn. */
JITFFI_API const jitffi_sig *jitffi_fn_sig(const jitffi_fn *fn);
JITFFI_API void jitffi_fn_free(jitffi_fn *fn);

/* ---- Value and slot calls (for runtimes: results as values, arguments as values) ------------
 * Slots: slots[i] holds the i-th argument's value itself: integers and bool sign- or
 * zero-extended to 64 bits per their type, float and double in the low bits, pointers; an
 * argument that does not fit a slot (a struct or union, long double, __int128) is passed as its
 * address. Results come back as the value: no widening of narrow integers into a buffer. All of
 * them work for every signature (a result that comes back in memory takes the boxed call behind
 * the scenes), keep errno capture and JITFFI_STATS, and are safe to call from many threads. */

/* The result's bytes (the first 16; unused bytes zero): a struct of up to 16 bytes, __int128. */
typedef struct jitffi_pair {
  uint64_t word[2];
} jitffi_pair;

/* Like jitffi_fn_call with the arguments in slots; narrow integer results are written with their
 * own size (not widened). ret may be NULL for void. */
JITFFI_API jitffi_status jitffi_fn_call_slots(const jitffi_fn *fn, void *ret,
                                              const uint64_t *slots);
/* The result as an int64_t (integer, bool and pointer results, sign- or zero-extended per type),
 * a double (float and double results) or a pair (any result of at most 16 bytes). Another result
 * type is JITFFI_TYPE_ERROR naming it. args / slots may be NULL when there are no parameters. */
JITFFI_API jitffi_status jitffi_fn_call_i64(const jitffi_fn *fn, void **args, int64_t *out);
JITFFI_API jitffi_status jitffi_fn_call_f64(const jitffi_fn *fn, void **args, double *out);
JITFFI_API jitffi_status jitffi_fn_call_pair(const jitffi_fn *fn, void **args, jitffi_pair *out);
JITFFI_API jitffi_status jitffi_fn_call_slots_i64(const jitffi_fn *fn, const uint64_t *slots,
                                                  int64_t *out);
JITFFI_API jitffi_status jitffi_fn_call_slots_f64(const jitffi_fn *fn, const uint64_t *slots,
                                                  double *out);
JITFFI_API jitffi_status jitffi_fn_call_slots_pair(const jitffi_fn *fn, const uint64_t *slots,
                                                   jitffi_pair *out);

/* Where the raw entries below leave the result, as the signature's ABI returns it: INT in the
 * first integer register (rax, x0; read it as the C return type, or int64_t/uint64_t), FLOAT
 * in the first vector register (read it as float or double), X87 in st0 (long double), a pair
 * of registers for a result of two parts: a struct { uint64_t; uint64_t; } (INT_INT), { double;
 * double; } (FLOAT_FLOAT), { uint64_t; double; } (INT_FLOAT), { double; uint64_t; } (FLOAT_INT)
 * holding the result's bytes 0-7 and 8-15. NONE: the result comes back in memory, and the
 * function has no raw entries. */
typedef enum jitffi_value_shape {
  JITFFI_SHAPE_NONE = 0,
  JITFFI_SHAPE_VOID = 1,
  JITFFI_SHAPE_INT = 2,
  JITFFI_SHAPE_FLOAT = 3,
  JITFFI_SHAPE_X87 = 4,
  JITFFI_SHAPE_INT_INT = 5,
  JITFFI_SHAPE_FLOAT_FLOAT = 6,
  JITFFI_SHAPE_INT_FLOAT = 7,
  JITFFI_SHAPE_FLOAT_INT = 8
} jitffi_value_shape;
JITFFI_API jitffi_value_shape jitffi_fn_value_shape(const jitffi_fn *fn);
/* The raw entries, for runtimes that generate their own call sites (NULL when the shape is NONE,
 * when fn is NULL, or where the back end has none: the AArch64 JIT does not emit them yet): R
 * value_entry(void *address, void **args) and R slots_entry(void *address, const uint64_t *slots),
 * called with the host's C convention, address being jitffi_fn_address(fn). They stay valid while
 * fn (or any function with the same signature) exists. */
JITFFI_API void *jitffi_fn_value_entry(const jitffi_fn *fn);
JITFFI_API void *jitffi_fn_slots_entry(const jitffi_fn *fn);

/* ---- Closures -------------------------------------------------------------------------- */

/* A native function pointer with signature `sig` that calls handler(ret, args, user_data).
 * The closure uses the default back end. */
JITFFI_API jitffi_status jitffi_closure_create(const jitffi_sig *sig, jitffi_handler handler,
                                               void *user_data, jitffi_closure **out);
/* Same with an explicit back end. */
JITFFI_API jitffi_status jitffi_closure_create_with(const jitffi_sig *sig, jitffi_handler handler,
                                                    void *user_data, jitffi_backend backend,
                                                    jitffi_closure **out);
/* The code pointer: cast it to the function pointer type of the signature. It must not be
 * called after jitffi_closure_free. */
JITFFI_API void *jitffi_closure_code(const jitffi_closure *closure);
JITFFI_API const char *jitffi_closure_backend(const jitffi_closure *closure);
JITFFI_API void jitffi_closure_free(jitffi_closure *closure);

/* ---- Libraries ------------------------------------------------------------------------- */

/* dlopen by path, file name or short name: "m", "libm.so", "libm.so.6", "/lib/.../libm.so.6". */
JITFFI_API jitffi_status jitffi_lib_open(const char *name, jitffi_lib **out);
/* The running program and everything it has loaded (dlopen(NULL)). */
JITFFI_API jitffi_status jitffi_lib_open_self(jitffi_lib **out);

/* How jitffi_lib_open_flags calls dlopen (OR them; 0 is jitffi_lib_open's RTLD_NOW|RTLD_LOCAL).
 * GLOBAL: the symbols serve libraries opened later and dlsym(RTLD_DEFAULT) (RTLD_GLOBAL).
 * LAZY: functions are bound at their first call (RTLD_LAZY). */
#define JITFFI_OPEN_GLOBAL 1u
#define JITFFI_OPEN_LAZY 2u
/* jitffi_lib_open with dlopen flags; an unknown flag bit is JITFFI_INVALID_ARGUMENT. */
JITFFI_API jitffi_status jitffi_lib_open_flags(const char *name, unsigned flags, jitffi_lib **out);

/* Looks a symbol up: JITFFI_SYMBOL_ERROR naming it when missing. "name@VERSION" (or
 * "name@@VERSION") asks for that version with dlvsym, e.g. "memcpy@GLIBC_2.2.5"; prototypes
 * given to jitffi_lib_function take it after the name: "void *memcpy@GLIBC_2.2.5(void *, ...)". */
JITFFI_API jitffi_status jitffi_lib_symbol(const jitffi_lib *lib, const char *name, void **out);
/* Declarations (struct/union/enum definitions, typedefs) that later prototypes may use:
 * "typedef struct sqlite3 sqlite3; struct point { double x, y; };". */
JITFFI_API jitffi_status jitffi_lib_declare(jitffi_lib *lib, const char *declarations);
/* Parses a C prototype with the library's declarations, resolves its name and prepares the
 * call. The function keeps the library loaded: it may outlive the jitffi_lib handle. */
JITFFI_API jitffi_status jitffi_lib_function(const jitffi_lib *lib, const char *prototype,
                                             const jitffi_fn_options *options, jitffi_fn **out);
/* Same with a signature already parsed (its name is the symbol), e.g. from
 * jitffi_sig_with_varargs. */
JITFFI_API jitffi_status jitffi_lib_function_sig(const jitffi_lib *lib, const jitffi_sig *sig,
                                                 const jitffi_fn_options *options, jitffi_fn **out);
/* Parses a prototype with the library's declarations without resolving it. */
JITFFI_API jitffi_status jitffi_lib_parse(const jitffi_lib *lib, const char *prototype,
                                          jitffi_sig **out);
/* The name the library was opened by; owned by lib. */
JITFFI_API const char *jitffi_lib_name(const jitffi_lib *lib);
/* Releases this handle; dlclose runs when no function from it remains either. */
JITFFI_API void jitffi_lib_close(jitffi_lib *lib);

/* ---- errno and back ends --------------------------------------------------------------- */

/* This thread's errno as saved by the last call of a function with capture_errno. */
JITFFI_API int jitffi_saved_errno(void);
JITFFI_API void jitffi_set_saved_errno(int value);

JITFFI_API jitffi_backend jitffi_default_backend(void);
/* JITFFI_INVALID_ARGUMENT for a value outside the enum. */
JITFFI_API jitffi_status jitffi_set_default_backend(jitffi_backend backend);

#ifdef __cplusplus
}
#endif

#endif /* JITFFI_H */
