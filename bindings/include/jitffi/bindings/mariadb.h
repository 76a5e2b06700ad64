// MariaDB/MySQL client through jitffi: libmariadb is opened at run time (no link-time
// dependency), every function declared by its C prototype in mariadb.cpp, wrapped in RAII
// handles that throw the client's own error number, message and SQLSTATE.
//
//   namespace my = jitffi::bindings::mariadb;
//   my::MariaDB lib;                                   // finds libmariadb.so.3
//   auto db = my::Connection::connect(lib, {.unix_socket = "/run/mysqld/mysqld.sock"});
//   db.execute("CREATE TABLE t(id INT PRIMARY KEY, name TEXT)");
//   auto st = db.prepare("INSERT INTO t VALUES (?, ?)");
//   st.execute({std::int64_t(1), std::string("one")});
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "jitffi/bindings/common.h"

namespace jitffi::bindings::mariadb {

// enum enum_field_types (mariadb_com.h).
enum class FieldType : int {
  Decimal = 0,
  Tiny = 1,
  Short = 2,
  Long = 3,
  Float = 4,
  Double = 5,
  Null = 6,
  Timestamp = 7,
  LongLong = 8,
  Int24 = 9,
  Date = 10,
  Time = 11,
  DateTime = 12,
  Year = 13,
  NewDate = 14,
  VarChar = 15,
  Bit = 16,
  Json = 245,
  NewDecimal = 246,
  Enum = 247,
  Set = 248,
  TinyBlob = 249,
  MediumBlob = 250,
  LongBlob = 251,
  Blob = 252,
  VarString = 253,
  String = 254,
  Geometry = 255,
};
// enum enum_mysql_timestamp_type (mysql.h).
enum class TimeType : int { None = -2, Error = -1, Date = 0, DateTime = 1, Time = 2 };

// Field flags (mariadb_com.h), client flags and a few numbers from the headers.
inline constexpr unsigned kNotNullFlag = 1, kPriKeyFlag = 2, kBlobFlag = 16, kUnsignedFlag = 32,
                          kBinaryFlag = 128, kAutoIncrementFlag = 512, kNumFlag = 32768;
inline constexpr unsigned long kClientFoundRows = 2, kClientMultiStatements = 1UL << 16,
                               kClientMultiResults = 1UL << 17;
inline constexpr int kNoData = 100, kDataTruncated = 101;  // mysql_stmt_fetch
inline constexpr unsigned kBinaryCharset = 63;             // charsetnr of BLOB/BINARY columns
// enum mysql_option values used by ConnectOptions.
inline constexpr int kOptConnectTimeout = 0, kOptReadTimeout = 11, kOptWriteTimeout = 12,
                     kOptSetCharsetName = 7;

using Blob = std::vector<std::byte>;

// MYSQL_TIME as C++ sees it: a DATE, DATETIME/TIMESTAMP or TIME value.
struct DateTime {
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  unsigned long microsecond = 0;
  bool negative = false;
  TimeType type = TimeType::DateTime;
  bool operator==(const DateTime &o) const {
    return year == o.year && month == o.month && day == o.day && hour == o.hour &&
           minute == o.minute && second == o.second && microsecond == o.microsecond &&
           negative == o.negative && type == o.type;
  }
  static DateTime date(unsigned y, unsigned m, unsigned d) {
    DateTime t;
    t.year = y, t.month = m, t.day = d, t.type = TimeType::Date;
    return t;
  }
  static DateTime datetime(unsigned y, unsigned m, unsigned d, unsigned h, unsigned mi, unsigned s,
                           unsigned long us = 0) {
    DateTime t;
    t.year = y, t.month = m, t.day = d, t.hour = h, t.minute = mi, t.second = s;
    t.microsecond = us;
    return t;
  }
};

// A DECIMAL parameter, sent as its text (MYSQL_TYPE_NEWDECIMAL); results come back as text.
struct Decimal {
  std::string text;
  bool operator==(const Decimal &o) const { return text == o.text; }
};

// A value of a prepared statement's parameter or result column. Integers arrive as int64 (or
// uint64 for UNSIGNED columns), FLOAT/DOUBLE as double, DECIMAL and text as std::string,
// binary strings and BLOBs as Blob, DATE/DATETIME/TIMESTAMP/TIME as DateTime.
using Value = std::variant<std::nullptr_t, std::int64_t, std::uint64_t, double, std::string, Blob,
                           DateTime, Decimal>;

// Byte offsets of the members of MYSQL_BIND, MYSQL_TIME and MYSQL_FIELD the binding touches,
// computed once from the struct declarations in mariadb.cpp (the layout test compares them with
// libmariadb-dev's headers).
struct Layouts {
  std::size_t bind_size = 0, bind_length = 0, bind_is_null = 0, bind_buffer = 0, bind_error = 0,
              bind_buffer_length = 0, bind_buffer_type = 0, bind_is_unsigned = 0;
  std::size_t time_size = 0, time_year = 0, time_month = 0, time_day = 0, time_hour = 0,
              time_minute = 0, time_second = 0, time_second_part = 0, time_neg = 0,
              time_time_type = 0;
  std::size_t field_name = 0, field_org_name = 0, field_table = 0, field_org_table = 0,
              field_db = 0, field_length = 0, field_max_length = 0, field_name_length = 0,
              field_flags = 0, field_decimals = 0, field_charsetnr = 0, field_type = 0;
  StructLayout bind, time, field;
};

// The foreign functions, resolved when the library is opened (prototypes in mariadb.cpp).
struct Api {
  Library lib;
  Function get_client_info, get_client_version;
  Function init, close, options, real_connect, errno_, error, sqlstate, ping, thread_id;
  Function get_server_info, get_server_version, get_host_info, character_set_name,
      set_character_set;
  Function query, real_query, store_result, use_result, free_result, num_rows, num_fields,
      fetch_row, fetch_lengths, fetch_field_direct, field_count, affected_rows, insert_id,
      warning_count, info;
  Function real_escape_string, autocommit, commit, rollback, more_results, next_result;
  Function stmt_init, stmt_prepare, stmt_bind_param, stmt_bind_result, stmt_execute, stmt_fetch,
      stmt_fetch_column, stmt_store_result, stmt_result_metadata, stmt_param_count,
      stmt_field_count, stmt_affected_rows, stmt_insert_id, stmt_num_rows, stmt_close, stmt_reset,
      stmt_free_result, stmt_errno, stmt_error, stmt_sqlstate, stmt_attr_set;
  Layouts layout;
};

// An error reported by the client library or the server: mysql_errno (1062 duplicate key, 2013
// lost connection, ...), mysql_error's text and the SQLSTATE ("23000"). what() is
// "mariadb: <message> (errno N, SQLSTATE S)" and the context (the SQL, the call).
class Error : public jitffi::Error {
 public:
  Error(unsigned code, std::string message, std::string sqlstate, std::string context = {});
  unsigned code() const noexcept { return code_; }
  const std::string &message() const noexcept { return message_; }
  const std::string &sqlstate() const noexcept { return sqlstate_; }

