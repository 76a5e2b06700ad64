// sqlite3 binding: the C declarations (one place, below), the library handle and the RAII layer.
#include "jitffi/bindings/sqlite3.h"

#include <cstring>

namespace jitffi::bindings::sqlite {

namespace {

// Every C declaration this binding uses: types, callback types, then the prototypes (with the
// API member each one fills) and the callbacks' own prototypes for the closures.
constexpr std::string_view kDeclarations = R"(
  typedef struct sqlite3 sqlite3;
  typedef struct sqlite3_stmt sqlite3_stmt;
  typedef struct sqlite3_context sqlite3_context;
  typedef struct sqlite3_value sqlite3_value;
  typedef struct sqlite3_blob sqlite3_blob;
  typedef long long sqlite3_int64;
  typedef void (*sqlite3_destructor_type)(void *);
  typedef int (*sqlite3_callback)(void *, int, char **, char **);
  typedef void (*sqlite3_xfunc)(sqlite3_context *, int, sqlite3_value **);
  typedef void (*sqlite3_xfinal)(sqlite3_context *);
  typedef void (*sqlite3_update_fn)(void *, int, const char *, const char *, sqlite3_int64);
  typedef void (*sqlite3_log_fn)(void *, int, const char *);
)";

constexpr FunctionEntry<Api> kFunctions[] = {
    {&Api::libversion, "const char *sqlite3_libversion(void)"},
    {&Api::libversion_number, "int sqlite3_libversion_number(void)"},
    {&Api::threadsafe, "int sqlite3_threadsafe(void)"},
    {&Api::initialize, "int sqlite3_initialize(void)"},
    {&Api::shutdown, "int sqlite3_shutdown(void)"},
    {&Api::config, "int sqlite3_config(int op, ...)"},
    {&Api::errstr, "const char *sqlite3_errstr(int rc)"},
    {&Api::open_v2,
     "int sqlite3_open_v2(const char *filename, sqlite3 **ppDb, int flags, const char *zVfs)"},
    {&Api::close, "int sqlite3_close(sqlite3 *db)"},
    {&Api::close_v2, "int sqlite3_close_v2(sqlite3 *db)"},
    {&Api::errmsg, "const char *sqlite3_errmsg(sqlite3 *db)"},
    {&Api::errcode, "int sqlite3_errcode(sqlite3 *db)"},
    {&Api::extended_errcode, "int sqlite3_extended_errcode(sqlite3 *db)"},
    {&Api::error_offset, "int sqlite3_error_offset(sqlite3 *db)", kOptional},  // 3.38+
    {&Api::exec,
     "int sqlite3_exec(sqlite3 *db, const char *sql, sqlite3_callback callback, void *arg, "
     "char **errmsg)"},
    {&Api::free, "void sqlite3_free(void *p)"},
    {&Api::changes, "int sqlite3_changes(sqlite3 *db)"},
    {&Api::total_changes, "int sqlite3_total_changes(sqlite3 *db)"},
    {&Api::last_insert_rowid, "sqlite3_int64 sqlite3_last_insert_rowid(sqlite3 *db)"},
    {&Api::get_autocommit, "int sqlite3_get_autocommit(sqlite3 *db)"},
    {&Api::busy_timeout, "int sqlite3_busy_timeout(sqlite3 *db, int ms)"},
    {&Api::db_config, "int sqlite3_db_config(sqlite3 *db, int op, ...)"},
    {&Api::update_hook, "void *sqlite3_update_hook(sqlite3 *db, sqlite3_update_fn fn, void *arg)"},
    {&Api::create_function_v2,
     "int sqlite3_create_function_v2(sqlite3 *db, const char *zFunctionName, int nArg, "
     "int eTextRep, void *pApp, sqlite3_xfunc xFunc, sqlite3_xfunc xStep, sqlite3_xfinal xFinal, "
     "sqlite3_destructor_type xDestroy)"},
    {&Api::prepare_v2,
     "int sqlite3_prepare_v2(sqlite3 *db, const char *zSql, int nByte, sqlite3_stmt **ppStmt, "
     "const char **pzTail)"},
    {&Api::step, "int sqlite3_step(sqlite3_stmt *stmt)"},
    {&Api::reset, "int sqlite3_reset(sqlite3_stmt *stmt)"},
    {&Api::clear_bindings, "int sqlite3_clear_bindings(sqlite3_stmt *stmt)"},
    {&Api::finalize, "int sqlite3_finalize(sqlite3_stmt *stmt)"},
    {&Api::sql, "const char *sqlite3_sql(sqlite3_stmt *stmt)"},
    {&Api::bind_parameter_count, "int sqlite3_bind_parameter_count(sqlite3_stmt *stmt)"},
    {&Api::bind_parameter_index,
     "int sqlite3_bind_parameter_index(sqlite3_stmt *stmt, const char *zName)"},
    {&Api::bind_null, "int sqlite3_bind_null(sqlite3_stmt *stmt, int i)"},
    {&Api::bind_int, "int sqlite3_bind_int(sqlite3_stmt *stmt, int i, int v)"},
    {&Api::bind_int64, "int sqlite3_bind_int64(sqlite3_stmt *stmt, int i, sqlite3_int64 v)"},
    {&Api::bind_double, "int sqlite3_bind_double(sqlite3_stmt *stmt, int i, double v)"},
    {&Api::bind_text,
     "int sqlite3_bind_text(sqlite3_stmt *stmt, int i, const char *v, int n, "
     "sqlite3_destructor_type d)"},
    {&Api::bind_blob,
     "int sqlite3_bind_blob(sqlite3_stmt *stmt, int i, const void *v, int n, "
     "sqlite3_destructor_type d)"},
    {&Api::column_count, "int sqlite3_column_count(sqlite3_stmt *stmt)"},
    {&Api::column_name, "const char *sqlite3_column_name(sqlite3_stmt *stmt, int i)"},
    {&Api::column_type, "int sqlite3_column_type(sqlite3_stmt *stmt, int i)"},
    {&Api::column_int, "int sqlite3_column_int(sqlite3_stmt *stmt, int i)"},
    {&Api::column_int64, "sqlite3_int64 sqlite3_column_int64(sqlite3_stmt *stmt, int i)"},
    {&Api::column_double, "double sqlite3_column_double(sqlite3_stmt *stmt, int i)"},
    {&Api::column_text, "const unsigned char *sqlite3_column_text(sqlite3_stmt *stmt, int i)"},
    {&Api::column_blob, "const void *sqlite3_column_blob(sqlite3_stmt *stmt, int i)"},
    {&Api::column_bytes, "int sqlite3_column_bytes(sqlite3_stmt *stmt, int i)"},
    {&Api::value_type, "int sqlite3_value_type(sqlite3_value *v)"},
    {&Api::value_int64, "sqlite3_int64 sqlite3_value_int64(sqlite3_value *v)"},
    {&Api::value_double, "double sqlite3_value_double(sqlite3_value *v)"},
    {&Api::value_text, "const unsigned char *sqlite3_value_text(sqlite3_value *v)"},
    {&Api::value_blob, "const void *sqlite3_value_blob(sqlite3_value *v)"},
    {&Api::value_bytes, "int sqlite3_value_bytes(sqlite3_value *v)"},
    {&Api::result_null, "void sqlite3_result_null(sqlite3_context *ctx)"},
    {&Api::result_int64, "void sqlite3_result_int64(sqlite3_context *ctx, sqlite3_int64 v)"},
    {&Api::result_double, "void sqlite3_result_double(sqlite3_context *ctx, double v)"},
    {&Api::result_text,
     "void sqlite3_result_text(sqlite3_context *ctx, const char *v, int n, "
     "sqlite3_destructor_type d)"},
    {&Api::result_blob,
     "void sqlite3_result_blob(sqlite3_context *ctx, const void *v, int n, "
     "sqlite3_destructor_type d)"},
    {&Api::result_error, "void sqlite3_result_error(sqlite3_context *ctx, const char *msg, int n)"},
    {&Api::result_error_code, "void sqlite3_result_error_code(sqlite3_context *ctx, int code)"},
    {&Api::aggregate_context, "void *sqlite3_aggregate_context(sqlite3_context *ctx, int nBytes)"},
    {&Api::blob_open,
     "int sqlite3_blob_open(sqlite3 *db, const char *zDb, const char *zTable, "
     "const char *zColumn, sqlite3_int64 iRow, int flags, sqlite3_blob **ppBlob)"},
    {&Api::blob_close, "int sqlite3_blob_close(sqlite3_blob *b)"},
    {&Api::blob_bytes, "int sqlite3_blob_bytes(sqlite3_blob *b)"},
    {&Api::blob_read, "int sqlite3_blob_read(sqlite3_blob *b, void *z, int n, int iOffset)"},
    {&Api::blob_write,
     "int sqlite3_blob_write(sqlite3_blob *b, const void *z, int n, int iOffset)"},
    {&Api::blob_reopen, "int sqlite3_blob_reopen(sqlite3_blob *b, sqlite3_int64 iRow)"},
};

struct CallbackEntry {
  Signature Api::*member;
  std::string_view prototype;
};
constexpr CallbackEntry kCallbacks[] = {
    {&Api::exec_callback, "int exec_callback(void *arg, int n, char **values, char **names)"},
    {&Api::scalar_fn, "void xfunc(sqlite3_context *ctx, int argc, sqlite3_value **argv)"},
    {&Api::final_fn, "void xfinal(sqlite3_context *ctx)"},
    {&Api::update_fn,
     "void update_fn(void *arg, int op, const char *db, const char *table, sqlite3_int64 rowid)"},
    {&Api::log_fn, "void log_fn(void *arg, int code, const char *msg)"},
};

const LibraryLocation kLocation{
    "sqlite3", "JITFFI_SQLITE3_PATH", {"libsqlite3.so.0", "libsqlite3.so", "sqlite3"}};

void *const kTransient = detail::transient();
constexpr const char *kEmpty = detail::kEmptyBytes;

std::string str(const char *s) {
  return s ? std::string(s) : std::string();
}

}  // namespace

