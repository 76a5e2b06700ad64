// libcurl through jitffi against the in-process HTTP server (itself on the libuv binding), all on
// loopback: easy GET/POST with callbacks, slists, getinfo, timeouts, refused connections,
// redirects, the multi interface, and curl's own messages in exceptions.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stddef.h>
#include <stdlib.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "jitffi/bindings/curl.h"
#include "jitffi/bindings/http_server.h"
#include "net_test_util.h"

namespace curl = jitffi::bindings::curl;
namespace http = jitffi::bindings::http;
namespace uv = jitffi::bindings::uv;
using namespace std::chrono_literals;

namespace {

const uv::Uv &uvlib() {
  static const uv::Uv u;
  return u;
}

// The closure count is taken after the library objects exist (they are process-wide here).
class CurlTest : public net_test::ClosureLeakCheck {
 protected:
  static void SetUpTestSuite() {
    curl_ = std::make_unique<curl::Curl>();
    uvlib();
  }
  static void TearDownTestSuite() { curl_.reset(); }
  void SetUp() override {
    ClosureLeakCheck::SetUp();
    server_ = std::make_unique<http::Server>(uvlib());
  }
  void TearDown() override {
    server_.reset();  // stops its loop and thread; its closures go with it
    ClosureLeakCheck::TearDown();
  }
  const curl::Curl &lib() { return *curl_; }
  std::string url(std::string_view path) { return server_->url(path); }

  static std::unique_ptr<curl::Curl> curl_;
  std::unique_ptr<http::Server> server_;
};
std::unique_ptr<curl::Curl> CurlTest::curl_;

}  // namespace

TEST(CurlRanges, OptionTypeComesFromTheNumberRange) {
  EXPECT_EQ(curl::option_type(curl::opt::FollowLocation), curl::OptionType::Long);
  EXPECT_EQ(curl::option_type(curl::opt::Url), curl::OptionType::ObjectPoint);
  EXPECT_EQ(curl::option_type(curl::opt::WriteFunction), curl::OptionType::FunctionPoint);
  EXPECT_EQ(curl::option_type(curl::opt::PostFieldSizeLarge), curl::OptionType::OffT);
  EXPECT_EQ(curl::option_type(curl::opt::CaInfoBlob), curl::OptionType::Blob);
  EXPECT_THROW(curl::option_type(50000), jitffi::bindings::BindingError);
  EXPECT_EQ(curl::info_type(curl::info::ContentType), curl::InfoType::String);
  EXPECT_EQ(curl::info_type(curl::info::ResponseCode), curl::InfoType::Long);
  EXPECT_EQ(curl::info_type(curl::info::TotalTime), curl::InfoType::Double);
  EXPECT_EQ(curl::info_type(curl::info::CookieList), curl::InfoType::Slist);
  EXPECT_EQ(curl::info_type(curl::info::SizeDownloadT), curl::InfoType::OffT);
  EXPECT_THROW(curl::info_type(0x500000 + 44), jitffi::bindings::BindingError);  // a socket
}

TEST_F(CurlTest, VersionAndStrerror) {
  EXPECT_EQ(lib().version().rfind("libcurl/", 0), 0u) << lib().version();
  EXPECT_EQ(lib().strerror(curl::kOperationTimedOut), "Timeout was reached");
  EXPECT_EQ(lib().strerror(curl::kCouldntConnect), "Couldn't connect to server");
  EXPECT_FALSE(lib().multi_strerror(1).empty());
}

// Unloading libcurl after curl_version() would leak what OpenLDAP and libsasl2 keep in their
// globals (LeakSanitizer reports it): the binding keeps libcurl loaded once it has opened it.
TEST(CurlLifetime, LibcurlStaysLoadedAfterTheLastCurlGoes) {
  std::string file;
  {
    curl::Curl lib;
    EXPECT_FALSE(lib.version().empty());
    Dl_info info{};
    ASSERT_NE(::dladdr(lib.api().lib.find("curl_version"), &info), 0);
    ASSERT_NE(info.dli_fname, nullptr);
    file = info.dli_fname;
  }
  void *h = ::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(h, nullptr) << file << " was unloaded";
  if (h) ::dlclose(h);
}

