// MariaDB/MySQL client binding: the C declarations (one place, below), the library handle and the
// RAII layer over MYSQL, MYSQL_RES and MYSQL_STMT.
#include "jitffi/bindings/mariadb.h"

#include <dlfcn.h>

#include <algorithm>
#include <utility>

namespace jitffi::bindings::mariadb {

namespace {

// Every C declaration this binding uses (libmariadb 3.x: mysql.h, mariadb_com.h,
// mariadb_stmt.h). MYSQL, MYSQL_RES and MYSQL_STMT are only reached through pointers. MYSQL_BIND,
// MYSQL_TIME and MYSQL_FIELD are written and read by the binding, so their layouts are declared
// here as the headers have them (function pointers as void *, enums as their int typedefs); the
// layout test compares every offset with libmariadb-dev's headers.
constexpr std::string_view kDeclarations = R"(
  typedef struct st_mysql MYSQL;
  typedef struct st_mysql_res MYSQL_RES;
  typedef struct st_mysql_stmt MYSQL_STMT;
  typedef char my_bool;
  typedef unsigned long long my_ulonglong;
  typedef char **MYSQL_ROW;
  typedef enum { MYSQL_TYPE_DECIMAL = 0, MYSQL_TYPE_GEOMETRY = 255 } enum_field_types;
  typedef enum { MYSQL_OPT_CONNECT_TIMEOUT = 0 } mysql_option;
  typedef enum { STMT_ATTR_UPDATE_MAX_LENGTH = 0, STMT_ATTR_ARRAY_SIZE = 201 } enum_stmt_attr_type;
  typedef enum { MYSQL_TIMESTAMP_NONE = -2, MYSQL_TIMESTAMP_TIME = 2 } enum_mysql_timestamp_type;
  typedef struct st_mysql_field {
    char *name;
    char *org_name;
    char *table;
    char *org_table;
    char *db;
    char *catalog;
    char *def;
    unsigned long length;
    unsigned long max_length;
    unsigned int name_length;
    unsigned int org_name_length;
    unsigned int table_length;
    unsigned int org_table_length;
    unsigned int db_length;
    unsigned int catalog_length;
    unsigned int def_length;
    unsigned int flags;
    unsigned int decimals;
    unsigned int charsetnr;
    enum_field_types type;
    void *extension;
  } MYSQL_FIELD;
  typedef struct st_mysql_bind {
    unsigned long *length;
    my_bool *is_null;
    void *buffer;
    my_bool *error;
    union { unsigned char *row_ptr; char *indicator; } u;
    void *store_param_func;
    void *fetch_result;
    void *skip_result;
    unsigned long buffer_length;
    unsigned long offset;
    unsigned long length_value;
    unsigned int flags;
    unsigned int pack_length;
    enum_field_types buffer_type;
    my_bool error_value;
    my_bool is_unsigned;
    my_bool long_data_used;
    my_bool is_null_value;
    void *extension;
  } MYSQL_BIND;
  typedef struct st_mysql_time {
    unsigned int year, month, day, hour, minute, second;
    unsigned long second_part;
    my_bool neg;
    enum_mysql_timestamp_type time_type;
  } MYSQL_TIME;
)";

constexpr FunctionEntry<Api> kFunctions[] = {
    {&Api::get_client_info, "const char *mysql_get_client_info(void)"},
    {&Api::get_client_version, "unsigned long mysql_get_client_version(void)"},
    {&Api::init, "MYSQL *mysql_init(MYSQL *mysql)"},
    {&Api::close, "void mysql_close(MYSQL *sock)"},
    {&Api::options, "int mysql_options(MYSQL *mysql, mysql_option option, const void *arg)"},
    {&Api::real_connect,
     "MYSQL *mysql_real_connect(MYSQL *mysql, const char *host, const char *user, "
     "const char *passwd, const char *db, unsigned int port, const char *unix_socket, "
     "unsigned long clientflag)"},
    {&Api::errno_, "unsigned int mysql_errno(MYSQL *mysql)"},
    {&Api::error, "const char *mysql_error(MYSQL *mysql)"},
    {&Api::sqlstate, "const char *mysql_sqlstate(MYSQL *mysql)"},
    {&Api::ping, "int mysql_ping(MYSQL *mysql)"},
    {&Api::thread_id, "unsigned long mysql_thread_id(MYSQL *mysql)"},
    {&Api::get_server_info, "char *mysql_get_server_info(MYSQL *mysql)"},
    {&Api::get_host_info, "const char *mysql_get_host_info(MYSQL *mysql)"},
    {&Api::get_server_version, "unsigned long mysql_get_server_version(MYSQL *mysql)"},
    {&Api::character_set_name, "const char *mysql_character_set_name(MYSQL *mysql)"},
    {&Api::set_character_set, "int mysql_set_character_set(MYSQL *mysql, const char *csname)"},
    {&Api::query, "int mysql_query(MYSQL *mysql, const char *q)"},
    {&Api::real_query, "int mysql_real_query(MYSQL *mysql, const char *q, unsigned long length)"},
    {&Api::store_result, "MYSQL_RES *mysql_store_result(MYSQL *mysql)"},
    {&Api::use_result, "MYSQL_RES *mysql_use_result(MYSQL *mysql)"},
    {&Api::free_result, "void mysql_free_result(MYSQL_RES *result)"},
    {&Api::num_rows, "my_ulonglong mysql_num_rows(MYSQL_RES *res)"},
    {&Api::num_fields, "unsigned int mysql_num_fields(MYSQL_RES *res)"},
    {&Api::fetch_row, "MYSQL_ROW mysql_fetch_row(MYSQL_RES *result)"},
    {&Api::fetch_lengths, "unsigned long *mysql_fetch_lengths(MYSQL_RES *result)"},
    {&Api::fetch_field_direct,
     "MYSQL_FIELD *mysql_fetch_field_direct(MYSQL_RES *res, unsigned int fieldnr)"},
    {&Api::field_count, "unsigned int mysql_field_count(MYSQL *mysql)"},
    {&Api::affected_rows, "my_ulonglong mysql_affected_rows(MYSQL *mysql)"},
    {&Api::insert_id, "my_ulonglong mysql_insert_id(MYSQL *mysql)"},
    {&Api::warning_count, "unsigned int mysql_warning_count(MYSQL *mysql)"},
    {&Api::info, "const char *mysql_info(MYSQL *mysql)"},
    {&Api::real_escape_string,
     "unsigned long mysql_real_escape_string(MYSQL *mysql, char *to, const char *from, "
     "unsigned long length)"},
    {&Api::autocommit, "my_bool mysql_autocommit(MYSQL *mysql, my_bool mode)"},
    {&Api::commit, "my_bool mysql_commit(MYSQL *mysql)"},
    {&Api::rollback, "my_bool mysql_rollback(MYSQL *mysql)"},
    {&Api::more_results, "my_bool mysql_more_results(MYSQL *mysql)"},
    {&Api::next_result, "int mysql_next_result(MYSQL *mysql)"},
    {&Api::stmt_init, "MYSQL_STMT *mysql_stmt_init(MYSQL *mysql)"},
    {&Api::stmt_prepare,
     "int mysql_stmt_prepare(MYSQL_STMT *stmt, const char *query, unsigned long length)"},
    {&Api::stmt_bind_param, "my_bool mysql_stmt_bind_param(MYSQL_STMT *stmt, MYSQL_BIND *bnd)"},
    {&Api::stmt_bind_result, "my_bool mysql_stmt_bind_result(MYSQL_STMT *stmt, MYSQL_BIND *bnd)"},
    {&Api::stmt_execute, "int mysql_stmt_execute(MYSQL_STMT *stmt)"},
    {&Api::stmt_fetch, "int mysql_stmt_fetch(MYSQL_STMT *stmt)"},
    {&Api::stmt_fetch_column,
     "int mysql_stmt_fetch_column(MYSQL_STMT *stmt, MYSQL_BIND *bind_arg, unsigned int column, "
     "unsigned long offset)"},
    {&Api::stmt_store_result, "int mysql_stmt_store_result(MYSQL_STMT *stmt)"},
    {&Api::stmt_result_metadata, "MYSQL_RES *mysql_stmt_result_metadata(MYSQL_STMT *stmt)"},
    {&Api::stmt_param_count, "unsigned long mysql_stmt_param_count(MYSQL_STMT *stmt)"},
    {&Api::stmt_field_count, "unsigned int mysql_stmt_field_count(MYSQL_STMT *stmt)"},
    {&Api::stmt_affected_rows, "unsigned long long mysql_stmt_affected_rows(MYSQL_STMT *stmt)"},
    {&Api::stmt_insert_id, "unsigned long long mysql_stmt_insert_id(MYSQL_STMT *stmt)"},
    {&Api::stmt_num_rows, "unsigned long long mysql_stmt_num_rows(MYSQL_STMT *stmt)"},
    {&Api::stmt_close, "my_bool mysql_stmt_close(MYSQL_STMT *stmt)"},
    {&Api::stmt_reset, "my_bool mysql_stmt_reset(MYSQL_STMT *stmt)"},
    {&Api::stmt_free_result, "my_bool mysql_stmt_free_result(MYSQL_STMT *stmt)"},
    {&Api::stmt_errno, "unsigned int mysql_stmt_errno(MYSQL_STMT *stmt)"},
    {&Api::stmt_error, "const char *mysql_stmt_error(MYSQL_STMT *stmt)"},
    {&Api::stmt_sqlstate, "const char *mysql_stmt_sqlstate(MYSQL_STMT *stmt)"},
};

const LibraryLocation kLocation{
    "mariadb", "JITFFI_MARIADB_PATH", {"libmariadb.so.3", "libmariadb.so"}};

// libmariadb stays loaded once opened: its one-time initialisation (pthread_once in
// mysql_server_init) keeps allocations in the library's globals, which cannot be freed safely
// while another user in the process (a program linked with libmariadb) may still need them, and
// unloading the library would leave them unreachable (a leak to LeakSanitizer).
void pin_loaded(const void *symbol) {
  Dl_info info{};
  if (::dladdr(symbol, &info) && info.dli_fname)
    ::dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);  // never closed: a pin
}

