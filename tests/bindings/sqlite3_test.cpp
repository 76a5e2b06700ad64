// sqlite3 binding against the real libsqlite3: files in a temporary directory, two connections,
// closures for callbacks, functions and hooks, and sqlite's own error messages.
#include "jitffi/bindings/sqlite3.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "tests/bindings/test_util.h"

namespace sq = jitffi::bindings::sqlite;
using jitffi::Closure;
using jitffi::bindings::test::BindingTest;

namespace {

class Sqlite : public BindingTest {
 protected:
  sq::Sqlite3 lib_;
};

std::int64_t count(sq::Database &db, const char *sql) {
  auto st = db.prepare(sql);
  EXPECT_TRUE(st.step());
  return st.column_int64(0);
}

}  // namespace

TEST_F(Sqlite, LoadsTheLibraryAndUsesTheChosenBackend) {
  std::string v = lib_.version();
  int n = lib_.version_number();
  EXPECT_EQ(v, std::to_string(n / 1000000) + "." + std::to_string(n / 1000 % 1000) + "." +
                   std::to_string(n % 1000));
  EXPECT_GE(n, 3008000);
  EXPECT_EQ(lib_.api().step.backend(), jitffi::bindings::test::expected_backend());
  EXPECT_EQ(lib_.errstr(sq::kBusy), "database is locked");
}

TEST_F(Sqlite, LibraryPathOverrideByArgumentAndEnvironment) {
  try {
    sq::Sqlite3 bad("/nonexistent/libsqlite3.so.0");
    FAIL() << "opened a missing file";
  } catch (const jitffi::LibraryError &e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/libsqlite3.so.0"), std::string::npos)
        << e.what();
  }
  ASSERT_EQ(::setenv("JITFFI_SQLITE3_PATH", "/nonexistent/env/libsqlite3.so", 1), 0);
  try {
    sq::Sqlite3 bad;
    FAIL() << "opened a missing file named by JITFFI_SQLITE3_PATH";
  } catch (const jitffi::LibraryError &e) {
    EXPECT_NE(std::string(e.what()).find("JITFFI_SQLITE3_PATH=/nonexistent/env/libsqlite3.so"),
              std::string::npos)
        << e.what();
  }
  // The override is the real library by its full path: it opens and works.
  std::string real = lib_.api().lib.name();
  Dl_info info{};
  ASSERT_NE(dladdr(lib_.api().lib.find("sqlite3_step"), &info), 0);
  ASSERT_EQ(::setenv("JITFFI_SQLITE3_PATH", info.dli_fname, 1), 0);
  sq::Sqlite3 by_env;
  EXPECT_EQ(by_env.api().lib.name(), info.dli_fname);
  ::unsetenv("JITFFI_SQLITE3_PATH");
  sq::Sqlite3 by_arg(info.dli_fname);
  EXPECT_EQ(by_arg.version_number(), lib_.version_number());
  EXPECT_EQ(real, "libsqlite3.so.0");
}

struct FakeApi {
  jitffi::Function present, missing_required, missing_optional, also_missing;
};

