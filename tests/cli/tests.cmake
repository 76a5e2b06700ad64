# Tests of the jitffi command-line tool: each runs tools/jitffi through check.sh, which checks
# the exit status and the output (see check.sh for the options).
if(NOT TARGET jitffi_tool)
  return()
endif()

set(_jitffi_check ${CMAKE_CURRENT_LIST_DIR}/check.sh)

# jitffi_cli_test(NAME [STATUS n] [STDOUT text] [OUT ere...] [NO_OUT ere...] [ERR ere...] [NO_ERR ere...]
#                 [ENV VAR=value...] ARGS jitffi-arguments...)
# Arguments must not contain ';' (a CMake list separator): such tests call add_test directly.
function(jitffi_cli_test name)
  cmake_parse_arguments(T "" "STATUS;STDOUT" "OUT;NO_OUT;ERR;NO_ERR;ENV;ARGS" ${ARGN})
  set(_opts)
  if(DEFINED T_STATUS)
    list(APPEND _opts --status ${T_STATUS})
  endif()
  if(DEFINED T_STDOUT)
    list(APPEND _opts --stdout ${T_STDOUT})
  endif()
  foreach(_re IN LISTS T_OUT)
    list(APPEND _opts --out ${_re})
  endforeach()
  foreach(_re IN LISTS T_NO_OUT)
    list(APPEND _opts --no-out ${_re})
  endforeach()
  foreach(_re IN LISTS T_ERR)
    list(APPEND _opts --err ${_re})
  endforeach()
  foreach(_re IN LISTS T_NO_ERR)
    list(APPEND _opts --no-err ${_re})
  endforeach()
  add_test(NAME cli.${name}
           COMMAND sh ${_jitffi_check} ${_opts} -- env ${T_ENV} ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:jitffi_tool>
                   ${T_ARGS})
  set_tests_properties(cli.${name} PROPERTIES LABELS cli TIMEOUT 60)
endfunction()

# ---- calls that work ------------------------------------------------------------------------
jitffi_cli_test(cos_zero STDOUT "1" ARGS call libm.so.6 "double cos(double)" 0)
jitffi_cli_test(pow STDOUT "1.4142135623730951" ARGS call libm.so.6 "double pow(double, double)"
                2 0.5)
jitffi_cli_test(short_library_name STDOUT "2" ARGS call m "double floor(double)" 2.75)
jitffi_cli_test(hex_float STDOUT "3" ARGS call libm.so.6 "double fabs(double)" -0x1.8p1)
jitffi_cli_test(infinity STDOUT "inf" ARGS call libm.so.6 "double fabs(double)" -inf)
jitffi_cli_test(nan STDOUT "1" ARGS call libm.so.6 "int __isnan(double)" nan)
jitffi_cli_test(float STDOUT "1.4142135" ARGS call libm.so.6 "float sqrtf(float)" 2)
jitffi_cli_test(strlen STDOUT "11" ARGS call libc.so.6 "size_t strlen(const char *s)"
                "hello world")
jitffi_cli_test(abs STDOUT "42" ARGS call libc.so.6 "int abs(int)" -42)
jitffi_cli_test(abs_binary STDOUT "5" ARGS call libc.so.6 "int abs(int)" -0b101)
jitffi_cli_test(atoi STDOUT "123" ARGS call libc.so.6 "int atoi(const char *)" " 123abc")
jitffi_cli_test(labs_negative_hex STDOUT "16" ARGS call libc.so.6 "long labs(long)" -0x10)
jitffi_cli_test(labs_negative_octal STDOUT "8" ARGS call libc.so.6 "long labs(long)" -010)
jitffi_cli_test(llabs_extreme STDOUT "9223372036854775807"
                ARGS call libc.so.6 "long long llabs(long long)" -9223372036854775807)
jitffi_cli_test(unsigned_result STDOUT "65535"
                ARGS call libc.so.6 "unsigned long strtoul(const char *, char **, int)" ffff
                     null 16)
jitffi_cli_test(toupper STDOUT "65" ARGS call libc.so.6 "int toupper(int)" 0x61)
jitffi_cli_test(getenv STDOUT "forty-two" ENV JITFFI_CLI_TEST=forty-two
                ARGS call libc.so.6 "char *getenv(const char *name)" JITFFI_CLI_TEST)
jitffi_cli_test(getenv_null_result STDOUT "(null)"
                ARGS call libc.so.6 "char *getenv(const char *)" JITFFI_CLI_NO_SUCH_VARIABLE)