// ---- Error, Api, Sqlite3 ----

Error::Error(int code, int extended_code, std::string message, std::string context)
    : jitffi::Error("sqlite3: " + message + " (code " + std::to_string(code) + ")" +
                    (context.empty() ? "" : " " + context)),
      code_(code),
      extended_code_(extended_code),
      message_(std::move(message)) {}

Function Api::variadic(const Function &fn, std::vector<TypeRef> varargs) const {
  return variadic_.get(fn, std::move(varargs));
}

Api::~Api() {
  if (log_closure) {
    // sqlite keeps the logger's address: unset it before its code is freed.
    shutdown.invoke<int>();
    variadic(config, {Type::pointer(), Type::pointer()})
        .invoke<int>(16, static_cast<void *>(nullptr), static_cast<void *>(nullptr));
  }
}

Sqlite3::Sqlite3(std::string_view path) : api_(std::make_shared<Api>()) {
  api_->lib = open_library(kLocation, path);
  api_->lib.scope().declare(kDeclarations);
  resolve_functions<Api>(api_->lib, *api_, kFunctions, "libsqlite3");
  for (const CallbackEntry &c : kCallbacks)
    (*api_).*(c.member) = api_->lib.scope().signature(c.prototype);
}

std::string Sqlite3::version() const {
  return str(api_->libversion.invoke<const char *>());
}