std::string z(std::string_view s) {
  return std::string(s);
}

const char *opt(const std::string &s) {
  return s.empty() ? nullptr : s.c_str();
}

std::string cstr(const char *p) {
  return p ? p : "";
}

template <class T>
T load(const void *base, std::size_t off) {
  T v;
  std::memcpy(&v, static_cast<const char *>(base) + off, sizeof(T));
  return v;
}

template <class T>
void store(void *base, std::size_t off, T v) {
  std::memcpy(static_cast<char *>(base) + off, &v, sizeof(T));
}

Layouts compute_layouts(const Scope &scope) {
  Layouts l;
  l.bind = StructLayout(scope.type("MYSQL_BIND"));
  l.time = StructLayout(scope.type("MYSQL_TIME"));
  l.field = StructLayout(scope.type("MYSQL_FIELD"));
  l.bind_size = l.bind.size();
  l.bind_length = l.bind.offset("length");
  l.bind_is_null = l.bind.offset("is_null");
  l.bind_buffer = l.bind.offset("buffer");
  l.bind_error = l.bind.offset("error");
  l.bind_buffer_length = l.bind.offset("buffer_length");
  l.bind_buffer_type = l.bind.offset("buffer_type");
  l.bind_is_unsigned = l.bind.offset("is_unsigned");
  l.time_size = l.time.size();
  l.time_year = l.time.offset("year");
  l.time_month = l.time.offset("month");
  l.time_day = l.time.offset("day");
  l.time_hour = l.time.offset("hour");
  l.time_minute = l.time.offset("minute");
  l.time_second = l.time.offset("second");
  l.time_second_part = l.time.offset("second_part");
  l.time_neg = l.time.offset("neg");
  l.time_time_type = l.time.offset("time_type");
  l.field_name = l.field.offset("name");
  l.field_org_name = l.field.offset("org_name");
  l.field_table = l.field.offset("table");
  l.field_org_table = l.field.offset("org_table");
  l.field_db = l.field.offset("db");
  l.field_length = l.field.offset("length");
  l.field_max_length = l.field.offset("max_length");
  l.field_name_length = l.field.offset("name_length");
  l.field_flags = l.field.offset("flags");
  l.field_decimals = l.field.offset("decimals");
  l.field_charsetnr = l.field.offset("charsetnr");
  l.field_type = l.field.offset("type");
  return l;
}

