// echo_server: a TCP echo server and its clients on one libuv loop, through the libuv binding.
// The server listens on an ephemeral port of 127.0.0.1; ten clients each send 1 MB and check that
// every byte comes back; then everything closes and the program exits (non-zero on a mismatch).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "jitffi/bindings/uv.h"

namespace uv = jitffi::bindings::uv;

int main() try {
  uv::Uv lib;
  uv::Loop loop(lib);
  uv::Tcp server(loop);
  server.bind("127.0.0.1", 0);
  std::vector<std::unique_ptr<uv::Tcp>> peers;
  server.listen(64, [&](int status) {
    if (status < 0) return;
    peers.push_back(std::make_unique<uv::Tcp>(server.accept()));
    uv::Tcp *peer = peers.back().get();
    peer->read_start([peer](std::string_view data) { peer->write(std::string(data)); },
                     [peer](int) { peer->shutdown([peer](int) { peer->close(); }); });
  });
  const int port = server.local_port();
  std::printf("echo server on 127.0.0.1:%d (libuv %s)\n", port, lib.version().c_str());

  constexpr int kClients = 10;
  constexpr std::size_t kBytes = 1000 * 1000;
  struct Client {
    std::unique_ptr<uv::Tcp> tcp;
    std::string sent, got;
    bool done = false;
  };
  std::vector<Client> clients(kClients);
  int finished = 0;
  for (int i = 0; i < kClients; ++i) {
    Client &c = clients[i];
    c.sent.resize(kBytes);
    for (std::size_t k = 0; k < kBytes; ++k) c.sent[k] = static_cast<char>((k * 7 + i) & 0xff);
    c.tcp = std::make_unique<uv::Tcp>(loop);
    c.tcp->connect("127.0.0.1", port, [&c, &finished, &server, &lib](int status) {
      if (status < 0) {
        std::fprintf(stderr, "connect: %s\n", lib.strerror(status).c_str());
        return;
      }
      c.tcp->read_start([&c](std::string_view d) { c.got.append(d); },
                        [&c, &finished, &server](int) {
                          c.done = true;
                          c.tcp->close();
                          if (++finished == kClients) server.close();
                        });
      c.tcp->write(c.sent);
      c.tcp->shutdown();
    });
  }
  auto t0 = std::chrono::steady_clock::now();
  bool in_time = loop.run_for(std::chrono::seconds(30));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int bad = 0;
  for (int i = 0; i < kClients; ++i)
    if (!clients[i].done || clients[i].got != clients[i].sent) ++bad;
  std::printf("%d clients x %zu bytes echoed in %.1f ms (%.0f MB/s both ways), %d mismatches\n",
              kClients, kBytes, secs * 1000, 2.0 * kClients * kBytes / secs / 1e6, bad);
  if (!in_time || bad) {
    std::printf("echo_server: FAILED\n");
    return 1;
  }
  std::printf("echo_server: ok\n");
  return 0;
} catch (const std::exception &e) {
  std::fprintf(stderr, "echo_server: %s\n", e.what());
  return 1;
}
