;;; Scheme procedures as C function pointers: qsort with a Scheme comparator, an exception in the
;;; comparator, narrow results, nested calls, freeing (explicit and by the guardian), errno.
(import (chezscheme) (jitffi) (jitffi-check))

(define t (open-library (testlib-path)))
(define libc (open-library "c"))
(define qsort (foreign-function libc "void qsort(void *, size_t, size_t, int (*)(const void *, const void *))"))
(define (ints . xs)
  (let ([bv (make-bytevector (* 4 (length xs)))])
    (for-each (lambda (x i) (bytevector-s32-native-set! bv (* 4 i) x)) xs (iota (length xs)))
    bv))
(define (bv->ints bv)
  (map (lambda (i) (bytevector-s32-native-ref bv (* 4 i))) (iota (div (bytevector-length bv) 4))))

(test "qsort with a Scheme comparator"
  (let* ([calls 0]
         [cmp (make-callback "int(const void *, const void *)"
                             (lambda (a b)
                               (set! calls (+ calls 1))
                               (let ([x (foreign-ref 'integer-32 a 0)] [y (foreign-ref 'integer-32 b 0)])
                                 (cond [(< x y) -1] [(> x y) 1] [else 0]))))]
         [v (ints 5 -3 99 0 7 7 -100 42)])
    (check (> (callback-address cmp) 0))
    (qsort v 8 4 cmp)
    (check-equal '(-100 -3 0 5 7 7 42 99) (bv->ints v))
    (check (> calls 0))
    ;; a descending order by address too, with 1000 numbers
    (let* ([desc (make-callback "int(const void *, const void *)"
                                (lambda (a b) (- (foreign-ref 'integer-32 b 0) (foreign-ref 'integer-32 a 0))))]
           [xs (map (lambda (i) (mod (* i 7919) 1000)) (iota 1000))]
           [v (apply ints xs)])
      (qsort v 1000 4 (callback-address desc))
      (check-equal (sort > xs) (bv->ints v))
      (callback-free! desc))
    (callback-free! cmp)
    (callback-free! cmp)))                      ; twice is a no-op

(test "an exception in the comparator is reported, not a crash"
  (let* ([n 0]
         [cmp (make-callback "int(const void *, const void *)"
                             (lambda (a b)
                               (set! n (+ n 1))
                               (when (= n 3) (error 'comparator "boom" 'third-call))
                               (- (foreign-ref 'integer-32 a 0) (foreign-ref 'integer-32 b 0))))]
         [v (ints 3 1 2 5 4)])
    (let ([e (check-raise jitffi-callback-error? (qsort v 5 4 cmp))])
      (when e
        (check (message-condition? (jitffi-callback-error-condition e)))
        (check-equal "boom" (condition-message (jitffi-callback-error-condition e)))
        (check-equal 'comparator (condition-who (jitffi-callback-error-condition e)))
        (check-equal 'qsort (condition-who e))
        (check-equal '(third-call) (condition-irritants e))))
    (check (callback-error cmp))
    ;; the next calls are not affected
    (set! n 100)
    (let ([v (ints 3 1 2)]) (qsort v 3 4 cmp) (check-equal '(1 2 3) (bv->ints v)))
    ;; a result of the wrong type is an exception of the callback too
    (let ([bad (make-callback "int(const void *, const void *)" (lambda (a b) 'not-an-int))])
      (check-message "callback result (i32): expected an exact integer"
                     (guard (e [(jitffi-callback-error? e) (raise (jitffi-callback-error-condition e))])
                       (qsort (ints 2 1) 2 4 bad)))
      (check-message "a callback raised an exception" (qsort (ints 2 1) 2 4 bad))
      (callback-free! bad))
    (callback-free! cmp)))

(test "narrow results from callbacks"
  (let* ([call-narrow (foreign-function t "int64_t jt_call_narrow(int8_t (*)(void), uint8_t (*)(void), int16_t (*)(void), uint16_t (*)(void), bool (*)(void), int32_t (*)(void))")]
         [cbs (list (make-callback "int8_t(void)" (lambda () -5))
                    (make-callback "uint8_t(void)" (lambda () 250))
                    (make-callback "int16_t(void)" (lambda () -300))
                    (make-callback "uint16_t(void)" (lambda () 65000))
                    (make-callback "bool(void)" (lambda () #t))
                    (make-callback "int32_t(void)" (lambda () -70000)))])
    (check-equal (+ -5 (* 1000 250) (* 1000000 -300) (* 1000000000 65000) 100 (* 7 -70000))
                 (apply call-narrow cbs))
    (for-each callback-free! cbs)))

(test "callbacks with structs, long double and i128 in both directions"
  (let* ([t2 (open-library (testlib-path))]
         [_ (library-declare! t2 "typedef struct { double x, y; } D2;")]
         [d2cb (foreign-function t2 "double jt_D2_cb(D2 (*)(D2, double), D2)")]
         [cb (make-callback "D2(D2, double)"
                            (lambda (v d)
                              (let ([r (make-bytevector 16)])
                                (bytevector-ieee-double-native-set! r 0 (* d (bytevector-ieee-double-native-ref v 0)))
                                (bytevector-ieee-double-native-set! r 8 (* d (bytevector-ieee-double-native-ref v 8)))
                                r))
                            t2)]
         [v (make-bytevector 16)])
    (bytevector-ieee-double-native-set! v 0 4.0)
    (bytevector-ieee-double-native-set! v 8 8.0)
    (check-equal (+ 2.0 (* 2 4.0)) (d2cb cb v))
    ;; through pointer->procedure on the callback's own address: C -> Scheme -> C round trips
    (let* ([ld (make-callback "long double(long double, long double)" (lambda (a b) (+ a b 1/4)))]
           [ld-call (pointer->procedure "long double(long double, long double)" (callback-address ld))]
           [i128 (make-callback "__int128(__int128, int)" (lambda (a k) (* a k)))]
           [i128-call (pointer->procedure "__int128(__int128, int)" (callback-address i128))])
      (check-equal 3.75 (ld-call 1.5 2))
      (check-equal (- (expt 2 120)) (i128-call (expt 2 119) -2))
      (check-message "a callback raised" (i128-call (expt 2 126) 4))   ; beyond __int128
      (for-each callback-free! (list ld i128)))
    (callback-free! cb)))

(test "nested: a callback calls jitffi procedures, even the one that called it"
  (let* ([add (foreign-function t "int32_t jt_add_i32(int32_t, int32_t)")]
         [depth 0]
         [cmp (make-callback "int(const void *, const void *)"
                             (lambda (a b)
                               (when (= depth 0)
                                 (set! depth 1)
                                 (let ([inner (ints 9 8 7)])
                                   (qsort inner 3 4 (make-callback "int(const void *, const void *)"
                                                                   (lambda (a b) (- (foreign-ref 'integer-32 a 0) (foreign-ref 'integer-32 b 0)))))
                                   (check-equal '(7 8 9) (bv->ints inner))))
                               (add (foreign-ref 'integer-32 a 0) (- (foreign-ref 'integer-32 b 0)))))]
         [v (ints 4 2 3 1)])
    (qsort v 4 4 cmp)
    (check-equal '(1 2 3 4) (bv->ints v))
    (callback-free! cmp)))

(test "a guardian frees dropped callbacks"
  (collect (collect-maximum-generation))
  (collect-callbacks!)
  (let ([before (live-callbacks)])
    (let loop ([i 0])
      (when (< i 20) (make-callback "int(int)" (lambda (x) x)) (loop (+ i 1))))
    (check (>= (live-callbacks) (+ before 20)))
    (collect (collect-maximum-generation))
    (collect-callbacks!)
    (check-equal before (live-callbacks))))

(test "errno: captured by procedures, restored around callbacks"
  (let ([set-errno (foreign-function t "int jt_set_errno(int)" 'errno)]
        [get-errno (foreign-function t "int jt_get_errno(void)" 'errno)]
        [set-errno-plain (foreign-function t "int jt_set_errno(int)")]
        [strtol (foreign-function libc "long strtol(const char *, char **, int)" 'errno)])
    (set-saved-errno! 0)
    (check-equal -1 (set-errno 33))
    (check-equal 33 (saved-errno))
    (set-errno-plain 44)                          ; no capture: the saved value stays
    (check-equal 33 (saved-errno))
    (set-saved-errno! 7)
    (check-equal 7 (get-errno))                   ; the saved value is errno during the call
    (set-saved-errno! 0)
    (strtol "99999999999999999999999" #f 10)
    (check-equal 34 (saved-errno))                ; ERANGE
    ;; A callback with 'errno sees the C caller's errno and gives it back, or sets its own.
    (let* ([seen #f]
           [after-cb (foreign-function t "int jt_errno_after_cb(int (*)(int), int)")]
           [keep (make-callback "int(int)" (lambda (x) (set! seen (saved-errno)) (set-errno-plain 99) 0) 'errno)]
           [set (make-callback "int(int)" (lambda (x) (set-saved-errno! 12) 0) 'errno)])
      (check-equal 5 (after-cb keep 5))
      (check-equal 5 seen)
      (check-equal 12 (after-cb set 5))
      (for-each callback-free! (list keep set)))))

(test "a thread made by C calls a Scheme callback"
  ;; jt_run_thread(start, arg): pthread_create + pthread_join, returns what start returned.
  ;; 'collect-safe: this thread is deactivated while it waits in pthread_join, so that the other
  ;; thread may collect (without it, a collection there would wait for this thread forever).
  (let* ([run-thread (foreign-function t "int64_t jt_run_thread(void *(*)(void *), void *)"
                                       'collect-safe)]
         [seen #f]
         [start (make-callback "void *(void *)"
                               (lambda (arg)
                                 (set! seen (get-thread-id))
                                 (collect)                 ; a collection from the C thread
                                 (+ arg 1)))])
    (check-equal 42 (run-thread start 41))
    (check (and seen (not (eqv? seen (get-thread-id)))))
    (check-equal 8 (run-thread start 7))          ; a second thread: a context again
    (callback-free! start)))

(test "collections in callbacks during a collect-safe call on the same thread"
  (let* ([qsort* (foreign-function libc "void qsort(void *, size_t, size_t, int (*)(const void *, const void *))"
                                   'collect-safe)]
         [n 0]
         [cmp (make-callback "int(const void *, const void *)"
                             (lambda (a b)
                               (set! n (+ n 1))
                               (when (= 0 (mod n 500)) (collect))
                               (- (foreign-ref 'integer-32 a 0) (foreign-ref 'integer-32 b 0))))]
         [xs (map (lambda (i) (mod (* i 7919) 3000)) (iota 3000))]
         [v (apply ints xs)])
    (qsort* v 3000 4 cmp)
    (check (> n 1000))
    (check-equal (sort < xs) (bv->ints v))
    (callback-free! cmp)))

(done)