Field read_field(const Layouts &l, const void *f) {
  Field out;
  out.name = cstr(load<const char *>(f, l.field_name));
  out.org_name = cstr(load<const char *>(f, l.field_org_name));
  out.table = cstr(load<const char *>(f, l.field_table));
  out.org_table = cstr(load<const char *>(f, l.field_org_table));
  out.db = cstr(load<const char *>(f, l.field_db));
  out.length = load<unsigned long>(f, l.field_length);
  out.max_length = load<unsigned long>(f, l.field_max_length);
  out.flags = load<unsigned>(f, l.field_flags);
  out.decimals = load<unsigned>(f, l.field_decimals);
  out.charsetnr = load<unsigned>(f, l.field_charsetnr);
  out.type = static_cast<FieldType>(load<int>(f, l.field_type));
  return out;
}

bool is_integer(FieldType t) {
  switch (t) {
    case FieldType::Tiny:
    case FieldType::Short:
    case FieldType::Long:
    case FieldType::Int24:
    case FieldType::LongLong:
    case FieldType::Year:
      return true;
    default:
      return false;
  }
}

bool is_time(FieldType t) {
  return t == FieldType::Date || t == FieldType::NewDate || t == FieldType::DateTime ||
         t == FieldType::Timestamp || t == FieldType::Time;
}

// A result string column starts with this many bytes; longer values are fetched again whole.
constexpr std::size_t kInitialStringBuffer = 256;

}  // namespace

// ---- Session: the MYSQL * shared by a connection, its results and statements ----

struct Session {
  std::shared_ptr<const Api> api;
  void *mysql = nullptr;
  Session(std::shared_ptr<const Api> a, void *m) : api(std::move(a)), mysql(m) {}
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;
  ~Session() {
    if (mysql) api->close.invoke<void>(mysql);
  }
  [[noreturn]] void fail(std::string context) const {
    const Api &a = *api;
    unsigned code = a.errno_.invoke<unsigned>(mysql);
    throw Error(code, cstr(a.error.invoke<const char *>(mysql)),
                cstr(a.sqlstate.invoke<const char *>(mysql)), std::move(context));
  }
};