TEST_F(Sqlite, MissingSymbolsAreReportedByNameAndOptionalOnesStayEmpty) {
  jitffi::Library lib = jitffi::Library::open("libsqlite3.so.0");
  lib.scope().declare("typedef struct sqlite3 sqlite3;");
  const jitffi::bindings::FunctionEntry<FakeApi> table[] = {
      {&FakeApi::present, "int sqlite3_libversion_number(void)"},
      {&FakeApi::missing_required, "int sqlite3_no_such_function(sqlite3 *db)"},
      {&FakeApi::missing_optional, "int sqlite3_optional_function(void)",
       jitffi::bindings::kOptional},
      {&FakeApi::also_missing, "void sqlite3_another_missing_one(int x)"},
  };
  FakeApi api;
  try {
    jitffi::bindings::resolve_functions<FakeApi>(lib, api, table);
    FAIL() << "missing symbols were not reported";
  } catch (const jitffi::bindings::MissingSymbolsError &e) {
    EXPECT_EQ(e.symbols(), (std::vector<std::string>{"sqlite3_no_such_function",
                                                     "sqlite3_another_missing_one"}));
    EXPECT_EQ(std::string(e.what()),
              "libsqlite3.so.0 lacks required symbols: sqlite3_no_such_function, "
              "sqlite3_another_missing_one");
  }
  const jitffi::bindings::FunctionEntry<FakeApi> ok_table[] = {
      {&FakeApi::present, "int sqlite3_libversion_number(void)"},
      {&FakeApi::missing_optional, "int sqlite3_optional_function(void)",
       jitffi::bindings::kOptional},
  };
  FakeApi ok;
  jitffi::bindings::resolve_functions<FakeApi>(lib, ok, ok_table);
  EXPECT_TRUE(ok.present);
  EXPECT_FALSE(ok.missing_optional);
  EXPECT_EQ(ok.present.invoke<int>(), lib_.version_number());
}

TEST_F(Sqlite, FileDatabasePersistsAcrossConnections) {
  std::string path = dir() + "/persist.db";
  {
    auto db = sq::Database::open(lib_, path);
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t(name) VALUES('a');");
    EXPECT_EQ(db.last_insert_rowid(), 1);
    EXPECT_EQ(db.changes(), 1);
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_GT(std::filesystem::file_size(path), 0u);
  auto db = sq::Database::open(lib_, path, sq::kOpenReadOnly);
  auto st = db.prepare("SELECT id, name FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 1);
  EXPECT_EQ(st.column_text(1), "a");
  EXPECT_FALSE(st.step());
  try {
    db.exec("INSERT INTO t(name) VALUES('b')");
    FAIL() << "wrote to a read-only connection";
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.code(), 8);  // SQLITE_READONLY
    EXPECT_EQ(e.message(), "attempt to write a readonly database");
  }
}

TEST_F(Sqlite, OpenFailureCarriesSqlitesMessage) {
  try {
    sq::Database::open(lib_, dir() + "/no/such/dir/x.db");
    FAIL();
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.code(), 14);  // SQLITE_CANTOPEN
    EXPECT_EQ(e.message(), "unable to open database file");
  }
}

TEST_F(Sqlite, MemoryDatabasesAreSeparate) {
  auto a = sq::Database::open(lib_, ":memory:");
  auto b = sq::Database::open(lib_, ":memory:");
  a.exec("CREATE TABLE t(x)");
  EXPECT_THROW(b.exec("SELECT * FROM t"), sq::Error);
  EXPECT_EQ(count(a, "SELECT count(*) FROM t"), 0);
}

TEST_F(Sqlite, ExecCallsTheRowCallbackWithValuesAndNames) {
  auto db = sq::Database::open(lib_, ":memory:");
  db.exec("CREATE TABLE t(a, b); INSERT INTO t VALUES(1, 'x'), (2, NULL), (3, 'z');");
  std::vector<std::string> seen;
  db.exec("SELECT a, b AS bee FROM t ORDER BY a",
          [&](std::span<const std::optional<std::string_view>> v,
              std::span<const std::string_view> names) {
            EXPECT_EQ(names.size(), 2u);
            EXPECT_EQ(names[0], "a");
            EXPECT_EQ(names[1], "bee");
            seen.push_back(std::string(*v[0]) + "=" + (v[1] ? std::string(*v[1]) : "NULL"));
            return true;
          });
  EXPECT_EQ(seen, (std::vector<std::string>{"1=x", "2=NULL", "3=z"}));

  // Returning false stops early without an error.
  int rows = 0;
  db.exec("SELECT a FROM t", [&](auto, auto) { return ++rows < 2; });
  EXPECT_EQ(rows, 2);

  // An exception stops the query and comes out of exec.
  rows = 0;
  EXPECT_THROW(db.exec("SELECT a FROM t",
                       [&](auto, auto) -> bool {
                         ++rows;
                         throw std::runtime_error("stop here");
                       }),
               std::runtime_error);
  EXPECT_EQ(rows, 1);
}

