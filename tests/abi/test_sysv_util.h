// Helpers for the SysV x86-64 plan tests: type builders and a compact plan notation.
//
//   pieces:  "a<arg>[<offset>,<size>]<ext> <slot>"  e.g. "a0[0,1]sext rdi | a1[0,8] sp+0"
//            "sret rdi" for the hidden result pointer
//   results: "<slot> [<offset>,<size>]<ext>"        e.g. "xmm0 [0,8] | rax [8,8]"
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "abi/call_plan.h"
#include "jitffi/signature.h"

namespace jitffi::test::sysv {

inline TypeRef T(TypeKind k) {
  return Type::scalar(k);
}
inline TypeRef v() {
  return T(TypeKind::Void);
}
inline TypeRef b() {
  return T(TypeKind::Bool);
}
inline TypeRef i8() {
  return T(TypeKind::I8);
}
inline TypeRef u8() {
  return T(TypeKind::U8);
}
inline TypeRef i16() {
  return T(TypeKind::I16);
}
inline TypeRef u16() {
  return T(TypeKind::U16);
}
inline TypeRef i32() {
  return T(TypeKind::I32);
}
inline TypeRef u32() {
  return T(TypeKind::U32);
}
inline TypeRef i64() {
  return T(TypeKind::I64);
}
inline TypeRef u64() {
  return T(TypeKind::U64);
}
inline TypeRef i128() {
  return T(TypeKind::I128);
}
inline TypeRef u128() {
  return T(TypeKind::U128);
}
inline TypeRef f32() {
  return T(TypeKind::F32);
}
inline TypeRef f64() {
  return T(TypeKind::F64);
}
inline TypeRef ld() {
  return T(TypeKind::LongDouble);
}
inline TypeRef ptr() {
  return Type::pointer();
}

inline std::vector<Field> fields(std::initializer_list<TypeRef> members) {
  std::vector<Field> f;
  for (const TypeRef &m : members) f.push_back(Field{"", m, 0});
  return f;
}
inline TypeRef S(std::initializer_list<TypeRef> members) {
  return Type::struct_(fields(members));
}
inline TypeRef U(std::initializer_list<TypeRef> members) {
  return Type::union_(fields(members));
}
inline TypeRef A(TypeRef element, std::size_t count) {
  return Type::array(std::move(element), count);
}
// n copies of a type, for long parameter lists.
inline std::vector<TypeRef> rep(std::size_t n, const TypeRef &t) {
  return std::vector<TypeRef>(n, t);
}
inline std::vector<TypeRef> cat(std::initializer_list<std::vector<TypeRef>> parts) {
  std::vector<TypeRef> all;
  for (const auto &p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

inline abi::CallPlan plan(TypeRef ret, std::vector<TypeRef> params) {
  return abi::classify_sysv_x64(Signature(Abi::SysV_x64, std::move(ret), std::move(params)));
}
inline abi::CallPlan vplan(TypeRef ret, std::vector<TypeRef> params, std::size_t fixed) {
  return abi::classify_sysv_x64(
      Signature::variadic(Abi::SysV_x64, std::move(ret), std::move(params), fixed));
}

inline std::string slot(const abi::Slot &s) {
  if (s.loc == abi::Loc::Stack) return "sp+" + std::to_string(s.stack_offset);
  return abi::reg_name(abi::Isa::X64, s.loc, s.reg);
}
inline const char *ext(abi::Ext e) {
  return e == abi::Ext::Sign ? "sext" : e == abi::Ext::Zero ? "zext" : "";
}

inline std::string pieces(const abi::CallPlan &p) {
  std::string out;
  for (const abi::ArgPiece &a : p.pieces) {
    if (!out.empty()) out += " | ";
    switch (a.kind) {
      case abi::PieceKind::SretPtr:
        out += "sret " + slot(a.to);
        break;
      case abi::PieceKind::Address:
        out += "a" + std::to_string(a.arg) + " &copy " + slot(a.to);
        break;
      case abi::PieceKind::Value:
        out += "a" + std::to_string(a.arg) + "[" + std::to_string(a.offset) + "," +
               std::to_string(a.size) + "]" + ext(a.ext) + " " + slot(a.to);
        break;
    }
  }
  return out;
}

inline std::string results(const abi::CallPlan &p) {
  std::string out;
  for (const abi::RetPiece &r : p.ret_pieces) {
    if (!out.empty()) out += " | ";
    out += slot(r.from) + " [" + std::to_string(r.offset) + "," + std::to_string(r.size) + "]" +
           ext(r.ext);
  }
  return out;
}

}  // namespace jitffi::test::sysv
