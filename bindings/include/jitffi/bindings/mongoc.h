// The MongoDB C driver through jitffi: libmongoc-1.0 is opened at run time (no link-time
// dependency), every function declared by its C prototype, wrapped in RAII handles (Uri, Client,
// ClientPool, Collection, Bulk). Documents are the bson binding's (bson::Document); errors carry
// the driver's bson_error_t domain, code and message.
//
// mongoc_init runs once per process, when the first Mongoc is made; the library then stays loaded
// for the life of the process. mongoc_cleanup is Mongoc::cleanup(): optional, at the very end,
// after every handle is gone; no Mongoc can be made after it (the driver cannot be re-initialised).
//
//   jitffi::bindings::mongoc::Mongoc m;                   // finds libmongoc-1.0.so.0
//   auto uri = m.uri("mongodb://127.0.0.1:27017/?serverSelectionTimeoutMS=200");
//   auto client = m.client(uri);
//   bson::Document reply = client.command_simple("admin", ping);  // throws Error on failure
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jitffi/bindings/bson.h"
#include "jitffi/bindings/common.h"

namespace jitffi::bindings::mongoc {

// mongoc_read_mode_t (mongoc-read-prefs.h).
enum class ReadMode : std::uint32_t {
  Primary = 1 << 0,
  Secondary = 1 << 1,
  PrimaryPreferred = (1 << 2) | (1 << 0),
  SecondaryPreferred = (1 << 2) | (1 << 1),
  Nearest = (1 << 3) | (1 << 1),
};
// mongoc_write_concern_get_w's special values (mongoc-write-concern.h).
inline constexpr std::int32_t kWUnacknowledged = 0, kWDefault = -2, kWMajority = -3, kWTag = -4;
// bson_error_t domains the tests meet (mongoc-error.h).
inline constexpr std::uint32_t kErrorDomainCommand = 11, kErrorDomainServerSelection = 15;

// mongoc_log_level_t (mongoc-log.h).
enum class LogLevel : int { Error, Critical, Warning, Message, Info, Debug, Trace };
// A driver log line: its level, domain ("mongoc", "cluster", "monitor", ...) and text.
using LogHandler =
    std::function<void(LogLevel level, std::string_view domain, std::string_view message)>;

// The foreign functions, resolved when the library is opened; prototypes in mongoc.cpp.
struct Api {
  Library lib;
  Function init, cleanup, get_version;
  Function uri_new_with_error, uri_destroy, uri_get_string, uri_get_hosts, uri_get_database,
      uri_get_username, uri_get_replica_set, uri_get_auth_source, uri_get_tls, uri_get_options,
      uri_get_option_as_int32, uri_get_option_as_bool, uri_get_option_as_utf8, uri_get_read_prefs_t,
      uri_get_write_concern;
  Function read_prefs_get_mode, read_prefs_get_tags, read_prefs_get_max_staleness_seconds;
  Function write_concern_get_w, write_concern_get_wmajority, write_concern_get_wtimeout_int64,
      write_concern_get_journal, write_concern_journal_is_set;
  Function client_new_from_uri_with_error, client_destroy, client_command_simple,
      client_get_collection, collection_destroy, collection_get_name;
  Function client_pool_new_with_error, client_pool_destroy, client_pool_pop, client_pool_try_pop,
      client_pool_push;
  Function collection_create_bulk_operation_with_opts, bulk_operation_destroy,
      bulk_operation_insert_with_opts, bulk_operation_update_one_with_opts,
      bulk_operation_update_many_with_opts, bulk_operation_replace_one_with_opts,
      bulk_operation_remove_one_with_opts, bulk_operation_remove_many_with_opts,
      bulk_operation_execute;
  Function log_set_handler, log_default_handler;
  Signature log_func = unresolved_signature();  // mongoc_log_func_t
  StructLayout host_list;                       // mongoc_host_list_t, from the declarations
  bson::Bson bson;  // the libbson the driver itself uses (same soname, same copy)
};

// An error the driver reported through a bson_error_t: domain, code and message (e.g. domain 15
// MONGOC_ERROR_SERVER_SELECTION, code 13053, "No suitable servers found ..."). what() is
// "mongoc: <message> (domain D, code C)" plus the call it came from.
class Error : public jitffi::Error {
 public:
  Error(std::uint32_t domain, std::uint32_t code, std::string message, std::string context = {});
  std::uint32_t domain() const noexcept { return domain_; }
  std::uint32_t code() const noexcept { return code_; }
  const std::string &message() const noexcept { return message_; }

