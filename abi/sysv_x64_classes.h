// x86-64 System V psABI §3.2.3 "Parameter Passing": the classification of a type into eightbyte
// classes. Internal to abi/ (sysv_x64.cpp and its tests); the register assignment lives there.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "jitffi/types.h"

namespace jitffi::abi::sysv {

// §3.2.3: the classes an eightbyte can have. COMPLEX_X87 (complex long double) and SSEUP (the upper
// parts of __m128/__m256/__m512) cannot come out of our type model, but the merge and post-merger
// rules below handle them so that the algorithm stays the document's.
enum class ArgClass : std::uint8_t {
  NoClass,
  Integer,
  Sse,
  SseUp,
  X87,
  X87Up,
  ComplexX87,
  Memory,
};

std::string_view class_name(ArgClass c) noexcept;  // "INTEGER", "SSE", ... as in the psABI

// §3.2.3: "If the size of an object is larger than eight eightbytes ... it has class MEMORY".
inline constexpr std::size_t kMaxEightbytes = 8;

// The classes of a type's eightbytes after the post-merger cleanup. A type passed in memory
// has count 1 and eightbyte[0] == Memory.
struct Classification {
  std::array<ArgClass, kMaxEightbytes> eightbyte{};
  std::size_t count = 0;

  bool in_memory() const noexcept { return count == 1 && eightbyte[0] == ArgClass::Memory; }
};

// §3.2.3 item 4: the class of an eightbyte holding two fields of classes a and b.
ArgClass merge(ArgClass a, ArgClass b) noexcept;

// §3.2.3 item 5 (post merger cleanup) on `count` eightbytes of an object of `size` bytes.
Classification post_merge(Classification c, std::size_t size) noexcept;

// Classifies any scalar, struct or union (arrays inside aggregates are expanded; every member of
// a union is merged at its offset). Throws UnsupportedError for void.
Classification classify(const Type &type);

}  // namespace jitffi::abi::sysv
