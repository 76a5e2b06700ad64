// libevent 2 (libevent-2.1.so.7) through jitffi: event bases, timers, I/O and signal events whose
// callbacks are closures, loop control, and evbuffers (with evbuffer_add_printf called as the
// variadic function it is). Declarations are C prototypes in event.cpp (one table). The HTTP
// server and client (evhttp) are in event_http.h.
//
//   namespace ev = jitffi::bindings::event;
//   ev::Event lib;
//   ev::Base base(lib);
//   ev::Handler t(base, -1, 0, [&](int, short) { ... });  // a timer
//   t.add(std::chrono::milliseconds(10));
//   base.dispatch();
//
// A callback that throws: the exception is caught at the closure boundary (no C frame is
// unwound), the loop is stopped with event_base_loopbreak and dispatch()/loop() rethrows it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "jitffi/bindings/common.h"

namespace jitffi::bindings::event {

inline constexpr short kTimeout = 0x01, kRead = 0x02, kWrite = 0x04, kSignal = 0x08,
                       kPersist = 0x10;
inline constexpr int kLoopOnce = 0x01, kLoopNonblock = 0x02, kLoopNoExitOnEmpty = 0x04;
inline constexpr int kFeatureEt = 0x01, kFeatureO1 = 0x02, kFeatureFds = 0x04;

struct Api {
  Library lib;
  Function get_version, config_new, config_free, config_require_features, base_new,
      base_new_with_config, base_free, base_get_method, dispatch, loop, loopexit, loopbreak,
      got_exit, got_break, event_new, event_free, event_add, event_del, event_pending;
  Function evbuffer_new, evbuffer_free, evbuffer_add, evbuffer_drain, evbuffer_get_length,
      evbuffer_copyout, evbuffer_search, evbuffer_add_printf, evbuffer_add_buffer;
  Function listener_new_bind, listener_free, listener_get_fd, bev_socket_new, bev_socket_connect,
      bev_setcb, bev_enable, bev_free, bev_get_input, bev_get_output, bev_write;
  // evhttp (event_http.h): server, request accessors, headers, client.
  Function http_new, http_free, http_bind, http_bound_get_fd, http_set_cb, http_set_gencb,
      http_set_timeout, http_send_reply, http_send_error, req_get_uri, req_get_evhttp_uri,
      uri_get_path, uri_get_query, req_get_command, req_get_response_code,
      req_get_response_code_line, req_get_input_headers, req_get_output_headers,
      req_get_input_buffer, req_get_output_buffer, find_header, add_header, remove_header,
      conn_base_new, conn_free, conn_set_timeout, req_new, req_free, req_set_error_cb, make_request;
  Signature event_cb = unresolved_signature(), listener_cb = unresolved_signature(),
            bev_data_cb = unresolved_signature(), bev_event_cb = unresolved_signature(),
            http_cb = unresolved_signature(), http_error_cb = unresolved_signature();
  StructLayout timeval, evbuffer_ptr, sockaddr_in, evkeyval, evkeyvalq;
  Function variadic(const Function &fn, std::vector<TypeRef> varargs) const {
    return variadic_.get(fn, std::move(varargs));
  }

 private:
  VariadicCache variadic_;
};

// A libevent call that failed (libevent has no error codes: the call and what it returned).
class EventError : public jitffi::Error {
 public:
  using jitffi::Error::Error;
};

// The library. Copies share it. path: explicit file; empty: $JITFFI_EVENT_PATH, then
// libevent-2.1.so.7.
class Event {
 public:
  explicit Event(std::string_view path = {});
  const Api &api() const noexcept { return *api_; }
  std::shared_ptr<const Api> shared_api() const noexcept { return api_; }
  std::string version() const;

