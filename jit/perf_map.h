// JITFFI_PERF_MAP=1: names generated code for perf in /tmp/perf-<pid>.map.
#pragma once

#include <cstddef>
#include <string_view>

namespace jitffi::jit {

// Whether JITFFI_PERF_MAP=1 is set in the environment.
bool perf_map_enabled() noexcept;
// Appends `<hex addr> <hex size> <name>` (no-op unless enabled).
void perf_map_add(const void *code, std::size_t size, std::string_view name) noexcept;

}  // namespace jitffi::jit
