// Shared by the C++ API sources (and the C API): choosing a back end and the prepared-call cache.
#pragma once

#include <memory>

#include "jitffi/backend.h"

namespace jitffi::detail {

// The back end that serves `sig` for `choice` (Auto resolved through default_backend()): the JIT
// when it exists and supports the signature, libffi otherwise; Jit without a JIT able to serve
// the signature throws UnsupportedError naming the reason.
Backend &choose_backend(const Signature &sig, BackendChoice choice);

// A prepared call for `sig` from `backend`; libffi calls are cached by canonical form (the JIT
// caches its own stubs). The result's signature() is `sig` itself, names included.
std::shared_ptr<const CallImpl> prepared_call(Backend &backend, const Signature &sig);

}  // namespace jitffi::detail
