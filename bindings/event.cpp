// libevent binding: the C declarations (one place, below) and the C++ layer over them.
#include "jitffi/bindings/event.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace jitffi::bindings::event {

namespace {

constexpr std::string_view kDeclarations = R"(
  typedef int evutil_socket_t;
  struct timeval { long tv_sec; long tv_usec; };
  struct evbuffer_ptr_internal { void *chain; size_t pos_in_chain; };
  struct evbuffer_ptr { ssize_t pos; struct evbuffer_ptr_internal internal_; };
  typedef void (*event_callback_fn)(evutil_socket_t fd, short what, void *arg);
  typedef void (*evconnlistener_cb)(void *lev, evutil_socket_t fd, void *addr, int len, void *arg);
  typedef void (*bufferevent_data_cb)(void *bev, void *arg);
  typedef void (*bufferevent_event_cb)(void *bev, short what, void *arg);
  typedef unsigned short sa_family_t;
  struct sockaddr_in {
    sa_family_t sin_family; unsigned short sin_port; unsigned int sin_addr;
    unsigned char sin_zero[8];
  };
  typedef void (*evhttp_cb)(void *req, void *arg);
  typedef void (*evhttp_error_cb)(int error, void *arg);
  struct evkeyval { struct evkeyval *next; struct evkeyval **prev; char *key; char *value; };
  struct evkeyvalq { struct evkeyval *tqh_first; struct evkeyval **tqh_last; };
)";