 private:
  unsigned code_;
  std::string message_, sqlstate_;
};

// The loaded library. Copies share it; it stays loaded while any Connection made from it lives.
class MariaDB {
 public:
  // path: an explicit library file; empty means $JITFFI_MARIADB_PATH, then libmariadb.so.3,
  // libmariadb.so.
  explicit MariaDB(std::string_view path = {});
  std::string client_info() const;       // "3.3.x"
  unsigned long client_version() const;  // 30308
  const Api &api() const noexcept { return *api_; }
  std::shared_ptr<const Api> shared_api() const noexcept { return api_; }

 private:
  std::shared_ptr<Api> api_;
};

struct ConnectOptions {
  std::string host;  // empty: "localhost" (the unix socket)
  std::string user = "root";
  std::string password;
  std::string database;     // empty: none
  unsigned port = 0;        // TCP port when host is an address
  std::string unix_socket;  // socket path for host "localhost"
  unsigned long flags = 0;  // kClientMultiStatements, ...
  unsigned connect_timeout = 0, read_timeout = 0, write_timeout = 0;  // seconds; 0: default
  std::string charset;  // "utf8mb4"; empty: the library's default
};

// One column of a result set (MYSQL_FIELD).
struct Field {
  std::string name, org_name, table, org_table, db;
  FieldType type = FieldType::Null;
  unsigned long length = 0, max_length = 0;
  unsigned flags = 0, decimals = 0, charsetnr = 0;
  bool is_unsigned() const { return flags & kUnsignedFlag; }
  bool is_binary() const { return charsetnr == kBinaryCharset; }
};

struct Session;  // the MYSQL * and its library, shared by a connection's results and statements
class Result;
class Statement;

// A connection (MYSQL *). Move-only; closed when it and every Result and Statement made from it
// are gone.
class Connection {
 public:
  static Connection connect(const MariaDB &lib, const ConnectOptions &options);