jitffi_cli_test(string_result STDOUT "ffi"
                ARGS call libc.so.6 "char *strchr(const char *, int)" jitffi 102)
jitffi_cli_test(string_null_text STDOUT "4"
                ARGS call libc.so.6 "size_t strlen(const char *)" str:null)
jitffi_cli_test(pointer_result STDOUT "0x0"
                ARGS call libc.so.6 "void *memchr(const void *, int, size_t)" null 0 0)
jitffi_cli_test(void_result STDOUT "" ARGS call libc.so.6 "void srand(unsigned int)" 7)
# Declarations with ';' inside cannot pass through a CMake function: direct add_test.
add_test(NAME cli.struct_result
         COMMAND sh ${_jitffi_check} --stdout "{quot=3, rem=2}" -- ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:jitffi_tool>
                 call -d "typedef struct { int quot; int rem; } div_t;" libc.so.6
                 "div_t div(int, int)" 17 5)
set_tests_properties(cli.struct_result PROPERTIES LABELS cli TIMEOUT 60)
jitffi_cli_test(declared_opaque_type STDOUT "0x0" ERR "^errno: 2 "
                ARGS call -e -d "typedef struct _IO_FILE FILE" libc.so.6
                     "FILE *fopen(const char *, const char *)" /nonexistent/jitffi r)

# Variadic: inferred and explicit types after the fixed arguments.
jitffi_cli_test(variadic_inferred STDOUT "x=42 2.50\\n10"
                ARGS call libc.so.6 "int printf(const char *, ...)" "%s=%d %.2f\n" x 42 2.5)
jitffi_cli_test(variadic_typed STDOUT "-5|42|2|7\\n10"
                ARGS call libc.so.6 "int printf(const char *fmt, ...)" "%ld|%s|%g|%d\n"
                     i64:-5 str:42 f64:2 short:7)
jitffi_cli_test(variadic_big_integer STDOUT "4294967296\\n11"
                ARGS call libc.so.6 "int printf(const char *, ...)" "%lld\n" 4294967296)
jitffi_cli_test(variadic_snprintf_length STDOUT "7"
                ARGS call libc.so.6 "int snprintf(char *, size_t, const char *, ...)" null 0
                     "%d-%d" 100 200)

# Options.
jitffi_cli_test(backend_libffi STDOUT "1" ERR "via libffi"
                ARGS call -v --backend libffi libm.so.6 "double cos(double)" 0)
jitffi_cli_test(errno_option STDOUT "-1" ERR "^errno: 9 \\(Bad file descriptor\\)"
                ARGS call --errno libc.so.6 "int close(int)" -1)

# ---- help and the demo --------------------------------------------------------------------
jitffi_cli_test(help OUT "^usage: jitffi COMMAND" "^  call LIBRARY" "^  plan 'SIGNATURE'"
                "^  bench LIBRARY" "^  demo" ARGS --help)
# Every command listed is one that exists.
jitffi_cli_test(help_lists_only_real_commands OUT "^Commands:" NO_OUT "not available|not yet"
                ARGS help)
jitffi_cli_test(plan_help OUT "^usage: jitffi plan" "--bound" "apple_arm64:" "windows_arm64:"
                ARGS plan --help)
jitffi_cli_test(help_plan OUT "^usage: jitffi plan" ARGS help plan)
jitffi_cli_test(bench_help OUT "^usage: jitffi bench" "--seconds S" "ffi_call" ARGS bench --help)
jitffi_cli_test(help_bench OUT "^usage: jitffi bench" ARGS help bench)
jitffi_cli_test(call_help OUT "^usage: jitffi call" "i64:5" "0x hex" ARGS call --help)
jitffi_cli_test(help_call OUT "^usage: jitffi call" ARGS help call)
jitffi_cli_test(version OUT "^jitffi [0-9]+\\.[0-9]+\\.[0-9]+$" ARGS --version)
jitffi_cli_test(demo OUT "^every result matches the direct C call$" "qsort .* called the closure"
                ARGS demo)
jitffi_cli_test(demo_libffi OUT "^every result matches" "cos\\(0\\) += 1 +\\[libffi\\]"
                ARGS demo --backend libffi)