TEST_F(CurlTest, LibraryOverrideByEnvironment) {
  ::setenv("JITFFI_CURL_PATH", "/nonexistent/libcurl.so.4", 1);
  EXPECT_THROW(curl::Curl(), jitffi::LibraryError);
  ::unsetenv("JITFFI_CURL_PATH");
  EXPECT_THROW(curl::Curl("/nonexistent/libcurl.so.4"), jitffi::LibraryError);
}

TEST_F(CurlTest, GetWithWriteAndHeaderCallbacksAndGetinfo) {
  curl::Easy e(lib());
  std::string got;
  int chunks = 0;
  std::vector<std::string> headers;
  e.url(url("/hello"))
      .on_write([&](std::string_view d) {
        got.append(d);
        ++chunks;
      })
      .on_header([&](std::string_view line) { headers.emplace_back(line); });
  e.perform();
  EXPECT_EQ(got, "hello from jitffi\n");
  EXPECT_GE(chunks, 1);
  ASSERT_FALSE(headers.empty());
  EXPECT_EQ(headers.front(), "HTTP/1.1 200 OK");
  EXPECT_EQ(e.header("x-server"), "jitffi-uv");
  EXPECT_EQ(e.response_code(), 200);
  EXPECT_EQ(e.content_type(), "text/plain");
  EXPECT_EQ(e.info_off(curl::info::SizeDownloadT), 18);
  EXPECT_EQ(e.info_off(curl::info::ContentLengthDownloadT), 18);
  EXPECT_GT(e.info_long(curl::info::HeaderSize), 40);
  EXPECT_GT(e.info_long(curl::info::RequestSize), 20);
  EXPECT_EQ(e.info_string(curl::info::PrimaryIp), "127.0.0.1");
  EXPECT_EQ(e.info_long(curl::info::PrimaryPort), server_->port());
  EXPECT_EQ(e.info_string(curl::info::EffectiveUrl), url("/hello"));
  // Timings: each phase ends no earlier than the one before it.
  std::int64_t connect = e.info_off(curl::info::ConnectTimeT),
               start = e.info_off(curl::info::StartTransferTimeT),
               total = e.info_off(curl::info::TotalTimeT);
  EXPECT_GE(connect, 0);
  EXPECT_LE(connect, start);
  EXPECT_LE(start, total);
  double total_s = e.info_double(curl::info::TotalTime);
  EXPECT_NEAR(total_s, static_cast<double>(total) / 1e6, 0.001);
  auto v = e.info(curl::info::ResponseCode);
  ASSERT_EQ(v.index(), 1u);
  EXPECT_EQ(std::get<1>(v), 200);
  auto size = e.info(curl::info::SizeDownloadT);
  ASSERT_EQ(size.index(), 4u);
  EXPECT_EQ(std::get<4>(size), 18);
  EXPECT_EQ(std::get<0>(e.info(curl::info::ContentType)), "text/plain");
  // Asking for a value of the wrong type is refused before curl is called.
  EXPECT_THROW(e.info_long(curl::info::ContentType), jitffi::bindings::BindingError);
  EXPECT_THROW(e.set(curl::opt::Url, 1L), jitffi::bindings::BindingError);
  EXPECT_THROW(e.set(curl::opt::FollowLocation, std::string_view("x")),
               jitffi::bindings::BindingError);
}

TEST_F(CurlTest, PostEchoBinaryBodyWithSlistHeaders) {
  curl::Easy e(lib());
  std::string body = net_test::pattern(5, 300000);
  body[10] = '\0';  // binary-safe: the size is passed as a curl_off_t
  e.url(url("/echo"))
      .post(body)
      .headers(curl::Slist(lib(), {"Content-Type: application/x-jitffi", "X-Test: 1"}));
  e.perform();
  EXPECT_EQ(e.response_code(), 200);
  EXPECT_EQ(e.content_type(), "application/x-jitffi");
  EXPECT_EQ(e.header("X-Echo-Method"), "POST");
  EXPECT_EQ(e.header("X-Echo-Length"), std::to_string(body.size()));
  EXPECT_EQ(e.body().size(), body.size());
  EXPECT_TRUE(e.body() == body);
  EXPECT_EQ(e.info_off(curl::info::SizeUploadT), static_cast<std::int64_t>(body.size()));
}

