// The test binary links the JIT without the API layer (src/), which owns the stats counters;
// weak stand-ins keep it linking, and the real ones win wherever src/ is linked in.
#include "jitffi/backend.h"

namespace jitffi::detail {

__attribute__((weak)) Stats &stats() noexcept {
  static Stats s;
  return s;
}
__attribute__((weak)) bool g_stats_enabled = false;

}  // namespace jitffi::detail
