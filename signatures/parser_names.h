// The names the parser knows without any declaration: compact type names, C keywords and the
// standard typedefs, with the C names whose meaning depends on the ABI resolved per ABI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
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

// A typedef of the C library or zlib (time_t, pid_t, FILE, div_t, uLong, Bytef, ...) as the
// system's headers declare it for `abi` (the table in parser_names.cpp cites each value). Unlike
// builtin_name, a user typedef of the same name replaces it in its Scope.
struct LibraryTypedef {
  enum Kind : std::uint8_t { Unknown, Absent, Complete, Opaque } kind = Unknown;
  TypeRef type;             // Complete
  bool plain_char = false;  // zlib's charf is plain char
};
// Unknown: no such name. Absent: the name is a C library type, but not on this ABI (uid_t on
// win64). Opaque: FILE and DIR, usable only behind a pointer.
LibraryTypedef library_typedef(std::string_view name, Abi abi);

// The C keywords the grammar knows; a token's word id (below) is its 1-based index here.
inline constexpr std::string_view kKeywords[] = {
    "void",          "_Bool",         "bool",
    "char",          "short",         "int",
    "long",          "signed",        "__signed",
    "__signed__",    "unsigned",      "float",
    "double",        "__int128",      "struct",
    "union",         "enum",          "typedef",
    "const",         "volatile",      "restrict",
    "__restrict",    "__restrict__",  "__const",
    "__const__",     "__volatile",    "__volatile__",
    "extern",        "static",        "inline",
    "__inline",      "__inline__",    "register",
    "auto",          "_Atomic",       "_Complex",
    "__complex__",   "_Imaginary",    "_Alignas",
    "alignas",       "__attribute__", "__attribute",
    "__extension__", "sizeof",        "_Alignof",
    "alignof",       "__alignof__",   "__cdecl",
    "__asm__",       "__asm",         "asm",
    "_Nullable",     "_Nonnull",      "_Null_unspecified",
};

// The id of a keyword at compile time, for `case kw("double"):`; not a keyword fails to compile.
constexpr std::uint8_t kw(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kKeywords); ++i)
    if (kKeywords[i] == name) return static_cast<std::uint8_t>(i + 1);
  throw "not a keyword";
}

// The built-in words, each with a small id: the C keywords (is_keyword) and the compact names
// (is_compact_name). 0 for any other name. A lookup by length and first character, not a scan.
std::uint8_t word_of(std::string_view name);
bool word_is_keyword(std::uint8_t word);
bool word_is_compact(std::uint8_t word);

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