TEST_F(CurlTest, CustomRequestHeadersReachTheServer) {
  curl::Easy e(lib());
  curl::Slist h(lib());
  h.append("X-Alpha: one").append("X-Beta: two");
  EXPECT_EQ(h.items(), (std::vector<std::string>{"X-Alpha: one", "X-Beta: two"}));
  e.url(url("/headers")).headers(std::move(h)).set(curl::opt::UserAgent, "jitffi-test/1");
  e.perform();
  EXPECT_NE(e.body().find("x-alpha: one\n"), std::string::npos) << e.body();
  EXPECT_NE(e.body().find("x-beta: two\n"), std::string::npos);
  EXPECT_NE(e.body().find("user-agent: jitffi-test/1\n"), std::string::npos);
  EXPECT_EQ(e.header("X-Custom"), "jitffi");
}

TEST_F(CurlTest, ProgressCallbackSeesTheDownloadAndCanAbort) {
  curl::Easy e(lib());
  std::int64_t last_now = 0, last_total = 0;
  int calls = 0;
  e.url(url("/bytes?n=2000000"))
      .on_progress([&](std::int64_t dltotal, std::int64_t dlnow, std::int64_t, std::int64_t) {
        ++calls;
        last_total = dltotal;
        last_now = dlnow;
        return true;
      });
  e.perform();
  EXPECT_GT(calls, 0);
  EXPECT_EQ(last_now, 2000000);
  EXPECT_EQ(last_total, 2000000);
  EXPECT_TRUE(e.body() == http::pattern_bytes(2000000));

  e.on_progress([](std::int64_t, std::int64_t dlnow, std::int64_t, std::int64_t) {
    return dlnow < 100000;  // stop once 100 kB have arrived
  });
  try {
    e.perform();
    FAIL() << "no exception";
  } catch (const curl::Error &err) {
    EXPECT_EQ(err.code(), curl::kAbortedByCallback);
    EXPECT_EQ(err.message(), lib().strerror(curl::kAbortedByCallback));
  }
}

TEST_F(CurlTest, ExceptionFromWriteCallbackIsRethrownByPerform) {
  curl::Easy e(lib());
  e.url(url("/hello")).on_write([](std::string_view) { throw std::runtime_error("stop here"); });
  EXPECT_THROW(
      {
        try {
          e.perform();
        } catch (const std::runtime_error &err) {
          EXPECT_STREQ(err.what(), "stop here");
          throw;
        }
      },
      std::runtime_error);
}

TEST_F(CurlTest, ChunkedBodyIsReassembled) {
  curl::Easy e(lib());
  e.url(url("/chunked?chunks=40&size=1000"));
  e.perform();
  EXPECT_EQ(e.header("Transfer-Encoding"), "chunked");
  ASSERT_EQ(e.body().size(), 40000u);
  for (std::size_t i = 0; i < 40; ++i)
    EXPECT_EQ(e.body().substr(i * 1000, 1000), std::string(1000, static_cast<char>('a' + i % 26)));
  EXPECT_EQ(e.info_off(curl::info::ContentLengthDownloadT), -1);  // unknown up front
}

TEST_F(CurlTest, NotFoundIsAResponseAndFailOnErrorMakesItAnError) {
  curl::Easy e(lib());
  e.url(url("/no/such/thing"));
  e.perform();
  EXPECT_EQ(e.response_code(), 404);
  EXPECT_EQ(e.body(), "not found: /no/such/thing\n");
  e.set(curl::opt::FailOnError, 1L);
  try {
    e.perform();
    FAIL() << "no exception";
  } catch (const curl::Error &err) {
    EXPECT_EQ(err.code(), curl::kHttpReturnedError);
    EXPECT_NE(std::string(err.what()).find("404"), std::string::npos) << err.what();
  }
}

