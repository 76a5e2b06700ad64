// The C API's types: introspection of signatures and types, and the builder that makes types and
// signatures without text (include/jitffi.h, "Types"). A handle wraps a TypeRef of the C++ type
// model; layouts come from the model (Type::struct_ computes C's offsets), never from here.
#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "src/capi_internal.h"

namespace jitffi::capi {

namespace {

// The C enum is the model's TypeKind, value for value; a new kind in the model must show up here.
static_assert(JITFFI_KIND_VOID == int(TypeKind::Void) && JITFFI_KIND_BOOL == int(TypeKind::Bool) &&
              JITFFI_KIND_I8 == int(TypeKind::I8) && JITFFI_KIND_U8 == int(TypeKind::U8) &&
              JITFFI_KIND_I16 == int(TypeKind::I16) && JITFFI_KIND_U16 == int(TypeKind::U16) &&
              JITFFI_KIND_I32 == int(TypeKind::I32) && JITFFI_KIND_U32 == int(TypeKind::U32) &&
              JITFFI_KIND_I64 == int(TypeKind::I64) && JITFFI_KIND_U64 == int(TypeKind::U64) &&
              JITFFI_KIND_I128 == int(TypeKind::I128) && JITFFI_KIND_U128 == int(TypeKind::U128) &&
              JITFFI_KIND_F32 == int(TypeKind::F32) && JITFFI_KIND_F64 == int(TypeKind::F64) &&
              JITFFI_KIND_LONG_DOUBLE == int(TypeKind::LongDouble) &&
              JITFFI_KIND_POINTER == int(TypeKind::Pointer) &&
              JITFFI_KIND_STRUCT == int(TypeKind::Struct) &&
              JITFFI_KIND_UNION == int(TypeKind::Union) &&
              JITFFI_KIND_ARRAY == int(TypeKind::Array));
constexpr int kKindCount = JITFFI_KIND_ARRAY + 1;

// The largest type the builder makes, the same bound the parser puts on arrays: sizes stay far
// from overflowing size_t wherever they are added or multiplied.
constexpr std::size_t kMaxTypeBytes = std::size_t{1} << 40;

std::optional<Abi> to_abi(const jitffi_abi &abi) noexcept {
  switch (raw_int(abi)) {
    case JITFFI_ABI_HOST:
      return host_abi();
    case JITFFI_ABI_SYSV_X64:
      return Abi::SysV_x64;
    case JITFFI_ABI_WIN64:
      return Abi::Win64;
    case JITFFI_ABI_AAPCS64:
      return Abi::AAPCS64;
    case JITFFI_ABI_APPLE_ARM64:
      return Abi::Apple_arm64;
    case JITFFI_ABI_WINDOWS_ARM64:
      return Abi::Windows_arm64;
  }
  return std::nullopt;
}

jitffi_abi from_abi(Abi abi) noexcept {
  switch (abi) {
    case Abi::SysV_x64:
      return JITFFI_ABI_SYSV_X64;
    case Abi::Win64:
      return JITFFI_ABI_WIN64;
    case Abi::AAPCS64:
      return JITFFI_ABI_AAPCS64;
    case Abi::Apple_arm64:
      return JITFFI_ABI_APPLE_ARM64;
    case Abi::Windows_arm64:
      return JITFFI_ABI_WINDOWS_ARM64;
  }
  return JITFFI_ABI_HOST;
}

jitffi_status bad_enum(const char *where, const char *name, int value, const char *type) noexcept {
  char text[96];
  std::snprintf(text, sizeof text, " is %d, not a %s", value, type);
  set_error(where, name, JITFFI_NO_POSITION, text);
  return JITFFI_INVALID_ARGUMENT;
}

// "members[2] ('x')" or "members[2]" for an unnamed member.
std::string member_label(std::size_t i, const char *name) {
  std::string s = "members[" + std::to_string(i) + "]";
  if (name && *name) s += std::string(" ('") + name + "')";
  return s;
}

jitffi_type *mutable_handle(const jitffi_type *h) noexcept {
  // Builder functions return `jitffi_type *`; a shared scalar handle is never written through
  // (jitffi_type_free leaves it alone), so handing it out non-const is safe.
  return const_cast<jitffi_type *>(h);
}

// A struct or union from C members, with every argument and the size checked first so that the
// model only ever sees a valid request.
jitffi_status make_aggregate(const char *where, bool is_struct, const char *tag,
                             const jitffi_member *members, std::size_t count, jitffi_type **out) {
  if (!out) return null_arg(where, "out");
  *out = nullptr;
  if (!members && count) return null_arg(where, "members");
  const char *what = is_struct ? "struct" : "union";
  std::string label = std::string(what) + (tag && *tag ? std::string(" ") + tag : "");
  if (count == 0)
    return fail(where, JITFFI_TYPE_ERROR,
                label + " has no members (zero-size aggregates are not C)");
  std::size_t size = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const jitffi_member &m = members[i];
    if (!m.type) return null_arg(where, member_label(i, m.name) + ".type");
    const Type &t = *m.type->type;
    if (t.is_void())
      return fail(where, JITFFI_TYPE_ERROR,
                  label + ": " + member_label(i, m.name) +
                      " has type void (an incomplete type cannot be a member)");
    // Each member is below kMaxTypeBytes, so these sums cannot overflow before the check.
    std::size_t end = is_struct ? (size + t.align() - 1) / t.align() * t.align() + t.size()
                                : std::max(size, t.size());
    if (end > kMaxTypeBytes)
      return fail(where, JITFFI_TYPE_ERROR,
                  label + ": " + member_label(i, m.name) + " (" + t.canonical() +
                      ") makes it larger than 2^40 bytes, the most a type may have");
    size = end;
  }
  return guard(where, [&] {
    std::vector<Field> fields(count);
    for (std::size_t i = 0; i < count; ++i) {
      fields[i].name = members[i].name ? members[i].name : "";
      fields[i].type = members[i].type->type;
    }
    TypeRef t = is_struct ? Type::struct_(std::move(fields), tag ? tag : "")
                          : Type::union_(std::move(fields), tag ? tag : "");
    *out = owned_handle(std::move(t));
  });
}

// Copies C type handles into TypeRefs; "NAME[i] is NULL" for a missing one.
jitffi_status type_refs(const char *where, const char *name, const jitffi_type *const *types,
                        std::size_t count, std::vector<TypeRef> &out) noexcept {
  if (!types && count) return null_arg(where, name);
  for (std::size_t i = 0; i < count; ++i)
    if (!types[i]) return null_arg(where, std::string(name) + "[" + std::to_string(i) + "]");
  return guard(where, [&] {
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) out.push_back(types[i]->type);
  });
}