int Sqlite3::version_number() const {
  return api_->libversion_number.invoke<int>();
}

std::string Sqlite3::errstr(int code) const {
  return str(api_->errstr.invoke<const char *>(code));
}

void Sqlite3::set_log(std::function<void(int, std::string_view)> logger) {
  Api &a = *api_;
  std::lock_guard<std::mutex> lock(a.log_mutex);
  std::unique_ptr<Closure> next;
  if (logger) {
    next = std::make_unique<Closure>(a.log_fn, [logger = std::move(logger)](void *, void **args) {
      // A logger must not throw into sqlite: whatever it throws is dropped here.
      try {
        const char *msg = arg<const char *>(args, 2);
        logger(arg<int>(args, 1), msg ? std::string_view(msg) : std::string_view());
      } catch (...) {
      }
    });
  }
  Function config = a.variadic(a.config, {Type::pointer(), Type::pointer()});
  a.shutdown.invoke<int>();
  int rc = config.invoke<int>(16 /* SQLITE_CONFIG_LOG */, next ? next->code() : nullptr,
                              static_cast<void *>(nullptr));
  int rc_init = a.initialize.invoke<int>();
  if (rc != kOk) throw Error(rc, rc, errstr(rc), "(sqlite3_config(SQLITE_CONFIG_LOG))");
  if (rc_init != kOk) throw Error(rc_init, rc_init, errstr(rc_init), "(sqlite3_initialize)");
  a.log_closure = std::move(next);  // the old logger is no longer referenced by sqlite
}

