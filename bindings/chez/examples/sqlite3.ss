;;; sqlite3 from Chez Scheme through (jitffi): the library declared by C prototypes, a table
;;; created, rows inserted with bound parameters, read back with a row callback (a Scheme
;;; procedure that sqlite3_exec calls) and with a prepared statement.
;;;   JITFFI_LIBRARY=build/libjitffi.so scheme -q --libdirs bindings/chez --script bindings/chez/examples/sqlite3.ss
(import (chezscheme) (jitffi))

(define sql (open-library "sqlite3"))
(library-declare! sql "typedef struct sqlite3 sqlite3; typedef struct sqlite3_stmt sqlite3_stmt;
                       typedef long long sqlite3_int64;")
(define-syntax define-sqlite
  (syntax-rules ()
    [(_ name prototype) (define name (foreign-function sql prototype))]))
(define-sqlite sqlite3-open "int sqlite3_open(const char *filename, sqlite3 **db)")
(define-sqlite sqlite3-close "int sqlite3_close(sqlite3 *)")
(define-sqlite sqlite3-errmsg "const char *sqlite3_errmsg(sqlite3 *)")
(define-sqlite sqlite3-exec
  "int sqlite3_exec(sqlite3 *, const char *sql, int (*callback)(void *, int, char **, char **), void *, char **errmsg)")
(define-sqlite sqlite3-free "void sqlite3_free(void *)")
(define-sqlite sqlite3-prepare "int sqlite3_prepare_v2(sqlite3 *, const char *, int, sqlite3_stmt **, const char **)")
(define-sqlite sqlite3-bind-text "int sqlite3_bind_text(sqlite3_stmt *, int, const char *, int, void (*)(void *))")
(define-sqlite sqlite3-bind-int64 "int sqlite3_bind_int64(sqlite3_stmt *, int, sqlite3_int64)")
(define-sqlite sqlite3-bind-double "int sqlite3_bind_double(sqlite3_stmt *, int, double)")
(define-sqlite sqlite3-step "int sqlite3_step(sqlite3_stmt *)")
(define-sqlite sqlite3-reset "int sqlite3_reset(sqlite3_stmt *)")
(define-sqlite sqlite3-finalize "int sqlite3_finalize(sqlite3_stmt *)")
(define-sqlite sqlite3-column-text "const unsigned char *sqlite3_column_text(sqlite3_stmt *, int)")
(define-sqlite sqlite3-column-int64 "sqlite3_int64 sqlite3_column_int64(sqlite3_stmt *, int)")
(define-sqlite sqlite3-column-double "double sqlite3_column_double(sqlite3_stmt *, int)")
(define SQLITE_OK 0) (define SQLITE_ROW 100) (define SQLITE_DONE 101)
;; Strings passed to C live for the call only: sqlite3 must copy them (SQLITE_TRANSIENT).
(define SQLITE_TRANSIENT (- (expt 2 64) 1))

;; An out parameter (sqlite3 **): a bytevector is copied to C for the call and back after it.
(define (out-pointer f)
  (let ([bv (make-bytevector 8 0)]) (f bv) (bytevector-u64-native-ref bv 0)))

(define db
  (out-pointer (lambda (p) (unless (= SQLITE_OK (sqlite3-open ":memory:" p))
                             (error 'sqlite3_open "cannot open")))))
(define (exec! text)
  (let ([errmsg (make-bytevector 8 0)])
    (unless (= SQLITE_OK (sqlite3-exec db text #f #f errmsg))
      (let* ([p (bytevector-u64-native-ref errmsg 0)] [m (pointer->string p)])
        (sqlite3-free p)
        (error 'exec! m text)))))
(define (check rc what)
  (unless (= rc SQLITE_OK) (error what (sqlite3-errmsg db))))

(exec! "CREATE TABLE people (name TEXT NOT NULL, age INTEGER, height REAL)")

;; Insert with bound parameters through one prepared statement.
(let ([stmt (out-pointer (lambda (p) (check (sqlite3-prepare db "INSERT INTO people VALUES (?, ?, ?)" -1 p #f)
                                            'sqlite3_prepare_v2)))])
  (for-each (lambda (row)
              (check (sqlite3-bind-text stmt 1 (car row) -1 SQLITE_TRANSIENT) 'bind)
              (check (sqlite3-bind-int64 stmt 2 (cadr row)) 'bind)
              (check (sqlite3-bind-double stmt 3 (caddr row)) 'bind)
              (unless (= SQLITE_DONE (sqlite3-step stmt)) (error 'step (sqlite3-errmsg db)))
              (check (sqlite3-reset stmt) 'reset))
            '(("alice" 30 1.68) ("bob" 25 1.82) ("zoë" 41 1.59) ("dan" 5000000000 1.75)))
  (sqlite3-finalize stmt))

;; Select with a row callback: sqlite3_exec calls a Scheme procedure once per row.
(define rows '())
(define on-row
  (make-callback "int(void *, int, char **, char **)"
                 (lambda (user ncols values names)
                   (let ([col (lambda (arr i) (pointer->string (foreign-ref 'uptr arr (* 8 i))))])
                     (set! rows (cons (map (lambda (i) (cons (col names i) (col values i))) (iota ncols))
                                      rows)))
                   0)))
(unless (= SQLITE_OK (sqlite3-exec db "SELECT name, age FROM people WHERE age > 26 ORDER BY age" on-row #f #f))
  (error 'sqlite3_exec (sqlite3-errmsg db)))
(callback-free! on-row)
(for-each (lambda (r) (printf "row: ~a\n" r)) (reverse rows))

;; Select with a prepared statement and typed columns.
(define stmt (out-pointer (lambda (p) (check (sqlite3-prepare db "SELECT name, age, height FROM people ORDER BY name" -1 p #f) 'prepare))))
;; const unsigned char * is not a C string to jitffi (only char * is): an address, read with
;; pointer->string.
(define selected
  (let loop ([acc '()])
    (if (= (sqlite3-step stmt) SQLITE_ROW)
        (loop (cons (list (pointer->string (sqlite3-column-text stmt 0))
                          (sqlite3-column-int64 stmt 1) (sqlite3-column-double stmt 2))
                    acc))
        (reverse acc))))
(sqlite3-finalize stmt)
(for-each (lambda (r) (printf "select: ~a\n" r)) selected)
(sqlite3-close db)

;; The example checks itself, so that the test that runs it can fail.
(define expected-rows
  '((("name" . "alice") ("age" . "30")) (("name" . "zoë") ("age" . "41"))
    (("name" . "dan") ("age" . "5000000000"))))
(define expected-selected
  '(("alice" 30 1.68) ("bob" 25 1.82) ("dan" 5000000000 1.75) ("zoë" 41 1.59)))
(if (and (equal? (reverse rows) expected-rows) (equal? selected expected-selected))
    (begin (printf "sqlite3 example: ok\n") (exit 0))
    (begin (printf "sqlite3 example: unexpected results\n") (exit 1)))
