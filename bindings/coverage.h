// Per-function call counts of the bindings, on when JITFFI_BINDING_COVERAGE=<file> is set
// (see coverage.cpp). Internal to the bindings: resolve_one() is the one caller.
#pragma once

#include <string>
#include <string_view>

#include "jitffi/bindings/common.h"

namespace jitffi::bindings::coverage {

// Whether JITFFI_BINDING_COVERAGE is set (read once per process). Both functions are hidden:
// internal to the bindings, not exported by libjitffi_bindings.so.
__attribute__((visibility("hidden"))) bool enabled() noexcept;

// The address a Function of `binding` ("libsqlite3") should call for `function`, resolved at
// `address`: `address` itself when coverage is off, else a thunk that counts the call and jumps
// there. A null address (an optional symbol the library lacks) is recorded as missing and stays
// null. Throws BindingError when coverage is on but no thunk can be made.
__attribute__((visibility("hidden"))) void *counted(std::string_view binding,
                                                    const std::string &function, void *address);

}  // namespace jitffi::bindings::coverage