constexpr FunctionEntry<Api> kFunctions[] = {
    {&Api::get_version, "const char *event_get_version(void)"},
    {&Api::config_new, "void *event_config_new(void)"},
    {&Api::config_free, "void event_config_free(void *cfg)"},
    {&Api::config_require_features, "int event_config_require_features(void *cfg, int features)"},
    {&Api::base_new, "void *event_base_new(void)"},
    {&Api::base_new_with_config, "void *event_base_new_with_config(const void *cfg)"},
    {&Api::base_free, "void event_base_free(void *base)"},
    {&Api::base_get_method, "const char *event_base_get_method(const void *base)"},
    {&Api::dispatch, "int event_base_dispatch(void *base)"},
    {&Api::loop, "int event_base_loop(void *base, int flags)"},
    {&Api::loopexit, "int event_base_loopexit(void *base, const struct timeval *tv)"},
    {&Api::loopbreak, "int event_base_loopbreak(void *base)"},
    {&Api::got_exit, "int event_base_got_exit(void *base)"},
    {&Api::got_break, "int event_base_got_break(void *base)"},
    {&Api::event_new,
     "void *event_new(void *base, evutil_socket_t fd, short what, event_callback_fn cb, "
     "void *arg)"},
    {&Api::event_free, "void event_free(void *ev)"},
    {&Api::event_add, "int event_add(void *ev, const struct timeval *tv)"},
    {&Api::event_del, "int event_del(void *ev)"},
    {&Api::event_pending, "int event_pending(const void *ev, short what, struct timeval *tv)"},
    {&Api::evbuffer_new, "void *evbuffer_new(void)"},
    {&Api::evbuffer_free, "void evbuffer_free(void *buf)"},
    {&Api::evbuffer_add, "int evbuffer_add(void *buf, const void *data, size_t n)"},
    {&Api::evbuffer_drain, "int evbuffer_drain(void *buf, size_t n)"},
    {&Api::evbuffer_get_length, "size_t evbuffer_get_length(const void *buf)"},
    {&Api::evbuffer_copyout, "ssize_t evbuffer_copyout(void *buf, void *out, size_t n)"},
    {&Api::evbuffer_search,
     "struct evbuffer_ptr evbuffer_search(void *buf, const char *what, size_t n, "
     "const struct evbuffer_ptr *start)"},
    {&Api::evbuffer_add_printf, "int evbuffer_add_printf(void *buf, const char *fmt, ...)"},
    {&Api::evbuffer_add_buffer, "int evbuffer_add_buffer(void *out, void *in)"},
    {&Api::listener_new_bind,
     "void *evconnlistener_new_bind(void *base, evconnlistener_cb cb, void *arg, unsigned flags, "
     "int backlog, const void *sa, int len)",
     kErrno},
    {&Api::listener_free, "void evconnlistener_free(void *lev)"},
    {&Api::listener_get_fd, "evutil_socket_t evconnlistener_get_fd(void *lev)"},
    {&Api::bev_socket_new,
     "void *bufferevent_socket_new(void *base, evutil_socket_t fd, int opts)"},
    {&Api::bev_socket_connect,
     "int bufferevent_socket_connect(void *bev, const void *sa, int len)"},
    {&Api::bev_setcb,
     "void bufferevent_setcb(void *bev, bufferevent_data_cb readcb, bufferevent_data_cb writecb, "
     "bufferevent_event_cb eventcb, void *arg)"},
    {&Api::bev_enable, "int bufferevent_enable(void *bev, short what)"},
    {&Api::bev_free, "void bufferevent_free(void *bev)"},
    {&Api::bev_get_input, "void *bufferevent_get_input(void *bev)"},
    {&Api::bev_get_output, "void *bufferevent_get_output(void *bev)"},
    {&Api::bev_write, "int bufferevent_write(void *bev, const void *data, size_t n)"},
    {&Api::http_new, "void *evhttp_new(void *base)"},
    {&Api::http_free, "void evhttp_free(void *http)"},
    {&Api::http_bind,
     "void *evhttp_bind_socket_with_handle(void *http, const char *address, unsigned short port)",
     kErrno},
    {&Api::http_bound_get_fd, "evutil_socket_t evhttp_bound_socket_get_fd(void *bound)"},
    {&Api::http_set_cb, "int evhttp_set_cb(void *http, const char *path, evhttp_cb cb, void *arg)"},
    {&Api::http_set_gencb, "void evhttp_set_gencb(void *http, evhttp_cb cb, void *arg)"},
    {&Api::http_set_timeout, "void evhttp_set_timeout(void *http, int seconds)"},
    {&Api::http_send_reply,
     "void evhttp_send_reply(void *req, int code, const char *reason, void *databuf)"},
    {&Api::http_send_error, "void evhttp_send_error(void *req, int code, const char *reason)"},
    {&Api::req_get_uri, "const char *evhttp_request_get_uri(const void *req)"},
    {&Api::req_get_evhttp_uri, "const void *evhttp_request_get_evhttp_uri(const void *req)"},
    {&Api::uri_get_path, "const char *evhttp_uri_get_path(const void *uri)"},
    {&Api::uri_get_query, "const char *evhttp_uri_get_query(const void *uri)"},
    {&Api::req_get_command, "int evhttp_request_get_command(const void *req)"},
    {&Api::req_get_response_code, "int evhttp_request_get_response_code(const void *req)"},
    {&Api::req_get_response_code_line,
     "const char *evhttp_request_get_response_code_line(const void *req)"},
    {&Api::req_get_input_headers, "struct evkeyvalq *evhttp_request_get_input_headers(void *req)"},
    {&Api::req_get_output_headers,
     "struct evkeyvalq *evhttp_request_get_output_headers(void *req)"},
    {&Api::req_get_input_buffer, "void *evhttp_request_get_input_buffer(void *req)"},
    {&Api::req_get_output_buffer, "void *evhttp_request_get_output_buffer(void *req)"},
    {&Api::find_header,
     "const char *evhttp_find_header(const struct evkeyvalq *headers, const char *key)"},
    {&Api::add_header,
     "int evhttp_add_header(struct evkeyvalq *headers, const char *key, const char *value)"},
    {&Api::remove_header, "int evhttp_remove_header(struct evkeyvalq *headers, const char *key)"},
    {&Api::conn_base_new,
     "void *evhttp_connection_base_new(void *base, void *dnsbase, const char *address, "
     "unsigned short port)"},
    {&Api::conn_free, "void evhttp_connection_free(void *conn)"},
    {&Api::conn_set_timeout, "void evhttp_connection_set_timeout(void *conn, int seconds)"},
    {&Api::req_new, "void *evhttp_request_new(evhttp_cb cb, void *arg)"},
    {&Api::req_free, "void evhttp_request_free(void *req)"},
    {&Api::req_set_error_cb, "void evhttp_request_set_error_cb(void *req, evhttp_error_cb cb)"},
    {&Api::make_request,
     "int evhttp_make_request(void *conn, void *req, int type, const char *uri)"},
};

const LibraryLocation kLocation{
    "libevent", "JITFFI_EVENT_PATH", {"libevent-2.1.so.7", "libevent.so"}};

std::unique_ptr<std::max_align_t[]> timeval_for(const Api &a, std::chrono::microseconds t) {
  auto tv = zeroed_storage(a.timeval.size());
  a.timeval.set<long>(tv.get(), "tv_sec", static_cast<long>(t.count() / 1000000));
  a.timeval.set<long>(tv.get(), "tv_usec", static_cast<long>(t.count() % 1000000));
  return tv;
}

}  // namespace

