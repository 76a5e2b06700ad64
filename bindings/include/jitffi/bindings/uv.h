// libuv through jitffi: libuv.so.1 is opened at run time (no link-time dependency), every function
// declared by its C prototype in uv.cpp (one place), handles and requests allocated as opaque
// blobs of uv_handle_size()/uv_req_size() bytes, and a small RAII layer on top.
//
//   jitffi::bindings::uv::Uv uv;                  // finds libuv.so.1 ($JITFFI_UV_PATH overrides)
//   jitffi::bindings::uv::Loop loop(uv);
//   jitffi::bindings::uv::Timer t(loop);
//   t.start(std::chrono::milliseconds(10), {}, [&] { t.close(); });
//   loop.run();
//
// Callbacks: each Loop owns one jitffi::Closure per libuv callback type, created with the loop and
// freed with it. They dispatch through the `data` pointer of the handle or request to the C++
// callables stored with it, so no closure is created per handle or per request. An exception
// thrown by a callable stops the loop and is rethrown by Loop::run.
//
// Threads: a Loop and its handles belong to the thread that runs the loop, except Async::send
// (any thread) and the work function of Loop::queue_work (runs on libuv's thread pool).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jitffi/bindings/common.h"

namespace jitffi::bindings::uv {

// Error codes libuv reports that the C++ layer gives meaning to (negated errno on Unix).
inline constexpr int kEOF = -4095, kECanceled = -125, kEAgain = -11, kEConnRefused = -111,
                     kENoEnt = -2, kEExist = -17, kEBadF = -9, kEInval = -22;
// uv_handle_type / uv_req_type values (stable in libuv 1.x).
inline constexpr int kAsyncHandle = 1, kIdleHandle = 6, kTcpHandle = 12, kTimerHandle = 13,
                     kSignalHandle = 16;
inline constexpr int kConnectReq = 2, kWriteReq = 3, kShutdownReq = 4, kFsReq = 6, kWorkReq = 7;
// open(2) flags as libuv's UV_FS_O_* (Linux values; libuv passes them to open unchanged).
inline constexpr int kRdOnly = 0, kWrOnly = 01, kRdWr = 02, kCreat = 0100, kExcl = 0200,
                     kTrunc = 01000, kAppend = 02000;
enum class RunMode : int { Default = 0, Once = 1, NoWait = 2 };
enum class DirentType : int { Unknown = 0, File = 1, Dir = 2, Link = 3, Fifo = 4, Socket = 5 };

// The foreign functions, resolved when the library is opened (see uv.cpp for the prototypes),
// the closure signatures of the callback types, and the struct layouts the C++ layer reads.
struct Api {
  Library lib;
  Function version, version_string, strerror, err_name, handle_size, req_size, loop_size;
  Function loop_init, loop_close, loop_alive, run, stop, now, update_time, hrtime, walk;
  Function close, is_active, is_closing, ref, unref, has_ref, handle_get_data;
  Function timer_init, timer_start, timer_stop, timer_again, timer_get_repeat;
  Function async_init, async_send;
  Function signal_init, signal_start, signal_start_oneshot, signal_stop;
  Function tcp_init, tcp_bind, tcp_connect, tcp_nodelay, tcp_getsockname, ip4_addr, ip6_addr;
  Function listen, accept, read_start, read_stop, write, try_write, shutdown, buf_init;
  Function queue_work, cancel;
  Function fs_req_cleanup, fs_get_result, fs_get_statbuf, fs_open, fs_close, fs_read, fs_write,
      fs_stat, fs_unlink, fs_mkdir, fs_rmdir, fs_rename, fs_scandir, fs_scandir_next;

  Signature close_cb = unresolved_signature(), timer_cb = unresolved_signature(),
            async_cb = unresolved_signature(), signal_cb = unresolved_signature(),
            connection_cb = unresolved_signature(), alloc_cb = unresolved_signature(),
            read_cb = unresolved_signature(), write_cb = unresolved_signature(),
            connect_cb = unresolved_signature(), shutdown_cb = unresolved_signature(),
            fs_cb = unresolved_signature(), work_cb = unresolved_signature(),
            after_work_cb = unresolved_signature(), walk_cb = unresolved_signature();
  StructLayout buf, sockaddr_in, sockaddr_in6, stat, dirent;

