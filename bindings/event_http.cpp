// libevent's evhttp: the C++ layer over the evhttp entries of event.cpp's declaration table.
#include "jitffi/bindings/event_http.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace jitffi::bindings::event {

namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string or_empty(const char *s) {
  return s ? std::string(s) : std::string();
}

// An evbuffer's bytes, left in the buffer.
std::string buffer_bytes(const Api &a, void *buf) {
  std::string out(a.evbuffer_get_length.invoke<std::size_t>(static_cast<const void *>(buf)), '\0');
  void *p = out.data();
  long n = a.evbuffer_copyout.invoke<long>(buf, p, out.size());
  if (n < 0) throw EventError("evbuffer_copyout failed");
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// enum evhttp_request_error, by value.
const char *request_error_name(int e) {
  static const char *const names[] = {"EVREQ_HTTP_TIMEOUT",        "EVREQ_HTTP_EOF",
                                      "EVREQ_HTTP_INVALID_HEADER", "EVREQ_HTTP_BUFFER_ERROR",
                                      "EVREQ_HTTP_REQUEST_CANCEL", "EVREQ_HTTP_DATA_TOO_LONG"};
  return e >= 0 && e < 6 ? names[e] : "unknown evhttp_request_error";
}

}  // namespace

std::string_view method_name(HttpMethod m) {
  switch (m) {
    case HttpMethod::Get:
      return "GET";
    case HttpMethod::Post:
      return "POST";
    case HttpMethod::Head:
      return "HEAD";
    case HttpMethod::Put:
      return "PUT";
    case HttpMethod::Delete:
      return "DELETE";
    case HttpMethod::Options:
      return "OPTIONS";
    case HttpMethod::Trace:
      return "TRACE";
    case HttpMethod::Connect:
      return "CONNECT";
    case HttpMethod::Patch:
      return "PATCH";
  }
  return "?";
}

// ---- HttpHeaderList ----

std::optional<std::string> HttpHeaderList::find(const char *key) const {
  const char *v = api_->find_header.invoke<const char *>(static_cast<const void *>(q_), key);
  if (!v) return std::nullopt;
  return std::string(v);
}

void HttpHeaderList::add(const char *key, const char *value) {
  if (api_->add_header.invoke<int>(q_, key, value) != 0)
    throw EventError(std::string("evhttp_add_header(\"") + key + "\") refused the header");
}

bool HttpHeaderList::remove(const char *key) {
  return api_->remove_header.invoke<int>(q_, key) == 0;
}

HttpHeaders HttpHeaderList::all() const {
  // TAILQ_FOREACH over struct evkeyvalq, the layouts from the declarations.
  HttpHeaders out;
  const StructLayout &q = api_->evkeyvalq, &kv = api_->evkeyval;
  for (void *e = q.get<void *>(q_, "tqh_first"); e; e = kv.get<void *>(e, "next"))
    out.emplace_back(or_empty(kv.get<const char *>(e, "key")),
                     or_empty(kv.get<const char *>(e, "value")));
  return out;
}

// ---- HttpRequest ----

HttpMethod HttpRequest::method() const {
  return static_cast<HttpMethod>(
      api_->req_get_command.invoke<int>(static_cast<const void *>(req_)));
}

std::string HttpRequest::uri() const {
  return or_empty(api_->req_get_uri.invoke<const char *>(static_cast<const void *>(req_)));
}

std::string HttpRequest::path() const {
  const void *u = api_->req_get_evhttp_uri.invoke<const void *>(static_cast<const void *>(req_));
  return u ? or_empty(api_->uri_get_path.invoke<const char *>(u)) : std::string();
}

std::string HttpRequest::query() const {
  const void *u = api_->req_get_evhttp_uri.invoke<const void *>(static_cast<const void *>(req_));
  return u ? or_empty(api_->uri_get_query.invoke<const char *>(u)) : std::string();
}

std::string HttpRequest::body() const {
  return buffer_bytes(*api_, api_->req_get_input_buffer.invoke<void *>(req_));
}

