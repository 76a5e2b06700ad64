// perf's JIT symbol map: one line per code range, appended as stubs are made.
#include "jit/perf_map.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace jitffi::jit {

namespace {

bool from_env() noexcept {
  const char *v = secure_getenv("JITFFI_PERF_MAP");
  return v && std::strcmp(v, "1") == 0;
}

std::atomic<bool> &enabled() noexcept {
  static std::atomic<bool> on{from_env()};
  return on;
}

}  // namespace

bool perf_map_enabled() noexcept {
  return enabled().load(std::memory_order_relaxed);
}

void perf_map_reread() noexcept {
  enabled().store(from_env(), std::memory_order_relaxed);
}

void perf_map_add(const void *code, std::size_t size, std::string_view prefix,
                  std::string_view name) noexcept {
  if (!perf_map_enabled()) return;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  static std::FILE *f = [] {
    char path[64];
    std::snprintf(path, sizeof path, "/tmp/perf-%ld.map", long(getpid()));
    return std::fopen(path, "a");
  }();
  if (!f) return;
  std::fprintf(f, "%llx %zx %.*s%.*s\n",
               static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(code)), size,
               int(prefix.size()), prefix.data(), int(name.size()), name.data());
  std::fflush(f);  // perf may read the map while we run
}

}  // namespace jitffi::jit
