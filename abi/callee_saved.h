// Callee-saved registers per calling convention, so that emitters hold no ABI rule.
//
// An upcall entry called with ABI A that calls a handler with ABI B must itself preserve what A
// promises its caller and B does not promise it: callee_saved(A) minus callee_saved(B).
#pragma once

#include <cstdint>

#include "jitffi/types.h"

namespace jitffi::abi {

// Bit n of a mask is register n in the ISA's own encoding (see call_plan.h).
struct CalleeSaved {
  std::uint32_t gpr = 0;
  std::uint32_t vec = 0;
  // Bytes of each vector register in `vec` that are preserved (16 on Win64, 8 on AAPCS64).
  std::uint8_t vec_bytes = 0;
};

CalleeSaved callee_saved(Abi abi) noexcept;

// What a function called with `outer` must save itself when it calls code of convention `inner`.
CalleeSaved must_preserve(Abi outer, Abi inner) noexcept;

}  // namespace jitffi::abi