# ---- errors: a clear message and a non-zero status ---------------------------------------
jitffi_cli_test(no_arguments STATUS 2 OUT "^usage:" ARGS)
jitffi_cli_test(unknown_command STATUS 2 ERR "^jitffi: unknown command 'frob'" ARGS frob)
jitffi_cli_test(unknown_option STATUS 2 ERR "unknown option '--frob'" ARGS call --frob)
jitffi_cli_test(missing_operands STATUS 2 ERR "call needs a LIBRARY and a 'PROTOTYPE'"
                ARGS call libm.so.6)
jitffi_cli_test(bad_backend STATUS 2 ERR "unknown back end 'fast'"
                ARGS call -b fast libm.so.6 "double cos(double)" 0)
jitffi_cli_test(missing_library STATUS 1
                ERR "^jitffi: cannot open library 'libjitffi_nope\\.so\\.9'"
                ARGS call libjitffi_nope.so.9 "double cos(double)" 0)
jitffi_cli_test(missing_symbol STATUS 1 ERR "jitffi_no_such_function"
                ARGS call libm.so.6 "double jitffi_no_such_function(double)" 0)
# The caret sits under position 17, where ')' was expected: 2 + 17 spaces.
jitffi_cli_test(bad_prototype STATUS 2 ERR "^jitffi: bad prototype: expected .* at position 17$"
                "^  double cos\\(double$" "^ {19}\\^$"
                ARGS call libm.so.6 "double cos(double" 0)
jitffi_cli_test(unknown_type STATUS 2
                ERR "^jitffi: bad prototype: unknown type 'doubel' at position 11; declare it: -d 'typedef <its type> doubel;'$" "^ {13}\\^$"
                ARGS call libm.so.6 "double cos(doubel)" 0)
# Man-page prototypes: compact names as parameter names, [.count] arrays, built-in typedefs.
jitffi_cli_test(manpage_prototype STDOUT "-42"
                ARGS call libc.so.6 "long strtol(const char *restrict nptr, char **restrict endptr, int base);"
                     " -42" null 10)
jitffi_cli_test(manpage_array_parameter STDOUT "0"
                ARGS call libc.so.6 "ssize_t write(int fd, const void buf[.count], size_t count);"
                     1 null 0)
jitffi_cli_test(struct_never_declared STATUS 2 ERR "got 'struct nope', an unknown struct \\(never declared"
                ARGS call libc.so.6 "int f(struct nope x)" 1)
jitffi_cli_test(bad_declaration STATUS 2 ERR "^jitffi: bad declaration: expected"
                ARGS call -d "struct p { int x" libm.so.6 "double cos(double)" 0)
jitffi_cli_test(prototype_without_name STATUS 2 ERR "has no function name"
                ARGS call libm.so.6 "f64(f64)" 0)
jitffi_cli_test(too_few_arguments STATUS 2 ERR "cos takes 1 argument, 0 given"
                ARGS call libm.so.6 "double cos(double)")
jitffi_cli_test(too_many_arguments STATUS 2 ERR "abs takes 1 argument, 2 given"
                ARGS call libc.so.6 "int abs(int)" 1 2)
jitffi_cli_test(variadic_too_few STATUS 2 ERR "printf takes at least 1 argument, 0 given"
                ARGS call libc.so.6 "int printf(const char *, ...)")
jitffi_cli_test(not_an_integer STATUS 2 ERR "argument 1 'abc': not an integer"
                ARGS call libc.so.6 "int abs(int)" abc)
jitffi_cli_test(not_octal STATUS 2 ERR "argument 1 '09': not an integer \\(a leading 0 means octal\\)"
                ARGS call libc.so.6 "int abs(int)" 09)
jitffi_cli_test(int_out_of_range STATUS 2
                ERR "argument 1 '2147483648': out of range for int \\(i32\\): -2147483648\\.\\.2147483647"
                ARGS call libc.so.6 "int abs(int)" 2147483648)
jitffi_cli_test(u8_out_of_range STATUS 2 ERR "argument 1 \\(c\\) '300': out of range .*0\\.\\.255"
                ARGS call libc.so.6 "int abs(unsigned char c)" 300)
jitffi_cli_test(negative_unsigned STATUS 2 ERR "out of range for unsigned int"
                ARGS call libc.so.6 "unsigned int sleep(unsigned int)" -1)
jitffi_cli_test(not_a_number STATUS 2 ERR "argument 1 '1\\.5x': not a number"
                ARGS call libm.so.6 "double cos(double)" 1.5x)
