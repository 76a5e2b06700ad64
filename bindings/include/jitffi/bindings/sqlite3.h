// sqlite3 through jitffi: libsqlite3 is opened at run time (no link-time dependency), every
// function declared by its C prototype, wrapped in RAII handles that throw sqlite's own error
// code and message.
//
//   jitffi::bindings::sqlite::Sqlite3 lib;               // finds libsqlite3.so.0
//   auto db = jitffi::bindings::sqlite::Database::open(lib, ":memory:");
//   db.exec("CREATE TABLE t(a, b)");
//   auto st = db.prepare("INSERT INTO t VALUES (?, ?)");
//   st.bind_int(1, 42).bind_text(2, "hello");
//   st.step();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "jitffi/bindings/common.h"

namespace jitffi::bindings::sqlite {

// Result codes, open flags and other constants from sqlite3.h (stable across versions).
inline constexpr int kOk = 0, kError = 1, kAbort = 4, kBusy = 5, kLocked = 6, kMisuse = 21,
                     kConstraint = 19, kRange = 25, kRow = 100, kDone = 101;
inline constexpr int kOpenReadOnly = 0x1, kOpenReadWrite = 0x2, kOpenCreate = 0x4, kOpenUri = 0x40,
                     kOpenMemory = 0x80, kOpenNoMutex = 0x8000, kOpenFullMutex = 0x10000;
inline constexpr int kInsert = 18, kDelete = 9, kUpdate = 23;  // update_hook operations
inline constexpr int kDbConfigEnableFkey = 1002, kDbConfigEnableTrigger = 1003;

enum class ColumnType { Integer = 1, Float = 2, Text = 3, Blob = 4, Null = 5 };

using Blob = std::vector<std::byte>;
// A value as sqlite sees it: NULL, INTEGER, REAL, TEXT or BLOB.
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Blob>;

// The foreign functions, resolved when the library is opened. Their C prototypes are in
// sqlite3.cpp, in one table; the optional ones (newer than sqlite 3.8) may be empty.
struct Api {
  Library lib;
  Function libversion, libversion_number, threadsafe, initialize, shutdown, config, errstr;
  Function open_v2, close, close_v2, errmsg, errcode, extended_errcode, error_offset;
  Function exec, free, changes, total_changes, last_insert_rowid, get_autocommit, busy_timeout;
  Function db_config, update_hook, create_function_v2;
  Function prepare_v2, step, reset, clear_bindings, finalize, sql, bind_parameter_count,
      bind_parameter_index;
  Function bind_null, bind_int, bind_int64, bind_double, bind_text, bind_blob;
  Function column_count, column_name, column_type, column_int, column_int64, column_double,
      column_text, column_blob, column_bytes;
  Function value_type, value_int64, value_double, value_text, value_blob, value_bytes;
  Function result_null, result_int64, result_double, result_text, result_blob, result_error,
      result_error_code;
  Function aggregate_context;
  Function blob_open, blob_close, blob_bytes, blob_read, blob_write, blob_reopen;

  // Closure signatures of the callback types (declared with the prototypes).
  Signature exec_callback = unresolved_signature(), scalar_fn = unresolved_signature(),
            final_fn = unresolved_signature(), update_fn = unresolved_signature(),
            log_fn = unresolved_signature();

  // Variadic calls are prepared per set of variadic argument types and kept here.
  Function variadic(const Function &fn, std::vector<TypeRef> varargs) const;

  // The SQLITE_CONFIG_LOG closure (see Sqlite3::set_log); unset again before the library goes.
  std::unique_ptr<Closure> log_closure;
  std::mutex log_mutex;

  Api() = default;
  Api(const Api &) = delete;
  Api &operator=(const Api &) = delete;
  ~Api();

 private:
  VariadicCache variadic_;
};

// An error reported by sqlite: the primary and extended result codes and sqlite's own message
// (sqlite3_errmsg, or sqlite3_errstr when there is no connection). what() is
// "sqlite3: <message> (code N)", plus the SQL and the error offset for a prepare failure.
class Error : public jitffi::Error {
 public:
  Error(int code, int extended_code, std::string message, std::string context = {});
  int code() const noexcept { return code_; }
  int extended_code() const noexcept { return extended_code_; }
  const std::string &message() const noexcept { return message_; }

 private:
  int code_, extended_code_;
  std::string message_;
};

// The loaded library. Copies share it; it stays loaded while any Database made from it lives.
class Sqlite3 {
 public:
  // path: an explicit library file; empty means $JITFFI_SQLITE3_PATH, then libsqlite3.so.0,
  // libsqlite3.so, sqlite3.
  explicit Sqlite3(std::string_view path = {});

  std::string version() const;  // "3.40.1"
  int version_number() const;   // 3040001
  const Api &api() const noexcept { return *api_; }
  std::shared_ptr<const Api> shared_api() const noexcept { return api_; }
  // sqlite3_errstr: the English text of a result code.
  std::string errstr(int code) const;

