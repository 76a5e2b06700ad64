// MongoDB C driver binding: the C declarations (one place, below), the process-wide driver (one
// mongoc_init per process) and the RAII layer. bson_t values are the bson binding's Documents.
#include "jitffi/bindings/mongoc.h"

#include <cstring>
#include <mutex>
#include <utility>

namespace jitffi::bindings::mongoc {

namespace {

// Every C declaration this binding uses (libmongoc 1.x). The driver's handles and bson_t are
// reached through pointers only, so they are opaque; mongoc_host_list_t is read field by field
// (mongoc-host-list.h: host is BSON_HOST_NAME_MAX + 1 bytes, host_and_port + 7).
constexpr std::string_view kDeclarations = R"(
  typedef struct _bson_t bson_t;
  typedef struct _bson_error_t bson_error_t;
  typedef struct _mongoc_uri_t mongoc_uri_t;
  typedef struct _mongoc_client_t mongoc_client_t;
  typedef struct _mongoc_client_pool_t mongoc_client_pool_t;
  typedef struct _mongoc_collection_t mongoc_collection_t;
  typedef struct _mongoc_bulk_operation_t mongoc_bulk_operation_t;
  typedef struct _mongoc_read_prefs_t mongoc_read_prefs_t;
  typedef struct _mongoc_write_concern_t mongoc_write_concern_t;
  typedef enum { MONGOC_READ_PRIMARY = 1, MONGOC_READ_NEAREST = 10 } mongoc_read_mode_t;
  typedef enum { MONGOC_LOG_LEVEL_ERROR, MONGOC_LOG_LEVEL_TRACE = 6 } mongoc_log_level_t;
  typedef void (*mongoc_log_func_t)(mongoc_log_level_t log_level, const char *log_domain,
                                    const char *message, void *user_data);
  struct _mongoc_host_list_t {
    struct _mongoc_host_list_t *next;
    char host[256];
    char host_and_port[262];
    uint16_t port;
    int family;
    void *padding[4];
  };
  typedef struct _mongoc_host_list_t mongoc_host_list_t;
)";

constexpr FunctionEntry<Api> kFunctions[] = {
    {&Api::init, "void mongoc_init(void)"},
    {&Api::cleanup, "void mongoc_cleanup(void)"},
    {&Api::get_version, "const char *mongoc_get_version(void)"},
    {&Api::log_set_handler,
     "void mongoc_log_set_handler(mongoc_log_func_t log_func, void *user_data)"},
    {&Api::log_default_handler,
     "void mongoc_log_default_handler(mongoc_log_level_t log_level, const char *log_domain, "
     "const char *message, void *user_data)"},
    {&Api::uri_new_with_error,
     "mongoc_uri_t *mongoc_uri_new_with_error(const char *uri_string, bson_error_t *error)"},
    {&Api::uri_destroy, "void mongoc_uri_destroy(mongoc_uri_t *uri)"},
    {&Api::uri_get_string, "const char *mongoc_uri_get_string(const mongoc_uri_t *uri)"},
    {&Api::uri_get_hosts,
     "const mongoc_host_list_t *mongoc_uri_get_hosts(const mongoc_uri_t *uri)"},
    {&Api::uri_get_database, "const char *mongoc_uri_get_database(const mongoc_uri_t *uri)"},
    {&Api::uri_get_username, "const char *mongoc_uri_get_username(const mongoc_uri_t *uri)"},
    {&Api::uri_get_replica_set, "const char *mongoc_uri_get_replica_set(const mongoc_uri_t *uri)"},
    {&Api::uri_get_auth_source, "const char *mongoc_uri_get_auth_source(const mongoc_uri_t *uri)"},
    {&Api::uri_get_tls, "bool mongoc_uri_get_tls(const mongoc_uri_t *uri)"},
    {&Api::uri_get_options, "const bson_t *mongoc_uri_get_options(const mongoc_uri_t *uri)"},
    {&Api::uri_get_option_as_int32,
     "int32_t mongoc_uri_get_option_as_int32(const mongoc_uri_t *uri, const char *option, "
     "int32_t fallback)"},
    {&Api::uri_get_option_as_bool,
     "bool mongoc_uri_get_option_as_bool(const mongoc_uri_t *uri, const char *option, "
     "bool fallback)"},
    {&Api::uri_get_option_as_utf8,
     "const char *mongoc_uri_get_option_as_utf8(const mongoc_uri_t *uri, const char *option, "
     "const char *fallback)"},
    {&Api::uri_get_read_prefs_t,
     "const mongoc_read_prefs_t *mongoc_uri_get_read_prefs_t(const mongoc_uri_t *uri)"},
    {&Api::uri_get_write_concern,
     "const mongoc_write_concern_t *mongoc_uri_get_write_concern(const mongoc_uri_t *uri)"},
    {&Api::read_prefs_get_mode,
     "mongoc_read_mode_t mongoc_read_prefs_get_mode(const mongoc_read_prefs_t *read_prefs)"},
    {&Api::read_prefs_get_tags,
     "const bson_t *mongoc_read_prefs_get_tags(const mongoc_read_prefs_t *read_prefs)"},
    {&Api::read_prefs_get_max_staleness_seconds,
     "int64_t mongoc_read_prefs_get_max_staleness_seconds(const mongoc_read_prefs_t *read_prefs)"},
    {&Api::write_concern_get_w,
     "int32_t mongoc_write_concern_get_w(const mongoc_write_concern_t *write_concern)"},
    {&Api::write_concern_get_wmajority,
     "bool mongoc_write_concern_get_wmajority(const mongoc_write_concern_t *write_concern)"},
    {&Api::write_concern_get_wtimeout_int64,
     "int64_t mongoc_write_concern_get_wtimeout_int64(const mongoc_write_concern_t "
     "*write_concern)"},
    {&Api::write_concern_get_journal,
     "bool mongoc_write_concern_get_journal(const mongoc_write_concern_t *write_concern)"},
    {&Api::write_concern_journal_is_set,
     "bool mongoc_write_concern_journal_is_set(const mongoc_write_concern_t *write_concern)"},
    {&Api::client_new_from_uri_with_error,
     "mongoc_client_t *mongoc_client_new_from_uri_with_error(const mongoc_uri_t *uri, "
     "bson_error_t *error)"},
    {&Api::client_destroy, "void mongoc_client_destroy(mongoc_client_t *client)"},
    {&Api::client_command_simple,
     "bool mongoc_client_command_simple(mongoc_client_t *client, const char *db_name, "
     "const bson_t *command, const mongoc_read_prefs_t *read_prefs, bson_t *reply, "
     "bson_error_t *error)"},
    {&Api::client_get_collection,
     "mongoc_collection_t *mongoc_client_get_collection(mongoc_client_t *client, const char *db, "
     "const char *collection)"},
    {&Api::collection_destroy, "void mongoc_collection_destroy(mongoc_collection_t *collection)"},
    {&Api::collection_get_name,
     "const char *mongoc_collection_get_name(mongoc_collection_t *collection)"},
    {&Api::client_pool_new_with_error,
     "mongoc_client_pool_t *mongoc_client_pool_new_with_error(const mongoc_uri_t *uri, "
     "bson_error_t *error)"},
    {&Api::client_pool_destroy, "void mongoc_client_pool_destroy(mongoc_client_pool_t *pool)"},
    {&Api::client_pool_pop, "mongoc_client_t *mongoc_client_pool_pop(mongoc_client_pool_t *pool)"},
    {&Api::client_pool_try_pop,
     "mongoc_client_t *mongoc_client_pool_try_pop(mongoc_client_pool_t *pool)"},
    {&Api::client_pool_push,
     "void mongoc_client_pool_push(mongoc_client_pool_t *pool, mongoc_client_t *client)"},
    {&Api::collection_create_bulk_operation_with_opts,
     "mongoc_bulk_operation_t *mongoc_collection_create_bulk_operation_with_opts("
     "mongoc_collection_t *collection, const bson_t *opts)"},
    {&Api::bulk_operation_destroy,
     "void mongoc_bulk_operation_destroy(mongoc_bulk_operation_t *bulk)"},
    {&Api::bulk_operation_insert_with_opts,
     "bool mongoc_bulk_operation_insert_with_opts(mongoc_bulk_operation_t *bulk, "
     "const bson_t *document, const bson_t *opts, bson_error_t *error)"},
    {&Api::bulk_operation_update_one_with_opts,
     "bool mongoc_bulk_operation_update_one_with_opts(mongoc_bulk_operation_t *bulk, "
     "const bson_t *selector, const bson_t *document, const bson_t *opts, bson_error_t *error)"},
    {&Api::bulk_operation_update_many_with_opts,
     "bool mongoc_bulk_operation_update_many_with_opts(mongoc_bulk_operation_t *bulk, "
     "const bson_t *selector, const bson_t *document, const bson_t *opts, bson_error_t *error)"},
    {&Api::bulk_operation_replace_one_with_opts,
     "bool mongoc_bulk_operation_replace_one_with_opts(mongoc_bulk_operation_t *bulk, "
     "const bson_t *selector, const bson_t *document, const bson_t *opts, bson_error_t *error)"},
    {&Api::bulk_operation_remove_one_with_opts,
     "bool mongoc_bulk_operation_remove_one_with_opts(mongoc_bulk_operation_t *bulk, "
     "const bson_t *selector, const bson_t *opts, bson_error_t *error)"},
    {&Api::bulk_operation_remove_many_with_opts,
     "bool mongoc_bulk_operation_remove_many_with_opts(mongoc_bulk_operation_t *bulk, "
     "const bson_t *selector, const bson_t *opts, bson_error_t *error)"},
    {&Api::bulk_operation_execute,
     "uint32_t mongoc_bulk_operation_execute(mongoc_bulk_operation_t *bulk, bson_t *reply, "
     "bson_error_t *error)"},
};

const LibraryLocation kLocation{
    "mongoc", "JITFFI_MONGOC_PATH", {"libmongoc-1.0.so.0", "libmongoc-1.0.so"}};

// The driver of this process: opened and mongoc_init'ed once, never unloaded (the driver keeps
// process-wide state and background threads that must not outlive its code).
struct Process {
  std::mutex mutex;
  std::shared_ptr<const Api> api;
  bool cleaned = false;
  Closure log_closure;  // the installed log handler, when set_log_handler gave one
};

Process &process() {
  static Process *p = new Process;  // leaked on purpose: no destructor ordering at exit
  return *p;
}

// A bson_error_t on the stack (bson-types.h: domain, code, message[504]).
struct alignas(bson::kErrorAlign) ErrorBuffer {
  unsigned char bytes[bson::kErrorSize]{};
  void *ptr() noexcept { return bytes; }
  Error to_error(std::string context) const {
    std::uint32_t domain, code;
    std::memcpy(&domain, bytes, 4);
    std::memcpy(&code, bytes + 4, 4);
    const char *msg = reinterpret_cast<const char *>(bytes + bson::kErrorMessageOffset);
    return Error(domain, code,
                 std::string(msg, strnlen(msg, bson::kErrorSize - bson::kErrorMessageOffset)),
                 std::move(context));
  }
};

// An uninitialised bson_t for the driver to fill (bson-types.h: 128 bytes, aligned to 128).
struct alignas(128) ReplyBuffer {
  unsigned char bytes[128];
  void *ptr() noexcept { return bytes; }
};

// A copy of a bson_t the driver owns (or a stack reply), as an owned Document.
bson::Document copy_of(const Api &a, const void *b) {
  if (!b) return bson::Document::create(a.bson);
  const auto *p = a.bson.api().get_data.invoke<const std::uint8_t *>(b);
  std::uint32_t len;
  std::memcpy(&len, p, 4);  // a BSON document starts with its length, little-endian
  return bson::Document::from_data(a.bson, {p, len});
}

// Copies a reply the driver initialised into a Document and releases the driver's copy.
bson::Document take_reply(const Api &a, ReplyBuffer &r) {
  bson::Document d = copy_of(a, r.ptr());
  a.bson.api().destroy.invoke<void>(r.ptr());
  return d;
}

std::optional<std::string> opt_str(const char *s) {
  if (!s) return std::nullopt;
  return std::string(s);
}

std::string cstr(std::string_view s, const char *what) {
  if (s.find('\0') != std::string_view::npos)
    throw BindingError(std::string("mongoc: ") + what + " contains a NUL byte: \"" +
                       std::string(s.substr(0, s.find('\0'))) + "\\0...\"");
  return std::string(s);
}

const void *opt_doc(const bson::Document *d) {
  return d ? d->handle() : nullptr;
}

}  // namespace