TEST_F(Sqlite, BindsEveryTypeAndReadsItBackExactly) {
  auto db = sq::Database::open(lib_, ":memory:");
  db.exec("CREATE TABLE v(n, i, l, d, t, b)");
  const std::string text("h\xc3\xa9llo\0tail", 11);  // UTF-8 and an embedded NUL
  const sq::Blob blob{std::byte{0}, std::byte{1}, std::byte{0xff}, std::byte{0}};
  {
    auto ins = db.prepare("INSERT INTO v VALUES(?, ?, ?, ?, ?, ?)");
    EXPECT_EQ(ins.parameter_count(), 6);
    ins.bind_null(1)
        .bind_int(2, -2147483647 - 1)
        .bind_int64(3, 9223372036854775807LL)
        .bind_double(4, 0.1)
        .bind_text(5, text)
        .bind_blob(6, blob);
    EXPECT_FALSE(ins.step());
    // The bound text and blob were copied (SQLITE_TRANSIENT): rebinding other values after
    // reset must not change the stored row.
    ins.reset();
    ins.clear_bindings();
    ins.bind_text(5, "").bind_blob(6, sq::Blob{});
    EXPECT_FALSE(ins.step());
  }
  auto st = db.prepare("SELECT n, i, l, d, t, b, typeof(t), typeof(b), length(b) FROM v");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_count(), 9);
  EXPECT_EQ(st.column_name(2), "l");
  EXPECT_EQ(st.column_type(0), sq::ColumnType::Null);
  EXPECT_EQ(st.column_type(1), sq::ColumnType::Integer);
  EXPECT_EQ(st.column_int(1), -2147483647 - 1);
  EXPECT_EQ(st.column_int64(2), 9223372036854775807LL);
  EXPECT_EQ(st.column_type(3), sq::ColumnType::Float);
  EXPECT_EQ(st.column_double(3), 0.1);
  EXPECT_EQ(st.column_text(4), text);
  EXPECT_EQ(st.column_blob(5), blob);
  EXPECT_EQ(st.column_text(6), "text");
  EXPECT_EQ(st.column_text(7), "blob");
  EXPECT_EQ(st.column_int(8), 4);
  EXPECT_EQ(st.column(0), sq::Value(nullptr));
  ASSERT_TRUE(st.step());  // the second row: empty text and empty blob, not NULL
  EXPECT_EQ(st.column_type(4), sq::ColumnType::Text);
  EXPECT_EQ(st.column_text(4), "");
  EXPECT_EQ(st.column_type(5), sq::ColumnType::Blob);
  EXPECT_EQ(st.column_type(0), sq::ColumnType::Null);
  EXPECT_FALSE(st.step());
}

TEST_F(Sqlite, NamedParametersAndGenericValues) {
  auto db = sq::Database::open(lib_, ":memory:");
  auto st = db.prepare("SELECT :a || '-' || :b, typeof(:c)");
  EXPECT_EQ(st.parameter_index(":b"), 2);
  EXPECT_EQ(st.parameter_index(":zz"), 0);
  st.bind(1, sq::Value(std::string("x"))).bind(2, sq::Value(std::int64_t{7}));
  st.bind(3, sq::Value(2.5));
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column(0), sq::Value(std::string("x-7")));
  EXPECT_EQ(st.column_text(1), "real");
}

TEST_F(Sqlite, BindOutOfRangeIsSqlitesRangeError) {
  auto db = sq::Database::open(lib_, ":memory:");
  auto st = db.prepare("SELECT ?, ?");
  try {
    st.bind_int(3, 1);
    FAIL();
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.code(), sq::kRange);
    EXPECT_EQ(e.message(), "column index out of range");
  }
  EXPECT_THROW(st.bind_text(0, "x"), sq::Error);
}

