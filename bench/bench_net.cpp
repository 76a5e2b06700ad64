// Loopback throughput through the network bindings: libcurl GETs per second against the HTTP
// server written on the libuv binding, and libuv TCP echo throughput on one loop. Each runs with
// every foreign call and closure on the JIT back end ("jit") and on libffi ("libffi"); the
// back end is chosen before the library objects are made, since Functions bind it then.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "jitffi/backend.h"
#include "jitffi/bindings/curl.h"
#include "jitffi/bindings/http_server.h"
#include "jitffi/bindings/uv.h"

namespace curl = jitffi::bindings::curl;
namespace uv = jitffi::bindings::uv;

namespace {

jitffi::BackendChoice choice(std::int64_t arg) {
  return arg == 0 ? jitffi::BackendChoice::Auto : jitffi::BackendChoice::Libffi;
}

const char *name(std::int64_t arg) {
  return arg == 0 ? "jit" : "libffi";
}

// GET /bytes?n=<size> repeatedly on one easy handle; reuse=false closes the connection each time.
void BM_CurlGet(benchmark::State &state, bool reuse) {
  jitffi::set_default_backend(choice(state.range(0)));
  uv::Uv uvlib;
  curl::Curl lib;
  jitffi::bindings::http::Server server(uvlib);
  curl::Easy easy(lib);
  const std::size_t size = static_cast<std::size_t>(state.range(1));
  easy.url(server.url("/bytes?n=" + std::to_string(size)));
  if (!reuse) easy.set(curl::opt::ForbidReuse, 1L);
  for (auto _ : state) {
    easy.perform();
    if (easy.body().size() != size) state.SkipWithError("short body");
  }
  jitffi::set_default_backend(jitffi::BackendChoice::Auto);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
  state.SetLabel(name(state.range(0)));
}

// One client streams `chunk`-byte writes to an echo server on the same loop; each iteration
// waits until 1 MiB has come back.
void BM_UvEcho(benchmark::State &state) {
  jitffi::set_default_backend(choice(state.range(0)));
  const std::size_t chunk = static_cast<std::size_t>(state.range(1));
  constexpr std::size_t kPerIteration = 1 << 20;
  uv::Uv lib;
  {
    uv::Loop loop(lib);
    uv::Tcp server(loop);
    server.bind("127.0.0.1", 0);
    std::unique_ptr<uv::Tcp> peer;
    server.listen(8, [&](int) {
      peer = std::make_unique<uv::Tcp>(server.accept());
      peer->read_start([&](std::string_view d) { peer->write(std::string(d)); }, [](int) {});
    });
    uv::Tcp client(loop);
    bool connected = false;
    client.connect("127.0.0.1", server.local_port(), [&](int st) { connected = st == 0; });
    while (!connected || !peer) loop.run(uv::RunMode::Once);
    std::size_t received = 0;
    client.read_start(
        [&](std::string_view d) {
          received += d.size();
          if (received >= kPerIteration) loop.stop();
        },
        [](int) {});
    const std::string block(chunk, 'x');
    for (auto _ : state) {
      received = 0;
      for (std::size_t sent = 0; sent < kPerIteration; sent += chunk) client.write(block);
      loop.run();
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kPerIteration));
  }
  jitffi::set_default_backend(jitffi::BackendChoice::Auto);
  state.SetLabel(name(state.range(0)));
}

}  // namespace

BENCHMARK_CAPTURE(BM_CurlGet, keepalive, true)
    ->ArgsProduct({{0, 1}, {100, 65536}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_CurlGet, new_connection, false)
    ->ArgsProduct({{0, 1}, {100}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_UvEcho)
    ->ArgsProduct({{0, 1}, {1024, 65536}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