// ---- Error, MariaDB ----

Error::Error(unsigned code, std::string message, std::string sqlstate, std::string context)
    : jitffi::Error("mariadb: " + message + " (errno " + std::to_string(code) + ", SQLSTATE " +
                    sqlstate + ")" + (context.empty() ? "" : " in " + context)),
      code_(code),
      message_(std::move(message)),
      sqlstate_(std::move(sqlstate)) {}

MariaDB::MariaDB(std::string_view path) : api_(std::make_shared<Api>()) {
  api_->lib = open_library(kLocation, path);
  api_->lib.scope().declare(kDeclarations);
  resolve_functions<Api>(api_->lib, *api_, kFunctions, "libmariadb");
  pin_loaded(api_->lib.find("mysql_init"));  // the library's own address, not a thunk
  api_->layout = compute_layouts(api_->lib.scope());
}

std::string MariaDB::client_info() const {
  return cstr(api_->get_client_info.invoke<const char *>());
}

unsigned long MariaDB::client_version() const {
  return api_->get_client_version.invoke<unsigned long>();
}

// ---- Connection ----

Connection Connection::connect(const MariaDB &lib, const ConnectOptions &o) {
  const Api &a = lib.api();
  void *m = a.init.invoke<void *>(static_cast<void *>(nullptr));
  if (!m) throw Error(2008, "mysql_init: out of memory", "HY000", "mysql_init");
  auto s = std::make_shared<Session>(lib.shared_api(), m);
  auto set_uint = [&](int option, unsigned v, const char *name) {
    if (!v) return;
    if (a.options.invoke<int>(m, option, static_cast<const void *>(&v)) != 0)
      s->fail(std::string("mysql_options(") + name + ")");
  };
  set_uint(kOptConnectTimeout, o.connect_timeout, "MYSQL_OPT_CONNECT_TIMEOUT");
  set_uint(kOptReadTimeout, o.read_timeout, "MYSQL_OPT_READ_TIMEOUT");
  set_uint(kOptWriteTimeout, o.write_timeout, "MYSQL_OPT_WRITE_TIMEOUT");
  if (!o.charset.empty() &&
      a.options.invoke<int>(m, kOptSetCharsetName, static_cast<const void *>(o.charset.c_str())) !=
          0)
    s->fail("mysql_options(MYSQL_SET_CHARSET_NAME)");
  void *r = a.real_connect.invoke<void *>(m, opt(o.host), opt(o.user), opt(o.password),
                                          opt(o.database), o.port, opt(o.unix_socket), o.flags);
  if (!r) {
    std::string where = o.host.empty() || o.host == "localhost"
                            ? "unix socket " + (o.unix_socket.empty() ? "(default)" : o.unix_socket)
                            : o.host + ":" + std::to_string(o.port);
    s->fail("mysql_real_connect to " + where);
  }
  return Connection(std::move(s));
}

void *Connection::handle() const noexcept {
  return s_->mysql;
}
const Api &Connection::api() const noexcept {
  return *s_->api;
}
void Connection::fail(std::string context) const {
  s_->fail(std::move(context));
}

void Connection::query(std::string_view sql) {
  if (api().real_query.invoke<int>(s_->mysql, sql.data(), static_cast<unsigned long>(sql.size())))
    fail("query: " + z(sql));
}

std::uint64_t Connection::execute(std::string_view sql) {
  query(sql);
  std::uint64_t affected = 0;
  for (;;) {
    if (auto r = store_result()) {
      // A result set (a SELECT in a multi-statement): discarded.
    } else {
      affected = affected_rows();
    }
    int rc = api().next_result.invoke<int>(s_->mysql);
    if (rc == -1) break;
    if (rc > 0) fail("query (a later statement): " + z(sql));
  }
  return affected;
}

Result Connection::select(std::string_view sql) {
  query(sql);
  auto r = store_result();
  if (!r) throw Error(0, "the statement returned no result set", "", "select: " + z(sql));
  return std::move(*r);
}

std::optional<Result> Connection::store_result() {
  void *res = api().store_result.invoke<void *>(s_->mysql);
  if (!res) {
    if (api().field_count.invoke<unsigned>(s_->mysql) == 0) return std::nullopt;
    fail("mysql_store_result");
  }
  return Result(s_, res);
}

std::optional<Result> Connection::use_result() {
  void *res = api().use_result.invoke<void *>(s_->mysql);
  if (!res) {
    if (api().field_count.invoke<unsigned>(s_->mysql) == 0) return std::nullopt;
    fail("mysql_use_result");
  }
  return Result(s_, res);
}

bool Connection::next_result() {
  int rc = api().next_result.invoke<int>(s_->mysql);
  if (rc > 0) fail("mysql_next_result");
  return rc == 0;
}

bool Connection::more_results() const {
  return api().more_results.invoke<char>(s_->mysql) != 0;
}