  // sqlite3_config(SQLITE_CONFIG_LOG, fn, NULL), a variadic call. sqlite only accepts it while
  // it is not initialized, so this shuts sqlite down and initializes it again: call it while no
  // connection is open. An empty function removes the logger. The logger's closure lives until it
  // is replaced or the last copy of this library handle goes.
  void set_log(std::function<void(int code, std::string_view message)> logger);

 private:
  std::shared_ptr<Api> api_;
};

class Statement;
class BlobHandle;
struct Connection;

// A SQL function's arguments are given as Values.
using ScalarFunction = std::function<Value(const std::vector<Value> &args)>;

// A database connection (sqlite3 *). Move-only; closed when the last of it and of its statements
// and blob handles goes (they keep it alive, so sqlite3_close always succeeds).
class Database {
 public:
  static Database open(const Sqlite3 &lib, std::string_view filename,
                       int flags = kOpenReadWrite | kOpenCreate);

  // Runs one or more statements.
  void exec(std::string_view sql);
  // Runs them with a row callback: the columns' text (nullopt for NULL) and names. Returning
  // false stops the query early (not an error). An exception from the callback stops it too and
  // is rethrown from exec.
  using RowCallback = std::function<bool(std::span<const std::optional<std::string_view>> values,
                                         std::span<const std::string_view> names)>;
  void exec(std::string_view sql, const RowCallback &on_row);

  Statement prepare(std::string_view sql);

  std::int64_t last_insert_rowid() const;
  int changes() const;
  bool autocommit() const;  // false inside an explicit transaction
  void busy_timeout(std::chrono::milliseconds timeout);

  // sqlite3_db_config(db, op, int, int *), a variadic call, for the on/off options
  // (kDbConfigEnableFkey, ...): sets the option (onoff < 0 only queries) and returns its state.
  bool db_config_flag(int op, int onoff);

  // Called for each row inserted, updated or deleted (op is kInsert, kUpdate or kDelete). An
  // empty function removes the hook. The hook must not use this connection.
  using UpdateHook = std::function<void(int op, std::string_view database, std::string_view table,
                                        std::int64_t rowid)>;
  void update_hook(UpdateHook hook);

  // A scalar SQL function; nargs -1 for any count. An exception becomes the SQL error's message.
  void create_function(std::string_view name, int nargs, ScalarFunction fn,
                       bool deterministic = true);

  // An aggregate SQL function: each group gets a fresh State, step() sees each row, final()
  // gives the result (also for an empty group).
  template <class State>
  void create_aggregate(std::string_view name, int nargs,
                        std::function<void(State &, const std::vector<Value> &)> step,
                        std::function<Value(State &)> final);

  // Incremental blob I/O on table.column at rowid.
  BlobHandle open_blob(std::string_view table, std::string_view column, std::int64_t rowid,
                       bool writable, std::string_view database = "main");

  void *handle() const noexcept;
  const Api &api() const noexcept;

  // Type-erased aggregate: make a state, step it, finish it (result) and destroy it.
  struct AggregateOps {
    std::function<void *()> make;
    std::function<void(void *, const std::vector<Value> &)> step;
    std::function<Value(void *)> final;
    std::function<void(void *)> destroy;
  };
  void create_aggregate_erased(std::string_view name, int nargs, AggregateOps ops);

 private:
  explicit Database(std::shared_ptr<Connection> c) : c_(std::move(c)) {}
  std::shared_ptr<Connection> c_;
};

template <class State>
void Database::create_aggregate(std::string_view name, int nargs,
                                std::function<void(State &, const std::vector<Value> &)> step,
                                std::function<Value(State &)> final) {
  AggregateOps ops;
  ops.make = [] { return static_cast<void *>(new State()); };
  ops.step = [step = std::move(step)](void *s, const std::vector<Value> &args) {
    step(*static_cast<State *>(s), args);
  };
  ops.final = [final = std::move(final)](void *s) { return final(*static_cast<State *>(s)); };
  ops.destroy = [](void *s) { delete static_cast<State *>(s); };
  create_aggregate_erased(name, nargs, std::move(ops));
}

namespace detail {
// SQLITE_TRANSIENT: sqlite copies the bytes before the bind/result call returns.
inline void *transient() noexcept {
  return reinterpret_cast<void *>(static_cast<std::intptr_t>(-1));
}
// sqlite binds NULL for a null pointer; an empty text or blob needs a real address.
inline constexpr char kEmptyBytes[1] = {0};
}  // namespace detail

// A prepared statement (sqlite3_stmt *). Binding methods return *this for chaining; text and
// blobs are bound with SQLITE_TRANSIENT (sqlite copies them). The per-row methods (bind_*, step,
// reset, column_*) are inline, so that each is one foreign call at the call site; their error
// paths are out of line.
class Statement {
 public:
  Statement(Statement &&o) noexcept
      : c_(std::move(o.c_)),
        api_(o.api_),
        hook_error_(o.hook_error_),
        stmt_(std::exchange(o.stmt_, nullptr)) {}
  Statement &operator=(Statement &&) noexcept;
  ~Statement();