  // mysql_real_query: runs the SQL and leaves its result (if any) to store_result/use_result.
  void query(std::string_view sql);
  // Runs the SQL and discards every result (all of them for multi-statements); returns the
  // affected rows of the last statement. An error in any statement throws.
  std::uint64_t execute(std::string_view sql);
  // Runs the SQL and returns its whole result set (store_result).
  Result select(std::string_view sql);
  // The pending result of the last query: nullopt for a statement without a result set.
  std::optional<Result> store_result();
  std::optional<Result> use_result();
  // Multi-statements: true when another result follows (mysql_next_result moved to it).
  bool next_result();
  bool more_results() const;

  Statement prepare(std::string_view sql);

  std::uint64_t affected_rows() const;
  std::uint64_t insert_id() const;
  unsigned warning_count() const;
  std::string info() const;  // mysql_info: "Records: 3  Duplicates: 0  Warnings: 0"; "" if none
  unsigned field_count() const;
  std::string escape(std::string_view text) const;  // mysql_real_escape_string
  void autocommit(bool on);
  void commit();
  void rollback();
  void ping();  // throws when the server is gone
  void set_character_set(std::string_view name);
  std::string character_set() const;
  std::string server_info() const;
  std::string host_info() const;         // "Localhost via UNIX socket", "127.0.0.1 via TCP/IP"
  unsigned long server_version() const;  // 101119
  unsigned long thread_id() const;

  void *handle() const noexcept;
  const Api &api() const noexcept;
  // The connection's current error as an exception (mysql_errno/error/sqlstate).
  [[noreturn]] void fail(std::string context) const;

 private:
  explicit Connection(std::shared_ptr<Session> s) : s_(std::move(s)) {}
  std::shared_ptr<Session> s_;
};

// A result set (MYSQL_RES *) from store_result (all rows on the client) or use_result (rows
// read from the server as they are fetched; the connection is busy until it is freed).
class Result {
 public:
  Result(Result &&o) noexcept
      : s_(std::move(o.s_)),
        res_(std::exchange(o.res_, nullptr)),
        row_(o.row_),
        lengths_(o.lengths_),
        nfields_(o.nfields_) {}
  Result &operator=(Result &&o) noexcept;
  ~Result();

  unsigned num_fields() const { return nfields_; }
  std::uint64_t num_rows() const;  // rows fetched so far for use_result
  std::vector<Field> fields() const;
  Field field(unsigned i) const;
  // Moves to the next row: false at the end. An error while reading (use_result) throws.
  bool fetch();
  // The current row's column i: nullopt for NULL. Valid until the next fetch.
  std::optional<std::string_view> get(unsigned i) const;
  bool is_null(unsigned i) const;
  // The current row copied.
  std::vector<std::optional<std::string>> row() const;
  // Every remaining row copied.
  std::vector<std::vector<std::optional<std::string>>> all();
  void *handle() const noexcept { return res_; }

 private:
  friend class Connection;
  Result(std::shared_ptr<Session> s, void *res);
  void check_column(unsigned i) const;
  std::shared_ptr<Session> s_;
  void *res_ = nullptr;
  char **row_ = nullptr;
  unsigned long *lengths_ = nullptr;
  unsigned nfields_ = 0;
};

// An array of MYSQL_BIND with the storage each entry points to: the values of a statement's
// parameters, or the buffers its results are fetched into. The setters write the value into the
// storage; bind_params sees the new values at the next execute without binding again unless a
// type or buffer address changed (then dirty() is true and execute binds again).
class Binds {
 public:
  Binds() = default;
  Binds(const Api &api, std::size_t n);
  Binds(Binds &&) noexcept = default;
  Binds &operator=(Binds &&) noexcept = default;

