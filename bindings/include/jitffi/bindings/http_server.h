// A small HTTP/1.1 server written on the libuv binding, for tests, examples and benchmarks of
// the curl binding. It listens on an ephemeral port of 127.0.0.1 (or ::1), runs its own loop on
// its own thread, keeps connections alive, and stops when destroyed, when stop() is called, or
// by itself after `max_lifetime` (so that a forgotten server cannot hang a test).
//
//   jitffi::bindings::uv::Uv uv;
//   jitffi::bindings::http::Server server(uv);
//   std::string url = server.url("/hello");      // "http://127.0.0.1:40123/hello"
//
// Routes:
//   GET  /hello              200 "hello from jitffi\n", text/plain, X-Server: jitffi-uv
//   ANY  /echo               200, the request body back, its Content-Type (or
//                            application/octet-stream), X-Echo-Method, X-Echo-Length
//   GET  /headers            200, one "name: value" line per request header (names lower-case),
//                            X-Custom: jitffi, X-Request-Number: n
//   GET  /redirect/N         302 to /redirect/N-1, and /redirect/1 to /hello
//   GET  /chunked?chunks=N&size=S   Transfer-Encoding: chunked, N chunks of S bytes, chunk i
//                            filled with 'a' + i % 26, each chunk a write of its own
//   GET  /slow?ms=N          200 "slow\n" after N milliseconds
//   GET  /bytes?n=N          200, N bytes of net pattern (byte i = (i * 131 + i / 256) & 0xff)
//   GET  /cookie             200, Set-Cookie: session=abc123
//   anything else            404 "not found: <path>\n"
// Request bodies may be sent with Content-Length or chunked; `Expect: 100-continue` is answered.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "jitffi/bindings/uv.h"

namespace jitffi::bindings::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::chrono::milliseconds max_lifetime{120000};
};

// The bytes /bytes?n=N serves (shared with the tests and the benchmark).
std::string pattern_bytes(std::size_t n);

class Server {
 public:
  // Starts the server thread and waits until it listens; throws what the thread hit (a uv::Error
  // from bind, for instance).
  explicit Server(const uv::Uv &uv, ServerOptions options = {});
  ~Server();  // stop() and join
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  int port() const noexcept;
  const std::string &host() const noexcept;
  std::string url(std::string_view path) const;  // "http://127.0.0.1:port/path" ([::1] for v6)

  // Closes the listener and every connection; the thread ends. Safe from any thread, idempotent.
  void stop();
  bool running() const;
  std::size_t requests_served() const;
  std::size_t connections_accepted() const;

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace jitffi::bindings::http
