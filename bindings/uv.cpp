// libuv binding: the C declarations (one place, below), the library handle, the loop with its
// per-callback-type closures, handles, requests and filesystem operations.
#include "jitffi/bindings/uv.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>

#include "uv_internal.h"

namespace jitffi::bindings::uv {

namespace {

// Every C declaration this binding uses. Handles and requests are opaque: their memory is a blob
// of uv_handle_size()/uv_req_size() bytes, and only its first member (`void *data`) is touched.
constexpr std::string_view kDeclarations = R"(
  typedef struct uv_loop_s uv_loop_t;
  typedef struct uv_handle_s uv_handle_t;
  typedef struct uv_stream_s uv_stream_t;
  typedef struct uv_tcp_s uv_tcp_t;
  typedef struct uv_timer_s uv_timer_t;
  typedef struct uv_async_s uv_async_t;
  typedef struct uv_signal_s uv_signal_t;
  typedef struct uv_req_s uv_req_t;
  typedef struct uv_write_s uv_write_t;
  typedef struct uv_connect_s uv_connect_t;
  typedef struct uv_shutdown_s uv_shutdown_t;
  typedef struct uv_fs_s uv_fs_t;
  typedef struct uv_work_s uv_work_t;
  typedef int uv_file;
  typedef enum { UV_UNKNOWN_HANDLE = 0, UV_ASYNC = 1, UV_IDLE = 6, UV_TCP = 12, UV_TIMER = 13,
                 UV_SIGNAL = 16 } uv_handle_type;
  typedef enum { UV_UNKNOWN_REQ = 0, UV_CONNECT = 2, UV_WRITE = 3, UV_SHUTDOWN = 4, UV_FS = 6,
                 UV_WORK = 7 } uv_req_type;
  typedef enum { UV_RUN_DEFAULT = 0, UV_RUN_ONCE, UV_RUN_NOWAIT } uv_run_mode;
  typedef enum { UV_DIRENT_UNKNOWN, UV_DIRENT_FILE, UV_DIRENT_DIR, UV_DIRENT_LINK,
                 UV_DIRENT_FIFO, UV_DIRENT_SOCKET, UV_DIRENT_CHAR, UV_DIRENT_BLOCK
               } uv_dirent_type_t;

  typedef struct uv_buf_t { char *base; size_t len; } uv_buf_t;
  struct sockaddr;
  struct sockaddr_in { unsigned short sin_family; unsigned short sin_port;
                       unsigned int sin_addr; unsigned char sin_zero[8]; };
  struct sockaddr_in6 { unsigned short sin6_family; unsigned short sin6_port;
                        unsigned int sin6_flowinfo; unsigned char sin6_addr[16];
                        unsigned int sin6_scope_id; };
  typedef struct { long tv_sec; long tv_nsec; } uv_timespec_t;
  typedef struct {
    uint64_t st_dev; uint64_t st_mode; uint64_t st_nlink; uint64_t st_uid; uint64_t st_gid;
    uint64_t st_rdev; uint64_t st_ino; uint64_t st_size; uint64_t st_blksize;
    uint64_t st_blocks; uint64_t st_flags; uint64_t st_gen;
    uv_timespec_t st_atim; uv_timespec_t st_mtim; uv_timespec_t st_ctim;
    uv_timespec_t st_birthtim;
  } uv_stat_t;
  typedef struct uv_dirent_s { const char *name; uv_dirent_type_t type; } uv_dirent_t;

