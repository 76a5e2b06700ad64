// The names the parser knows without any declaration: compact type names, C keywords and the
// standard typedefs, with the C names whose meaning depends on the ABI resolved per ABI.
#pragma once

#include <string_view>

#include "jitffi/types.h"

namespace jitffi::parse {

// `char` is unsigned on AAPCS64 (Linux) and signed on SysV x86-64, Win64, Apple arm64 and Windows
// on ARM64 (MSVC's char is signed on every target).
TypeKind plain_char_kind(Abi abi);
// `long` is 32 bits on Win64 and Windows on ARM64 (LLP64), 64 bits elsewhere (LP64).
TypeKind long_kind(Abi abi, bool is_unsigned);
// `long double` is its own 16-byte type on SysV x86-64 and AAPCS64, double on Win64, Apple arm64
// and Windows on ARM64.
TypeKind long_double_kind(Abi abi);

// A compact name (i8 ... u128, f32, f64, ldouble, ptr, cstr) or a standard typedef (size_t,
// int32_t, wchar_t, ...), resolved for `abi`; null for any other name. `ldouble` is null on an ABI
// without a long double of its own. `plain_char` is set for names that mean plain char.
TypeRef builtin_name(std::string_view name, Abi abi, bool *plain_char);

bool is_compact_name(std::string_view name);
// C keywords that can never be a declared name.
bool is_keyword(std::string_view name);
// Keywords and compact names: never a parameter, member or typedef name, so that a missing comma
// (`i32(ptr f64)`) is an error and not a parameter named f64.
bool is_reserved(std::string_view name);

// Markers the parser stores in a Scope for typedefs of opaque tags and of function types.
bool is_opaque_marker(const TypeRef &t);
bool is_function_marker(const TypeRef &t);

}  // namespace jitffi::parse
