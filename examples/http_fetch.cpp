// http_fetch: fetches a few URLs with the libcurl binding. With no argument it starts the small
// HTTP server of the libuv binding on 127.0.0.1 and fetches from it (what the tests run); with
// URLs as arguments it fetches those instead. Exits non-zero when a check or a transfer fails.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "jitffi/bindings/curl.h"
#include "jitffi/bindings/http_server.h"

namespace curl = jitffi::bindings::curl;

namespace {

void show(const curl::Easy &e, const std::string &url) {
  std::printf("%s -> %ld %s, %zu bytes in %.3f ms\n", url.c_str(), e.response_code(),
              e.content_type().c_str(), e.body().size(),
              static_cast<double>(e.info_off(curl::info::TotalTimeT)) / 1000.0);
}

}  // namespace

int main(int argc, char **argv) try {
  curl::Curl lib;
  std::printf("%s\n", lib.version().c_str());
  curl::Easy easy(lib);
  easy.follow_redirects(true).timeout(std::chrono::seconds(10));
  if (argc > 1) {
    for (int i = 1; i < argc; ++i) {
      easy.url(argv[i]);
      easy.perform();
      show(easy, argv[i]);
    }
    return 0;
  }
  jitffi::bindings::uv::Uv uv;
  jitffi::bindings::http::Server server(uv);
  int failures = 0;
  auto expect = [&](bool ok, const char *what) {
    if (!ok) {
      std::fprintf(stderr, "FAILED: %s\n", what);
      ++failures;
    }
  };
  easy.url(server.url("/redirect/2"));
  easy.perform();
  show(easy, server.url("/redirect/2"));
  expect(easy.response_code() == 200 && easy.body() == "hello from jitffi\n", "redirect to /hello");

  easy.url(server.url("/chunked?chunks=10&size=500"));
  easy.perform();
  show(easy, server.url("/chunked"));
  expect(easy.body().size() == 5000, "chunked body");

  easy.url(server.url("/echo"))
      .post("{\"greeting\": \"hi\"}")
      .headers(curl::Slist(lib, {"Content-Type: application/json"}));
  easy.perform();
  show(easy, server.url("/echo"));
  expect(easy.body() == "{\"greeting\": \"hi\"}" && easy.content_type() == "application/json",
         "POST echo");
  std::printf("%s\n", failures ? "http_fetch: FAILED" : "http_fetch: ok");
  return failures ? 1 : 0;
} catch (const std::exception &e) {
  std::fprintf(stderr, "http_fetch: %s\n", e.what());
  return 1;
}
