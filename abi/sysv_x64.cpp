// Placeholder until the sysv_x64 classifier lands: every signature is reported unsupported, so the
// API falls back to libffi.
#include "abi/call_plan.h"

namespace jitffi::abi {

CallPlan classify_sysv_x64(const Signature &sig) {
  throw UnsupportedError("sysv_x64 classifier not written yet: " + sig.canonical());
}

}  // namespace jitffi::abi
