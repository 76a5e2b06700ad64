// Built-in names of the signature language and their per-ABI meaning.
#include "signatures/parser_names.h"

#include <iterator>
#include <string>

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

// The C library's and zlib's usual typedefs, per ABI, in the order of the Abi enum: SysV x86-64
// (glibc), Win64 (MSVC's UCRT, else mingw-w64), AAPCS64 (glibc), Apple arm64 (Darwin libc);
// Windows on ARM64 reads Win64's column (library_typedef).
// Void marks a name that ABI's C library does not define. Sources:
//  - glibc: bits/typesizes.h (x86_64) and the generic one (aarch64: nlink_t and blksize_t are
//    32-bit there); checked against the compiler by tests/signatures/test_builtin_typedefs.cpp
//    on the x86-64 host and under qemu in the aarch64 cross build.
//  - UCRT (Windows SDK 10): corecrt.h (time_t = __time64_t, wint_t = unsigned short),
//    time.h (clock_t = long), sys/types.h (_off_t long, _ino_t unsigned short, _dev_t unsigned
//    int), ws2tcpip.h (socklen_t int); pid_t is int, the type of _getpid (the UCRT has no
//    pid_t; mingw-w64's is __int64 on Win64 — declare it to call such a library). mode_t,
//    off64_t and useconds_t are mingw-w64's (sys/types.h); uid_t, gid_t, suseconds_t, nlink_t,
//    blksize_t, blkcnt_t, key_t and id_t exist in neither.
//  - Darwin: sys/_types.h and arm/_types.h (off_t __int64_t, clock_t unsigned long, mode_t
//    __uint16_t, dev_t __int32_t, nlink_t __uint16_t, ino_t __uint64_t with 64-bit inodes,
//    suseconds_t __int32_t, socklen_t __uint32_t, wint_t int); there is no off64_t.
//  - zlib: zconf.h (Byte unsigned char, uInt unsigned int, uLong unsigned long, z_size_t
//    size_t, z_crc_t unsigned int where that has 32 bits, z_off_t long or off_t: long on every
//    ABI here), zlib.h (gzFile, z_streamp and the *_func callbacks are pointers).
struct LibName {
  std::string_view name;
  TypeKind kind[kAbiCount];
};
using K = TypeKind;
constexpr K kNone = K::Void;
constexpr LibName kLibraryTypedefs[] = {
    {"time_t", {K::I64, K::I64, K::I64, K::I64}},
    {"clock_t", {K::I64, K::I32, K::I64, K::U64}},
    {"pid_t", {K::I32, K::I32, K::I32, K::I32}},
    {"uid_t", {K::U32, kNone, K::U32, K::U32}},
    {"gid_t", {K::U32, kNone, K::U32, K::U32}},
    {"id_t", {K::U32, kNone, K::U32, K::U32}},
    {"off_t", {K::I64, K::I32, K::I64, K::I64}},
    {"off64_t", {K::I64, K::I64, K::I64, kNone}},
    {"mode_t", {K::U32, K::U16, K::U32, K::U16}},
    {"socklen_t", {K::U32, K::I32, K::U32, K::U32}},
    {"wint_t", {K::U32, K::U16, K::U32, K::I32}},
    {"suseconds_t", {K::I64, kNone, K::I64, K::I32}},
    {"useconds_t", {K::U32, K::U32, K::U32, K::U32}},
    {"ino_t", {K::U64, K::U16, K::U64, K::U64}},
    {"dev_t", {K::U64, K::U32, K::U64, K::I32}},
    {"nlink_t", {K::U64, kNone, K::U32, K::U16}},
    {"blksize_t", {K::I64, kNone, K::I32, K::I32}},
    {"blkcnt_t", {K::I64, kNone, K::I64, K::I64}},
    {"key_t", {K::I32, kNone, K::I32, K::I32}},
    {"sig_atomic_t", {K::I32, K::I32, K::I32, K::I32}},
    // zlib (zconf.h, zlib.h)
    {"Byte", {K::U8, K::U8, K::U8, K::U8}},
    {"Bytef", {K::U8, K::U8, K::U8, K::U8}},
    {"uInt", {K::U32, K::U32, K::U32, K::U32}},
    {"uIntf", {K::U32, K::U32, K::U32, K::U32}},
    {"uLong", {K::U64, K::U32, K::U64, K::U64}},
    {"uLongf", {K::U64, K::U32, K::U64, K::U64}},
    {"intf", {K::I32, K::I32, K::I32, K::I32}},
    {"z_size_t", {K::U64, K::U64, K::U64, K::U64}},
    {"z_crc_t", {K::U32, K::U32, K::U32, K::U32}},
    {"z_off_t", {K::I64, K::I32, K::I64, K::I64}},
    {"z_off64_t", {K::I64, K::I64, K::I64, K::I64}},
    {"voidp", {K::Pointer, K::Pointer, K::Pointer, K::Pointer}},
    {"voidpf", {K::Pointer, K::Pointer, K::Pointer, K::Pointer}},
    {"voidpc", {K::Pointer, K::Pointer, K::Pointer, K::Pointer}},
    {"gzFile", {K::Pointer, K::Pointer, K::Pointer, K::Pointer}},
    {"z_streamp", {K::Pointer, K::Pointer, K::Pointer, K::Pointer}},
    {"gz_headerp", {K::Pointer, K::Pointer, K::Pointer, K::Pointer}},
    {"alloc_func", {K::Pointer, K::Pointer, K::Pointer, K::Pointer}},
    {"free_func", {K::Pointer, K::Pointer, K::Pointer, K::Pointer}},
    {"in_func", {K::Pointer, K::Pointer, K::Pointer, K::Pointer}},
    {"out_func", {K::Pointer, K::Pointer, K::Pointer, K::Pointer}},
};