// ---- the shared handles ----

struct Client::PoolRef {
  std::shared_ptr<const Api> api;
  void *pool = nullptr;
  ~PoolRef() {
    if (pool) api->client_pool_destroy.invoke<void>(pool);
  }
};

struct Client::Ref {
  std::shared_ptr<const Api> api;
  void *client = nullptr;
  std::shared_ptr<PoolRef> pool;  // set for a popped client: pushed back, not destroyed
  ~Ref() {
    if (!client) return;
    if (pool)
      api->client_pool_push.invoke<void>(pool->pool, client);
    else
      api->client_destroy.invoke<void>(client);
  }
};

// ---- Error, Mongoc ----

Error::Error(std::uint32_t domain, std::uint32_t code, std::string message, std::string context)
    : jitffi::Error("mongoc: " + message + " (domain " + std::to_string(domain) + ", code " +
                    std::to_string(code) + ")" + (context.empty() ? "" : " " + context)),
      domain_(domain),
      code_(code),
      message_(std::move(message)) {}

Mongoc::Mongoc(std::string_view path) {
  Process &p = process();
  std::lock_guard<std::mutex> lock(p.mutex);
  if (p.cleaned)
    throw BindingError(
        "mongoc: mongoc_cleanup has run in this process; the driver cannot be "
        "initialised again");
  if (p.api) {
    if (!path.empty() && path != p.api->lib.name())
      throw BindingError("mongoc: the driver is already loaded from \"" + p.api->lib.name() +
                         "\" in this process; cannot load \"" + std::string(path) + "\"");
    api_ = p.api;
    return;
  }
  auto api = std::make_shared<Api>();
  api->lib = open_library(kLocation, path);
  Scope &s = api->lib.scope();
  s.declare(kDeclarations);
  resolve_functions<Api>(api->lib, *api, kFunctions, "libmongoc");
  api->host_list = StructLayout(s.type("mongoc_host_list_t"));
  api->log_func = s.signature(
      "void log_func(mongoc_log_level_t log_level, const char *log_domain, const char *message, "
      "void *user_data)");
  api->init.invoke<void>();
  p.api = std::move(api);
  api_ = p.api;
}