  // Throws uv::Error for a negative libuv result (`call` names the failing function).
  int check(int rc, std::string_view call) const;
  [[noreturn]] void fail(int rc, std::string_view call) const;
};

// An error reported by libuv: its code (negative), uv_err_name ("ECONNREFUSED") and
// uv_strerror ("connection refused"). what() is "uv_tcp_connect: connection refused
// (ECONNREFUSED)".
class Error : public jitffi::Error {
 public:
  Error(int code, std::string name, std::string message, std::string_view call);
  int code() const noexcept { return code_; }
  const std::string &name() const noexcept { return name_; }
  const std::string &message() const noexcept { return message_; }

 private:
  int code_;
  std::string name_, message_;
};

// The loaded library. Copies share it; it stays loaded while any Loop made from it lives.
class Uv {
 public:
  // path: an explicit library file; empty means $JITFFI_UV_PATH, then libuv.so.1, libuv.so.
  explicit Uv(std::string_view path = {});

  std::string version() const;  // "1.44.2"
  unsigned version_number() const;
  std::string strerror(int code) const;  // uv_strerror
  std::string err_name(int code) const;  // uv_err_name
  std::uint64_t hrtime() const;          // nanoseconds, monotonic
  const Api &api() const noexcept { return *api_; }
  std::shared_ptr<const Api> shared_api() const noexcept { return api_; }

 private:
  std::shared_ptr<const Api> api_;
};

namespace detail {
struct LoopCore;
struct HandleData;
}  // namespace detail

// An event loop (uv_loop_t of uv_loop_size() bytes). Destroying it closes every handle still
// open (their close callables run) and runs the loop until libuv lets it go.
class Loop {
 public:
  explicit Loop(const Uv &uv);
  ~Loop();
  Loop(const Loop &) = delete;
  Loop &operator=(const Loop &) = delete;

  // uv_run; returns whether handles or requests are still active. Rethrows the first exception
  // a callable threw (the loop stopped there).
  bool run(RunMode mode = RunMode::Default);
  // Runs until no work is left or `limit` has passed (then uv_stop); returns false on timeout.
  bool run_for(std::chrono::milliseconds limit);
  void stop();
  bool alive() const;
  std::uint64_t now() const;  // loop time in ms
  void update_time();

  // work() runs on libuv's thread pool, then after(status) on this loop (status is kECanceled
  // when cancelled before it started). An exception from work() is rethrown by run().
  void queue_work(std::function<void()> work, std::function<void(int status)> after = {});

  const Api &api() const noexcept;
  void *raw() const noexcept;
  detail::LoopCore &core() const noexcept { return *core_; }

 private:
  std::unique_ptr<detail::LoopCore> core_;
};

// The common part of every handle: it owns the libuv handle from init until libuv's close
// callback (which may come after this object is gone). Move-only.
class Handle {
 public:
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;

  // Starts uv_close; on_closed runs from the loop once libuv is done with the handle. Closing a
  // closed or closing handle does nothing.
  void close(std::function<void()> on_closed = {});
  bool is_open() const noexcept;  // not closed and not closing
  bool is_active() const;
  void ref();
  void unref();
  bool has_ref() const;
  void *raw() const;  // the uv_handle_t *; throws when closed

 protected:
  Handle(Loop &loop, int type);
  explicit Handle(detail::HandleData *d) noexcept;
  Handle(Handle &&other) noexcept;
  Handle &operator=(Handle &&other) noexcept;
  ~Handle();
  detail::HandleData &data() const;  // throws BindingError when the handle is closed
  const Api &api() const;