jitffi_cli_test(float_out_of_range STATUS 2 ERR "out of range for float"
                ARGS call libm.so.6 "float sqrtf(float)" 1e39)
add_test(NAME cli.struct_parameter
         COMMAND sh ${_jitffi_check} --status 2
                 --err "argument 1 '1': a struct point is passed by value and cannot be given"
                 -- ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:jitffi_tool> call -d "struct point { double x; double y; };"
                 libm.so.6 "double cabs(struct point)" 1)
set_tests_properties(cli.struct_parameter PROPERTIES LABELS cli TIMEOUT 60)
jitffi_cli_test(unknown_vararg_type STATUS 2 ERR "unknown type 'i46'"
                ARGS call libc.so.6 "int printf(const char *, ...)" "%d" i46:5)
jitffi_cli_test(vararg_out_of_range STATUS 2 ERR "argument 2 'short:70000': out of range"
                ARGS call libc.so.6 "int printf(const char *, ...)" "%d" short:70000)

# ---- jitffi plan: the call plan and the stubs' assembly, for any ABI on any host -------------
# SysV int(int,int): both arguments in their registers, the downcall calls or jumps to the
# target, and the upcall entry follows.
jitffi_cli_test(plan_sysv_int
                OUT "^sysv:i32\\(i32,i32\\)$" "^plan:$" "^  arg0 .*-> rdi$" "^  arg1 .*-> rsi$"
                    "sext <- rax$" "^downcall stub \\(void \\*fn, void \\*ret, void \\*\\*args\\):$"
                    "^(call|jmp) " "^upcall entry \\(closure context in r10\\):$"
                ARGS plan "sysv:int(int, int)")
# The plan is printed once, ahead of both stubs.
add_test(NAME cli.plan_printed_once
         COMMAND sh ${_jitffi_check} --stdout "1" --
                 sh -c "\"$@\" plan 'sysv:int(int,int)' | grep -c '^plan:$'" sh
                 ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:jitffi_tool>)
set_tests_properties(cli.plan_printed_once PROPERTIES LABELS cli TIMEOUT 60)
# Without a prefix the host's ABI applies.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(_jitffi_host_abi aapcs64)
else()
  set(_jitffi_host_abi sysv)
endif()
jitffi_cli_test(plan_host_abi OUT "^${_jitffi_host_abi}:f64\\(f64\\)$" "^downcall stub"
                ARGS plan "double(double)")
# A 24-byte struct result goes through memory: the caller's ret is the hidden pointer in rdi.
jitffi_cli_test(plan_sret OUT "^sysv:\\{i64,i64,i64\\}\\(\\{i64,i64,i64\\},i32\\)$"
                "^  ret pointer -> rdi$" "^  returns in memory \\(24 bytes\\), pointer back in rax$"
                "^  arg0  \\+16 +8 bytes -> \\[sp\\+16\\]$"
                ARGS plan --downcall "sysv:{i64,i64,i64}({i64,i64,i64}, i32)")
add_test(NAME cli.plan_sret_declared
         COMMAND sh ${_jitffi_check} --out "^sysv:\\{f64,f64,f64\\}\\(f64\\)$"
                 --out "^  ret pointer -> rdi$" --out "^upcall entry"
                 -- ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:jitffi_tool>
                 plan -d "struct v3 { double x, y, z; }" "sysv:struct v3 scale(double)")
set_tests_properties(cli.plan_sret_declared PROPERTIES LABELS cli TIMEOUT 60)
# AArch64 on any host: a double in v0 both ways, d0 loads and stores, the call through blr.
jitffi_cli_test(plan_aapcs64_double OUT "^aapcs64:f64\\(f64\\)$" "^  arg0 .*-> v0$" "<- v0$"
                "^ldr d0, " "^str d0, " "^blr x[0-9]+ " "^upcall entry \\(closure context in x9\\):$"
                NO_OUT "rdi|xmm" ARGS plan "aapcs64:double(double)")
# Apple arm64: a variadic double goes on the stack, not in v0.
jitffi_cli_test(plan_apple_variadic OUT "^apple_arm64:" "^  arg1 .*-> \\[sp\\+0\\]$"
                ARGS plan --downcall "apple_arm64:i32(cstr, ..., f64)")
