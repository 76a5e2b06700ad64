// 100,000 rows into MariaDB and back: the same program through the jitffi binding (libmariadb
// opened at run time) and linked directly against libmariadb. Each iteration recreates the table
// (not timed), inserts the rows through one prepared statement, one mysql_stmt_execute per row,
// committed in batches of 1,000 rows, then reads them all back through a prepared SELECT (one
// mysql_stmt_fetch per row) and checks the sums. Before timing, both sides' rows are read back in
// full and compared with the rows inserted. Rows: mariadb_insert_query/direct, .../binding (the
// default back end: the JIT), .../binding_libffi.
//
// The server: $JITFFI_MARIADB_SOCKET when set, else a private mariadbd started for the run (the
// tests' TestServer: temporary directory, removed at the end).
#include <benchmark/benchmark.h>
#include <mysql.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "jitffi/bindings/mariadb.h"
#include "test_server.h"

namespace {

namespace my = jitffi::bindings::mariadb;

// $JITFFI_BENCH_ROWS overrides the row count (fewer rows for the callgrind count).
const int kRows = [] {
  const char *e = std::getenv("JITFFI_BENCH_ROWS");
  return e && std::atoi(e) > 0 ? std::atoi(e) : 100000;
}();
constexpr int kBatch = 1000;
std::string g_socket;

struct Row {
  long long id;
  std::string name;
  double value;
  int qty;
  bool operator==(const Row &o) const {
    return id == o.id && name == o.name && value == o.value && qty == o.qty;
  }
};

Row make_row(int i) {
  return {i, "name-" + std::to_string(i * 7919 % 100003), i * 0.5, i % 1000};
}

struct Sums {
  long long id = 0, qty = 0, name_bytes = 0, rows = 0;
  double value = 0;
  bool operator==(const Sums &o) const {
    return id == o.id && qty == o.qty && name_bytes == o.name_bytes && rows == o.rows &&
           value == o.value;
  }
};

Sums expected() {
  Sums s;
  for (int i = 0; i < kRows; ++i) {
    Row r = make_row(i);
    s.id += r.id, s.qty += r.qty, s.name_bytes += static_cast<long long>(r.name.size());
    s.value += r.value, ++s.rows;
  }
  return s;
}

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "bench_mariadb: %s\n", what);
    std::abort();
  }
}

const char *kCreate =
    "CREATE TABLE bench.t (id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, value DOUBLE, "
    "qty INT) ENGINE=InnoDB";
const char *kInsert = "INSERT INTO bench.t VALUES (?, ?, ?, ?)";
const char *kSelect = "SELECT id, name, value, qty FROM bench.t ORDER BY id";

// ---- Through the binding ----

my::MariaDB open_with(jitffi::BackendChoice backend) {
  const jitffi::BackendChoice saved = jitffi::default_backend();
  jitffi::set_default_backend(backend);
  my::MariaDB lib;
  jitffi::set_default_backend(saved);
  return lib;
}

my::Connection connect_binding(const my::MariaDB &lib) {
  my::ConnectOptions o;
  o.host = "localhost";
  o.unix_socket = g_socket;
  return my::Connection::connect(lib, o);
}

void recreate_binding(my::Connection &db) {
  db.execute("DROP TABLE IF EXISTS bench.t");
  db.execute(kCreate);
}

__attribute__((noinline)) Sums run_binding(my::Connection &db,
                                           std::vector<Row> *collect = nullptr) {
  {
    auto ins = db.prepare(kInsert);
    my::Binds p = ins.make_params();
    db.autocommit(false);
    for (int i = 0; i < kRows; ++i) {
      Row r = make_row(i);
      p.set_int64(0, r.id);
      p.set_string(1, r.name);
      p.set_double(2, r.value);
      p.set_int32(3, r.qty);
      ins.execute(p);
      if ((i + 1) % kBatch == 0) db.commit();
    }
    db.commit();
    db.autocommit(true);
  }
  Sums s;
  auto sel = db.prepare(kSelect);
  sel.execute();
  const my::Binds &row = sel.row();
  while (sel.fetch()) {
    long long id = row.int64(0);
    std::string_view name = row.bytes(1);
    double value = row.double_(2);
    long long qty = row.int64(3);
    s.id += id, s.qty += qty, s.name_bytes += static_cast<long long>(name.size());
    s.value += value, ++s.rows;
    if (collect) collect->push_back({id, std::string(name), value, static_cast<int>(qty)});
  }
  return s;
}

// ---- Linked directly ----

MYSQL *connect_direct() {
  MYSQL *m = mysql_init(nullptr);
  check(mysql_real_connect(m, "localhost", "root", nullptr, nullptr, 0, g_socket.c_str(), 0) !=
            nullptr,
        "direct: connect failed");
  return m;
}

void q(MYSQL *m, const char *sql) {
  if (mysql_query(m, sql)) {
    std::fprintf(stderr, "bench_mariadb: %s: %s\n", sql, mysql_error(m));
    std::abort();
  }
}

void recreate_direct(MYSQL *m) {
  q(m, "DROP TABLE IF EXISTS bench.t");
  q(m, kCreate);
}