HttpHeaderList HttpRequest::input_headers() const {
  return HttpHeaderList(*api_, api_->req_get_input_headers.invoke<void *>(req_));
}

HttpHeaderList HttpRequest::output_headers() const {
  return HttpHeaderList(*api_, api_->req_get_output_headers.invoke<void *>(req_));
}

void HttpRequest::reply(int code, const char *reason, std::string_view body) {
  if (answered_) throw EventError("evhttp request answered twice");
  void *out = api_->req_get_output_buffer.invoke<void *>(req_);
  const void *p = body.data();
  if (!body.empty() && api_->evbuffer_add.invoke<int>(out, p, body.size()) != 0)
    throw EventError("evbuffer_add(" + std::to_string(body.size()) + " bytes) failed");
  answered_ = true;
  api_->http_send_reply.invoke<void>(req_, code, reason, static_cast<void *>(nullptr));
}

void HttpRequest::error(int code, const char *reason) {
  if (answered_) throw EventError("evhttp request answered twice");
  answered_ = true;
  api_->http_send_error.invoke<void>(req_, code, reason);
}

// ---- HttpServer ----

struct HttpServer::Route {
  Handler handler;
  Closure closure;
};

HttpServer::HttpServer(Base &base) : base_(base) {
  http_ = base.api().http_new.invoke<void *>(base.raw());
  if (!http_) throw EventError("evhttp_new returned NULL");
}

HttpServer::~HttpServer() {
  if (http_) base_.api().http_free.invoke<void>(http_);
  // routes_ (the closures) go after evhttp_free: libevent can no longer call them.
}

HttpServer::Route &HttpServer::make_route(Handler h) {
  const Api &a = base_.api();
  auto route = std::make_unique<Route>();
  Route *r = route.get();
  r->handler = std::move(h);
  Base *b = &base_;
  const Api *api = &a;
  r->closure = Closure(a.http_cb, [r, b, api](void *, void **args) {
    HttpRequest req(*api, arg<void *>(args, 0));
    bool ok = b->callback_error().guard([&] { r->handler(req); });
    // An unanswered request would wait for ever: answer 500 so that libevent frees it.
    if (!req.answered()) req.error(500, ok ? "Handler did not answer" : nullptr);
    if (!ok) b->loopbreak();
  });
  routes_.push_back(std::move(route));
  return *r;
}

std::uint16_t HttpServer::bind(std::uint16_t port, const char *address) {
  const Api &a = base_.api();
  void *bound = a.http_bind.invoke<void *>(http_, address, static_cast<unsigned short>(port));
  if (!bound) {
    int code = saved_errno();
    throw EventError("evhttp_bind_socket_with_handle(" + std::string(address) + ":" +
                     std::to_string(port) + "): " + std::strerror(code) + " (errno " +
                     std::to_string(code) + ")");
  }
  int fd = a.http_bound_get_fd.invoke<int>(bound);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
    throw EventError("getsockname on the evhttp socket failed");
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
}

void HttpServer::on(const std::string &path, Handler h) {
  Route &r = make_route(std::move(h));
  int rc = base_.api().http_set_cb.invoke<int>(http_, path.c_str(), r.closure.code(),
                                               static_cast<void *>(nullptr));
  if (rc != 0) {
    routes_.pop_back();
    throw EventError("evhttp_set_cb(\"" + path + "\") failed" +
                     (rc == -1 ? ": a callback is already set for that path" : ""));
  }
}

void HttpServer::fallback(Handler h) {
  Route &r = make_route(std::move(h));
  // The previous generic callback (if any) stays owned here until the server goes.
  base_.api().http_set_gencb.invoke<void>(http_, r.closure.code(), static_cast<void *>(nullptr));
}

void HttpServer::set_timeout(int seconds) {
  base_.api().http_set_timeout.invoke<void>(http_, seconds);
}

// ---- HttpConnection ----

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto &[k, v] : headers)
    if (same_name(k, name)) return v;
  return std::nullopt;
}

struct HttpConnection::Pending {
  OnResponse on_response;
  Closure done, error;
  int error_code = -1;  // from the error callback, which runs before done(NULL)
  bool running = false, finished = false;
};