# Windows on ARM64: a variadic double goes in x1 (no v register in a variadic call), loaded as
# an integer; the result still comes back in d0; the stubs never name x18 (the TEB).
jitffi_cli_test(plan_windows_arm64_variadic OUT "^windows_arm64:f64\\(ptr,\\.\\.\\.,f64\\)$"
                "^  arg1 .*-> x1$" "<- v0$" "^ldr x1, " "^str d0, " NO_OUT "x18|w18"
                ARGS plan "windows_arm64:f64(ptr,...,f64)")
# Win64: the first four slots in rcx, xmm1, r8, r9; the fifth above the 32-byte shadow space.
jitffi_cli_test(plan_win64 OUT "^win64:i32\\(i32,f64,i32,i32,i32\\)$" "\\(shadow 32\\)"
                "^  arg0 .*-> rcx$" "^  arg1 .*-> xmm1$" "^  arg4 .*-> \\[sp\\+32\\]$"
                "^mov ecx, " "^sub rsp, " "^call "
                ARGS plan --downcall "win64:int(int, double, int, int, int)")
# --bound lists only the bound stub, with its placeholder target built in.
jitffi_cli_test(plan_bound OUT "^bound downcall stub \\(void \\*ret, void \\*\\*args\\)"
                "0x7f0123456780 = 139642863445888" "^mov r10, 139642863445888 +; 49BA80674523017F0000$"
                NO_OUT "^downcall stub" "^upcall entry" ARGS plan "sysv:int(int,int)" --bound)
jitffi_cli_test(plan_upcall_only OUT "^upcall entry" NO_OUT "^downcall stub" "^bound"
                ARGS plan --upcall "sysv:void(ptr)")
# --value / --slots: the entries that leave the result in its registers; int(int,int) needs no
# stack area, so both end in a jump to the target; the slot entry reads each value from its slot.
jitffi_cli_test(plan_value_slots
                OUT "^value entry \\(void \\*fn, void \\*\\*args\\)"
                "^slot entry \\(void \\*fn, const uint64_t \\*slots\\)"
                "^mov edi, dword ptr \\[rsi\\] " "^mov esi, dword ptr \\[rsi\\+8\\] " "^jmp r10 "
                NO_OUT "^downcall stub" "^upcall entry" "^call "
                ARGS plan --value --slots "sysv:int(int,int)")
jitffi_cli_test(plan_value_memory_result STATUS 1 ERR "comes back in memory: it has no value"
                ARGS plan --value "sysv:{i64,i64,i64}(i32)")
# Errors: a bad signature with a caret (exit 2), one the JIT cannot serve with the reason (exit 1).
jitffi_cli_test(plan_bad_signature STATUS 2
                ERR "^jitffi: bad signature: unknown type 'doubel' at position 4; declare it: -d 'typedef <its type> doubel;'$"
                "^  int\\(doubel\\)$" "^ {6}\\^$" ARGS plan "int(doubel)")
jitffi_cli_test(plan_bad_abi STATUS 2 ERR "^jitffi: bad signature: expected an ABI name"
                ARGS plan "foo:i32()")
jitffi_cli_test(plan_unsupported STATUS 1
                ERR "^jitffi: the JIT cannot serve sysv:void\\(\\{u8\\[70000\\]\\}\\): .*exceed 65536 bytes"
                ARGS plan "sysv:void({u8[70000]})")
jitffi_cli_test(plan_unsupported_win64 STATUS 1
                ERR "^jitffi: the JIT cannot serve win64:.*larger than 65536 bytes"
                ARGS plan --bound "win64:void({u8[70000]})")
jitffi_cli_test(plan_missing_signature STATUS 2 ERR "plan needs a 'SIGNATURE'" ARGS plan)
jitffi_cli_test(plan_two_signatures STATUS 2 ERR "plan takes one 'SIGNATURE', 2 given"
                ARGS plan int double)
jitffi_cli_test(plan_unknown_option STATUS 2 ERR "unknown option '--frob'"
                ARGS plan --frob "int()")

# ---- jitffi bench: ns per call through each back end ------------------------------------------
set(_jitffi_ns "[0-9]+\\.[0-9]+ ns/call  \\(min [0-9]+\\.[0-9]+\\)")
jitffi_cli_test(bench_cos
                OUT "^cos in libm\\.so\\.6: ${_jitffi_host_abi}:f64\\(f64\\)$" "^result \\(jit\\): 1$"
                    "^calls of cos:$" "^  jit +${_jitffi_ns}  jitffi::Function::call, JIT stub$"
                    "^  jit-value +${_jitffi_ns}  JIT value entry" "^  jit-slots +${_jitffi_ns}  JIT slot entry"
                    "^  jit-bound +${_jitffi_ns}" "^  libffi +${_jitffi_ns}  jitffi::Function::call, libffi"
                    "^  ffi_call +${_jitffi_ns}" "^calls of an empty function"
                    "^  direct +${_jitffi_ns}  an empty void\\(void\\) function"
                NO_OUT "unavailable"
                ARGS bench libm.so.6 "double cos(double)" 0 --seconds 0.05)