// ---- Connection ----

// Closures of one registered SQL function (scalar: func; aggregate: step and final).
struct FunctionSlot {
  ScalarFunction scalar;
  Database::AggregateOps aggregate;
  Closure func, step, final;
};

struct Connection {
  std::shared_ptr<const Api> api;
  void *db = nullptr;
  std::map<std::string, std::unique_ptr<FunctionSlot>> functions;
  std::unique_ptr<Closure> update_closure;
  // An exception thrown by the update hook, rethrown from the statement that fired it.
  CallbackError hook_error;

  Connection(std::shared_ptr<const Api> a, void *d) : api(std::move(a)), db(d) {}
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  ~Connection() {
    // Statements and blobs hold this connection, so none is left and close succeeds; should it
    // not (a statement prepared through the raw handle), close_v2 defers the close and the
    // closures sqlite may still call are deliberately kept alive.
    if (api->close.invoke<int>(db) != kOk) {
      api->close_v2.invoke<int>(db);
      for (auto &f : functions) f.second.release();
      update_closure.release();
    }
  }

  std::string errmsg() const { return str(api->errmsg.invoke<const char *>(db)); }

  [[noreturn]] void fail(int rc, std::string context = {}) const {
    int code = api->errcode.invoke<int>(db);
    int ext = api->extended_errcode.invoke<int>(db);
    // The connection's error state matches rc except for calls that do not set it.
    if ((code & 0xff) != (rc & 0xff)) {
      code = rc & 0xff;
      ext = rc;
    }
    throw Error(code, ext, errmsg(), std::move(context));
  }

  void check(int rc, std::string_view what = {}) const {
    if (rc != kOk) fail(rc, what.empty() ? std::string() : "(" + std::string(what) + ")");
  }

  Value value_of(void *v) const {
    const Api &a = *api;
    switch (a.value_type.invoke<int>(v)) {
      case int(ColumnType::Integer):
        return a.value_int64.invoke<std::int64_t>(v);
      case int(ColumnType::Float):
        return a.value_double.invoke<double>(v);
      case int(ColumnType::Text): {
        auto p = a.value_text.invoke<const char *>(v);
        int n = a.value_bytes.invoke<int>(v);
        return std::string(p, p + n);
      }
      case int(ColumnType::Blob): {
        auto p = a.value_blob.invoke<const std::byte *>(v);
        int n = a.value_bytes.invoke<int>(v);
        return Blob(p, p + n);
      }
      default:
        return nullptr;
    }
  }

  std::vector<Value> values_of(int argc, void **argv) const {
    std::vector<Value> out;
    out.reserve(argc);
    for (int i = 0; i < argc; ++i) out.push_back(value_of(argv[i]));
    return out;
  }