  Statement &bind_null(int index) { return checked(api_->bind_null.invoke<int>(stmt_, index)); }
  Statement &bind_int(int index, int value) {
    return checked(api_->bind_int.invoke<int>(stmt_, index, value));
  }
  Statement &bind_int64(int index, std::int64_t value) {
    return checked(api_->bind_int64.invoke<int>(stmt_, index, value));
  }
  Statement &bind_double(int index, double value) {
    return checked(api_->bind_double.invoke<int>(stmt_, index, value));
  }
  Statement &bind_text(int index, std::string_view value) {
    const char *p = value.empty() ? detail::kEmptyBytes : value.data();
    return checked(api_->bind_text.invoke<int>(stmt_, index, p, static_cast<int>(value.size()),
                                               detail::transient()));
  }
  Statement &bind_blob(int index, std::span<const std::byte> value) {
    const void *p = value.empty() ? static_cast<const void *>(detail::kEmptyBytes) : value.data();
    return checked(api_->bind_blob.invoke<int>(stmt_, index, p, static_cast<int>(value.size()),
                                               detail::transient()));
  }
  Statement &bind(int index, const Value &value);
  int parameter_count() const;
  int parameter_index(std::string_view name) const;  // 0 when there is no such parameter

  // true: a row is ready; false: done. Throws Error (with sqlite3_errmsg) on failure, and
  // rethrows what the connection's update hook threw during the step.
  bool step() {
    int rc = api_->step.invoke<int>(stmt_);
    if ((rc != kRow && rc != kDone) || hook_error_->failed()) [[unlikely]]
      step_failed(rc);
    return rc == kRow;
  }
  // sqlite3_reset repeats the last step's error, which step() has already reported.
  void reset() { api_->reset.invoke<int>(stmt_); }
  void clear_bindings();

  int column_count() const { return api_->column_count.invoke<int>(stmt_); }
  std::string column_name(int i) const;
  ColumnType column_type(int i) const {
    return static_cast<ColumnType>(api_->column_type.invoke<int>(stmt_, i));
  }
  int column_int(int i) const { return api_->column_int.invoke<int>(stmt_, i); }
  std::int64_t column_int64(int i) const {
    return api_->column_int64.invoke<std::int64_t>(stmt_, i);
  }
  double column_double(int i) const { return api_->column_double.invoke<double>(stmt_, i); }
  std::string column_text(int i) const {
    // column_text before column_bytes: the text conversion may change the byte count.
    auto p = api_->column_text.invoke<const char *>(stmt_, i);
    int n = api_->column_bytes.invoke<int>(stmt_, i);
    return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
  }
  Blob column_blob(int i) const {
    auto p = api_->column_blob.invoke<const std::byte *>(stmt_, i);
    int n = api_->column_bytes.invoke<int>(stmt_, i);
    return p ? Blob(p, p + n) : Blob();
  }
  Value column(int i) const;

  std::string sql() const;
  // Finalizes now (the destructor does it otherwise).
  void finalize();
  void *handle() const noexcept { return stmt_; }

 private:
  friend class Database;
  Statement(std::shared_ptr<Connection> c, const Api *api, CallbackError *hook_error, void *stmt)
      : c_(std::move(c)), api_(api), hook_error_(hook_error), stmt_(stmt) {}
  Statement &checked(int rc) {
    if (rc != kOk) [[unlikely]]
      fail(rc);
    return *this;
  }
  [[noreturn]] void fail(int rc) const;
  [[noreturn]] void step_failed(int rc) const;
  std::shared_ptr<Connection> c_;
  // c_->api and &c_->hook_error, held here so that the inline methods need no Connection.
  const Api *api_ = nullptr;
  CallbackError *hook_error_ = nullptr;
  void *stmt_ = nullptr;
};

// An open blob (sqlite3_blob *).
class BlobHandle {
 public:
  BlobHandle(BlobHandle &&o) noexcept
      : c_(std::move(o.c_)), blob_(std::exchange(o.blob_, nullptr)) {}
  BlobHandle &operator=(BlobHandle &&) noexcept;
  ~BlobHandle();

  int size() const;
  Blob read(int offset, int count) const;
  void write(int offset, std::span<const std::byte> data);
  void reopen(std::int64_t rowid);
  void close();

 private:
  friend class Database;
  BlobHandle(std::shared_ptr<Connection> c, void *blob) : c_(std::move(c)), blob_(blob) {}
  // The connection of an open blob; Error (SQLITE_MISUSE) once closed or moved from.
  const Connection &open_connection() const;
  std::shared_ptr<Connection> c_;
  void *blob_ = nullptr;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() ran.
class Transaction {
 public:
  explicit Transaction(Database &db, std::string_view mode = "");  // "", "IMMEDIATE", ...
  Transaction(const Transaction &) = delete;
  Transaction &operator=(const Transaction &) = delete;
  ~Transaction();
  void commit();
  void rollback();

 private:
  Database &db_;
  bool open_ = true;
};

// Bytes of a string, for bind_blob and comparisons.
inline Blob to_blob(std::string_view s) {
  Blob b(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) b[i] = std::byte(static_cast<unsigned char>(s[i]));
  return b;
}

}  // namespace jitffi::bindings::sqlite