# Arguments are converted as `jitffi call` converts them, options may lead, results print the same.
add_test(NAME cli.bench_struct_result
         COMMAND sh ${_jitffi_check} --out "^result \\(jit\\): \\{quot=3, rem=2\\}$"
                 --out "^  libffi +${_jitffi_ns}"
                 -- ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:jitffi_tool>
                 bench -s 0.01 -r 1 -d "typedef struct { int quot; int rem; } div_t;" libc.so.6
                 "div_t div(int, int)" 17 5)
set_tests_properties(cli.bench_struct_result PROPERTIES LABELS cli TIMEOUT 60)
jitffi_cli_test(bench_negative_argument OUT "^result \\(jit\\): 16$" "^  jit +${_jitffi_ns}"
                ARGS bench --repeat 1 -s 0.01 libc.so.6 "long labs(long)" -0x10)
# Another ISA's ABI: no back end can run it here; each says why, and the status is 1.
if(_jitffi_host_abi STREQUAL "sysv")
  set(_jitffi_foreign_abi aapcs64)
else()
  set(_jitffi_foreign_abi sysv)
endif()
jitffi_cli_test(bench_foreign_abi STATUS 1
                OUT "^  jit +unavailable: .*cannot serve ${_jitffi_foreign_abi}:f64\\(f64\\)$"
                    "^  jit-bound +unavailable: cannot run ${_jitffi_foreign_abi} code"
                    "^  libffi +unavailable: .*cannot call the ${_jitffi_foreign_abi} ABI"
                    "^  ffi_call +unavailable: "
                ERR "^jitffi: no back end can call ${_jitffi_foreign_abi}:f64\\(f64\\)$"
                NO_OUT "ns/call"
                ARGS bench -s 0.01 libm.so.6 "${_jitffi_foreign_abi}:double cos(double)" 0)
# Errors.
jitffi_cli_test(bench_missing_symbol STATUS 1
                ERR "^jitffi: symbol 'jitffi_no_such_function' not found in libm\\.so\\.6"
                NO_OUT "ns/call" ARGS bench libm.so.6 "double jitffi_no_such_function(double)" 0)
jitffi_cli_test(bench_missing_library STATUS 1 ERR "^jitffi: cannot open library 'libjitffi_nope\\.so\\.9'"
                ARGS bench libjitffi_nope.so.9 "double cos(double)" 0)
jitffi_cli_test(bench_bad_argument STATUS 2 ERR "^jitffi: argument 1 'abc': not a number"
                NO_OUT "ns/call" ARGS bench libm.so.6 "double cos(double)" abc)
jitffi_cli_test(bench_bad_prototype STATUS 2 ERR "^jitffi: bad prototype: expected" "^ {19}\\^$"
                ARGS bench libm.so.6 "double cos(double" 0)
jitffi_cli_test(bench_too_few_arguments STATUS 2 ERR "cos takes 1 argument, 0 given"
                ARGS bench libm.so.6 "double cos(double)")
jitffi_cli_test(bench_bad_seconds STATUS 2 ERR "--seconds 'x': expected a number of seconds"
                ARGS bench --seconds x libm.so.6 "double cos(double)" 0)
jitffi_cli_test(bench_bad_repeat STATUS 2 ERR "--repeat '0': expected a whole number"
                ARGS bench libm.so.6 "double cos(double)" 0 --repeat 0)
jitffi_cli_test(bench_missing_operands STATUS 2 ERR "bench needs a LIBRARY and a 'PROTOTYPE'"
                ARGS bench libm.so.6)

# ---- dlopen flags and symbol versions (issue 15 item 9) ----------------------------------------
# jitffi_test_needs refers to a symbol nothing provides: RTLD_NOW refuses it, --lazy opens it;
# jt_is_global sees its own library through dlsym(RTLD_DEFAULT) only with --global.
jitffi_cli_test(open_now_refuses_unresolved STATUS 1 ERR "undefined symbol: jt_add_i32"
  ARGS call $<TARGET_FILE:jitffi_test_needs> "int jt_needs_nothing(void)")
