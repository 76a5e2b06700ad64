// The built-in ffi_type objects, libffi's struct layout, and ffi_type trees as jitffi Types.
#include <cstddef>
#include <cstring>

#include "compat/src/compat.h"

// Clients allocate these structs and read their fields: each layout and value is libffi's own
// (ffi.h and ffitarget.h of libffi 3.4-3.8 for the target, compared field by field).
static_assert(sizeof(ffi_type) == 24 && offsetof(ffi_type, alignment) == 8 &&
                  offsetof(ffi_type, type) == 10 && offsetof(ffi_type, elements) == 16,
              "ffi_type");
static_assert(sizeof(ffi_cif) == 32 && offsetof(ffi_cif, nargs) == 4 &&
                  offsetof(ffi_cif, arg_types) == 8 && offsetof(ffi_cif, rtype) == 16 &&
                  offsetof(ffi_cif, bytes) == 24 && offsetof(ffi_cif, flags) == 28,
              "ffi_cif: no FFI_EXTRA_CIF_FIELDS on x86-64 or AArch64 Linux");
static_assert(sizeof(ffi_arg) == 8 && sizeof(ffi_raw) == 8 && sizeof(ffi_go_closure) == 24 &&
                  FFI_SIZEOF_ARG == 8 && FFI_SIZEOF_JAVA_RAW == 8,
              "LP64 argument words");
static_assert(offsetof(ffi_closure, cif) == FFI_TRAMPOLINE_SIZE &&
                  sizeof(ffi_closure) == FFI_TRAMPOLINE_SIZE + 24 && alignof(ffi_closure) == 8 &&
                  offsetof(ffi_raw_closure, user_data) == FFI_TRAMPOLINE_SIZE + 32 &&
                  sizeof(ffi_raw_closure) == FFI_TRAMPOLINE_SIZE + 40,
              "the trampoline area, then cif, fun, user_data");
static_assert(sizeof(long double) == 16 && alignof(long double) == 16,
              "long double: x87 in 16 bytes on x86-64, binary128 on AArch64");
#if defined(__x86_64__)
static_assert(FFI_TRAMPOLINE_SIZE == 32 && sizeof(ffi_closure) == 56 &&
                  sizeof(ffi_raw_closure) == 72,
              "x86-64 closures");
static_assert(FFI_FIRST_ABI == 1 && FFI_UNIX64 == 2 && FFI_WIN64 == 3 && FFI_EFI64 == 3 &&
                  FFI_GNUW64 == 4 && FFI_LAST_ABI == 5 && FFI_DEFAULT_ABI == FFI_UNIX64,
              "x86-64 ffi_abi");
#elif defined(__aarch64__)
static_assert(FFI_TRAMPOLINE_SIZE == 24 && FFI_TRAMPOLINE_CLOSURE_OFFSET == 24 &&
                  sizeof(ffi_closure) == 48 && sizeof(ffi_raw_closure) == 64,
              "AArch64 closures");
static_assert(FFI_FIRST_ABI == 0 && FFI_SYSV == 1 && FFI_WIN64 == 2 && FFI_LAST_ABI == 3 &&
                  FFI_DEFAULT_ABI == FFI_SYSV,
              "AArch64 ffi_abi");
#endif

namespace {
ffi_type *complex_float_elements[] = {&ffi_type_float, nullptr};
ffi_type *complex_double_elements[] = {&ffi_type_double, nullptr};
ffi_type *complex_longdouble_elements[] = {&ffi_type_longdouble, nullptr};
}  // namespace

