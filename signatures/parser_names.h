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
inline bool word_is_keyword(std::uint8_t word) {
  return word != 0 && word <= std::size(kKeywords);
}
inline bool word_is_compact(std::uint8_t word) {
  return word > std::size(kKeywords);
}

bool is_compact_name(std::string_view name);
// C keywords that can never be a declared name.
bool is_keyword(std::string_view name);
// Keywords and compact names: never a parameter, member or typedef name, so that a missing comma
// (`i32(ptr f64)`) is an error and not a parameter named f64.
bool is_reserved(std::string_view name);

// Markers the parser stores in a Scope for typedefs of opaque tags and of function types.
bool is_opaque_marker(const TypeRef &t);
bool is_function_marker(const TypeRef &t);

// A type qualifier, or clang's nullability (in man-pages 6 synopses); `word` is a token's id.
inline bool is_qualifier(std::uint8_t word) {
  switch (word) {
    case kw("const"):
    case kw("volatile"):
    case kw("restrict"):
    case kw("__restrict"):
    case kw("__restrict__"):
    case kw("__const"):
    case kw("__const__"):
    case kw("__volatile"):
    case kw("__volatile__"):
    case kw("_Nullable"):
    case kw("_Nonnull"):
    case kw("_Null_unspecified"):
      return true;
    default:
      return false;
  }
}

// The C keywords that build an arithmetic type, counted as C allows them in any order.
// Small counters: a count beyond C's (three `long`s) is refused by possible() as it is added, so
// none passes 3.
struct KeywordCounts {
  std::uint8_t void_ = 0, bool_ = 0, char_ = 0, short_ = 0, int_ = 0, long_ = 0, signed_ = 0,
               unsigned_ = 0, float_ = 0, double_ = 0, int128 = 0;
  std::uint8_t total_ = 0;  // the sum of the counts above
  int total() const { return total_; }
  bool add(std::uint8_t word) {  // a token's word id
    ++total_;
    switch (word) {
      case kw("void"):
        ++void_;
        break;
      case kw("_Bool"):
      case kw("bool"):
        ++bool_;
        break;
      case kw("char"):
        ++char_;
        break;
      case kw("short"):
        ++short_;
        break;
      case kw("int"):
        ++int_;
        break;
      case kw("long"):
        ++long_;
        break;
      case kw("signed"):
      case kw("__signed"):
      case kw("__signed__"):
        ++signed_;
        break;
      case kw("unsigned"):
        ++unsigned_;
        break;
      case kw("float"):
        ++float_;
        break;
      case kw("double"):
        ++double_;
        break;
      case kw("__int128"):
        ++int128;
        break;
      default:
        --total_;
        return false;
    }
    return true;
  }
  // Whether these keywords are (a prefix of) one of C's spellings of a type.
  bool possible() const {
    const int sign = signed_ + unsigned_, n = total();
    if (sign > 1) return false;
    if (void_ || bool_ || float_) return n == 1;
    if (double_) return double_ == 1 && long_ <= 1 && n == double_ + long_;
    if (char_) return char_ == 1 && n == 1 + sign;
    if (int128) return int128 == 1 && n == 1 + sign;
    if (short_) return short_ == 1 && int_ <= 1 && n == 1 + int_ + sign;
    if (long_) return long_ <= 2 && int_ <= 1 && n == long_ + int_ + sign;
    return int_ <= 1;
  }
  // The type, resolved with the ABI's meaning of char, long and long double.
  TypeKind kind(Abi abi, bool *plain_char) const {
    const bool u = unsigned_ > 0;
    *plain_char = false;
    if (void_) return TypeKind::Void;
    if (bool_) return TypeKind::Bool;
    if (float_) return TypeKind::F32;
    if (double_) return long_ ? long_double_kind(abi) : TypeKind::F64;
    if (char_) {
      if (u) return TypeKind::U8;
      if (signed_) return TypeKind::I8;
      *plain_char = true;
      return plain_char_kind(abi);
    }
    if (int128) return u ? TypeKind::U128 : TypeKind::I128;
    if (short_) return u ? TypeKind::U16 : TypeKind::I16;
    if (long_ == 2) return u ? TypeKind::U64 : TypeKind::I64;
    if (long_ == 1) return long_kind(abi, u);
    return u ? TypeKind::U32 : TypeKind::I32;
  }
};

}  // namespace jitffi::parse