TEST_F(Sqlite, BadSqlGivesSqlitesMessageAndOffset) {
  auto db = sq::Database::open(lib_, ":memory:");
  try {
    db.prepare("SELECT 1 FROM t WHERE");
    FAIL();
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.code(), sq::kError);
    EXPECT_EQ(e.message(), "incomplete input");
  }
  try {
    db.prepare("SELEC 1");
    FAIL();
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.code(), sq::kError);
    EXPECT_EQ(e.message(), "near \"SELEC\": syntax error");
    std::string what = e.what();
    EXPECT_NE(what.find("in \"SELEC 1\""), std::string::npos) << what;
    if (lib_.api().error_offset) {
      EXPECT_NE(what.find("at offset 0"), std::string::npos) << what;
    }
  }
  try {
    db.exec("CREATE TABLE t(x); SELECT nope FROM t;");
    FAIL();
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.message(), "no such column: nope");
  }
}

TEST_F(Sqlite, ConstraintErrorsCarryExtendedCodes) {
  auto db = sq::Database::open(lib_, ":memory:");
  db.exec("CREATE TABLE t(a UNIQUE); INSERT INTO t VALUES(1)");
  auto st = db.prepare("INSERT INTO t VALUES(?)");
  st.bind_int(1, 1);
  try {
    st.step();
    FAIL();
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.code(), sq::kConstraint);
    EXPECT_EQ(e.extended_code(), 2067);  // SQLITE_CONSTRAINT_UNIQUE
    EXPECT_EQ(e.message(), "UNIQUE constraint failed: t.a");
  }
}

TEST_F(Sqlite, TransactionsCommitAndRollBack) {
  auto db = sq::Database::open(lib_, dir() + "/tx.db");
  db.exec("CREATE TABLE t(x)");
  {
    sq::Transaction tx(db);
    EXPECT_FALSE(db.autocommit());
    db.exec("INSERT INTO t VALUES(1), (2)");
    EXPECT_EQ(count(db, "SELECT count(*) FROM t"), 2);
  }  // no commit: rolled back
  EXPECT_TRUE(db.autocommit());
  EXPECT_EQ(count(db, "SELECT count(*) FROM t"), 0);
  {
    sq::Transaction tx(db, "IMMEDIATE");
    db.exec("INSERT INTO t VALUES(3)");
    tx.commit();
  }
  EXPECT_EQ(count(db, "SELECT sum(x) FROM t"), 3);
  {
    sq::Transaction tx(db);
    db.exec("DELETE FROM t");
    tx.rollback();
  }
  EXPECT_EQ(count(db, "SELECT count(*) FROM t"), 1);
  // An error inside the transaction, then the rollback leaves the earlier state.
  try {
    sq::Transaction tx(db);
    db.exec("INSERT INTO t VALUES(4)");
    db.exec("INSERT INTO nowhere VALUES(5)");
    tx.commit();
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.message(), "no such table: nowhere");
  }
  EXPECT_EQ(count(db, "SELECT count(*) FROM t"), 1);
}

