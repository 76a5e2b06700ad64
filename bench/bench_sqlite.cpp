// Inserting and querying 100,000 sqlite rows: the same program through the jitffi binding
// (libsqlite3 opened at run time, every call through a prepared foreign call) and linked directly
// against libsqlite3. Rows: sqlite_insert_query/binding (default back end: the JIT),
// sqlite_insert_query/binding_libffi, sqlite_insert_query/direct. Each iteration creates an
// in-memory database, inserts the rows in one transaction through one prepared statement, reads
// them all back, checks the sums and closes the database.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "jitffi/bindings/sqlite3.h"

namespace {

constexpr int kRows = 100000;
namespace sq = jitffi::bindings::sqlite;

// The row values, computed the same way by both programs.
struct Row {
  std::int64_t id;
  double value;
  char text[24];
  int text_len;
};

const std::vector<Row> &rows() {
  static const std::vector<Row> r = [] {
    std::vector<Row> v(kRows);
    for (int i = 0; i < kRows; ++i) {
      v[i].id = i;
      v[i].value = i * 0.5;
      v[i].text_len = std::snprintf(v[i].text, sizeof v[i].text, "row-%d", i * 7);
    }
    return v;
  }();
  return r;
}

struct Sums {
  std::int64_t ids = 0;
  double values = 0;
  std::int64_t text_bytes = 0;
  bool operator==(const Sums &) const = default;
};

const Sums &expected() {
  static const Sums s = [] {
    Sums e;
    for (const Row &r : rows()) {
      e.ids += r.id;
      e.values += r.value;
      e.text_bytes += r.text_len;
    }
    return e;
  }();
  return s;
}

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "bench_sqlite: %s\n", what);
    std::abort();
  }
}

Sums run_binding(const sq::Sqlite3 &lib) {
  auto db = sq::Database::open(lib, ":memory:");
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, value REAL, name TEXT)");
  db.exec("BEGIN");
  {
    auto ins = db.prepare("INSERT INTO t VALUES(?, ?, ?)");
    for (const Row &r : rows()) {
      ins.bind_int64(1, r.id)
          .bind_double(2, r.value)
          .bind_text(3, std::string_view(r.text, r.text_len));
      ins.step();
      ins.reset();
    }
  }
  db.exec("COMMIT");
  Sums s;
  auto q = db.prepare("SELECT id, value, name FROM t");
  while (q.step()) {
    s.ids += q.column_int64(0);
    s.values += q.column_double(1);
    s.text_bytes += static_cast<std::int64_t>(q.column_text(2).size());
  }
  return s;
}

// The same program written against the C API as a direct user would, with the same checks.
Sums run_direct() {
  sqlite3 *db = nullptr;
  check(sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) ==
            SQLITE_OK,
        "open");
  check(sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, value REAL, name TEXT)", nullptr,
                     nullptr, nullptr) == SQLITE_OK,
        "create");
  check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK, "begin");
  sqlite3_stmt *ins = nullptr;
  check(sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?, ?, ?)", -1, &ins, nullptr) == SQLITE_OK,
        "prepare insert");
  for (const Row &r : rows()) {
    check(sqlite3_bind_int64(ins, 1, r.id) == SQLITE_OK, "bind");
    check(sqlite3_bind_double(ins, 2, r.value) == SQLITE_OK, "bind");
    check(sqlite3_bind_text(ins, 3, r.text, r.text_len, SQLITE_TRANSIENT) == SQLITE_OK, "bind");
    check(sqlite3_step(ins) == SQLITE_DONE, "step");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK, "commit");
  Sums s;
  sqlite3_stmt *q = nullptr;
  check(sqlite3_prepare_v2(db, "SELECT id, value, name FROM t", -1, &q, nullptr) == SQLITE_OK,
        "prepare select");
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    s.ids += sqlite3_column_int64(q, 0);
    s.values += sqlite3_column_double(q, 1);
    const unsigned char *t = sqlite3_column_text(q, 2);
    int n = sqlite3_column_bytes(q, 2);
    s.text_bytes += static_cast<std::int64_t>(std::string(t, t + n).size());
  }
  check(rc == SQLITE_DONE, "select");
  sqlite3_finalize(q);
  check(sqlite3_close(db) == SQLITE_OK, "close");
  return s;
}

void BM_binding(benchmark::State &state, jitffi::BackendChoice backend) {
  // Functions pick their back end when they are prepared, i.e. when the library is opened.
  jitffi::BackendChoice saved = jitffi::default_backend();
  jitffi::set_default_backend(backend);
  sq::Sqlite3 lib;
  jitffi::set_default_backend(saved);
  state.SetLabel(std::string(jitffi::backend_name(lib.api().step.backend())));
  for (auto _ : state) {
    Sums s = run_binding(lib);
    check(s == expected(), "binding: wrong sums");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_direct(benchmark::State &state) {
  for (auto _ : state) {
    Sums s = run_direct();
    check(s == expected(), "direct: wrong sums");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

BENCHMARK(BM_direct)->Name("sqlite_insert_query/direct")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_binding, auto, jitffi::BackendChoice::Auto)
    -> Name("sqlite_insert_query/binding") -> Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_binding, libffi, jitffi::BackendChoice::Libffi)
    ->Name("sqlite_insert_query/binding_libffi")
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
