// Win64 (Microsoft x64) classifier: Signature -> CallPlan.
//
// Rules from Microsoft's "x64 calling convention" (sections "Parameter passing", "Varargs",
// "Return values"); where GCC's __attribute__((ms_abi)) differs from that document (it is the
// judge of the differential suite), GCC wins and the line says so.
#include <cstdint>
#include <string>

#include "abi/call_plan.h"

namespace jitffi::abi {

namespace {

constexpr unsigned kRegSlots = 4;      // "the first four arguments": RCX/RDX/R8/R9, XMM0-3
constexpr std::uint32_t kShadow = 32;  // home space for the four register arguments
constexpr std::uint8_t kGprs[kRegSlots] = {1, 2, 8, 9};  // rcx, rdx, r8, r9
constexpr std::uint8_t kRax = 0;

// "Structs and unions of size 8, 16, 32, or 64 bits ... are passed as if they were integers of
// the same size"; every other size goes by reference.
bool fits_integer(std::size_t size) {
  return size == 1 || size == 2 || size == 4 || size == 8;
}

// GCC gives a struct whose only leaf is one float/double (through nested structs and
// one-element arrays, not unions) the float's machine mode, and then passes it as an unnamed
// (variadic) argument in both registers like a plain double (gcc i386.cc function_arg_ms_64).
// MSVC does not duplicate it, but the extra XMM copy is harmless to an MSVC callee.
bool has_float_mode(const Type &t) {
  switch (t.kind()) {
    case TypeKind::F32:
    case TypeKind::F64:
      return true;
    case TypeKind::Struct:
      return t.fields().size() == 1 && t.fields()[0].type->size() == t.size() &&
             has_float_mode(*t.fields()[0].type);
    case TypeKind::Array:
      return t.count() == 1 && has_float_mode(*t.element());
    default:
      return false;
  }
}

class Win64Classifier {
 public:
  explicit Win64Classifier(const Signature &sig) : sig_(sig) {
    plan_.abi = Abi::Win64;
    plan_.isa = Isa::X64;
    plan_.variadic = sig.is_variadic();
    plan_.fixed_count = static_cast<std::uint32_t>(sig.fixed_count());
    plan_.shadow_bytes = kShadow;
  }

  CallPlan run() {
    if (sig_.params().size() > 0xffff)
      throw UnsupportedError("win64: more than 65535 arguments in " + sig_.canonical());
    classify_result();
    for (std::size_t i = 0; i < sig_.params().size(); ++i)
      classify_arg(static_cast<std::uint16_t>(i), *sig_.params()[i], i >= sig_.fixed_count());
    // The caller always allocates the 32-byte home area, even for fewer than four arguments;
    // the stack pointer stays 16-byte aligned at the call ("Stack allocation").
    const std::uint32_t stack_slots = next_slot_ > kRegSlots ? next_slot_ - kRegSlots : 0;
    plan_.stack_bytes = align_up(kShadow + 8 * stack_slots, 16);
    if (plan_.stack_bytes + plan_.copy_bytes > kMaxFrameBytes)
      throw UnsupportedError("win64: " + sig_.canonical() + " needs " +
                             std::to_string(plan_.stack_bytes + plan_.copy_bytes) +
                             " bytes of arguments and copies; the limit is " +
                             std::to_string(kMaxFrameBytes));
    return std::move(plan_);
  }

 private:
  // Each argument takes the next positional slot: register slot i or the stack after the home
  // area, 8 bytes per slot ("Parameter passing").
  struct Position {
    bool in_reg;
    unsigned index;
  };
  Position take_slot() {
    unsigned s = next_slot_++;
    return {s < kRegSlots, s};
  }
  static Slot gpr_or_stack(Position p) {
    if (p.in_reg) return {Loc::Gpr, kGprs[p.index], 0};
    return {Loc::Stack, 0, kShadow + 8 * (p.index - kRegSlots)};
  }
  static Slot xmm_or_stack(Position p) {
    if (p.in_reg) return {Loc::Vec, static_cast<std::uint8_t>(p.index), 0};
    return gpr_or_stack(p);
  }

  void value(std::uint16_t arg, std::uint32_t size, Ext ext, Slot to) {
    plan_.pieces.push_back({PieceKind::Value, arg, 0, size, ext, to});
  }

