// The test binary links the JIT without the API layer (src/), which owns the stats counters and
// the saved errno; weak stand-ins keep it linking, and the real ones win wherever src/ is linked
// in.
#include <cerrno>

#include "jitffi/backend.h"

namespace jitffi::detail {

__attribute__((weak)) Stats &stats() noexcept {
  static Stats s;
  return s;
}
__attribute__((weak)) bool g_stats_enabled = false;

// The entries' errno hooks: the same contract as src/function.cpp's (a per-thread saved copy).
namespace {
thread_local int t_saved = 0;
}
__attribute__((weak)) void errno_enter() noexcept {
  errno = t_saved;
}
__attribute__((weak)) void errno_leave() noexcept {
  t_saved = errno;
}

}  // namespace jitffi::detail