// libffi's values: void is {1, 1}; long double is the x87 80-bit type in 16 bytes on x86-64 and
// binary128 on AArch64, both 16-byte aligned (asserted above).
extern "C" {
ffi_type ffi_type_void = {1, 1, FFI_TYPE_VOID, nullptr};
ffi_type ffi_type_uint8 = {1, 1, FFI_TYPE_UINT8, nullptr};
ffi_type ffi_type_sint8 = {1, 1, FFI_TYPE_SINT8, nullptr};
ffi_type ffi_type_uint16 = {2, 2, FFI_TYPE_UINT16, nullptr};
ffi_type ffi_type_sint16 = {2, 2, FFI_TYPE_SINT16, nullptr};
ffi_type ffi_type_uint32 = {4, 4, FFI_TYPE_UINT32, nullptr};
ffi_type ffi_type_sint32 = {4, 4, FFI_TYPE_SINT32, nullptr};
ffi_type ffi_type_uint64 = {8, 8, FFI_TYPE_UINT64, nullptr};
ffi_type ffi_type_sint64 = {8, 8, FFI_TYPE_SINT64, nullptr};
ffi_type ffi_type_float = {4, 4, FFI_TYPE_FLOAT, nullptr};
ffi_type ffi_type_double = {8, 8, FFI_TYPE_DOUBLE, nullptr};
ffi_type ffi_type_pointer = {8, 8, FFI_TYPE_POINTER, nullptr};
ffi_type ffi_type_longdouble = {16, 16, FFI_TYPE_LONGDOUBLE, nullptr};
ffi_type ffi_type_complex_float = {8, 4, FFI_TYPE_COMPLEX, complex_float_elements};
ffi_type ffi_type_complex_double = {16, 8, FFI_TYPE_COMPLEX, complex_double_elements};
ffi_type ffi_type_complex_longdouble = {32, 16, FFI_TYPE_COMPLEX, complex_longdouble_elements};
ffi_type ffi_type_uint128 = {16, 16, FFI_TYPE_UINT128, nullptr};
ffi_type ffi_type_sint128 = {16, 16, FFI_TYPE_SINT128, nullptr};
}