jitffi_status build_sig(const char *where, jitffi_abi abi, const jitffi_type *ret,
                        const jitffi_type *const *params, std::size_t count,
                        std::optional<std::size_t> fixed_count, jitffi_sig **out) noexcept {
  if (!out) return null_arg(where, "out");
  *out = nullptr;
  std::optional<Abi> a = to_abi(abi);
  if (!a) return bad_enum(where, "abi", raw_int(abi), "jitffi_abi");
  if (!ret) return null_arg(where, "ret");
  if (fixed_count && *fixed_count > count) {
    char text[96];
    std::snprintf(text, sizeof text, "fixed_count %zu exceeds count %zu", *fixed_count, count);
    return fail(where, JITFFI_INVALID_ARGUMENT, text);
  }
  std::vector<TypeRef> refs;
  if (jitffi_status s = type_refs(where, "params", params, count, refs)) return s;
  return guard(where, [&] {
    *out = new jitffi_sig{fixed_count
                              ? Signature::variadic(*a, ret->type, std::move(refs), *fixed_count)
                              : Signature(*a, ret->type, std::move(refs))};
  });
}

template <class T, class F>
T or_null(F &&body) noexcept {
  try {
    return body();
  } catch (...) {
    translate("jitffi type introspection");
    return nullptr;
  }
}

}  // namespace

const jitffi_type *scalar_handle(const Type &t) noexcept {
  // Built once, thread-safely; never freed (interned like the model's own scalars).
  static const auto table = [] {
    std::array<jitffi_type, int(TypeKind::Pointer) + 2> h;
    for (int k = 0; k < int(TypeKind::Pointer); ++k) h[k].type = Type::scalar(TypeKind(k));
    h[int(TypeKind::Pointer)].type = Type::pointer(false);
    h[int(TypeKind::Pointer) + 1].type = Type::pointer(true);
    return h;
  }();
  if (t.kind() == TypeKind::Pointer) return &table[int(TypeKind::Pointer) + (t.is_cstr() ? 1 : 0)];
  return &table[int(t.kind())];
}

const jitffi_type *TypeArena::handle(const TypeRef &t) {
  if (t->kind() <= TypeKind::Pointer) return scalar_handle(*t);
  std::lock_guard<std::mutex> lock(mutex_);
  auto &slot = handles_[t.get()];
  if (!slot) {
    slot = std::make_unique<jitffi_type>();
    slot->type = t;
    slot->arena = this;
  }
  return slot.get();
}

jitffi_type *owned_handle(TypeRef t) {
  if (t->kind() <= TypeKind::Pointer) return mutable_handle(scalar_handle(*t));
  auto h = std::make_unique<jitffi_type>();
  h->type = std::move(t);
  h->own = std::make_unique<TypeArena>();
  h->arena = h->own.get();
  return h.release();
}

}  // namespace jitffi::capi

