// Declared sqlite3 functions that the C++ layer does not wrap, or wraps on a path the other
// tests do not take, called through the binding (raw Functions from Sqlite3::api() where there
// is no wrapper) against a real database, each checked by what sqlite itself reports.
#include <gtest/gtest.h>

#include <string>

#include "jitffi/bindings/sqlite3.h"
#include "tests/bindings/test_util.h"

namespace sq = jitffi::bindings::sqlite;

namespace {

constexpr int kOk = 0, kError = 1, kBusy = 5, kConstraint = 19, kRow = 100, kDone = 101;
constexpr int kOpenReadWrite = 0x2, kOpenCreate = 0x4, kUtf8 = 1;

class SqliteDeclared : public jitffi::bindings::test::BindingTest {
 protected:
  sq::Sqlite3 lib_;
};

}  // namespace

// sqlite3_threadsafe reports the THREADSAFE compile option the library was built with.
TEST_F(SqliteDeclared, ThreadsafeMatchesTheCompileOptions) {
  const int mode = lib_.api().threadsafe.invoke<int>();
  EXPECT_GE(mode, 0);
  EXPECT_LE(mode, 2);
  auto db = sq::Database::open(lib_, ":memory:");
  auto q =
      db.prepare("SELECT sqlite_compileoption_used('THREADSAFE=" + std::to_string(mode) + "')");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.column_int64(0), 1) << "THREADSAFE=" << mode;
}

// sqlite3_total_changes counts every row changed on the connection; sqlite3_changes only the
// last statement's.
TEST_F(SqliteDeclared, TotalChangesCountsTheWholeConnection) {
  auto db = sq::Database::open(lib_, ":memory:");
  const auto &total = lib_.api().total_changes;
  EXPECT_EQ(total.invoke<int>(db.handle()), 0);
  db.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)");
  EXPECT_EQ(total.invoke<int>(db.handle()), 3);
  db.exec("UPDATE t SET x = x + 1 WHERE x < 3");
  EXPECT_EQ(db.changes(), 2);
  EXPECT_EQ(total.invoke<int>(db.handle()), 5);
}

// sqlite3_exec's error message is sqlite3_malloc'ed and released with sqlite3_free (a leak here
// is reported by the ASan run); sqlite3_free(NULL) is a no-op.
TEST_F(SqliteDeclared, ExecErrorMessageIsReleasedWithSqliteFree) {
  auto db = sq::Database::open(lib_, ":memory:");
  const auto &a = lib_.api();
  char *msg = nullptr;
  const int rc = a.exec.invoke<int>(db.handle(), "SELEC 1", static_cast<void *>(nullptr),
                                    static_cast<void *>(nullptr), &msg);
  EXPECT_EQ(rc, kError);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(std::string(msg), "near \"SELEC\": syntax error");
  a.free.invoke<void>(static_cast<void *>(msg));
  a.free.invoke<void>(static_cast<void *>(nullptr));
}

// With a statement still open, sqlite3_close refuses (SQLITE_BUSY) and sqlite3_close_v2 defers
// the close until the last statement is finalized; the statement keeps working until then.
TEST_F(SqliteDeclared, CloseV2DefersWhileAStatementIsOpen) {
  const auto &a = lib_.api();
  void *db = nullptr;
  ASSERT_EQ(a.open_v2.invoke<int>(":memory:", &db, kOpenReadWrite | kOpenCreate,
                                  static_cast<const char *>(nullptr)),
            kOk);
  void *stmt = nullptr;
  ASSERT_EQ(
      a.prepare_v2.invoke<int>(db, "SELECT 42", -1, &stmt, static_cast<const char **>(nullptr)),
      kOk);
  EXPECT_EQ(a.close.invoke<int>(db), kBusy);
  EXPECT_EQ(a.close_v2.invoke<int>(db), kOk);
  ASSERT_EQ(a.step.invoke<int>(stmt), kRow);
  EXPECT_EQ(a.column_int.invoke<int>(stmt, 0), 42);
  EXPECT_EQ(a.step.invoke<int>(stmt), kDone);
  EXPECT_EQ(a.finalize.invoke<int>(stmt), kOk);  // the deferred close happens here
}

// A C++ SQL function returning a Blob: sqlite3_result_blob, bytes and type as sqlite sees them.
TEST_F(SqliteDeclared, FunctionReturningABlob) {
  auto db = sq::Database::open(lib_, ":memory:");
  db.create_function("bytes3", 0, [](const std::vector<sq::Value> &) -> sq::Value {
    return sq::to_blob(std::string("\x00\x7f\xff", 3));
  });
  db.create_function("noblob", 0,
                     [](const std::vector<sq::Value> &) -> sq::Value { return sq::Blob{}; });
  auto q = db.prepare(
      "SELECT typeof(bytes3()), hex(bytes3()), length(bytes3()), typeof(noblob()), "
      "length(noblob())");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.column_text(0), "blob");
  EXPECT_EQ(q.column_text(1), "007FFF");
  EXPECT_EQ(q.column_int64(2), 3);
  EXPECT_EQ(q.column_text(3), "blob");
  EXPECT_EQ(q.column_int64(4), 0);
}

// sqlite3_result_error_code from a SQL function registered through the raw
// sqlite3_create_function_v2 with a jitffi closure: the statement fails with that code and
// sqlite's text for it.
TEST_F(SqliteDeclared, ResultErrorCodeFromARawFunction) {
  const auto &a = lib_.api();
  jitffi::Closure fn(a.lib.scope().signature("void f(sqlite3_context *, int, sqlite3_value **)"),
                     [&a](void *, void **args) {
                       a.result_error_code.invoke<void>(jitffi::bindings::arg<void *>(args, 0),
                                                        kConstraint);
                     });
  {
    auto db = sq::Database::open(lib_, ":memory:");
    void *none = nullptr;
    ASSERT_EQ(a.create_function_v2.invoke<int>(db.handle(), "refuse", 0, kUtf8, none, fn.code(),
                                               none, none, none),
              kOk);
    auto q = db.prepare("SELECT refuse()");
    try {
      q.step();
      FAIL() << "refuse() succeeded";
    } catch (const sq::Error &e) {
      EXPECT_EQ(e.code(), kConstraint);
      EXPECT_EQ(e.message(), "constraint failed");
    }
  }  // the connection (and its function) goes before the closure
}