namespace jitffi::compat {

namespace {

// Deeper than any real C type; a cycle in a client's tree stops here instead of the stack.
constexpr int kMaxDepth = 256;

std::size_t align_up(std::size_t v, std::size_t a) {
  return a ? (v + a - 1) / a * a : v;
}

// The size and alignment libffi gives each scalar code (and the jitffi kind for it).
struct ScalarInfo {
  std::size_t size;
  unsigned short align;
  TypeKind kind;
};

std::optional<ScalarInfo> scalar_info(unsigned short code) {
  switch (code) {
    case FFI_TYPE_VOID:
      return ScalarInfo{1, 1, TypeKind::Void};
    case FFI_TYPE_INT:
    case FFI_TYPE_SINT32:
      return ScalarInfo{4, 4, TypeKind::I32};
    case FFI_TYPE_UINT32:
      return ScalarInfo{4, 4, TypeKind::U32};
    case FFI_TYPE_FLOAT:
      return ScalarInfo{4, 4, TypeKind::F32};
    case FFI_TYPE_DOUBLE:
      return ScalarInfo{8, 8, TypeKind::F64};
    case FFI_TYPE_LONGDOUBLE:
      return ScalarInfo{16, 16, TypeKind::LongDouble};
    case FFI_TYPE_UINT8:
      return ScalarInfo{1, 1, TypeKind::U8};
    case FFI_TYPE_SINT8:
      return ScalarInfo{1, 1, TypeKind::I8};
    case FFI_TYPE_UINT16:
      return ScalarInfo{2, 2, TypeKind::U16};
    case FFI_TYPE_SINT16:
      return ScalarInfo{2, 2, TypeKind::I16};
    case FFI_TYPE_UINT64:
      return ScalarInfo{8, 8, TypeKind::U64};
    case FFI_TYPE_SINT64:
      return ScalarInfo{8, 8, TypeKind::I64};
    case FFI_TYPE_POINTER:
      return ScalarInfo{8, 8, TypeKind::Pointer};
    case FFI_TYPE_UINT128:
      return ScalarInfo{16, 16, TypeKind::U128};
    case FFI_TYPE_SINT128:
      return ScalarInfo{16, 16, TypeKind::I128};
    default:
      return std::nullopt;
  }
}

template <class T>
void put(std::string &key, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  key.append(b, sizeof(T));
}

}  // namespace

ffi_status initialize_aggregate(ffi_type *t, size_t *offsets, int depth) {
  if (!t || !t->elements || depth > kMaxDepth) return FFI_BAD_TYPEDEF;
  t->size = 0;
  t->alignment = 0;
  for (ffi_type **p = t->elements; *p; ++p) {
    if ((*p)->size == 0 && initialize_aggregate(*p, nullptr, depth + 1) != FFI_OK)
      return FFI_BAD_TYPEDEF;
    t->size = align_up(t->size, (*p)->alignment);
    if (offsets) *offsets++ = t->size;
    t->size += (*p)->size;
    if ((*p)->alignment > t->alignment) t->alignment = (*p)->alignment;
  }
  t->size = align_up(t->size, t->alignment);  // tail padding, as in C
  return t->size == 0 ? FFI_BAD_TYPEDEF : FFI_OK;
}

bool encode_type(const ffi_type *t, std::string &key, int depth) {
  if (!t || depth > kMaxDepth) return false;
  const unsigned short code = t->type;
  if (code != FFI_TYPE_STRUCT && code != FFI_TYPE_COMPLEX) {
    auto s = scalar_info(code);
    if (s && s->size == t->size && s->align == t->alignment) {
      key.push_back(static_cast<char>(code));
    } else {  // an unusual scalar: the real libffi will judge it, keyed by all its fields
      key.push_back(static_cast<char>(0x80 | (code & 0x3f)));
      put(key, code);
      put(key, t->size);
      put(key, t->alignment);
    }
    return true;
  }
  key.push_back(static_cast<char>(code));
  put(key, t->size);
  put(key, t->alignment);
  if (!t->elements) {
    key.push_back('\xff');
    return true;
  }
  for (ffi_type **p = t->elements; *p; ++p)
    if (!encode_type(*p, key, depth + 1)) return false;
  key.push_back('\xfe');
  return true;
}

TypeRef to_jitffi(const ffi_type *t, std::string &why, int depth) {
  if (depth > kMaxDepth) {
    why = "type nesting too deep";
    return nullptr;
  }
  if (t->type == FFI_TYPE_COMPLEX) {
    why = "complex types are served by the real libffi";
    return nullptr;
  }
  if (t->type != FFI_TYPE_STRUCT) {
    auto s = scalar_info(t->type);
    if (!s || s->size != t->size || s->align != t->alignment) {
      why = "type code " + std::to_string(t->type) + " with size " + std::to_string(t->size) +
            " and alignment " + std::to_string(t->alignment);
      return nullptr;
    }
    return s->kind == TypeKind::Pointer ? Type::pointer() : Type::scalar(s->kind);
  }
  // A struct: its elements must be its members in C layout. libffi classifies the elements at
  // the offsets they would have one after another; when that is not where the bytes are (the
  // ctypes union convention lists every member of a union, bit fields repeat their unit, packed
  // structs lower alignments), only the real libffi reproduces libffi's reading of it.
  if (!t->elements || !t->elements[0]) {
    why = "struct without elements";
    return nullptr;
  }
  std::vector<Field> fields;
  for (ffi_type **p = t->elements; *p; ++p) {
    TypeRef m = to_jitffi(*p, why, depth + 1);
    if (!m) return nullptr;
    if (m->is_void()) {
      why = "void struct element";
      return nullptr;
    }
    fields.push_back(Field{{}, std::move(m), 0});
  }
  TypeRef r;
  try {
    r = Type::struct_(std::move(fields));
  } catch (const std::exception &e) {
    why = e.what();
    return nullptr;
  }
  if (r->size() != t->size || r->align() != t->alignment) {
    why = "struct of size " + std::to_string(t->size) + ", alignment " +
          std::to_string(t->alignment) + " whose elements lay out as " + r->canonical() +
          " (size " + std::to_string(r->size()) + ", alignment " + std::to_string(r->align()) + ")";
    return nullptr;
  }
  return r;
}

ffi_type *TypeCopy::copy(const ffi_type *t) {
  ffi_type &n = nodes.emplace_back(*t);
  if (t->elements) {
    std::vector<ffi_type *> &list = lists.emplace_back();
    for (ffi_type **p = t->elements; *p; ++p) list.push_back(copy(*p));
    list.push_back(nullptr);
    n.elements = list.data();
  }
  return &n;
}

}  // namespace jitffi::compat

extern "C" ffi_status ffi_get_struct_offsets(ffi_abi abi, ffi_type *struct_type, size_t *offsets) {
  if (!(abi > FFI_FIRST_ABI && abi < FFI_LAST_ABI)) return FFI_BAD_ABI;
  if (!struct_type || struct_type->type != FFI_TYPE_STRUCT) return FFI_BAD_TYPEDEF;
  return jitffi::compat::initialize_aggregate(struct_type, offsets);
}