bool Mongoc::cleanup() {
  Process &p = process();
  std::lock_guard<std::mutex> lock(p.mutex);
  if (!p.api || p.cleaned) return false;
  p.api->cleanup.invoke<void>();
  p.cleaned = true;
  return true;
}

void Mongoc::set_log_handler(LogHandler handler) const {
  Process &p = process();
  std::lock_guard<std::mutex> lock(p.mutex);
  Closure next;
  if (handler) {
    next = Closure(api_->log_func, [h = std::move(handler)](void *, void **args) {
      int level;
      std::memcpy(&level, args[0], sizeof level);
      const char *domain = *static_cast<const char *const *>(args[1]);
      const char *message = *static_cast<const char *const *>(args[2]);
      try {
        h(static_cast<LogLevel>(level), domain ? domain : "", message ? message : "");
      } catch (...) {
        // Dropped: it cannot cross the driver's frames (documented in mongoc.h).
      }
    });
    api_->log_set_handler.invoke<void>(next.code(), static_cast<void *>(nullptr));
  } else {
    api_->log_set_handler.invoke<void>(api_->log_default_handler.address(),
                                       static_cast<void *>(nullptr));
  }
  p.log_closure = std::move(next);  // the old closure goes: the driver no longer calls it
}

std::string Mongoc::version() const {
  const char *v = api_->get_version.invoke<const char *>();
  return v ? v : "";
}