HttpConnection::HttpConnection(Base &base, const std::string &host, std::uint16_t port)
    : base_(base), host_(host) {
  conn_ = base.api().conn_base_new.invoke<void *>(base.raw(), static_cast<void *>(nullptr),
                                                  host.c_str(), static_cast<unsigned short>(port));
  if (!conn_)
    throw EventError("evhttp_connection_base_new(" + host + ":" + std::to_string(port) +
                     ") returned NULL");
}

HttpConnection::~HttpConnection() {
  // Frees the requests still queued without calling them back; then their closures can go.
  if (conn_) base_.api().conn_free.invoke<void>(conn_);
}

void HttpConnection::set_timeout(int seconds) {
  base_.api().conn_set_timeout.invoke<void>(conn_, seconds);
}

std::size_t HttpConnection::pending() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(pending_.begin(), pending_.end(), [](const auto &p) { return !p->finished; }));
}

void HttpConnection::request(HttpMethod method, const std::string &uri, OnResponse on_response,
                             std::string_view body, const HttpHeaders &headers) {
  const Api &a = base_.api();
  // Closures of answered requests can go now, except one still running (this call may come
  // from inside its completion callback).
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                [](const auto &p) { return p->finished && !p->running; }),
                 pending_.end());
  auto pending = std::make_unique<Pending>();
  Pending *p = pending.get();
  p->on_response = std::move(on_response);
  Base *b = &base_;
  const Api *api = &a;
  p->error =
      Closure(a.http_error_cb, [p](void *, void **args) { p->error_code = arg<int>(args, 0); });
  p->done = Closure(a.http_cb, [p, b, api](void *, void **args) {
    void *req = arg<void *>(args, 0);
    p->running = true;
    HttpResponse r;
    bool ok = b->callback_error().guard([&] {
      if (req) r.code = api->req_get_response_code.invoke<int>(static_cast<const void *>(req));
      if (!req) {
        r.error = p->error_code >= 0 ? request_error_name(p->error_code)
                                     : "the request failed (no response)";
      } else if (r.code == 0) {
        // A connection that never came up: libevent calls back with the request, no status.
        r.error = "no response (connection failed)";
      } else {
        r.reason = or_empty(
            api->req_get_response_code_line.invoke<const char *>(static_cast<const void *>(req)));
        r.body = buffer_bytes(*api, api->req_get_input_buffer.invoke<void *>(req));
        r.headers = HttpHeaderList(*api, api->req_get_input_headers.invoke<void *>(req)).all();
      }
      p->on_response(r);
    });
    p->finished = true;
    p->running = false;
    if (!ok) b->loopbreak();
  });
  void *req = a.req_new.invoke<void *>(p->done.code(), static_cast<void *>(nullptr));
  if (!req) throw EventError("evhttp_request_new returned NULL");
  a.req_set_error_cb.invoke<void>(req, p->error.code());
  try {
    HttpHeaderList out(a, a.req_get_output_headers.invoke<void *>(req));
    bool has_host = false;
    for (const auto &[k, v] : headers) {
      out.add(k.c_str(), v.c_str());
      has_host = has_host || same_name(k, "Host");
    }
    if (!has_host) out.add("Host", host_.c_str());
    const void *data = body.data();
    if (!body.empty() && a.evbuffer_add.invoke<int>(a.req_get_output_buffer.invoke<void *>(req),
                                                    data, body.size()) != 0)
      throw EventError("evbuffer_add(" + std::to_string(body.size()) + " bytes) failed");
  } catch (...) {
    a.req_free.invoke<void>(req);  // never handed to the connection: ours to free
    throw;
  }
  pending_.push_back(std::move(pending));
  // On failure libevent has freed the request (and will not call back).
  if (a.make_request.invoke<int>(conn_, req, static_cast<int>(method), uri.c_str()) != 0) {
    pending_.back()->finished = true;
    throw EventError("evhttp_make_request(" + std::string(method_name(method)) + " " + uri +
                     ") failed");
  }
}

}  // namespace jitffi::bindings::event
