// jitffi Types as libffi ffi_types.
//
// libffi has no union, array or 128-bit integer type. Every aggregate (and i128/u128) is handed
// to libffi as an FFI_TYPE_STRUCT whose size and alignment we preset: libffi only computes them
// (initialize_aggregate) when size is 0, so a preset struct keeps the C layout exactly, while its
// element list exists only to steer libffi's classifier.
//
// x86-64 SysV: we classify the type with the JIT's SysV classifier (psABI §3.2.3, members
// classified and merged the way gcc groups them), then give libffi
// elements that its classify_argument() maps to the same classes: an INTEGER eightbyte becomes a
// u64 (or the tail's bytes as u8), an SSE eightbyte a double (or a float for a 4-byte tail), a
// MEMORY aggregate a marker element that libffi reads as MEMORY, and an aggregate that is just a
// long double (classes X87, X87UP) libffi's own long double, which it returns in st(0) as gcc
// does (libffi mis-returns such a struct through rax:rdx). CPython's ctypes instead lists a
// union's members one after another, which libffi then classifies at the wrong offsets.
//
// Other ABIs (Win64, and AArch64 hosts): Win64 passes aggregates by size alone, so any elements
// of the right total do. For AArch64 we expand arrays into repeated elements (as ctypes does) and
// turn a union into N copies of its float type when every leaf is that one float type (an HFA by
// AAPCS64 §5.9.5, as gcc's aapcs_vfp_sub_candidate counts it: a union counts as its largest
// member, no padding) or into integer words otherwise (a composite: GPRs up to 16 bytes, else by
// reference); i128 is two words aligned 16. libffi's is_vfp_type then classifies as gcc does;
// the even register pair (C.8) libffi lacks is added in libffi_backend.cpp. Checked against gcc
// under qemu-aarch64 by the call tests and the differential suite.
#include "fallback/ffi_types.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "abi/sysv_x64_classes.h"
#include "jitffi/backend.h"

namespace jitffi::detail::ffi {

namespace {

// An ffi_type we built, with storage for its element list.
struct Built {
  ffi_type type{};
  std::vector<ffi_type *> elements;
};

// libffi's x86-64 classify_argument() returns "memory" for any struct larger than 32 bytes before
// looking at its elements; as an element this marks its parent as MEMORY.
ffi_type *memory_marker() {
  static ffi_type *elems[] = {&ffi_type_uint8, nullptr};
  static ffi_type marker = {64, 1, FFI_TYPE_STRUCT, elems};
  return &marker;
}

enum class Cls : std::uint8_t { None, Integer, Sse, X87, X87Up, Memory };

// The classes of the (at most two) eightbytes, or {Memory} for an aggregate passed in memory:
// the SysV classifier's own answer (abi/sysv_x64_classes), so libffi and the JIT cannot differ.
std::vector<Cls> classify_sysv(const Type &t) {
  if (t.size() > 16) return {Cls::Memory};  // §3.2.3 post-merger (c): over two eightbytes
  const abi::sysv::Classification c = abi::sysv::classify(t);
  if (c.in_memory()) return {Cls::Memory};
  std::vector<Cls> cls;
  for (std::size_t i = 0; i < c.count; ++i) {
    switch (c.eightbyte[i]) {
      case abi::sysv::ArgClass::Integer:
        cls.push_back(Cls::Integer);
        break;
      case abi::sysv::ArgClass::Sse:
      case abi::sysv::ArgClass::SseUp:
        cls.push_back(Cls::Sse);
        break;
      case abi::sysv::ArgClass::X87:
        cls.push_back(Cls::X87);
        break;
      case abi::sysv::ArgClass::X87Up:
        cls.push_back(Cls::X87Up);
        break;
      case abi::sysv::ArgClass::NoClass:
        cls.push_back(Cls::None);
        break;
      default:
        return {Cls::Memory};
    }
  }
  return cls;
}

std::unique_ptr<Built> preset(const Type &t) {
  auto b = std::make_unique<Built>();
  b->type.size = t.size();
  b->type.alignment = static_cast<unsigned short>(t.align());
  b->type.type = FFI_TYPE_STRUCT;
  return b;
}

void finish(Built &b) {
  b.elements.push_back(nullptr);
  b.type.elements = b.elements.data();
}

// x86-64 SysV: elements that libffi classifies exactly as the psABI classifies `t`.
ffi_type *build_sysv(const Type &t, std::unique_ptr<Built> &out) {
  std::vector<Cls> cls = classify_sysv(t);
  if (cls.size() == 2 && cls[0] == Cls::X87 && cls[1] == Cls::X87Up) return &ffi_type_longdouble;
  out = preset(t);
  if (cls[0] == Cls::Memory) {
    out->elements.push_back(memory_marker());
  } else {
    for (std::size_t i = 0; i < cls.size(); ++i) {
      std::size_t n = std::min<std::size_t>(8, t.size() - 8 * i);
      if (cls[i] == Cls::Sse) {
        out->elements.push_back(n == 8 ? &ffi_type_double : &ffi_type_float);
      } else if (n == 8) {
        out->elements.push_back(&ffi_type_uint64);
      } else {
        for (std::size_t k = 0; k < n; ++k) out->elements.push_back(&ffi_type_uint8);
      }
    }
  }
  finish(*out);
  return &out->type;
}

ffi_type *scalar(TypeKind k) {
  switch (k) {
    case TypeKind::Void:
      return &ffi_type_void;
    case TypeKind::Bool:
    case TypeKind::U8:
      return &ffi_type_uint8;
    case TypeKind::I8:
      return &ffi_type_sint8;
    case TypeKind::I16:
      return &ffi_type_sint16;
    case TypeKind::U16:
      return &ffi_type_uint16;
    case TypeKind::I32:
      return &ffi_type_sint32;
    case TypeKind::U32:
      return &ffi_type_uint32;
    case TypeKind::I64:
      return &ffi_type_sint64;
    case TypeKind::U64:
      return &ffi_type_uint64;
    case TypeKind::F32:
      return &ffi_type_float;
    case TypeKind::F64:
      return &ffi_type_double;
    case TypeKind::LongDouble:
      return &ffi_type_longdouble;
    case TypeKind::Pointer:
      return &ffi_type_pointer;
    default:
      return nullptr;
  }
}

// Integer words (u64, then the tail as bytes) covering `size` bytes.
void integer_words(std::size_t size, std::vector<ffi_type *> &out) {
  for (std::size_t i = 0; i + 8 <= size; i += 8) out.push_back(&ffi_type_uint64);
  for (std::size_t i = size / 8 * 8; i < size; ++i) out.push_back(&ffi_type_uint8);
}

struct Cache;
ffi_type *build_generic(const Type &t, Abi abi, Cache &cache, std::unique_ptr<Built> &out);

// Every built type, keyed by "<abi>:<canonical>"; entries are never removed.
struct Cache {
  std::mutex mu;
  std::map<std::string, std::unique_ptr<Built>, std::less<>> built;
  std::map<std::string, ffi_type *, std::less<>> found;  // includes non-owned (scalars)