Statement Connection::prepare(std::string_view sql) {
  void *st = api().stmt_init.invoke<void *>(s_->mysql);
  if (!st) fail("mysql_stmt_init");
  Statement stmt(s_, st);
  if (api().stmt_prepare.invoke<int>(st, sql.data(), static_cast<unsigned long>(sql.size())))
    stmt.fail("prepare: " + z(sql));
  stmt.params_ = stmt.param_count();
  return stmt;
}

std::uint64_t Connection::affected_rows() const {
  return api().affected_rows.invoke<unsigned long long>(s_->mysql);
}
std::uint64_t Connection::insert_id() const {
  return api().insert_id.invoke<unsigned long long>(s_->mysql);
}
unsigned Connection::warning_count() const {
  return api().warning_count.invoke<unsigned>(s_->mysql);
}
std::string Connection::info() const {
  return cstr(api().info.invoke<const char *>(s_->mysql));
}
unsigned Connection::field_count() const {
  return api().field_count.invoke<unsigned>(s_->mysql);
}

std::string Connection::escape(std::string_view text) const {
  std::string out(text.size() * 2 + 1, '\0');  // the documented worst case
  unsigned long n = api().real_escape_string.invoke<unsigned long>(
      s_->mysql, out.data(), text.data(), static_cast<unsigned long>(text.size()));
  if (n == static_cast<unsigned long>(-1)) fail("mysql_real_escape_string");
  out.resize(n);
  return out;
}

void Connection::autocommit(bool on) {
  if (api().autocommit.invoke<char>(s_->mysql, static_cast<char>(on))) fail("mysql_autocommit");
}
void Connection::commit() {
  if (api().commit.invoke<char>(s_->mysql)) fail("mysql_commit");
}
void Connection::rollback() {
  if (api().rollback.invoke<char>(s_->mysql)) fail("mysql_rollback");
}
void Connection::ping() {
  if (api().ping.invoke<int>(s_->mysql)) fail("mysql_ping");
}
void Connection::set_character_set(std::string_view name) {
  std::string n = z(name);
  if (api().set_character_set.invoke<int>(s_->mysql, static_cast<const char *>(n.c_str())))
    fail("mysql_set_character_set(" + n + ")");
}
std::string Connection::character_set() const {
  return cstr(api().character_set_name.invoke<const char *>(s_->mysql));
}
std::string Connection::server_info() const {
  return cstr(api().get_server_info.invoke<const char *>(s_->mysql));
}
std::string Connection::host_info() const {
  return cstr(api().get_host_info.invoke<const char *>(s_->mysql));
}
unsigned long Connection::server_version() const {
  return api().get_server_version.invoke<unsigned long>(s_->mysql);
}
unsigned long Connection::thread_id() const {
  return api().thread_id.invoke<unsigned long>(s_->mysql);
}

// ---- Result ----

Result::Result(std::shared_ptr<Session> s, void *res) : s_(std::move(s)), res_(res) {
  nfields_ = s_->api->num_fields.invoke<unsigned>(res_);
}

Result &Result::operator=(Result &&o) noexcept {
  if (this != &o) {
    if (res_) s_->api->free_result.invoke<void>(res_);
    s_ = std::move(o.s_);
    res_ = std::exchange(o.res_, nullptr);
    row_ = o.row_;
    lengths_ = o.lengths_;
    nfields_ = o.nfields_;
  }
  return *this;
}

Result::~Result() {
  // mysql_free_result of an unfinished use_result reads the remaining rows first.
  if (res_) s_->api->free_result.invoke<void>(res_);
}

std::uint64_t Result::num_rows() const {
  return s_->api->num_rows.invoke<unsigned long long>(res_);
}

Field Result::field(unsigned i) const {
  if (i >= nfields_)
    throw BindingError("mariadb: field " + std::to_string(i) + " of a result with " +
                       std::to_string(nfields_) + " fields");
  const void *f = s_->api->fetch_field_direct.invoke<const void *>(res_, i);
  return read_field(s_->api->layout, f);
}

std::vector<Field> Result::fields() const {
  std::vector<Field> out;
  out.reserve(nfields_);
  for (unsigned i = 0; i < nfields_; ++i) out.push_back(field(i));
  return out;
}

bool Result::fetch() {
  const Api &a = *s_->api;
  row_ = a.fetch_row.invoke<char **>(res_);
  if (!row_) {
    lengths_ = nullptr;
    // NULL is the end of the rows, or (use_result) a read error left on the connection.
    if (a.errno_.invoke<unsigned>(s_->mysql) != 0) s_->fail("mysql_fetch_row");
    return false;
  }
  lengths_ = a.fetch_lengths.invoke<unsigned long *>(res_);
  return true;
}

void Result::check_column(unsigned i) const {
  if (!row_) throw BindingError("mariadb: no current row (call fetch() first)");
  if (i >= nfields_)
    throw BindingError("mariadb: column " + std::to_string(i) + " of a row with " +
                       std::to_string(nfields_) + " columns");
}