Uri Mongoc::uri(std::string_view text) const {
  std::string s = cstr(text, "URI");
  ErrorBuffer err;
  void *u =
      api_->uri_new_with_error.invoke<void *>(static_cast<const char *>(s.c_str()), err.ptr());
  if (!u) throw err.to_error("(mongoc_uri_new_with_error \"" + s + "\")");
  return Uri(api_, u);
}

Client Mongoc::client(const Uri &uri) const {
  ErrorBuffer err;
  void *c = api_->client_new_from_uri_with_error.invoke<void *>(
      static_cast<const void *>(uri.handle()), err.ptr());
  if (!c) throw err.to_error("(mongoc_client_new_from_uri_with_error)");
  auto ref = std::make_shared<Client::Ref>();
  ref->api = api_;
  ref->client = c;
  return Client(std::move(ref));
}

ClientPool Mongoc::pool(const Uri &uri) const {
  ErrorBuffer err;
  void *pool = api_->client_pool_new_with_error.invoke<void *>(
      static_cast<const void *>(uri.handle()), err.ptr());
  if (!pool) throw err.to_error("(mongoc_client_pool_new_with_error)");
  auto ref = std::make_shared<Client::PoolRef>();
  ref->api = api_;
  ref->pool = pool;
  return ClientPool(std::move(ref));
}