// div_t, ldiv_t and lldiv_t: `{ T quot; T rem; }` in every C library here (C11 7.22).
TypeRef div_struct(TypeKind k) {
  return Type::struct_({{"quot", Type::scalar(k), 0}, {"rem", Type::scalar(k), 0}});
}

constexpr std::size_t kKeywordCount = std::size(kKeywords);
constexpr std::size_t kWordCount = kKeywordCount + std::size(kCompact);
constexpr std::size_t kMaxWordLength = 17;  // _Null_unspecified

constexpr std::string_view word_text(std::size_t id) {  // 1-based
  return id <= kKeywordCount ? kKeywords[id - 1] : kCompact[id - 1 - kKeywordCount].first;
}

// A hash of a name's length, first and last character; each bucket holds the ids of the words
// with that hash (at most kBucket: the table is a constant, and a full bucket throws, which does
// not compile).
constexpr std::size_t kBuckets = 256, kBucket = 2;
constexpr std::size_t word_hash(std::string_view w) {
  return (w.size() * 31 + static_cast<unsigned char>(w[0]) * 7 +
          static_cast<unsigned char>(w[w.size() - 1])) %
         kBuckets;
}

struct WordIndex {
  std::uint8_t ids[kBuckets][kBucket] = {};
  constexpr WordIndex() {
    for (std::size_t id = 1; id <= kWordCount; ++id) {
      std::uint8_t *b = ids[word_hash(word_text(id))];
      std::size_t k = 0;
      while (k < kBucket && b[k] != 0) ++k;
      if (k == kBucket) throw "a full bucket: change word_hash";  // a compile error
      b[k] = static_cast<std::uint8_t>(id);
    }
  }
};
// Built at compile time: no static-initialization order to worry about.
constexpr WordIndex kWordIndex{};

}  // namespace

std::uint8_t word_of(std::string_view name) {
  const std::size_t n = name.size();
  if (n == 0 || n > kMaxWordLength) return 0;
  for (const std::uint8_t id : kWordIndex.ids[word_hash(name)]) {
    if (id == 0) break;
    const std::string_view w = word_text(id);
    if (w.size() != n) continue;
    std::size_t i = 0;  // a plain loop: at most 17 characters, no call to memcmp
    while (i < n && w[i] == name[i]) ++i;
    if (i == n) return id;
  }
  return 0;
}

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

LibraryTypedef library_typedef(std::string_view name, Abi abi) {
  LibraryTypedef out;
  if (name == "FILE" || name == "DIR") {
    out.kind = LibraryTypedef::Opaque;
    return out;
  }
  out.kind = LibraryTypedef::Complete;
  if (name == "div_t") {
    out.type = div_struct(TypeKind::I32);
  } else if (name == "ldiv_t") {
    out.type = div_struct(long_kind(abi, false));
  } else if (name == "lldiv_t") {
    out.type = div_struct(TypeKind::I64);
  } else if (name == "charf") {
    out.type = Type::scalar(plain_char_kind(abi));
    out.plain_char = true;
  } else {
    out.kind = LibraryTypedef::Unknown;
    for (const LibName &n : kLibraryTypedefs) {
      if (n.name != name) continue;
      // Windows on ARM64 has the same C library (the UCRT) and LLP64 as Win64: its column.
      const Abi column = abi == Abi::Windows_arm64 ? Abi::Win64 : abi;
      const TypeKind k = n.kind[static_cast<int>(column)];
      out.kind = k == kNone ? LibraryTypedef::Absent : LibraryTypedef::Complete;
      if (k != kNone) out.type = k == TypeKind::Pointer ? Type::pointer() : Type::scalar(k);
      break;
    }
  }
  return out;
}

bool is_compact_name(std::string_view name) {
  return word_is_compact(word_of(name));
}

bool is_keyword(std::string_view name) {
  return word_is_keyword(word_of(name));
}

bool is_reserved(std::string_view name) {
  return is_keyword(name) || is_compact_name(name);
}

}  // namespace jitffi::parse
