;;; Structs and unions by value, both ways (arguments, results, callback arguments and results),
;;; as bytevectors laid out like C's (offsets from c-type-layout), against tests/testlib.
(import (chezscheme) (jitffi) (jitffi-check))

(define t (open-library (testlib-path)))
(define-ftype D2* (struct [x double] [y double]))
(define-ftype MIX* (struct [c integer-8] [s integer-16] [f single-float] [d double]))
(library-declare! t "
  typedef struct { int8_t a; } S1;
  typedef struct { float x, y; } F2;
  typedef struct { double x, y; } D2;
  typedef struct { int32_t i; float f; } IF;
  typedef struct { double d; int64_t l; } DL;
  typedef struct { int8_t c; int16_t s; float f; double d; } MIX;
  typedef struct { int32_t a[3]; int8_t c; } ARR;
  typedef struct { F2 p; double z; } NEST;
  typedef struct { double a, b, c; } D3;
  typedef struct { int64_t a[4]; } L4;
  typedef struct { uint8_t b[64]; } B64;
  typedef union { int32_t i; float f; } UIF;
  typedef union { double d[2]; int64_t l; } UDL;
  typedef struct { long double ld; } SLD;
  typedef struct { int8_t tag; UIF u; } TAG;")

;; Leaves: (kind offset value) with kind one of i8 i16 i32 i64 u8 f32 f64.
(define (pack size leaves)
  (let ([bv (make-bytevector size 0)])
    (for-each (lambda (l) (apply put! bv l)) leaves)
    bv))
(define (put! bv kind off v)
  (case kind
    [(i8) (bytevector-s8-set! bv off v)]
    [(u8) (bytevector-u8-set! bv off v)]
    [(i16) (bytevector-s16-native-set! bv off v)]
    [(i32) (bytevector-s32-native-set! bv off v)]
    [(i64) (bytevector-s64-native-set! bv off v)]
    [(f32) (bytevector-ieee-single-native-set! bv off v)]
    [(f64) (bytevector-ieee-double-native-set! bv off v)]))
(define (get bv kind off)
  (case kind
    [(i8) (bytevector-s8-ref bv off)]
    [(u8) (bytevector-u8-ref bv off)]
    [(i16) (bytevector-s16-native-ref bv off)]
    [(i32) (bytevector-s32-native-ref bv off)]
    [(i64) (bytevector-s64-native-ref bv off)]
    [(f32) (bytevector-ieee-single-native-ref bv off)]
    [(f64) (bytevector-ieee-double-native-ref bv off)]))

;; One shape: C's sum of v (weights 1, 2, 3, ... over the leaves, as testlib.c writes it), next
;; (every leaf + 1) as a result, mid (v between integers and doubles) and cb (v through a Scheme
;; callback that returns it with every leaf + 1).
(define (shape name leaves)
  (let* ([size (c-type-size t name)]
         [v (pack size leaves)]
         [sum (let loop ([ls leaves] [k 1] [s 0])
                (if (null? ls) s (loop (cdr ls) (+ k 1) (+ s (* k (caddr (car ls)))))))]
         [next-leaves (map (lambda (l) (list (car l) (cadr l) (+ 1 (caddr l)))) leaves)]
         [f-sum (foreign-function t (format "double jt_~a_sum(~a)" name name))]
         [f-next (foreign-function t (format "~a jt_~a_next(~a)" name name name))]
         [f-mid (foreign-function t (format "double jt_~a_mid(int64_t, int64_t, int64_t, int64_t, int64_t, double, ~a, double)" name name))]
         [f-cb (foreign-function t (format "double jt_~a_cb(~a (*)(~a, double), ~a)" name name name name))]
         [seen #f]
         [cb (make-callback (format "~a(~a, double)" (c-type-canonical t name) (c-type-canonical t name))
                            (lambda (x d)
                              (set! seen (list (bytevector-copy x) d))
                              (pack size (map (lambda (l) (list (car l) (cadr l) (+ 1 (get x (car l) (cadr l))))) leaves))))])
    (check-close sum (f-sum v))
    (let ([r (f-next v)])
      (check (bytevector? r))
      (check-equal size (bytevector-length r))
      (for-each (lambda (l) (check-close (caddr l) (get r (car l) (cadr l)))) next-leaves))
    (check-close (+ 1 4 9 16 25 (* 6 0.5) (* 7 sum) (* 8 -2.0)) (f-mid 1 2 3 4 5 0.5 v -2.0))
    (check-close (let loop ([ls next-leaves] [k 1] [s 0])
                   (if (null? ls) s (loop (cdr ls) (+ k 1) (+ s (* k (caddr (car ls)))))))
                 (f-cb cb v))
    (check-equal (list v 0.5) seen)
    (check-message (format "expected a bytevector of ~a bytes or an ftype pointer" size)
                   (f-sum (make-bytevector (+ size 1))))
    (check-message "expected a bytevector" (f-sum 0))
    (callback-free! cb)))

(test "S1: one byte" (shape "S1" '((i8 0 -5))))
(test "F2: two floats (SSE)" (shape "F2" '((f32 0 1.5) (f32 4 -2.25))))
(test "D2: two doubles (SSE, SSE)" (shape "D2" '((f64 0 1.5) (f64 8 -2.25))))
(test "IF: int and float merged (INTEGER)" (shape "IF" '((i32 0 -7) (f32 4 0.5))))
(test "DL: double, int64 (SSE, INTEGER)" (shape "DL" '((f64 0 2.5) (i64 8 -9))))
(test "MIX: padding (INTEGER, SSE)" (shape "MIX" '((i8 0 -3) (i16 2 300) (f32 4 1.5) (f64 8 -2.25))))
(test "ARR: array member" (shape "ARR" '((i32 0 10) (i32 4 -20) (i32 8 30) (i8 12 -4))))
(test "NEST: nested struct" (shape "NEST" '((f32 0 1.25) (f32 4 2.5) (f64 8 -3.75))))
(test "D3: 24 bytes in memory" (shape "D3" '((f64 0 10.5) (f64 8 20.25) (f64 16 -30.125))))
(test "L4: 32 bytes in memory" (shape "L4" '((i64 0 -1) (i64 8 2) (i64 16 -3) (i64 24 4))))
(test "B64: 64 bytes" (shape "B64" (map (lambda (i) (list 'u8 i (mod (* 7 i) 200))) (iota 64))))
(test "UIF: union (INTEGER)" (shape "UIF" '((i32 0 123456))))
(test "TAG: struct with a union member" (shape "TAG" '((i8 0 5) (i32 4 -77))))

(test "long double inside a struct (SLD, returned in st0)"
  (let ([sum (foreign-function t "double jt_SLD_sum(SLD)")]
        [next (foreign-function t "SLD jt_SLD_next(SLD)")]
        [ld (foreign-function t "long double jt_ldouble(long double, long double)")])
    (check-equal 6.125 (ld 2.5 2.4))
    (check-equal 16 (c-type-size t "SLD"))
    ;; 2.5 as an x87 long double: significand 0xA000000000000000, biased exponent 16384.
    (let ([v (make-bytevector 16 0)])
      (bytevector-u64-native-set! v 0 #xA000000000000000)
      (bytevector-u16-native-set! v 8 16384)
      (check-equal 2.5 (sum v))
      (let ([r (next v)])
        (check-equal #xE000000000000000 (bytevector-u64-native-ref r 0)) ; 3.5
        (check-equal 16384 (bytevector-u16-native-ref r 8))))))

(test "ftype pointers as struct arguments"
  (let ([sum (foreign-function t "double jt_D2_sum(D2)")]
        [mid (foreign-function t "double jt_MIX_mid(int64_t, int64_t, int64_t, int64_t, int64_t, double, MIX, double)")]
        [p (make-ftype-pointer D2* (foreign-alloc (ftype-sizeof D2*)))]
        [m (make-ftype-pointer MIX* (foreign-alloc (ftype-sizeof MIX*)))])
    (ftype-set! D2* (x) p 1.5)
    (ftype-set! D2* (y) p -4.0)
    (check-equal (+ 1.5 (* 2 -4.0)) (sum p))
    (ftype-set! MIX* (c) m -3) (ftype-set! MIX* (s) m 300) (ftype-set! MIX* (f) m 1.5) (ftype-set! MIX* (d) m -2.25)
    (check-close (+ 1 4 9 16 25 3.0 (* 7 (+ -3 600 4.5 -9.0)) -16.0) (mid 1 2 3 4 5 0.5 m -2.0))
    (check-equal (ftype-sizeof MIX*) (c-type-size t "MIX"))
    (foreign-free (ftype-pointer-address p))
    (foreign-free (ftype-pointer-address m))))

(test "layout introspection"
  (check-equal '(("c" 0 "i8" 1) ("s" 2 "i16" 2) ("f" 4 "f32" 4) ("d" 8 "f64" 8))
               (c-type-layout t "MIX"))
  (check-equal 16 (c-type-size t "MIX"))
  (check-equal 8 (c-type-align t "MIX"))
  (check-equal "{i8,i16,f32,f64}" (c-type-canonical t "MIX"))
  (check-equal "union{i32,f32}" (c-type-canonical t "UIF"))
  (check-equal 8 (c-type-size #f "long"))
  (check-message "not a struct or union" (c-type-layout t "int")))

(test "many arguments with structs through a callback (jt_call_many)"
  (let* ([call-many (foreign-function t "double jt_call_many(double (*)(int8_t, uint16_t, int32_t, int64_t, float, double, MIX, D3, uint8_t, double, double, double, double, double, double, double, int64_t, bool))")]
         [got #f]
         [cb (make-callback "double(int8_t, uint16_t, int32_t, int64_t, float, double, MIX, D3, uint8_t, double, double, double, double, double, double, double, int64_t, bool)"
                            (lambda args (set! got args) 10.0) t)])
    (check-equal 21.0 (call-many cb))
    (let ([mix (list-ref got 6)] [d3 (list-ref got 7)])
      (check-equal '(-7 65000 -100000 5000000000 0.75 1.5) (list-head got 6))
      (check-equal '(-3 300 1.5 -2.25) (list (get mix 'i8 0) (get mix 'i16 2) (get mix 'f32 4) (get mix 'f64 8)))
      (check-equal '(10.5 20.25 -30.125) (list (get d3 'f64 0) (get d3 'f64 8) (get d3 'f64 16)))
      (check-equal '(200 1.0 2.0 3.0 4.0 5.0 6.0 7.0 -9 #t) (list-tail got 8)))))

(done)