jitffi_cli_test(open_lazy STDOUT "7"
  ARGS call --lazy $<TARGET_FILE:jitffi_test_needs> "int jt_needs_nothing(void)")
jitffi_cli_test(open_local_is_not_global STDOUT "0"
  ARGS call --lazy $<TARGET_FILE:jitffi_test_needs> "int jt_is_global(const char *)"
       jt_needs_nothing)
jitffi_cli_test(open_global STDOUT "1"
  ARGS call --lazy --global $<TARGET_FILE:jitffi_test_needs> "int jt_is_global(const char *)"
       jt_needs_nothing)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(_memcpy_version GLIBC_2.2.5)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(_memcpy_version GLIBC_2.17)
endif()
if(_memcpy_version)
  # memcpy@VERSION returns its first argument (null here, with a zero length).
  jitffi_cli_test(versioned_symbol STDOUT "0x0" ERR "memcpy@${_memcpy_version}"
    ARGS call -v libc.so.6 "void *memcpy@${_memcpy_version}(void *, const void *, size_t)"
         null null 0)
endif()
jitffi_cli_test(versioned_symbol_missing STATUS 1 ERR "no version GLIBC_9.99 of memcpy"
  ARGS call libc.so.6 "void *memcpy@GLIBC_9.99(void *, const void *, size_t)" null null 0)
jitffi_cli_test(versioned_symbol_empty STATUS 2 ERR "^jitffi: bad prototype: expected a symbol version"
  ARGS call libc.so.6 "int abs@(int)" 1)

# JITFFI_STATS=1: no line from a run that made no call, one from a run that did.
jitffi_cli_test(stats_quiet_without_calls NO_ERR "jitffi stats" OUT "usage: jitffi"
  ENV JITFFI_STATS=1 ARGS --help)
jitffi_cli_test(stats_after_a_call STDOUT "1" ERR "^jitffi stats: .*calls: jit [0-9]+, libffi [0-9]+"
  ENV JITFFI_STATS=1 ARGS call libm.so.6 "double cos(double)" 0)

# ---- hostile input and `--` (issue 14 items 1 and 6) -------------------------------------------
# `--` ends the options wherever it stands: before the library, or before arguments that look
# like options; the first one only, a second is an argument.
jitffi_cli_test(dashes_before_arguments STDOUT "7" ARGS call libc.so.6 "int abs(int)" -- -7)
jitffi_cli_test(dashes_before_library STDOUT "7" ARGS call -- libc.so.6 "int abs(int)" -7)
jitffi_cli_test(second_dashes_is_an_argument STDOUT "--|3"
                ARGS call libc.so.6 "int printf(const char *, ...)" -- "%s|" --)
# A 2^40-byte array costs no more to plan than its text (the long double check once walked
# every element for minutes).
jitffi_cli_test(plan_huge_array_win64 STATUS 1
                ERR "^jitffi: the JIT cannot serve win64:void\\(\\{u8\\[1099511627776\\]\\}\\): .*larger than 65536 bytes"
                ARGS plan "win64:void({u8[1099511627776]})")
# A memory result of 4 GiB or more is refused, not planned with its size cut to 32 bits.
jitffi_cli_test(plan_sysv_result_over_4gib STATUS 1
                ERR "the result \\{u8\\[4294967304\\]\\} is 4294967304 bytes; results of at most 4294967295 bytes"
                NO_OUT "returns in memory"
                ARGS plan "sysv:{u8[4294967304]}()")
# A misspelt calling-convention attribute is an error, not SysV.
jitffi_cli_test(plan_unknown_abi_attribute STATUS 2
                ERR "^jitffi: bad signature: expected a known calling-convention attribute \\(ms_abi or sysv_abi\\), got 'foo_abi' at position 15$"
                ARGS plan "__attribute__((foo_abi)) int f(int)")

# ---- out-parameters, buffers, strings for any pointer, printf formats (issue 15 item 13) -----
jitffi_cli_test(out_int OUT "^0\\.5$" "^arg 2 \\(out int \\(i32\\)\\): 4$"
                ARGS call libm.so.6 "double frexp(double, int *)" 8 out:int)
jitffi_cli_test(out_string OUT "^42$" "^arg 2 \\(out const char \\*\\): \"abc\"$"
                ARGS call libc.so.6 "long strtol(const char *, char **, int)" 42abc out:char* 10)