Event::Event(std::string_view path) : api_(std::make_shared<Api>()) {
  Api &a = *api_;
  a.lib = open_library(kLocation, path);
  Scope &scope = a.lib.scope();
  scope.declare(kDeclarations);
  resolve_functions<Api>(a.lib, a, kFunctions, "libevent");
  a.event_cb = scope.signature("void event_cb(evutil_socket_t fd, short what, void *arg)");
  a.listener_cb = scope.signature(
      "void listener_cb(void *lev, evutil_socket_t fd, void *addr, int len, void *arg)");
  a.bev_data_cb = scope.signature("void data_cb(void *bev, void *arg)");
  a.bev_event_cb = scope.signature("void event_cb(void *bev, short what, void *arg)");
  a.sockaddr_in = StructLayout(scope.type("struct sockaddr_in"));
  a.timeval = StructLayout(scope.type("struct timeval"));
  a.evbuffer_ptr = StructLayout(scope.type("struct evbuffer_ptr"));
  a.http_cb = scope.signature("void http_cb(void *req, void *arg)");
  a.http_error_cb = scope.signature("void http_error_cb(int error, void *arg)");
  a.evkeyval = StructLayout(scope.type("struct evkeyval"));
  a.evkeyvalq = StructLayout(scope.type("struct evkeyvalq"));
}

std::string Event::version() const {
  return api_->get_version.invoke<const char *>();
}

// ---- Base ----

Base::Base(const Event &e) : api_(e.shared_api()) {
  base_ = api_->base_new.invoke<void *>();
  if (!base_) throw EventError("event_base_new returned NULL");
}

Base::Base(const Event &e, int required_features) : api_(e.shared_api()) {
  void *cfg = api_->config_new.invoke<void *>();
  if (!cfg) throw EventError("event_config_new returned NULL");
  api_->config_require_features.invoke<int>(cfg, required_features);
  base_ = api_->base_new_with_config.invoke<void *>(static_cast<const void *>(cfg));
  api_->config_free.invoke<void>(cfg);
  if (!base_)
    throw EventError("event_base_new_with_config: no event method offers the required features 0x" +
                     [&] {
                       char b[16];
                       std::snprintf(b, sizeof b, "%x", required_features);
                       return std::string(b);
                     }());
}

Base::~Base() {
  if (base_) api_->base_free.invoke<void>(base_);
}

std::string Base::method() const {
  return api_->base_get_method.invoke<const char *>(static_cast<const void *>(base_));
}

int Base::finish(int rc, const char *call) {
  error_.rethrow_if_failed();
  if (rc < 0) throw EventError(std::string(call) + " failed (returned -1)");
  return rc;
}

int Base::dispatch() {
  return finish(api_->dispatch.invoke<int>(base_), "event_base_dispatch");
}

int Base::loop(int flags) {
  return finish(api_->loop.invoke<int>(base_, flags), "event_base_loop");
}

void Base::loopexit(std::optional<std::chrono::microseconds> after) {
  std::unique_ptr<std::max_align_t[]> tv;
  if (after) tv = timeval_for(*api_, *after);
  const void *p = tv.get();
  if (api_->loopexit.invoke<int>(base_, p) != 0) throw EventError("event_base_loopexit failed");
}

void Base::loopbreak() {
  if (api_->loopbreak.invoke<int>(base_) != 0) throw EventError("event_base_loopbreak failed");
}

bool Base::got_exit() const {
  return api_->got_exit.invoke<int>(base_) != 0;
}

bool Base::got_break() const {
  return api_->got_break.invoke<int>(base_) != 0;
}

// ---- Handler ----

struct Handler::State {
  Callback cb;
  Closure closure;
};

Handler::Handler(Base &base, int fd, short what, Callback cb)
    : base_(base), state_(std::make_unique<State>()) {
  const Api &a = base.api();
  State *s = state_.get();
  s->cb = std::move(cb);
  Base *b = &base;
  s->closure = Closure(a.event_cb, [s, b](void *, void **args) {
    int fd = arg<int>(args, 0);
    short what = arg<short>(args, 1);
    // An exception stops the loop and is rethrown by dispatch()/loop().
    if (!b->callback_error().guard([&] { s->cb(fd, what); })) b->loopbreak();
  });
  ev_ = a.event_new.invoke<void *>(base.raw(), fd, what, s->closure.code(),
                                   static_cast<void *>(nullptr));
  if (!ev_) throw EventError("event_new(fd " + std::to_string(fd) + ") returned NULL");
}

