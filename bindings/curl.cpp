// libcurl binding: the C declarations (one place, below), variadic setopt/getinfo by option range
// and CURLINFO type bits, easy handles with closure callbacks, slists and the multi interface.
#include "jitffi/bindings/curl.h"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

namespace jitffi::bindings::curl {

namespace {

constexpr std::string_view kDeclarations = R"(
  typedef struct Curl_easy CURL;
  typedef struct Curl_multi CURLM;
  typedef int CURLcode;
  typedef int CURLMcode;
  typedef int CURLoption;
  typedef int CURLINFO;
  typedef long curl_off_t;
  typedef enum { CURLMSG_NONE, CURLMSG_DONE, CURLMSG_LAST } CURLMSG;
  struct curl_slist { char *data; struct curl_slist *next; };
  struct curl_blob { void *data; size_t len; unsigned int flags; };
  typedef struct CURLMsg { CURLMSG msg; CURL *easy_handle;
                           union { void *whatever; CURLcode result; } data; } CURLMsg;
  struct curl_waitfd { int fd; short events; short revents; };
  typedef size_t (*curl_write_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
  typedef int (*curl_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                        curl_off_t ultotal, curl_off_t ulnow);
)";

constexpr FunctionEntry<Api> kFunctions[] = {
    {&Api::global_init, "CURLcode curl_global_init(long flags)"},
    {&Api::global_cleanup, "void curl_global_cleanup(void)"},
    {&Api::version, "char *curl_version(void)"},
    {&Api::easy_init, "CURL *curl_easy_init(void)"},
    {&Api::easy_cleanup, "void curl_easy_cleanup(CURL *curl)"},
    {&Api::easy_reset, "void curl_easy_reset(CURL *curl)"},
    {&Api::easy_setopt, "CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)"},
    {&Api::easy_perform, "CURLcode curl_easy_perform(CURL *curl)"},
    {&Api::easy_getinfo, "CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)"},
    {&Api::easy_strerror, "const char *curl_easy_strerror(CURLcode code)"},
    {&Api::slist_append,
     "struct curl_slist *curl_slist_append(struct curl_slist *list, const char *string)"},
    {&Api::slist_free_all, "void curl_slist_free_all(struct curl_slist *list)"},
    {&Api::multi_init, "CURLM *curl_multi_init(void)"},
    {&Api::multi_cleanup, "CURLMcode curl_multi_cleanup(CURLM *multi_handle)"},
    {&Api::multi_add_handle, "CURLMcode curl_multi_add_handle(CURLM *multi_handle, CURL *easy)"},
    {&Api::multi_remove_handle,
     "CURLMcode curl_multi_remove_handle(CURLM *multi_handle, CURL *easy)"},
    {&Api::multi_perform, "CURLMcode curl_multi_perform(CURLM *multi_handle, int *running)"},
    {&Api::multi_poll,
     "CURLMcode curl_multi_poll(CURLM *multi_handle, struct curl_waitfd *extra_fds, "
     "unsigned int extra_nfds, int timeout_ms, int *numfds)",
     kOptional},  // 7.66+
    {&Api::multi_wait,
     "CURLMcode curl_multi_wait(CURLM *multi_handle, struct curl_waitfd *extra_fds, "
     "unsigned int extra_nfds, int timeout_ms, int *numfds)"},
    {&Api::multi_info_read, "CURLMsg *curl_multi_info_read(CURLM *multi_handle, int *msgs_left)"},
    {&Api::multi_strerror, "const char *curl_multi_strerror(CURLMcode code)"},
};

const LibraryLocation kLocation{
    "libcurl", "JITFFI_CURL_PATH", {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"}};

constexpr long kGlobalAll = 3;  // CURL_GLOBAL_SSL | CURL_GLOBAL_WIN32
constexpr unsigned kBlobCopy = 1;
constexpr int kMsgDone = 1;
constexpr std::size_t kErrorSize = 256;  // CURL_ERROR_SIZE

std::mutex &global_mutex() {
  static std::mutex m;  // curl_global_init/cleanup are not thread-safe in older versions
  return m;
}

// libcurl stays loaded once opened: curl_version() initialises OpenLDAP (liblber, libsasl2),
// which keep allocations in their globals and never free them, so unloading would leak them.
void pin_loaded(const void *symbol) {
  Dl_info info{};
  if (::dladdr(symbol, &info) && info.dli_fname)
    ::dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);  // never closed: a pin
}

std::string str(const char *s) {
  return s ? std::string(s) : std::string();
}

const char *type_name(OptionType t) {
  switch (t) {
    case OptionType::Long:
      return "a long";
    case OptionType::ObjectPoint:
      return "an object pointer";
    case OptionType::FunctionPoint:
      return "a function pointer";
    case OptionType::OffT:
      return "a curl_off_t";
    case OptionType::Blob:
      return "a blob";
  }
  return "?";
}

const char *type_name(InfoType t) {
  switch (t) {
    case InfoType::String:
      return "a string";
    case InfoType::Long:
      return "a long";
    case InfoType::Double:
      return "a double";
    case InfoType::Slist:
      return "an slist";
    case InfoType::OffT:
      return "a curl_off_t";
  }
  return "?";
}

std::string hex(int v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", static_cast<unsigned>(v));
  return buf;
}

}  // namespace

OptionType option_type(int option) {
  if (option < 0 || option >= 50000)
    throw BindingError("curl: option " + std::to_string(option) + " is outside every CURLOPTTYPE");
  switch (option / 10000) {
    case 0:
      return OptionType::Long;
    case 1:
      return OptionType::ObjectPoint;
    case 2:
      return OptionType::FunctionPoint;
    case 3:
      return OptionType::OffT;
    default:
      return OptionType::Blob;
  }
}

InfoType info_type(int what) {
  switch (what & 0xf00000) {
    case 0x100000:
      return InfoType::String;
    case 0x200000:
      return InfoType::Long;
    case 0x300000:
      return InfoType::Double;
    case 0x400000:
      return InfoType::Slist;
    case 0x600000:
      return InfoType::OffT;
  }
  throw BindingError("curl: CURLINFO " + hex(what) + " has no type this binding reads");
}

// ---- Error, Api, Curl ----

Error::Error(int code, std::string message, std::string detail, bool multi)
    : jitffi::Error(std::string(multi ? "curl multi: " : "curl: ") + message + " (code " +
                    std::to_string(code) + ")" + (detail.empty() ? "" : ": " + detail)),
      code_(code),
      message_(std::move(message)),
      detail_(std::move(detail)),
      multi_(multi) {}

Function Api::variadic(const Function &fn, TypeRef vararg) const {
  // VariadicCache keys on the signature alone, and setopt and getinfo share theirs
  // (i32(ptr,i32,...,ptr)): one cache per function keeps them apart.
  const VariadicCache &cache =
      fn.address() == easy_getinfo.address() ? getinfo_cache_ : setopt_cache_;
  return cache.get(fn, {std::move(vararg)});
}

Api::~Api() {
  if (!global_cleanup) return;
  std::lock_guard<std::mutex> lock(global_mutex());
  global_cleanup.invoke<void>();
}

Curl::Curl(std::string_view path) {
  auto api = std::make_shared<Api>();
  api->lib = open_library(kLocation, path);
  Scope &s = api->lib.scope();
  s.declare(kDeclarations);
  {
    // Resolve everything but global_cleanup first, so that ~Api only cleans up after an init.
    Api &a = *api;
    std::vector<FunctionEntry<Api>> table(std::begin(kFunctions), std::end(kFunctions));
    table.erase(std::remove_if(table.begin(), table.end(),
                               [](const auto &e) { return e.member == &Api::global_cleanup; }),
                table.end());
    resolve_functions<Api>(api->lib, a, table, "libcurl");
  }
  pin_loaded(api->lib.find("curl_version"));  // the library's own address, not a thunk
  api->write_cb =
      s.signature("size_t write_cb(char *buffer, size_t size, size_t nitems, void *userdata)");
  api->xferinfo_cb = s.signature(
      "int xferinfo_cb(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, "
      "curl_off_t ulnow)");
  api->slist = StructLayout(s.type("struct curl_slist"));
  api->msg = StructLayout(s.type("CURLMsg"));
  api->blob = StructLayout(s.type("struct curl_blob"));
  api->long_type = s.type("long");
  api->off_type = s.type("curl_off_t");
  {
    std::lock_guard<std::mutex> lock(global_mutex());
    int rc = api->global_init.invoke<int>(kGlobalAll);
    if (rc != kOk)
      throw Error(rc, str(api->easy_strerror.invoke<const char *>(rc)), "curl_global_init");
    std::vector<std::string> missing;
    api->global_cleanup =
        resolve_one(api->lib, "void curl_global_cleanup(void)", kRequired, missing, "libcurl");
  }
  api_ = std::move(api);
}

std::string Curl::version() const {
  return str(api_->version.invoke<char *>());
}
std::string Curl::strerror(int code) const {
  return str(api_->easy_strerror.invoke<const char *>(code));
}
std::string Curl::multi_strerror(int code) const {
  return str(api_->multi_strerror.invoke<const char *>(code));
}

// ---- Slist ----

Slist::Slist(const Curl &curl, std::initializer_list<std::string_view> items)
    : api_(curl.shared_api()) {
  for (std::string_view s : items) append(s);
}

Slist::~Slist() {
  if (head_) api_->slist_free_all.invoke<void>(head_);
}

Slist::Slist(Slist &&other) noexcept : api_(other.api_), head_(other.head_) {
  other.head_ = nullptr;
}

Slist &Slist::operator=(Slist &&other) noexcept {
  if (this != &other) {
    if (head_) api_->slist_free_all.invoke<void>(head_);
    api_ = other.api_;
    head_ = other.head_;
    other.head_ = nullptr;
  }
  return *this;
}

Slist &Slist::append(std::string_view item) {
  std::string copy(item);
  void *next = api_->slist_append.invoke<void *>(head_, static_cast<const char *>(copy.c_str()));
  if (!next) throw BindingError("curl_slist_append failed (out of memory)");
  head_ = next;
  return *this;
}

std::vector<std::string> Slist::items() const {
  return read(*api_, head_);
}

std::vector<std::string> Slist::read(const Api &api, const void *list) {
  std::vector<std::string> out;
  for (std::size_t guard = 0; list && guard < 1000000; ++guard) {
    out.push_back(str(api.slist.get<char *>(list, "data")));
    list = api.slist.get<void *>(list, "next");
  }
  return out;
}

// ---- Easy ----

struct Easy::State {
  std::shared_ptr<const Api> api;
  void *curl = nullptr;
  Easy *owner = nullptr;
  std::string body;
  std::vector<std::string> header_lines;
  std::function<void(std::string_view)> on_write, on_header;
  std::function<bool(std::int64_t, std::int64_t, std::int64_t, std::int64_t)> on_progress;
  CallbackError error;
  char errbuf[kErrorSize] = {};
  std::map<int, std::string> strings;  // string options, kept for curl's lifetime of them
  std::unique_ptr<Slist> headers;
  Closure write_closure, header_closure, xferinfo_closure;

