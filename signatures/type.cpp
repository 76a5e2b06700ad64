// Type construction and C layout (natural alignment, no packing).
#include <array>

#include "jitffi/types.h"

namespace jitffi {

namespace {

struct ScalarInfo {
  std::string_view name;
  std::size_t size;
  std::size_t align;
};

// Sizes and alignments shared by every ABI we support (LP64/LLP64, 8-byte pointers).
// long double is 16/16 where it exists as its own type (SysV x87, AAPCS64 binary128); on Win64,
// Apple arm64 and Windows on ARM64 the C name maps to f64 at parse time.
constexpr ScalarInfo kScalars[] = {
    {"void", 0, 1}, {"bool", 1, 1}, {"i8", 1, 1},        {"u8", 1, 1},
    {"i16", 2, 2},  {"u16", 2, 2},  {"i32", 4, 4},       {"u32", 4, 4},
    {"i64", 8, 8},  {"u64", 8, 8},  {"i128", 16, 16},    {"u128", 16, 16},
    {"f32", 4, 4},  {"f64", 8, 8},  {"ldouble", 16, 16}, {"ptr", 8, 8},
};

std::size_t align_up(std::size_t n, std::size_t a) {
  return (n + a - 1) / a * a;
}

// The bounds of types.h, checked as a type is built; `label` names the type in messages.
void check_depth(std::size_t depth, const std::string &label) {
  if (depth > kMaxTypeDepth)
    throw TypeError(label + " is nested " + std::to_string(depth) +
                    " levels deep (struct, union and array levels); at most " +
                    std::to_string(kMaxTypeDepth) + " are allowed");
}

void check_canonical_length(std::size_t length, const std::string &label) {
  if (length > kMaxCanonicalLength)
    throw TypeError(label + " has a canonical form of " + std::to_string(length) +
                    " characters; at most " + std::to_string(kMaxCanonicalLength) + " are allowed");
}

[[noreturn]] void too_large(const std::string &label, const std::string &size) {
  throw TypeError(label + " is " + size + " bytes, larger than the 2^48 (" +
                  std::to_string(kMaxTypeSize) + ") bytes a type may have");
}

}  // namespace

std::string_view kind_name(TypeKind kind) noexcept {
  auto k = static_cast<std::size_t>(kind);
  if (k < std::size(kScalars)) return kScalars[k].name;
  switch (kind) {
    case TypeKind::Struct:
      return "struct";
    case TypeKind::Union:
      return "union";
    case TypeKind::Array:
      return "array";
    default:
      return "?";
  }
}

Type::Type(Private, TypeKind kind) : kind_(kind) {
  auto k = static_cast<std::size_t>(kind);
  if (k < std::size(kScalars)) {
    size_ = kScalars[k].size;
    align_ = kScalars[k].align;
    canonical_ = std::string(kScalars[k].name);
    leaf_kinds_ = std::uint32_t{1} << k;
  }
}

TypeRef Type::scalar(TypeKind kind) {
  static const auto table = [] {
    std::array<TypeRef, std::size(kScalars)> t;
    for (std::size_t i = 0; i < t.size(); ++i)
      t[i] = std::make_shared<const Type>(Private{}, static_cast<TypeKind>(i));
    return t;
  }();
  auto k = static_cast<std::size_t>(kind);
  if (k >= table.size() || kind == TypeKind::Pointer)
    throw TypeError("Type::scalar: not a scalar kind: " + std::string(kind_name(kind)));
  return table[k];
}

TypeRef Type::pointer(bool cstr) {
  static const TypeRef plain = std::make_shared<const Type>(Private{}, TypeKind::Pointer);
  static const TypeRef str = [] {
    auto t = std::make_shared<Type>(Private{}, TypeKind::Pointer);
    t->cstr_ = true;
    return TypeRef(std::move(t));
  }();
  return cstr ? str : plain;
}

TypeRef Type::array(TypeRef element, std::size_t count) {
  if (!element) throw TypeError("array of a null type");
  if (element->is_void()) throw TypeError("array of void");
  if (count == 0) throw TypeError("array of " + element->canonical() + " with 0 elements");
  const std::string count_text = std::to_string(count);
  auto label = [&] { return "array " + element->canonical() + "[" + count_text + "]"; };
  // Checked before multiplying: element->size() * count must not wrap.
  if (count > kMaxTypeSize / element->size())
    too_large(label(), count_text + " x " + std::to_string(element->size()));
  check_depth(element->depth() + 1, label());
  check_canonical_length(element->canonical().size() + count_text.size() + 2, "an array");
  auto t = std::make_shared<Type>(Private{}, TypeKind::Array);
  t->size_ = element->size() * count;
  t->align_ = element->align();
  t->count_ = count;
  t->leaf_kinds_ = element->leaf_kinds();
  t->depth_ = element->depth() + 1;
  // C order: the outermost dimension first, so i32[2][3] is 2 arrays of 3 i32.
  std::string base = element->canonical(), dims;
  if (element->kind() == TypeKind::Array) {
    // The dimensions follow the element's own text, which may hold arrays inside braces.
    const auto brace = base.rfind('}');
    auto pos = base.find('[', brace == std::string::npos ? 0 : brace);
    dims = base.substr(pos);
    base = base.substr(0, pos);
  }
  t->canonical_ = base + "[" + count_text + "]" + dims;
  t->element_ = std::move(element);
  return t;
}

TypeRef Type::struct_(std::vector<Field> members, std::string tag) {
  return make_aggregate(TypeKind::Struct, std::move(members), std::move(tag));
}

TypeRef Type::union_(std::vector<Field> members, std::string tag) {
  return make_aggregate(TypeKind::Union, std::move(members), std::move(tag));
}

TypeRef Type::make_aggregate(TypeKind kind, std::vector<Field> members, std::string tag) {
  const char *what = kind == TypeKind::Struct ? "struct" : "union";
  // The type's name in messages, built only for a message.
  auto label = [&] { return std::string(what) + (tag.empty() ? "" : " " + tag); };
  if (members.empty())
    throw TypeError(label() + " has no members (zero-size aggregates are not C)");
  auto t = std::make_shared<Type>(Private{}, kind);
  std::size_t size = 0, align = 1, depth = 0, canon_length = kind == TypeKind::Struct ? 2 : 7;
  std::uint32_t leaf_kinds = 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    Field &f = members[i];
    if (!f.type) throw TypeError(label() + ": member " + std::to_string(i) + " has no type");
    if (f.type->is_void()) throw TypeError(label() + ": member '" + f.name + "' has type void");
    if (f.type->size() == 0) throw TypeError(label() + ": member '" + f.name + "' has size 0");
    align = std::max(align, f.type->align());
    // Every size below 2^48 + 2^48, so nothing wraps before the check.
    if (kind == TypeKind::Struct) {
      f.offset = align_up(size, f.type->align());
      size = f.offset + f.type->size();
    } else {
      f.offset = 0;
      size = std::max(size, f.type->size());
    }
    if (size > kMaxTypeSize) too_large(label(), "over " + std::to_string(size));
    depth = std::max(depth, f.type->depth() + 1);
    leaf_kinds |= f.type->leaf_kinds();
    // Counted before the text is built: members sharing a tagged type can double it per level.
    canon_length += f.type->canonical().size() + (i ? 1 : 0);
    if (canon_length > kMaxCanonicalLength) check_canonical_length(canon_length, label());
  }
  if (depth > kMaxTypeDepth) check_depth(depth, label());
  std::string canon;
  canon.reserve(canon_length);
  canon += kind == TypeKind::Struct ? "{" : "union{";
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i) canon += ',';
    canon += members[i].type->canonical();
  }
  canon += '}';
  t->size_ = align_up(size, align);
  if (t->size_ > kMaxTypeSize) too_large(label(), std::to_string(t->size_));
  t->align_ = align;
  t->leaf_kinds_ = leaf_kinds;
  t->depth_ = depth;
  t->fields_ = std::move(members);
  t->tag_ = std::move(tag);
  t->canonical_ = std::move(canon);
  return t;
}

bool Type::is_integer() const noexcept {
  return kind_ >= TypeKind::Bool && kind_ <= TypeKind::U128;
}

bool Type::is_signed() const noexcept {
  switch (kind_) {
    case TypeKind::I8:
    case TypeKind::I16:
    case TypeKind::I32:
    case TypeKind::I64:
    case TypeKind::I128:
      return true;
    default:
      return false;
  }
}

bool Type::is_float() const noexcept {
  return kind_ == TypeKind::F32 || kind_ == TypeKind::F64 || kind_ == TypeKind::LongDouble;
}

bool Type::is_promoted() const noexcept {
  switch (kind_) {
    case TypeKind::Bool:
    case TypeKind::I8:
    case TypeKind::U8:
    case TypeKind::I16:
    case TypeKind::U16:
    case TypeKind::F32:
      return false;
    default:
      return true;
  }
}

bool Type::is_scalar() const noexcept {
  return kind_ != TypeKind::Void && kind_ <= TypeKind::Pointer;
}

}  // namespace jitffi