TEST_F(CurlTest, RedirectsAreFollowedOnlyWhenAsked) {
  curl::Easy e(lib());
  e.url(url("/redirect/3"));
  e.perform();
  EXPECT_EQ(e.response_code(), 302);
  EXPECT_EQ(e.info_string(curl::info::RedirectUrl), url("/redirect/2"));
  e.follow_redirects(true);
  e.perform();
  EXPECT_EQ(e.response_code(), 200);
  EXPECT_EQ(e.body(), "hello from jitffi\n");
  EXPECT_EQ(e.info_long(curl::info::RedirectCount), 3);
  EXPECT_EQ(e.info_string(curl::info::EffectiveUrl), url("/hello"));
  e.follow_redirects(true, 2);
  try {
    e.perform();
    FAIL() << "no exception";
  } catch (const curl::Error &err) {
    EXPECT_EQ(err.code(), curl::kTooManyRedirects);
    EXPECT_EQ(err.message(), lib().strerror(curl::kTooManyRedirects));
  }
}

TEST_F(CurlTest, TimeoutOnTheSlowEndpoint) {
  curl::Easy e(lib());
  e.url(url("/slow?ms=3000")).timeout(200ms);
  auto t0 = std::chrono::steady_clock::now();
  try {
    e.perform();
    FAIL() << "no exception";
  } catch (const curl::Error &err) {
    EXPECT_EQ(err.code(), curl::kOperationTimedOut);
    EXPECT_EQ(err.message(), "Timeout was reached");
    EXPECT_NE(err.detail().find("timed out"), std::string::npos) << err.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
  e.url(url("/slow?ms=50")).timeout(5000ms);
  e.perform();
  EXPECT_EQ(e.body(), "slow\n");
}

TEST_F(CurlTest, ConnectionRefusedOnAClosedLoopbackPort) {
  int port = 0;
  {
    http::Server other(uvlib());
    port = other.port();
  }  // stopped: nothing listens there now
  curl::Easy e(lib());
  e.url("http://127.0.0.1:" + std::to_string(port) + "/").connect_timeout(5000ms);
  try {
    e.perform();
    FAIL() << "no exception";
  } catch (const curl::Error &err) {
    EXPECT_EQ(err.code(), curl::kCouldntConnect);
    EXPECT_NE(std::string(err.what()).find("Couldn't connect to server"), std::string::npos)
        << err.what();
  }
}

TEST_F(CurlTest, UnsupportedProtocolMessage) {
  curl::Easy e(lib());
  e.url("nosuchproto://127.0.0.1/");
  try {
    e.perform();
    FAIL() << "no exception";
  } catch (const curl::Error &err) {
    EXPECT_EQ(err.code(), curl::kUnsupportedProtocol);
    EXPECT_EQ(err.message(), lib().strerror(curl::kUnsupportedProtocol));
  }
}

TEST_F(CurlTest, CookieListIsAnSlistInfo) {
  curl::Easy e(lib());
  e.url(url("/cookie")).set(curl::opt::CookieFile, "");  // turns the cookie engine on
  e.perform();
  std::vector<std::string> cookies = e.info_slist(curl::info::CookieList);
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_NE(cookies[0].find("session\tabc123"), std::string::npos) << cookies[0];
}

TEST_F(CurlTest, OffTAndBlobOptions) {
  curl::Easy e(lib());
  e.url(url("/bytes?n=5000")).set_off(curl::opt::MaxFileSizeLarge, 1000);
  try {
    e.perform();
    FAIL() << "no exception";
  } catch (const curl::Error &err) {
    EXPECT_EQ(err.code(), curl::kFileSizeExceeded);
  }
  e.set_off(curl::opt::MaxFileSizeLarge, 10000);
  e.perform();
  EXPECT_EQ(e.body().size(), 5000u);
  // A blob option is accepted (curl copies it); it only matters for TLS, unused here.
  const char pem[] = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
  EXPECT_NO_THROW(
      e.set_blob(curl::opt::CaInfoBlob, std::as_bytes(std::span(pem, std::strlen(pem)))));
  EXPECT_THROW(e.set_off(curl::opt::Url, 1), jitffi::bindings::BindingError);
}

TEST_F(CurlTest, MultiRunsSeveralTransfersAtOnce) {
  curl::Multi multi(lib());
  std::vector<std::unique_ptr<curl::Easy>> easies;
  // Eight slow requests of 300 ms each: together they must take far less than 8 x 300 ms.
  for (int i = 0; i < 8; ++i) {
    auto e = std::make_unique<curl::Easy>(lib());
    e->url(url("/slow?ms=300"));
    multi.add(*e);
    easies.push_back(std::move(e));
  }
  auto bytes = std::make_unique<curl::Easy>(lib());
  bytes->url(url("/bytes?n=100000"));
  multi.add(*bytes);
  auto missing = std::make_unique<curl::Easy>(lib());
  missing->url(url("/missing")).set(curl::opt::FailOnError, 1L);
  multi.add(*missing);

  auto t0 = std::chrono::steady_clock::now();
  std::vector<curl::Multi::Done> done = multi.run(20s);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(done.size(), 10u);
  EXPECT_LT(took, 1500ms);
  std::set<curl::Easy *> seen;
  for (auto &d : done) {
    seen.insert(d.easy);
    if (d.easy == missing.get()) {
      EXPECT_EQ(d.result, curl::kHttpReturnedError);
      EXPECT_THROW(d.easy->check(d.result), curl::Error);
    } else {
      EXPECT_EQ(d.result, curl::kOk);
      EXPECT_NO_THROW(d.easy->check(d.result));
    }
  }
  EXPECT_EQ(seen.size(), 10u);
  for (auto &e : easies) EXPECT_EQ(e->body(), "slow\n");
  EXPECT_TRUE(bytes->body() == http::pattern_bytes(100000));
  EXPECT_GE(server_->connections_accepted(), 8u);
}

TEST_F(CurlTest, ConnectionReuseOnOneHandle) {
  curl::Easy e(lib());
  for (int i = 0; i < 20; ++i) {
    e.url(url("/bytes?n=" + std::to_string(100 + i)));
    e.perform();
    ASSERT_EQ(e.body().size(), static_cast<std::size_t>(100 + i));
  }
  EXPECT_EQ(server_->requests_served(), 20u);
  EXPECT_EQ(server_->connections_accepted(), 1u);  // keep-alive
}

// curl_easy_reset (no wrapper: called raw on the handle): every option goes back to its default,
// so the URL set before is gone and the next transfer fails with CURLE_URL_MALFORMAT.
TEST_F(CurlTest, EasyResetForgetsTheOptions) {
  curl::Easy e(lib());
  e.url(url("/hello"));
  e.perform();
  EXPECT_EQ(e.body(), "hello from jitffi\n");
  lib().api().easy_reset.invoke<void>(e.raw());
  try {
    e.perform();
    FAIL() << "a reset handle still had its URL";
  } catch (const curl::Error &err) {
    EXPECT_EQ(err.code(), 3);  // CURLE_URL_MALFORMAT
    EXPECT_EQ(lib().strerror(3), "URL using bad/illegal format or missing URL");
  }
  EXPECT_EQ(server_->requests_served(), 1u);
}

// curl_multi_wait (what Multi::poll uses before curl 7.66; called raw here): drives a transfer
// on a raw multi handle with curl_multi_perform, the binding's Easy collecting the body.
TEST_F(CurlTest, MultiWaitDrivesATransfer) {
  const curl::Api &a = lib().api();
  void *multi = a.multi_init.invoke<void *>();
  ASSERT_NE(multi, nullptr);
  curl::Easy e(lib());
  e.url(url("/bytes?n=50000"));
  ASSERT_EQ(a.multi_add_handle.invoke<int>(multi, e.raw()), 0);
  int running = 1, waits = 0, ready_seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (running > 0 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(a.multi_perform.invoke<int>(multi, &running), 0);
    if (running == 0) break;
    int numfds = -1;
    ASSERT_EQ(a.multi_wait.invoke<int>(multi, static_cast<void *>(nullptr), 0u, 1000, &numfds), 0);
    EXPECT_GE(numfds, 0);
    ready_seen += numfds > 0;
    ++waits;
  }
  EXPECT_EQ(running, 0);
  EXPECT_GT(waits, 0);
  EXPECT_GT(ready_seen, 0);
  EXPECT_TRUE(e.body() == http::pattern_bytes(50000));
  EXPECT_EQ(a.multi_remove_handle.invoke<int>(multi, e.raw()), 0);
  EXPECT_EQ(a.multi_cleanup.invoke<int>(multi), 0);
}
