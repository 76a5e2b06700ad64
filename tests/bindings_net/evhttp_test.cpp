// libevent's evhttp through jitffi, all on loopback: a small server (GET, POST echo, 404) in the
// test, queried by the project's libcurl binding (from a thread while the server loop runs) and
// by evhttp's own client in the same loop; every status, header and body byte checked. Also: a
// port in use, a refused connection, a duplicate route, and callbacks that throw.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "jitffi/bindings/curl.h"
#include "jitffi/bindings/event_http.h"
#include "net_test_util.h"

namespace ev = jitffi::bindings::event;
namespace curl = jitffi::bindings::curl;
using namespace std::chrono_literals;

namespace {

// What the server saw, for the checks after the loop.
struct Seen {
  std::vector<std::string> lines;  // "METHOD path?query"
  std::string x_test, host, echoed_body;
  std::size_t header_count = 0;
};

// The routes every test serves: GET /hello, POST /echo (the body back, with its length and a
// header echoed), everything else 404.
void serve(ev::HttpServer &http, Seen &seen) {
  http.on("/hello", [&](ev::HttpRequest &r) {
    seen.lines.push_back(std::string(ev::method_name(r.method())) + " " + r.path() + "?" +
                         r.query());
    if (r.method() != ev::HttpMethod::Get) return r.error(405, "Method Not Allowed");
    ev::HttpHeaderList in = r.input_headers();
    seen.x_test = in.find("x-test").value_or("<none>");  // evhttp_find_header: any case
    seen.host = in.find("Host").value_or("<none>");
    seen.header_count = in.all().size();
    ev::HttpHeaderList out = r.output_headers();
    out.add("Content-Type", "text/plain");
    out.add("X-Echo", seen.x_test.c_str());
    r.reply(200, "OK", "hello from evhttp, uri " + r.uri() + "\n");
  });
  http.on("/echo", [&](ev::HttpRequest &r) {
    seen.lines.push_back(std::string(ev::method_name(r.method())) + " " + r.path());
    if (r.method() != ev::HttpMethod::Post) return r.error(405, "Method Not Allowed");
    std::string body = r.body();
    seen.echoed_body = body;
    r.output_headers().add("X-Length", std::to_string(body.size()).c_str());
    r.reply(200, nullptr, body);  // NULL reason: libevent's phrase for 200
  });
  http.fallback([&](ev::HttpRequest &r) {
    seen.lines.push_back(std::string(ev::method_name(r.method())) + " " + r.path() + " (404)");
    r.error(404, "Not Found");
  });
}

// A loopback port nothing listens on (bound, then closed).
std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len) != 0)
    throw std::runtime_error("could not bind a loopback socket");
  ::close(fd);
  return ntohs(sa.sin_port);
}

class Evhttp : public net_test::ClosureLeakCheck {
 protected:
  static void SetUpTestSuite() {
    try {
      event_ = std::make_unique<ev::Event>();
    } catch (const jitffi::Error &e) {
      skip_ = std::string(
                  "libevent-2.1.so.7 not available (scripts/deps.sh installs "
                  "libevent-dev): ") +
              e.what();
    }
  }
  static void TearDownTestSuite() { event_.reset(); }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ClosureLeakCheck::SetUp();
  }
  const ev::Event &lib() { return *event_; }

  static std::unique_ptr<ev::Event> event_;
  static std::string skip_;
};
std::unique_ptr<ev::Event> Evhttp::event_;
std::string Evhttp::skip_;

// The pattern body of a POST: every byte value, with NULs, bigger than one socket read.
const std::string &post_body() {
  static const std::string b = net_test::pattern(3, 100000);
  return b;
}

}  // namespace