// ---- Uri ----

Uri::Uri(Uri &&o) noexcept : api_(std::move(o.api_)), uri_(std::exchange(o.uri_, nullptr)) {}

Uri &Uri::operator=(Uri &&o) noexcept {
  if (this != &o) {
    if (uri_) api_->uri_destroy.invoke<void>(uri_);
    api_ = std::move(o.api_);
    uri_ = std::exchange(o.uri_, nullptr);
  }
  return *this;
}

Uri::~Uri() {
  if (uri_) api_->uri_destroy.invoke<void>(uri_);
}

std::string Uri::string() const {
  const char *s = api_->uri_get_string.invoke<const char *>(uri_);
  return s ? s : "";
}

std::vector<Host> Uri::hosts() const {
  std::vector<Host> out;
  const StructLayout &l = api_->host_list;
  std::size_t host_size = 0, hp_size = 0;
  const std::size_t host_off = l.offset("host", &host_size),
                    hp_off = l.offset("host_and_port", &hp_size);
  // A chain the driver owns; bounded by its own length (a URI lists each host once).
  for (const void *h = api_->uri_get_hosts.invoke<const void *>(uri_); h;
       h = l.get<const void *>(h, "next")) {
    const char *base = static_cast<const char *>(h);
    Host host;
    host.host.assign(base + host_off, strnlen(base + host_off, host_size));
    host.host_and_port.assign(base + hp_off, strnlen(base + hp_off, hp_size));
    host.port = l.get<std::uint16_t>(h, "port");
    out.push_back(std::move(host));
  }
  return out;
}

std::optional<std::string> Uri::database() const {
  return opt_str(api_->uri_get_database.invoke<const char *>(uri_));
}

std::optional<std::string> Uri::username() const {
  return opt_str(api_->uri_get_username.invoke<const char *>(uri_));
}

std::optional<std::string> Uri::replica_set() const {
  return opt_str(api_->uri_get_replica_set.invoke<const char *>(uri_));
}

std::optional<std::string> Uri::auth_source() const {
  return opt_str(api_->uri_get_auth_source.invoke<const char *>(uri_));
}

bool Uri::tls() const {
  return api_->uri_get_tls.invoke<bool>(uri_);
}

bson::Document Uri::options() const {
  return copy_of(*api_, api_->uri_get_options.invoke<const void *>(uri_));
}

std::int32_t Uri::option_int32(std::string_view name, std::int32_t fallback) const {
  std::string n = cstr(name, "option name");
  return api_->uri_get_option_as_int32.invoke<std::int32_t>(
      uri_, static_cast<const char *>(n.c_str()), fallback);
}

bool Uri::option_bool(std::string_view name, bool fallback) const {
  std::string n = cstr(name, "option name");
  return api_->uri_get_option_as_bool.invoke<bool>(uri_, static_cast<const char *>(n.c_str()),
                                                   fallback);
}

std::optional<std::string> Uri::option_utf8(std::string_view name) const {
  std::string n = cstr(name, "option name");
  return opt_str(api_->uri_get_option_as_utf8.invoke<const char *>(
      uri_, static_cast<const char *>(n.c_str()), static_cast<const char *>(nullptr)));
}

ReadMode Uri::read_mode() const {
  const void *rp = api_->uri_get_read_prefs_t.invoke<const void *>(uri_);
  return static_cast<ReadMode>(api_->read_prefs_get_mode.invoke<std::uint32_t>(rp));
}

bson::Document Uri::read_tags() const {
  const void *rp = api_->uri_get_read_prefs_t.invoke<const void *>(uri_);
  return copy_of(*api_, api_->read_prefs_get_tags.invoke<const void *>(rp));
}