 private:
  std::uint32_t domain_, code_;
  std::string message_;
};

class Uri;
class Client;
class ClientPool;

// The loaded driver (process-wide: see the top of this file). Copies share it.
class Mongoc {
 public:
  // path: an explicit library file; empty means $JITFFI_MONGOC_PATH, then libmongoc-1.0.so.0.
  // The first Mongoc of the process opens the library and calls mongoc_init; later ones share it
  // (a different path than the one loaded is a BindingError, as is any Mongoc after cleanup()).
  explicit Mongoc(std::string_view path = {});
  std::string version() const;  // "1.23.1"
  const Api &api() const noexcept { return *api_; }
  const bson::Bson &bson() const noexcept { return api_->bson; }

  // mongoc_uri_new_with_error: a bad URI throws Error with the driver's message.
  Uri uri(std::string_view text) const;
  // mongoc_client_new_from_uri_with_error.
  Client client(const Uri &uri) const;
  // mongoc_client_pool_new_with_error.
  ClientPool pool(const Uri &uri) const;

  // mongoc_log_set_handler through a closure: the driver's log lines go to `handler` instead of
  // stdout/stderr, from any thread but one at a time (the driver calls it under its log mutex,
  // the mutex mongoc_log_set_handler takes too, so a replaced handler is never running when this
  // returns). The handler must not call the driver. An exception it throws cannot cross the
  // driver's frames: it is dropped. An empty handler restores mongoc_log_default_handler and
  // releases the closure.
  void set_log_handler(LogHandler handler) const;

  // mongoc_cleanup, once, when the caller is done with the driver for good. Every handle must be
  // gone before; false when there was nothing to clean up (never opened or already cleaned).
  static bool cleanup();

 private:
  std::shared_ptr<const Api> api_;
};

struct Host {
  std::string host, host_and_port;
  std::uint16_t port = 0;
};

// A parsed mongoc_uri_t (mongoc_uri_destroy on destruction). Move-only.
class Uri {
 public:
  Uri(Uri &&) noexcept;
  Uri &operator=(Uri &&) noexcept;
  Uri(const Uri &) = delete;
  Uri &operator=(const Uri &) = delete;
  ~Uri();

  std::string string() const;                   // mongoc_uri_get_string
  std::vector<Host> hosts() const;              // the mongoc_host_list_t chain
  std::optional<std::string> database() const;  // nullopt when the URI names none
  std::optional<std::string> username() const;
  std::optional<std::string> replica_set() const;
  std::optional<std::string> auth_source() const;
  bool tls() const;
  // The options document (keys lower-cased by the driver: "serverselectiontimeoutms").
  bson::Document options() const;
  // mongoc_uri_get_option_as_*: the value, or fallback when absent or of another type.
  std::int32_t option_int32(std::string_view name, std::int32_t fallback) const;
  bool option_bool(std::string_view name, bool fallback) const;
  std::optional<std::string> option_utf8(std::string_view name) const;

  // mongoc_uri_get_read_prefs_t.
  ReadMode read_mode() const;
  bson::Document read_tags() const;            // an array of tag documents
  std::int64_t max_staleness_seconds() const;  // -1 when not set
  // mongoc_uri_get_write_concern.
  std::int32_t w() const;  // a number, or kWDefault / kWMajority / kWTag
  bool wmajority() const;
  std::int64_t wtimeout_ms() const;
  std::optional<bool> journal() const;  // nullopt when the URI leaves it unset

  void *handle() const noexcept { return uri_; }