Handler::~Handler() {
  if (ev_) base_.api().event_free.invoke<void>(ev_);
}

void Handler::add(std::optional<std::chrono::microseconds> timeout) {
  std::unique_ptr<std::max_align_t[]> tv;
  if (timeout) tv = timeval_for(base_.api(), *timeout);
  const void *p = tv.get();
  if (base_.api().event_add.invoke<int>(ev_, p) != 0) throw EventError("event_add failed");
}

void Handler::del() {
  if (base_.api().event_del.invoke<int>(ev_) != 0) throw EventError("event_del failed");
}

bool Handler::pending(short what) const {
  return base_.api().event_pending.invoke<int>(static_cast<const void *>(ev_), what,
                                               static_cast<void *>(nullptr)) != 0;
}

// ---- Listener and BufferEvent ----

namespace {

// 127.0.0.1:port in network byte order, laid out from the declaration.
std::unique_ptr<std::max_align_t[]> loopback(const Api &a, std::uint16_t port) {
  auto sa = zeroed_storage(a.sockaddr_in.size());
  a.sockaddr_in.set<unsigned short>(sa.get(), "sin_family", 2 /* AF_INET */);
  a.sockaddr_in.set<unsigned short>(sa.get(), "sin_port",
                                    static_cast<unsigned short>((port >> 8) | (port << 8)));
  a.sockaddr_in.set<unsigned>(sa.get(), "sin_addr", 0x0100007fu);  // 127.0.0.1
  return sa;
}

}  // namespace

struct Listener::State {
  std::function<void(int)> on_accept;
  Closure closure;
};

Listener::Listener(Base &base, std::uint16_t port, std::function<void(int fd)> on_accept)
    : base_(base), state_(std::make_unique<State>()) {
  const Api &a = base.api();
  State *s = state_.get();
  s->on_accept = std::move(on_accept);
  Base *b = &base;
  s->closure = Closure(a.listener_cb, [s, b](void *, void **args) {
    int fd = arg<int>(args, 1);
    if (!b->callback_error().guard([&] { s->on_accept(fd); })) b->loopbreak();
  });
  auto sa = loopback(a, port);
  unsigned flags = 0x2 /* CLOSE_ON_FREE */ | 0x8 /* REUSEABLE */;
  lev_ = a.listener_new_bind.invoke<void *>(
      base.raw(), s->closure.code(), static_cast<void *>(nullptr), flags, 64,
      static_cast<const void *>(sa.get()), static_cast<int>(a.sockaddr_in.size()));
  if (!lev_) {
    int code = saved_errno();
    throw EventError("evconnlistener_new_bind(127.0.0.1:" + std::to_string(port) +
                     "): " + std::strerror(code) + " (errno " + std::to_string(code) + ")");
  }
}

Listener::~Listener() {
  if (lev_) base_.api().listener_free.invoke<void>(lev_);
}

