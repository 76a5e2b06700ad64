// Helpers for the Win64, AAPCS64 and Apple arm64 plan tests: type builders and a compact plan
// notation that names registers the way the ISA does.
//
//   pieces:  "a<arg>[<offset>,<size>]<ext> <slot>"  e.g. "a0[0,1]sext rcx | a1[0,8] sp+32"
//            "a<arg> &copy@<copy_offset> <slot>"   a by-reference argument's copy
//            "sret <slot>"                           the hidden result pointer
//   results: "<slot> [<offset>,<size>]<ext>"         e.g. "v0 [0,4] | v1 [4,4]"
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "abi/call_plan.h"
#include "jitffi/signature.h"

namespace jitffi::test::notation {

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

inline abi::CallPlan plan(Abi abi, TypeRef ret, std::vector<TypeRef> params) {
  return abi::classify(Signature(abi, std::move(ret), std::move(params)));
}
inline abi::CallPlan vplan(Abi abi, TypeRef ret, std::vector<TypeRef> params, std::size_t fixed) {
  return abi::classify(Signature::variadic(abi, std::move(ret), std::move(params), fixed));
}

inline std::string slot(abi::Isa isa, const abi::Slot &s) {
  if (s.loc == abi::Loc::Stack) return "sp+" + std::to_string(s.stack_offset);
  return abi::reg_name(isa, s.loc, s.reg);
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
        out += "sret " + slot(p.isa, a.to);
        break;
      case abi::PieceKind::Address:
        // Appended piecewise: gcc 12 warns falsely (-Wrestrict) on "a" + std::string inlined.
        out += 'a';
        out += std::to_string(a.arg) + " &copy@" + std::to_string(p.args.at(a.arg).copy_offset) +
               " " + slot(p.isa, a.to);
        break;
      case abi::PieceKind::Value:
        out += 'a';
        out += std::to_string(a.arg) + "[" + std::to_string(a.offset) + "," +
               std::to_string(a.size) + "]" + ext(a.ext) + " " + slot(p.isa, a.to);
        break;
    }
  }
  return out;
}

inline std::string results(const abi::CallPlan &p) {
  std::string out;
  for (const abi::RetPiece &r : p.ret_pieces) {
    if (!out.empty()) out += " | ";
    out += slot(p.isa, r.from) + " [" + std::to_string(r.offset) + "," + std::to_string(r.size) +
           "]" + ext(r.ext);
  }
  return out;
}

}  // namespace jitffi::test::notation
