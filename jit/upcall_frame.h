// The frame of a shared closure entry (upcall), laid out from a plan the same way on every ISA:
// which arguments the handler can read in place on the caller's stack, and where the args[]
// array, the result buffer, the result-pointer slot and each argument's box go.
#pragma once

#include <cstdint>
#include <vector>

#include "abi/call_plan.h"

namespace jitffi::jit {

struct UpcallFrame {
  // Per argument: its offset on the incoming stack when the handler reads it in place, else -1.
  std::vector<std::int64_t> in_place;
  // Per argument: the offset of its box from the stack pointer (0 when it needs none).
  std::vector<std::uint32_t> box;
  // Offsets from the stack pointer, every block 16-byte aligned: args[], the result buffer, the
  // result-pointer slot; `end` is the first byte after the boxes, where an ISA adds its own.
  std::uint32_t args_off = 0;
  std::uint32_t ret_off = 0;
  std::uint32_t sret_off = 0;
  std::uint32_t end = 0;
};

// An argument whose pieces all lie on the incoming stack, in order and back to back, covering it
// exactly, is handed to the handler in place. `extended_in_place`: whether a piece the caller
// stored widened (ext Sign/Zero) may be read in place.
UpcallFrame layout_upcall_frame(const abi::CallPlan &plan, bool extended_in_place);

// A typed closure's handler plan is the closure's signature with the user_data pointer appended:
// the register that pointer goes in (the closure is then `load it; jump to the handler`), or -1
// when it goes on the stack. Throws UnsupportedError for a plan of any other shape.
int typed_closure_register(const abi::CallPlan &plan);

}  // namespace jitffi::jit
