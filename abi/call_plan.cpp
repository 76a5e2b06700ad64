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

CallPlan classify(const Signature &sig) {
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

Ext narrow_arg_ext(const Type &t) noexcept {
  if (!t.is_integer() || t.size() > 2) return Ext::None;
  return t.is_signed() ? Ext::Sign : Ext::Zero;
}

Ext narrow_result_ext(const Type &t) noexcept {
  if (!t.is_integer() || t.size() >= 8) return Ext::None;
  return t.is_signed() ? Ext::Sign : Ext::Zero;
}

}  // namespace jitffi::abi