using namespace jitffi::capi;
using jitffi::Type;
using jitffi::TypeKind;
using jitffi::TypeRef;

extern "C" {

// ---- Introspection -----------------------------------------------------------------------

jitffi_abi jitffi_host_abi(void) {
  return from_abi(jitffi::host_abi());
}

const char *jitffi_abi_name(jitffi_abi abi) {
  std::optional<jitffi::Abi> a = to_abi(abi);
  // abi_name returns a view of a literal, so data() is NUL-terminated.
  return a ? jitffi::abi_name(*a).data() : nullptr;
}

jitffi_abi jitffi_sig_abi(const jitffi_sig *sig) {
  return sig ? from_abi(sig->sig.abi()) : JITFFI_ABI_HOST;
}

const jitffi_type *jitffi_sig_return(const jitffi_sig *sig) {
  if (!sig) return nullptr;
  return or_null<const jitffi_type *>([&] { return sig->types.handle(sig->sig.ret()); });
}

const jitffi_type *jitffi_sig_param(const jitffi_sig *sig, size_t index) {
  if (!sig || index >= sig->sig.params().size()) return nullptr;
  return or_null<const jitffi_type *>([&] { return sig->types.handle(sig->sig.params()[index]); });
}

size_t jitffi_sig_kinds(const jitffi_sig *sig, unsigned char *out, size_t cap) {
  if (!sig) return 0;
  const auto &params = sig->sig.params();
  static_assert(JITFFI_KIND_ARRAY < 256, "a kind fits a byte");
  if (out && cap > 0) out[0] = static_cast<unsigned char>(sig->sig.ret()->kind());
  for (size_t i = 0; out && i < params.size() && i + 1 < cap; ++i)
    out[i + 1] = static_cast<unsigned char>(params[i]->kind());
  return params.size();
}

const char *jitffi_sig_param_name(const jitffi_sig *sig, size_t index) {
  if (!sig || index >= sig->sig.param_names().size()) return nullptr;
  return sig->sig.param_names()[index].c_str();
}

jitffi_kind jitffi_type_kind(const jitffi_type *type) {
  return type ? jitffi_kind(type->type->kind()) : JITFFI_KIND_VOID;
}

size_t jitffi_type_size(const jitffi_type *type) {
  return type ? type->type->size() : 0;
}

size_t jitffi_type_align(const jitffi_type *type) {
  return type ? type->type->align() : 0;
}

int jitffi_type_is_integer(const jitffi_type *type) {
  return type && type->type->is_integer();
}

int jitffi_type_is_signed(const jitffi_type *type) {
  return type && type->type->is_signed();
}

int jitffi_type_is_float(const jitffi_type *type) {
  return type && type->type->is_float();
}

int jitffi_type_is_cstr(const jitffi_type *type) {
  return type && type->type->is_cstr();
}

const char *jitffi_type_canonical(const jitffi_type *type) {
  return type ? type->type->canonical().c_str() : nullptr;
}

const char *jitffi_type_tag(const jitffi_type *type) {
  return type ? type->type->tag().c_str() : nullptr;
}

const char *jitffi_kind_name(jitffi_kind kind) {
  int k = raw_int(kind);
  if (k < 0 || k >= kKindCount) return nullptr;
  return jitffi::kind_name(TypeKind(k)).data();  // views of literals
}

size_t jitffi_type_member_count(const jitffi_type *type) {
  return type ? type->type->fields().size() : 0;
}

jitffi_status jitffi_type_member_at(const jitffi_type *type, size_t index, const char **name,
                                    const jitffi_type **member_type, size_t *offset) {
  static const char kWhere[] = "jitffi_type_member_at";
  if (name) *name = nullptr;
  if (member_type) *member_type = nullptr;
  if (offset) *offset = 0;
  if (!type) return null_arg(kWhere, "type");
  const Type &t = *type->type;
  if (!t.is_aggregate())
    return fail(kWhere, JITFFI_INVALID_ARGUMENT,
                "type " + t.canonical() + " is not a struct or union (it has no members)");
  if (index >= t.fields().size())
    return fail(kWhere, JITFFI_INVALID_ARGUMENT,
                "index " + std::to_string(index) + " is out of range: " + t.canonical() + " has " +
                    std::to_string(t.fields().size()) + " members");
  const jitffi::Field &f = t.fields()[index];
  return guard(kWhere, [&] {
    if (member_type) *member_type = type->arena->handle(f.type);
    if (name) *name = f.name.c_str();
    if (offset) *offset = f.offset;
  });
}

const jitffi_type *jitffi_type_element(const jitffi_type *type) {
  if (!type || type->type->kind() != TypeKind::Array) return nullptr;
  return or_null<const jitffi_type *>([&] { return type->arena->handle(type->type->element()); });
}

size_t jitffi_type_count(const jitffi_type *type) {
  return type ? type->type->count() : 0;
}

// ---- Builder -----------------------------------------------------------------------------

jitffi_status jitffi_type_scalar(jitffi_kind kind, jitffi_type **out) {
  static const char kWhere[] = "jitffi_type_scalar";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  int k = raw_int(kind);
  if (k < 0 || k >= kKindCount) return bad_enum(kWhere, "kind", k, "jitffi_kind");
  if (k > JITFFI_KIND_POINTER)
    return fail(kWhere, JITFFI_INVALID_ARGUMENT,
                std::string("kind ") + jitffi_kind_name(kind) +
                    " is not a scalar kind (use jitffi_type_struct, _union or _array)");
  return guard(kWhere, [&] {
    TypeRef t = k == JITFFI_KIND_POINTER ? Type::pointer(false) : Type::scalar(TypeKind(k));
    *out = owned_handle(std::move(t));
  });
}

jitffi_status jitffi_type_pointer(int cstr, jitffi_type **out) {
  static const char kWhere[] = "jitffi_type_pointer";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  return guard(kWhere, [&] { *out = owned_handle(Type::pointer(cstr != 0)); });
}

jitffi_status jitffi_type_array(const jitffi_type *element, size_t count, jitffi_type **out) {
  static const char kWhere[] = "jitffi_type_array";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!element) return null_arg(kWhere, "element");
  const Type &e = *element->type;
  if (e.size() != 0 && count > kMaxTypeBytes / e.size())
    return fail(kWhere, JITFFI_TYPE_ERROR,
                e.canonical() + "[" + std::to_string(count) +
                    "] is larger than 2^40 bytes, the most a type may have");
  // count 0 and an element of void: the model's TypeError says which.
  return guard(kWhere, [&] { *out = owned_handle(Type::array(element->type, count)); });
}

