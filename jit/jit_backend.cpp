// Placeholder until the x86-64 emitter lands: no JIT back end, everything goes through libffi.
#include "jitffi/backend.h"

namespace jitffi::detail {

Backend *jit_backend() {
  return nullptr;
}

}  // namespace jitffi::detail