TEST_F(Evhttp, ServerAnswersCurlFromAThread) {
  std::unique_ptr<curl::Curl> c;
  try {
    c = std::make_unique<curl::Curl>();
  } catch (const jitffi::Error &e) {
    GTEST_SKIP() << "libcurl not available (scripts/deps.sh installs libcurl4): " << e.what();
  }
  ev::Base base(lib());
  ev::HttpServer http(base);
  std::uint16_t port = http.bind(0);
  ASSERT_NE(port, 0);
  Seen seen;
  serve(http, seen);
  std::string prefix = "http://127.0.0.1:" + std::to_string(port);

  // The client thread: three transfers, each bounded by a timeout; results checked after join.
  struct Result {
    long code = 0;
    std::string body, reason, x_echo, x_length, content_type, error;
  };
  std::vector<Result> results(3);
  std::atomic<bool> done{false};
  std::thread client([&] {
    auto run = [&](Result &res, const std::string &path, bool post, bool header) {
      try {
        curl::Easy e(*c);
        e.url(prefix + path).timeout(5s).set(curl::opt::NoSignal, 1L);
        if (post) e.post(post_body());
        if (header) e.headers(curl::Slist(*c, {"X-Test: from curl"}));
        e.perform();
        res.code = e.response_code();
        res.body = e.body();
        res.x_echo = e.header("X-Echo");
        res.x_length = e.header("X-Length");
        res.content_type = e.content_type();
        if (!e.header_lines().empty()) res.reason = e.header_lines().front();
      } catch (const std::exception &ex) {
        res.error = ex.what();
      }
    };
    run(results[0], "/hello?name=curl", false, true);
    run(results[1], "/echo", true, false);
    run(results[2], "/missing/page", false, false);
    done = true;
  });
  // The server loop: a persistent timer ends it once the client is done; 20 s at most.
  ev::Handler poll(base, -1, ev::kPersist, [&](int, short) {
    if (done) base.loopexit();
  });
  poll.add(5ms);
  base.loopexit(20s);
  base.dispatch();
  client.join();
  EXPECT_TRUE(done);

  for (const Result &r : results) EXPECT_EQ(r.error, "");
  EXPECT_EQ(results[0].code, 200);
  EXPECT_EQ(results[0].reason, "HTTP/1.1 200 OK");
  EXPECT_EQ(results[0].body, "hello from evhttp, uri /hello?name=curl\n");
  EXPECT_EQ(results[0].x_echo, "from curl");
  EXPECT_EQ(results[0].content_type, "text/plain");
  EXPECT_EQ(results[1].code, 200);
  EXPECT_EQ(results[1].x_length, std::to_string(post_body().size()));
  EXPECT_TRUE(results[1].body == post_body())
      << "echoed body differs (" << results[1].body.size() << " bytes)";
  EXPECT_EQ(results[2].code, 404);
  EXPECT_NE(results[2].body.find("Not Found"), std::string::npos) << results[2].body;

  ASSERT_EQ(seen.lines.size(), 3u);
  EXPECT_EQ(seen.lines[0], "GET /hello?name=curl");
  EXPECT_EQ(seen.lines[1], "POST /echo");
  EXPECT_EQ(seen.lines[2], "GET /missing/page (404)");
  EXPECT_EQ(seen.x_test, "from curl");
  EXPECT_EQ(seen.host, "127.0.0.1:" + std::to_string(port));
  EXPECT_GE(seen.header_count, 3u);  // Host, Accept, X-Test at least
  EXPECT_TRUE(seen.echoed_body == post_body());
}

