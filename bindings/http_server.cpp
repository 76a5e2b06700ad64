// The test HTTP/1.1 server on the libuv binding: one loop on its own thread, an incremental
// request parser per connection, and the fixed routes documented in http_server.h.
#include "jitffi/bindings/http_server.h"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <exception>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace jitffi::bindings::http {

std::string pattern_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + (i >> 8)) & 0xff);
  return s;
}

namespace {

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

struct Request {
  std::string method, path, query, version;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;

  std::string header(std::string_view name) const {
    for (auto &[k, v] : headers)
      if (k == name) return v;
    return {};
  }
  // A query parameter as a number, or `fallback`.
  std::size_t param(std::string_view name, std::size_t fallback) const {
    std::string key = std::string(name) + "=";
    std::size_t pos = 0;
    while (pos < query.size()) {
      std::size_t end = query.find('&', pos);
      if (end == std::string::npos) end = query.size();
      std::string_view kv(query.data() + pos, end - pos);
      if (kv.substr(0, key.size()) == key) {
        try {
          return std::stoul(std::string(kv.substr(key.size())));
        } catch (...) {
          return fallback;
        }
      }
      pos = end + 1;
    }
    return fallback;
  }
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string response(int code, std::string_view reason, const Headers &headers,
                     std::string_view body, bool keep_alive) {
  std::string r = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
  for (auto &[k, v] : headers) r += k + ": " + v + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) r += "Connection: close\r\n";
  r += "\r\n";
  r.append(body);
  return r;
}

}  // namespace

struct Server::State {
  const uv::Uv *uv = nullptr;
  ServerOptions options;
  std::thread thread;
  std::atomic<int> port{0};
  std::atomic<std::size_t> requests{0}, connections{0};
  std::atomic<bool> running{false};
  std::mutex mutex;           // guards wake
  uv::Async *wake = nullptr;  // set while the loop runs and stop() may wake it

  // Loop-thread state.
  struct Conn {
    std::unique_ptr<uv::Tcp> tcp;
    std::unique_ptr<uv::Timer> timer;  // for /slow
    std::string in;
    bool busy = false;  // a response is pending (slow): later requests wait in `in`
    bool sent_continue = false;
    bool closing = false;
  };
  uv::Loop *loop = nullptr;
  std::unique_ptr<uv::Tcp> listener;
  std::map<Conn *, std::unique_ptr<Conn>> conns;
  bool shutting_down = false;

  void run(std::promise<void> &ready);
  void shutdown();
  void accept();
  void close_conn(Conn *c);
  void process(Conn *c);
  // Parses one complete request off the front of c->in; false when more bytes are needed.
  bool parse(Conn *c, Request &req);
  void handle(Conn *c, Request req);
  void send(Conn *c, std::string bytes, bool keep_alive);
};

void Server::State::run(std::promise<void> &ready) {
  bool announced = false;
  try {
    uv::Loop l(*uv);
    loop = &l;
    listener = std::make_unique<uv::Tcp>(l);
    listener->bind(options.host, 0);
    listener->listen(256, [this](int status) {
      if (status == 0) accept();
    });
    uv::Async w(l, [this] { shutdown(); });
    uv::Timer lifetime(l);
    lifetime.start(options.max_lifetime, std::chrono::milliseconds(0), [this] { shutdown(); });
    lifetime.unref();  // the lifetime alone does not keep the loop running
    {
      std::lock_guard<std::mutex> lock(mutex);
      wake = &w;
    }
    port = listener->local_port();
    running = true;
    announced = true;
    ready.set_value();
    l.run();
    {
      std::lock_guard<std::mutex> lock(mutex);
      wake = nullptr;
    }
    running = false;
    conns.clear();
    listener.reset();
    loop = nullptr;
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      wake = nullptr;
    }
    running = false;
    conns.clear();
    listener.reset();
    loop = nullptr;
    if (!announced) {
      ready.set_exception(std::current_exception());
    } else {
      try {
        throw;
      } catch (const std::exception &e) {
        std::cerr << "jitffi http server: " << e.what() << "\n";
      }
    }
  }
}