  typedef void (*uv_close_cb)(uv_handle_t *handle);
  typedef void (*uv_walk_cb)(uv_handle_t *handle, void *arg);
  typedef void (*uv_timer_cb)(uv_timer_t *handle);
  typedef void (*uv_async_cb)(uv_async_t *handle);
  typedef void (*uv_signal_cb)(uv_signal_t *handle, int signum);
  typedef void (*uv_connection_cb)(uv_stream_t *server, int status);
  typedef void (*uv_alloc_cb)(uv_handle_t *handle, size_t suggested_size, uv_buf_t *buf);
  typedef void (*uv_read_cb)(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
  typedef void (*uv_write_cb)(uv_write_t *req, int status);
  typedef void (*uv_connect_cb)(uv_connect_t *req, int status);
  typedef void (*uv_shutdown_cb)(uv_shutdown_t *req, int status);
  typedef void (*uv_fs_cb)(uv_fs_t *req);
  typedef void (*uv_work_cb)(uv_work_t *req);
  typedef void (*uv_after_work_cb)(uv_work_t *req, int status);
)";

constexpr FunctionEntry<Api> kFunctions[] = {
    {&Api::version, "unsigned int uv_version(void)"},
    {&Api::version_string, "const char *uv_version_string(void)"},
    {&Api::strerror, "const char *uv_strerror(int err)"},
    {&Api::err_name, "const char *uv_err_name(int err)"},
    {&Api::handle_size, "size_t uv_handle_size(uv_handle_type type)"},
    {&Api::req_size, "size_t uv_req_size(uv_req_type type)"},
    {&Api::loop_size, "size_t uv_loop_size(void)"},
    {&Api::loop_init, "int uv_loop_init(uv_loop_t *loop)"},
    {&Api::loop_close, "int uv_loop_close(uv_loop_t *loop)"},
    {&Api::loop_alive, "int uv_loop_alive(const uv_loop_t *loop)"},
    {&Api::run, "int uv_run(uv_loop_t *loop, uv_run_mode mode)"},
    {&Api::stop, "void uv_stop(uv_loop_t *loop)"},
    {&Api::now, "uint64_t uv_now(const uv_loop_t *loop)"},
    {&Api::update_time, "void uv_update_time(uv_loop_t *loop)"},
    {&Api::hrtime, "uint64_t uv_hrtime(void)"},
    {&Api::walk, "void uv_walk(uv_loop_t *loop, uv_walk_cb walk_cb, void *arg)"},
    {&Api::close, "void uv_close(uv_handle_t *handle, uv_close_cb close_cb)"},
    {&Api::is_active, "int uv_is_active(const uv_handle_t *handle)"},
    {&Api::is_closing, "int uv_is_closing(const uv_handle_t *handle)"},
    {&Api::ref, "void uv_ref(uv_handle_t *handle)"},
    {&Api::unref, "void uv_unref(uv_handle_t *handle)"},
    {&Api::has_ref, "int uv_has_ref(const uv_handle_t *handle)"},
    {&Api::handle_get_data, "void *uv_handle_get_data(const uv_handle_t *handle)",
     kOptional},  // 1.19+
    {&Api::timer_init, "int uv_timer_init(uv_loop_t *loop, uv_timer_t *handle)"},
    {&Api::timer_start,
     "int uv_timer_start(uv_timer_t *handle, uv_timer_cb cb, uint64_t timeout, uint64_t repeat)"},
    {&Api::timer_stop, "int uv_timer_stop(uv_timer_t *handle)"},
    {&Api::timer_again, "int uv_timer_again(uv_timer_t *handle)"},
    {&Api::timer_get_repeat, "uint64_t uv_timer_get_repeat(const uv_timer_t *handle)"},
    {&Api::async_init, "int uv_async_init(uv_loop_t *loop, uv_async_t *async, uv_async_cb cb)"},
    {&Api::async_send, "int uv_async_send(uv_async_t *async)"},
    {&Api::signal_init, "int uv_signal_init(uv_loop_t *loop, uv_signal_t *handle)"},
    {&Api::signal_start, "int uv_signal_start(uv_signal_t *handle, uv_signal_cb cb, int signum)"},
    {&Api::signal_start_oneshot,
     "int uv_signal_start_oneshot(uv_signal_t *handle, uv_signal_cb cb, int signum)",
     kOptional},  // 1.12+
    {&Api::signal_stop, "int uv_signal_stop(uv_signal_t *handle)"},
    {&Api::tcp_init, "int uv_tcp_init(uv_loop_t *loop, uv_tcp_t *handle)"},
    {&Api::tcp_bind,
     "int uv_tcp_bind(uv_tcp_t *handle, const struct sockaddr *addr, unsigned int flags)"},
    {&Api::tcp_connect,
     "int uv_tcp_connect(uv_connect_t *req, uv_tcp_t *handle, const struct sockaddr *addr, "
     "uv_connect_cb cb)"},
    {&Api::tcp_nodelay, "int uv_tcp_nodelay(uv_tcp_t *handle, int enable)"},
    {&Api::tcp_getsockname,
     "int uv_tcp_getsockname(const uv_tcp_t *handle, struct sockaddr *name, int *namelen)"},
    {&Api::ip4_addr, "int uv_ip4_addr(const char *ip, int port, struct sockaddr_in *addr)"},
    {&Api::ip6_addr, "int uv_ip6_addr(const char *ip, int port, struct sockaddr_in6 *addr)"},
    {&Api::listen, "int uv_listen(uv_stream_t *stream, int backlog, uv_connection_cb cb)"},
    {&Api::accept, "int uv_accept(uv_stream_t *server, uv_stream_t *client)"},
    {&Api::read_start,
     "int uv_read_start(uv_stream_t *stream, uv_alloc_cb alloc_cb, uv_read_cb read_cb)"},
    {&Api::read_stop, "int uv_read_stop(uv_stream_t *stream)"},
    {&Api::write,
     "int uv_write(uv_write_t *req, uv_stream_t *handle, const uv_buf_t *bufs, "
     "unsigned int nbufs, uv_write_cb cb)"},
    {&Api::try_write,
     "int uv_try_write(uv_stream_t *handle, const uv_buf_t *bufs, unsigned int nbufs)"},
    {&Api::shutdown, "int uv_shutdown(uv_shutdown_t *req, uv_stream_t *handle, uv_shutdown_cb cb)"},
    {&Api::buf_init, "uv_buf_t uv_buf_init(char *base, unsigned int len)"},
    {&Api::queue_work,
     "int uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb, "
     "uv_after_work_cb after_work_cb)"},
    {&Api::cancel, "int uv_cancel(uv_req_t *req)"},
    {&Api::fs_req_cleanup, "void uv_fs_req_cleanup(uv_fs_t *req)"},
    {&Api::fs_get_result, "ssize_t uv_fs_get_result(const uv_fs_t *req)"},
    {&Api::fs_get_statbuf, "uv_stat_t *uv_fs_get_statbuf(uv_fs_t *req)"},
    {&Api::fs_open,
     "int uv_fs_open(uv_loop_t *loop, uv_fs_t *req, const char *path, int flags, int mode, "
     "uv_fs_cb cb)"},
    {&Api::fs_close, "int uv_fs_close(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb)"},
    {&Api::fs_read,
     "int uv_fs_read(uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t *bufs, "
     "unsigned int nbufs, int64_t offset, uv_fs_cb cb)"},
    {&Api::fs_write,
     "int uv_fs_write(uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t *bufs, "
     "unsigned int nbufs, int64_t offset, uv_fs_cb cb)"},
    {&Api::fs_stat, "int uv_fs_stat(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb)"},
    {&Api::fs_unlink,
     "int uv_fs_unlink(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb)"},
    {&Api::fs_mkdir,
     "int uv_fs_mkdir(uv_loop_t *loop, uv_fs_t *req, const char *path, int mode, uv_fs_cb cb)"},
    {&Api::fs_rmdir,
     "int uv_fs_rmdir(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb)"},
    {&Api::fs_rename,
     "int uv_fs_rename(uv_loop_t *loop, uv_fs_t *req, const char *path, const char *new_path, "
     "uv_fs_cb cb)"},
    {&Api::fs_scandir,
     "int uv_fs_scandir(uv_loop_t *loop, uv_fs_t *req, const char *path, int flags, "
     "uv_fs_cb cb)"},
    {&Api::fs_scandir_next, "int uv_fs_scandir_next(uv_fs_t *req, uv_dirent_t *ent)"},
};

// The prototypes of the callback types, for the loop's closures.
struct CallbackEntry {
  Signature Api::*member;
  std::string_view prototype;
};
constexpr CallbackEntry kCallbacks[] = {
    {&Api::close_cb, "void close_cb(uv_handle_t *handle)"},
    {&Api::timer_cb, "void timer_cb(uv_timer_t *handle)"},
    {&Api::async_cb, "void async_cb(uv_async_t *handle)"},
    {&Api::signal_cb, "void signal_cb(uv_signal_t *handle, int signum)"},
    {&Api::connection_cb, "void connection_cb(uv_stream_t *server, int status)"},
    {&Api::alloc_cb, "void alloc_cb(uv_handle_t *handle, size_t suggested_size, uv_buf_t *buf)"},
    {&Api::read_cb, "void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)"},
    {&Api::write_cb, "void write_cb(uv_write_t *req, int status)"},
    {&Api::connect_cb, "void connect_cb(uv_connect_t *req, int status)"},
    {&Api::shutdown_cb, "void shutdown_cb(uv_shutdown_t *req, int status)"},
    {&Api::fs_cb, "void fs_cb(uv_fs_t *req)"},
    {&Api::work_cb, "void work_cb(uv_work_t *req)"},
    {&Api::after_work_cb, "void after_work_cb(uv_work_t *req, int status)"},
    {&Api::walk_cb, "void walk_cb(uv_handle_t *handle, void *arg)"},
};

const LibraryLocation kLocation{"libuv", "JITFFI_UV_PATH", {"libuv.so.1", "libuv.so"}};

std::string str(const char *s) {
  return s ? std::string(s) : std::string();
}

// A handle or request blob; zeroed so that `data` starts null.
void *alloc_blob(std::size_t size) {
  void *p = std::calloc(1, size);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

// ---- Error, Api, Uv ----

Error::Error(int code, std::string name, std::string message, std::string_view call)
    : jitffi::Error(std::string(call) + ": " + message + " (" + name + ")"),
      code_(code),
      name_(std::move(name)),
      message_(std::move(message)) {}

void Api::fail(int rc, std::string_view call) const {
  throw Error(rc, str(err_name.invoke<const char *>(rc)), str(strerror.invoke<const char *>(rc)),
              call);
}

int Api::check(int rc, std::string_view call) const {
  if (rc < 0) fail(rc, call);
  return rc;
}

Uv::Uv(std::string_view path) {
  auto api = std::make_shared<Api>();
  api->lib = open_library(kLocation, path);
  api->lib.scope().declare(kDeclarations);
  resolve_functions<Api>(api->lib, *api, kFunctions, "libuv");
  for (const CallbackEntry &c : kCallbacks)
    (*api).*(c.member) = api->lib.scope().signature(c.prototype);
  const Scope &s = api->lib.scope();
  api->buf = StructLayout(s.type("uv_buf_t"));
  api->sockaddr_in = StructLayout(s.type("struct sockaddr_in"));
  api->sockaddr_in6 = StructLayout(s.type("struct sockaddr_in6"));
  api->stat = StructLayout(s.type("uv_stat_t"));
  api->dirent = StructLayout(s.type("uv_dirent_t"));
  api_ = std::move(api);
}

std::string Uv::version() const {
  return str(api_->version_string.invoke<const char *>());
}
unsigned Uv::version_number() const {
  return api_->version.invoke<unsigned>();
}
std::string Uv::strerror(int code) const {
  return str(api_->strerror.invoke<const char *>(code));
}
std::string Uv::err_name(int code) const {
  return str(api_->err_name.invoke<const char *>(code));
}
std::uint64_t Uv::hrtime() const {
  return api_->hrtime.invoke<std::uint64_t>();
}

// ---- The loop and its closures ----

namespace detail {

LoopCore::LoopCore(std::shared_ptr<const Api> a)
    : api(std::move(a)),
      close_cb(api->close_cb, &LoopCore::on_close, this),
      timer_cb(api->timer_cb, &LoopCore::on_event, this),
      async_cb(api->async_cb, &LoopCore::on_event, this),
      signal_cb(api->signal_cb, &LoopCore::on_signal, this),
      connection_cb(api->connection_cb, &LoopCore::on_connection, this),
      alloc_cb(api->alloc_cb, &LoopCore::on_alloc, this),
      read_cb(api->read_cb, &LoopCore::on_read, this),
      write_cb(api->write_cb, &LoopCore::on_write, this),
      connect_cb(api->connect_cb, &LoopCore::on_status_req, this),
      shutdown_cb(api->shutdown_cb, &LoopCore::on_status_req, this),
      fs_cb(api->fs_cb, &LoopCore::on_fs, this),
      work_cb(api->work_cb, &LoopCore::on_work, this),
      after_work_cb(api->after_work_cb, &LoopCore::on_after_work, this),
      walk_cb(api->walk_cb, &LoopCore::on_walk, this) {
  loop = alloc_blob(api->loop_size.invoke<std::size_t>());
  int rc = api->loop_init.invoke<int>(loop);
  if (rc < 0) {
    std::free(loop);
    loop = nullptr;
    api->fail(rc, "uv_loop_init");
  }
}

LoopCore::~LoopCore() {
  if (!loop) return;
  // Close what is still open, then let libuv finish the closes and pending requests.
  api->walk.invoke<void>(loop, walk_cb.code(), static_cast<void *>(nullptr));
  api->run.invoke<int>(loop, static_cast<int>(RunMode::Default));
  int rc = api->loop_close.invoke<int>(loop);
  if (rc == 0) {
    std::free(loop);
  } else {
    // libuv still uses the memory; leaking it is the only safe choice.
    std::cerr << "jitffi uv: uv_loop_close failed (" << rc << "), loop memory left allocated\n";
  }
}

void LoopCore::start_close(HandleData *d) {
  if (d->closing) return;
  d->closing = true;
  d->core->api->close.invoke<void>(d->handle, d->core->close_cb.code());
}

HandleData *LoopCore::new_handle(int type) {
  auto d = std::make_unique<HandleData>();
  d->core = this;
  d->handle = alloc_blob(api->handle_size.invoke<std::size_t>(type));
  set_data(d->handle, d.get());
  return d.release();
}

void LoopCore::discard_uninitialized(HandleData *d) {
  std::free(d->handle);
  delete d;
}

void LoopCore::on_close(void *, void **args, void *user) {
  auto *core = static_cast<LoopCore *>(user);
  void *handle = arg<void *>(args, 0);
  auto *d = static_cast<HandleData *>(data_of(handle));
  std::function<void()> fn = std::move(d->on_close);
  if (d->owner) d->owner->d_ = nullptr;
  std::free(d->handle);
  delete d;
  if (fn) core->guard(fn);
}

void LoopCore::on_event(void *, void **args, void *user) {
  auto *d = static_cast<HandleData *>(data_of(arg<void *>(args, 0)));
  d->on_event.call(*static_cast<LoopCore *>(user));
}

void LoopCore::on_signal(void *, void **args, void *user) {
  auto *d = static_cast<HandleData *>(data_of(arg<void *>(args, 0)));
  d->on_signal.call(*static_cast<LoopCore *>(user), arg<int>(args, 1));
}

void LoopCore::on_connection(void *, void **args, void *user) {
  auto *d = static_cast<HandleData *>(data_of(arg<void *>(args, 0)));
  d->on_connection.call(*static_cast<LoopCore *>(user), arg<int>(args, 1));
}

void LoopCore::on_alloc(void *, void **args, void *user) {
  auto *core = static_cast<LoopCore *>(user);
  auto *d = static_cast<HandleData *>(data_of(arg<void *>(args, 0)));
  void *buf = arg<void *>(args, 2);
  // One buffer per stream: libuv calls read_cb with it before the next alloc_cb.
  if (d->read_buf.empty()) d->read_buf.resize(64 * 1024);
  core->api->buf.set<char *>(buf, "base", d->read_buf.data());
  core->api->buf.set<std::size_t>(buf, "len", d->read_buf.size());
}

void LoopCore::on_read(void *, void **args, void *user) {
  auto *core = static_cast<LoopCore *>(user);
  auto *d = static_cast<HandleData *>(data_of(arg<void *>(args, 0)));
  std::int64_t nread = arg<std::int64_t>(args, 1);
  if (nread > 0) {
    d->on_data.call(*core, std::string_view(d->read_buf.data(), static_cast<std::size_t>(nread)));
  } else if (nread < 0) {
    // libuv stops reading after EOF or an error; so does the C++ side.
    core->api->read_stop.invoke<int>(d->handle);
    d->on_end.call(*core, nread == kEOF ? 0 : static_cast<int>(nread));
  }
}

void LoopCore::on_write(void *, void **args, void *user) {
  auto *core = static_cast<LoopCore *>(user);
  std::unique_ptr<WriteReq> r(static_cast<WriteReq *>(data_of(arg<void *>(args, 0))));
  int status = arg<int>(args, 1);
  if (r->done) core->guard([&] { r->done(status); });
}

void LoopCore::on_status_req(void *, void **args, void *user) {
  auto *core = static_cast<LoopCore *>(user);
  std::unique_ptr<StatusReq> r(static_cast<StatusReq *>(data_of(arg<void *>(args, 0))));
  int status = arg<int>(args, 1);
  if (r->done) core->guard([&] { r->done(status); });
}

void LoopCore::on_fs(void *, void **args, void *user) {
  auto *core = static_cast<LoopCore *>(user);
  void *req = arg<void *>(args, 0);
  std::unique_ptr<FsReq> r(static_cast<FsReq *>(data_of(req)));
  std::int64_t result = core->api->fs_get_result.invoke<std::int64_t>(req);
  core->guard([&] { r->finish(*r, result); });
  core->api->fs_req_cleanup.invoke<void>(req);
}

void LoopCore::on_work(void *, void **args, void *) {
  // On a pool thread: nothing here may touch the loop; an exception waits for after_work.
  auto *r = static_cast<WorkReq *>(data_of(arg<void *>(args, 0)));
  try {
    r->work();
  } catch (...) {
    r->error = std::current_exception();
  }
}

void LoopCore::on_after_work(void *, void **args, void *user) {
  auto *core = static_cast<LoopCore *>(user);
  std::unique_ptr<WorkReq> r(static_cast<WorkReq *>(data_of(arg<void *>(args, 0))));
  int status = arg<int>(args, 1);
  if (r->error) {
    core->guard([&] { std::rethrow_exception(r->error); });
  } else if (r->after) {
    core->guard([&] { r->after(status); });
  }
}

void LoopCore::on_walk(void *, void **args, void *) {
  void *handle = arg<void *>(args, 0);
  auto *d = static_cast<HandleData *>(data_of(handle));
  if (d && !d->closing) start_close(d);
}

}  // namespace detail

Loop::Loop(const Uv &uv) : core_(std::make_unique<detail::LoopCore>(uv.shared_api())) {}

Loop::~Loop() = default;

bool Loop::run(RunMode mode) {
  int alive = core_->api->run.invoke<int>(core_->loop, static_cast<int>(mode));
  core_->error.rethrow_if_failed();
  return alive != 0;
}

bool Loop::run_for(std::chrono::milliseconds limit) {
  bool timed_out = false;
  Timer guard(*this);
  guard.start(limit, std::chrono::milliseconds(0), [&] {
    timed_out = true;
    stop();
  });
  guard.unref();  // the guard alone must not keep the loop running
  run(RunMode::Default);
  guard.close();
  run(RunMode::NoWait);  // let libuv finish closing the guard
  return !timed_out;
}

void Loop::stop() {
  core_->api->stop.invoke<void>(core_->loop);
}
bool Loop::alive() const {
  return core_->api->loop_alive.invoke<int>(core_->loop) != 0;
}
std::uint64_t Loop::now() const {
  return core_->api->now.invoke<std::uint64_t>(core_->loop);
}
void Loop::update_time() {
  core_->api->update_time.invoke<void>(core_->loop);
}
const Api &Loop::api() const noexcept {
  return *core_->api;
}
void *Loop::raw() const noexcept {
  return core_->loop;
}

void Loop::queue_work(std::function<void()> work, std::function<void(int)> after) {
  const Api &a = *core_->api;
  auto r = std::make_unique<detail::WorkReq>(a.req_size.invoke<std::size_t>(kWorkReq));
  r->work = std::move(work);
  r->after = std::move(after);
  detail::set_data(r->req, r.get());
  a.check(a.queue_work.invoke<int>(core_->loop, r->req, core_->work_cb.code(),
                                   core_->after_work_cb.code()),
          "uv_queue_work");
  r.release();  // owned by the request until after_work
}

// ---- Handles ----

Handle::Handle(Loop &loop, int type) : d_(loop.core().new_handle(type)) {
  d_->owner = this;
}

Handle::Handle(detail::HandleData *d) noexcept : d_(d) {
  if (d_) d_->owner = this;
}

Handle::Handle(Handle &&other) noexcept : d_(other.d_) {
  other.d_ = nullptr;
  if (d_) d_->owner = this;
}

Handle &Handle::operator=(Handle &&other) noexcept {
  if (this != &other) {
    if (d_) {
      d_->owner = nullptr;
      detail::LoopCore::start_close(d_);
    }
    d_ = other.d_;
    other.d_ = nullptr;
    if (d_) d_->owner = this;
  }
  return *this;
}

Handle::~Handle() {
  if (!d_) return;
  d_->owner = nullptr;
  detail::LoopCore::start_close(d_);  // the close callback frees the handle's memory
}

detail::HandleData &Handle::data() const {
  if (!d_ || d_->closing) throw BindingError("uv: the handle is closed");
  return *d_;
}

const Api &Handle::api() const {
  return *data().core->api;
}

void *Handle::raw() const {
  return data().handle;
}

void Handle::close(std::function<void()> on_closed) {
  if (!d_ || d_->closing) return;
  d_->on_close = std::move(on_closed);
  detail::LoopCore::start_close(d_);
}

bool Handle::is_open() const noexcept {
  return d_ && !d_->closing;
}
bool Handle::is_active() const {
  return api().is_active.invoke<int>(raw()) != 0;
}
void Handle::ref() {
  api().ref.invoke<void>(raw());
}
void Handle::unref() {
  api().unref.invoke<void>(raw());
}
bool Handle::has_ref() const {
  return api().has_ref.invoke<int>(raw()) != 0;
}

void detail::init_or_discard(HandleData *&d, int rc, std::string_view call) {
  if (rc >= 0) return;
  const Api &a = *d->core->api;
  // libuv never saw the handle: free it here, without uv_close.
  HandleData *dead = d;
  d = nullptr;
  LoopCore::discard_uninitialized(dead);
  a.fail(rc, call);
}

Timer::Timer(Loop &loop) : Handle(loop, kTimerHandle) {
  detail::init_or_discard(d_, api().timer_init.invoke<int>(loop.raw(), d_->handle),
                          "uv_timer_init");
}

void Timer::start(std::chrono::milliseconds timeout, std::chrono::milliseconds repeat,
                  std::function<void()> fn) {
  detail::HandleData &d = data();
  if (timeout.count() < 0 || repeat.count() < 0)
    throw BindingError("uv::Timer::start: negative timeout or repeat");
  d.on_event.set(std::move(fn));
  api().check(api().timer_start.invoke<int>(d.handle, d.core->timer_cb.code(),
                                            static_cast<std::uint64_t>(timeout.count()),
                                            static_cast<std::uint64_t>(repeat.count())),
              "uv_timer_start");
}

void Timer::stop() {
  api().check(api().timer_stop.invoke<int>(raw()), "uv_timer_stop");
}
void Timer::again() {
  api().check(api().timer_again.invoke<int>(raw()), "uv_timer_again");
}
std::chrono::milliseconds Timer::repeat() const {
  return std::chrono::milliseconds(api().timer_get_repeat.invoke<std::uint64_t>(raw()));
}

Async::Async(Loop &loop, std::function<void()> fn) : Handle(loop, kAsyncHandle) {
  d_->on_event.set(std::move(fn));
  detail::init_or_discard(
      d_, api().async_init.invoke<int>(loop.raw(), d_->handle, d_->core->async_cb.code()),
      "uv_async_init");
}

void Async::send() {
  api().check(api().async_send.invoke<int>(raw()), "uv_async_send");
}

Signal::Signal(Loop &loop) : Handle(loop, kSignalHandle) {
  detail::init_or_discard(d_, api().signal_init.invoke<int>(loop.raw(), d_->handle),
                          "uv_signal_init");
}

void Signal::start(int signum, std::function<void(int)> fn) {
  detail::HandleData &d = data();
  d.on_signal.set(std::move(fn));
  api().check(api().signal_start.invoke<int>(d.handle, d.core->signal_cb.code(), signum),
              "uv_signal_start");
}

void Signal::start_oneshot(int signum, std::function<void(int)> fn) {
  detail::HandleData &d = data();
  if (!api().signal_start_oneshot)
    throw BindingError("uv_signal_start_oneshot needs libuv 1.12 or newer");
  d.on_signal.set(std::move(fn));
  api().check(api().signal_start_oneshot.invoke<int>(d.handle, d.core->signal_cb.code(), signum),
              "uv_signal_start_oneshot");
}

void Signal::stop() {
  api().check(api().signal_stop.invoke<int>(raw()), "uv_signal_stop");
}

// ---- TCP ----

namespace {

// A sockaddr_in or sockaddr_in6 for a numeric address, in storage as large as sockaddr_storage.
struct SockAddr {
  alignas(8) unsigned char bytes[128] = {};
};

SockAddr make_addr(const Api &a, std::string_view ip, int port) {
  if (port < 0 || port > 65535)
    throw BindingError("uv: port " + std::to_string(port) + " out of range");
  SockAddr sa;
  std::string host(ip);
  int rc = a.ip4_addr.invoke<int>(static_cast<const char *>(host.c_str()), port,
                                  static_cast<void *>(sa.bytes));
  if (rc == 0) return sa;
  rc = a.ip6_addr.invoke<int>(static_cast<const char *>(host.c_str()), port,
                              static_cast<void *>(sa.bytes));
  if (rc < 0) a.fail(rc, "uv_ip4_addr/uv_ip6_addr(\"" + host + "\")");
  return sa;
}

}  // namespace

Tcp::Tcp(Loop &loop) : Handle(loop, kTcpHandle) {
  detail::init_or_discard(d_, api().tcp_init.invoke<int>(loop.raw(), d_->handle), "uv_tcp_init");
}

void Tcp::bind(std::string_view ip, int port) {
  SockAddr sa = make_addr(api(), ip, port);
  api().check(api().tcp_bind.invoke<int>(raw(), static_cast<void *>(sa.bytes), 0u), "uv_tcp_bind");
}

void Tcp::listen(int backlog, std::function<void(int)> on_connection) {
  detail::HandleData &d = data();
  d.on_connection.set(std::move(on_connection));
  api().check(api().listen.invoke<int>(d.handle, backlog, d.core->connection_cb.code()),
              "uv_listen");
}

Tcp Tcp::accept() {
  detail::HandleData &d = data();
  detail::HandleData *nd = d.core->new_handle(kTcpHandle);
  detail::init_or_discard(nd, api().tcp_init.invoke<int>(d.core->loop, nd->handle), "uv_tcp_init");
  Tcp client(nd);
  api().check(api().accept.invoke<int>(d.handle, nd->handle), "uv_accept");
  return client;
}

void Tcp::connect(std::string_view ip, int port, std::function<void(int)> done) {
  detail::HandleData &d = data();
  SockAddr sa = make_addr(api(), ip, port);
  auto r = std::make_unique<detail::StatusReq>(api().req_size.invoke<std::size_t>(kConnectReq));
  r->done = std::move(done);
  detail::set_data(r->req, r.get());
  api().check(api().tcp_connect.invoke<int>(r->req, d.handle, static_cast<void *>(sa.bytes),
                                            d.core->connect_cb.code()),
              "uv_tcp_connect");
  r.release();  // owned by the request until connect_cb
}

int Tcp::local_port() const {
  SockAddr sa;
  int len = sizeof sa.bytes;
  api().check(api().tcp_getsockname.invoke<int>(raw(), static_cast<void *>(sa.bytes),
                                                static_cast<int *>(&len)),
              "uv_tcp_getsockname");
  // sin_port and sin6_port are both at offset 2, in network byte order.
  auto port = api().sockaddr_in.get<std::uint16_t>(sa.bytes, "sin_port");
  return ((port & 0xff) << 8) | (port >> 8);
}

void Tcp::nodelay(bool enable) {
  api().check(api().tcp_nodelay.invoke<int>(raw(), enable ? 1 : 0), "uv_tcp_nodelay");
}

void Tcp::read_start(std::function<void(std::string_view)> on_data,
                     std::function<void(int)> on_end) {
  detail::HandleData &d = data();
  d.on_data.set(std::move(on_data));
  d.on_end.set(std::move(on_end));
  api().check(
      api().read_start.invoke<int>(d.handle, d.core->alloc_cb.code(), d.core->read_cb.code()),
      "uv_read_start");
}

void Tcp::read_stop() {
  api().check(api().read_stop.invoke<int>(raw()), "uv_read_stop");
}

void Tcp::write(std::string data, std::function<void(int)> done) {
  detail::HandleData &d = this->data();
  if (data.size() > std::numeric_limits<unsigned>::max())
    throw BindingError("uv::Tcp::write: more than 4 GiB in one write");
  auto r = std::make_unique<detail::WriteReq>(api().req_size.invoke<std::size_t>(kWriteReq));
  r->data = std::move(data);
  r->done = std::move(done);
  detail::set_data(r->req, r.get());
  // uv_buf_init returns the uv_buf_t by value, straight into the request's one-element array.
  char *base = r->data.data();
  unsigned len = static_cast<unsigned>(r->data.size());
  void *args[] = {&base, &len};
  api().buf_init.call(r->buf, args);
  api().check(api().write.invoke<int>(r->req, d.handle, static_cast<void *>(r->buf), 1u,
                                      d.core->write_cb.code()),
              "uv_write");
  r.release();  // owned by the request until write_cb
}

std::size_t Tcp::try_write(std::string_view data) {
  alignas(8) unsigned char buf[16];
  api().buf.set<char *>(buf, "base", const_cast<char *>(data.data()));
  api().buf.set<std::size_t>(buf, "len", data.size());
  int rc = api().try_write.invoke<int>(raw(), static_cast<void *>(buf), 1u);
  if (rc == kEAgain) return 0;
  return static_cast<std::size_t>(api().check(rc, "uv_try_write"));
}

void Tcp::shutdown(std::function<void(int)> done) {
  detail::HandleData &d = data();
  auto r = std::make_unique<detail::StatusReq>(api().req_size.invoke<std::size_t>(kShutdownReq));
  r->done = std::move(done);
  detail::set_data(r->req, r.get());
  api().check(api().shutdown.invoke<int>(r->req, d.handle, d.core->shutdown_cb.code()),
              "uv_shutdown");
  r.release();
}

}  // namespace jitffi::bindings::uv