TEST_F(Evhttp, EvhttpClientInTheSameLoop) {
  ev::Base base(lib());
  ev::HttpServer http(base);
  std::uint16_t port = http.bind(0);
  Seen seen;
  serve(http, seen);

  ev::HttpConnection conn(base, "127.0.0.1", port);
  conn.set_timeout(5);
  std::vector<ev::HttpResponse> got;
  auto keep = [&](const ev::HttpResponse &r) {
    got.push_back(r);
    if (got.size() == 4) base.loopexit();
  };
  // Three queued at once on one connection; the fourth made from inside a completion callback.
  conn.request(ev::HttpMethod::Get, "/hello?n=1", keep, {}, {{"X-Test", "from evhttp"}});
  conn.request(ev::HttpMethod::Post, "/echo", keep, post_body());
  conn.request(ev::HttpMethod::Get, "/nope", [&](const ev::HttpResponse &r) {
    keep(r);
    conn.request(ev::HttpMethod::Put, "/hello", keep);  // 405 from the handler
  });
  EXPECT_EQ(conn.pending(), 3u);
  base.loopexit(20s);
  base.dispatch();
  EXPECT_EQ(conn.pending(), 0u);

  ASSERT_EQ(got.size(), 4u);
  for (const auto &r : got) EXPECT_EQ(r.error, "");
  EXPECT_EQ(got[0].code, 200);
  EXPECT_EQ(got[0].reason, "OK");
  EXPECT_EQ(got[0].body, "hello from evhttp, uri /hello?n=1\n");
  EXPECT_EQ(got[0].header("x-echo").value_or("<none>"), "from evhttp");
  EXPECT_EQ(got[0].header("Content-Type").value_or("<none>"), "text/plain");
  EXPECT_EQ(got[0].header("Content-Length").value_or("<none>"), std::to_string(got[0].body.size()));
  EXPECT_EQ(got[1].code, 200);
  EXPECT_EQ(got[1].reason, "OK");  // libevent's phrase (the handler passed NULL)
  EXPECT_TRUE(got[1].body == post_body()) << got[1].body.size() << " bytes";
  EXPECT_EQ(got[1].header("X-Length").value_or("<none>"), std::to_string(post_body().size()));
  EXPECT_EQ(got[2].code, 404);
  EXPECT_EQ(got[2].reason, "Not Found");
  EXPECT_NE(got[2].body.find("404 Not Found"), std::string::npos) << got[2].body;
  EXPECT_EQ(got[3].code, 405);
  EXPECT_EQ(got[3].reason, "Method Not Allowed");

  ASSERT_EQ(seen.lines.size(), 4u);
  EXPECT_EQ(seen.lines[0], "GET /hello?n=1");
  EXPECT_EQ(seen.lines[1], "POST /echo");
  EXPECT_EQ(seen.lines[2], "GET /nope (404)");
  EXPECT_EQ(seen.lines[3], "PUT /hello?");
  EXPECT_EQ(seen.host, "127.0.0.1");  // the client's own Host header
}

TEST_F(Evhttp, HeaderListAddFindRemoveAndWalk) {
  ev::Base base(lib());
  ev::HttpServer http(base);
  std::uint16_t port = http.bind(0);
  ev::HttpHeaders walked;
  bool removed = false, removed_again = true;
  std::optional<std::string> after_remove;
  http.fallback([&](ev::HttpRequest &r) {
    ev::HttpHeaderList in = r.input_headers();
    removed = in.remove("X-Drop");
    removed_again = in.remove("X-Drop");
    after_remove = in.find("X-Drop");
    walked = in.all();
    r.reply(204, "No Content", {});
  });
  ev::HttpConnection conn(base, "127.0.0.1", port);
  conn.set_timeout(5);
  ev::HttpResponse resp;
  conn.request(ev::HttpMethod::Get, "/h",
               [&](const ev::HttpResponse &r) {
                 resp = r;
                 base.loopexit();
               },
               {}, {{"X-One", "1"}, {"X-Drop", "gone"}, {"X-Two", "two words"}});
  base.loopexit(20s);
  base.dispatch();
  EXPECT_EQ(resp.error, "");
  EXPECT_EQ(resp.code, 204);
  EXPECT_TRUE(removed);
  EXPECT_FALSE(removed_again);
  EXPECT_FALSE(after_remove.has_value());
  // The request's headers in the order sent (libevent adds Host after ours, then the rest).
  ev::HttpHeaders want = {{"X-One", "1"}, {"X-Two", "two words"}};
  ev::HttpHeaders mine;
  for (const auto &h : walked)
    if (h.first.rfind("X-", 0) == 0) mine.push_back(h);
  EXPECT_EQ(mine, want);
}