  std::size_t size() const noexcept { return slots_.size(); }
  void set_null(std::size_t i);
  // The setters are inline: a value of the type the entry already has is stored in place (no
  // new bind); anything else takes the out-of-line path that repoints the MYSQL_BIND.
  void set_int64(std::size_t i, std::int64_t v) { set_fixed(i, FieldType::LongLong, &v, 8, false); }
  void set_uint64(std::size_t i, std::uint64_t v) {
    set_fixed(i, FieldType::LongLong, &v, 8, true);
  }
  void set_int32(std::size_t i, std::int32_t v) { set_fixed(i, FieldType::Long, &v, 4, false); }
  void set_double(std::size_t i, double v) { set_fixed(i, FieldType::Double, &v, 8, false); }
  void set_string(std::size_t i, std::string_view v) {
    set_bytes(i, FieldType::String, v.data(), v.size());
  }
  void set_blob(std::size_t i, std::span<const std::byte> v) {
    set_bytes(i, FieldType::Blob, v.data(), v.size());
  }
  void set_decimal(std::size_t i, std::string_view text) {
    set_bytes(i, FieldType::NewDecimal, text.data(), text.size());
  }
  void set_time(std::size_t i, const DateTime &t);
  void set(std::size_t i, const Value &v);

  // Prepares entry i to receive a result column of this type (fetch buffers).
  void prepare_result(std::size_t i, const Field &f);

  // After a fetch: the value of entry i as stored by the library.
  bool is_null(std::size_t i) const { return slots_[i].is_null != 0; }
  std::int64_t int64(std::size_t i) const {
    std::int64_t v;
    std::memcpy(&v, slots_[i].fixed, 8);
    return v;
  }
  std::uint64_t uint64(std::size_t i) const { return static_cast<std::uint64_t>(int64(i)); }
  double double_(std::size_t i) const {
    double v;
    std::memcpy(&v, slots_[i].fixed, 8);
    return v;
  }
  // Strings, decimals, blobs (the fetched length).
  std::string_view bytes(std::size_t i) const {
    const Slot &s = slots_[i];
    return std::string_view(s.bytes.data(), s.length < s.bytes.size() ? s.length : s.bytes.size());
  }
  DateTime time(std::size_t i) const;
  Value value(std::size_t i) const;

  bool dirty() const noexcept { return dirty_; }
  void clear_dirty() noexcept { dirty_ = false; }
  void *data() noexcept { return raw_.get(); }
  const Api *api() const noexcept { return api_; }

 private:
  friend class Statement;
  struct Slot {
    FieldType type = FieldType::Null;
    bool is_unsigned = false;
    bool binary = false;  // a result column with the binary charset: value() gives a Blob
    char is_null = 0;     // my_bool
    char error = 0;       // my_bool: truncation on fetch
    unsigned long length = 0;
    std::uint64_t fixed[8] = {};  // integers, doubles, MYSQL_TIME (at most 40 bytes)
    std::string bytes;            // strings, decimals, blobs
    // Nonzero when the MYSQL_BIND points at `fixed` for this (type, signedness): a set_* of the
    // same kind only stores the value.
    int fixed_kind = 0;
  };
  static constexpr int kind(FieldType t, bool is_unsigned) {
    return static_cast<int>(t) * 2 + (is_unsigned ? 1 : 0) + 1;
  }
  void set_fixed(std::size_t i, FieldType t, const void *v, std::size_t n, bool is_unsigned) {
    Slot &s = slots_[i];
    if (s.fixed_kind == kind(t, is_unsigned)) [[likely]] {
      std::memcpy(s.fixed, v, n);
      s.is_null = 0;
    } else {
      set_fixed_slow(i, t, v, n, is_unsigned);
    }
  }
  void set_bytes(std::size_t i, FieldType t, const void *p, std::size_t n) {
    Slot &s = slots_[i];
    // Within the capacity the string keeps its buffer, so the bound address stays right.
    if (s.type == t && n <= s.bytes.capacity() && s.fixed_kind == 0 && !s.bytes.empty())
        [[likely]] {
      s.bytes.assign(static_cast<const char *>(p), n);
      s.length = static_cast<unsigned long>(n);
      s.is_null = 0;
    } else {
      set_bytes_slow(i, t, p, n);
    }
  }
  char *entry(std::size_t i) const { return raw_.get() + i * api_->layout.bind_size; }
  void set_fixed_slow(std::size_t i, FieldType t, const void *v, std::size_t n, bool is_unsigned);
  void set_bytes_slow(std::size_t i, FieldType t, const void *p, std::size_t n);
  void point(std::size_t i, FieldType t, void *buffer, unsigned long buffer_length,
             bool is_unsigned);
  const Api *api_ = nullptr;
  std::unique_ptr<char[]> raw_;
  std::unique_ptr<Slot[]> slots_storage_;
  std::span<Slot> slots_;
  bool dirty_ = true;
};

// A prepared statement (MYSQL_STMT *).
class Statement {
 public:
  Statement(Statement &&o) noexcept;
  Statement &operator=(Statement &&o) noexcept;
  ~Statement();

