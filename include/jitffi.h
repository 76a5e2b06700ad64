/* jitffi C API: the C++ API (jitffi/function.h) for language runtimes and C programs.
 *
 * Every handle is opaque and owned by the caller: free it with its _free/_close function
 * (passing NULL is a no-op). The exception: `const jitffi_type *` handles read from a signature
 * or a type belong to it (see jitffi_type). Functions that can fail return a jitffi_status; on
 * failure jitffi_last_error() holds a message for this thread (and, for JITFFI_PARSE_ERROR, the
 * 0-based character position in jitffi_last_error_position()). No C++ exception ever leaves the
 * library through this API. See docs/c-api.md.
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

/* ---- Types: introspection ------------------------------------------------------------- */

/* A calling convention. JITFFI_ABI_HOST is accepted where an ABI is given (the ABI this library
 * was compiled for) and never returned. */
typedef enum jitffi_abi {
  JITFFI_ABI_HOST = 0,
  JITFFI_ABI_SYSV_X64 = 1,     /* "sysv": x86-64 System V */
  JITFFI_ABI_WIN64 = 2,        /* "win64": x64 Windows (ms_abi) */
  JITFFI_ABI_AAPCS64 = 3,      /* "aapcs64": ARM64 Linux */
  JITFFI_ABI_APPLE_ARM64 = 4,  /* "apple_arm64" */
  JITFFI_ABI_WINDOWS_ARM64 = 5 /* "windows_arm64": ARM64 Windows (LLP64) */
} jitffi_abi;

/* What a type is. The integer kinds have fixed widths; C's names whose width depends on the ABI
 * (long, long double, size_t, wchar_t, ...) are resolved to one of these when text is parsed
 * (jitffi_type_parse). LONG_DOUBLE is the 16-byte type (x87 extended on sysv, binary128 on
 * aapcs64); on win64 and apple_arm64 C's `long double` is F64. ARRAY occurs only as a member of
 * a struct or union. The type model has no _Complex and no bit-fields: text using them is a
 * parse error. */
typedef enum jitffi_kind {
  JITFFI_KIND_VOID = 0,
  JITFFI_KIND_BOOL = 1,
  JITFFI_KIND_I8 = 2,
  JITFFI_KIND_U8 = 3,
  JITFFI_KIND_I16 = 4,
  JITFFI_KIND_U16 = 5,
  JITFFI_KIND_I32 = 6,
  JITFFI_KIND_U32 = 7,
  JITFFI_KIND_I64 = 8,
  JITFFI_KIND_U64 = 9,
  JITFFI_KIND_I128 = 10,
  JITFFI_KIND_U128 = 11,
  JITFFI_KIND_F32 = 12,
  JITFFI_KIND_F64 = 13,
  JITFFI_KIND_LONG_DOUBLE = 14,
  JITFFI_KIND_POINTER = 15,
  JITFFI_KIND_STRUCT = 16,
  JITFFI_KIND_UNION = 17,
  JITFFI_KIND_ARRAY = 18
} jitffi_kind;

/* A type. Lifetimes: a `const jitffi_type *` from jitffi_sig_return/jitffi_sig_param is owned
 * by that signature, and one from jitffi_type_member_at/jitffi_type_element by the type it came
 * from (so, in the end, by the signature or by the builder handle at the root): valid until the
 * owner is freed, never freed itself. A `jitffi_type *` from a builder function
 * (jitffi_type_scalar, _pointer, _array, _struct, _union, _parse, jitffi_lib_type) is the
 * caller's: free it with jitffi_type_free. Types are immutable: any handle may be read from many
 * threads at once, and a type used to build another may be freed right after (the new type
 * keeps what it needs). */
typedef struct jitffi_type jitffi_type;

JITFFI_API jitffi_abi jitffi_host_abi(void);
/* "sysv", "win64", "aapcs64", "apple_arm64", "windows_arm64" (the host's name for JITFFI_ABI_HOST);
 * NULL for a value outside the enum. */