std::optional<std::string_view> Result::get(unsigned i) const {
  check_column(i);
  if (!row_[i]) return std::nullopt;
  return std::string_view(row_[i], lengths_[i]);
}

bool Result::is_null(unsigned i) const {
  check_column(i);
  return row_[i] == nullptr;
}

std::vector<std::optional<std::string>> Result::row() const {
  std::vector<std::optional<std::string>> out(nfields_);
  for (unsigned i = 0; i < nfields_; ++i)
    if (auto v = get(i)) out[i] = std::string(*v);
  return out;
}

std::vector<std::vector<std::optional<std::string>>> Result::all() {
  std::vector<std::vector<std::optional<std::string>>> rows;
  while (fetch()) rows.push_back(row());
  return rows;
}

// ---- Binds ----

Binds::Binds(const Api &api, std::size_t n)
    : api_(&api),
      raw_(new char[std::max<std::size_t>(n, 1) * api.layout.bind_size]()),
      slots_storage_(new Slot[std::max<std::size_t>(n, 1)]),
      slots_(slots_storage_.get(), n) {
  const Layouts &l = api.layout;
  for (std::size_t i = 0; i < n; ++i) {
    char *e = entry(i);
    store<void *>(e, l.bind_length, &slots_[i].length);
    store<void *>(e, l.bind_is_null, &slots_[i].is_null);
    store<void *>(e, l.bind_error, &slots_[i].error);
    slots_[i].is_null = 1;
    store<int>(e, l.bind_buffer_type, static_cast<int>(FieldType::Null));
  }
}

void Binds::point(std::size_t i, FieldType t, void *buffer, unsigned long buffer_length,
                  bool is_unsigned) {
  const Layouts &l = api_->layout;
  char *e = entry(i);
  Slot &s = slots_[i];
  if (s.type != t || load<void *>(e, l.bind_buffer) != buffer || s.is_unsigned != is_unsigned ||
      load<unsigned long>(e, l.bind_buffer_length) != buffer_length) {
    s.type = t;
    s.is_unsigned = is_unsigned;
    store<int>(e, l.bind_buffer_type, static_cast<int>(t));
    store<void *>(e, l.bind_buffer, buffer);
    store<unsigned long>(e, l.bind_buffer_length, buffer_length);
    store<char>(e, l.bind_is_unsigned, static_cast<char>(is_unsigned));
    dirty_ = true;
  }
}

void Binds::set_null(std::size_t i) {
  slots_[i].fixed_kind = 0;
  point(i, FieldType::Null, nullptr, 0, false);
  slots_[i].is_null = 1;
}

void Binds::set_fixed_slow(std::size_t i, FieldType t, const void *v, std::size_t n,
                           bool is_unsigned) {
  Slot &s = slots_[i];
  std::memcpy(s.fixed, v, n);
  s.length = static_cast<unsigned long>(n);
  s.is_null = 0;
  point(i, t, s.fixed, static_cast<unsigned long>(n), is_unsigned);
  s.fixed_kind = kind(t, is_unsigned);
}

void Binds::set_bytes_slow(std::size_t i, FieldType t, const void *p, std::size_t n) {
  Slot &s = slots_[i];
  s.fixed_kind = 0;
  s.bytes.assign(static_cast<const char *>(p), n);
  s.length = static_cast<unsigned long>(n);
  s.is_null = 0;
  // The length travels through *length, so the buffer and its capacity only move (and need a
  // new bind) when the string grows.
  point(i, t, s.bytes.data(), static_cast<unsigned long>(s.bytes.capacity()), false);
}

void Binds::set_time(std::size_t i, const DateTime &t) {
  const Layouts &l = api_->layout;
  Slot &s = slots_[i];
  s.fixed_kind = 0;
  std::memset(s.fixed, 0, sizeof s.fixed);
  store<unsigned>(s.fixed, l.time_year, t.year);
  store<unsigned>(s.fixed, l.time_month, t.month);
  // The binary protocol sends a TIME's hours as days and hours below 24 (one byte); libmariadb
  // copies both fields as given, so hours of 24 and above are split here.
  unsigned day = t.day, hour = t.hour;
  if (t.type == TimeType::Time && hour >= 24) day += hour / 24, hour %= 24;
  store<unsigned>(s.fixed, l.time_day, day);
  store<unsigned>(s.fixed, l.time_hour, hour);
  store<unsigned>(s.fixed, l.time_minute, t.minute);
  store<unsigned>(s.fixed, l.time_second, t.second);
  store<unsigned long>(s.fixed, l.time_second_part, t.microsecond);
  store<char>(s.fixed, l.time_neg, static_cast<char>(t.negative));
  store<int>(s.fixed, l.time_time_type, static_cast<int>(t.type));
  s.is_null = 0;
  s.length = static_cast<unsigned long>(l.time_size);
  FieldType ft = t.type == TimeType::Date   ? FieldType::Date
                 : t.type == TimeType::Time ? FieldType::Time
                                            : FieldType::DateTime;
  point(i, ft, s.fixed, static_cast<unsigned long>(l.time_size), false);
}