  static void write_handler(void *ret, void **args, void *user) {
    auto *s = static_cast<State *>(user);
    const char *p = arg<const char *>(args, 0);
    std::size_t n = arg<std::size_t>(args, 1) * arg<std::size_t>(args, 2);
    std::string_view chunk(p, n);
    bool ok = s->error.guard([&] {
      if (s->on_write)
        s->on_write(chunk);
      else
        s->body.append(chunk);
    });
    // Returning fewer bytes than given makes curl stop with CURLE_WRITE_ERROR.
    *static_cast<std::size_t *>(ret) = ok ? n : 0;
  }

  static void header_handler(void *ret, void **args, void *user) {
    auto *s = static_cast<State *>(user);
    const char *p = arg<const char *>(args, 0);
    std::size_t n = arg<std::size_t>(args, 1) * arg<std::size_t>(args, 2);
    std::string_view line(p, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    bool ok = s->error.guard([&] {
      // A status line starts a new response (after a redirect or a 100 Continue).
      if (line.substr(0, 5) == "HTTP/") s->header_lines.clear();
      s->header_lines.emplace_back(line);
      if (s->on_header) s->on_header(line);
    });
    *static_cast<std::size_t *>(ret) = ok ? n : 0;
  }

  static void xferinfo_handler(void *ret, void **args, void *user) {
    auto *s = static_cast<State *>(user);
    bool go_on = true;
    bool ok = s->error.guard([&] {
      go_on = s->on_progress(arg<std::int64_t>(args, 1), arg<std::int64_t>(args, 2),
                             arg<std::int64_t>(args, 3), arg<std::int64_t>(args, 4));
    });
    *static_cast<int *>(ret) = ok && go_on ? 0 : 1;  // non-zero aborts the transfer
  }

  // curl_easy_setopt(curl, option, <one argument of `type`>), a variadic call.
  template <class T>
  void setopt(int option, const TypeRef &type, T value) {
    Function f = api->variadic(api->easy_setopt, type);
    int rc = f.invoke<int>(curl, option, value);
    if (rc != kOk)
      throw Error(rc, str(api->easy_strerror.invoke<const char *>(rc)),
                  "curl_easy_setopt(" + std::to_string(option) + ")");
  }

  void expect(int option, OptionType want, OptionType want2 = static_cast<OptionType>(-1)) const {
    OptionType t = option_type(option);
    if (t != want && t != want2)
      throw BindingError("curl: option " + std::to_string(option) + " takes " + type_name(t) +
                         ", not " + type_name(want));
  }
};

Easy::Easy(const Curl &curl) : s_(std::make_unique<State>()) {
  s_->api = curl.shared_api();
  s_->owner = this;
  s_->curl = s_->api->easy_init.invoke<void *>();
  if (!s_->curl) throw BindingError("curl_easy_init failed");
  s_->write_closure = Closure(s_->api->write_cb, &State::write_handler, s_.get());
  s_->header_closure = Closure(s_->api->write_cb, &State::header_handler, s_.get());
  set_pointer(opt::WriteFunction, s_->write_closure.code());
  set_pointer(opt::HeaderFunction, s_->header_closure.code());
  set_pointer(opt::ErrorBuffer, s_->errbuf);
  set_pointer(opt::Private, s_.get());
  set(opt::NoSignal, 1L);  // no SIGALRM for timeouts: safe with threads
}

Easy::~Easy() {
  if (s_ && s_->curl) s_->api->easy_cleanup.invoke<void>(s_->curl);
}

Easy::Easy(Easy &&other) noexcept : s_(std::move(other.s_)) {
  if (s_) s_->owner = this;
}

Easy &Easy::operator=(Easy &&other) noexcept {
  if (this != &other) {
    if (s_ && s_->curl) s_->api->easy_cleanup.invoke<void>(s_->curl);
    s_ = std::move(other.s_);
    if (s_) s_->owner = this;
  }
  return *this;
}

void *Easy::raw() const noexcept {
  return s_->curl;
}
const Api &Easy::api() const noexcept {
  return *s_->api;
}

Easy &Easy::set(int option, long value) {
  s_->expect(option, OptionType::Long);
  s_->setopt(option, s_->api->long_type, value);
  return *this;
}

Easy &Easy::set(int option, std::string_view value) {
  s_->expect(option, OptionType::ObjectPoint);
  std::string &kept = s_->strings[option];
  kept.assign(value);
  s_->setopt(option, Type::pointer(), static_cast<const char *>(kept.c_str()));
  return *this;
}

Easy &Easy::set_pointer(int option, void *value) {
  s_->expect(option, OptionType::ObjectPoint, OptionType::FunctionPoint);
  s_->setopt(option, Type::pointer(), value);
  return *this;
}

Easy &Easy::set_off(int option, std::int64_t value) {
  s_->expect(option, OptionType::OffT);
  s_->setopt(option, s_->api->off_type, value);
  return *this;
}

Easy &Easy::set_blob(int option, std::span<const std::byte> v) {
  s_->expect(option, OptionType::Blob);
  alignas(8) unsigned char blob[32] = {};
  const StructLayout &l = s_->api->blob;
  l.set<void *>(blob, "data", const_cast<std::byte *>(v.data()));
  l.set<std::size_t>(blob, "len", v.size());
  l.set<unsigned>(blob, "flags", kBlobCopy);  // curl copies the bytes during the call
  s_->setopt(option, Type::pointer(), static_cast<void *>(blob));
  return *this;
}

Easy &Easy::follow_redirects(bool on, long max) {
  set(opt::FollowLocation, on ? 1L : 0L);
  return set(opt::MaxRedirs, max);
}

Easy &Easy::timeout(std::chrono::milliseconds total) {
  return set(opt::TimeoutMs, static_cast<long>(total.count()));
}

Easy &Easy::connect_timeout(std::chrono::milliseconds t) {
  return set(opt::ConnectTimeoutMs, static_cast<long>(t.count()));
}

Easy &Easy::post(std::string_view body) {
  set_off(opt::PostFieldSizeLarge, static_cast<std::int64_t>(body.size()));
  // COPYPOSTFIELDS copies exactly POSTFIELDSIZE bytes, so the body may hold NULs.
  s_->expect(opt::CopyPostFields, OptionType::ObjectPoint);
  s_->setopt(opt::CopyPostFields, Type::pointer(), static_cast<const char *>(body.data()));
  return *this;
}

Easy &Easy::headers(Slist list) {
  auto kept = std::make_unique<Slist>(std::move(list));
  set_pointer(opt::HttpHeader, kept->get());
  s_->headers = std::move(kept);  // the previous list is freed after curl stopped using it
  return *this;
}

Easy &Easy::on_write(std::function<void(std::string_view)> fn) {
  s_->on_write = std::move(fn);
  return *this;
}

Easy &Easy::on_header(std::function<void(std::string_view)> fn) {
  s_->on_header = std::move(fn);
  return *this;
}

Easy &Easy::on_progress(
    std::function<bool(std::int64_t, std::int64_t, std::int64_t, std::int64_t)> fn) {
  if (!fn) {
    set(opt::NoProgress, 1L);
    s_->on_progress = nullptr;
    return *this;
  }
  if (!s_->xferinfo_closure)
    s_->xferinfo_closure = Closure(s_->api->xferinfo_cb, &State::xferinfo_handler, s_.get());
  s_->on_progress = std::move(fn);
  set_pointer(opt::XferInfoFunction, s_->xferinfo_closure.code());
  return set(opt::NoProgress, 0L);
}

void Easy::clear_response() {
  s_->body.clear();
  s_->header_lines.clear();
  s_->errbuf[0] = '\0';
}

void Easy::perform() {
  clear_response();
  int rc = s_->api->easy_perform.invoke<int>(s_->curl);
  check(rc);
}

void Easy::check(int code) {
  s_->error.rethrow_if_failed();
  if (code != kOk)
    throw Error(code, str(s_->api->easy_strerror.invoke<const char *>(code)), s_->errbuf);
}

const std::string &Easy::body() const noexcept {
  return s_->body;
}
const std::vector<std::string> &Easy::header_lines() const noexcept {
  return s_->header_lines;
}

std::string Easy::header(std::string_view name) const {
  auto lower = [](std::string_view v) {
    std::string o(v);
    for (char &c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return o;
  };
  const std::string want = lower(name);
  for (const std::string &line : s_->header_lines) {
    std::size_t colon = line.find(':');
    if (colon == std::string::npos || lower(std::string_view(line).substr(0, colon)) != want)
      continue;
    std::string_view v = std::string_view(line).substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return std::string(v);
  }
  return {};
}

namespace {

// curl_easy_getinfo(curl, what, T *out): the variadic argument is always a pointer; the type
// bits say what it points to.
template <class T>
T getinfo(const Api &api, void *curl, int what, InfoType want) {
  InfoType t = info_type(what);
  if (t != want)
    throw BindingError("curl: CURLINFO " + hex(what) + " is " + type_name(t) + ", not " +
                       type_name(want));
  T out{};
  Function f = api.variadic(api.easy_getinfo, Type::pointer());
  int rc = f.invoke<int>(curl, what, static_cast<void *>(&out));
  if (rc != kOk)
    throw Error(rc, str(api.easy_strerror.invoke<const char *>(rc)),
                "curl_easy_getinfo(" + hex(what) + ")");
  return out;
}

}  // namespace

long Easy::info_long(int what) const {
  return getinfo<long>(*s_->api, s_->curl, what, InfoType::Long);
}
double Easy::info_double(int what) const {
  return getinfo<double>(*s_->api, s_->curl, what, InfoType::Double);
}
std::int64_t Easy::info_off(int what) const {
  return getinfo<std::int64_t>(*s_->api, s_->curl, what, InfoType::OffT);
}
std::string Easy::info_string(int what) const {
  return str(getinfo<const char *>(*s_->api, s_->curl, what, InfoType::String));
}
std::vector<std::string> Easy::info_slist(int what) const {
  void *list = getinfo<void *>(*s_->api, s_->curl, what, InfoType::Slist);
  std::vector<std::string> out = Slist::read(*s_->api, list);
  // The lists curl hands out through getinfo (cookies, engines) belong to the caller.
  if (list) s_->api->slist_free_all.invoke<void>(list);
  return out;
}

InfoValue Easy::info(int what) const {
  switch (info_type(what)) {
    case InfoType::String:
      return info_string(what);
    case InfoType::Long:
      return InfoValue(std::in_place_index<1>, info_long(what));
    case InfoType::Double:
      return info_double(what);
    case InfoType::Slist:
      return info_slist(what);
    case InfoType::OffT:
      return InfoValue(std::in_place_index<4>, info_off(what));
  }
  throw BindingError("curl: unreachable CURLINFO type");
}

// ---- Multi ----

namespace {

void check_multi(const Api &api, int rc, std::string_view call) {
  if (rc != 0)
    throw Error(rc, str(api.multi_strerror.invoke<const char *>(rc)), std::string(call), true);
}

}  // namespace

Multi::Multi(const Curl &curl) : api_(curl.shared_api()) {
  multi_ = api_->multi_init.invoke<void *>();
  if (!multi_) throw BindingError("curl_multi_init failed");
}

Multi::~Multi() {
  for (Easy::State *s : added_) api_->multi_remove_handle.invoke<int>(multi_, s->curl);
  api_->multi_cleanup.invoke<int>(multi_);
}

void Multi::add(Easy &easy) {
  easy.clear_response();
  check_multi(*api_, api_->multi_add_handle.invoke<int>(multi_, easy.raw()),
              "curl_multi_add_handle");
  added_.push_back(easy.s_.get());
}

void Multi::remove(Easy &easy) {
  auto it = std::find(added_.begin(), added_.end(), easy.s_.get());
  if (it == added_.end()) return;
  added_.erase(it);
  check_multi(*api_, api_->multi_remove_handle.invoke<int>(multi_, easy.raw()),
              "curl_multi_remove_handle");
}

int Multi::perform() {
  int running = 0;
  check_multi(*api_, api_->multi_perform.invoke<int>(multi_, static_cast<int *>(&running)),
              "curl_multi_perform");
  return running;
}

int Multi::poll(std::chrono::milliseconds timeout) {
  int numfds = 0;
  const Function &f = api_->multi_poll ? api_->multi_poll : api_->multi_wait;
  check_multi(*api_,
              f.invoke<int>(multi_, static_cast<void *>(nullptr), 0u,
                            static_cast<int>(timeout.count()), static_cast<int *>(&numfds)),
              "curl_multi_poll");
  return numfds;
}

std::vector<Multi::Done> Multi::info_read() {
  std::vector<Done> out;
  for (;;) {
    int left = 0;
    void *m = api_->multi_info_read.invoke<void *>(multi_, static_cast<int *>(&left));
    if (!m) break;
    if (api_->msg.get<int>(m, "msg") != kMsgDone) continue;
    void *curl = api_->msg.get<void *>(m, "easy_handle");
    int result = api_->msg.get<int>(m, "data.result");
    // CURLINFO_PRIVATE is a STRING-typed info that hands back the pointer set with
    // CURLOPT_PRIVATE: the Easy's state.
    Function f = api_->variadic(api_->easy_getinfo, Type::pointer());
    void *priv = nullptr;
    int rc = f.invoke<int>(curl, info::Private, static_cast<void *>(&priv));
    if (rc != kOk || !priv) throw BindingError("curl multi: a finished handle without its Easy");
    out.push_back({static_cast<Easy::State *>(priv)->owner, result});
  }
  return out;
}

std::vector<Multi::Done> Multi::run(std::chrono::milliseconds limit) {
  std::vector<Done> done;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int running = perform();
    for (Done &d : info_read()) {
      remove(*d.easy);
      done.push_back(d);
    }
    if (running == 0 && added_.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline)
      throw BindingError("curl multi: transfers still running after " +
                         std::to_string(limit.count()) + " ms");
    poll(std::chrono::milliseconds(100));
  }
  return done;
}

}  // namespace jitffi::bindings::curl
