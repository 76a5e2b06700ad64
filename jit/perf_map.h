// JITFFI_PERF_MAP=1: names generated code for perf in /tmp/perf-<pid>.map.
#pragma once

#include <cstddef>
#include <string_view>

namespace jitffi::jit {

// Whether JITFFI_PERF_MAP=1 was set in the environment when the first stub was made (read once:
// a getenv per stub was ~4% of making a callable for a new signature).
bool perf_map_enabled() noexcept;
// Reads JITFFI_PERF_MAP again (for tests that switch it for one case).
void perf_map_reread() noexcept;
// Appends `<hex addr> <hex size> <prefix><name>` (no-op unless enabled).
void perf_map_add(const void *code, std::size_t size, std::string_view prefix,
                  std::string_view name) noexcept;

}  // namespace jitffi::jit