  void classify_result() {
    const Type &t = *sig_.ret();
    if (t.size() > UINT32_MAX)
      throw UnsupportedError("win64: the result of " + sig_.canonical() + " is too large");
    plan_.ret_size = static_cast<std::uint32_t>(t.size());
    const auto size = static_cast<std::uint32_t>(t.size());
    switch (t.kind()) {
      case TypeKind::Void:
        plan_.ret_kind = RetKind::Void;
        plan_.ret_size = 0;
        return;
      case TypeKind::F32:
      case TypeKind::F64:
        // "floating-point return values ... are returned in XMM0".
        return ret_reg({Loc::Vec, 0, 0}, size, Ext::None);
      case TypeKind::I128:
      case TypeKind::U128:
        // GCC ms_abi returns a 16-byte integer in XMM0, like __m128 (i386.cc
        // function_value_ms_64); MSVC has no __int128.
        return ret_reg({Loc::Vec, 0, 0}, 16, Ext::None);
      case TypeKind::LongDouble:
        throw UnsupportedError("win64: long double is double on win64 (in " + sig_.canonical() +
                               ")");
      case TypeKind::Struct:
      case TypeKind::Union:
        // "User-defined types ... of length 1, 2, 4, 8 ... are returned in RAX", even when all
        // members are floats; otherwise the caller passes a buffer in RCX and gets it back in RAX.
        if (fits_integer(t.size())) return ret_reg({Loc::Gpr, kRax, 0}, size, Ext::None);
        plan_.ret_kind = RetKind::Memory;
        plan_.sret_returned_in = kRax;
        plan_.pieces.push_back({PieceKind::SretPtr, 0, 0, 8, Ext::None, gpr_or_stack(take_slot())});
        return;
      default: {
        // Scalars up to 64 bits in RAX; narrow ones widened into an 8-byte ffi_arg like libffi.
        const Ext ext = narrow_result_ext(t);
        if (ext != Ext::None) plan_.ret_size = 8;
        return ret_reg({Loc::Gpr, kRax, 0}, size, ext);
      }
    }
  }

  void ret_reg(Slot from, std::uint32_t size, Ext ext) {
    plan_.ret_kind = RetKind::Regs;
    plan_.ret_pieces.push_back({from, 0, size, ext});
  }

  void classify_arg(std::uint16_t arg, const Type &t, bool vararg) {
    if (t.size() > kMaxFrameBytes)
      throw UnsupportedError("win64: parameter " + std::to_string(arg + 1) + " of " +
                             sig_.canonical() + " is larger than " +
                             std::to_string(kMaxFrameBytes) + " bytes");
    ArgInfo info;
    info.size = static_cast<std::uint32_t>(t.size());
    info.align = static_cast<std::uint32_t>(t.align());
    plan_.args.push_back(info);
    const Position pos = take_slot();
    switch (t.kind()) {
      case TypeKind::F32:
      case TypeKind::F64:
        // "For floating-point values only, both the integer and the floating-point register
        // will contain the float value" for varargs. The GPR piece comes last, so an upcall keeps
        // the integer register's copy, which is the one an MSVC caller must fill.
        value(arg, info.size, Ext::None, xmm_or_stack(pos));
        if (vararg && pos.in_reg) value(arg, info.size, Ext::None, gpr_or_stack(pos));
        return;
      case TypeKind::LongDouble:
        throw UnsupportedError("win64: long double is double on win64 (parameter " +
                               std::to_string(arg + 1) + " of " + sig_.canonical() + ")");
      case TypeKind::I128:
      case TypeKind::U128:
        // 16 bytes is not 1/2/4/8: by reference, as GCC ms_abi does (i386.cc
        // ix86_pass_by_reference: msize != 1, 2, 4, 8).
        return by_reference(arg, pos);
      case TypeKind::Struct:
      case TypeKind::Union:
        if (!fits_integer(t.size())) return by_reference(arg, pos);
        // Passed "as if they were integers of the same size", in the slot's GPR.
        if (vararg && pos.in_reg && has_float_mode(t))
          value(arg, info.size, Ext::None, xmm_or_stack(pos));
        return value(arg, info.size, Ext::None, gpr_or_stack(pos));
      case TypeKind::Void:
      case TypeKind::Array:
        throw UnsupportedError("win64: parameter " + std::to_string(arg + 1) + " of " +
                               sig_.canonical() + " cannot be passed by value");
      default:
        // Integers and pointers up to 64 bits in the slot's GPR, narrow ones widened.
        return value(arg, info.size, narrow_arg_ext(t), gpr_or_stack(pos));
    }
  }

  // "Any argument that doesn't fit in 8 bytes, or isn't 1, 2, 4, or 8 bytes, must be passed by
  // reference": the caller copies it to 16-byte-aligned memory and passes the copy's address.
  void by_reference(std::uint16_t arg, Position pos) {
    ArgInfo &info = plan_.args[arg];
    info.by_reference = true;
    info.copy_offset = plan_.copy_bytes;
    plan_.copy_bytes += align_up(info.size, 16);
    plan_.pieces.push_back({PieceKind::Address, arg, 0, 8, Ext::None, gpr_or_stack(pos)});
  }

  const Signature &sig_;
  CallPlan plan_;
  unsigned next_slot_ = 0;
};

}  // namespace

CallPlan classify_win64(const Signature &sig) {
  return Win64Classifier(sig).run();
}

}  // namespace jitffi::abi