  void set_result(void *ctx, const Value &v) const {
    const Api &a = *api;
    if (std::holds_alternative<std::int64_t>(v)) {
      a.result_int64.invoke<void>(ctx, std::get<std::int64_t>(v));
    } else if (std::holds_alternative<double>(v)) {
      a.result_double.invoke<void>(ctx, std::get<double>(v));
    } else if (auto *s = std::get_if<std::string>(&v)) {
      const char *p = s->empty() ? kEmpty : s->data();
      a.result_text.invoke<void>(ctx, p, static_cast<int>(s->size()), kTransient);
    } else if (auto *b = std::get_if<Blob>(&v)) {
      const void *p = b->empty() ? static_cast<const void *>(kEmpty) : b->data();
      a.result_blob.invoke<void>(ctx, p, static_cast<int>(b->size()), kTransient);
    } else {
      a.result_null.invoke<void>(ctx);
    }
  }

  void set_error(void *ctx, const std::exception_ptr &e) const noexcept {
    std::string msg = "exception in SQL function";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception &ex) {
      msg = ex.what();
    } catch (...) {
    }
    api->result_error.invoke<void>(ctx, msg.c_str(), -1);
  }
};

// ---- Database ----

Database Database::open(const Sqlite3 &lib, std::string_view filename, int flags) {
  const Api &a = lib.api();
  std::string name(filename);
  void *db = nullptr;
  int rc = a.open_v2.invoke<int>(name.c_str(), &db, flags, static_cast<const char *>(nullptr));
  if (rc != kOk) {
    // sqlite hands back a handle (holding the message) even when open fails, except on OOM.
    std::string msg = db ? str(a.errmsg.invoke<const char *>(db)) : lib.errstr(rc);
    int ext = db ? a.extended_errcode.invoke<int>(db) : rc;
    if (db) a.close.invoke<int>(db);
    throw Error(rc, ext, msg, "(opening \"" + name + "\")");
  }
  return Database(std::make_shared<Connection>(lib.shared_api(), db));
}

void *Database::handle() const noexcept {
  return c_->db;
}

const Api &Database::api() const noexcept {
  return *c_->api;
}

void Database::exec(std::string_view sql) {
  std::string s(sql);
  int rc = c_->api->exec.invoke<int>(c_->db, s.c_str(), static_cast<void *>(nullptr),
                                     static_cast<void *>(nullptr), static_cast<char **>(nullptr));
  c_->hook_error.rethrow_if_failed();
  if (rc != kOk) c_->fail(rc, "in \"" + s + "\"");
}

void Database::exec(std::string_view sql, const RowCallback &on_row) {
  std::string s(sql);
  CallbackError error;
  bool stopped = false;
  std::vector<std::optional<std::string_view>> values;
  std::vector<std::string_view> names;
  // This closure lives for this call only: sqlite3_exec does not keep the callback.
  Closure callback(c_->api->exec_callback, [&](void *ret, void **args) {
    int n = arg<int>(args, 1);
    auto vals = arg<char **>(args, 2);
    auto cols = arg<char **>(args, 3);
    bool go_on = false;
    error.guard([&] {
      values.assign(n, std::nullopt);
      names.assign(n, std::string_view());
      for (int i = 0; i < n; ++i) {
        if (vals[i]) values[i] = std::string_view(vals[i]);
        names[i] = cols[i];
      }
      go_on = on_row(values, names);
    });
    if (!go_on && !error.failed()) stopped = true;
    *static_cast<int *>(ret) = go_on ? 0 : 1;  // non-zero makes sqlite3_exec stop with ABORT
  });
  int rc = c_->api->exec.invoke<int>(c_->db, s.c_str(), callback.code(),
                                     static_cast<void *>(nullptr), static_cast<char **>(nullptr));
  error.rethrow_if_failed();
  c_->hook_error.rethrow_if_failed();
  if (rc == kAbort && stopped) return;
  if (rc != kOk) c_->fail(rc, "in \"" + s + "\"");
}

