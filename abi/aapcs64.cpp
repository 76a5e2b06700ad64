// Placeholder until the aapcs64 classifier lands: every signature is reported unsupported, so the
// API falls back to libffi.
#include "abi/call_plan.h"

namespace jitffi::abi {

CallPlan classify_aapcs64(const Signature &sig) {
  throw UnsupportedError("aapcs64 classifier not written yet: " + sig.canonical());
}

}  // namespace jitffi::abi
