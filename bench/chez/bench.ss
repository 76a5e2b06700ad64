;;; jitffi from Chez Scheme against Chez's own FFI, in one process (issue 13 item 5).
;;;   JITFFI_LIBRARY=build/libjitffi.so JITFFI_BENCH_TARGETS=build/bench/libjitffi_bench_targets.so \
;;;     scheme -q --libdirs bindings/chez --program bench/chez/bench.ss
;;; Per call: S1-S8 (bench/targets.c) through a jitffi procedure and through a compiled
;;; `foreign-procedure` (the floor; Chez 9.5.8 has no variadic calls: S8 has none). Creation: a
;;; jitffi procedure from text against `(eval '(foreign-procedure ...))`. Medians of 7 runs, ns.
(import (chezscheme) (jitffi))

(define targets (or (getenv "JITFFI_BENCH_TARGETS") (error 'bench "set JITFFI_BENCH_TARGETS")))
(load-shared-object targets)
(load-shared-object "libm.so.6")
(define lib (open-library targets))

(define (now) (let ([t (current-time 'time-monotonic)])
                (+ (* (time-second t) 1000000000) (time-nanosecond t))))
(define (median xs) (list-ref (sort < xs) (div (length xs) 2)))
;; ns per iteration of (thunk) run n times, median of 7 runs after a warm-up run.
(define (measure n thunk)
  (define (run) (let ([t0 (now)]) (do ([i 0 (fx+ i 1)]) ((fx= i n)) (thunk)) (/ (- (now) t0) (exact->inexact n))))
  (run)
  (median (map (lambda (i) (run)) (iota 7))))

(define-ftype V2 (struct [x double] [y double]))
(define-ftype I3 (struct [a integer-64] [b integer-64] [c integer-64]))

(define N (if (getenv "BENCH_N") (string->number (getenv "BENCH_N")) 1000000))
(define rows '())
(define (row! name j c)
  (set! rows (cons (list name j c) rows)))

;; S1 void()
(let ([j (foreign-function lib "void s1(void)")] [c (foreign-procedure "s1" () void)])
  (row! "S1 void()" (measure N (lambda () (j))) (measure N (lambda () (c)))))
;; S2 i32(i32,i32)
(let ([j (foreign-function lib "int s2(int, int)")] [c (foreign-procedure "s2" (int int) int)])
  (row! "S2 i32(i32,i32)" (measure N (lambda () (j 1 2))) (measure N (lambda () (c 1 2)))))
;; S3 f64(f64 x4)
(let ([j (foreign-function lib "double s3(double, double, double, double)")]
      [c (foreign-procedure "s3" (double double double double) double)])
  (row! "S3 f64(f64,f64,f64,f64)" (measure N (lambda () (j 1.0 2.0 3.0 4.0)))
        (measure N (lambda () (c 1.0 2.0 3.0 4.0)))))
;; S4 i64(i64,f64,i64,i64,f64,i64,i64,i64)
(let ([j (pointer->procedure "i64(i64,f64,i64,i64,f64,i64,i64,i64)" (library-symbol lib "s4"))]
      [c (foreign-procedure "s4" (integer-64 double integer-64 integer-64 double integer-64 integer-64 integer-64) integer-64)])
  (row! "S4 i64(8 mixed)" (measure N (lambda () (j 1 2.0 3 4 5.0 6 7 8)))
        (measure N (lambda () (c 1 2.0 3 4 5.0 6 7 8)))))
;; S5 f64(i32,f64,ptr,i32,f64,i64,ptr,f64,i32,i32,ptr,f64): stack arguments
(let ([j (pointer->procedure "f64(i32,f64,ptr,i32,f64,i64,ptr,f64,i32,i32,ptr,f64)" (library-symbol lib "s5"))]
      [c (foreign-procedure "s5" (int double uptr int double integer-64 uptr double int int uptr double) double)])
  (row! "S5 f64(12 mixed)" (measure N (lambda () (j 1 2.0 3 4 5.0 6 7 8.0 9 10 11 12.0)))
        (measure N (lambda () (c 1 2.0 3 4 5.0 6 7 8.0 9 10 11 12.0)))))
;; S6 {f64,f64}({f64,f64},{f64,f64}): jitffi takes bytevectors; Chez ftype pointers (& V2)
(let* ([j (pointer->procedure "{f64,f64}({f64,f64},{f64,f64})" (library-symbol lib "s6"))]
       [c (foreign-procedure "s6" ((& V2) (& V2)) (& V2))]
       [a (make-bytevector 16 0)] [b (make-bytevector 16 0)]
       [fa (make-ftype-pointer V2 (foreign-alloc 16))] [fb (make-ftype-pointer V2 (foreign-alloc 16))]
       [fr (make-ftype-pointer V2 (foreign-alloc 16))])
  (row! "S6 {f64,f64}(2 structs)" (measure N (lambda () (j a b))) (measure N (lambda () (c fr fa fb)))))
;; S7 {i64,i64,i64}({i64,i64,i64},{i64,i64,i64}): a result in memory
(let* ([j (pointer->procedure "{i64,i64,i64}({i64,i64,i64},{i64,i64,i64})" (library-symbol lib "s7"))]
       [c (foreign-procedure "s7" ((& I3) (& I3)) (& I3))]
       [a (make-bytevector 24 0)] [b (make-bytevector 24 0)]
       [fa (make-ftype-pointer I3 (foreign-alloc 24))] [fb (make-ftype-pointer I3 (foreign-alloc 24))]
       [fr (make-ftype-pointer I3 (foreign-alloc 24))])
  (row! "S7 {i64x3}(2 structs, memory)" (measure N (lambda () (j a b))) (measure N (lambda () (c fr fa fb)))))
;; S8 i32(ptr,...) called with (int, double, long): variadic, types inferred per call
(let ([j (foreign-function lib "int s8(const char *, ...)")] [fmt (foreign-alloc 2)])
  (foreign-set! 'unsigned-8 fmt 0 65) (foreign-set! 'unsigned-8 fmt 1 0)
  (row! "S8 i32(ptr,...) int,f64,long" (measure (div N 4) (lambda () (j fmt 1 2.0 (c-arg "long" 3)))) #f))

;; The floor of this design for S2: a procedure that stores nothing (the slots are filled once)
;; and calls the slot entry through the same kind of foreign-procedure, reached as a (jitffi)
;; procedure is (an unknown procedure: a closure the caller cannot inline).
(define floor-s2
  (let* ([parse (foreign-procedure "jitffi_sig_parse" (string u8*) int)]
         [create (foreign-procedure "jitffi_fn_create" (uptr uptr uptr u8*) int)]
         [entry-of (foreign-procedure "jitffi_fn_slots_entry" (uptr) uptr)]
         [o (make-bytevector 8)]
         [sig (begin (parse "i32(i32,i32)" o) (bytevector-u64-native-ref o 0))]
         [fn (begin (create sig (library-symbol lib "s2") 0 o) (bytevector-u64-native-ref o 0))]
         [entry (entry-of fn)] [address (library-symbol lib "s2")] [slots (foreign-alloc 16)]
         [raw (foreign-procedure entry (fixnum fixnum) integer-32)]
         [box (make-parameter #f)])
    (foreign-set! 'integer-64 slots 0 1) (foreign-set! 'integer-64 slots 8 2)
    (box (lambda (a b) (raw address slots)))             ; hidden from the optimiser
    (let ([p (box)]) (measure N (lambda () (p 1 2))))))

(define (cpu-model)
  (guard (e [#t "unknown"])
    (call-with-input-file "/proc/cpuinfo"
      (lambda (p)
        (let loop ()
          (let ([l (get-line p)])
            (cond [(eof-object? l) "unknown"]
                  [(and (> (string-length l) 10) (string=? (substring l 0 10) "model name"))
                   (let loop2 ([i 0]) (if (char=? (string-ref l i) #\:) (substring l (+ i 2) (string-length l)) (loop2 (+ i 1))))]
                  [else (loop)])))))))

(printf "CPU: ~a; Chez Scheme ~a; jitffi ~a (~a back end by default)\n"
        (cpu-model) (scheme-version) (jitffi-version)
        (procedure-backend (foreign-function lib "int s2(int, int)")))
(printf "\nPer call (ns, median of 7 runs of ~a calls):\n" N)
(printf "| case | jitffi | Chez foreign-procedure | ratio |\n|---|---|---|---|\n")
(for-each (lambda (r)
            (let ([name (car r)] [j (cadr r)] [c (caddr r)])
              (if c
                  (printf "| ~a | ~,1f | ~,1f | ~,2fx |\n" name j c (/ j c))
                  (printf "| ~a | ~,1f | (no variadic calls in Chez 9.5.8) | - |\n" name j))))
          (reverse rows))
(printf "| (floor of the design) S2 through the slot entry from an opaque procedure, no conversion | ~,1f | ~,1f | ~,2fx |\n"
        floor-s2 (caddr (list-ref (reverse rows) 1)) (/ floor-s2 (caddr (list-ref (reverse rows) 1))))

;; Creation: the same signature again and again (jitffi's stub cache hits), and 50 distinct
;; signatures (each a new stub for jitffi, a new compilation for eval).
(define M 200)
(define pow-addr (library-symbol (open-library "m") "pow"))
(define create-j (measure M (lambda () (pointer->procedure "double pow(double, double)" pow-addr))))
(define create-jf (let ([m (open-library "m")]) (measure M (lambda () (foreign-function m "double pow(double, double)")))))
(define create-e (measure M (lambda () (eval '(foreign-procedure "pow" (double double) double)))))
(define distinct 50)
(define (ints k) (apply string-append (map (lambda (i) (if (= i 0) "i32" ",i32")) (iota k))))
(define distinct-j
  (let ([t0 (now)])
    (do ([k 1 (+ k 1)]) ((> k distinct))
      (pointer->procedure (format "f64(f64,~a)" (ints (+ k 20))) pow-addr))
    (/ (- (now) t0) (exact->inexact distinct))))
(define distinct-e
  (let ([t0 (now)])
    (do ([k 1 (+ k 1)]) ((> k distinct))
      (eval `(foreign-procedure "pow" (double ,@(make-list (+ k 20) 'int)) double)))
    (/ (- (now) t0) (exact->inexact distinct))))
;; Small new signatures, the common case of a binding generator: three parameters of five types
;; (every combination is a new stub; none is one of S1-S8). Seven runs of 50, each with another
;; result type so that every signature is new; the floor's runs take 50 other parameter lists.
(define small-types '(("i32" . int) ("f64" . double) ("i64" . integer-64) ("f32" . float) ("ptr" . uptr)))
(define small-rets '(("i64" . integer-64) ("i32" . int) ("u64" . unsigned-64) ("u32" . unsigned-32)
                     ("f64" . double) ("ptr" . uptr) ("i16" . integer-16)))
(define (small-params k) (map (lambda (d) (list-ref small-types (mod (div k d) 5))) '(1 5 25)))
(define (small-text ret k)
  (format "~a(~a,~a,~a)" ret (car (car (small-params k))) (car (cadr (small-params k))) (car (caddr (small-params k)))))
(define (per-run f)   ; median over the seven result types of ns per signature
  (median (map (lambda (r)
                 (let ([t0 (now)])
                   (do ([k 0 (+ k 1)]) ((= k distinct)) (f r k))
                   (/ (- (now) t0) (exact->inexact distinct))))
               small-rets)))
(define small-j (per-run (lambda (r k) (pointer->procedure (small-text (car r) k) pow-addr))))
(define small-e
  (per-run (lambda (r k) (eval `(foreign-procedure "pow" ,(map cdr (small-params k)) ,(cdr r))))))
;; The floor for new signatures: jitffi's own parse, Function and the slot entry's stub (what a
;; procedure calls), through the C API on other distinct signatures of the same shape.
(define c-sig-parse (foreign-procedure "jitffi_sig_parse" (string u8*) int))
(define c-sig-free (foreign-procedure "jitffi_sig_free" (uptr) void))
(define c-fn-create (foreign-procedure "jitffi_fn_create" (uptr uptr uptr u8*) int))
(define c-fn-slots-entry (foreign-procedure "jitffi_fn_slots_entry" (uptr) uptr))
(define c-fn-free (foreign-procedure "jitffi_fn_free" (uptr) void))
(define (floor-one text o)   ; (values parse-ns create-ns)
  (let* ([t0 (now)]
         [_ (c-sig-parse text o)]
         [sig (bytevector-u64-native-ref o 0)]
         [t1 (now)]
         [_ (c-fn-create sig pow-addr 0 o)]
         [fn (bytevector-u64-native-ref o 0)]
         [_ (c-fn-slots-entry fn)]
         [t2 (now)])
    (c-fn-free fn)
    (c-sig-free sig)
    (values (- t1 t0) (- t2 t1))))
(define (c-floor text-of)
  (let ([o (make-bytevector 8)])
    (let loop ([k 1] [tp 0] [tc 0])
      (if (> k distinct)
          (values (/ tp (exact->inexact distinct)) (/ tc (exact->inexact distinct)))
          (let-values ([(p c) (floor-one (text-of k) o)])
            (loop (+ k 1) (+ tp p) (+ tc c)))))))
(define-values (floor-parse floor-create) (c-floor (lambda (k) (format "i64(f64,~a)" (ints (+ k 20))))))
(define small-floor   ; parameter lists 50-99, per result type
  (median (map (lambda (r)
                 (let-values ([(p c) (c-floor (lambda (k) (small-text (car r) (+ k 49))))])
                   (+ p c)))
               small-rets)))
(printf "\nCreating a procedure at run time (ns per procedure):\n")
(printf "| how | jitffi | eval'd foreign-procedure | eval / jitffi |\n|---|---|---|---|\n")
(printf "| pointer->procedure \"double pow(double, double)\", same signature (~a times, median of 7) | ~,0f | ~,0f | ~,1fx |\n"
        M create-j create-e (/ create-e create-j))
(printf "| foreign-function (prototype + dlsym), same signature | ~,0f | ~,0f | ~,1fx |\n"
        create-jf create-e (/ create-e create-jf))
(printf "| ~a distinct signatures (21-70 parameters), once each | ~,0f | ~,0f | ~,1fx |\n"
        distinct distinct-j distinct-e (/ distinct-e distinct-j))
(printf "| (floor) jitffi_sig_parse + jitffi_fn_create + jitffi_fn_slots_entry alone, 50 more such signatures | ~,0f + ~,0f | ~,0f | ~,1fx |\n"
        floor-parse floor-create distinct-e (/ distinct-e (+ floor-parse floor-create)))
(printf "| ~a distinct small signatures (3 parameters), once each (median of 7 runs) | ~,0f | ~,0f | ~,1fx |\n"
        distinct small-j small-e (/ small-e small-j))
(printf "| (floor) jitffi_sig_parse + jitffi_fn_create + jitffi_fn_slots_entry alone, 50 more small signatures (median of 7 runs) | ~,0f | ~,0f | ~,1fx |\n"
        small-floor small-e (/ small-e small-floor))