Statement Database::prepare(std::string_view sql) {
  const Api &a = *c_->api;
  void *stmt = nullptr;
  int rc = a.prepare_v2.invoke<int>(c_->db, sql.data(), static_cast<int>(sql.size()), &stmt,
                                    static_cast<const char **>(nullptr));
  if (rc != kOk) {
    std::string context = "in \"" + std::string(sql) + "\"";
    if (a.error_offset) {
      int off = a.error_offset.invoke<int>(c_->db);
      if (off >= 0) context += " at offset " + std::to_string(off);
    }
    c_->fail(rc, context);
  }
  if (!stmt)
    throw Error(kMisuse, kMisuse, "no SQL statement in the text",
                "in \"" + std::string(sql) + "\"");
  return Statement(c_, c_->api.get(), &c_->hook_error, stmt);
}

std::int64_t Database::last_insert_rowid() const {
  return c_->api->last_insert_rowid.invoke<std::int64_t>(c_->db);
}

int Database::changes() const {
  return c_->api->changes.invoke<int>(c_->db);
}

bool Database::autocommit() const {
  return c_->api->get_autocommit.invoke<int>(c_->db) != 0;
}

void Database::busy_timeout(std::chrono::milliseconds timeout) {
  c_->check(c_->api->busy_timeout.invoke<int>(c_->db, static_cast<int>(timeout.count())),
            "sqlite3_busy_timeout");
}

bool Database::db_config_flag(int op, int onoff) {
  const Api &a = *c_->api;
  Function f = a.variadic(a.db_config, {Type::scalar(TypeKind::I32), Type::pointer()});
  int state = -1;
  int *out = &state;
  int rc = f.invoke<int>(c_->db, op, onoff, out);
  if (rc != kOk)
    throw Error(rc, rc, str(a.errstr.invoke<const char *>(rc)),
                "(sqlite3_db_config op " + std::to_string(op) + ")");
  return state != 0;
}

void Database::update_hook(UpdateHook hook) {
  const Api &a = *c_->api;
  if (!hook) {
    a.update_hook.invoke<void *>(c_->db, static_cast<void *>(nullptr),
                                 static_cast<void *>(nullptr));
    c_->update_closure.reset();  // sqlite no longer holds its address
    return;
  }
  Connection *conn = c_.get();
  auto next =
      std::make_unique<Closure>(a.update_fn, [conn, hook = std::move(hook)](void *, void **args) {
        conn->hook_error.guard([&] {
          const char *db = arg<const char *>(args, 2);
          const char *table = arg<const char *>(args, 3);
          hook(arg<int>(args, 1), db ? db : "", table ? table : "", arg<std::int64_t>(args, 4));
        });
      });
  a.update_hook.invoke<void *>(c_->db, next->code(), static_cast<void *>(nullptr));
  c_->update_closure = std::move(next);  // the old hook is no longer referenced
}

namespace {

std::string function_key(std::string_view name, int nargs) {
  std::string key;
  for (char ch : name) key += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  return key + "/" + std::to_string(nargs);
}

constexpr int kUtf8 = 1, kDeterministic = 0x800;

}  // namespace

void Database::create_function(std::string_view name, int nargs, ScalarFunction fn,
                               bool deterministic) {
  if (!fn) throw BindingError("create_function: empty function for " + std::string(name));
  const Api &a = *c_->api;
  Connection *conn = c_.get();
  auto slot = std::make_unique<FunctionSlot>();
  slot->scalar = std::move(fn);
  FunctionSlot *s = slot.get();
  slot->func = Closure(a.scalar_fn, [conn, s](void *, void **args) {
    void *ctx = arg<void *>(args, 0);
    CallbackError error;
    Value result;
    if (error.guard(
            [&] { result = s->scalar(conn->values_of(arg<int>(args, 1), arg<void **>(args, 2))); }))
      conn->set_result(ctx, result);
    else
      conn->set_error(ctx, error.error());
  });
  std::string n(name);
  int rc = a.create_function_v2.invoke<int>(
      c_->db, n.c_str(), nargs, kUtf8 | (deterministic ? kDeterministic : 0),
      static_cast<void *>(nullptr), slot->func.code(), static_cast<void *>(nullptr),
      static_cast<void *>(nullptr), static_cast<void *>(nullptr));
  c_->check(rc, "sqlite3_create_function_v2 " + n);
  c_->functions[function_key(name, nargs)] = std::move(slot);  // frees a replaced function
}