TEST_F(Sqlite, BlobIncrementalIo) {
  auto db = sq::Database::open(lib_, ":memory:");
  db.exec(
      "CREATE TABLE b(id INTEGER PRIMARY KEY, data BLOB);"
      "INSERT INTO b VALUES(1, zeroblob(16)), (2, x'0102030405')");
  {
    auto blob = db.open_blob("b", "data", 1, true);
    EXPECT_EQ(blob.size(), 16);
    blob.write(4, sq::to_blob("JIT!"));
    EXPECT_EQ(blob.read(3, 6), (sq::Blob{std::byte{0}, std::byte{'J'}, std::byte{'I'},
                                         std::byte{'T'}, std::byte{'!'}, std::byte{0}}));
    try {
      blob.read(10, 7);  // past the end
      FAIL();
    } catch (const sq::Error &e) {
      EXPECT_EQ(e.code(), sq::kError);
    }
    try {
      blob.write(14, sq::to_blob("xyz"));  // a blob cannot grow
      FAIL();
    } catch (const sq::Error &e) {
      EXPECT_EQ(e.code(), sq::kError);
    }
    blob.reopen(2);
    EXPECT_EQ(blob.size(), 5);
    EXPECT_EQ(blob.read(1, 3), (sq::Blob{std::byte{2}, std::byte{3}, std::byte{4}}));
  }
  auto st = db.prepare("SELECT hex(data) FROM b WHERE id = 1");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "000000004A495421" + std::string(16, '0'));
  try {
    db.open_blob("b", "nope", 1, false);
    FAIL();
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.message(), "no such column: \"nope\"");
  }
  auto ro = db.open_blob("b", "data", 2, false);
  EXPECT_THROW(ro.write(0, sq::to_blob("a")), sq::Error);

  // A closed or moved-from handle is a misuse error, not a crash.
  auto fresh = db.open_blob("b", "data", 2, false);
  auto moved = std::move(fresh);
  EXPECT_EQ(moved.size(), 5);
  moved.close();
  for (sq::BlobHandle *b : {&fresh, &moved}) {
    try {
      b->read(0, 1);
      FAIL() << "read on a closed or moved-from blob handle did not throw";
    } catch (const sq::Error &e) {
      EXPECT_EQ(e.code(), sq::kMisuse);
    }
    EXPECT_THROW(b->size(), sq::Error);
    EXPECT_THROW(b->write(0, sq::to_blob("a")), sq::Error);
    EXPECT_THROW(b->reopen(1), sq::Error);
    b->close();  // closing again is harmless
  }
}

TEST_F(Sqlite, ScalarFunctionsWrittenInCpp) {
  auto db = sq::Database::open(lib_, ":memory:");
  int calls = 0;
  db.create_function("rev", 1, [&](const std::vector<sq::Value> &args) -> sq::Value {
    ++calls;
    if (std::holds_alternative<std::nullptr_t>(args[0])) return nullptr;
    std::string s = std::get<std::string>(args[0]);
    std::reverse(s.begin(), s.end());
    return s;
  });
  db.create_function("mix", -1, [](const std::vector<sq::Value> &args) -> sq::Value {
    double sum = 0;
    for (const auto &a : args) {
      if (auto *i = std::get_if<std::int64_t>(&a)) sum += double(*i);
      if (auto *d = std::get_if<double>(&a)) sum += *d;
      if (auto *b = std::get_if<sq::Blob>(&a)) sum += double(b->size()) * 1000;
    }
    return sum;
  });
  db.create_function("boom", 0, [](const std::vector<sq::Value> &) -> sq::Value {
    throw std::runtime_error("boom from C++");
  });
  auto st = db.prepare("SELECT rev('abc'), rev(NULL), mix(1, 2.5, x'0000'), mix()");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "cba");
  EXPECT_EQ(st.column_type(1), sq::ColumnType::Null);
  EXPECT_EQ(st.column_double(2), 2003.5);
  EXPECT_EQ(st.column_double(3), 0.0);
  EXPECT_EQ(calls, 2);
  auto bad = db.prepare("SELECT boom()");
  try {
    bad.step();
    FAIL();
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.message(), "boom from C++");
  }
  // A function in use by a statement cannot be replaced (sqlite's rule, sqlite's message).
  EXPECT_THROW(db.create_function(
                   "rev", 1, [](const std::vector<sq::Value> &) -> sq::Value { return nullptr; }),
               sq::Error);
  st.finalize();
  bad.finalize();
  // Replacing a function frees the old closure at once (the new one is used).
  std::size_t before = Closure::live_count();
  db.create_function("rev", 1, [](const std::vector<sq::Value> &) -> sq::Value {
    return std::string("replaced");
  });
  EXPECT_EQ(Closure::live_count(), before);
  auto again = db.prepare("SELECT rev('abc')");
  ASSERT_TRUE(again.step());
  EXPECT_EQ(again.column_text(0), "replaced");
  try {
    db.prepare("SELECT rev(1, 2)");
    FAIL();
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.message(), "wrong number of arguments to function rev()");
  }
}