TEST_F(Evhttp, PortInUseIsAnErrorWithErrnoText) {
  ev::Base base(lib());
  ev::HttpServer first(base);
  std::uint16_t port = first.bind(0);
  ev::HttpServer second(base);
  try {
    second.bind(port);
    ADD_FAILURE() << "bound " << port << " twice";
  } catch (const ev::EventError &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
    EXPECT_NE(what.find("Address already in use"), std::string::npos) << what;
  }
}

TEST_F(Evhttp, DuplicateRouteIsAnError) {
  ev::Base base(lib());
  ev::HttpServer http(base);
  http.on("/a", [](ev::HttpRequest &r) { r.reply(200, "OK", "a"); });
  EXPECT_THROW(http.on("/a", [](ev::HttpRequest &r) { r.reply(200, "OK", "b"); }), ev::EventError);
}

TEST_F(Evhttp, RefusedConnectionReportsFailure) {
  ev::Base base(lib());
  ev::HttpConnection conn(base, "127.0.0.1", closed_port());
  conn.set_timeout(5);
  ev::HttpResponse resp;
  int calls = 0;
  conn.request(ev::HttpMethod::Get, "/", [&](const ev::HttpResponse &r) {
    resp = r;
    ++calls;
    base.loopexit();
  });
  base.loopexit(20s);
  base.dispatch();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(resp.code, 0);
  // libevent 2.1 calls back with the request and no status when the connect fails.
  EXPECT_EQ(resp.error, "no response (connection failed)");
  EXPECT_TRUE(resp.body.empty());
}

TEST_F(Evhttp, ThrowingHandlerAnswers500AndIsRethrown) {
  ev::Base base(lib());
  ev::HttpServer http(base);
  std::uint16_t port = http.bind(0);
  http.on("/boom", [](ev::HttpRequest &) { throw std::runtime_error("handler failed"); });
  ev::HttpConnection conn(base, "127.0.0.1", port);
  conn.set_timeout(5);
  ev::HttpResponse resp;
  conn.request(ev::HttpMethod::Get, "/boom", [&](const ev::HttpResponse &r) {
    resp = r;
    base.loopexit();
  });
  base.loopexit(20s);
  try {
    base.dispatch();
    ADD_FAILURE() << "dispatch returned";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "handler failed");
  }
  EXPECT_TRUE(base.got_break());
  // The binding answered 500 before stopping the loop: running it again delivers that answer.
  base.dispatch();
  EXPECT_EQ(resp.error, "");
  EXPECT_EQ(resp.code, 500);
  EXPECT_EQ(resp.reason, "Internal Server Error");
}

TEST_F(Evhttp, ThrowingCompletionCallbackIsRethrown) {
  ev::Base base(lib());
  ev::HttpServer http(base);
  std::uint16_t port = http.bind(0);
  Seen seen;
  serve(http, seen);
  ev::HttpConnection conn(base, "127.0.0.1", port);
  conn.set_timeout(5);
  int later = 0;
  conn.request(ev::HttpMethod::Get, "/hello", [](const ev::HttpResponse &r) {
    throw std::runtime_error("client callback failed with " + std::to_string(r.code));
  });
  ev::Handler timer(base, -1, 0, [&](int, short) { ++later; });
  timer.add(10s);
  try {
    base.dispatch();
    ADD_FAILURE() << "dispatch returned";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "client callback failed with 200");
  }
  EXPECT_EQ(later, 0);
  EXPECT_EQ(conn.pending(), 0u);
}

