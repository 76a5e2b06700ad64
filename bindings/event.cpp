// libevent binding: the C declarations (one place, below) and the C++ layer over them.
#include "jitffi/bindings/event.h"

#include <algorithm>
#include <cstdio>

namespace jitffi::bindings::event {

namespace {

constexpr std::string_view kDeclarations = R"(
  typedef int evutil_socket_t;
  struct timeval { long tv_sec; long tv_usec; };
  struct evbuffer_ptr_internal { void *chain; size_t pos_in_chain; };
  struct evbuffer_ptr { ssize_t pos; struct evbuffer_ptr_internal internal_; };
  typedef void (*event_callback_fn)(evutil_socket_t fd, short what, void *arg);
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
  resolve_functions<Api>(a.lib, a, kFunctions);
  a.event_cb = scope.signature("void event_cb(evutil_socket_t fd, short what, void *arg)");
  a.timeval = StructLayout(scope.type("struct timeval"));
  a.evbuffer_ptr = StructLayout(scope.type("struct evbuffer_ptr"));
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
  std::vector<TypeRef> types;
  std::vector<PrintfArg> values(args);
  std::vector<void *> boxed(2 + values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    types.push_back(std::visit(
        [](auto v) -> TypeRef {
          using T = decltype(v);
          if constexpr (std::is_same_v<T, double>) return Type::scalar(TypeKind::F64);
          if constexpr (std::is_pointer_v<T>) return Type::pointer();
          if constexpr (sizeof(T) == 8)
            return Type::scalar(std::is_signed_v<T> ? TypeKind::I64 : TypeKind::U64);
          return Type::scalar(std::is_signed_v<T> ? TypeKind::I32 : TypeKind::U32);
        },
        values[i]));
    boxed[2 + i] = std::visit([](auto &v) -> void * { return &v; }, values[i]);
  }
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