void Binds::set(std::size_t i, const Value &v) {
  std::visit(
      [&](const auto &x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>)
          set_null(i);
        else if constexpr (std::is_same_v<T, std::int64_t>)
          set_int64(i, x);
        else if constexpr (std::is_same_v<T, std::uint64_t>)
          set_uint64(i, x);
        else if constexpr (std::is_same_v<T, double>)
          set_double(i, x);
        else if constexpr (std::is_same_v<T, std::string>)
          set_string(i, x);
        else if constexpr (std::is_same_v<T, Blob>)
          set_blob(i, x);
        else if constexpr (std::is_same_v<T, DateTime>)
          set_time(i, x);
        else
          set_decimal(i, x.text);
      },
      v);
}

void Binds::prepare_result(std::size_t i, const Field &f) {
  Slot &s = slots_[i];
  s.fixed_kind = 0;
  s.binary = f.is_binary();
  s.is_null = 0;
  if (is_integer(f.type)) {
    point(i, FieldType::LongLong, s.fixed, 8, f.is_unsigned());
  } else if (f.type == FieldType::Float || f.type == FieldType::Double) {
    point(i, FieldType::Double, s.fixed, 8, false);
  } else if (is_time(f.type)) {
    point(i, f.type, s.fixed, static_cast<unsigned long>(api_->layout.time_size), false);
  } else {
    FieldType t = f.type == FieldType::Decimal || f.type == FieldType::NewDecimal ? f.type
                  : s.binary                                                      ? FieldType::Blob
                             : FieldType::String;
    s.bytes.resize(std::max(s.bytes.size(), kInitialStringBuffer));
    point(i, t, s.bytes.data(), static_cast<unsigned long>(s.bytes.size()), false);
  }
}

DateTime Binds::time(std::size_t i) const {
  const Layouts &l = api_->layout;
  const void *p = slots_[i].fixed;
  DateTime t;
  t.year = load<unsigned>(p, l.time_year);
  t.month = load<unsigned>(p, l.time_month);
  t.day = load<unsigned>(p, l.time_day);
  t.hour = load<unsigned>(p, l.time_hour);
  t.minute = load<unsigned>(p, l.time_minute);
  t.second = load<unsigned>(p, l.time_second);
  t.microsecond = load<unsigned long>(p, l.time_second_part);
  t.negative = load<char>(p, l.time_neg) != 0;
  t.type = static_cast<TimeType>(load<int>(p, l.time_time_type));
  return t;
}

Value Binds::value(std::size_t i) const {
  const Slot &s = slots_[i];
  if (s.is_null) return nullptr;
  switch (s.type) {
    case FieldType::Null:
      return nullptr;
    case FieldType::LongLong:
      if (s.is_unsigned) return uint64(i);
      return int64(i);
    case FieldType::Double:
      return double_(i);
    case FieldType::Date:
    case FieldType::NewDate:
    case FieldType::DateTime:
    case FieldType::Timestamp:
    case FieldType::Time:
      return time(i);
    case FieldType::Decimal:
    case FieldType::NewDecimal:
      return Decimal{std::string(bytes(i))};
    case FieldType::Blob: {
      std::string_view b = bytes(i);
      return to_blob(b);
    }
    default:
      return std::string(bytes(i));
  }
}

// ---- Statement ----

Statement::Statement(std::shared_ptr<Session> s, void *stmt)
    : s_(std::move(s)), api_(s_->api.get()), stmt_(stmt) {}

Statement::Statement(Statement &&o) noexcept
    : s_(std::move(o.s_)),
      api_(o.api_),
      stmt_(std::exchange(o.stmt_, nullptr)),
      results_(std::move(o.results_)),
      results_bound_(std::exchange(o.results_bound_, false)),
      own_params_(std::move(o.own_params_)),
      params_(o.params_) {}

Statement &Statement::operator=(Statement &&o) noexcept {
  if (this != &o) {
    if (stmt_) api_->stmt_close.invoke<char>(stmt_);
    s_ = std::move(o.s_);
    api_ = o.api_;
    stmt_ = std::exchange(o.stmt_, nullptr);
    results_ = std::move(o.results_);
    results_bound_ = std::exchange(o.results_bound_, false);
    own_params_ = std::move(o.own_params_);
    params_ = o.params_;
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_) api_->stmt_close.invoke<char>(stmt_);
}

void Statement::fail(std::string context) const {
  unsigned code = api_->stmt_errno.invoke<unsigned>(stmt_);
  throw Error(code, cstr(api_->stmt_error.invoke<const char *>(stmt_)),
              cstr(api_->stmt_sqlstate.invoke<const char *>(stmt_)), std::move(context));
}

unsigned long Statement::param_count() const {
  return api_->stmt_param_count.invoke<unsigned long>(stmt_);
}

