#!chezscheme
;;; (jitffi): C calls and callbacks for Chez Scheme through libjitffi's C API (include/jitffi.h).
;;;
;;; Loads libjitffi.so when the library is instantiated: the path in the environment variable
;;; JITFFI_LIBRARY if set, else "libjitffi.so.0" (the installed soname, found by the dynamic
;;; loader's search path). No C code compiled against Chez is involved: every call into jitffi goes
;;; through a compiled `foreign-procedure` on the exported C functions.
;;;
;;; Calls use jitffi's slot entry: each procedure owns one foreign buffer of 64-bit slots, filled
;;; with `foreign-set!`, and calls the signature's slot entry `R entry(void *fn, uint64_t *slots)`
;;; through a compiled foreign-procedure chosen by the result type (no `eval` anywhere). Results
;;; that come back in memory, or back ends without a slot entry, go through jitffi_fn_call_slots.
;;;
;;; Conversions (argument -> C, C result -> Scheme):
;;;   bool                #t/#f (other objects are refused)       -> #t/#f
;;;   integers (8..128)   exact integers (or chars), range-checked -> exact integers
;;;   float, double       any real (converted with `inexact`)     -> flonums
;;;   long double         any real (exact ones rounded once)      -> flonum (rounded to nearest)
;;;   pointers            #f (NULL), an exact address, a bytevector (copied to C memory for the
;;;                       call and copied back after it), a string (UTF-8, NUL-terminated copy),
;;;                       a callback                               -> an exact address (0 = NULL)
;;;   char * / const char *  as pointers; results                 -> a string (UTF-8) or #f
;;;   struct, union       a bytevector of exactly sizeof bytes    -> a fresh bytevector
;;; Lifetime rule for strings and bytevectors passed as pointers: the C copy lives for the call
;;; only (it is freed when the call returns). C code that keeps the pointer must be given memory
;;; the program manages itself (foreign-alloc) and its address.
;;;
;;; Not reentrant across Scheme threads: a procedure's slot buffer is shared by its calls, so one
;;; procedure must not be called from two Scheme threads at once (make one per thread). Recursion
;;; through callbacks is fine: the stub has read the slots before the callee runs.
(library (jitffi)
  (export jitffi-version jitffi-library-path
          open-library self-library library-close! library-declare! library-symbol library-name
          foreign-function pointer->procedure procedure-signature procedure-backend c-arg
          make-callback callback? callback-address callback-free! callback-error
          collect-callbacks! live-callbacks
          saved-errno set-saved-errno!
          c-type-size c-type-align c-type-canonical c-type-layout
          pointer->string pointer->bytevector
          &jitffi jitffi-error? jitffi-error-status jitffi-error-position
          &jitffi-callback jitffi-callback-error? jitffi-callback-error-condition)
  (import (chezscheme))

  ;; ---- Loading libjitffi ---------------------------------------------------------------------
  (define jitffi-library-path
    (let ([p (getenv "JITFFI_LIBRARY")])
      (if (and p (not (string=? p ""))) p "libjitffi.so.0")))
  ;; libc: memcpy and strlen, for the copies between Scheme and C memory.
  (define libc-loaded (load-shared-object "libc.so.6"))
  (define jitffi-loaded
    (guard (e [#t (error 'jitffi
                         (format "cannot load ~a (set JITFFI_LIBRARY to the path of libjitffi.so): ~a"
                                 jitffi-library-path
                                 (if (message-condition? e)
                                     (apply format (condition-message e)
                                            (if (irritants-condition? e) (condition-irritants e) '()))
                                     e)))])
      (load-shared-object jitffi-library-path)))

  ;; ---- Conditions ----------------------------------------------------------------------------
  ;; status: the jitffi_status name as a symbol (JITFFI_PARSE_ERROR, ...); position: the 0-based
  ;; character position of a parse error in the text, or #f.
  (define-condition-type &jitffi &error make-jitffi-condition jitffi-error?
    (status jitffi-error-status) (position jitffi-error-position))
  ;; Raised by the jitffi procedure whose call led C to a callback that raised `condition`.
  (define-condition-type &jitffi-callback &error make-jitffi-callback-condition
    jitffi-callback-error? (condition jitffi-callback-error-condition))

  (define c-last-error (foreign-procedure "jitffi_last_error" () utf-8))
  (define c-last-error-position (foreign-procedure "jitffi_last_error_position" () size_t))
  (define c-status-name (foreign-procedure "jitffi_status_name" (int) string))
  (define no-position (- (expt 2 64) 1))

  ;; Made from this thread's last jitffi error: before anything else calls into jitffi.
  (define (make-jitffi-error who status irritants)
    (let ([pos (c-last-error-position)])
      (condition (make-jitffi-condition (string->symbol (c-status-name status))
                                        (if (= pos no-position) #f pos))
                 (make-who-condition who)
                 (make-message-condition (c-last-error))
                 (make-irritants-condition irritants))))
  (define (raise-jitffi who status irritants) (raise (make-jitffi-error who status irritants)))
  (define-syntax check
    (syntax-rules ()
      [(_ who expr irritant ...)
       (let ([st expr]) (unless (eqv? st 0) (raise-jitffi who st (list irritant ...))))]))
  (define (argument-error who msg . irritants)
    (raise (condition (make-assertion-violation) (make-who-condition who)
                      (make-message-condition msg) (make-irritants-condition irritants))))

  ;; ---- The C API ----------------------------------------------------------------------------
  (define-syntax define-c
    (syntax-rules () [(_ name c-name args ret) (define name (foreign-procedure c-name args ret))]))
  (define-c c-version "jitffi_version" () string)
  (define-c c-sig-parse "jitffi_sig_parse" (utf-8 u8*) int)
  (define-c c-sig-with-varargs "jitffi_sig_with_varargs" (uptr uptr size_t u8*) int)
  (define-c c-sig-free "jitffi_sig_free" (uptr) void)
  (define-c c-sig-canonical "jitffi_sig_canonical" (uptr) utf-8)
  (define-c c-sig-nargs "jitffi_sig_nargs" (uptr) size_t)
  (define-c c-sig-fixed-count "jitffi_sig_fixed_count" (uptr) size_t)
  (define-c c-sig-is-variadic "jitffi_sig_is_variadic" (uptr) int)
  (define-c c-sig-abi "jitffi_sig_abi" (uptr) int)
  (define-c c-sig-name "jitffi_sig_name" (uptr) utf-8)
  (define-c c-sig-return "jitffi_sig_return" (uptr) uptr)
  (define-c c-sig-param "jitffi_sig_param" (uptr size_t) uptr)
  (define-c c-sig-kinds "jitffi_sig_kinds" (uptr u8* size_t) size_t)
  (define-c c-type-kind "jitffi_type_kind" (uptr) int)
  (define-c c-type-size* "jitffi_type_size" (uptr) size_t)
  (define-c c-type-align* "jitffi_type_align" (uptr) size_t)
  (define-c c-type-is-cstr "jitffi_type_is_cstr" (uptr) int)
  (define-c c-type-canonical* "jitffi_type_canonical" (uptr) utf-8)
  (define-c c-type-member-count "jitffi_type_member_count" (uptr) size_t)
  (define-c c-type-member-at "jitffi_type_member_at" (uptr size_t uptr uptr uptr) int)
  (define-c c-type-parse "jitffi_type_parse" (int utf-8 u8*) int)
  (define-c c-type-free "jitffi_type_free" (uptr) void)
  (define-c c-fn-create "jitffi_fn_create" (uptr uptr u8* u8*) int)
  (define-c c-fn-call-slots "jitffi_fn_call_slots" (uptr uptr uptr) int)
  (define c-fn-call-slots/safe
    (foreign-procedure __collect_safe "jitffi_fn_call_slots" (uptr uptr uptr) int))
  (define-c c-fn-return-size "jitffi_fn_return_size" (uptr) size_t)
  (define-c c-fn-backend "jitffi_fn_backend" (uptr) string)
  (define-c c-fn-address "jitffi_fn_address" (uptr) uptr)
  (define-c c-fn-sig "jitffi_fn_sig" (uptr) uptr)
  (define-c c-fn-free "jitffi_fn_free" (uptr) void)
  (define-c c-fn-value-shape "jitffi_fn_value_shape" (uptr) int)
  (define-c c-fn-slots-entry "jitffi_fn_slots_entry" (uptr) uptr)
  (define-c c-closure-create-hooked "jitffi_closure_create_hooked"
    (uptr uptr uptr uptr u8* uptr uptr u8*) int)
  (define-c c-closure-code "jitffi_closure_code" (uptr) uptr)
  (define-c c-closure-free "jitffi_closure_free" (uptr) void)
  (define-c c-lib-open-flags "jitffi_lib_open_flags" (utf-8 unsigned u8*) int)
  (define-c c-lib-open-self "jitffi_lib_open_self" (u8*) int)
  (define-c c-lib-symbol "jitffi_lib_symbol" (uptr utf-8 u8*) int)
  (define-c c-lib-declare "jitffi_lib_declare" (uptr utf-8) int)
  (define-c c-lib-function-sig "jitffi_lib_function_sig" (uptr uptr u8* u8*) int)
  (define-c c-lib-type "jitffi_lib_type" (uptr utf-8 u8*) int)
  (define-c c-lib-parse "jitffi_lib_parse" (uptr utf-8 u8*) int)
  (define-c c-lib-name "jitffi_lib_name" (uptr) utf-8)
  (define-c c-lib-close "jitffi_lib_close" (uptr) void)
  (define-c c-saved-errno "jitffi_saved_errno" () int)
  (define-c c-set-saved-errno "jitffi_set_saved_errno" (int) void)
  (define-c c-memcpy-to "memcpy" (uptr u8* size_t) void)    ; bytevector -> C memory
  (define-c c-memcpy-from "memcpy" (u8* uptr size_t) void)  ; C memory -> bytevector
  (define-c c-memcpy "memcpy" (uptr uptr size_t) void)
  (define-c c-strlen "strlen" (uptr) size_t)

  (define (jitffi-version) (c-version))
  (define (saved-errno) (c-saved-errno))
  (define (set-saved-errno! v) (c-set-saved-errno v))

  ;; An out parameter: (with-out (lambda (p) (c-... p))) -> the pointer the call stored at p.
  ;; A signature parsed from text, with the declarations of a library given among the options.
  (define (parse-sig who text options)
    (let ([lib (find library-handle? options)])
      (with-out (lambda (o)
                  (check who (if lib
                                 (c-lib-parse (lib-ptr who lib) text o)
                                 (c-sig-parse text o))
                         text)))))
  (define (without-libs options) (remp library-handle? options))

  ;; The out cell is a bytevector passed as u8*: no C memory to free, so no guard is needed (a
  ;; collection cannot move it during an ordinary foreign call).
  (define (with-out f)
    (let ([bv (make-bytevector 8 0)])
      (f bv)
      (bytevector-u64-native-ref bv 0)))

  (define (pointer->string addr)
    (if (eqv? addr 0)
        #f
        (let* ([n (c-strlen addr)] [bv (make-bytevector n)])
          (c-memcpy-from bv addr n)
          (utf8->string bv))))
  (define (pointer->bytevector addr n)
    (let ([bv (make-bytevector n)]) (c-memcpy-from bv addr n) bv))

  ;; ---- Kinds (jitffi_kind) --------------------------------------------------------------------
  (define K-VOID 0) (define K-BOOL 1) (define K-I8 2) (define K-U8 3) (define K-I16 4)
  (define K-U16 5) (define K-I32 6) (define K-U32 7) (define K-I64 8) (define K-U64 9)
  (define K-I128 10) (define K-U128 11) (define K-F32 12) (define K-F64 13)
  (define K-LDOUBLE 14) (define K-PTR 15) (define K-STRUCT 16) (define K-UNION 17)
  (define ABI-AAPCS64 3)

  ;; A parameter or result type as the conversions need it.
  ;; handle: the jitffi_type, owned by its signature; its canonical text is read only for messages
  ;; (while the signature lives: a function's for the function's life).
  (define-record-type ctype
    (fields kind size cstr? handle))
  (define (ctype-of t)
    (make-ctype (c-type-kind t) (c-type-size* t) (not (eqv? (c-type-is-cstr t) 0)) t))
  (define (ctype-canonical ct) (c-type-canonical* (ctype-handle ct)))
  (define (int-bounds kind)
    (case kind
      [(2) (values -128 127)] [(3) (values 0 255)]
      [(4) (values -32768 32767)] [(5) (values 0 65535)]
      [(6) (values i32-min i32-max)] [(7) (values 0 u32-max)]
      [(8) (values i64-min i64-max)] [(9) (values 0 u64-max)]
      [(10) (values i128-min i128-max)] [(11) (values 0 u128-max)]
      [else (values 0 0)]))
  (define i32-min (- (expt 2 31))) (define i32-max (- (expt 2 31) 1)) (define u32-max (- (expt 2 32) 1))
  (define i64-min (- (expt 2 63))) (define i64-max (- (expt 2 63) 1)) (define u64-max (- (expt 2 64) 1))
  (define i128-min (- (expt 2 127))) (define i128-max (- (expt 2 127) 1))
  (define u128-max (- (expt 2 128) 1))
  (define max-address (- (expt 2 64) 1))

  ;; ---- long double: x87 80-bit extended (sysv) or IEEE binary128 (aapcs64) ----------------
  ;; Encodes a real into 16 little-endian bytes; exact values are rounded once (to even).
  (define (ldouble->bytes x quad?)
    (let ([bv (make-bytevector 16 0)]
          [mbits (if quad? 113 64)]                     ; significand bits incl. the leading one
          [emax 32767] [bias 16383])
      (define (store! sign biased m)                      ; m: the significand as stored
        (if quad?
            (bytevector-uint-set! bv 0 (+ (bitwise-and m (- (expt 2 112) 1))
                                          (bitwise-arithmetic-shift-left
                                           (+ biased (* sign 32768)) 112))
                                  'little 16)
            (begin (bytevector-u64-set! bv 0 m 'little)
                   (bytevector-u16-set! bv 8 (+ biased (* sign 32768)) 'little))))
      (cond
        [(and (flonum? x) (nan? x)) (store! 0 emax (if quad? (expt 2 111) (* 3 (expt 2 62))))]
        [(and (flonum? x) (infinite? x)) (store! (if (< x 0) 1 0) emax (if quad? 0 (expt 2 63)))]
        [(zero? x) (store! (if (eqv? x -0.0) 1 0) 0 0)]
        [else
         (let* ([sign (if (< x 0) 1 0)] [q (abs (exact x))]
                [l (- (integer-length (numerator q)) (integer-length (denominator q)))])
           ;; q = m * 2^e with 2^(mbits-1) <= m < 2^mbits.
           (let loop ([e (- l mbits)])
             (let ([m (/ q (expt 2 e))])
               (cond
                 [(>= m (expt 2 mbits)) (loop (+ e 1))]
                 [(< m (expt 2 (- mbits 1))) (loop (- e 1))]
                 [else
                  (let* ([biased (+ e (- mbits 1) bias)])
                    (if (<= biased 0)
                        ;; subnormal: the scale is fixed at the minimum exponent
                        (let ([m (round (/ q (expt 2 (- 1 bias (- mbits 1)))))])
                          (store! sign (if (>= m (expt 2 (- mbits 1))) 1 0) m))
                        (let* ([m (round m)]
                               [carry (= m (expt 2 mbits))]
                               [m (if carry (/ m 2) m)]
                               [biased (if carry (+ biased 1) biased)])
                          (if (>= biased emax)
                              (store! sign emax (if quad? 0 (expt 2 63)))
                              (store! sign biased m)))))]))))])
      bv))
  (define (bytes->ldouble bv quad?)
    (let* ([hi (if quad?
                   (bitwise-arithmetic-shift-right (bytevector-uint-ref bv 0 'little 16) 112)
                   (bytevector-u16-ref bv 8 'little))]
           [sign (if (>= hi 32768) -1 1)] [biased (bitwise-and hi 32767)]
           [m (if quad?
                  (bitwise-and (bytevector-uint-ref bv 0 'little 16) (- (expt 2 112) 1))
                  (bytevector-u64-ref bv 0 'little))]
           [fbits (if quad? 112 63)])
      (cond
        [(= biased 32767)
         (if (zero? (bitwise-and m (- (expt 2 (if quad? 112 63)) 1)))
             (if (< sign 0) -inf.0 +inf.0)
             +nan.0)]
        [else
         (let* ([sig (if (and quad? (> biased 0)) (+ m (expt 2 112)) m)]
                [e (- (max biased 1) 16383 fbits)]
                [v (inexact (* sig (expt 2 e)))])
           (if (< sign 0) (if (zero? v) -0.0 (- v)) v))])))

  ;; ---- Argument conversion --------------------------------------------------------------------
  ;; A setter stores one argument into its slot and returns #f, or a temporary (a C copy of a
  ;; string or bytevector) for the call to release: (addr . bytevector-to-copy-back-or-#f).
  (define (make-setter who ct index slots area quad?)
    (let ([off (* 8 index)] [kind (ctype-kind ct)] [argno (+ index 1)])
      (define (bad v what)
        (argument-error who (format "argument ~a (~a): expected ~a" argno (ctype-canonical ct) what) v))
      (define (int-value v)
        (cond [(and (integer? v) (exact? v)) v]
              [(char? v) (char->integer v)]
              [else (bad v "an exact integer")]))
      (cond
        [(= kind K-BOOL)
         (lambda (v)
           (unless (boolean? v) (bad v "#t or #f"))
           (#3%foreign-set! 'integer-64 slots off (if v 1 0)) #f)]
        [(memv kind (list K-I8 K-I16 K-I32 K-I64 K-U8 K-U16 K-U32 K-U64))
         (let*-values ([(lo hi) (int-bounds kind)]
                       [(flo) (if (fixnum? lo) lo (most-negative-fixnum))]
                       [(fhi) (if (fixnum? hi) hi (most-positive-fixnum))]
                       [(type) (if (memv kind (list K-I8 K-I16 K-I32 K-I64)) 'integer-64 'unsigned-64)])
           (lambda (v)
             ;; A fixnum in range: its 64-bit two's complement is the slot, signed or not.
             (if (and (fixnum? v) (fx<= flo v) (fx<= v fhi))
                 (#3%foreign-set! 'integer-64 slots off v)
                 (let ([n (int-value v)])
                   (unless (and (<= lo n) (<= n hi))
                     (argument-error who (format "argument ~a (~a): ~a is out of range [~a, ~a]"
                                                 argno (ctype-canonical ct) n lo hi) v))
                   (foreign-set! type slots off n)))
             #f))]
        [(= kind K-F64)
         (lambda (v)
           (cond [(flonum? v) (#3%foreign-set! 'double-float slots off v)]
                 [(real? v) (#3%foreign-set! 'double-float slots off (inexact v))]
                 [else (bad v "a real number")])
           #f)]
        [(= kind K-F32)
         (lambda (v)
           (unless (real? v) (bad v "a real number"))
           (#3%foreign-set! 'integer-64 slots off 0)
           (#3%foreign-set! 'single-float slots off (inexact v)) #f)]
        [(= kind K-PTR)
         ;; Checks and stores what needs no C memory; strings and bytevectors are left to the
         ;; second phase (pointer-copier), which runs only once every argument has been checked.
         (lambda (v)
           (cond
             [(not v) (#3%foreign-set! 'uptr slots off 0)]
             [(and (fixnum? v) (fx>= v 0)) (#3%foreign-set! 'uptr slots off v)]
             [(and (integer? v) (exact? v) (<= 0 v max-address)) (foreign-set! 'uptr slots off v)]
             [(and (integer? v) (exact? v))
              (argument-error who (format "argument ~a (ptr): address ~a is out of range [0, ~a]"
                                          argno v max-address) v)]
             [(or (string? v) (bytevector? v)) (void)]
             [(callback? v) (foreign-set! 'uptr slots off (callback-address v))]
             [else (bad v "#f, an address, a string, a bytevector or a callback")])
           #f)]
        [(memv kind (list K-STRUCT K-UNION))
         (let ([size (ctype-size ct)])
           (foreign-set! 'uptr slots off area)
           (lambda (v)
             (cond
               [(and (bytevector? v) (= (bytevector-length v) size)) (c-memcpy-to area v size)]
               ;; An ftype pointer (define-ftype) to the struct's bytes in C memory: copied too.
               [(ftype-pointer? v) (c-memcpy area (ftype-pointer-address v) size)]
               [else (bad v (format "a bytevector of ~a bytes or an ftype pointer" size))])
             #f))]
        [(memv kind (list K-I128 K-U128))
         (let-values ([(lo hi) (int-bounds kind)])
           (foreign-set! 'uptr slots off area)
           (lambda (v)
             (let ([n (int-value v)])
               (unless (<= lo n hi)
                 (argument-error who (format "argument ~a (~a): ~a is out of range [~a, ~a]"
                                             argno (ctype-canonical ct) n lo hi) v))
               (let ([bv (make-bytevector 16)])
                 (bytevector-sint-set! bv 0 n 'little 16)
                 (c-memcpy-to area bv 16)))
             #f))]
        [(= kind K-LDOUBLE)
         (foreign-set! 'uptr slots off area)
         (lambda (v)
           (unless (real? v) (bad v "a real number"))
           (c-memcpy-to area (ldouble->bytes v quad?) 16) #f)]
        [else (argument-error who "unsupported parameter type" (ctype-canonical ct))])))

;; The second phase of a pointer argument: a string or bytevector becomes a C copy stored in its
  ;; slot, returned as a temporary (addr . bytevector-to-copy-back-or-#f) for the call to
  ;; release; other values were stored by the setter (#f). Raises nothing but out-of-memory.
  (define (pointer-copier index slots)
    (let ([off (* 8 index)])
      (lambda (v)
        (cond
          [(string? v)
           (let* ([bv (string->utf8 v)] [n (bytevector-length bv)] [p (foreign-alloc (+ n 1))])
             (c-memcpy-to p bv n)
             (foreign-set! 'unsigned-8 p n 0)
             (foreign-set! 'uptr slots off p)
             (cons p #f))]
          [(bytevector? v)
           (let* ([n (bytevector-length v)] [p (foreign-alloc (max n 1))])
             (c-memcpy-to p v n)
             (foreign-set! 'uptr slots off p)
             (cons p v))]
          [else #f]))))

  (define (release! t)
    (when t
      (when (cdr t) (c-memcpy-from (cdr t) (car t) (bytevector-length (cdr t))))
      (foreign-free (car t))))

  ;; ---- Results --------------------------------------------------------------------------------
  ;; Reads a result of type ct from C memory at addr (a call's result buffer or a callback's
  ;; argument), narrow integers at their own width.
  (define (reader ct quad?)
    (let ([kind (ctype-kind ct)] [size (ctype-size ct)])
      (cond
        [(= kind K-VOID) (lambda (a) (void))]
        [(= kind K-BOOL) (lambda (a) (not (eqv? 0 (#3%foreign-ref 'unsigned-8 a 0))))]
        [(= kind K-I8) (lambda (a) (#3%foreign-ref 'integer-8 a 0))]
        [(= kind K-U8) (lambda (a) (#3%foreign-ref 'unsigned-8 a 0))]
        [(= kind K-I16) (lambda (a) (#3%foreign-ref 'integer-16 a 0))]
        [(= kind K-U16) (lambda (a) (#3%foreign-ref 'unsigned-16 a 0))]
        [(= kind K-I32) (lambda (a) (#3%foreign-ref 'integer-32 a 0))]
        [(= kind K-U32) (lambda (a) (#3%foreign-ref 'unsigned-32 a 0))]
        [(= kind K-I64) (lambda (a) (#3%foreign-ref 'integer-64 a 0))]
        [(= kind K-U64) (lambda (a) (#3%foreign-ref 'unsigned-64 a 0))]
        [(= kind K-F32) (lambda (a) (#3%foreign-ref 'single-float a 0))]
        [(= kind K-F64) (lambda (a) (#3%foreign-ref 'double-float a 0))]
        [(= kind K-PTR)
         (if (ctype-cstr? ct)
             (lambda (a) (pointer->string (#3%foreign-ref 'uptr a 0)))
             (lambda (a) (#3%foreign-ref 'uptr a 0)))]
        [(memv kind (list K-I128 K-U128))
         (let ([signed? (= kind K-I128)])
           (lambda (a)
             (let ([bv (pointer->bytevector a 16)])
               (if signed? (bytevector-sint-ref bv 0 'little 16)
                   (bytevector-uint-ref bv 0 'little 16)))))]
        [(= kind K-LDOUBLE) (lambda (a) (bytes->ldouble (pointer->bytevector a 16) quad?))]
        [else (lambda (a) (pointer->bytevector a size))])))

;; The slot entry called as a C function (void *fn, uint64_t *slots) with the result type's C
  ;; return convention; #f where the result is not a scalar (those use jitffi_fn_call_slots).
  ;; fix?: the function's address and its slots are fixnums (always, for user-space addresses on
  ;; 64-bit hosts), passed as Chez's `fixnum` type: cheaper to convert than `uptr`.
  ;; safe?: '__collect_safe (the 'collect-safe option): the calling Scheme thread is deactivated for
  ;; the call, so that other threads (C threads calling Scheme callbacks) can collect meanwhile.
  ;; Two shortcuts through Chez internals, each used only when a probe at expansion time (in the
  ;; Chez that compiles this library, the only one that can load its compiled form) shows that it
  ;; works; otherwise the public forms are used.
  ;; - Slot stores: a slot buffer's address A (8-aligned) is kept as the fixnum A/8 too, whose
  ;;   machine word is A itself, so that `$object-set!` stores at A + off with no untagging of
  ;;   the address (foreign-set! decodes its fixnum address at every store) and, for a value
  ;;   already known to be a fixnum or flonum, no second type test.
  ;; - The slot entry's foreign procedure made with `$foreign-procedure` (what `foreign-procedure`
  ;;   expands into) without the checking wrapper `foreign-procedure` adds at optimize levels
  ;;   below 3: its two fixnum arguments are always fixnums here (make-caller checks).
  (meta define slot-stores?
    (guard (e [#t #f])
      (let ([fx (eval '(lambda (o v) (#3%$object-set! 'fixnum o 8 v)) (scheme-environment))]
            [fl (eval '(lambda (o v) (#3%$object-set! 'double-float o 16 v)) (scheme-environment))]
            [sf (eval '(lambda (o v) (#3%$object-set! 'single-float o 24 v)) (scheme-environment))]
            [a (foreign-alloc 32)])
        (and (fixnum? a) (fx= 0 (fxand a 7))
             (begin (fx (fxsrl a 3) -5) (fl (fxsrl a 3) 2.5) (sf (fxsrl a 3) 1.5)
                    (let ([r (and (= (foreign-ref 'integer-64 a 8) -5) (= (foreign-ref 'double-float a 16) 2.5)
                                  (= (foreign-ref 'single-float a 24) 1.5))])
                      (foreign-free a) r))))))
  (meta define raw-entries?
    (guard (e [#t #f])
      (load-shared-object "libc.so.6")
      (let ([mk (eval '(lambda (e) (let () (import $system) ($foreign-procedure () #f ($foreign-entry e) (fixnum fixnum) integer-64)))
                      (scheme-environment))])
        (= 5 ((mk (foreign-entry "labs")) -5 0)))))
  ;; (slot-set! type sp off v): type fixnum (v a fixnum: its 64-bit value), double-float or
  ;; single-float (v a flonum); sp the slot pointer of make-caller (A/8, or A without the shortcut).
  (define-syntax slot-set!
    (lambda (x)
      (syntax-case x ()
        [(_ type sp off v)
         (if slot-stores?
             #'(#3%$object-set! 'type sp off v)
             (case (syntax->datum #'type)
               [(fixnum) #'(#3%foreign-set! 'integer-64 sp off v)]
               [else #'(#3%foreign-set! 'type sp off v)]))])))
  (define (slot-pointer slots)
    (meta-cond
      [slot-stores? (and (fixnum? slots) (fx= 0 (fxand slots 7)) (fxsrl slots 3))]
      [else slots]))
  (define-syntax raw-fp
    (lambda (x)
      (syntax-case x ()
        [(_ entry ret)
         ;; (`$foreign-procedure` takes Chez's internal type names: uptr is not one of them)
         (if (and raw-entries? (not (eq? (syntax->datum #'ret) 'uptr)))
             #'(let () (import $system) ($foreign-procedure () #f ($foreign-entry entry) (fixnum fixnum) ret))
             #'(foreign-procedure entry (fixnum fixnum) ret))])))
  (define-syntax fp
    (syntax-rules ()
      [(_ safe? fix? entry ret)
       (cond
         [(and safe? fix?) (foreign-procedure __collect_safe entry (fixnum fixnum) ret)]
         [safe? (foreign-procedure __collect_safe entry (uptr uptr) ret)]
         [fix? (raw-fp entry ret)]
         [else (foreign-procedure entry (uptr uptr) ret)])]))
  (define (raw-caller entry ct safe? fix?)
    (let ([kind (ctype-kind ct)])
      (cond
        [(= kind K-VOID) (fp safe? fix? entry void)]
        [(= kind K-BOOL)
         (let ([f (fp safe? fix? entry unsigned-8)])
           (lambda (a s) (not (eqv? 0 (f a s)))))]
        [(= kind K-I8) (fp safe? fix? entry integer-8)]
        [(= kind K-U8) (fp safe? fix? entry unsigned-8)]
        [(= kind K-I16) (fp safe? fix? entry integer-16)]
        [(= kind K-U16) (fp safe? fix? entry unsigned-16)]
        [(= kind K-I32) (fp safe? fix? entry integer-32)]
        [(= kind K-U32) (fp safe? fix? entry unsigned-32)]
        [(= kind K-I64) (fp safe? fix? entry integer-64)]
        [(= kind K-U64) (fp safe? fix? entry unsigned-64)]
        [(= kind K-F32) (fp safe? fix? entry single-float)]
        [(= kind K-F64) (fp safe? fix? entry double-float)]
        [(= kind K-PTR)
         (let ([f (fp safe? fix? entry uptr)])
           (if (ctype-cstr? ct) (lambda (a s) (pointer->string (f a s))) f))]
        [else #f])))

  ;; ---- Callback errors ------------------------------------------------------------------------
  ;; A condition raised by a Scheme callback cannot unwind through C frames: the callback returns
  ;; zero to C, and the next jitffi procedure to return (normally the one whose call led to the
  ;; callback) raises a &jitffi-callback condition carrying it.
  (define pending-callback-error #f)
  ;; Set by the first make-callback: until then no callback can have raised, and the fast path
  ;; tail-calls C without a frame to check pending-callback-error in.
  (define callbacks-made? #f)
  (define (raise-pending! who)
    (let ([e pending-callback-error])
      (set! pending-callback-error #f)
      (raise (condition (make-jitffi-callback-condition e) (make-who-condition who)
                        (make-message-condition
                         (format "a callback raised an exception during this call: ~a"
                                 (if (message-condition? e) (condition-message e) e)))
                        (make-irritants-condition
                         (if (irritants-condition? e) (condition-irritants e) '()))))))

  ;; ---- Functions ------------------------------------------------------------------------------
  ;; procedure -> its jitffi_fn (alive as long as the procedure is: see fn-guardian).
  (define procedure-infos (make-weak-eq-hashtable))
  (define (procedure-info who p)
    (or (hashtable-ref procedure-infos p #f) (argument-error who "not a jitffi procedure" p)))
  (define (procedure-signature p) (c-sig-canonical (c-fn-sig (procedure-info 'procedure-signature p))))
  (define (procedure-backend p) (c-fn-backend (procedure-info 'procedure-backend p)))
  ;; The name a function's errors carry: the C function's name, else its canonical signature.
  (define (fn-who fn)
    (let* ([sig (c-fn-sig fn)] [n (c-sig-name sig)])
      (if (string=? n "") (c-sig-canonical sig) (string->symbol n))))

  ;; A jitffi_fn is freed by a guardian once its procedure is unreachable.
  (define fn-guardian (make-guardian))
  (define (collect-fns!)
    (let loop ()
      (let ([r (fn-guardian)])
        (when r (r) (loop)))))

  ;; options: 'errno (capture errno), 'jit, 'libffi, 'auto (back end), 'collect-safe (procedures
  ;; only: see raw-caller).
  ;; A jitffi_fn_options { int backend; int capture_errno; } as a bytevector (passed as u8*).
  (define (options->c who options)
    (let ([p (make-bytevector 8 0)])
      (for-each
       (lambda (o)
         (case o
           [(errno) (bytevector-s32-native-set! p 4 1)]
           [(auto) (bytevector-s32-native-set! p 0 0)]
           [(jit) (bytevector-s32-native-set! p 0 1)]
           [(libffi) (bytevector-s32-native-set! p 0 2)]
           [(collect-safe) (void)]              ; for the Scheme side (make-caller)
           [else (argument-error who "unknown option (expected errno, auto, jit, libffi or collect-safe)" o)]))
       options)
      p))

  ;; The call machinery for one jitffi_fn: (values procedure free). who-of: a thunk giving the
  ;; name its errors carry (computed only when one is raised).
  ;;
  ;; A call first tries the fast path: every argument is a fixnum in its integer type's range, a
  ;; flonum for float/double, a fixnum address or #f for a pointer, #t/#f for bool; each is
  ;; stored into its slot inline (no procedure call per argument, no conversion dispatch beyond a
  ;; comparison of the parameter's class). Any other argument (a bignum, an exact rational, a
  ;; string or bytevector for a pointer, a struct, a wrong type) sends the whole call to the slow
  ;; path: per-argument setters and copiers (built on the first such call), which convert or
  ;; raise with the full message.
  (define (make-caller who-of fn safe?)
    (let* ([sig (c-fn-sig fn)]
           [n (c-sig-nargs sig)]
           ;; the result's and the parameters' kinds in one C call
           [kind-bytes (let ([bv (make-bytevector (+ n 1))]) (c-sig-kinds sig bv (+ n 1)) bv)]
           [kinds (let loop ([i n] [ks '()])
                    (if (= i 0) ks (loop (- i 1) (cons (bytevector-u8-ref kind-bytes i) ks))))]
           [rt (ctype-of (c-sig-return sig))]
           ;; One C block: the slots, then the memory of arguments passed by address, then the
           ;; result buffer of jitffi_fn_call_slots.
           [slots-size (round16 (* 8 (max 1 n)))]
           [area-sizes (map (lambda (k i) (if (slot-kind? k) 0 (round16 (c-type-size* (c-sig-param sig i)))))
                            kinds (iota n))]
           [areas-size (max 16 (apply + area-sizes))]
           [slots (foreign-alloc (+ slots-size areas-size (max 16 (round16 (c-fn-return-size fn)))))]
           [area (+ slots slots-size)]
           [retbuf (+ area areas-size)]
           [address (c-fn-address fn)]
           [entry (c-fn-slots-entry fn)]
           [raw (and (not (eqv? entry 0)) (raw-caller entry rt safe? (and (fixnum? address) (fixnum? slots))))]
           ;; (call address slots): the slot entry itself, or jitffi_fn_call_slots and a read.
           [call (or raw
                     (let ([read-ret (reader rt (= (c-sig-abi sig) ABI-AAPCS64))])
                       (lambda (address slots)
                         (check (who-of) ((if safe? c-fn-call-slots/safe c-fn-call-slots) fn retbuf slots))
                         (read-ret retbuf))))]
           [classes (list->vector kinds)]
           ;; the fast path's stores go through sp (#f: no fast path, every call is slow)
           [sp (slot-pointer slots)]
           [slow #f])
      (define (wrong-count args)
        (argument-error (who-of) (format "expected ~a argument~a, got ~a" n (if (= n 1) "" "s") (length args)) args))
      (define-syntax invoke
        (syntax-rules () [(_) (call address slots)]))
      (define-syntax finish
        (syntax-rules ()
          [(_ e) (let ([r e]) (if pending-callback-error (raise-pending! (who-of)) r))]))
      ;; The slow path, built on first use: a setter per argument checks and stores it (or raises),
      ;; then the copiers make the C copies of strings and bytevectors, so that no check can fail
      ;; once C memory has been taken; the copies are released after the call, or when it raises.
      (define (build-slow)
        (let* ([who (who-of)] [quad? (= (c-sig-abi sig) ABI-AAPCS64)]
               [params (map (lambda (i) (ctype-of (c-sig-param sig i))) (iota n))]
               [setters (let loop ([ps params] [i 0] [off 0] [sizes area-sizes])
                          (if (null? ps) '()
                              (cons (make-setter who (car ps) i slots (+ area off) quad?)
                                    (loop (cdr ps) (+ i 1) (+ off (car sizes)) (cdr sizes)))))]
               [copiers (map (lambda (ct i) (and (= (ctype-kind ct) K-PTR) (pointer-copier i slots)))
                             params (iota n))])
          (define (call-with-temps temps)
            (let ([r (guard (e [#t (for-each release! temps) (raise e)]) (invoke))])
              (for-each release! temps)
              (finish r)))
          (define (general)
            (lambda args
              (unless (= (length args) n) (wrong-count args))
              (for-each (lambda (s v) (s v)) setters args)
              (let ([temps (filter values (map (lambda (c v) (and c (c v))) copiers args))])
                (if (null? temps) (finish (invoke)) (call-with-temps temps)))))
          ;; Without pointer parameters there is nothing to copy: up to 8 arguments, a procedure
          ;; of fixed arity calls the setters (structs by value take this path on every call).
          (define-syntax plain
            (syntax-rules ()
              [(_ (i a s) ...)
               (let ([s (list-ref setters i)] ...) (lambda (a ...) (s a) ... (finish (invoke))))]))
          (if (not (exists values copiers))
              (case n
                [(1) (plain (0 a s0))]
                [(2) (plain (0 a s0) (1 b s1))]
                [(3) (plain (0 a s0) (1 b s1) (2 c s2))]
                [(4) (plain (0 a s0) (1 b s1) (2 c s2) (3 d s3))]
                [(5) (plain (0 a s0) (1 b s1) (2 c s2) (3 d s3) (4 e s4))]
                [(6) (plain (0 a s0) (1 b s1) (2 c s2) (3 d s3) (4 e s4) (5 f s5))]
                [(7) (plain (0 a s0) (1 b s1) (2 c s2) (3 d s3) (4 e s4) (5 f s5) (6 g s6))]
                [(8) (plain (0 a s0) (1 b s1) (2 c s2) (3 d s3) (4 e s4) (5 f s5) (6 g s6) (7 h s7))]
                [else (general)])
              (general))))
      (define (slow-path) (or slow (begin (set! slow (build-slow)) slow)))
      ;; Up to 12 arguments: one clause of fixed arity, the parameters' kinds in local variables.
      (define-syntax fixed-arity
        (syntax-rules ()
          [(_ (i a c) ...)
           (let ([c (vector-ref classes i)] ...)
             (case-lambda
               [(a ...)
                (if (and (fast-store! sp (fx* 8 i) c a) ...)
                    (if callbacks-made? (finish (invoke)) (invoke))
                    ((slow-path) a ...))]
               [args (wrong-count args)]))]))
      ;; Up to 6 arguments all of one class (pow, atan2, fma; memcmp-like all-pointer or all-i64
      ;; functions): the class is a literal in the expansion, so each argument's class comparisons
      ;; fold away and only its type and range checks remain.
      (define-syntax uniform-arity
        (syntax-rules ()
          [(_ k (i a) ...)
           (case-lambda
             [(a ...)
              (if (and (fast-store! sp (fx* 8 i) k a) ...)
                  (if callbacks-made? (finish (invoke)) (invoke))
                  ((slow-path) a ...))]
             [args (wrong-count args)])]))
      (define-syntax uniform
        (syntax-rules ()
          [(_ k)
           (case n
             [(1) (uniform-arity k (0 a))]
             [(2) (uniform-arity k (0 a) (1 b))]
             [(3) (uniform-arity k (0 a) (1 b) (2 c))]
             [(4) (uniform-arity k (0 a) (1 b) (2 c) (3 d))]
             [(5) (uniform-arity k (0 a) (1 b) (2 c) (3 d) (4 e))]
             [(6) (uniform-arity k (0 a) (1 b) (2 c) (3 d) (4 e) (5 f))]
             [else #f])]))
      (define uniform-class
        (and sp (pair? kinds) (for-all (lambda (k) (eqv? k (car kinds))) kinds) (car kinds)))
      (values
       (or
        (case uniform-class
          [(13) (uniform 13)]   ; f64
          [(8) (uniform 8)]     ; i64
          [(6) (uniform 6)]     ; i32
          [(15) (uniform 15)]   ; ptr
          [else #f])
        (case (if sp n -1)
          [(0) (fixed-arity)]
          [(1) (fixed-arity (0 a c0))]
          [(2) (fixed-arity (0 a c0) (1 b c1))]
          [(3) (fixed-arity (0 a c0) (1 b c1) (2 c c2))]
          [(4) (fixed-arity (0 a c0) (1 b c1) (2 c c2) (3 d c3))]
          [(5) (fixed-arity (0 a c0) (1 b c1) (2 c c2) (3 d c3) (4 e c4))]
          [(6) (fixed-arity (0 a c0) (1 b c1) (2 c c2) (3 d c3) (4 e c4) (5 f c5))]
          [(7) (fixed-arity (0 a c0) (1 b c1) (2 c c2) (3 d c3) (4 e c4) (5 f c5) (6 g c6))]
          [(8) (fixed-arity (0 a c0) (1 b c1) (2 c c2) (3 d c3) (4 e c4) (5 f c5) (6 g c6) (7 h c7))]
          [(9) (fixed-arity (0 a c0) (1 b c1) (2 c c2) (3 d c3) (4 e c4) (5 f c5) (6 g c6) (7 h c7) (8 i c8))]
          [(10) (fixed-arity (0 a c0) (1 b c1) (2 c c2) (3 d c3) (4 e c4) (5 f c5) (6 g c6) (7 h c7) (8 i c8) (9 j c9))]
          [(11) (fixed-arity (0 a c0) (1 b c1) (2 c c2) (3 d c3) (4 e c4) (5 f c5) (6 g c6) (7 h c7) (8 i c8) (9 j c9) (10 k c10))]
          [(12) (fixed-arity (0 a c0) (1 b c1) (2 c c2) (3 d c3) (4 e c4) (5 f c5) (6 g c6) (7 h c7) (8 i c8) (9 j c9) (10 k c10) (11 l c11))]
          ;; More than 12: the slow path, built on the first call (making the setters reads
          ;; every parameter's type: most of the cost of making a procedure of many parameters).
          [else (if (> n 12) (lambda args (apply (slow-path) args)) (slow-path))]))
       (lambda () (foreign-free slots) (c-fn-free fn)))))

  ;; The fast path (see make-caller): a parameter's class is its jitffi_kind, compared with
  ;; literals so that each bound is an immediate (kinds without a fast path: always #f). Stores v
  ;; into the slot at off when it is on the fast path of its kind (#t), else #f. A fixnum's 64-bit
  ;; two's complement is the slot of any integer type it is in range of.
  (define-syntax fast-store!
    (syntax-rules ()
      [(_ sp off c v)
       (let ([x v])
         (define-syntax int-in
           (syntax-rules ()
             [(_ lo hi) (and (fixnum? x) (#3%fx<= lo x) (#3%fx<= x hi)
                             (begin (slot-set! fixnum sp off x) #t))]))
         (cond
           [(eq? c 8) (and (fixnum? x) (begin (slot-set! fixnum sp off x) #t))] ; i64
           [(eq? c 13) (and (flonum? x) (begin (slot-set! double-float sp off x) #t))] ; f64
           [(eq? c 6) (int-in -2147483648 2147483647)]                                       ; i32
           [(eq? c 15)                                                                       ; ptr
            (cond [(and (fixnum? x) (#3%fx>= x 0)) (slot-set! fixnum sp off x) #t]
                  [(eq? x #f) (slot-set! fixnum sp off 0) #t]
                  [else #f])]
           [(eq? c 9) (and (fixnum? x) (#3%fx>= x 0) (begin (slot-set! fixnum sp off x) #t))] ; u64
           [(eq? c 7) (int-in 0 4294967295)]                                                 ; u32
           [(eq? c 1)                                                                        ; bool
            (cond [(eq? x #t) (slot-set! fixnum sp off 1) #t]
                  [(eq? x #f) (slot-set! fixnum sp off 0) #t]
                  [else #f])]
           [(eq? c 12)                                                                       ; f32
            (and (flonum? x)
                 (begin (slot-set! fixnum sp off 0)
                        (slot-set! single-float sp off x) #t))]
           [(eq? c 4) (int-in -32768 32767)]                                                 ; i16
           [(eq? c 5) (int-in 0 65535)]                                                      ; u16
           [(eq? c 2) (int-in -128 127)]                                                     ; i8
           [(eq? c 3) (int-in 0 255)]                                                        ; u8
           [else #f]))]))
  (define (slot-kind? kind)
    (not (memv kind (list K-STRUCT K-UNION K-I128 K-U128 K-LDOUBLE))))
  (define (round16 n) (* 16 (div (+ n 15) 16)))

  ;; Variadic arguments: (c-arg "unsigned long" 5) gives the type; otherwise it is inferred from
  ;; the value: exact integers -> int (or long long, unsigned long long when out of int's range),
  ;; reals -> double, strings -> const char *, #f/bytevectors/callbacks -> void *, chars -> int.
  (define-record-type (c-arg-record c-arg c-arg?) (fields type value))
  (define (infer-type who v)
    (cond
      [(c-arg? v) (c-arg-record-type v)]
      [(and (integer? v) (exact? v))
       (cond [(<= (- (expt 2 31)) v (- (expt 2 31) 1)) "int"]
             [(<= (- (expt 2 63)) v (- (expt 2 63) 1)) "long long"]
             [(<= 0 v max-address) "unsigned long long"]
             [else (argument-error who "variadic integer out of the 64-bit range" v)])]
      [(char? v) "int"]
      [(real? v) "double"]
      [(string? v) "const char *"]
      [(or (not v) (bytevector? v) (callback? v)) "void *"]
      [else (argument-error who "cannot infer a C type for this variadic argument (use c-arg)" v)]))

  ;; Its calls' errors name the C function (or the signature when it has no name).
  (define (make-procedure fn options)
    (if (eqv? (c-sig-is-variadic (c-fn-sig fn)) 0)
        (let-values ([(call free) (make-caller (lambda () (fn-who fn)) fn
                                               (and (memq 'collect-safe options) #t))])
          (fn-guardian call free)
          (hashtable-set! procedure-infos call fn)
          call)
        (make-variadic (fn-who fn) fn options)))

  ;; A variadic function: one jitffi_fn per list of variadic types, kept for later calls.
  (define (make-variadic who fn options)
    (let* ([sig (c-fn-sig fn)] [nfixed (c-sig-fixed-count sig)] [address (c-fn-address fn)]
           [cache (make-hashtable equal-hash equal?)])
      (define (caller-for types)
        (or (hashtable-ref cache types #f)
            (let* ([n (length types)]
                   [arr (foreign-alloc (max 8 (* 8 n)))]
                   [strs (map (lambda (t) (let* ([bv (string->utf8 t)] [p (foreign-alloc (+ 1 (bytevector-length bv)))])
                                            (c-memcpy-to p bv (bytevector-length bv))
                                            (foreign-set! 'unsigned-8 p (bytevector-length bv) 0) p))
                              types)])
              (for-each (lambda (p i) (foreign-set! 'uptr arr (* 8 i) p)) strs (iota n))
              (let ([sig2 (guard (e [#t (for-each foreign-free strs) (foreign-free arr) (raise e)])
                            (with-out (lambda (o) (check who (c-sig-with-varargs sig arr n o) types))))])
                (for-each foreign-free strs) (foreign-free arr)
                (let ([fn2 (fn-create who sig2 address (options->c who options) types #t)])
                  (let-values ([(call free) (make-caller (lambda () who) fn2 (and (memq 'collect-safe options) #t))])
                    (let ([entry (cons call free)])
                      (hashtable-set! cache types entry)
                      entry)))))))
      (let ([proc
             (lambda args
               (when (< (length args) nfixed)
                 (argument-error who (format "expected at least ~a argument~a, got ~a" nfixed
                                           (if (= nfixed 1) "" "s") (length args)) args))
               (let* ([extra (list-tail args nfixed)]
                      [types (map (lambda (v) (infer-type who v)) extra)]
                      [call (car (caller-for types))])
                 (apply call (append (list-head args nfixed)
                                     (map (lambda (v) (if (c-arg? v) (c-arg-record-value v) v)) extra)))))])
        (fn-guardian proc (lambda ()
                            (vector-for-each (lambda (e) ((cdr e))) (hashtable-values cache))
                            (c-fn-free fn)))
        (hashtable-set! procedure-infos proc fn)
        proc)))

  ;; (pointer->procedure "double(double, double)" address 'errno ...) or a C prototype text; a
  ;; library among the options lends its declarations to the text.
  (define (pointer->procedure text address . options)
    (collect-fns!)
    (unless (and (integer? address) (exact? address) (<= 0 address max-address))
      (argument-error 'pointer->procedure "expected an address (an exact integer)" address))
    (let* ([plain (without-libs options)]
           [opts (options->c 'pointer->procedure plain)]     ; checked before anything is made
           [sig (cached-sig 'pointer->procedure text options)])
      (make-procedure (fn-create 'pointer->procedure sig address opts text #f) plain)))

  ;; A jitffi_fn from a signature; free?: the signature is freed whatever happens.
  (define (fn-create who sig address opts irritant free?)
    (let* ([out (make-bytevector 8 0)] [st (c-fn-create sig address opts out)])
      (unless (eqv? st 0)
        (let ([e (make-jitffi-error who st (list irritant))]) (when free? (c-sig-free sig)) (raise e)))
      (when free? (c-sig-free sig))
      (bytevector-u64-native-ref out 0)))

  ;; Parsed signatures by text, per library (its declarations) and for texts without one: a
  ;; procedure made again from the same text skips the parse (which costs more than the rest of
  ;; making it). Bounded: a full cache is emptied. The handles belong to the cache.
  ;; A cache is (table . count): an eq hashtable (fixnum keys) from a text's string-hash to the list of
  ;; (text . sig) with that hash, and how many texts it holds. One string hash per lookup, and the
  ;; table's own work is on fixnums: a string-keyed generic hashtable cost more per new text than
  ;; the rest of the Scheme side of making a procedure (callgrind).
  (define sig-cache-limit 256)
  (define (make-sig-cache) (cons (make-eq-hashtable) 0))
  (define plain-sigs (make-sig-cache))
  (define sigs-mutex (make-mutex))
  (define (sig-cache-ref c h text)                  ; with sigs-mutex held
    (let loop ([l (hashtable-ref (car c) h '())])
      (cond [(null? l) #f]
            [(string=? (caar l) text) (cdar l)]
            [else (loop (cdr l))])))
  (define (sig-cache-empty! c)                     ; with sigs-mutex held
    (vector-for-each (lambda (l) (for-each (lambda (p) (c-sig-free (cdr p))) l))
                     (hashtable-values (car c)))
    (hashtable-clear! (car c))
    (set-cdr! c 0))
  (define (clear-sigs! c)
    (with-mutex sigs-mutex (sig-cache-empty! c)))
  (define (cached-sig who text options)
    (if (not (string? text))
        (parse-sig who text options)                     ; raises the usual error
        (let* ([lib (find library-handle? options)]
               [c (if lib (library-handle-sigs lib) plain-sigs)]
               [h (string-hash text)])
          (mutex-acquire sigs-mutex)
          (let ([sig (sig-cache-ref c h text)])
            (mutex-release sigs-mutex)
            (or sig
                (let ([sig (parse-sig who text options)])
                  ;; nothing below raises: no unwinding to release the mutex for
                  (mutex-acquire sigs-mutex)
                  (let ([other (sig-cache-ref c h text)])   ; another thread parsed it meanwhile?
                    (cond
                      [other (c-sig-free sig)]
                      [else
                       (when (>= (cdr c) sig-cache-limit) (sig-cache-empty! c))
                       (let ([t (car c)] [entry (cons (string->immutable-string text) sig)])
                         (hashtable-set! t h (cons entry (hashtable-ref t h '()))))
                       (set-cdr! c (+ (cdr c) 1))])
                    (mutex-release sigs-mutex)
                    (or other sig))))))))

  ;; ---- Libraries ------------------------------------------------------------------------------
  ;; sigs: the library's signature cache (see cached-sig).
  (define-record-type (library-handle make-library-handle library-handle?)
    (fields (mutable ptr) (immutable sigs))
    (protocol (lambda (new) (lambda (p) (new p (make-sig-cache))))))
  (define lib-guardian (make-guardian))
  (define (lib-ptr who lib)
    (unless (library-handle? lib) (argument-error who "not a library" lib))
    (let ([p (library-handle-ptr lib)])
      (when (eqv? p 0) (argument-error who "library is closed" lib))
      p))
  (define (collect-libs!)
    (let loop ()
      (let ([l (lib-guardian)])
        (when l (library-close! l) (loop)))))
  (define (wrap-lib p) (let ([l (make-library-handle p)]) (lib-guardian l) l))
  ;; (open-library "sqlite3") or a soname or path; flags: 'global, 'lazy.
  (define (open-library name . flags)
    (collect-libs!)
    (let ([f (fold-left (lambda (acc fl)
                          (case fl
                            [(global) (logor acc 1)] [(lazy) (logor acc 2)]
                            [else (argument-error 'open-library "unknown flag (expected global or lazy)" fl)]))
                        0 flags)])
      (wrap-lib (with-out (lambda (o) (check 'open-library (c-lib-open-flags name f o) name))))))
  (define (self-library)
    (wrap-lib (with-out (lambda (o) (check 'self-library (c-lib-open-self o))))))
  (define (library-close! lib)
    (let ([p (library-handle-ptr lib)])
      (unless (eqv? p 0)
        (library-handle-ptr-set! lib 0)
        (clear-sigs! (library-handle-sigs lib))
        (c-lib-close p))))
  (define (library-name lib) (c-lib-name (lib-ptr 'library-name lib)))
  (define (library-declare! lib text)
    (check 'library-declare! (c-lib-declare (lib-ptr 'library-declare! lib) text) text)
    (clear-sigs! (library-handle-sigs lib)))        ; new declarations can change what a text means
  (define (library-symbol lib name)
    (with-out (lambda (o) (check 'library-symbol (c-lib-symbol (lib-ptr 'library-symbol lib) name o) name))))
  ;; (foreign-function lib "int sqlite3_open(const char *, sqlite3 **)" 'errno ...)
  (define (foreign-function lib prototype . options)
    (collect-fns!)
    (let* ([p (lib-ptr 'foreign-function lib)]
           [opts (options->c 'foreign-function options)]
           [sig (cached-sig 'foreign-function prototype (list lib))]
           [fn (with-out (lambda (o) (check 'foreign-function (c-lib-function-sig p sig opts o) prototype)))])
      (make-procedure fn options)))

  ;; ---- Types ------------------------------------------------------------------------------------
  ;; lib: a library (its declarations are used) or #f (the host ABI's types only).
  (define (with-type who lib text f)
    (let ([t (if lib
                 (with-out (lambda (o) (check who (c-lib-type (lib-ptr who lib) text o) text)))
                 (with-out (lambda (o) (check who (c-type-parse 0 text o) text))))])
      (let ([r (guard (e [#t (c-type-free t) (raise e)]) (f t))]) (c-type-free t) r)))
  (define (c-type-size lib text) (with-type 'c-type-size lib text c-type-size*))
  (define (c-type-align lib text) (with-type 'c-type-align lib text c-type-align*))
  (define (c-type-canonical lib text) (with-type 'c-type-canonical lib text c-type-canonical*))
  ;; A struct's or union's members: a list of (name offset canonical-type size).
  (define (c-type-layout lib text)
    (with-type 'c-type-layout lib text
      (lambda (t)
        (let ([n (c-type-member-count t)])
          (when (zero? n) (argument-error 'c-type-layout "not a struct or union" text))
          (let ([name (foreign-alloc 8)] [mt (foreign-alloc 8)] [off (foreign-alloc 8)])
            (let ([r (map (lambda (i)
                            (check 'c-type-layout (c-type-member-at t i name mt off) text)
                            (list (pointer->string (foreign-ref 'uptr name 0))
                                  (foreign-ref 'uptr off 0)
                                  (c-type-canonical* (foreign-ref 'uptr mt 0))
                                  (c-type-size* (foreign-ref 'uptr mt 0))))
                          (iota n))])
              (foreign-free name) (foreign-free mt) (foreign-free off)
              r))))))

  ;; ---- Callbacks ------------------------------------------------------------------------------
  ;; Every jitffi closure made here has the same handler: one foreign-callable, its code object
  ;; locked for the life of the process, that finds the Scheme side by the closure's user_data
  ;; (an integer key into `callbacks`).
  (define-record-type cbentry (fields proc readers write-ret ret-size sig-text (mutable error)))
  (define callbacks (make-eqv-hashtable))
  (define next-callback-id 1)
  (define-record-type (callback make-callback-record callback?)
    (fields (mutable closure) id address sig-text))
  (define callback-guardian (make-guardian))

  (define (dispatch ret args id)
    (let ([e (hashtable-ref callbacks id #f)])
      (when e
        (guard (c [#t (unless (zero? (cbentry-ret-size e))
                        (c-memcpy-to ret (make-bytevector (cbentry-ret-size e) 0) (cbentry-ret-size e)))
                      (cbentry-error-set! e c)
                      (unless pending-callback-error (set! pending-callback-error c))])
          (let ([vals (let loop ([rs (cbentry-readers e)] [i 0])
                        (if (null? rs) '()
                            (cons ((car rs) (#3%foreign-ref 'uptr args (fx* 8 i))) (loop (cdr rs) (+ i 1)))))])
            ((cbentry-write-ret e) ret (apply (cbentry-proc e) vals)))))))
  (define dispatch-code
    (let ([code (foreign-callable dispatch (uptr uptr uptr) void)])
      (lock-object code)
      code))
  (define dispatch-address (foreign-callable-entry-point dispatch-code))
  ;; Threads that Chez does not know (made by C) get a Scheme context for each callback they make:
  ;; jitffi calls Sactivate_thread before the handler and, when that made a new context,
  ;; Sdestroy_thread after it (the scheme executable exports both). (0 . 0): no hooks.
  (define thread-hooks
    (or (and (threaded?)
             (guard (e [#t #f])
               (let ([self (with-out (lambda (o) (check 'jitffi (c-lib-open-self o))))])
                 (let ([sym (lambda (name) (with-out (lambda (o) (check 'jitffi (c-lib-symbol self name o)))))])
                   (cons (sym "Sactivate_thread") (sym "Sdestroy_thread"))))))
        (cons 0 0)))

  ;; Writes a callback's Scheme result as the C result type.
  (define (ret-writer who ct quad?)
    (let ([kind (ctype-kind ct)] [size (ctype-size ct)] [name (ctype-canonical ct)])
      (define (bad v what) (argument-error who (format "callback result (~a): expected ~a" name what) v))
      (define (int! type lo hi)
        (lambda (a v)
          (let ([n (if (char? v) (char->integer v) v)])
            (unless (and (integer? n) (exact? n) (<= lo n hi))
              (bad v (format "an exact integer in [~a, ~a]" lo hi)))
            (foreign-set! type a 0 n))))
      (cond
        [(= kind K-VOID) (lambda (a v) (void))]
        [(= kind K-BOOL) (lambda (a v) (unless (boolean? v) (bad v "#t or #f"))
                           (foreign-set! 'unsigned-64 a 0 (if v 1 0)))]
        [(memv kind (list K-I8 K-I16 K-I32 K-I64))
         (let-values ([(lo hi) (int-bounds kind)]) (int! 'integer-64 lo hi))]
        [(memv kind (list K-U8 K-U16 K-U32 K-U64))
         (let-values ([(lo hi) (int-bounds kind)]) (int! 'unsigned-64 lo hi))]
        [(= kind K-F32) (lambda (a v) (unless (real? v) (bad v "a real number"))
                          (foreign-set! 'single-float a 0 (inexact v)))]
        [(= kind K-F64) (lambda (a v) (unless (real? v) (bad v "a real number"))
                          (foreign-set! 'double-float a 0 (inexact v)))]
        [(= kind K-PTR)
         (lambda (a v)
           (cond [(not v) (foreign-set! 'uptr a 0 0)]
                 [(and (integer? v) (exact? v) (<= 0 v max-address)) (foreign-set! 'uptr a 0 v)]
                 [(callback? v) (foreign-set! 'uptr a 0 (callback-address v))]
                 [else (bad v "#f, an address or a callback (strings cannot outlive the callback)")]))]
        [(memv kind (list K-I128 K-U128))
         (let-values ([(lo hi) (int-bounds kind)])
           (lambda (a v)
             (unless (and (integer? v) (exact? v) (<= lo v hi)) (bad v "an exact integer in range"))
             (let ([bv (make-bytevector 16)]) (bytevector-sint-set! bv 0 v 'little 16) (c-memcpy-to a bv 16))))]
        [(= kind K-LDOUBLE)
         (lambda (a v) (unless (real? v) (bad v "a real number")) (c-memcpy-to a (ldouble->bytes v quad?) 16))]
        [else
         (lambda (a v)
           (unless (and (bytevector? v) (= (bytevector-length v) size))
             (bad v (format "a bytevector of ~a bytes" size)))
           (c-memcpy-to a v size))])))

  ;; How many callbacks are alive (made and not yet freed).
  (define (live-callbacks) (hashtable-size callbacks))
  (define (collect-callbacks!)
    (let loop ()
      (let ([cb (callback-guardian)])
        (when cb (callback-free! cb) (loop)))))

  ;; (make-callback "int(const void *, const void *)" proc 'errno lib ...): a C function pointer that
  ;; calls proc. Freed by callback-free!, or by a guardian once the callback object is
  ;; unreachable (checked at each make-callback and by collect-callbacks!): keep it reachable while
  ;; C may call it.
  (define (make-callback text proc . options)
    (collect-callbacks!)
    (unless (procedure? proc) (argument-error 'make-callback "expected a procedure" proc))
    (set! callbacks-made? #t)
    (let ([sig (parse-sig 'make-callback text options)] [options (without-libs options)])
      (guard (e [#t (c-sig-free sig) (raise e)])
        (let* ([n (c-sig-nargs sig)] [quad? (= (c-sig-abi sig) ABI-AAPCS64)]
               [params (map (lambda (i) (ctype-of (c-sig-param sig i))) (iota n))]
               [rt (ctype-of (c-sig-return sig))]
               [canon (c-sig-canonical sig)]
               [id next-callback-id]
               [entry (make-cbentry proc (map (lambda (ct) (reader ct quad?)) params)
                                    (ret-writer 'make-callback rt quad?)
                                    (if (= (ctype-kind rt) K-VOID) 0
                                        (max 8 (ctype-size rt)))
                                    canon #f)])
          (unless (eqv? (c-sig-is-variadic sig) 0)
            (argument-error 'make-callback "a callback cannot be variadic" text))
          (set! next-callback-id (+ id 1))
          (hashtable-set! callbacks id entry)
          (let* ([opts (options->c 'make-callback options)]
                 [cl (guard (e [#t (hashtable-delete! callbacks id) (raise e)])
                       (with-out (lambda (o) (check 'make-callback
                                                    (c-closure-create-hooked sig dispatch-address id 0 opts
                                                                             (car thread-hooks) (cdr thread-hooks) o)
                                                    text))))])
            (c-sig-free sig)
            (let ([cb (make-callback-record cl id (c-closure-code cl) canon)])
              (callback-guardian cb)
              cb))))))
  (define (callback-free! cb)
    (let ([cl (callback-closure cb)])
      (unless (eqv? cl 0)
        (callback-closure-set! cb 0)
        (c-closure-free cl)
        (hashtable-delete! callbacks (callback-id cb)))))
  ;; The last condition the callback's procedure raised (#f if none).
  (define (callback-error cb)
    (let ([e (hashtable-ref callbacks (callback-id cb) #f)]) (and e (cbentry-error e))))
)
