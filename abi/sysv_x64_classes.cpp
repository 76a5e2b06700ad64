// x86-64 System V psABI §3.2.3: eightbyte classification (see sysv_x64_classes.h).
#include "abi/sysv_x64_classes.h"

#include <string>

#include "jitffi/backend.h"

namespace jitffi::abi::sysv {

std::string_view class_name(ArgClass c) noexcept {
  switch (c) {
    case ArgClass::NoClass:
      return "NO_CLASS";
    case ArgClass::Integer:
      return "INTEGER";
    case ArgClass::Sse:
      return "SSE";
    case ArgClass::SseUp:
      return "SSEUP";
    case ArgClass::X87:
      return "X87";
    case ArgClass::X87Up:
      return "X87UP";
    case ArgClass::ComplexX87:
      return "COMPLEX_X87";
    case ArgClass::Memory:
      return "MEMORY";
  }
  return "?";
}

ArgClass merge(ArgClass a, ArgClass b) noexcept {
  // (a) equal classes stay.
  if (a == b) return a;
  // (b) NO_CLASS yields to the other class.
  if (a == ArgClass::NoClass) return b;
  if (b == ArgClass::NoClass) return a;
  // (c) MEMORY wins.
  if (a == ArgClass::Memory || b == ArgClass::Memory) return ArgClass::Memory;
  // (d) INTEGER wins over the rest.
  if (a == ArgClass::Integer || b == ArgClass::Integer) return ArgClass::Integer;
  // (e) anything mixed with X87, X87UP or COMPLEX_X87 goes to memory.
  auto x87 = [](ArgClass c) {
    return c == ArgClass::X87 || c == ArgClass::X87Up || c == ArgClass::ComplexX87;
  };
  if (x87(a) || x87(b)) return ArgClass::Memory;
  // (f) otherwise SSE.
  return ArgClass::Sse;
}

namespace {

Classification memory() noexcept {
  Classification m;
  m.eightbyte[0] = ArgClass::Memory;
  m.count = 1;
  return m;
}

// §3.2.3 item 1: the class of part `part` (0 or 1) of a scalar leaf.
ArgClass scalar_class(const Type &t, std::size_t part) {
  switch (t.kind()) {
    case TypeKind::Bool:
    case TypeKind::I8:
    case TypeKind::U8:
    case TypeKind::I16:
    case TypeKind::U16:
    case TypeKind::I32:
    case TypeKind::U32:
    case TypeKind::I64:
    case TypeKind::U64:
    case TypeKind::Pointer:
      // _Bool, char, short, int, long, long long and pointers are INTEGER.
      return ArgClass::Integer;
    case TypeKind::I128:
    case TypeKind::U128:
      // __int128 is treated as a struct of two INTEGER eightbytes.
      return ArgClass::Integer;
    case TypeKind::F32:
    case TypeKind::F64:
      // float and double are SSE.
      return ArgClass::Sse;
    case TypeKind::LongDouble:
      // The 64-bit mantissa is X87, the exponent eightbyte X87UP.
      return part == 0 ? ArgClass::X87 : ArgClass::X87Up;
    default:
      throw UnsupportedError("sysv: cannot classify a " + std::string(kind_name(t.kind())) +
                             " leaf");
  }
}

}  // namespace

Classification post_merge(Classification c, std::size_t size) noexcept {
  bool any_sseup_missing = false;
  for (std::size_t i = 0; i < c.count; ++i) {
    // (a) one MEMORY eightbyte puts the whole argument in memory.
    if (c.eightbyte[i] == ArgClass::Memory) return memory();
    // (b) X87UP not preceded by X87: the whole argument in memory.
    if (c.eightbyte[i] == ArgClass::X87Up && (i == 0 || c.eightbyte[i - 1] != ArgClass::X87))
      return memory();
    if (i > 0 && c.eightbyte[i] != ArgClass::SseUp) any_sseup_missing = true;
  }
  // (c) over two eightbytes: only SSE followed by SSEUPs (one vector) stays in registers.
  if (size > 16 && (c.eightbyte[0] != ArgClass::Sse || any_sseup_missing)) return memory();
  // (d) SSEUP not preceded by SSE or SSEUP becomes SSE.
  for (std::size_t i = 0; i < c.count; ++i) {
    if (c.eightbyte[i] != ArgClass::SseUp) continue;
    if (i == 0 || (c.eightbyte[i - 1] != ArgClass::Sse && c.eightbyte[i - 1] != ArgClass::SseUp))
      c.eightbyte[i] = ArgClass::Sse;
  }
  return c;
}

namespace {

using Eightbytes = std::array<ArgClass, kMaxEightbytes>;

// Classifies `t`, placed at byte `off` of the outermost object, into cls[off / 8 ...]. Returns
// false when it is MEMORY. Like gcc (classify_argument in i386.cc), each member of an aggregate
// is classified on its own, with its own cleanup, before it is merged into its parent: the
// merge rules are not associative (X87UP then SSE then INTEGER gives MEMORY leaf by leaf, but
// INTEGER when the SSE and INTEGER leaves are one member), so the grouping decides.
bool classify_at(const Type &t, std::size_t off, Eightbytes &cls, bool &unaligned) {
  // Item 1: an object with unaligned fields is MEMORY.
  if (off % t.align() != 0) unaligned = true;
  const std::size_t first = off / 8, last = (off + t.size() - 1) / 8;
  if (last >= kMaxEightbytes) return false;
  switch (t.kind()) {
    case TypeKind::Struct:
    case TypeKind::Union: {
      // Item 4: each field is classified and merged into the eightbytes it occupies (union
      // members all at offset 0).
      Eightbytes mine{};
      for (const Field &f : t.fields()) {
        Eightbytes sub{};
        if (!classify_at(*f.type, off + f.offset, sub, unaligned)) return false;
        for (std::size_t i = first; i <= last; ++i) mine[i] = merge(sub[i], mine[i]);
      }
      // Item 5 (a), (b) at every level, as gcc does: MEMORY, or X87UP not preceded by X87.
      for (std::size_t i = first; i <= last; ++i) {
        if (mine[i] == ArgClass::Memory) return false;
        if (mine[i] == ArgClass::X87Up && (i == first || mine[i - 1] != ArgClass::X87))
          return false;
      }
      for (std::size_t i = first; i <= last; ++i) cls[i] = mine[i];
      return true;
    }
    case TypeKind::Array:
      // Arrays are their elements, each classified whole and merged in.
      for (std::size_t k = 0; k < t.count(); ++k) {
        Eightbytes sub{};
        if (!classify_at(*t.element(), off + k * t.element()->size(), sub, unaligned)) return false;
        for (std::size_t i = first; i <= last; ++i) cls[i] = merge(sub[i], cls[i]);
      }
      return true;
    default:
      for (std::size_t i = first; i <= last; ++i)
        cls[i] = merge(cls[i], scalar_class(t, i - first));
      return true;
  }
}

}  // namespace

Classification classify(const Type &type) {
  if (type.is_void() || type.size() == 0)
    throw UnsupportedError("sysv: cannot classify " + type.canonical() + " (no value)");
  // Item 1: objects larger than eight eightbytes are MEMORY.
  if (type.size() > kMaxEightbytes * 8) return memory();

  Classification c;
  c.count = (type.size() + 7) / 8;
  if (type.is_scalar()) {  // item 1 on the leaf itself: what classify_at gives, without the walk
    for (std::size_t i = 0; i < c.count; ++i) c.eightbyte[i] = scalar_class(type, i);
    return post_merge(c, type.size());
  }
  bool unaligned = false;
  if (!classify_at(type, 0, c.eightbyte, unaligned) || unaligned) return memory();
  return post_merge(c, type.size());
}

}  // namespace jitffi::abi::sysv
