// CallPlan helpers: ISA of an ABI, register names, the readable listing, and dispatch.
#include "abi/call_plan.h"

#include <cstdio>

namespace jitffi::abi {

Isa isa_of(Abi abi) noexcept {
  return abi == Abi::SysV_x64 || abi == Abi::Win64 ? Isa::X64 : Isa::A64;
}

std::string reg_name(Isa isa, Loc loc, unsigned reg) {
  static const char *const kX64[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                     "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  // (Appending to a std::string avoids gcc 12's false -Wrestrict on "literal" + string.)
  std::string name;
  switch (loc) {
    case Loc::Gpr:
      if (isa == Isa::X64 && reg < 16) return kX64[reg];
      if (isa == Isa::A64 && reg == 31) return "sp";
      name = isa == Isa::X64 ? "r?" : "x";
      break;
    case Loc::Vec:
      name = isa == Isa::X64 ? "xmm" : "v";
      break;
    case Loc::X87:
      name = "st";
      break;
    case Loc::Stack:
      return "stack";
  }
  name += std::to_string(reg);
  return name;
  return "?";
}

namespace {

const char *ext_name(Ext e) {
  return e == Ext::Sign ? " sext" : e == Ext::Zero ? " zext" : "";
}

std::string slot_name(Isa isa, const Slot &s) {
  if (s.loc == Loc::Stack) return "[sp+" + std::to_string(s.stack_offset) + "]";
  return reg_name(isa, s.loc, s.reg);
}

}  // namespace

std::string CallPlan::describe() const {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line,
                "abi %s, %zu args%s, stack %u bytes (shadow %u), copies %u bytes%s\n",
                std::string(abi_name(abi)).c_str(), args.size(), variadic ? " (variadic)" : "",
                stack_bytes, shadow_bytes, copy_bytes,
                vector_count >= 0 ? (", al=" + std::to_string(vector_count)).c_str() : "");
  out += line;
  for (const ArgPiece &p : pieces) {
    switch (p.kind) {
      case PieceKind::Value:
        std::snprintf(line, sizeof line, "  arg%-2u +%-3u %2u bytes%s -> %s\n", p.arg, p.offset,
                      p.size, ext_name(p.ext), slot_name(isa, p.to).c_str());
        break;
      case PieceKind::Address:
        std::snprintf(line, sizeof line, "  arg%-2u copy at +%u, address -> %s\n", p.arg,
                      args[p.arg].copy_offset, slot_name(isa, p.to).c_str());
        break;
      case PieceKind::SretPtr:
        std::snprintf(line, sizeof line, "  ret pointer -> %s\n", slot_name(isa, p.to).c_str());
        break;
    }
    out += line;
  }
  switch (ret_kind) {
    case RetKind::Void:
      out += "  returns void\n";
      break;
    case RetKind::Memory:
      out += "  returns in memory (" + std::to_string(ret_size) + " bytes)";
      if (sret_returned_in >= 0)
        out += ", pointer back in " + reg_name(isa, Loc::Gpr, unsigned(sret_returned_in));
      out += "\n";
      break;
    case RetKind::Regs:
      for (const RetPiece &r : ret_pieces) {
        std::snprintf(line, sizeof line, "  ret +%-3u %2u bytes%s <- %s\n", r.offset, r.size,
                      ext_name(r.ext), slot_name(isa, r.from).c_str());
        out += line;
      }
      break;
  }
  return out;
}

namespace {

CallPlan classify_for_abi(const Signature &sig) {
  switch (sig.abi()) {
    case Abi::SysV_x64:
      return classify_sysv_x64(sig);
    case Abi::Win64:
      return classify_win64(sig);
    case Abi::AAPCS64:
    case Abi::Apple_arm64:
    case Abi::Windows_arm64:
      return classify_aapcs64(sig);
  }
  throw UnsupportedError("unknown ABI");
}

}  // namespace

CallPlan classify(const Signature &sig) {
  CallPlan plan = classify_for_abi(sig);
  // Not an ABI rule: how the slot entry hands each argument over (slot_holds_value).
  const auto &params = sig.params();
  for (std::size_t i = 0; i < plan.args.size() && i < params.size(); ++i)
    plan.args[i].slot_value = slot_holds_value(*params[i]);
  return plan;
}

ValueShape value_shape(const CallPlan &plan) noexcept {
  ValueShape s;
  if (plan.ret_kind == RetKind::Void) {
    s.kind = ValueShape::Void;
    return s;
  }
  if (plan.ret_kind != RetKind::Regs || plan.ret_pieces.empty() || plan.ret_pieces.size() > 2)
    return s;
  char cls[2] = {0, 0};
  for (std::size_t i = 0; i < plan.ret_pieces.size(); ++i) {
    const RetPiece &r = plan.ret_pieces[i];
    if (r.size == 0 || r.offset > 255) return s;
    switch (r.from.loc) {
      case Loc::Gpr:
        if (r.size > 8) return s;
        cls[i] = 'G';
        break;
      case Loc::Vec:
        if (r.size > 8) return s;
        cls[i] = 'V';
        break;
      case Loc::X87:
        if (plan.ret_pieces.size() != 1) return s;
        cls[i] = 'X';
        break;
      case Loc::Stack:
        return s;
    }
    s.offset[i] = std::uint8_t(r.offset);
    s.size[i] = std::uint8_t(r.from.loc == Loc::X87 ? 16 : r.size);
  }
  // The registers must be the ones a host caller reads for these members: the first and second
  // general register (rax/rdx, x0/x1) and vector register (xmm0/xmm1, v0/v1) in order.
  unsigned ng = 0, nv = 0;
  for (std::size_t i = 0; i < plan.ret_pieces.size(); ++i) {
    const RetPiece &r = plan.ret_pieces[i];
    if (cls[i] == 'G') {
      static const unsigned kX64[] = {0, 2};  // rax, rdx
      const unsigned want = plan.isa == Isa::X64 ? kX64[ng] : ng;
      if (r.from.reg != want) return s;
      ++ng;
    } else if (cls[i] == 'V') {
      if (r.from.reg != nv) return s;
      ++nv;
    }
  }
  s.count = std::uint8_t(plan.ret_pieces.size());
  s.packed = true;
  for (unsigned i = 0; i < s.count; ++i) s.packed &= s.offset[i] == 8 * i;
  const std::string_view k(cls, s.count);
  s.kind = k == "G"    ? ValueShape::G
           : k == "V"  ? ValueShape::V
           : k == "X"  ? ValueShape::X
           : k == "GG" ? ValueShape::GG
           : k == "VV" ? ValueShape::VV
           : k == "GV" ? ValueShape::GV
                       : ValueShape::VG;
  return s;
}

Ext narrow_arg_ext(const Type &t) noexcept {
  if (!t.is_integer() || t.size() > 2) return Ext::None;
  return t.is_signed() ? Ext::Sign : Ext::Zero;
}

Ext narrow_result_ext(const Type &t) noexcept {
  if (!t.is_integer() || t.size() >= 8) return Ext::None;
  return t.is_signed() ? Ext::Sign : Ext::Zero;
}

}  // namespace jitffi::abi