TEST_F(Evhttp, HandlerThatDoesNotAnswerGets500) {
  ev::Base base(lib());
  ev::HttpServer http(base);
  std::uint16_t port = http.bind(0);
  int calls = 0;
  http.fallback([&](ev::HttpRequest &) { ++calls; });
  ev::HttpConnection conn(base, "127.0.0.1", port);
  conn.set_timeout(5);
  ev::HttpResponse resp;
  conn.request(ev::HttpMethod::Get, "/quiet", [&](const ev::HttpResponse &r) {
    resp = r;
    base.loopexit();
  });
  base.loopexit(20s);
  base.dispatch();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(resp.error, "");
  EXPECT_EQ(resp.code, 500);
  EXPECT_EQ(resp.reason, "Handler did not answer");
}

TEST_F(Evhttp, SilentServerTimesOutThroughTheErrorCallback) {
  // A listener that accepts and never answers: the client's timeout fires, libevent calls the
  // error closure (EVREQ_HTTP_TIMEOUT) and then the completion closure with no request.
  ev::Base base(lib());
  std::vector<int> accepted;
  ev::Listener silent(base, 0, [&](int fd) { accepted.push_back(fd); });
  ev::HttpConnection conn(base, "127.0.0.1", silent.port());
  conn.set_timeout(1);
  ev::HttpResponse resp;
  int calls = 0;
  auto start = std::chrono::steady_clock::now();
  conn.request(ev::HttpMethod::Get, "/", [&](const ev::HttpResponse &r) {
    resp = r;
    ++calls;
    base.loopexit();
  });
  base.loopexit(20s);
  base.dispatch();
  auto took = std::chrono::steady_clock::now() - start;
  for (int fd : accepted) ::close(fd);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(accepted.size(), 1u);
  EXPECT_EQ(resp.code, 0);
  EXPECT_EQ(resp.error, "EVREQ_HTTP_TIMEOUT");
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 10s);
  EXPECT_EQ(conn.pending(), 0u);
}

// A request whose header evhttp refuses (a CR/LF in the value) is never handed to the
// connection: request() frees it with evhttp_request_free, throws, and leaves nothing pending
// and no closure behind (the fixture counts them).
TEST_F(Evhttp, RefusedHeaderFreesTheUnsentRequest) {
  ev::Base base(lib());
  ev::HttpServer http(base);
  const std::uint16_t port = http.bind(0);
  ev::HttpConnection conn(base, "127.0.0.1", port);
  bool answered = false;
  try {
    conn.request(ev::HttpMethod::Get, "/", [&](const ev::HttpResponse &) { answered = true; }, {},
                 {{"X-Bad", "a\r\nb"}});
    FAIL() << "evhttp took a header value with CR/LF";
  } catch (const ev::EventError &e) {
    EXPECT_NE(std::string(e.what()).find("evhttp_add_header(\"X-Bad\") refused the header"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(conn.pending(), 0u);
  base.loopexit(100ms);
  base.dispatch();
  EXPECT_FALSE(answered);
}

// evhttp_set_timeout: the server drops a client that sends nothing after the timeout (1 s; the
// default is 50 s), seen by the client as end of file.
TEST_F(Evhttp, ServerTimeoutDropsAnIdleClient) {
  ev::Base base(lib());
  ev::HttpServer http(base);
  const std::uint16_t port = http.bind(0);
  http.set_timeout(1);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  const auto start = std::chrono::steady_clock::now();
  std::atomic<long> eof_ms{-1};
  std::thread client([&] {
    timeval tv{8, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    if (::recv(fd, &c, 1, 0) == 0)
      eof_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - start)
                                     .count());
  });
  // The loop runs until the client has seen the close (each pass at most 100 ms), 4 s at most.
  while (eof_ms.load() < 0 && std::chrono::steady_clock::now() - start < 4s) {
    base.loopexit(100ms);
    base.dispatch();
  }
  client.join();
  ::close(fd);
  EXPECT_GE(eof_ms.load(), 900);
  EXPECT_LT(eof_ms.load(), 4000);
}