std::int64_t Uri::max_staleness_seconds() const {
  const void *rp = api_->uri_get_read_prefs_t.invoke<const void *>(uri_);
  return api_->read_prefs_get_max_staleness_seconds.invoke<std::int64_t>(rp);
}

std::int32_t Uri::w() const {
  const void *wc = api_->uri_get_write_concern.invoke<const void *>(uri_);
  return api_->write_concern_get_w.invoke<std::int32_t>(wc);
}

bool Uri::wmajority() const {
  const void *wc = api_->uri_get_write_concern.invoke<const void *>(uri_);
  return api_->write_concern_get_wmajority.invoke<bool>(wc);
}

std::int64_t Uri::wtimeout_ms() const {
  const void *wc = api_->uri_get_write_concern.invoke<const void *>(uri_);
  return api_->write_concern_get_wtimeout_int64.invoke<std::int64_t>(wc);
}

std::optional<bool> Uri::journal() const {
  const void *wc = api_->uri_get_write_concern.invoke<const void *>(uri_);
  if (!api_->write_concern_journal_is_set.invoke<bool>(wc)) return std::nullopt;
  return api_->write_concern_get_journal.invoke<bool>(wc);
}

// ---- Client, ClientPool ----

void *Client::handle() const noexcept {
  return ref_->client;
}

bool Client::pooled() const noexcept {
  return ref_->pool != nullptr;
}

bson::Document Client::command_simple(std::string_view db, const bson::Document &command) const {
  const Api &a = *ref_->api;
  std::string d = cstr(db, "database name");
  ReplyBuffer reply;
  ErrorBuffer err;
  // The driver initialises reply whether it succeeds or not.
  bool ok = a.client_command_simple.invoke<bool>(ref_->client, static_cast<const char *>(d.c_str()),
                                                 static_cast<const void *>(command.handle()),
                                                 static_cast<const void *>(nullptr), reply.ptr(),
                                                 err.ptr());
  bson::Document r = take_reply(a, reply);
  if (!ok) throw err.to_error("(mongoc_client_command_simple on \"" + d + "\")");
  return r;
}

Collection Client::collection(std::string_view db, std::string_view name) const {
  std::string d = cstr(db, "database name"), n = cstr(name, "collection name");
  void *c = ref_->api->client_get_collection.invoke<void *>(
      ref_->client, static_cast<const char *>(d.c_str()), static_cast<const char *>(n.c_str()));
  if (!c)
    throw BindingError("mongoc: mongoc_client_get_collection returned NULL for " + d + "." + n);
  return Collection(ref_, c);
}

Client ClientPool::pop() const {
  void *c = pool_->api->client_pool_pop.invoke<void *>(pool_->pool);
  if (!c) throw BindingError("mongoc: mongoc_client_pool_pop returned NULL");
  auto ref = std::make_shared<Client::Ref>();
  ref->api = pool_->api;
  ref->client = c;
  ref->pool = pool_;
  return Client(std::move(ref));
}

std::optional<Client> ClientPool::try_pop() const {
  void *c = pool_->api->client_pool_try_pop.invoke<void *>(pool_->pool);
  if (!c) return std::nullopt;
  auto ref = std::make_shared<Client::Ref>();
  ref->api = pool_->api;
  ref->client = c;
  ref->pool = pool_;
  return Client(std::move(ref));
}

void *ClientPool::handle() const noexcept {
  return pool_->pool;
}

// ---- Collection, Bulk ----

Collection::Collection(Collection &&o) noexcept
    : client_(std::move(o.client_)), coll_(std::exchange(o.coll_, nullptr)) {}

Collection &Collection::operator=(Collection &&o) noexcept {
  if (this != &o) {
    if (coll_) client_->api->collection_destroy.invoke<void>(coll_);
    client_ = std::move(o.client_);
    coll_ = std::exchange(o.coll_, nullptr);
  }
  return *this;
}

Collection::~Collection() {
  if (coll_) client_->api->collection_destroy.invoke<void>(coll_);
}

std::string Collection::name() const {
  const char *n = client_->api->collection_get_name.invoke<const char *>(coll_);
  return n ? n : "";
}

Bulk Collection::bulk(const bson::Document *opts) const {
  void *b =
      client_->api->collection_create_bulk_operation_with_opts.invoke<void *>(coll_, opt_doc(opts));
  if (!b) throw BindingError("mongoc: mongoc_collection_create_bulk_operation_with_opts failed");
  return Bulk(client_, b);
}

