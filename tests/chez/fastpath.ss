;;; The call fast path (an argument checked against its parameter's kind and stored inline) and
;;; the slow path it hands a call to (bignums, exact rationals, strings, wrong types): both must
;;; give what C computes, in any mix within one call, and raise the same conditions as before. Also
;;; the signature cache behind pointer->procedure and foreign-function.
(import (chezscheme) (jitffi) (jitffi-check))

(define t (open-library (testlib-path)))
(define (narrow-c a b c d e f g)
  (+ a (* 10 b) (* 100 c) (* 1000 d) (* 10000 e) (* 100000 f) (* 1000000 (if g 1 0))))

(test "every fast kind at its bounds in one call (7 narrow parameters)"
  (let ([f (foreign-function t "int64_t jt_narrow_args(int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, bool)")])
    (for-each (lambda (args) (check-equal (apply narrow-c args) (apply f args)))
              '((-128 0 -32768 0 -2147483648 0 #f)
                (127 255 32767 65535 2147483647 4294967295 #t)
                (0 1 -1 2 -3 4 #t)))
    ;; one value just out of range, at each position in turn: a condition naming that argument
    (for-each (lambda (i bad)
                (let ([args (list 0 0 0 0 0 0 #f)])
                  (check-message (format "argument ~a" (+ i 1))
                                 (apply f (append (list-head args i) (list bad) (list-tail args (+ i 1)))))))
              (iota 7) (list 128 256 -32769 -1 2147483648 -1 0))))

(test "a slow argument after fast ones: the whole call is redone by the slow path"
  (let ([many (foreign-function t "double jt_many(int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, float, double, double, double, double, double, double, double, double, float, int32_t, double)")]
        [c (lambda (a b c d e f g h i j k l m n o p q r s u)
             (+ a (* 2 b) (* 3 c) (* 4 d) (* 5 e) (* 6 f) (* 7 g) (* 8 h) (* 9 i) (* 10 j) (* 11 k)
                (* 12 l) (* 13 m) (* 14 n) (* 15 o) (* 16 p) (* 17 q) (* 18 r) (* 19 s) (* 20 u)))])
    (let ([fast '(1 2 3 4 5 6 7 8 1.5 1.0 2.0 3.0 4.0 5.0 6.0 7.0 8.0 2.5 9 10.0)])
      (check-close (inexact (apply c fast)) (apply many fast))
      ;; exact integers and a rational for doubles, a u64 bignum: converted by the slow path
      (let ([slow '(1 2 3 4 5 6 7 8 3/2 1 2 3 4 5 6 7 8 5/2 9 10)])
        (check-close (inexact (apply c slow)) (apply many slow)))
      (let ([big (list-copy fast)])
        (set-car! (list-tail big 7) (expt 2 62))           ; a bignum in u64's range
        (check-close (inexact (apply c big)) (apply many big))))))

(test "more than 12 parameters: the slow path is made by the first call, an erroneous one too"
  (let ([proto "double jt_many(int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, float, double, double, double, double, double, double, double, double, float, int32_t, double)"]
        [fast '(1 2 3 4 5 6 7 8 1.5 1.0 2.0 3.0 4.0 5.0 6.0 7.0 8.0 2.5 9 10.0)])
    (let ([a (foreign-function t proto)] [b (foreign-function t proto)])
      (check-message "expected 20 arguments, got 2" (a 1 2))
      (check-message "argument 1" (apply b (cons 128 (cdr fast))))
      (check-close 1161.5 (apply a fast))
      (check-close 1161.5 (apply b fast)))))

(test "i64/u64 beyond the fixnum range take the slow path, range-checked"
  (let ([neg (foreign-function t "int64_t jt_neg_i64(int64_t)")]
        [inc (foreign-function t "uint64_t jt_inc_u64(uint64_t)")])
    (check-equal (- (most-positive-fixnum)) (neg (most-positive-fixnum)))
    (check-equal (- 1 (expt 2 63)) (neg (- (expt 2 63) 1)))
    (check-message "out of range" (neg (expt 2 63)))
    (check-equal (- (expt 2 64) 1) (inc (- (expt 2 64) 2)))
    (check-message "out of range" (inc (expt 2 64)))
    (check-message "out of range" (inc -1))
    (check-message "expected an exact integer" (neg 1.0))))

(test "floats: flonums fast, other reals slow, non-reals refused"
  (let ([f32 (foreign-function t "float jt_f32(float, float)")]
        [f64 (foreign-function t "double jt_f64(double, double)")])
    (check-equal 3.625 (f64 1.5 2.25))                     ; a * b + 0.25
    (check-equal 1.0 (f64 3 1/4))
    (check-equal 3.875 (f32 1.5 2.25))                     ; a * b + 0.5
    (check-equal 2.5 (f32 1 2))
    (check-message "expected a real number" (f64 1.0 'x))
    (check-message "expected a real number" (f32 "1" 1.0))))

(test "pointers: #f and fixnum addresses fast; strings, bytevectors, bignums slow; bad ones refused"
  (let ([add (foreign-function t "void *jt_ptr_add(void *, int64_t)")]
        [len (foreign-function t "size_t jt_strlen(const char *)")]
        [store (foreign-function t "void jt_store_i32(int32_t *, int32_t)")])
    (check-equal 0 (add #f 0))
    (check-equal 4106 (add 4096 10))
    (check-equal (+ (expt 2 62) 1) (add (expt 2 62) 1))
    (check-equal 6 (len "héllo"))                   ; UTF-8 bytes
    (let ([bv (make-bytevector 4 0)])
      (store bv 21)
      (check-equal 42 (bytevector-s32-native-ref bv 0)))
    (check-message "out of range" (add -1 0))
    (check-message "expected #f, an address" (add 'p 0))
    (check-message "expected #t or #f" ((foreign-function t "bool jt_not(bool)") 1))
    (check-equal #f ((foreign-function t "bool jt_not(bool)") #t))))

(test "argument counts are checked on every arity"
  (let ([f (foreign-function t "int32_t jt_add_i32(int32_t, int32_t)")]
        [z (foreign-function t "int32_t jt_answer(void)")])
    (check-message "expected 2 arguments, got 1" (f 1))
    (check-message "expected 2 arguments, got 3" (f 1 2 3))
    (check-message "expected 0 arguments, got 1" (z 1))
    (check-equal 42 (z))))

(test "one class for every parameter (f64, i64, i32, ptr; 1-6 of them): same results and errors"
  (let ([w (lambda xs (apply + (map * xs '(1 2 3 4 5 6))))]
        [f64 (foreign-function t "double jt_w6_f64(double, double, double, double, double, double)")]
        [i64 (foreign-function t "int64_t jt_w6_i64(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t)")]
        [i32 (foreign-function t "int32_t jt_w6_i32(int32_t, int32_t, int32_t, int32_t, int32_t, int32_t)")]
        [ptr (foreign-function t "int64_t jt_w6_ptr(void *, void *, void *, void *, void *, void *)")]
        [m (open-library "libm.so.6")])
    (check-equal (w 1.5 2.5 3.5 4.5 5.5 6.5) (f64 1.5 2.5 3.5 4.5 5.5 6.5))
    (check-equal (w 1 -2 3 -4 5 -6) (i64 1 -2 3 -4 5 -6))
    (check-equal (w 1 -2 3 -4 5 (most-positive-fixnum)) (i64 1 -2 3 -4 5 (most-positive-fixnum)))
    (check-equal (w -1 2 -3 4 -5 6) (i32 -1 2 -3 4 -5 6))
    (check-equal (w 16 32 48 0 80 96) (ptr 16 32 48 #f 80 96))
    ;; each position in turn: a value the slow path converts, then one it refuses
    (for-each
     (lambda (i)
       (define (with v fill) (let ([a (make-list 6 fill)]) (append (list-head a i) (list v) (list-tail a (+ i 1)))))
       (check-equal (inexact (apply w (with 3 1.0))) (apply f64 (with 3 1.0)))         ; exact -> double
       (check-message (format "argument ~a" (+ i 1)) (apply f64 (with 'x 1.0)))
       (check-equal (apply w (with (expt 2 60) 0)) (apply i64 (with (expt 2 60) 0)))  ; a bignum
       (check-message (format "argument ~a" (+ i 1)) (apply i64 (with (expt 2 63) 0)))
       (check-message (format "argument ~a" (+ i 1)) (apply i32 (with 2147483648 0)))
       (check-message (format "argument ~a" (+ i 1)) (apply i32 (with 1.0 0)))
       (check-message (format "argument ~a" (+ i 1)) (apply ptr (with -1 0)))
       (let ([bv (make-bytevector 1 0)])                                             ; a copy: some address
         (check (not (= 0 (apply ptr (with bv 0)))))))
     (iota 6))
    (check-message "expected 6 arguments, got 5" (f64 1.0 2.0 3.0 4.0 5.0))
    (check-message "expected 6 arguments, got 7" (ptr 0 0 0 0 0 0 0))
    ;; fewer parameters of one class, from libm
    (check-close 8.0 ((foreign-function m "double pow(double, double)") 2.0 3.0))
    (check-close 7.0 ((foreign-function m "double fma(double, double, double)") 2.0 3.0 1.0))
    (check-equal 5 ((foreign-function m "long labs(long)") -5))
    (check-equal 5 ((foreign-function m "int abs(int)") -5))))

(test "signature cache: the same text again, and declarations that change its meaning"
  (let* ([lib (open-library (testlib-path))]
         [a (library-symbol lib "jt_add_i32")])
    (library-declare! lib "typedef int32_t num;")
    (let ([f1 (foreign-function lib "num jt_add_i32(num, num)")]
          [f2 (foreign-function lib "num jt_add_i32(num, num)")]
          [p1 (pointer->procedure "i32(i32,i32)" a)]
          [p2 (pointer->procedure "i32(i32,i32)" a 'libffi)])
      (check-equal "sysv:i32(i32,i32)" (procedure-signature f2))
      (check-equal 5 (f1 2 3))
      (check-equal 5 (f2 2 3))
      (check-equal 7 (p1 3 4))
      (check-equal "libffi" (procedure-backend p2))
      (check-equal 7 (p2 3 4)))
    ;; a second library with its own meaning of the same text
    (let ([other (open-library (testlib-path))])
      (library-declare! other "typedef int8_t num;")
      (check-equal "sysv:i8(i8,i8)" (procedure-signature (pointer->procedure "num f(num, num)" a other)))
      (check-equal "sysv:i32(i32,i32)" (procedure-signature (pointer->procedure "num f(num, num)" a lib))))
    ;; a text whose parse failed is not remembered: once declared, it parses
    (check-message "unknown struct" (pointer->procedure "int f(struct later)" a lib))
    (library-declare! lib "struct later { int x; };")
    (check-equal "sysv:i32({i32})" (procedure-signature (pointer->procedure "int f(struct later)" a lib)))
    ;; more texts than the cache holds: it empties itself and everything still works
    (do ([i 0 (+ i 1)]) ((= i 300))
      (let ([f (pointer->procedure (format "i32(i32,i32) /* ~a */" i) a)])
        (check-equal (+ i 1) (f i 1))))
    (collect) (collect-callbacks!)
    (check-equal 9 ((pointer->procedure "i32(i32,i32)" a) 4 5))
    (library-close! lib)
    (check-message "library is closed" (foreign-function lib "num jt_add_i32(num, num)"))))

(done)
