// Built-in names of the signature language and their per-ABI meaning.
#include "signatures/parser_names.h"

namespace jitffi::parse {

namespace {

constexpr std::pair<std::string_view, TypeKind> kCompact[] = {
    {"i8", TypeKind::I8},
    {"u8", TypeKind::U8},
    {"i16", TypeKind::I16},
    {"u16", TypeKind::U16},
    {"i32", TypeKind::I32},
    {"u32", TypeKind::U32},
    {"i64", TypeKind::I64},
    {"u64", TypeKind::U64},
    {"i128", TypeKind::I128},
    {"u128", TypeKind::U128},
    {"f32", TypeKind::F32},
    {"f64", TypeKind::F64},
    {"ldouble", TypeKind::LongDouble},
    {"ptr", TypeKind::Pointer},
    {"cstr", TypeKind::Pointer},
};

// Standard typedefs with one meaning on every ABI we support (all have 64-bit pointers).
constexpr std::pair<std::string_view, TypeKind> kFixedTypedefs[] = {
    {"size_t", TypeKind::U64},      {"ssize_t", TypeKind::I64},      {"ptrdiff_t", TypeKind::I64},
    {"intptr_t", TypeKind::I64},    {"uintptr_t", TypeKind::U64},    {"intmax_t", TypeKind::I64},
    {"uintmax_t", TypeKind::U64},   {"int8_t", TypeKind::I8},        {"uint8_t", TypeKind::U8},
    {"int16_t", TypeKind::I16},     {"uint16_t", TypeKind::U16},     {"int32_t", TypeKind::I32},
    {"uint32_t", TypeKind::U32},    {"int64_t", TypeKind::I64},      {"uint64_t", TypeKind::U64},
    {"__int128_t", TypeKind::I128}, {"__uint128_t", TypeKind::U128}, {"char16_t", TypeKind::U16},
    {"char32_t", TypeKind::U32},
};

constexpr std::string_view kKeywords[] = {
    "void",          "_Bool",      "bool",         "char",       "short",         "int",
    "long",          "signed",     "__signed",     "__signed__", "unsigned",      "float",
    "double",        "__int128",   "struct",       "union",      "enum",          "typedef",
    "const",         "volatile",   "restrict",     "__restrict", "__restrict__",  "__const",
    "__const__",     "__volatile", "__volatile__", "extern",     "static",        "inline",
    "__inline",      "__inline__", "register",     "auto",       "_Atomic",       "_Complex",
    "__complex__",   "_Imaginary", "_Alignas",     "alignas",    "__attribute__", "__attribute",
    "__extension__", "sizeof",     "_Alignof",     "alignof",    "__alignof__",   "__cdecl",
    "__asm__",       "__asm",      "asm",
};

}  // namespace

TypeKind plain_char_kind(Abi abi) {
  return abi == Abi::AAPCS64 ? TypeKind::U8 : TypeKind::I8;
}

TypeKind long_kind(Abi abi, bool is_unsigned) {
  if (abi == Abi::Win64 || abi == Abi::Windows_arm64)
    return is_unsigned ? TypeKind::U32 : TypeKind::I32;
  return is_unsigned ? TypeKind::U64 : TypeKind::I64;
}

TypeKind long_double_kind(Abi abi) {
  return abi == Abi::Win64 || abi == Abi::Apple_arm64 || abi == Abi::Windows_arm64
             ? TypeKind::F64
             : TypeKind::LongDouble;
}

TypeRef builtin_name(std::string_view name, Abi abi, bool *plain_char) {
  *plain_char = false;
  for (auto &[n, k] : kCompact) {
    if (n != name) continue;
    if (n == "ptr") return Type::pointer();
    if (n == "cstr") return Type::cstr();
    if (k == TypeKind::LongDouble && long_double_kind(abi) != TypeKind::LongDouble) return nullptr;
    return Type::scalar(k);
  }
  for (auto &[n, k] : kFixedTypedefs)
    if (n == name) return Type::scalar(k);
  if (name == "wchar_t") {
    // Win64 and Windows on ARM64: unsigned short; AAPCS64: unsigned int; SysV x86-64 and Apple
    // arm64: int.
    if (abi == Abi::Win64 || abi == Abi::Windows_arm64) return Type::scalar(TypeKind::U16);
    return Type::scalar(abi == Abi::AAPCS64 ? TypeKind::U32 : TypeKind::I32);
  }
  return nullptr;
}

bool is_compact_name(std::string_view name) {
  for (auto &[n, k] : kCompact)
    if (n == name) return true;
  return false;
}

bool is_keyword(std::string_view name) {
  for (std::string_view k : kKeywords)
    if (k == name) return true;
  return false;
}

bool is_reserved(std::string_view name) {
  return is_keyword(name) || is_compact_name(name);
}

}  // namespace jitffi::parse