# An in/out parameter: rand_r reads the seed and writes the next one (glibc's values for seed 1).
jitffi_cli_test(out_initial_value OUT "^476707713$" "^arg 1 \\(out unsigned int \\(u32\\)\\): 662824084$"
                ARGS call libc.so.6 "int rand_r(unsigned int *seedp)" out:u32=1)
jitffi_cli_test(buf_snprintf OUT "^4$" "^arg 1 \\(buf 16\\): \"ab-5\"$"
                ARGS call libc.so.6 "int snprintf(char *, size_t, const char *, ...)" buf:16 16 "%s-%d" ab 5)
jitffi_cli_test(buf_gethostname OUT "^0$" "^arg 1 \\(buf 64\\): \"[^\"]+\"$"
                ARGS call libc.so.6 "int gethostname(char *name, size_t len)" buf:64 64)
jitffi_cli_test(str_for_const_void_pointer STDOUT "hello5"
                ARGS call libc.so.6 "ssize_t write(int, const void *, size_t)" 1 str:hello 5)
jitffi_cli_test(str_for_unsigned_char_pointer STDOUT "907060870"
                ARGS call libz.so.1 "unsigned long crc32(unsigned long, const unsigned char *, unsigned int)"
                0 str:hello 5)
jitffi_cli_test(buf_needs_a_size STATUS 2 ERR "argument 1 \\(name\\) 'buf:0': buf:N needs a size in bytes from 1 to 67108864"
                ARGS call libc.so.6 "int gethostname(char *name, size_t len)" buf:0 64)
jitffi_cli_test(out_unknown_type STATUS 2 ERR "'out:nosuch': out:TYPE needs a type: 'nosuch'"
                ARGS call libm.so.6 "double frexp(double, int *)" 8 out:nosuch)
jitffi_cli_test(out_needs_a_pointer STATUS 2 ERR "this parameter is int \\(i32\\), not a pointer"
                ARGS call libm.so.6 "double ldexp(double, int)" 8 out:int)
# The format types the variadic arguments: 2 is a double for %f, A a character for %c.
jitffi_cli_test(printf_format_types STDOUT "2.000000| 3.00|A|hi|7|ff|-5|12345678901240"
                ARGS call libc.so.6 "int printf(const char *, ...)" "%f|%5.2f|%c|%s|%lu|%x|%hd|%lld" 2 3 A hi 7 255 -5 123456789012)
jitffi_cli_test(printf_star_width STDOUT "[   ab]7"
                ARGS call libc.so.6 "int printf(const char *, ...)" "[%*s]" 5 ab)
jitffi_cli_test(printf_explicit_type_wins STDOUT "71"
                ARGS call libc.so.6 "int printf(const char *, ...)" "%.0f" f64:7)
jitffi_cli_test(printf_percent_n OUT "^ab2$" "^arg 2 \\(out int \\(i32\\)\\): 2$"
                ARGS call libc.so.6 "int printf(const char *, ...)" "ab%n" out:int)
jitffi_cli_test(printf_too_few STATUS 2 ERR "argument 1 '%d %s' takes 2 arguments \\(%d %s\\), 1 given"
                ARGS call libc.so.6 "int printf(const char *, ...)" "%d %s" 1)
jitffi_cli_test(printf_bad_value STATUS 2
                ERR "argument 2 'abc': not an integer \\(expected int \\(i32\\)\\), for %d of the format"
                ARGS call libc.so.6 "int printf(const char *, ...)" "%d" abc)
jitffi_cli_test(printf_unsigned_range STATUS 2 ERR "out of range for unsigned int \\(u32\\)"
                ARGS call libc.so.6 "int printf(const char *, ...)" "%u" -1)
# Positional conversions are not read: the arguments are inferred as before.
jitffi_cli_test(printf_positional STDOUT "b a3"
                ARGS call libc.so.6 "int printf(const char *, ...)" "%2\$s %1\$s" a b)
jitffi_cli_test(bench_quick_default OUT "^ns per call: median \\(min\\) of 3 runs, each at least 0\\.05 s$"
                ARGS bench libc.so.6 "long labs(long)" 1)
jitffi_cli_test(bench_long_then_options OUT "^ns per call: median \\(min\\) of 1 runs, each at least 0\\.01 s$"
                ARGS bench --long -s 0.01 -r 1 libc.so.6 "long labs(long)" 1)
