// The text `jitffi plan` prints for a signature.
#pragma once

#include <string>

#include "jitffi/signature.h"

namespace jitffi::jit {

// The call plan (CallPlan::describe()), then the downcall and the upcall assembly listings with
// machine code. Throws UnsupportedError when the signature cannot be classified or emitted.
std::string listing(const jitffi::Signature &sig);

}  // namespace jitffi::jit