JITFFI_API const char *jitffi_abi_name(jitffi_abi abi);
/* The signature's ABI (never JITFFI_ABI_HOST); JITFFI_ABI_HOST if sig is NULL. */
JITFFI_API jitffi_abi jitffi_sig_abi(const jitffi_sig *sig);
/* The return type, owned by sig. NULL if sig is NULL. */
JITFFI_API const jitffi_type *jitffi_sig_return(const jitffi_sig *sig);
/* The type of parameter `index` (0-based, fixed then variadic), owned by sig. NULL if sig is
 * NULL or index >= jitffi_sig_nargs(sig). */
JITFFI_API const jitffi_type *jitffi_sig_param(const jitffi_sig *sig, size_t index);
/* The kinds of the return type and of every parameter in one call (for a runtime building its
 * own caller, instead of jitffi_sig_param and jitffi_type_kind per parameter): out[0] is the
 * return type's jitffi_kind, out[1 + i] parameter i's; at most `cap` bytes are written (out may
 * be NULL when cap is 0). Returns jitffi_sig_nargs(sig): 0, writing nothing, for a NULL sig. */
JITFFI_API size_t jitffi_sig_kinds(const jitffi_sig *sig, unsigned char *out, size_t cap);
/* The name of parameter `index` in a C prototype ("" where none was given), owned by sig. NULL
 * if sig is NULL or index is out of range. */
JITFFI_API const char *jitffi_sig_param_name(const jitffi_sig *sig, size_t index);

/* Accessors; for a NULL type they return VOID, 0, "" or NULL as fits. */
JITFFI_API jitffi_kind jitffi_type_kind(const jitffi_type *type);
/* In bytes, as sizeof and _Alignof give them (0 and 1 for void). */
JITFFI_API size_t jitffi_type_size(const jitffi_type *type);
JITFFI_API size_t jitffi_type_align(const jitffi_type *type);
/* Non-zero for BOOL and the integer kinds (not POINTER). */
JITFFI_API int jitffi_type_is_integer(const jitffi_type *type);
/* Non-zero for I8, I16, I32, I64, I128. */
JITFFI_API int jitffi_type_is_signed(const jitffi_type *type);
/* Non-zero for F32, F64, LONG_DOUBLE. */
JITFFI_API int jitffi_type_is_float(const jitffi_type *type);
/* Non-zero for a pointer spelt `char *` or `const char *` (a string to a runtime that converts
 * arguments; passed like any pointer, and not part of the canonical text). */
JITFFI_API int jitffi_type_is_cstr(const jitffi_type *type);
/* The canonical text ("i32", "ptr", "{i32,f64}", "union{i32,f32}", "u8[16]"), owned by type. */
JITFFI_API const char *jitffi_type_canonical(const jitffi_type *type);
/* A struct's or union's tag ("point" for `struct point`), "" if none; owned by type. */
JITFFI_API const char *jitffi_type_tag(const jitffi_type *type);
/* The kind's short name as in the canonical text: "void", "i32", "ldouble", "ptr", "struct",
 * "union", "array"; NULL for a value outside the enum. */
JITFFI_API const char *jitffi_kind_name(jitffi_kind kind);

/* Members of a struct or union (0 for any other kind). */
JITFFI_API size_t jitffi_type_member_count(const jitffi_type *type);
/* Member `index` of a struct or union: its name ("" if unnamed; owned by type), its type (owned
 * by type) and its byte offset (the offset C's offsetof gives; 0 for every member of a union).
 * Any of name, member_type and offset may be NULL. JITFFI_INVALID_ARGUMENT when type is NULL or
 * not a struct or union, or index >= jitffi_type_member_count(type). */
JITFFI_API jitffi_status jitffi_type_member_at(const jitffi_type *type, size_t index,
                                               const char **name, const jitffi_type **member_type,
                                               size_t *offset);
/* An array's element type (owned by type) and element count; NULL and 0 for other kinds. */
JITFFI_API const jitffi_type *jitffi_type_element(const jitffi_type *type);
JITFFI_API size_t jitffi_type_count(const jitffi_type *type);

/* ---- Types and signatures: builder ----------------------------------------------------- */

/* A member for jitffi_type_struct / jitffi_type_union: name may be NULL (unnamed). This struct
 * is part of the ABI of libjitffi: later needs (bit-fields, alignment overrides) will come as
 * new functions with their own member type, never as new fields here. */