 private:
  std::shared_ptr<Api> api_;
};

// An event_base (event_base_free on destruction).
class Base {
 public:
  explicit Base(const Event &e);
  // event_config_require_features: throws EventError when no back end offers them all.
  Base(const Event &e, int required_features);
  Base(const Base &) = delete;
  Base &operator=(const Base &) = delete;
  ~Base();
  void *raw() const noexcept { return base_; }
  const Api &api() const noexcept { return *api_; }
  std::string method() const;  // "epoll", "poll", ...
  // 0: no events left / exited; 1: no events were registered. Rethrows a callback's exception.
  int dispatch();
  int loop(int flags);
  void loopexit(std::optional<std::chrono::microseconds> after = std::nullopt);
  void loopbreak();
  bool got_exit() const;
  bool got_break() const;
  CallbackError &callback_error() noexcept { return error_; }

 private:
  int finish(int rc, const char *call);
  std::shared_ptr<const Api> api_;
  void *base_ = nullptr;
  CallbackError error_;
};

// An event (event_new) on an fd, a signal number (kSignal) or nothing (fd -1: a timer), whose
// callback is a closure owned here; freed (event_free, then the closure) on destruction.
class Handler {
 public:
  using Callback = std::function<void(int fd, short what)>;
  Handler(Base &base, int fd, short what, Callback cb);
  Handler(const Handler &) = delete;
  Handler &operator=(const Handler &) = delete;
  ~Handler();
  void add(std::optional<std::chrono::microseconds> timeout = std::nullopt);
  void del();
  bool pending(short what) const;

 private:
  struct State;
  Base &base_;
  std::unique_ptr<State> state_;
  void *ev_ = nullptr;
};

inline constexpr short kBevEventReading = 0x01, kBevEventWriting = 0x02, kBevEventEof = 0x10,
                       kBevEventError = 0x20, kBevEventTimeout = 0x40, kBevEventConnected = 0x80;

// An evconnlistener bound to 127.0.0.1:port (0: ephemeral); on_accept gets each new socket (the
// callee owns it). A bind failure (port in use) throws EventError with errno's text.
class Listener {
 public:
  Listener(Base &base, std::uint16_t port, std::function<void(int fd)> on_accept);
  Listener(const Listener &) = delete;
  Listener &operator=(const Listener &) = delete;
  ~Listener();
  std::uint16_t port() const;

 private:
  struct State;
  Base &base_;
  std::unique_ptr<State> state_;
  void *lev_ = nullptr;
};

// A socket bufferevent (BEV_OPT_CLOSE_ON_FREE) with read and event callbacks as closures.
class BufferEvent {
 public:
  using OnRead = std::function<void(BufferEvent &)>;
  using OnEvent = std::function<void(BufferEvent &, short what)>;
  // fd -1: not connected yet (see connect_loopback).
  BufferEvent(Base &base, int fd, OnRead on_read, OnEvent on_event);
  BufferEvent(const BufferEvent &) = delete;
  BufferEvent &operator=(const BufferEvent &) = delete;
  ~BufferEvent();
  void connect_loopback(std::uint16_t port);
  void enable(short what);
  void write(std::string_view data);
  std::string read_all();  // drains the input buffer
  void echo();             // moves the input buffer to the output (evbuffer_add_buffer)
  void *raw() const noexcept { return bev_; }

 private:
  struct State;
  Base &base_;
  std::unique_ptr<State> state_;
  void *bev_ = nullptr;
};

// One argument of Buffer::printf (the promoted C types).
using PrintfArg = std::variant<int, long, long long, unsigned, unsigned long, double, const char *>;

// An evbuffer (evbuffer_free on destruction).
class Buffer {
 public:
  explicit Buffer(const Event &e);
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  ~Buffer();
  void add(std::string_view data);
  void drain(std::size_t n);
  std::size_t size() const;
  std::string contents() const;  // evbuffer_copyout: the buffer keeps its bytes
  std::optional<std::size_t> search(std::string_view what) const;
  // evbuffer_add_printf called as variadic; returns the bytes added.
  int printf(const char *fmt, const std::vector<PrintfArg> &args);
  void *raw() const noexcept { return buf_; }

 private:
  std::shared_ptr<const Api> api_;
  void *buf_ = nullptr;
};

}  // namespace jitffi::bindings::event