void Database::create_aggregate_erased(std::string_view name, int nargs, AggregateOps ops) {
  const Api &a = *c_->api;
  Connection *conn = c_.get();
  auto slot = std::make_unique<FunctionSlot>();
  slot->aggregate = std::move(ops);
  FunctionSlot *s = slot.get();
  // The group's state: a pointer kept in sqlite's per-group aggregate context.
  slot->step = Closure(a.scalar_fn, [conn, s](void *, void **args) {
    void *ctx = arg<void *>(args, 0);
    CallbackError error;
    bool ok = error.guard([&] {
      auto slotp = static_cast<void **>(
          conn->api->aggregate_context.invoke<void *>(ctx, static_cast<int>(sizeof(void *))));
      if (!slotp) throw std::bad_alloc();
      if (!*slotp) *slotp = s->aggregate.make();
      s->aggregate.step(*slotp, conn->values_of(arg<int>(args, 1), arg<void **>(args, 2)));
    });
    if (!ok) conn->set_error(ctx, error.error());
  });
  slot->final = Closure(a.final_fn, [conn, s](void *, void **args) {
    void *ctx = arg<void *>(args, 0);
    // nBytes 0: no allocation; null when step never ran (an empty group).
    auto slotp = static_cast<void **>(conn->api->aggregate_context.invoke<void *>(ctx, 0));
    void *state = slotp ? *slotp : nullptr;
    if (slotp) *slotp = nullptr;
    CallbackError error;
    Value result;
    bool ok = error.guard([&] {
      if (!state) state = s->aggregate.make();
      result = s->aggregate.final(state);
    });
    if (state) s->aggregate.destroy(state);
    if (ok)
      conn->set_result(ctx, result);
    else
      conn->set_error(ctx, error.error());
  });
  std::string n(name);
  int rc = a.create_function_v2.invoke<int>(
      c_->db, n.c_str(), nargs, kUtf8, static_cast<void *>(nullptr), static_cast<void *>(nullptr),
      slot->step.code(), slot->final.code(), static_cast<void *>(nullptr));
  c_->check(rc, "sqlite3_create_function_v2 " + n);
  c_->functions[function_key(name, nargs)] = std::move(slot);
}

BlobHandle Database::open_blob(std::string_view table, std::string_view column, std::int64_t rowid,
                               bool writable, std::string_view database) {
  std::string d(database), t(table), c(column);
  void *blob = nullptr;
  int rc = c_->api->blob_open.invoke<int>(c_->db, d.c_str(), t.c_str(), c.c_str(), rowid,
                                          writable ? 1 : 0, &blob);
  if (rc != kOk) c_->fail(rc, "(sqlite3_blob_open " + t + "." + c + ")");
  return BlobHandle(c_, blob);
}

// ---- Statement ----