  ffi_type *get(const Type &t, Abi abi) {
    if (ffi_type *s = scalar(t.kind())) return s;
    std::string key = std::string(abi_name(abi)) + ":" + t.canonical();
    if (auto it = found.find(key); it != found.end()) return it->second;
    std::unique_ptr<Built> b;
    ffi_type *r = abi == Abi::SysV_x64 ? build_sysv(t, b) : build_generic(t, abi, *this, b);
    if (b) built.emplace(key, std::move(b));
    found.emplace(std::move(key), r);
    return r;
  }
};

// Elements for an aggregate member list (arrays expanded, nested aggregates by their own type).
void append_member(const Type &m, Abi abi, Cache &cache, std::vector<ffi_type *> &out) {
  if (m.kind() == TypeKind::Array) {
    for (std::size_t i = 0; i < m.count(); ++i) append_member(*m.element(), abi, cache, out);
  } else {
    out.push_back(cache.get(m, abi));
  }
}

ffi_type *build_generic(const Type &t, Abi abi, Cache &cache, std::unique_ptr<Built> &out) {
  auto b = preset(t);
  std::vector<ffi_type *> elems;
  if (t.kind() == TypeKind::Struct) {
    for (const Field &f : t.fields()) append_member(*f.type, abi, cache, elems);
  } else if (t.kind() == TypeKind::Union) {
    // A union of one float kind only is a homogeneous aggregate of that kind (AAPCS64 §5.9.5).
    TypeKind fk = TypeKind::Void;
    for (TypeKind k : {TypeKind::F32, TypeKind::F64, TypeKind::LongDouble})
      if (t.leaf_kinds() == (std::uint32_t{1} << static_cast<unsigned>(k))) fk = k;
    const bool same_float = fk != TypeKind::Void;
    const Type &ft = *Type::scalar(same_float ? fk : TypeKind::U8);
    if (same_float && t.size() % ft.size() == 0) {
      for (std::size_t i = 0; i < t.size() / ft.size(); ++i) elems.push_back(scalar(fk));
    } else {
      integer_words(t.size(), elems);
    }
  } else {  // i128/u128: two integer words, alignment 16 preset
    integer_words(t.size(), elems);
  }
  b->elements = std::move(elems);
  finish(*b);
  out = std::move(b);
  return &out->type;
}

Cache &cache() {
  static Cache c;
  return c;
}

}  // namespace

SysvRegs sysv_regs(const Type &t) {
  SysvRegs r;
  if (t.is_scalar() && t.kind() != TypeKind::I128 && t.kind() != TypeKind::U128) {
    if (t.kind() == TypeKind::LongDouble)
      r.memory = true;  // §3.2.3: X87 arguments go in memory
    else if (t.is_float())
      r.nsse = 1;
    else
      r.ngpr = 1;
    return r;
  }
  std::vector<Cls> cls = classify_sysv(t);
  for (Cls c : cls) {
    if (c == Cls::Memory || c == Cls::X87 || c == Cls::X87Up) r.memory = true;
    if (c == Cls::Sse) r.nsse++;
    if (c == Cls::Integer) r.ngpr++;
  }
  r.int_then_sse = cls.size() == 2 && cls[0] == Cls::Integer && cls[1] == Cls::Sse;
  return r;
}

bool sysv_ret_in_memory(const Type &t) {
  // Scalars (also i128, INTEGER twice) come back in registers; sysv_regs() counts an X87 value
  // as memory, which holds for arguments only (§3.2.3: X87 classes are returned in st0).
  return t.is_aggregate() && classify_sysv(t)[0] == Cls::Memory;
}

namespace {

// The first scalar leaf of an aggregate (nested structs entered, empty ones skipped), or null.
const ffi_type *first_leaf(const ffi_type *t) {
  for (ffi_type **e = t->elements; e && *e; ++e) {
    if ((*e)->type != FFI_TYPE_STRUCT) return *e;
    if (const ffi_type *l = first_leaf(*e)) return l;
  }
  return nullptr;
}

bool all_leaves_are(const ffi_type *t, unsigned short kind) {
  for (ffi_type **e = t->elements; e && *e; ++e) {
    if ((*e)->type == FFI_TYPE_STRUCT ? !all_leaves_are(*e, kind) : (*e)->type != kind)
      return false;
  }
  return true;
}

bool is_float_kind(unsigned short k) {
  return k == FFI_TYPE_FLOAT || k == FFI_TYPE_DOUBLE || k == FFI_TYPE_LONGDOUBLE;
}

}  // namespace

bool a64_is_vfp(const ffi_type *t) {
  if (is_float_kind(t->type)) return true;
  // libffi: no HFA is under 4 or over 64 bytes; its leaves are 1 to 4 copies of one float type.
  if (t->type != FFI_TYPE_STRUCT || t->size < 4 || t->size > 64) return false;
  const ffi_type *leaf = first_leaf(t);
  if (!leaf || !is_float_kind(leaf->type) || t->size % leaf->size != 0) return false;
  return t->size / leaf->size <= 4 && all_leaves_are(t, leaf->type);
}

std::optional<ffi_abi> ffi_abi_for(Abi abi) noexcept {
  if (abi == host_abi()) return FFI_DEFAULT_ABI;
#if defined(__x86_64__) && !defined(_WIN32)
  if (abi == Abi::Win64) return FFI_WIN64;
#endif
  return std::nullopt;
}

std::string unsupported_reason(const Type &type, Abi abi) {
  if (!ffi_abi_for(abi))
    return "the libffi back end cannot call the " + std::string(abi_name(abi)) +
           " ABI on this host (" + std::string(abi_name(host_abi())) + ")";
  // libffi needs an ffi_type element per member, which for an array means one per element (and
  // ffi_call copies a by-value argument onto its own stack): bounded, so that preparing a
  // call costs no more than a sane argument would.
  if (type.is_aggregate() && type.size() > kMaxByValueBytes)
    return "the libffi back end passes aggregates of at most " + std::to_string(kMaxByValueBytes) +
           " bytes (1 MiB) by value; " + type.canonical() + " has " + std::to_string(type.size()) +
           " bytes (pass a pointer)";
  const bool wide = type.contains(TypeKind::I128) || type.contains(TypeKind::U128);
  // 128-bit integers are two words aligned to 16, checked against gcc on SysV and on AAPCS64
  // (where the back end adds the even-register-pair rule libffi lacks); Win64 (gcc passes
  // __int128 by reference and returns it in xmm0) and Apple arm64 are not checked.
  if (wide && abi != Abi::SysV_x64 && abi != Abi::AAPCS64)
    return "128-bit integers (" + type.canonical() +
           ") are not supported by the libffi back end on " + std::string(abi_name(abi));
  return {};
}

ffi_type *ffi_type_for(const Type &type, Abi abi) {
  if (std::string why = unsupported_reason(type, abi); !why.empty()) throw UnsupportedError(why);
  Cache &c = cache();
  std::lock_guard lock(c.mu);
  return c.get(type, abi);
}

}  // namespace jitffi::detail::ffi