typedef struct jitffi_member {
  const char *name;
  const jitffi_type *type;
} jitffi_member;

/* The scalar type of `kind` (VOID .. POINTER). JITFFI_INVALID_ARGUMENT for STRUCT, UNION,
 * ARRAY (they have their own builders) and for a value outside the enum. */
JITFFI_API jitffi_status jitffi_type_scalar(jitffi_kind kind, jitffi_type **out);
/* A pointer; non-zero cstr marks it as a C string (see jitffi_type_is_cstr). */
JITFFI_API jitffi_status jitffi_type_pointer(int cstr, jitffi_type **out);
/* `count` elements of `element` (a member type only: parameters and results are refused by
 * jitffi_sig_build). JITFFI_TYPE_ERROR for count 0, an element of void, or more than 2^40
 * bytes in all. */
JITFFI_API jitffi_status jitffi_type_array(const jitffi_type *element, size_t count,
                                           jitffi_type **out);
/* A struct or union with C's layout for the members in this order (natural alignment, no
 * packing: the offsets, size and alignment the C compiler gives on every supported ABI). tag
 * may be NULL. JITFFI_INVALID_ARGUMENT for a NULL members array or member type;
 * JITFFI_TYPE_ERROR for no members, a member of type void (an incomplete type), or more than
 * 2^40 bytes in all. */
JITFFI_API jitffi_status jitffi_type_struct(const char *tag, const jitffi_member *members,
                                            size_t count, jitffi_type **out);
JITFFI_API jitffi_status jitffi_type_union(const char *tag, const jitffi_member *members,
                                           size_t count, jitffi_type **out);
/* A type name in either syntax ("long", "unsigned char", "struct { int a; double b; }",
 * "{i32,f64}", "char[16]"), with C's ABI-dependent names resolved for `abi`. */
JITFFI_API jitffi_status jitffi_type_parse(jitffi_abi abi, const char *text, jitffi_type **out);
/* Frees a handle from a builder function. Handles owned by a signature or by another type are
 * left alone, so are the shared scalar handles; NULL is a no-op. */
JITFFI_API void jitffi_type_free(jitffi_type *type);

/* A signature from types, the same as one parsed from text (same canonical text and hash) and
 * usable wherever a parsed one is. params may be NULL when count is 0. JITFFI_TYPE_ERROR (naming
 * the parameter) for a void or array parameter, an array result, or a LONG_DOUBLE on win64 or
 * apple_arm64. */
JITFFI_API jitffi_status jitffi_sig_build(jitffi_abi abi, const jitffi_type *ret,
                                          const jitffi_type *const *params, size_t count,
                                          jitffi_sig **out);
/* A variadic one: params[0, fixed_count) are the fixed parameters, the rest this call's
 * variadic arguments (already default-promoted: no BOOL, I8, U8, I16, U16 or F32 there). */
JITFFI_API jitffi_status jitffi_sig_build_variadic(jitffi_abi abi, const jitffi_type *ret,
                                                   const jitffi_type *const *params, size_t count,
                                                   size_t fixed_count, jitffi_sig **out);
/* jitffi_sig_with_varargs with types instead of type names. */
JITFFI_API jitffi_status jitffi_sig_with_vararg_types(const jitffi_sig *sig,
                                                      const jitffi_type *const *types, size_t count,
                                                      jitffi_sig **out);
/* The same signature with the function name `name` (what jitffi_lib_function_sig looks up). */
JITFFI_API jitffi_status jitffi_sig_with_name(const jitffi_sig *sig, const char *name,
                                              jitffi_sig **out);

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
 * holding the result's bytes 0-7 and 8-15; on AArch64 a FLOAT_FLOAT of two floats (an HFA in
 * s0:s1) holds bytes 0-3 and 4-7, each in the low half of its register: read it as the C struct
 * { float; float; }. NONE: the result comes back in memory (or, on AArch64, in more than two
 * registers or a 16-byte one: HFAs of 3-4 members, long double), and the function has no raw
 * entries. */
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
 * when fn is NULL, or where the back end cannot make one here): R
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
/* Frees a closure's user_data (see jitffi_closure_create_full). */
typedef void (*jitffi_destroy)(void *user_data);