void Server::State::shutdown() {
  if (shutting_down) return;
  shutting_down = true;
  if (listener) listener->close();
  for (auto &[p, c] : conns) {
    if (c->timer) c->timer->close();
    c->tcp->close();
  }
  conns.clear();  // the handles are closing; the loop frees them
  std::lock_guard<std::mutex> lock(mutex);
  if (wake) wake->close();
  wake = nullptr;  // no send() after this point
}

void Server::State::accept() {
  auto c = std::make_unique<Conn>();
  c->tcp = std::make_unique<uv::Tcp>(listener->accept());
  c->tcp->nodelay(true);
  Conn *raw = c.get();
  conns.emplace(raw, std::move(c));
  ++connections;
  raw->tcp->read_start(
      [this, raw](std::string_view data) {
        raw->in.append(data);
        process(raw);
      },
      [this, raw](int) { close_conn(raw); });
}

void Server::State::close_conn(Conn *c) {
  auto it = conns.find(c);
  if (it == conns.end()) return;
  if (c->timer) c->timer->close();
  c->tcp->close();
  conns.erase(it);  // destroying closed handles is fine: libuv frees them after the close
}

void Server::State::process(Conn *c) {
  while (!c->busy && conns.count(c)) {
    Request req;
    if (!parse(c, req)) return;
    handle(c, std::move(req));
  }
}

bool Server::State::parse(Conn *c, Request &req) {
  std::size_t head_end = c->in.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    if (c->in.size() > kMaxHeaderBytes) {
      send(c, response(431, "Request Header Fields Too Large", {}, "", false), false);
    }
    return false;
  }
  std::string_view head(c->in.data(), head_end);
  std::size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  std::size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) {
    send(c, response(400, "Bad Request", {}, "bad request line\n", false), false);
    return false;
  }
  req.method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  req.version = line.substr(sp2 + 1);
  std::size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string_view::npos) req.query = target.substr(q + 1);
  std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    std::size_t e = head.find("\r\n", pos);
    if (e == std::string_view::npos) e = head.size();
    std::string_view h = head.substr(pos, e - pos);
    std::size_t colon = h.find(':');
    if (colon != std::string_view::npos)
      req.headers.emplace_back(lower(trim(h.substr(0, colon))),
                               std::string(trim(h.substr(colon + 1))));
    pos = e + 2;
  }
  std::size_t body_start = head_end + 4;
  const bool chunked = lower(req.header("transfer-encoding")).find("chunked") != std::string::npos;
  std::size_t consumed = 0;
  if (chunked) {
    std::size_t p = body_start;
    for (;;) {
      std::size_t e = c->in.find("\r\n", p);
      if (e == std::string::npos) break;
      std::size_t n = std::stoul(c->in.substr(p, e - p), nullptr, 16);
      if (c->in.size() < e + 2 + n + 2) break;
      if (n == 0) {
        consumed = e + 4;  // last chunk, no trailers
        break;
      }
      req.body.append(c->in, e + 2, n);
      p = e + 2 + n + 2;
    }
  } else {
    std::size_t length = 0;
    std::string cl = req.header("content-length");
    if (!cl.empty()) length = std::stoul(cl);
    if (c->in.size() >= body_start + length) {
      req.body.assign(c->in, body_start, length);
      consumed = body_start + length;
    }
  }
  if (consumed == 0) {
    if (!c->sent_continue && lower(req.header("expect")) == "100-continue") {
      c->sent_continue = true;
      c->tcp->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    return false;
  }
  c->sent_continue = false;
  c->in.erase(0, consumed);
  return true;
}

void Server::State::send(Conn *c, std::string bytes, bool keep_alive) {
  c->tcp->write(std::move(bytes));
  if (!keep_alive) {
    // Half-close after the response so that the client sees it all, then close.
    c->tcp->shutdown([this, c](int) { close_conn(c); });
    c->busy = true;
  }
}