Bulk::Bulk(Bulk &&o) noexcept
    : client_(std::move(o.client_)),
      bulk_(std::exchange(o.bulk_, nullptr)),
      appended_(std::exchange(o.appended_, 0)) {}

Bulk &Bulk::operator=(Bulk &&o) noexcept {
  if (this != &o) {
    if (bulk_) api().bulk_operation_destroy.invoke<void>(bulk_);
    client_ = std::move(o.client_);
    bulk_ = std::exchange(o.bulk_, nullptr);
    appended_ = std::exchange(o.appended_, 0);
  }
  return *this;
}

Bulk::~Bulk() {
  if (bulk_) api().bulk_operation_destroy.invoke<void>(bulk_);
}

const Api &Bulk::api() const noexcept {
  return *client_->api;
}

namespace {
void check_append(bool ok, const ErrorBuffer &err, const char *what) {
  if (!ok) throw err.to_error(std::string("(") + what + ")");
}
}  // namespace

Bulk &Bulk::insert(const bson::Document &doc, const bson::Document *opts) {
  ErrorBuffer err;
  check_append(api().bulk_operation_insert_with_opts.invoke<bool>(
                   bulk_, static_cast<const void *>(doc.handle()), opt_doc(opts), err.ptr()),
               err, "mongoc_bulk_operation_insert_with_opts");
  ++appended_;
  return *this;
}

Bulk &Bulk::update_one(const bson::Document &selector, const bson::Document &update,
                       const bson::Document *opts) {
  ErrorBuffer err;
  check_append(api().bulk_operation_update_one_with_opts.invoke<bool>(
                   bulk_, static_cast<const void *>(selector.handle()),
                   static_cast<const void *>(update.handle()), opt_doc(opts), err.ptr()),
               err, "mongoc_bulk_operation_update_one_with_opts");
  ++appended_;
  return *this;
}

Bulk &Bulk::update_many(const bson::Document &selector, const bson::Document &update,
                        const bson::Document *opts) {
  ErrorBuffer err;
  check_append(api().bulk_operation_update_many_with_opts.invoke<bool>(
                   bulk_, static_cast<const void *>(selector.handle()),
                   static_cast<const void *>(update.handle()), opt_doc(opts), err.ptr()),
               err, "mongoc_bulk_operation_update_many_with_opts");
  ++appended_;
  return *this;
}

Bulk &Bulk::replace_one(const bson::Document &selector, const bson::Document &replacement,
                        const bson::Document *opts) {
  ErrorBuffer err;
  check_append(api().bulk_operation_replace_one_with_opts.invoke<bool>(
                   bulk_, static_cast<const void *>(selector.handle()),
                   static_cast<const void *>(replacement.handle()), opt_doc(opts), err.ptr()),
               err, "mongoc_bulk_operation_replace_one_with_opts");
  ++appended_;
  return *this;
}

Bulk &Bulk::remove_one(const bson::Document &selector, const bson::Document *opts) {
  ErrorBuffer err;
  check_append(api().bulk_operation_remove_one_with_opts.invoke<bool>(
                   bulk_, static_cast<const void *>(selector.handle()), opt_doc(opts), err.ptr()),
               err, "mongoc_bulk_operation_remove_one_with_opts");
  ++appended_;
  return *this;
}

Bulk &Bulk::remove_many(const bson::Document &selector, const bson::Document *opts) {
  ErrorBuffer err;
  check_append(api().bulk_operation_remove_many_with_opts.invoke<bool>(
                   bulk_, static_cast<const void *>(selector.handle()), opt_doc(opts), err.ptr()),
               err, "mongoc_bulk_operation_remove_many_with_opts");
  ++appended_;
  return *this;
}

bson::Document Bulk::execute() {
  ReplyBuffer reply;
  ErrorBuffer err;
  std::uint32_t server =
      api().bulk_operation_execute.invoke<std::uint32_t>(bulk_, reply.ptr(), err.ptr());
  bson::Document r = take_reply(api(), reply);
  if (server == 0)
    throw err.to_error("(mongoc_bulk_operation_execute; reply " + r.relaxed_json() + ")");
  return r;
}

}  // namespace jitffi::bindings::mongoc