  friend struct detail::LoopCore;
  detail::HandleData *d_ = nullptr;
};

class Timer : public Handle {
 public:
  explicit Timer(Loop &loop);
  // Calls fn after `timeout`, then every `repeat` (zero: once).
  void start(std::chrono::milliseconds timeout, std::chrono::milliseconds repeat,
             std::function<void()> fn);
  void stop();
  void again();
  std::chrono::milliseconds repeat() const;
};

// Wakes the loop from any thread: fn runs on the loop (several sends may coalesce into one call).
class Async : public Handle {
 public:
  Async(Loop &loop, std::function<void()> fn);
  void send();  // thread-safe
};

class Signal : public Handle {
 public:
  explicit Signal(Loop &loop);
  void start(int signum, std::function<void(int signum)> fn);
  void start_oneshot(int signum, std::function<void(int signum)> fn);  // libuv >= 1.12
  void stop();
};

// A TCP socket: a listening server or a connected stream. Addresses are numeric IPv4 or IPv6.
class Tcp : public Handle {
 public:
  explicit Tcp(Loop &loop);

  void bind(std::string_view ip, int port);
  // on_connection(status) runs for each incoming connection; call accept() from it.
  void listen(int backlog, std::function<void(int status)> on_connection);
  Tcp accept();
  void connect(std::string_view ip, int port, std::function<void(int status)> done);
  int local_port() const;
  void nodelay(bool enable);

  // on_data gets each chunk read (valid during the call); on_end(0) at EOF, on_end(code) on a
  // read error. Reading stops after on_end.
  void read_start(std::function<void(std::string_view data)> on_data,
                  std::function<void(int status)> on_end);
  void read_stop();
  // Queues `data` (moved into the request until libuv has written it); done(status) afterwards.
  void write(std::string data, std::function<void(int status)> done = {});
  // uv_try_write: bytes written now (possibly fewer), or 0 when the socket would block.
  std::size_t try_write(std::string_view data);
  // Half-close after the queued writes.
  void shutdown(std::function<void(int status)> done = {});

 private:
  explicit Tcp(detail::HandleData *d) noexcept : Handle(d) {}
};

struct Stat {
  std::uint64_t size = 0, mode = 0, nlink = 0, ino = 0;
  std::int64_t mtime_sec = 0;
  bool is_file() const noexcept { return (mode & 0170000) == 0100000; }
  bool is_dir() const noexcept { return (mode & 0170000) == 0040000; }
};

struct DirEntry {
  std::string name;
  DirentType type = DirentType::Unknown;
  friend bool operator==(const DirEntry &, const DirEntry &) = default;
};

// Filesystem operations on a loop's thread pool. The synchronous forms (no callable) run in the
// calling thread and throw uv::Error; the asynchronous ones call back on the loop with the
// libuv result (negative: an error code, see Uv::strerror).
class Fs {
 public:
  explicit Fs(Loop &loop) : loop_(&loop) {}

  int open(std::string_view path, int flags, int mode = 0644);
  void close(int fd);
  std::size_t write(int fd, std::string_view data, std::int64_t offset = -1);
  std::string read(int fd, std::size_t max, std::int64_t offset = -1);
  Stat stat(std::string_view path);
  void unlink(std::string_view path);
  void mkdir(std::string_view path, int mode = 0755);
  void rmdir(std::string_view path);
  void rename(std::string_view from, std::string_view to);
  std::vector<DirEntry> scandir(std::string_view path);

  using ResultFn = std::function<void(std::int64_t result)>;
  void open(std::string_view path, int flags, int mode, ResultFn done);
  void close(int fd, ResultFn done);
  void write(int fd, std::string data, std::int64_t offset, ResultFn done);
  void read(int fd, std::size_t max, std::int64_t offset,
            std::function<void(std::int64_t result, std::string data)> done);
  void stat(std::string_view path, std::function<void(std::int64_t result, Stat st)> done);
  void unlink(std::string_view path, ResultFn done);
  void mkdir(std::string_view path, int mode, ResultFn done);
  void scandir(std::string_view path,
               std::function<void(std::int64_t result, std::vector<DirEntry>)> done);

 private:
  Loop *loop_;
};

}  // namespace jitffi::bindings::uv