jitffi_status jitffi_type_struct(const char *tag, const jitffi_member *members, size_t count,
                                 jitffi_type **out) {
  return make_aggregate("jitffi_type_struct", true, tag, members, count, out);
}

jitffi_status jitffi_type_union(const char *tag, const jitffi_member *members, size_t count,
                                jitffi_type **out) {
  return make_aggregate("jitffi_type_union", false, tag, members, count, out);
}

jitffi_status jitffi_type_parse(jitffi_abi abi, const char *text, jitffi_type **out) {
  static const char kWhere[] = "jitffi_type_parse";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  std::optional<jitffi::Abi> a = to_abi(abi);
  if (!a) return bad_enum(kWhere, "abi", raw_int(abi), "jitffi_abi");
  if (!text) return null_arg(kWhere, "text");
  return guard(kWhere, [&] { *out = owned_handle(jitffi::Scope(*a).type(text)); });
}

void jitffi_type_free(jitffi_type *type) {
  if (type && type->own) delete type;
}

jitffi_status jitffi_sig_build(jitffi_abi abi, const jitffi_type *ret,
                               const jitffi_type *const *params, size_t count, jitffi_sig **out) {
  return build_sig("jitffi_sig_build", abi, ret, params, count, std::nullopt, out);
}

jitffi_status jitffi_sig_build_variadic(jitffi_abi abi, const jitffi_type *ret,
                                        const jitffi_type *const *params, size_t count,
                                        size_t fixed_count, jitffi_sig **out) {
  return build_sig("jitffi_sig_build_variadic", abi, ret, params, count, fixed_count, out);
}

jitffi_status jitffi_sig_with_vararg_types(const jitffi_sig *sig, const jitffi_type *const *types,
                                           size_t count, jitffi_sig **out) {
  static const char kWhere[] = "jitffi_sig_with_vararg_types";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!sig) return null_arg(kWhere, "sig");
  std::vector<TypeRef> refs;
  if (jitffi_status s = type_refs(kWhere, "types", types, count, refs)) return s;
  return guard(kWhere, [&] { *out = new jitffi_sig{sig->sig.with_varargs(std::move(refs))}; });
}

jitffi_status jitffi_sig_with_name(const jitffi_sig *sig, const char *name, jitffi_sig **out) {
  static const char kWhere[] = "jitffi_sig_with_name";
  if (!out) return null_arg(kWhere, "out");
  *out = nullptr;
  if (!sig) return null_arg(kWhere, "sig");
  if (!name) return null_arg(kWhere, "name");
  return guard(kWhere, [&] { *out = new jitffi_sig{sig->sig.with_name(name)}; });
}

}  // extern "C"