  unsigned long param_count() const;
  unsigned field_count() const;
  std::vector<Field> fields() const;  // result metadata; empty without a result set

  // Binds `params` (Binds of param_count() entries) and executes. Binding happens again only when
  // a type or buffer moved since the last execute, so a loop that sets values in the same Binds
  // costs one foreign call per execute.
  void execute(Binds &params) {
    if (params.size() != params_ || params.dirty()) [[unlikely]]
      return execute_slow(params);
    if (api_->stmt_execute.invoke<int>(stmt_)) [[unlikely]]
      execute_failed();
    results_bound_ = false;
  }
  void execute();  // no parameters
  // Binds these values and executes.
  void execute(const std::vector<Value> &params);
  // A fresh Binds for this statement's parameters.
  Binds make_params() const;

  // Result rows: after execute, fetch() fills result_binds() (made from the metadata at the first
  // fetch); false at the end. Long strings and blobs are fetched whole (mysql_stmt_fetch_column).
  bool fetch() {
    if (!results_bound_ || results_.dirty()) [[unlikely]]
      return fetch_slow();
    int rc = api_->stmt_fetch.invoke<int>(stmt_);
    return rc == 0 ? true : fetch_rest(rc);
  }
  const Binds &row() const noexcept { return results_; }
  Value column(std::size_t i) const { return results_.value(i); }
  std::vector<Value> row_values() const;
  // Buffers the whole result set on the client (mysql_stmt_store_result).
  void store_result();
  std::uint64_t num_rows() const;
  void free_result();
  void reset();

  std::uint64_t affected_rows() const;
  std::uint64_t insert_id() const;
  void *handle() const noexcept { return stmt_; }

 private:
  friend class Connection;
  Statement(std::shared_ptr<Session> s, void *stmt);
  [[noreturn]] void fail(std::string context) const;
  [[noreturn]] void execute_failed() const;
  void execute_slow(Binds &params);
  bool fetch_slow();
  bool fetch_rest(int rc);  // after mysql_stmt_fetch returned rc != 0
  void bind_results();
  std::shared_ptr<Session> s_;
  const Api *api_ = nullptr;
  void *stmt_ = nullptr;
  Binds results_;
  bool results_bound_ = false;
  Binds own_params_;        // for execute(vector<Value>)
  std::size_t params_ = 0;  // mysql_stmt_param_count, read once after prepare
};

// START TRANSACTION on construction; ROLLBACK on destruction unless commit() ran.
class Transaction {
 public:
  explicit Transaction(Connection &db);
  Transaction(const Transaction &) = delete;
  Transaction &operator=(const Transaction &) = delete;
  ~Transaction();
  void commit();
  void rollback();

 private:
  Connection &db_;
  bool open_ = true;
};

inline Blob to_blob(std::string_view s) {
  Blob b(s.size());
  if (!s.empty()) std::memcpy(b.data(), s.data(), s.size());
  return b;
}

}  // namespace jitffi::bindings::mariadb