/* A closure with every option:
 * - options->backend as for a function; options->capture_errno non-zero: the handler runs
 *   between the C caller's errno and the runtime's own. On entry jitffi_saved_errno() is the
 *   caller's errno; on return the caller's errno is jitffi_saved_errno() as the handler left it
 *   (so the caller sees its own errno back, or what the handler set with
 *   jitffi_set_saved_errno, whatever the runtime did to errno meanwhile), and this thread's
 *   saved value is restored to what it was before the call. options may be NULL (AUTO, no
 *   capture).
 * - destroy, if not NULL, is called with user_data exactly once, by jitffi_closure_free, after
 *   the code is released. When this function fails it is not called: user_data stays yours. */
JITFFI_API jitffi_status jitffi_closure_create_full(const jitffi_sig *sig, jitffi_handler handler,
                                                    void *user_data, jitffi_destroy destroy,
                                                    const jitffi_fn_options *options,
                                                    jitffi_closure **out);
/* For runtimes whose handlers may only run on threads they know (Chez Scheme's Sactivate_thread
 * and Sdestroy_thread): jitffi_closure_create_full whose calls are bracketed on the calling
 * thread: enter() runs before the handler and, when it returned non-zero, leave() runs after it.
 * With Chez's pair, a thread the runtime has never seen gets a context for the call and loses it
 * after; a thread that has one keeps it. Either hook may be NULL (not called). */
typedef int (*jitffi_thread_hook)(void);
JITFFI_API jitffi_status jitffi_closure_create_hooked(const jitffi_sig *sig, jitffi_handler handler,
                                                      void *user_data, jitffi_destroy destroy,
                                                      const jitffi_fn_options *options,
                                                      jitffi_thread_hook enter,
                                                      jitffi_thread_hook leave,
                                                      jitffi_closure **out);
/* A typed closure: its code calls handler(args..., user_data), `handler` being a C function
 * with the signature's own result, parameters and calling convention plus a trailing
 * `void *user_data`, e.g. `int cmp(const void *a, const void *b, void *user_data)` for
 * "i32(ptr, ptr)". Arguments and result stay in their registers: with the JIT the closure is
 * `mov reg, user_data; jmp handler` (or, when user_data goes on the stack, a small stub that
 * copies the caller's stack arguments), near a direct call in cost. With libffi or
 * capture_errno a boxed closure calls the handler through a prepared call: the same behaviour.
 * A variadic signature is refused (JITFFI_UNSUPPORTED). options and destroy as for
 * jitffi_closure_create_full. */
typedef void (*jitffi_typed_handler)(void); /* cast the handler to it: (jitffi_typed_handler)cmp */
JITFFI_API jitffi_status jitffi_closure_create_typed(const jitffi_sig *sig,
                                                     jitffi_typed_handler handler, void *user_data,
                                                     jitffi_destroy destroy,
                                                     const jitffi_fn_options *options,
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
 * call. The function keeps the library loaded (as a C++ Function from Library::function does):
 * it may outlive the jitffi_lib handle. */
JITFFI_API jitffi_status jitffi_lib_function(const jitffi_lib *lib, const char *prototype,
                                             const jitffi_fn_options *options, jitffi_fn **out);
/* Same with a signature already parsed (its name is the symbol), e.g. from
 * jitffi_sig_with_varargs. */
JITFFI_API jitffi_status jitffi_lib_function_sig(const jitffi_lib *lib, const jitffi_sig *sig,
                                                 const jitffi_fn_options *options, jitffi_fn **out);
/* Parses a prototype with the library's declarations without resolving it. */
JITFFI_API jitffi_status jitffi_lib_parse(const jitffi_lib *lib, const char *prototype,
                                          jitffi_sig **out);
/* A type name parsed with the library's declarations ("struct point", "sqlite3_int64"), for
 * the library's layouts; the caller frees it with jitffi_type_free. An incomplete type (a
 * struct declared but not defined) is a JITFFI_PARSE_ERROR naming it; a pointer to one is fine. */
JITFFI_API jitffi_status jitffi_lib_type(const jitffi_lib *lib, const char *text,
                                         jitffi_type **out);
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