 private:
  friend class Mongoc;
  Uri(std::shared_ptr<const Api> api, void *uri) : api_(std::move(api)), uri_(uri) {}
  std::shared_ptr<const Api> api_;
  void *uri_ = nullptr;
};

class Collection;

// A mongoc_client_t: owned (mongoc_client_destroy) or popped from a pool (pushed back). Copies
// share it; it goes when the last Client, Collection or Bulk made from it goes, and a pooled
// client keeps its pool alive. Like the driver's client, not for use from two threads at once.
class Client {
 public:
  // mongoc_client_command_simple with the URI's read preference. The reply on success; on
  // failure Error with the driver's domain, code and message (no server: server selection).
  bson::Document command_simple(std::string_view db, const bson::Document &command) const;
  Collection collection(std::string_view db, std::string_view name) const;
  bool pooled() const noexcept;

  void *handle() const noexcept;
  struct Ref;  // the client handle, shared with its collections and bulks (mongoc.cpp)
  struct PoolRef;

 private:
  friend class Mongoc;
  friend class ClientPool;
  explicit Client(std::shared_ptr<Ref> ref) : ref_(std::move(ref)) {}
  std::shared_ptr<Ref> ref_;
};

// A mongoc_client_pool_t: pop() blocks while maxPoolSize clients are out, try_pop() does not.
// The pool is destroyed when the ClientPool and every client popped from it are gone.
class ClientPool {
 public:
  Client pop() const;
  std::optional<Client> try_pop() const;  // nullopt when maxPoolSize clients are out
  void *handle() const noexcept;

 private:
  friend class Mongoc;
  explicit ClientPool(std::shared_ptr<Client::PoolRef> pool) : pool_(std::move(pool)) {}
  std::shared_ptr<Client::PoolRef> pool_;
};

class Bulk;

// A mongoc_collection_t (mongoc_collection_destroy on destruction); keeps its client alive.
class Collection {
 public:
  Collection(Collection &&) noexcept;
  Collection &operator=(Collection &&) noexcept;
  Collection(const Collection &) = delete;
  Collection &operator=(const Collection &) = delete;
  ~Collection();
  std::string name() const;
  // mongoc_collection_create_bulk_operation_with_opts ({"ordered": false}, a writeConcern, ...).
  Bulk bulk(const bson::Document *opts = nullptr) const;

 private:
  friend class Client;
  Collection(std::shared_ptr<Client::Ref> client, void *coll)
      : client_(std::move(client)), coll_(coll) {}
  std::shared_ptr<Client::Ref> client_;
  void *coll_ = nullptr;
};

// A mongoc_bulk_operation_t. Appending checks the operation locally (an update needs $-operators,
// a replacement must have none, ...) and throws Error with the driver's message when it refuses.
// execute() sends it: without a server that is a server-selection Error.
class Bulk {
 public:
  Bulk(Bulk &&) noexcept;
  Bulk &operator=(Bulk &&) noexcept;
  Bulk(const Bulk &) = delete;
  Bulk &operator=(const Bulk &) = delete;
  ~Bulk();

  Bulk &insert(const bson::Document &doc, const bson::Document *opts = nullptr);
  Bulk &update_one(const bson::Document &selector, const bson::Document &update,
                   const bson::Document *opts = nullptr);
  Bulk &update_many(const bson::Document &selector, const bson::Document &update,
                    const bson::Document *opts = nullptr);
  Bulk &replace_one(const bson::Document &selector, const bson::Document &replacement,
                    const bson::Document *opts = nullptr);
  Bulk &remove_one(const bson::Document &selector, const bson::Document *opts = nullptr);
  Bulk &remove_many(const bson::Document &selector, const bson::Document *opts = nullptr);
  std::size_t appended() const noexcept { return appended_; }  // operations accepted so far

  // mongoc_bulk_operation_execute: the reply; Error (with the reply's JSON in what()) on failure.
  bson::Document execute();

 private:
  friend class Collection;
  Bulk(std::shared_ptr<Client::Ref> client, void *bulk) : client_(std::move(client)), bulk_(bulk) {}
  const Api &api() const noexcept;
  std::shared_ptr<Client::Ref> client_;
  void *bulk_ = nullptr;
  std::size_t appended_ = 0;
};

}  // namespace jitffi::bindings::mongoc