void Server::State::handle(Conn *c, Request req) {
  const std::size_t n = ++requests;
  const bool keep_alive = req.version == "HTTP/1.1" && lower(req.header("connection")) != "close";
  const std::string &p = req.path;
  if (p == "/hello") {
    send(c,
         response(200, "OK", {{"Content-Type", "text/plain"}, {"X-Server", "jitffi-uv"}},
                  "hello from jitffi\n", keep_alive),
         keep_alive);
  } else if (p == "/echo") {
    std::string type = req.header("content-type");
    send(c,
         response(200, "OK",
                  {{"Content-Type", type.empty() ? "application/octet-stream" : type},
                   {"X-Echo-Method", req.method},
                   {"X-Echo-Length", std::to_string(req.body.size())}},
                  req.body, keep_alive),
         keep_alive);
  } else if (p == "/headers") {
    std::string body;
    for (auto &[k, v] : req.headers) body += k + ": " + v + "\n";
    send(c,
         response(200, "OK",
                  {{"Content-Type", "text/plain"},
                   {"X-Custom", "jitffi"},
                   {"X-Request-Number", std::to_string(n)}},
                  body, keep_alive),
         keep_alive);
  } else if (p.rfind("/redirect/", 0) == 0) {
    std::size_t hops = 1;
    try {
      hops = std::stoul(p.substr(10));
    } catch (...) {
    }
    std::string to = hops <= 1 ? "/hello" : "/redirect/" + std::to_string(hops - 1);
    send(c, response(302, "Found", {{"Location", to}}, "redirecting\n", keep_alive), keep_alive);
  } else if (p == "/chunked") {
    std::size_t chunks = req.param("chunks", 5), size = req.param("size", 100);
    c->tcp->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n" +
                  std::string(keep_alive ? "" : "Connection: close\r\n") + "\r\n");
    for (std::size_t i = 0; i < chunks; ++i) {
      char hex[32];
      std::snprintf(hex, sizeof hex, "%zx\r\n", size);
      c->tcp->write(hex + std::string(size, static_cast<char>('a' + i % 26)) + "\r\n");
    }
    send(c, "0\r\n\r\n", keep_alive);
  } else if (p == "/slow") {
    std::size_t ms = req.param("ms", 1000);
    c->busy = true;
    c->timer = std::make_unique<uv::Timer>(*loop);
    c->timer->start(
        std::chrono::milliseconds(ms), std::chrono::milliseconds(0), [this, c, keep_alive] {
          c->busy = false;
          send(c, response(200, "OK", {{"Content-Type", "text/plain"}}, "slow\n", keep_alive),
               keep_alive);
          if (keep_alive) process(c);
        });
  } else if (p == "/bytes") {
    send(c,
         response(200, "OK", {{"Content-Type", "application/octet-stream"}},
                  pattern_bytes(req.param("n", 1024)), keep_alive),
         keep_alive);
  } else if (p == "/cookie") {
    send(
        c,
        response(200, "OK", {{"Set-Cookie", "session=abc123; Path=/"}}, "cookie set\n", keep_alive),
        keep_alive);
  } else {
    send(c,
         response(404, "Not Found", {{"Content-Type", "text/plain"}}, "not found: " + p + "\n",
                  keep_alive),
         keep_alive);
  }
}

Server::Server(const uv::Uv &uv, ServerOptions options) : s_(std::make_unique<State>()) {
  s_->uv = &uv;
  s_->options = std::move(options);
  std::promise<void> ready;
  std::future<void> started = ready.get_future();
  s_->thread = std::thread([this, &ready] { s_->run(ready); });
  try {
    started.get();
  } catch (...) {
    s_->thread.join();
    throw;
  }
}

Server::~Server() {
  stop();
  if (s_->thread.joinable()) s_->thread.join();
}

void Server::stop() {
  std::lock_guard<std::mutex> lock(s_->mutex);
  if (s_->wake) s_->wake->send();
}

int Server::port() const noexcept {
  return s_->port;
}
const std::string &Server::host() const noexcept {
  return s_->options.host;
}
std::string Server::url(std::string_view path) const {
  const bool v6 = s_->options.host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + s_->options.host + "]" : s_->options.host) + ":" +
         std::to_string(port()) + std::string(path);
}
bool Server::running() const {
  return s_->running;
}
std::size_t Server::requests_served() const {
  return s_->requests;
}
std::size_t Server::connections_accepted() const {
  return s_->connections;
}

}  // namespace jitffi::bindings::http
