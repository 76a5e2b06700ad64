;;; jitffi's errors as Scheme conditions (&jitffi: status, position, jitffi's message) and the
;;; library's own argument errors (&assertion), each with its message.
(import (chezscheme) (jitffi) (jitffi-check))

(define t (open-library (testlib-path)))
(define (status-is s) (lambda (e) (and (jitffi-error? e) (eq? (jitffi-error-status e) s))))

(test "parse error: status, position, message naming the text"
  (let ([e (check-raise (status-is 'JITFFI_PARSE_ERROR) (pointer->procedure "i32(i32" 0))])
    (check-equal 7 (jitffi-error-position e))
    (check (error? e))
    (check-equal "at position 7 in \"i32(i32\""
                 (let ([m (condition-message e)]) (substring m (- (string-length m) 26) (string-length m))))
    (check-equal 'pointer->procedure (condition-who e))))

(test "parse errors in prototypes and declarations"
  (check-equal 4 (jitffi-error-position
                  (check-raise (status-is 'JITFFI_PARSE_ERROR) (pointer->procedure "i32(void, i32)" 0))))
  (check-message "got 'void'" (pointer->procedure "i32(void, i32)" 0))
  (check-message "long double is double on win64" (pointer->procedure "win64:ldouble(ldouble)" 0))
  (check-message "unknown struct" (foreign-function t "int f(struct foo)"))
  (check-equal 14 (jitffi-error-position
                   (check-raise (status-is 'JITFFI_PARSE_ERROR) (library-declare! t "struct { int x"))))
  (check-message "unknown struct" (c-type-size t "struct undefined_thing")))

(test "missing symbol names it"
  (let ([e (check-raise (status-is 'JITFFI_SYMBOL_ERROR) (foreign-function t "int nope_fn(int)"))])
    (check-equal #f (jitffi-error-position e))
    (check-message "symbol 'nope_fn' not found" (foreign-function t "int nope_fn(int)"))
    (check-message "nope_sym" (library-symbol t "nope_sym"))))

(test "missing library lists what was tried"
  (check-raise (status-is 'JITFFI_LIBRARY_ERROR) (open-library "/nonexistent/libx.so"))
  (check-message "cannot open library '/nonexistent/libx.so'" (open-library "/nonexistent/libx.so"))
  (check-message "unknown flag" (open-library "c" 'eager)))

(test "unsupported signature"
  (let ([a (library-symbol t "jt_add_i32")])
    (check-raise (status-is 'JITFFI_UNSUPPORTED) (pointer->procedure "aapcs64:i32(i32)" a 'jit))
    (check-message "cannot serve aapcs64:i32(i32)" (pointer->procedure "aapcs64:i32(i32)" a 'jit))
    (check-raise (status-is 'JITFFI_UNSUPPORTED) (make-callback "aapcs64:i32(i32)" (lambda (x) x)))))

(test "variadic type errors from jitffi"
  (let ([printf* (foreign-function (open-library "c") "int printf(const char *, ...)")])
    (check-raise (status-is 'JITFFI_TYPE_ERROR) (printf* "%f" (c-arg "float" 1.0)))
    (check-message "default argument promotions turn into f64" (printf* "%f" (c-arg "float" 1.0)))
    (check-raise (status-is 'JITFFI_PARSE_ERROR) (printf* "%d" (c-arg "in t" 1)))
    (check-message "cannot infer a C type" (printf* "%d" 'sym))
    (check-message "expected at least 1 argument, got 0" (printf*))
    (check-message "out of the 64-bit range" (printf* "%d" (expt 2 64)))))

(test "argument errors name the C function and the argument"
  (let ([add (foreign-function t "int32_t jt_add_i32(int32_t, int32_t)")]
        [many (foreign-function t "double jt_many(int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, float, double, double, double, double, double, double, double, double, float, int32_t, double)")])
    (let ([e (check-raise assertion-violation? (add 1 (expt 2 31)))])
      (check-equal 'jt_add_i32 (condition-who e))
      (check-equal "argument 2 (i32): 2147483648 is out of range [-2147483648, 2147483647]"
                   (condition-message e))
      (check-equal (list (expt 2 31)) (condition-irritants e)))
    (check-message "expected 2 arguments, got 1" (add 1))
    ;; a string before a bad argument: the check fails before any C copy is made
    (let ([strtol (foreign-function (open-library "c") "long strtol(const char *, char **, int)")])
      (check-message "argument 3 (i32): 4294967296 is out of range" (strtol "12" #f (expt 2 32)))
      (check-message "argument 2 (ptr): expected #f, an address" (strtol "12" 'x 10))
      (check-equal 12 (strtol "12" #f 10)))
    (check-message "expected 2 arguments, got 3" (add 1 2 3))
    (check-message "expected 20 arguments, got 1" (many 1))
    (check-message "argument 9 (f32): expected a real number" (apply many (append '(1 2 3 4 5 6 7 8 "x") (make-list 11 1))))))

(test "bad options and closed libraries"
  (check-message "unknown option" (pointer->procedure "i32(i32)" 0 'jit 'bogus))
  (check-message "unknown option" (foreign-function t "int jt_answer(void)" 'fast))
  (let ([l (open-library (testlib-path))])
    (library-close! l)
    (library-close! l)                          ; twice is a no-op
    (check-message "library is closed" (library-symbol l "jt_answer"))
    (check-message "not a library" (foreign-function "c" "int jt_answer(void)")))
  (check-message "expected an address" (pointer->procedure "i32(i32)" -1))
  (check-message "not a jitffi procedure" (procedure-signature car)))

(test "a procedure outlives its library handle"
  (let* ([l (open-library (testlib-path))] [f (foreign-function l "int jt_answer(void)")])
    (library-close! l)
    (check-equal 42 (f))))

(test "callback errors at creation"
  (check-message "cannot be variadic" (make-callback "i32(i32, ...)" (lambda x 0)))
  (check-message "expected a procedure" (make-callback "i32(i32)" 5))
  (check-raise (status-is 'JITFFI_PARSE_ERROR) (make-callback "i32(i32" (lambda (x) x))))

(done)