Statement &Statement::operator=(Statement &&other) noexcept {
  if (this != &other) {
    finalize();
    c_ = std::move(other.c_);
    api_ = other.api_;
    hook_error_ = other.hook_error_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  finalize();
}

void Statement::finalize() {
  if (stmt_) api_->finalize.invoke<int>(std::exchange(stmt_, nullptr));
}

// sqlite answers SQLITE_MISUSE for a null statement handle, which is what a finalized or
// moved-from Statement holds; its connection may be gone, so say so without asking it.
static void check_not_finalized(const void *stmt) {
  if (!stmt) throw Error(kMisuse, kMisuse, "the statement was finalized or moved from");
}

void Statement::fail(int rc) const {
  check_not_finalized(stmt_);
  c_->fail(rc);
}

void Statement::step_failed(int rc) const {
  check_not_finalized(stmt_);
  hook_error_->rethrow_if_failed();
  c_->fail(rc);
}

Statement &Statement::bind(int index, const Value &value) {
  if (auto *i = std::get_if<std::int64_t>(&value)) return bind_int64(index, *i);
  if (auto *d = std::get_if<double>(&value)) return bind_double(index, *d);
  if (auto *s = std::get_if<std::string>(&value)) return bind_text(index, *s);
  if (auto *b = std::get_if<Blob>(&value)) return bind_blob(index, *b);
  return bind_null(index);
}

int Statement::parameter_count() const {
  return api_->bind_parameter_count.invoke<int>(stmt_);
}

int Statement::parameter_index(std::string_view name) const {
  std::string n(name);
  return api_->bind_parameter_index.invoke<int>(stmt_, n.c_str());
}

void Statement::clear_bindings() {
  checked(api_->clear_bindings.invoke<int>(stmt_));
}

std::string Statement::column_name(int i) const {
  return str(api_->column_name.invoke<const char *>(stmt_, i));
}

Value Statement::column(int i) const {
  switch (column_type(i)) {
    case ColumnType::Integer:
      return column_int64(i);
    case ColumnType::Float:
      return column_double(i);
    case ColumnType::Text:
      return column_text(i);
    case ColumnType::Blob:
      return column_blob(i);
    default:
      return nullptr;
  }
}

std::string Statement::sql() const {
  return str(api_->sql.invoke<const char *>(stmt_));
}

// ---- BlobHandle ----

BlobHandle &BlobHandle::operator=(BlobHandle &&other) noexcept {
  if (this != &other) {
    if (blob_) c_->api->blob_close.invoke<int>(blob_);
    c_ = std::move(other.c_);
    blob_ = std::exchange(other.blob_, nullptr);
  }
  return *this;
}

BlobHandle::~BlobHandle() {
  if (blob_) c_->api->blob_close.invoke<int>(blob_);
}

const Connection &BlobHandle::open_connection() const {
  if (!blob_ || !c_) throw Error(kMisuse, kMisuse, "the blob handle was closed or moved from");
  return *c_;
}

int BlobHandle::size() const {
  return open_connection().api->blob_bytes.invoke<int>(blob_);
}

Blob BlobHandle::read(int offset, int count) const {
  Blob out(static_cast<std::size_t>(count < 0 ? 0 : count));
  void *p = out.data();
  const Connection &c = open_connection();
  int rc = c.api->blob_read.invoke<int>(blob_, p, count, offset);
  if (rc != kOk) c.fail(rc, "(sqlite3_blob_read)");
  return out;
}

void BlobHandle::write(int offset, std::span<const std::byte> data) {
  const void *p = data.empty() ? static_cast<const void *>(kEmpty) : data.data();
  const Connection &c = open_connection();
  int rc = c.api->blob_write.invoke<int>(blob_, p, static_cast<int>(data.size()), offset);
  if (rc != kOk) c.fail(rc, "(sqlite3_blob_write)");
}

void BlobHandle::reopen(std::int64_t rowid) {
  const Connection &c = open_connection();
  int rc = c.api->blob_reopen.invoke<int>(blob_, rowid);
  if (rc != kOk) c.fail(rc, "(sqlite3_blob_reopen)");
}

void BlobHandle::close() {
  if (!blob_) return;
  int rc = c_->api->blob_close.invoke<int>(std::exchange(blob_, nullptr));
  if (rc != kOk) c_->fail(rc, "(sqlite3_blob_close)");
}

// ---- Transaction ----

Transaction::Transaction(Database &db, std::string_view mode) : db_(db) {
  db_.exec("BEGIN " + std::string(mode));
}

Transaction::~Transaction() {
  if (open_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {  // sqlite may already have rolled back (e.g. after SQLITE_FULL)
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

void Transaction::rollback() {
  open_ = false;
  db_.exec("ROLLBACK");
}

}  // namespace jitffi::bindings::sqlite
