;;; Variadic calls: the extra arguments' types given per call (c-arg) or inferred from the values.
(import (chezscheme) (jitffi) (jitffi-check))

(define t (open-library (testlib-path)))
(define libc (open-library "c"))
(define snprintf (foreign-function libc "int snprintf(char *, size_t, const char *, ...)"))
(define (fmt . args)
  (let* ([buf (make-bytevector 128 0)] [n (apply snprintf buf 128 args)])
    (check (>= n 0))
    (utf8->string (bytevector-copy-n buf n))))
(define (bytevector-copy-n bv n) (let ([r (make-bytevector n)]) (bytevector-copy! bv 0 r 0 n) r))

(test "snprintf with inferred types"
  (check-equal "42 -7 héllo 3.50 x" (fmt "%d %d %s %.2f %c" 42 -7 "héllo" 3.5 #\x))
  (check-equal "9223372036854775807" (fmt "%lld" (- (expt 2 63) 1)))     ; long long
  (check-equal "18446744073709551615" (fmt "%llu" (- (expt 2 64) 1)))    ; unsigned long long
  (check-equal "(nil)" (fmt "%p" #f))
  (check-equal "no extras" (fmt "no extras")))

(test "snprintf with explicit types"
  (check-equal "-1 4294967295" (fmt "%ld %u" (c-arg "long" -1) (c-arg "unsigned int" (- (expt 2 32) 1))))
  (check-equal "0.25" (fmt "%g" (c-arg "double" 1/4)))
  (check-equal "0x10" (fmt "%p" (c-arg "void *" 16)))
  (check-message "out of range" (fmt "%u" (c-arg "unsigned int" -1))))

(test "the same procedure with different variadic types, again and again"
  (do ([i 0 (+ i 1)]) ((= i 50))
    (check-equal (format "~a ~a" i (+ i 0.5)) (fmt "%d %.1f" i (+ i 0.5)))
    (check-equal (format "~a" i) (fmt "%s" (number->string i)))))

(test "jt_vsum: int, int64, unsigned, double, pointer, struct by value"
  (let ([vsum (foreign-function t "double jt_vsum(int, const char *, ...)")]
        [d2 (make-bytevector 16)])
    (bytevector-ieee-double-native-set! d2 0 1.5)
    (bytevector-ieee-double-native-set! d2 8 2.0)
    (check-equal (+ 5 (* 2 -6e10) (* 3 4000000000) (* 4 0.5) (* 5 #x34))
                 (vsum 5 "iludp" 5 -60000000000 (c-arg "unsigned" 4000000000) 0.5 #x1234))
    (check-equal (* 1 (+ 1.5 4.0)) (vsum 1 "S" (c-arg "{f64,f64}" d2)))
    (check-equal -1e300 (vsum 1 "?" 0))))

(test "a fixed float before the variadic part"
  (let ([f (foreign-function t "double jt_vfixed_float(float, int, ...)")])
    (check-equal (+ 0.5 (* 2 1.0) (* 3 2.0)) (f 0.5 2 1.0 2.0))
    (check-equal 0.5 (f 0.5 0))))

(test "printf through libffi too"
  (let ([snprintf2 (foreign-function libc "int snprintf(char *, size_t, const char *, ...)" 'libffi)]
        [buf (make-bytevector 32 0)])
    (check-equal "libffi" (procedure-backend snprintf2))
    (check-equal 5 (snprintf2 buf 32 "%d+%s" 12 "ab"))
    (check-equal "12+ab" (utf8->string (bytevector-copy-n buf 5)))))

(done)