TEST_F(Sqlite, AggregateFunctionsWrittenInCpp) {
  auto db = sq::Database::open(lib_, ":memory:");
  db.exec(
      "CREATE TABLE s(g, v); INSERT INTO s VALUES('a', 3), ('a', 1), ('b', 10), ('a', 2),"
      "('b', NULL)");
  struct Joined {
    std::vector<std::int64_t> items;
    int nulls = 0;
  };
  std::atomic<int> finals{0};
  db.create_aggregate<Joined>(
      "sorted_join", 1,
      [](Joined &s, const std::vector<sq::Value> &args) {
        if (auto *i = std::get_if<std::int64_t>(&args[0]))
          s.items.push_back(*i);
        else
          ++s.nulls;
      },
      [&](Joined &s) -> sq::Value {
        ++finals;
        std::sort(s.items.begin(), s.items.end());
        std::string out;
        for (auto i : s.items) {
          if (!out.empty()) out += ',';
          out += std::to_string(i);
        }
        out += '|';
        out += std::to_string(s.nulls);
        return out;
      });
  std::vector<std::string> got;
  auto st = db.prepare("SELECT g, sorted_join(v) FROM s GROUP BY g ORDER BY g");
  while (st.step()) got.push_back(st.column_text(0) + ":" + st.column_text(1));
  EXPECT_EQ(got, (std::vector<std::string>{"a:1,2,3|0", "b:10|1"}));
  // An empty input still calls final, with a fresh state.
  auto empty = db.prepare("SELECT sorted_join(v) FROM s WHERE 0");
  ASSERT_TRUE(empty.step());
  EXPECT_EQ(empty.column_text(0), "|0");
  EXPECT_EQ(finals.load(), 3);
}

TEST_F(Sqlite, BusyTimeoutWithTwoConnections) {
  std::string path = dir() + "/busy.db";
  auto a = sq::Database::open(lib_, path);
  auto b = sq::Database::open(lib_, path);
  a.exec("CREATE TABLE t(x)");
  a.exec("BEGIN IMMEDIATE; INSERT INTO t VALUES(1);");
  b.busy_timeout(std::chrono::milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  try {
    b.exec("INSERT INTO t VALUES(2)");
    FAIL() << "the write lock was not held";
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.code(), sq::kBusy);
    EXPECT_EQ(e.message(), "database is locked");
  }
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(150));  // it did wait for the timeout
  EXPECT_LT(waited, std::chrono::seconds(5));

  // With a longer timeout, B waits until A commits on another thread, then succeeds.
  b.busy_timeout(std::chrono::seconds(10));
  std::thread committer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    a.exec("COMMIT");
  });
  start = std::chrono::steady_clock::now();
  b.exec("INSERT INTO t VALUES(2)");
  waited = std::chrono::steady_clock::now() - start;
  committer.join();
  EXPECT_GE(waited, std::chrono::milliseconds(100));
  EXPECT_LT(waited, std::chrono::seconds(10));
  EXPECT_EQ(count(a, "SELECT sum(x) FROM t"), 3);
}

TEST_F(Sqlite, UpdateHookSeesEveryChange) {
  auto db = sq::Database::open(lib_, ":memory:");
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v)");
  std::vector<std::string> events;
  db.update_hook([&](int op, std::string_view database, std::string_view table, std::int64_t row) {
    events.push_back(std::to_string(op) + " " + std::string(database) + "." + std::string(table) +
                     " " + std::to_string(row));
  });
  db.exec(
      "INSERT INTO t VALUES(5, 'a'); INSERT INTO t VALUES(9, 'b');"
      "UPDATE t SET v = 'c' WHERE id = 9; DELETE FROM t WHERE id = 5;");
  EXPECT_EQ(events,
            (std::vector<std::string>{"18 main.t 5", "18 main.t 9", "23 main.t 9", "9 main.t 5"}));
  // A hook that throws: the exception comes out of the statement that fired it.
  db.update_hook([](int, std::string_view, std::string_view, std::int64_t) {
    throw std::runtime_error("hook failed");
  });
  auto st = db.prepare("INSERT INTO t VALUES(11, 'z')");
  EXPECT_THROW(st.step(), std::runtime_error);
  db.update_hook({});
  events.clear();
  db.exec("INSERT INTO t VALUES(12, 'y')");
  EXPECT_TRUE(events.empty());
}

