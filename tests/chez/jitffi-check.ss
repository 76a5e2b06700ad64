;;; A small test runner for the Scheme tests of (jitffi): each (test "name" body ...) runs at
;;; once, counts as failed if a check in it fails or it raises, and (done) prints the counts and
;;; exits non-zero when anything failed.
(library (jitffi-check)
  (export test check check-equal check-close check-raise check-message done
          testlib-path condition->string)
  (import (chezscheme))

  (define passed 0)
  (define failed 0)
  (define current "")
  (define current-ok #t)

  (define (condition->string e)
    (if (condition? e)
        (call-with-string-output-port (lambda (p) (display-condition e p)))
        (format "~s" e)))

  (define (fail! fmt . args)
    (set! current-ok #f)
    (printf "  FAIL ~a: ~a\n" current (apply format fmt args)))

  (define (run-test name thunk)
    (set! current name)
    (set! current-ok #t)
    (guard (e [#t (fail! "raised ~a" (condition->string e))])
      (thunk))
    (if current-ok
        (begin (set! passed (+ passed 1)) (printf "ok   ~a\n" name))
        (begin (set! failed (+ failed 1)) (printf "FAIL ~a\n" name))))
  (define-syntax test
    (syntax-rules ()
      [(_ name body ...) (run-test name (lambda () body ...))]))

  (define-syntax check
    (syntax-rules ()
      [(_ expr) (unless expr (fail! "~s is false" 'expr))]))
  (define-syntax check-equal
    (syntax-rules ()
      [(_ expected expr)
       (let ([v expr] [x expected])
         (unless (equal? v x) (fail! "~s gave ~s, expected ~s" 'expr v x)))]))
  (define-syntax check-close
    (syntax-rules ()
      [(_ expected expr)
       (let ([v expr] [x expected])
         (unless (and (real? v) (< (abs (- v x)) (* 1e-9 (max 1 (abs x)))))
           (fail! "~s gave ~s, expected ~s" 'expr v x)))]))
  ;; (check-raise pred expr): expr must raise a condition satisfying pred; returns it (or #f).
  (define-syntax check-raise
    (syntax-rules ()
      [(_ pred expr)
       (call/cc
        (lambda (k)
          (with-exception-handler
           (lambda (e)
             (unless (pred e) (fail! "~s raised ~a, which is not ~s" 'expr (condition->string e) 'pred))
             (k e))
           (lambda () (let ([v expr]) (fail! "~s returned ~s instead of raising" 'expr v) #f)))))]))
  ;; (check-message "text" expr): expr raises a condition whose message contains text.
  (define-syntax check-message
    (syntax-rules ()
      [(_ text expr)
       (let ([e (check-raise condition? expr)])
         (when e
           (let ([m (if (message-condition? e) (condition-message e) "")])
             (unless (string-contains m text)
               (fail! "~s raised ~s, expected a message containing ~s" 'expr m text))))
         e)]))
  (define (string-contains s sub)
    (let ([n (string-length s)] [k (string-length sub)])
      (let loop ([i 0])
        (cond [(> (+ i k) n) #f]
              [(string=? (substring s i (+ i k)) sub) #t]
              [else (loop (+ i 1))]))))

  (define (testlib-path)
    (or (getenv "JITFFI_TESTLIB") (error 'testlib-path "JITFFI_TESTLIB is not set")))

  (define (done)
    (printf "~a passed, ~a failed\n" passed failed)
    (exit (if (and (zero? failed) (> passed 0)) 0 1))))
