// The sqlite benchmark's workload (issue 7), shared by the timed benchmark (bench_sqlite.cpp) and
// the instruction counts (sqlite_callcount.cpp): the same SQL work written once through the
// binding and once against the C API as a direct user would, with the same checks. Both sides
// run the same statements (the SQL texts below, passed with their length), the same transaction
// (one BEGIN ... COMMIT around the inserts), no pragmas, the same bind calls (int64, double, text
// with SQLITE_TRANSIENT), check every bind and step, and copy each text column into a
// std::string.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "jitffi/bindings/sqlite3.h"

namespace bench_sqlite {

constexpr int kRows = 100000;
namespace sq = jitffi::bindings::sqlite;

constexpr std::string_view kCreate =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, value REAL, name TEXT)";
constexpr std::string_view kInsert = "INSERT INTO t VALUES(?, ?, ?)";
constexpr std::string_view kSelect = "SELECT id, value, name FROM t";

// The row values, computed the same way for both programs.
struct Row {
  std::int64_t id;
  double value;
  char text[24];
  int text_len;
};

inline const std::vector<Row> &rows() {
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

// What the timed runs keep of the query: the row count and the sums of the ids, the values and
// the text lengths (cheap, so that the work measured is sqlite's and the calls').
struct Sums {
  std::int64_t rows = 0;
  std::int64_t ids = 0;
  double values = 0;
  std::int64_t text_bytes = 0;
  bool operator==(const Sums &) const = default;

  void add(std::int64_t id, double value, const std::string &text) {
    ++rows;
    ids += id;
    values += value;
    text_bytes += static_cast<std::int64_t>(text.size());
  }
};

// What the untimed check keeps: every row as read, compared with rows() in full.
struct Collect {
  std::vector<Row> got;
  void add(std::int64_t id, double value, const std::string &text) {
    Row r{id, value, {}, static_cast<int>(text.size())};
    text.copy(r.text, sizeof r.text - 1);
    got.push_back(r);
  }
  bool matches() const {
    const std::vector<Row> &want = rows();
    if (got.size() != want.size()) return false;
    for (std::size_t i = 0; i < got.size(); ++i) {
      const Row &a = got[i], &b = want[i];
      if (a.id != b.id || a.value != b.value || a.text_len != b.text_len ||
          std::string_view(a.text, a.text_len) != std::string_view(b.text, b.text_len))
        return false;
    }
    return true;
  }
};

inline const Sums &expected() {
  static const Sums s = [] {
    Sums e;
    for (const Row &r : rows()) e.add(r.id, r.value, std::string(r.text, r.text_len));
    return e;
  }();
  return s;
}

// The library with its functions prepared on one back end (they pick it when the library opens).
inline sq::Sqlite3 open_with(jitffi::BackendChoice backend) {
  const jitffi::BackendChoice saved = jitffi::default_backend();
  jitffi::set_default_backend(backend);
  sq::Sqlite3 lib;
  jitffi::set_default_backend(saved);
  return lib;
}

inline void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "bench_sqlite: %s\n", what);
    std::abort();
  }
}

template <class Sink = Sums>
Sink run_binding(const sq::Sqlite3 &lib) {
  auto db = sq::Database::open(lib, ":memory:");
  db.exec(kCreate);
  db.exec("BEGIN");
  {
    auto ins = db.prepare(kInsert);
    for (const Row &r : rows()) {
      ins.bind_int64(1, r.id)
          .bind_double(2, r.value)
          .bind_text(3, std::string_view(r.text, r.text_len));
      ins.step();
      ins.reset();
    }
  }
  db.exec("COMMIT");
  Sink s;
  auto q = db.prepare(kSelect);
  while (q.step()) {
    std::int64_t id = q.column_int64(0);
    double value = q.column_double(1);
    s.add(id, value, q.column_text(2));
  }
  return s;
}

template <class Sink = Sums>
Sink run_direct() {
  sqlite3 *db = nullptr;
  check(sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) ==
            SQLITE_OK,
        "open");
  check(sqlite3_exec(db, std::string(kCreate).c_str(), nullptr, nullptr, nullptr) == SQLITE_OK,
        "create");
  check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK, "begin");
  sqlite3_stmt *ins = nullptr;
  check(sqlite3_prepare_v2(db, kInsert.data(), static_cast<int>(kInsert.size()), &ins, nullptr) ==
            SQLITE_OK,
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
  Sink s;
  sqlite3_stmt *q = nullptr;
  check(sqlite3_prepare_v2(db, kSelect.data(), static_cast<int>(kSelect.size()), &q, nullptr) ==
            SQLITE_OK,
        "prepare select");
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    std::int64_t id = sqlite3_column_int64(q, 0);
    double value = sqlite3_column_double(q, 1);
    const unsigned char *t = sqlite3_column_text(q, 2);
    int n = sqlite3_column_bytes(q, 2);
    // As the binding's column_text builds it (a null text is an empty string).
    s.add(id, value,
          t ? std::string(reinterpret_cast<const char *>(t), static_cast<std::size_t>(n))
            : std::string());
  }
  check(rc == SQLITE_DONE, "select");
  sqlite3_finalize(q);
  check(sqlite3_close(db) == SQLITE_OK, "close");
  return s;
}

}  // namespace bench_sqlite