TEST_F(Sqlite, DbConfigIsAVariadicCall) {
  auto db = sq::Database::open(lib_, ":memory:");
  db.exec("CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(pid REFERENCES p(id));");
  EXPECT_TRUE(db.db_config_flag(sq::kDbConfigEnableFkey, 1));
  EXPECT_TRUE(db.db_config_flag(sq::kDbConfigEnableFkey, -1));  // query only
  try {
    db.exec("INSERT INTO c VALUES(42)");
    FAIL() << "foreign keys are not enforced";
  } catch (const sq::Error &e) {
    EXPECT_EQ(e.message(), "FOREIGN KEY constraint failed");
  }
  EXPECT_FALSE(db.db_config_flag(sq::kDbConfigEnableFkey, 0));
  db.exec("INSERT INTO c VALUES(42)");
  EXPECT_EQ(count(db, "SELECT count(*) FROM c"), 1);
}

TEST_F(Sqlite, ConfigLogIsAVariadicCallWithAClosure) {
  std::vector<std::pair<int, std::string>> log;
  std::size_t base = Closure::live_count();
  lib_.set_log([&](int code, std::string_view msg) { log.emplace_back(code, std::string(msg)); });
  EXPECT_EQ(Closure::live_count(), base + 1);
  {
    auto db = sq::Database::open(lib_, ":memory:");
    EXPECT_THROW(db.prepare("SELEC 1"), sq::Error);
  }
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().first, sq::kError);
  EXPECT_NE(log.back().second.find("near \"SELEC\": syntax error"), std::string::npos)
      << log.back().second;
  lib_.set_log({});
  EXPECT_EQ(Closure::live_count(), base);
  std::size_t n = log.size();
  auto db = sq::Database::open(lib_, ":memory:");
  EXPECT_THROW(db.prepare("SELEC 2"), sq::Error);
  EXPECT_EQ(log.size(), n);
}

TEST_F(Sqlite, StatementsKeepTheConnectionAlive) {
  std::optional<sq::Statement> st;
  {
    auto db = sq::Database::open(lib_, ":memory:");
    db.create_function("twice", 1, [](const std::vector<sq::Value> &a) -> sq::Value {
      return std::get<std::int64_t>(a[0]) * 2;
    });
    st.emplace(db.prepare("SELECT twice(21)"));
  }
  ASSERT_TRUE(st->step());  // the Database is gone, its connection and function are not
  EXPECT_EQ(st->column_int(0), 42);
  EXPECT_EQ(st->sql(), "SELECT twice(21)");
}

TEST_F(Sqlite, FinalizedOrMovedFromStatementIsAMisuseError) {
  auto db = sq::Database::open(lib_, ":memory:");
  auto st = db.prepare("SELECT 1");
  sq::Statement moved = std::move(st);
  ASSERT_TRUE(moved.step());
  EXPECT_EQ(moved.column_int(0), 1);
  for (sq::Statement *s : {&st, &moved}) {
    if (s == &moved) moved.finalize();
    try {
      s->step();
      FAIL() << "step() on a finalized or moved-from statement did not throw";
    } catch (const sq::Error &e) {
      EXPECT_EQ(e.code(), sq::kMisuse);
      EXPECT_NE(std::string(e.what()).find("finalized or moved from"), std::string::npos)
          << e.what();
    }
    EXPECT_THROW(s->bind_int(1, 2), sq::Error);
    EXPECT_EQ(s->column_count(), 0);
  }
}
