// libevent's evhttp through jitffi: an HTTP server on an event_base (request handlers are
// closures), the request accessors (URI, method, body, headers through evkeyvalq) and evhttp's
// own client (evhttp_connection, requests whose completion callback is a closure). The C
// declarations are in event.cpp's table with the rest of libevent.
//
//   namespace ev = jitffi::bindings::event;
//   ev::Base base(lib);
//   ev::HttpServer http(base);
//   std::uint16_t port = http.bind(0);           // 127.0.0.1, ephemeral
//   http.on("/hello", [](ev::HttpRequest &r) { r.reply(200, "OK", "hi\n"); });
//   http.fallback([](ev::HttpRequest &r) { r.error(404, "Not Found"); });
//   base.dispatch();
//
// A handler that throws: the exception is caught at the closure boundary; when the handler had
// not answered yet the request is answered 500 (so that libevent frees it and the client is not
// left waiting), then the loop is stopped and dispatch()/loop() rethrows the exception. The same
// holds for a client completion callback (the request is libevent's to free either way).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jitffi/bindings/event.h"

namespace jitffi::bindings::event {

// enum evhttp_cmd_type: one bit per method.
enum class HttpMethod : int {
  Get = 1 << 0,
  Post = 1 << 1,
  Head = 1 << 2,
  Put = 1 << 3,
  Delete = 1 << 4,
  Options = 1 << 5,
  Trace = 1 << 6,
  Connect = 1 << 7,
  Patch = 1 << 8,
};
std::string_view method_name(HttpMethod m);  // "GET", ...; "?" for other values

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// An evkeyvalq owned by libevent (a request's input or output headers).
class HttpHeaderList {
 public:
  HttpHeaderList(const Api &api, void *q) : api_(&api), q_(q) {}
  std::optional<std::string> find(const char *key) const;  // evhttp_find_header (any case)
  void add(const char *key, const char *value);            // evhttp_add_header
  bool remove(const char *key);                            // evhttp_remove_header
  HttpHeaders all() const;                                 // walks the TAILQ in order

 private:
  const Api *api_;
  void *q_;
};

// A request as the server's handler sees it (valid during the handler only: libevent frees it
// once it has been answered). Answer exactly once, with reply() or error().
class HttpRequest {
 public:
  HttpRequest(const Api &api, void *req) : api_(&api), req_(req) {}
  HttpMethod method() const;  // evhttp_request_get_command
  std::string uri() const;    // evhttp_request_get_uri: path and query as sent
  std::string path() const;   // from evhttp_request_get_evhttp_uri
  std::string query() const;  // "" when there is none
  std::string body() const;   // the input buffer's bytes (left in place)
  HttpHeaderList input_headers() const;
  HttpHeaderList output_headers() const;
  // evhttp_send_reply with `body` added to the output buffer (reason: NULL lets libevent choose).
  void reply(int code, const char *reason, std::string_view body);
  void error(int code, const char *reason = nullptr);  // evhttp_send_error
  bool answered() const noexcept { return answered_; }
  void *raw() const noexcept { return req_; }

 private:
  const Api *api_;
  void *req_;
  bool answered_ = false;
};

// An evhttp server on a Base. Handlers are closures owned here (freed after evhttp_free).
class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest &)>;
  explicit HttpServer(Base &base);
  HttpServer(const HttpServer &) = delete;
  HttpServer &operator=(const HttpServer &) = delete;
  ~HttpServer();
  // evhttp_bind_socket_with_handle on 127.0.0.1:port (0: ephemeral); returns the port bound
  // (evhttp_bound_socket_get_fd + getsockname). A port in use throws EventError with errno's text.
  std::uint16_t bind(std::uint16_t port, const char *address = "127.0.0.1");
  void on(const std::string &path, Handler h);  // evhttp_set_cb (exact path); a duplicate throws
  void fallback(Handler h);                     // evhttp_set_gencb: every other path
  void set_timeout(int seconds);                // evhttp_set_timeout
  void *raw() const noexcept { return http_; }

 private:
  struct Route;
  Route &make_route(Handler h);
  Base &base_;
  std::vector<std::unique_ptr<Route>> routes_;
  void *http_ = nullptr;
};

// A response as evhttp's client delivered it. On failure (libevent called back with no request:
// refused, timed out, reset) `error` names the evhttp_request_error and code is 0.
struct HttpResponse {
  int code = 0;
  std::string reason, body;
  HttpHeaders headers;
  std::string error;                                               // empty on success
  std::optional<std::string> header(std::string_view name) const;  // first match, any case
};

// An evhttp_connection to host:port on a Base; requests are made on it and answered in the loop.
class HttpConnection {
 public:
  using OnResponse = std::function<void(const HttpResponse &)>;
  HttpConnection(Base &base, const std::string &host, std::uint16_t port);
  HttpConnection(const HttpConnection &) = delete;
  HttpConnection &operator=(const HttpConnection &) = delete;
  ~HttpConnection();  // evhttp_connection_free (pending requests dropped), then the closures
  void set_timeout(int seconds);  // evhttp_connection_set_timeout
  // evhttp_request_new with a completion closure, Host (and the given headers) added, the body in
  // the output buffer (libevent adds Content-Length for POST/PUT), evhttp_make_request.
  void request(HttpMethod method, const std::string &uri, OnResponse on_response,
               std::string_view body = {}, const HttpHeaders &headers = {});
  std::size_t pending() const noexcept;  // requests not answered yet

 private:
  struct Pending;
  Base &base_;
  std::string host_;
  std::vector<std::unique_ptr<Pending>> pending_;
  void *conn_ = nullptr;
};

}  // namespace jitffi::bindings::event
