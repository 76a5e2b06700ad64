// Inside of the libuv binding: the loop's closures and the C++ state hung on each handle and
// request through its `data` pointer.
#pragma once

#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jitffi/bindings/uv.h"

namespace jitffi::bindings::uv::detail {

// `void *data` is the first member of every libuv handle and request (UV_HANDLE_FIELDS and
// UV_REQ_FIELDS open with it), so it is read and written at offset 0 of the blob.
inline void *data_of(void *handle_or_req) noexcept {
  void *d;
  std::memcpy(&d, handle_or_req, sizeof d);
  return d;
}
inline void set_data(void *handle_or_req, void *d) noexcept {
  std::memcpy(handle_or_req, &d, sizeof d);
}

struct LoopCore;

// A callable slot that may be replaced from inside its own call (a timer callback that restarts
// its timer): the running callable is moved out for the call and put back unless replaced.
template <class Sig>
struct Slot;
template <class... A>
struct Slot<void(A...)> {
  std::function<void(A...)> fn;
  unsigned generation = 0;
  void set(std::function<void(A...)> f) {
    fn = std::move(f);
    ++generation;
  }
  template <class Core>
  void call(Core &core, A... a) {
    if (!fn) return;
    std::function<void(A...)> running = std::move(fn);
    const unsigned g = generation;
    core.guard([&] { running(a...); });
    if (generation == g) fn = std::move(running);
  }
};

// The C++ side of a handle; lives from init until libuv's close callback.
struct HandleData {
  LoopCore *core = nullptr;
  void *handle = nullptr;   // the uv_handle_t blob
  Handle *owner = nullptr;  // the C++ object, or null once it is gone
  bool closing = false;
  std::function<void()> on_close;
  Slot<void()> on_event;  // timer, async
  Slot<void(int)> on_signal;
  Slot<void(int)> on_connection;
  Slot<void(std::string_view)> on_data;
  Slot<void(int)> on_end;
  std::vector<char> read_buf;
};

// A request blob owned together with its C++ state.
struct ReqBase {
  void *req;
  explicit ReqBase(std::size_t size) : req(std::calloc(1, size)) {
    if (!req) throw std::bad_alloc();
  }
  ~ReqBase() { std::free(req); }
  ReqBase(const ReqBase &) = delete;
  ReqBase &operator=(const ReqBase &) = delete;
};

struct WriteReq : ReqBase {
  using ReqBase::ReqBase;
  std::string data;
  alignas(8) unsigned char buf[16];  // one uv_buf_t
  std::function<void(int)> done;
};

struct StatusReq : ReqBase {  // connect, shutdown
  using ReqBase::ReqBase;
  std::function<void(int)> done;
};

struct WorkReq : ReqBase {
  using ReqBase::ReqBase;
  std::function<void()> work;
  std::function<void(int)> after;
  std::exception_ptr error;  // thrown by work on the pool thread
};

struct FsReq : ReqBase {
  using ReqBase::ReqBase;
  std::string data;                  // the bytes written, or the buffer read into
  alignas(8) unsigned char buf[16];  // one uv_buf_t
  // Turns the finished request into the caller's result (runs before uv_fs_req_cleanup).
  std::function<void(FsReq &, std::int64_t result)> finish;
};

// A loop: the uv_loop_t blob and one closure per libuv callback type, each dispatching through
// the handle's or request's data pointer. Closures are created with the loop and freed with it.
struct LoopCore {
  explicit LoopCore(std::shared_ptr<const Api> api);
  ~LoopCore();
  LoopCore(const LoopCore &) = delete;
  LoopCore &operator=(const LoopCore &) = delete;

  std::shared_ptr<const Api> api;
  void *loop = nullptr;
  CallbackError error;
  Closure close_cb, timer_cb, async_cb, signal_cb, connection_cb, alloc_cb, read_cb, write_cb,
      connect_cb, shutdown_cb, fs_cb, work_cb, after_work_cb, walk_cb;

  // Runs a C++ callable from a callback: an exception is kept and the loop stopped, so that
  // Loop::run rethrows it.
  template <class F>
  void guard(F &&f) noexcept {
    if (!error.guard(std::forward<F>(f))) api->stop.invoke<void>(loop);
  }

  HandleData *new_handle(int type);
  static void discard_uninitialized(HandleData *d);
  static void start_close(HandleData *d);

  static void on_close(void *, void **args, void *user);
  static void on_event(void *, void **args, void *user);
  static void on_signal(void *, void **args, void *user);
  static void on_connection(void *, void **args, void *user);
  static void on_alloc(void *, void **args, void *user);
  static void on_read(void *, void **args, void *user);
  static void on_write(void *, void **args, void *user);
  static void on_status_req(void *, void **args, void *user);
  static void on_fs(void *, void **args, void *user);
  static void on_work(void *, void **args, void *user);
  static void on_after_work(void *, void **args, void *user);
  static void on_walk(void *, void **args, void *user);
};

// After a handle's uv_*_init: on failure frees it (libuv never saw it), nulls d and throws.
void init_or_discard(HandleData *&d, int rc, std::string_view call);

}  // namespace jitffi::bindings::uv::detail