unsigned Statement::field_count() const {
  return api_->stmt_field_count.invoke<unsigned>(stmt_);
}

std::vector<Field> Statement::fields() const {
  std::vector<Field> out;
  void *meta = api_->stmt_result_metadata.invoke<void *>(stmt_);
  if (!meta) return out;
  unsigned n = api_->num_fields.invoke<unsigned>(meta);
  for (unsigned i = 0; i < n; ++i)
    out.push_back(read_field(api_->layout, api_->fetch_field_direct.invoke<const void *>(meta, i)));
  api_->free_result.invoke<void>(meta);
  return out;
}

Binds Statement::make_params() const {
  return Binds(*api_, params_);
}

void Statement::execute_failed() const {
  fail("mysql_stmt_execute");
}

void Statement::execute_slow(Binds &params) {
  if (params.size() != params_)
    throw BindingError("mariadb: statement has " + std::to_string(params_) + " parameters, " +
                       std::to_string(params.size()) + " values given");
  if (params.size() > 0 && api_->stmt_bind_param.invoke<char>(stmt_, params.data()))
    fail("mysql_stmt_bind_param");
  params.clear_dirty();
  if (api_->stmt_execute.invoke<int>(stmt_)) fail("mysql_stmt_execute");
  results_bound_ = false;
}

void Statement::execute() {
  Binds none(*api_, 0);
  execute(none);
}

void Statement::execute(const std::vector<Value> &params) {
  if (own_params_.size() != params.size() || !own_params_.api())
    own_params_ = Binds(*api_, params.size());
  for (std::size_t i = 0; i < params.size(); ++i) own_params_.set(i, params[i]);
  execute(own_params_);
}

void Statement::bind_results() {
  std::vector<Field> f = fields();
  if (results_.size() != f.size() || !results_.api()) results_ = Binds(*api_, f.size());
  for (std::size_t i = 0; i < f.size(); ++i) results_.prepare_result(i, f[i]);
  if (api_->stmt_bind_result.invoke<char>(stmt_, results_.data())) fail("mysql_stmt_bind_result");
  results_.clear_dirty();
  results_bound_ = true;
}

bool Statement::fetch_slow() {
  if (!results_bound_) bind_results();
  if (results_.dirty()) {
    if (api_->stmt_bind_result.invoke<char>(stmt_, results_.data())) fail("mysql_stmt_bind_result");
    results_.clear_dirty();
  }
  int rc = api_->stmt_fetch.invoke<int>(stmt_);
  return rc == 0 ? true : fetch_rest(rc);
}

bool Statement::fetch_rest(int rc) {
  if (rc == kNoData) return false;
  if (rc == 1) fail("mysql_stmt_fetch");
  if (rc == kDataTruncated) {
    // Strings and blobs longer than their buffers: grow the buffer and fetch the column whole.
    for (std::size_t i = 0; i < results_.size(); ++i) {
      Binds::Slot &s = results_.slots_[i];
      if (s.is_null || !s.error || s.length <= s.bytes.size()) continue;
      s.bytes.resize(s.length);
      results_.point(i, s.type, s.bytes.data(), s.length, s.is_unsigned);
      if (api_->stmt_fetch_column.invoke<int>(stmt_, static_cast<void *>(results_.entry(i)),
                                              static_cast<unsigned>(i), 0UL))
        fail("mysql_stmt_fetch_column");
    }
  }
  return true;
}

std::vector<Value> Statement::row_values() const {
  std::vector<Value> out;
  out.reserve(results_.size());
  for (std::size_t i = 0; i < results_.size(); ++i) out.push_back(results_.value(i));
  return out;
}

void Statement::store_result() {
  if (api_->stmt_store_result.invoke<int>(stmt_)) fail("mysql_stmt_store_result");
}

std::uint64_t Statement::num_rows() const {
  return api_->stmt_num_rows.invoke<unsigned long long>(stmt_);
}

void Statement::free_result() {
  if (api_->stmt_free_result.invoke<char>(stmt_)) fail("mysql_stmt_free_result");
}

void Statement::reset() {
  if (api_->stmt_reset.invoke<char>(stmt_)) fail("mysql_stmt_reset");
}

std::uint64_t Statement::affected_rows() const {
  return api_->stmt_affected_rows.invoke<unsigned long long>(stmt_);
}

std::uint64_t Statement::insert_id() const {
  return api_->stmt_insert_id.invoke<unsigned long long>(stmt_);
}

// ---- Transaction ----

Transaction::Transaction(Connection &db) : db_(db) {
  db_.execute("START TRANSACTION");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    db_.rollback();
  } catch (...) {
    // A rollback that fails while unwinding (the server went away) has nothing left to undo.
  }
}

void Transaction::commit() {
  db_.commit();
  open_ = false;
}

void Transaction::rollback() {
  open_ = false;
  db_.rollback();
}

}  // namespace jitffi::bindings::mariadb