std::uint16_t Listener::port() const {
  int fd = base_.api().listener_get_fd.invoke<int>(lev_);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
    throw EventError("getsockname on the listener failed");
  return ntohs(reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
}

struct BufferEvent::State {
  OnRead on_read;
  OnEvent on_event;
  Closure read, event;
};

BufferEvent::BufferEvent(Base &base, int fd, OnRead on_read, OnEvent on_event)
    : base_(base), state_(std::make_unique<State>()) {
  const Api &a = base.api();
  State *s = state_.get();
  s->on_read = std::move(on_read);
  s->on_event = std::move(on_event);
  Base *b = &base;
  BufferEvent *self = this;
  s->read = Closure(a.bev_data_cb, [s, b, self](void *, void **) {
    if (s->on_read && !b->callback_error().guard([&] { s->on_read(*self); })) b->loopbreak();
  });
  s->event = Closure(a.bev_event_cb, [s, b, self](void *, void **args) {
    short what = arg<short>(args, 1);
    if (s->on_event && !b->callback_error().guard([&] { s->on_event(*self, what); }))
      b->loopbreak();
  });
  bev_ = a.bev_socket_new.invoke<void *>(base.raw(), fd, 0x1 /* CLOSE_ON_FREE */);
  if (!bev_) throw EventError("bufferevent_socket_new(fd " + std::to_string(fd) + ") failed");
  a.bev_setcb.invoke<void>(bev_, s->read.code(), static_cast<void *>(nullptr), s->event.code(),
                           static_cast<void *>(nullptr));
}

BufferEvent::~BufferEvent() {
  if (bev_) base_.api().bev_free.invoke<void>(bev_);
}

void BufferEvent::connect_loopback(std::uint16_t port) {
  const Api &a = base_.api();
  auto sa = loopback(a, port);
  if (a.bev_socket_connect.invoke<int>(bev_, static_cast<const void *>(sa.get()),
                                       static_cast<int>(a.sockaddr_in.size())) != 0)
    throw EventError("bufferevent_socket_connect(127.0.0.1:" + std::to_string(port) + ") failed");
}

void BufferEvent::enable(short what) {
  if (base_.api().bev_enable.invoke<int>(bev_, what) != 0)
    throw EventError("bufferevent_enable failed");
}

void BufferEvent::write(std::string_view data) {
  const void *p = data.data();
  if (base_.api().bev_write.invoke<int>(bev_, p, data.size()) != 0)
    throw EventError("bufferevent_write failed");
}

std::string BufferEvent::read_all() {
  const Api &a = base_.api();
  void *in = a.bev_get_input.invoke<void *>(bev_);
  std::string out(a.evbuffer_get_length.invoke<std::size_t>(static_cast<const void *>(in)), '\0');
  void *p = out.data();
  long n = a.evbuffer_copyout.invoke<long>(in, p, out.size());
  if (n < 0) throw EventError("evbuffer_copyout failed");
  out.resize(static_cast<std::size_t>(n));
  a.evbuffer_drain.invoke<int>(in, out.size());
  return out;
}

void BufferEvent::echo() {
  const Api &a = base_.api();
  void *in = a.bev_get_input.invoke<void *>(bev_);
  void *out = a.bev_get_output.invoke<void *>(bev_);
  if (a.evbuffer_add_buffer.invoke<int>(out, in) != 0)
    throw EventError("evbuffer_add_buffer failed");
}

// ---- Buffer ----

Buffer::Buffer(const Event &e) : api_(e.shared_api()) {
  buf_ = api_->evbuffer_new.invoke<void *>();
  if (!buf_) throw EventError("evbuffer_new returned NULL");
}

Buffer::~Buffer() {
  if (buf_) api_->evbuffer_free.invoke<void>(buf_);
}

void Buffer::add(std::string_view data) {
  const void *p = data.data();
  if (api_->evbuffer_add.invoke<int>(buf_, p, data.size()) != 0)
    throw EventError("evbuffer_add(" + std::to_string(data.size()) + " bytes) failed");
}

void Buffer::drain(std::size_t n) {
  if (api_->evbuffer_drain.invoke<int>(buf_, n) != 0)
    throw EventError("evbuffer_drain(" + std::to_string(n) + ") failed");
}

std::size_t Buffer::size() const {
  return api_->evbuffer_get_length.invoke<std::size_t>(static_cast<const void *>(buf_));
}

std::string Buffer::contents() const {
  std::string out(size(), '\0');
  void *p = out.data();
  long n = api_->evbuffer_copyout.invoke<long>(buf_, p, out.size());
  if (n < 0) throw EventError("evbuffer_copyout failed");
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::size_t> Buffer::search(std::string_view what) const {
  const Api &a = *api_;
  // evbuffer_ptr is returned by value (24 bytes: in memory); pos is -1 when not found.
  std::vector<unsigned char> ret(std::max<std::size_t>(a.evbuffer_search.return_size(), 32));
  void *buf = buf_;
  const char *w = what.data();
  std::size_t n = what.size();
  const void *start = nullptr;
  void *args[] = {&buf, &w, &n, &start};
  a.evbuffer_search.call(ret.data(), args);
  long pos = a.evbuffer_ptr.get<long>(ret.data(), "pos");
  if (pos < 0) return std::nullopt;
  return static_cast<std::size_t>(pos);
}

int Buffer::printf(const char *fmt, const std::vector<PrintfArg> &args) {
  std::vector<PrintfArg> values(args);
  std::vector<void *> boxed(2 + values.size());
  std::vector<TypeRef> types = box_varargs(values, boxed, 2);
  Function fn = api_->variadic(api_->evbuffer_add_printf, std::move(types));
  void *b = buf_;
  boxed[0] = &b;
  boxed[1] = &fmt;
  std::int64_t ret = 0;
  fn.call(&ret, boxed.data());
  int n = static_cast<int>(ret);
  if (n < 0) throw EventError(std::string("evbuffer_add_printf(\"") + fmt + "\") failed");
  return n;
}

}  // namespace jitffi::bindings::event
