// jitffi type model: ABIs, scalar kinds, aggregates and their layout.
//
// A Type is immutable and shared (TypeRef). Its layout (size, alignment, field offsets) is
// computed once, when it is built. Types are ABI-neutral: every ABI we support is LP64 or LLP64
// with the same sizes for the fixed-width kinds; the C names whose meaning differs per ABI
// (`long`, `long double`, ...) are resolved to a kind when text is parsed (see Scope).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace jitffi {

// Calling conventions. Apple's arm64 and Windows on ARM64 are AAPCS64 with their deviations
// (policy flags in the classifier, separate values here so that signatures and the stub cache
// tell them apart).
enum class Abi : std::uint8_t { SysV_x64, Win64, AAPCS64, Apple_arm64, Windows_arm64 };
inline constexpr int kAbiCount = 5;

// The ABI of the machine this library was compiled for.
Abi host_abi() noexcept;
// Canonical names: "sysv", "win64", "aapcs64", "apple_arm64", "windows_arm64".
std::string_view abi_name(Abi abi) noexcept;
// Accepts the canonical names and aliases ("sysv_x64", "x86_64", "ms_abi", "msabi", "arm64",
// "aarch64", "darwin_arm64", "win_arm64", ...). Returns nullopt for anything else.
std::optional<Abi> abi_from_name(std::string_view name) noexcept;

// Base of every error jitffi throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A type that cannot exist: an empty struct, an array of void, void as a member, ...
class TypeError : public Error {
 public:
  using Error::Error;
};

enum class TypeKind : std::uint8_t {
  Void,
  Bool,
  I8,
  U8,
  I16,
  U16,
  I32,
  U32,
  I64,
  U64,
  I128,
  U128,
  F32,
  F64,
  LongDouble,  // x87 80-bit on SysV x86-64 (16 bytes, align 16); binary128 on AAPCS64
  Pointer,
  Struct,
  Union,
  Array,  // only as a member of a struct or union
};

// Bounds on a Type, so that the work and memory spent on a type stay proportional to the text
// that describes it (DESIGN.md, "Untrusted input"). The factories throw TypeError beyond them.
inline constexpr std::size_t kMaxTypeDepth = 200;  // nested struct, union and array levels
inline constexpr std::size_t kMaxTypeSize = std::size_t{1} << 48;         // bytes
inline constexpr std::size_t kMaxCanonicalLength = std::size_t{1} << 22;  // characters

class Type;
using TypeRef = std::shared_ptr<const Type>;

// A member of a struct or union, with its offset computed by the layout.
struct Field {
  std::string name;  // may be empty
  TypeRef type;
  std::size_t offset = 0;
};

class Type {
 public:
  // Scalars are interned: the same TypeRef is returned for the same kind.
  static TypeRef scalar(TypeKind kind);  // any kind from Void to LongDouble
  static TypeRef void_() { return scalar(TypeKind::Void); }
  // A pointer. `cstr` marks `const char *` / `char *` (a NUL-terminated string for tools and
  // bindings); it does not change how the pointer is passed and is not part of the canonical form.
  static TypeRef pointer(bool cstr = false);
  static TypeRef cstr() { return pointer(true); }
  // Fixed-size array, as a member only. Throws TypeError for count 0 or an element of size 0,
  // and beyond the bounds above.
  static TypeRef array(TypeRef element, std::size_t count);
  // Struct and union with C layout (natural alignment, no packing). Throws TypeError when there
  // is no member, or a member is void or has size 0, and beyond the bounds above. `tag` is for
  // display only.
  static TypeRef struct_(std::vector<Field> members, std::string tag = {});
  static TypeRef union_(std::vector<Field> members, std::string tag = {});

  TypeKind kind() const noexcept { return kind_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t align() const noexcept { return align_; }
  // Struct/union members with their offsets; empty otherwise.
  const std::vector<Field> &fields() const noexcept { return fields_; }
  // Array element and count; null/0 otherwise.
  const TypeRef &element() const noexcept { return element_; }
  std::size_t count() const noexcept { return count_; }
  bool is_cstr() const noexcept { return cstr_; }
  const std::string &tag() const noexcept { return tag_; }

  bool is_void() const noexcept { return kind_ == TypeKind::Void; }
  bool is_integer() const noexcept;  // Bool, I8..U128 (not Pointer)
  bool is_signed() const noexcept;   // I8, I16, I32, I64, I128
  bool is_float() const noexcept;    // F32, F64, LongDouble
  bool is_scalar() const noexcept;   // not void, not aggregate, not array
  // Already its own default-argument-promoted type (C11 6.5.2.2p6): not bool, i8, u8, i16, u16
  // or f32. Only such types can be passed as variadic arguments.
  bool is_promoted() const noexcept;
  bool is_aggregate() const noexcept {
    return kind_ == TypeKind::Struct || kind_ == TypeKind::Union;
  }

  // Canonical text: void bool i8 u8 i16 u16 i32 u32 i64 u64 i128 u128 f32 f64 ldouble ptr,
  // `{i32,f64}` for a struct, `union{i32,f32}` for a union, `i32[4]` for an array (C order:
  // an array of 2 arrays of 3 ints is `i32[2][3]`). Member names and tags are not part of it.
  const std::string &canonical() const noexcept { return canonical_; }

  // Facts computed once, when the type is built, so that no check walks the type (let alone
  // every element of an array) again.
  // Whether some scalar leaf (this type itself, a member, an array element, at any depth) has
  // kind `k` (Void .. Pointer).
  bool contains(TypeKind k) const noexcept {
    return static_cast<unsigned>(k) < 32 && (leaf_kinds_ >> static_cast<unsigned>(k)) & 1u;
  }
  // Bit k set when contains(TypeKind(k)).
  std::uint32_t leaf_kinds() const noexcept { return leaf_kinds_; }
  // Struct, union and array levels: 0 for a scalar, 1 for `{i32}` or `i32[4]`, 2 for `{i32[4]}`.
  std::size_t depth() const noexcept { return depth_; }

  // Visits every scalar leaf of this type in memory order with its byte offset from the start of
  // this type (arrays expanded element by element; every member of a union at offset 0+). The
  // work is proportional to the number of leaves, which an array multiplies: use it only on
  // types known to be small, and contains() for questions about the kinds of leaves.
  template <class F>
  void for_each_scalar(F &&visit, std::size_t base = 0) const {
    switch (kind_) {
      case TypeKind::Struct:
      case TypeKind::Union:
        for (const Field &f : fields_) f.type->for_each_scalar(visit, base + f.offset);
        break;
      case TypeKind::Array:
        for (std::size_t i = 0; i < count_; ++i)
          element_->for_each_scalar(visit, base + i * element_->size());
        break;
      default:
        visit(base, *this);
    }
  }

  // Use the factories above; public only for std::make_shared.
  struct Private {};
  Type(Private, TypeKind kind);

 private:
  TypeKind kind_;
  bool cstr_ = false;
  std::size_t size_ = 0;
  std::size_t align_ = 1;
  std::vector<Field> fields_;
  TypeRef element_;
  std::size_t count_ = 0;
  std::uint32_t leaf_kinds_ = 0;
  std::size_t depth_ = 0;
  std::string tag_;
  std::string canonical_;

  static TypeRef make_aggregate(TypeKind kind, std::vector<Field> members, std::string tag);
};

// Short spelling of a scalar kind as used in the canonical form ("i32", "ptr", ...).
std::string_view kind_name(TypeKind kind) noexcept;

}  // namespace jitffi
