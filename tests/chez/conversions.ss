;;; Argument and result conversions of (jitffi), against tests/testlib (the C compiler's ABI).
(import (chezscheme) (jitffi) (jitffi-check))

(define t (open-library (testlib-path)))
(define (both proto) ; the same function through the default back end and through libffi
  (list (foreign-function t proto) (foreign-function t proto 'libffi)))

(test "backends"
  (let ([fs (both "int32_t jt_add_i32(int32_t, int32_t)")])
    (check-equal "libffi" (procedure-backend (cadr fs)))
    (check (member (procedure-backend (car fs)) '("jit" "libffi")))
    (check-equal "sysv:i32(i32,i32)" (procedure-signature (car fs)))
    (for-each (lambda (f) (check-equal -3 (f 2 -5))) fs)))

(define (int-case proto f-of lo hi . low-call)
  ;; low-call: the lowest value to call with, when negating lo would be undefined in C (INT_MIN)
  (for-each
   (lambda (f)
     (let ([l (if (null? low-call) lo (car low-call))]) (check-equal (f-of l) (f l)))
     (check-equal (f-of hi) (f hi))
     (check-equal (f-of 0) (f 0))
     (check-message "out of range" (f (- lo 1)))
     (check-message "out of range" (f (+ hi 1)))
     (check-message "expected an exact integer" (f 1.0))
     (check-message "expected an exact integer" (f "1")))
   (both proto)))
(define (wrap x bits signed?)
  (let ([m (bitwise-and x (- (expt 2 bits) 1))])
    (if (and signed? (>= m (expt 2 (- bits 1)))) (- m (expt 2 bits)) m)))

(test "i8"  (int-case "int8_t jt_neg_i8(int8_t)" (lambda (x) (wrap (- x) 8 #t)) -128 127))
(test "u8"  (int-case "uint8_t jt_inc_u8(uint8_t)" (lambda (x) (wrap (+ x 1) 8 #f)) 0 255))
(test "i16" (int-case "int16_t jt_neg_i16(int16_t)" (lambda (x) (wrap (- x) 16 #t)) -32768 32767))
(test "u16" (int-case "uint16_t jt_inc_u16(uint16_t)" (lambda (x) (wrap (+ x 1) 16 #f)) 0 65535))
(test "i32" (int-case "int32_t jt_neg_i32(int32_t)" (lambda (x) (wrap (- x) 32 #t))
                      (- (expt 2 31)) (- (expt 2 31) 1) (- 1 (expt 2 31))))
(test "u32" (int-case "uint32_t jt_inc_u32(uint32_t)" (lambda (x) (wrap (+ x 1) 32 #f))
                      0 (- (expt 2 32) 1)))
(test "i64 (bignums)" (int-case "int64_t jt_neg_i64(int64_t)" (lambda (x) (wrap (- x) 64 #t))
                                (- (expt 2 63)) (- (expt 2 63) 1) (- 1 (expt 2 63))))
(test "i32 and i64 lowest values arrive intact"
  (let ([add (foreign-function t "int32_t jt_add_i32(int32_t, int32_t)")]
        [stack (foreign-function t "__int128 jt_i128_stack(int64_t, int64_t, int64_t, int64_t, int64_t, __int128)")])
    (check-equal (- (expt 2 31)) (add (- (expt 2 31)) 0))
    (check-equal (- (expt 2 63)) (stack (- (expt 2 63)) 0 0 0 0 0))
    (check-equal (- (expt 2 63) 1) (stack (- (expt 2 63) 1) 0 0 0 0 0))))
(test "u64 (bignums)" (int-case "uint64_t jt_inc_u64(uint64_t)" (lambda (x) (wrap (+ x 1) 64 #f))
                                0 (- (expt 2 64) 1)))
(test "C names: long, unsigned char, size_t"
  (let ([neg (foreign-function t "long jt_neg_i64(long)")]
        [inc (foreign-function t "unsigned char jt_inc_u8(unsigned char)")])
    (check-equal (- (expt 2 40)) (neg (expt 2 40)))
    (check-equal 66 (inc #\A))
    (check-message "out of range" (inc #\x100))))

(test "i128 and u128"
  (let ([i (foreign-function t "__int128 jt_i128(__int128, __int128)")]
        [u (foreign-function t "unsigned __int128 jt_u128(unsigned __int128, unsigned __int128)")])
    (check-equal (- (* 3 (- (expt 2 100))) 7) (i (- (expt 2 100)) 7))
    (check-equal (+ (* 5 (expt 2 120)) 1) (u (expt 2 120) 1))
    (check-message "out of range" (i (expt 2 127) 0))
    (check-message "out of range" (u -1 0))))

(test "i128 on the stack after five integers"
  (let ([f (foreign-function t "__int128 jt_i128_stack(int64_t, int64_t, int64_t, int64_t, int64_t, __int128)")])
    (check-equal (+ (expt 2 90) 1 4 9 16 25) (f 1 2 3 4 5 (expt 2 90)))))

(test "bool"
  (for-each (lambda (f)
              (check-equal #f (f #t))
              (check-equal #t (f #f))
              (check-message "expected #t or #f" (f 0)))
            (both "bool jt_not(bool)")))

(test "narrow arguments"
  (let ([f (foreign-function t "int64_t jt_narrow_args(int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, bool)")])
    (check-equal (+ -5 (* 10 200) (* 100 -300) (* 1000 60000) (* 10000 -7) (* 100000 4000000000) 1000000)
                 (f -5 200 -300 60000 -7 4000000000 #t))))

(test "float and double"
  (for-each (lambda (f) (check-equal (+ (* 1.5 2.5) .5) (f 1.5 2.5))
                        (check-equal 1.5 (f 1/2 2))        ; exact reals are converted
                        (check-message "expected a real number" (f "x" 1)))
            (both "float jt_f32(float, float)"))
  (for-each (lambda (f) (check-equal (+ (* 0.1 3.0) .25) (f 0.1 3.0))
                        (check-equal +inf.0 (f +inf.0 1)))
            (both "double jt_f64(double, double)")))

(test "long double"
  (for-each
   (lambda (f)
     (check-equal 6.125 (f 2.0 3.0))
     (check-equal (inexact (+ (* 1/3 3) 1/8)) (f 1/3 3))
     (check-equal -5.875 (f -2.0 3.0))
     (check-equal +inf.0 (f 1e308 1e308))      ; finite in long double, rounded to inf as double
     (check-equal 0.125 (f -0.0 1.0))
     (check (nan? (f +nan.0 1.0)))
     (check-equal +inf.0 (f +inf.0 2.0))
     (check-equal -inf.0 (f -inf.0 2.0)))
   (both "long double jt_ldouble(long double, long double)")))

(test "long double keeps 64 bits of precision"
  ;; 2^62 + 1 needs 63 significant bits: a double cannot hold it, a long double can.
  (let ([llrintl (foreign-function (open-library "m") "long long llrintl(long double)")]
        [ldexpl (foreign-function (open-library "m") "long double ldexpl(long double, int)")])
    (check-equal (+ (expt 2 62) 1) (llrintl (+ (expt 2 62) 1)))
    (check-equal (- (expt 2 62) 1) (llrintl (- (expt 2 62) 1)))
    (check-equal -12345 (llrintl -12345))
    (check-equal 2 (llrintl 5/2))                         ; rounded to even, by C
    (check-equal 1.5 (ldexpl 3 -1))
    (check-equal 0.0 (ldexpl 1 -16400))                   ; a long double subnormal: 0 as a double
    (check-equal 1.0 (ldexpl (expt 2 -16440) 16440))      ; a subnormal argument, encoded exactly
    (check-equal 3.0 (ldexpl (* 3 (expt 2 -16445)) 16445)) ; the smallest subnormals
    (check-equal +inf.0 (ldexpl 1 2000))))                ; beyond double's range

(test "strings"
  (let ([len (foreign-function t "size_t jt_strlen(const char *)")]
        [getenv* (foreign-function (open-library "c") "char *getenv(const char *)")])
    (check-equal 6 (len "héllo"))       ; UTF-8: é is two bytes
    (check-equal 0 (len ""))
    (putenv "JITFFI_CHEZ_TEST" "valüe")
    (check-equal "valüe" (getenv* "JITFFI_CHEZ_TEST"))
    (check-equal #f (getenv* "JITFFI_CHEZ_TEST_UNSET"))))

(test "pointers: bytevector copied back, address, #f"
  (let ([store (foreign-function t "void jt_store_i32(int32_t *, int32_t)")]
        [add (foreign-function t "void *jt_ptr_add(void *, int64_t)")]
        [strtol (foreign-function (open-library "c") "long strtol(const char *, char **, int)")])
    (let ([bv (make-bytevector 4 0)])
      (store bv 21)
      (check-equal 42 (bytevector-s32-native-ref bv 0)))
    (let ([p (foreign-alloc 4)])
      (store p -8)
      (check-equal -16 (foreign-ref 'integer-32 p 0))
      (check-equal (+ p 4) (add p 4))
      (foreign-free p))
    (check-equal 0 (add #f 0))
    (check-equal 255 (strtol "ff" #f 16))
    (check-message "expected #f, an address" (add 'x 0))
    (check-message "out of range" (add -1 0))))

(test "compact signature at an address"
  (let* ([addr (library-symbol t "jt_add_i32")]
         [f (pointer->procedure "i32(i32, i32)" addr)]
         [g (pointer->procedure "int add(int a, int b)" addr 'libffi)])
    (check-equal 7 (f 3 4))
    (check-equal 7 (g 3 4))
    (check-equal "sysv:i32(i32,i32)" (procedure-signature g))))

(test "self library"
  (let* ([self (self-library)]
         [f (pointer->procedure "size_t(const char *)" (library-symbol self "strlen"))])
    (check-equal 3 (f "abc"))))

(test "twenty arguments: registers and stack"
  (let ([f (foreign-function t "double jt_many(int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, float, double, double, double, double, double, double, double, double, float, int32_t, double)")]
        [args '(-1 -2 -3 -4 5 6 7 8 1.5 2.5 3.5 4.5 5.5 6.5 7.5 8.5 9.5 10.5 -19 20.5)])
    (check-close (let loop ([as args] [k 1] [s 0])
                   (if (null? as) s (loop (cdr as) (+ k 1) (+ s (* k (car as))))))
                 (apply f args))))

(test "declarations: typedefs and enums"
  (let ([lib (open-library (testlib-path))])
    (library-declare! lib "typedef int32_t myint; enum color { RED, GREEN = 5 };")
    (let ([f (foreign-function lib "myint jt_add_i32(myint, enum color)")])
      (check-equal 10 (f 5 5)))
    (check-equal 4 (c-type-size lib "enum color"))
    (library-close! lib)
    (check-message "library is closed" (foreign-function lib "int jt_answer(void)"))))

(done)
