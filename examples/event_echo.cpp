// A libevent echo server through the libevent binding: an evconnlistener on an ephemeral
// 127.0.0.1 port echoes with bufferevents; 8 clients in the same loop send lines and check that
// every byte comes back. Usage: jitffi_example_event_echo [clients]
// Prints what it does and exits non-zero if any echo differs or the loop times out.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "jitffi/bindings/event.h"

namespace ev = jitffi::bindings::event;
using namespace std::chrono_literals;

int main(int argc, char **argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 8;
  if (n < 1 || n > 1000) {
    std::fprintf(stderr, "clients: 1..1000\n");
    return 2;
  }
  try {
    ev::Event lib;
    ev::Base base(lib);
    std::printf("libevent %s, method %s\n", lib.version().c_str(), base.method().c_str());
    std::vector<std::unique_ptr<ev::BufferEvent>> served, clients;
    ev::Listener listener(base, 0, [&](int fd) {
      served.push_back(std::make_unique<ev::BufferEvent>(
          base, fd, [](ev::BufferEvent &b) { b.echo(); }, nullptr));
      served.back()->enable(ev::kRead | ev::kWrite);
    });
    std::printf("listening on 127.0.0.1:%u\n", listener.port());
    std::vector<std::string> sent(n), got(n);
    int done = 0, failures = 0;
    for (int i = 0; i < n; ++i) {
      for (int line = 0; line < 50; ++line)
        sent[i] += "client " + std::to_string(i) + " line " + std::to_string(line) + "\n";
      clients.push_back(std::make_unique<ev::BufferEvent>(
          base, -1,
          [&, i](ev::BufferEvent &b) {
            got[i] += b.read_all();
            if (got[i].size() >= sent[i].size() && ++done == n) base.loopexit();
          },
          [&, i](ev::BufferEvent &b, short what) {
            if (what & ev::kBevEventConnected) b.write(sent[i]);
            if (what & (ev::kBevEventError | ev::kBevEventEof)) {
              std::printf("  FAIL client %d: event 0x%x\n", i, what);
              ++failures;
              base.loopexit();
            }
          }));
      clients.back()->connect_loopback(listener.port());
      clients.back()->enable(ev::kRead | ev::kWrite);
    }
    base.loopexit(10s);
    base.dispatch();
    for (int i = 0; i < n; ++i) {
      bool ok = got[i] == sent[i];
      if (!ok) ++failures;
      std::printf("%s client %d: %zu bytes echoed\n", ok ? "  ok  " : "  FAIL", i, got[i].size());
    }
    std::printf("%s\n", failures ? "FAILED" : "all echoes match");
    return failures ? 1 : 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
