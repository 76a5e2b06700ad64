// jitffi Types as libffi ffi_types, built once per (ABI, canonical form) and kept for the
// process. Internal to the libffi back end.
#pragma once

#include <ffi.h>

#include <optional>
#include <string>

#include "jitffi/types.h"

namespace jitffi::detail::ffi {

// The libffi ABI that implements `abi` on this host, or nullopt when libffi cannot call it here.
std::optional<ffi_abi> ffi_abi_for(Abi abi) noexcept;

// The largest aggregate the libffi back end passes or returns by value.
inline constexpr std::size_t kMaxByValueBytes = std::size_t{1} << 20;

// Why `type` cannot be passed through libffi under `abi` (empty when it can). Constant time:
// it reads the facts the Type computed when it was built.
std::string unsupported_reason(const Type &type, Abi abi);

// The ffi_type to hand to ffi_prep_cif for a parameter or result of this type. Never freed.
// Throws UnsupportedError when unsupported_reason() is not empty.
ffi_type *ffi_type_for(const Type &type, Abi abi);

// How an x86-64 SysV argument of this type uses registers (psABI §3.2.3), as libffi sees it.
struct SysvRegs {
  bool memory = false;        // passed on the stack whatever registers are left
  int ngpr = 0, nsse = 0;     // registers needed otherwise
  bool int_then_sse = false;  // a two-eightbyte aggregate of classes INTEGER, SSE
};
SysvRegs sysv_regs(const Type &type);

// Whether libffi returns a value of this type through a hidden pointer, which takes rdi: an
// aggregate of class MEMORY (psABI §3.2.3). A {X87, X87UP} aggregate is no such thing: it is
// handed to libffi as its long double and comes back in st0, as gcc returns it.
bool sysv_ret_in_memory(const Type &type);

// Whether libffi's AArch64 classifier (is_vfp_type in src/aarch64/ffi.c) puts a value of this
// ffi_type in vector registers: a float scalar or a homogeneous aggregate of 1 to 4 of them.
bool a64_is_vfp(const ffi_type *type);

}  // namespace jitffi::detail::ffi