__attribute__((noinline)) Sums run_direct(MYSQL *m, std::vector<Row> *collect = nullptr) {
  {
    MYSQL_STMT *ins = mysql_stmt_init(m);
    check(mysql_stmt_prepare(ins, kInsert, std::strlen(kInsert)) == 0, "direct: prepare insert");
    long long id = 0;
    double value = 0;
    int qty = 0;
    std::string name;
    unsigned long name_len = 0;
    MYSQL_BIND b[4];
    std::memset(b, 0, sizeof b);
    b[0].buffer_type = MYSQL_TYPE_LONGLONG, b[0].buffer = &id;
    b[1].buffer_type = MYSQL_TYPE_STRING, b[1].length = &name_len;
    b[2].buffer_type = MYSQL_TYPE_DOUBLE, b[2].buffer = &value;
    b[3].buffer_type = MYSQL_TYPE_LONG, b[3].buffer = &qty;
    const char *bound = nullptr;
    mysql_autocommit(m, 0);
    for (int i = 0; i < kRows; ++i) {
      Row r = make_row(i);
      id = r.id, value = r.value, qty = r.qty;
      name = r.name;
      name_len = static_cast<unsigned long>(name.size());
      if (bound != name.data()) {  // bind again only when the string's buffer moved
        b[1].buffer = name.data();
        b[1].buffer_length = static_cast<unsigned long>(name.capacity());
        check(mysql_stmt_bind_param(ins, b) == 0, "direct: bind");
        bound = name.data();
      }
      if (mysql_stmt_execute(ins)) {
        std::fprintf(stderr, "bench_mariadb: execute: %s\n", mysql_stmt_error(ins));
        std::abort();
      }
      if ((i + 1) % kBatch == 0) mysql_commit(m);
    }
    mysql_commit(m);
    mysql_autocommit(m, 1);
    mysql_stmt_close(ins);
  }
  Sums s;
  MYSQL_STMT *sel = mysql_stmt_init(m);
  check(mysql_stmt_prepare(sel, kSelect, std::strlen(kSelect)) == 0, "direct: prepare select");
  check(mysql_stmt_execute(sel) == 0, "direct: execute select");
  long long id = 0, qty = 0;
  double value = 0;
  char name[256];
  unsigned long name_len = 0;
  my_bool nulls[4] = {}, errors[4] = {};
  MYSQL_BIND b[4];
  std::memset(b, 0, sizeof b);
  b[0].buffer_type = MYSQL_TYPE_LONGLONG, b[0].buffer = &id;
  b[1].buffer_type = MYSQL_TYPE_STRING, b[1].buffer = name, b[1].buffer_length = sizeof name;
  b[1].length = &name_len;
  b[2].buffer_type = MYSQL_TYPE_DOUBLE, b[2].buffer = &value;
  b[3].buffer_type = MYSQL_TYPE_LONGLONG, b[3].buffer = &qty;
  for (int i = 0; i < 4; ++i) b[i].is_null = &nulls[i], b[i].error = &errors[i];
  check(mysql_stmt_bind_result(sel, b) == 0, "direct: bind result");
  int rc;
  while ((rc = mysql_stmt_fetch(sel)) == 0) {
    s.id += id, s.qty += qty, s.name_bytes += static_cast<long long>(name_len);
    s.value += value, ++s.rows;
    if (collect)
      collect->push_back({id, std::string(name, name_len), value, static_cast<int>(qty)});
  }
  check(rc == MYSQL_NO_DATA, "direct: fetch failed");
  mysql_stmt_close(sel);
  return s;
}

bool matches(const std::vector<Row> &rows) {
  if (rows.size() != static_cast<std::size_t>(kRows)) return false;
  for (int i = 0; i < kRows; ++i)
    if (!(rows[static_cast<std::size_t>(i)] == make_row(i))) return false;
  return true;
}

void BM_binding(benchmark::State &state, jitffi::BackendChoice backend) {
  my::MariaDB lib = open_with(backend);
  state.SetLabel(std::string(jitffi::backend_name(lib.api().stmt_execute.backend())));
  auto db = connect_binding(lib);
  for (auto _ : state) {
    state.PauseTiming();
    recreate_binding(db);
    state.ResumeTiming();
    Sums s = run_binding(db);
    check(s == expected(), "binding: wrong sums");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_direct(benchmark::State &state) {
  MYSQL *m = connect_direct();
  for (auto _ : state) {
    state.PauseTiming();
    recreate_direct(m);
    state.ResumeTiming();
    Sums s = run_direct(m);
    check(s == expected(), "direct: wrong sums");
    benchmark::DoNotOptimize(s);
  }
  mysql_close(m);
  state.SetItemsProcessed(state.iterations() * kRows);
}

BENCHMARK(BM_direct)->Name("mariadb_insert_query/direct")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_binding, auto, jitffi::BackendChoice::Auto)
    -> Name("mariadb_insert_query/binding") -> Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_binding, libffi, jitffi::BackendChoice::Libffi)
    ->Name("mariadb_insert_query/binding_libffi")
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char **argv) {
  std::unique_ptr<jitffi::test::mariadb::TestServer> own;
  const char *sock = std::getenv("JITFFI_MARIADB_SOCKET");
  if (sock && *sock) {
    g_socket = sock;
  } else {
    if (auto why = jitffi::test::mariadb::server_unavailable()) {
      std::fprintf(stderr, "bench_mariadb: no server: %s\n", why->c_str());
      return 77;
    }
    own = std::make_unique<jitffi::test::mariadb::TestServer>();
    g_socket = own->socket();
  }
  {
    MYSQL *m = connect_direct();
    q(m, "CREATE DATABASE IF NOT EXISTS bench");
    // Both programs must have done the same SQL work: every row read back, compared in full.
    std::vector<Row> rows;
    recreate_direct(m);
    run_direct(m, &rows);
    check(matches(rows), "direct: rows read back differ from the rows inserted");
    mysql_close(m);
    for (auto backend : {jitffi::BackendChoice::Auto, jitffi::BackendChoice::Libffi}) {
      my::MariaDB lib = open_with(backend);
      auto db = connect_binding(lib);
      rows.clear();
      recreate_binding(db);
      run_binding(db, &rows);
      check(matches(rows), "binding: rows read back differ from the rows inserted");
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
