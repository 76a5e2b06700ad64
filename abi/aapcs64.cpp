// AAPCS64 classifier (Arm IHI 0055, "Parameter passing", stages A-C) with two policy flags:
// Apple's arm64 variant ("Writing ARM64 code for Apple platforms") and Windows on ARM64
// (Microsoft's "Overview of ARM64 ABI conventions", cited below as [MS]): Signature -> CallPlan.
//
// Rule numbers are those of the 2023Q3 AAPCS64 (C.1-C.17); clang --target=aarch64-linux-gnu /
// arm64-apple-macos was used to confirm each case the tests cover. [MS] quotes an older AAPCS64
// whose stage C has 15 rules (its C.12-C.15 are the 2023Q3 C.14-C.17); where [MS] is cited, its
// own numbers are used. tests/abi_oracle compares the Windows plans with clang's
// aarch64-pc-windows-msvc on a generated set of signatures.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "abi/call_plan.h"

namespace jitffi::abi {

namespace {

constexpr unsigned kArgRegs = 8;  // x0-x7 and v0-v7
constexpr std::uint8_t kX8 = 8;   // indirect result location register
constexpr unsigned kMaxHfa = 4;   // "a Homogeneous Aggregate ... with up to four members"

struct Hfa {
  std::uint32_t member_size = 0;  // 4 (float), 8 (double), 16 (quad / long double)
  unsigned count = 0;             // 1..4
};

// Counts the uniquely addressable floating-point members of `t` (nested structs and arrays
// flattened; a union counts as its largest member), or -1 when `t` is not homogeneous.
// This is GCC's aapcs_vfp_sub_candidate and LLVM's isHomogeneousAggregate: every leaf must have
// the same base type, and the type must have no padding (size == count * base size).
int count_members(const Type &t, TypeKind &base) {
  int count = 0;
  switch (t.kind()) {
    case TypeKind::F32:
    case TypeKind::F64:
    case TypeKind::LongDouble:
      if (base == TypeKind::Void) base = t.kind();
      return base == t.kind() ? 1 : -1;
    case TypeKind::Array: {
      // The element is counted once; over kMaxHfa members it is no HFA, whatever the count.
      const int c = count_members(*t.element(), base);
      if (c < 0 || t.count() > kMaxHfa) return -1;
      count = c * static_cast<int>(t.count());
      break;
    }
    case TypeKind::Struct:
    case TypeKind::Union:
      for (const Field &f : t.fields()) {
        const int c = count_members(*f.type, base);
        if (c < 0) return -1;
        count = t.kind() == TypeKind::Struct ? count + c : std::max(count, c);
        if (count > static_cast<int>(kMaxHfa)) return -1;  // no HFA: stop early
      }
      break;
    default:
      return -1;
  }
  if (base == TypeKind::Void || t.size() != count * Type::scalar(base)->size()) return -1;
  return count;
}

// "Homogeneous Floating-point Aggregate": a composite of 1 to 4 members of one float type.
std::optional<Hfa> hfa_of(const Type &t) {
  if (!t.is_aggregate()) return std::nullopt;
  TypeKind base = TypeKind::Void;
  const int count = count_members(t, base);
  if (count < 1 || count > static_cast<int>(kMaxHfa)) return std::nullopt;
  return Hfa{static_cast<std::uint32_t>(Type::scalar(base)->size()), static_cast<unsigned>(count)};
}

class Aapcs64Classifier {
 public:
  explicit Aapcs64Classifier(const Signature &sig)
      : sig_(sig),
        apple_(sig.abi() == Abi::Apple_arm64),
        // [MS] "Addendum: Variadic functions" covers every argument of a variadic function, the
        // named ones too (clang: IsWinVariadic is a property of the function, not the argument).
        windows_variadic_(sig.abi() == Abi::Windows_arm64 && sig.is_variadic()) {
    plan_.abi = sig.abi();
    plan_.isa = Isa::A64;
    plan_.variadic = sig.is_variadic();
    plan_.fixed_count = static_cast<std::uint32_t>(sig.fixed_count());
  }

  CallPlan run() {
    if (sig_.params().size() > 0xffff)
      throw UnsupportedError(std::string(abi_name(sig_.abi())) + ": more than 65535 arguments in " +
                             sig_.canonical());
    // Stage A: NGRN = NSRN = 0, NSAA = SP (members, zero-initialised).
    classify_result();
    for (std::size_t i = 0; i < sig_.params().size(); ++i) {
      const auto arg = static_cast<std::uint16_t>(i);
      const Type &t = *sig_.params()[i];
      check_type(t, "parameter " + std::to_string(i + 1));
      plan_.args.push_back(
          {static_cast<std::uint32_t>(t.size()), static_cast<std::uint32_t>(t.align()), false, 0});
      if (apple_ && i >= sig_.fixed_count())
        apple_vararg(arg, t);
      else if (windows_variadic_)
        windows_vararg(arg, t);
      else
        classify_arg(arg, t);
    }
    // The stack pointer is 16-byte aligned at the call (AAPCS64 "The Stack").
    plan_.stack_bytes = align_up(nsaa_, 16);
    if (plan_.stack_bytes + plan_.copy_bytes > kMaxFrameBytes)
      throw UnsupportedError(std::string(abi_name(sig_.abi())) + ": " + sig_.canonical() +
                             " needs " + std::to_string(plan_.stack_bytes + plan_.copy_bytes) +
                             " bytes of arguments and copies; the limit is " +
                             std::to_string(kMaxFrameBytes));
    return std::move(plan_);
  }

 private:
  void check_type(const Type &t, const std::string &where) const {
    if (t.is_void() || t.kind() == TypeKind::Array)
      throw UnsupportedError(std::string(abi_name(sig_.abi())) + ": " + where + " of " +
                             sig_.canonical() + " cannot be passed by value");
    // Checked before any size is narrowed to 32 bits; the frame limit is checked at the end.
    if (t.size() > kMaxFrameBytes && where != "the result")
      throw UnsupportedError(std::string(abi_name(sig_.abi())) + ": " + where + " of " +
                             sig_.canonical() + " is larger than " +
                             std::to_string(kMaxFrameBytes) + " bytes");
    if (t.size() > UINT32_MAX)
      throw UnsupportedError(std::string(abi_name(sig_.abi())) + ": " + where + " of " +
                             sig_.canonical() + " is too large");
    if (!apple_ && sig_.abi() != Abi::Windows_arm64) return;
    // Apple: "The long double type is a double precision IEEE754 binary floating-point type";
    // Windows (LLP64, MSVC): long double is double. Signature::make already refuses both.
    if (t.contains(TypeKind::LongDouble))
      throw UnsupportedError(std::string(abi_name(sig_.abi())) + ": " + where + " of " +
                             sig_.canonical() + " has long double, which is double there");
  }

  // ---- Results: "as if it were the first named argument", else the indirect result in x8 ----

  void classify_result() {
    const Type &t = *sig_.ret();
    if (t.is_void()) return;
    check_type(t, "the result");
    plan_.ret_size = static_cast<std::uint32_t>(t.size());
    plan_.ret_kind = RetKind::Regs;
    const auto size = static_cast<std::uint32_t>(t.size());
    if (t.is_float()) return ret_piece({Loc::Vec, 0, 0}, 0, size, Ext::None);
    if (auto h = hfa_of(t)) {  // HFA: v0..v3, one member each
      for (unsigned i = 0; i < h->count; ++i)
        ret_piece({Loc::Vec, static_cast<std::uint8_t>(i), 0}, i * h->member_size, h->member_size,
                  Ext::None);
      return;
    }
    if (t.is_aggregate() && size > 16) {
      // B.4 for results: the caller passes the address of the result memory in x8 (XR); the
      // callee need not return it ("not preserved").
      plan_.ret_kind = RetKind::Memory;
      plan_.sret_returned_in = -1;
      plan_.pieces.push_back({PieceKind::SretPtr, 0, 0, 8, Ext::None, {Loc::Gpr, kX8, 0}});
      return;
    }
    if (t.is_aggregate() || size == 16) {  // composites <= 16 and 128-bit integers: x0, x1
      for (std::uint32_t off = 0; off < size; off += 8)
        ret_piece({Loc::Gpr, static_cast<std::uint8_t>(off / 8), 0}, off,
                  std::min<std::uint32_t>(8, size - off), Ext::None);
      return;
    }
    const Ext ext = narrow_result_ext(t);
    if (ext != Ext::None) plan_.ret_size = 8;  // widened like libffi's ffi_arg
    ret_piece({Loc::Gpr, 0, 0}, 0, size, ext);
  }

  void ret_piece(Slot from, std::uint32_t offset, std::uint32_t size, Ext ext) {
    plan_.ret_pieces.push_back({from, offset, size, ext});
  }

  // ---- Arguments, stage C ----

  void classify_arg(std::uint16_t arg, const Type &t) {
    const auto size = static_cast<std::uint32_t>(t.size());
    const auto align = static_cast<std::uint32_t>(t.align());
    if (t.is_float()) {
      // C.1: a half/single/double/quad float in v[NSRN].
      if (nsrn_ < kArgRegs) return vec(arg, 0, size, nsrn_++);
      // C.4/C.5/C.6: on the stack, 8-byte slot (16 for quad); Apple: natural size and alignment.
      return to_stack(arg, size, apple_ ? align : std::max<std::uint32_t>(align, 8),
                      apple_ ? size : align_up(size, 8), Ext::None);
    }
    if (auto h = hfa_of(t)) {
      // B.3: an HFA is used unmodified (even when over 16 bytes). C.2: in consecutive v
      // registers, one member each, if all fit.
      if (nsrn_ + h->count <= kArgRegs) {
        for (unsigned i = 0; i < h->count; ++i)
          vec(arg, i * h->member_size, h->member_size, nsrn_++);
        return;
      }
      // C.3: no partial allocation; NSRN = 8 so that no later float goes in a register. Size
      // rounded to 8. C.4: NSAA aligned to 8, or 16 for a 16-aligned HFA. Apple packs the HFA at
      // its natural alignment and size (clang; Apple developer forums thread 668654).
      nsrn_ = kArgRegs;
      if (apple_) return to_stack(arg, size, align, size, Ext::None);
      return to_stack(arg, size, align >= 16 ? 16 : 8, align_up(size, 8), Ext::None);
    }
    if (t.is_aggregate() && size > 16) {
      // B.4: a composite over 16 bytes (not an HFA) is copied by the caller and replaced by a
      // pointer to the copy, which is then allocated like any pointer (C.9, C.13-C.17).
      ArgInfo &info = plan_.args[arg];
      info.by_reference = true;
      info.copy_offset = plan_.copy_bytes;
      plan_.copy_bytes += align_up(size, 16);
      if (ngrn_ < kArgRegs) return piece(PieceKind::Address, arg, 0, 8, Ext::None, gpr(ngrn_++));
      ngrn_ = kArgRegs;
      nsaa_ = align_up(nsaa_, 8);
      piece(PieceKind::Address, arg, 0, 8, Ext::None, stack(nsaa_));
      nsaa_ += 8;
      return;
    }
    if (t.is_aggregate() || size == 16) {
      // Composites <= 16 bytes (B.5: size rounded up to 8) and 128-bit integers.
      // C.10: a 16-byte-aligned argument starts at an even NGRN. Apple drops this: "the
      // parameter x1_x2 does indeed get passed in x1 and x2" (large_type(int, __int128)).
      if (align == 16 && !apple_) ngrn_ = align_up(ngrn_, 2);
      const std::uint32_t dwords = align_up(size, 8) / 8;
      // C.11 / C.12: in consecutive GPRs, lower-addressed doubleword first, if all fit.
      if (dwords <= kArgRegs - ngrn_) {
        for (std::uint32_t off = 0; off < size; off += 8)
          piece(PieceKind::Value, arg, off, std::min<std::uint32_t>(8, size - off), Ext::None,
                gpr(ngrn_++));
        return;
      }
      // C.13: NGRN = 8, no later integer goes in a register. C.14: NSAA aligned to
      // max(8, natural alignment). C.15/C.17: copied, size rounded to 8 (Apple too: clang
      // coerces small composites to i64 arrays / i128).
      ngrn_ = kArgRegs;
      return to_stack(arg, size, std::max<std::uint32_t>(align, 8), align_up(size, 8), Ext::None);
    }
    // C.9: integers and pointers up to 8 bytes in x[NGRN].
    const Ext ext = narrow_arg_ext(t);
    if (ngrn_ < kArgRegs) return piece(PieceKind::Value, arg, 0, size, ext, gpr(ngrn_++));
    // C.13, C.14, C.16, C.17: an 8-byte slot. Apple: "values consume only the space required"
    // at their natural alignment (a char takes one byte), so nothing is widened there.
    ngrn_ = kArgRegs;
    if (apple_) return to_stack(arg, size, align, size, Ext::None);
    to_stack(arg, size, 8, 8, ext);
  }

  // Apple arm64 variadic arguments: after stage B (composites over 16 bytes still go by
  // reference), every variadic argument goes on the stack, each in 8-byte slots (16-aligned for
  // 16-aligned types, as clang does), never in registers, and NGRN/NSRN are not consumed.
  void apple_vararg(std::uint16_t arg, const Type &t) {
    const auto size = static_cast<std::uint32_t>(t.size());
    if (t.is_aggregate() && size > 16 && !hfa_of(t)) {
      ArgInfo &info = plan_.args[arg];
      info.by_reference = true;
      info.copy_offset = plan_.copy_bytes;
      plan_.copy_bytes += align_up(size, 16);
      nsaa_ = align_up(nsaa_, 8);
      piece(PieceKind::Address, arg, 0, 8, Ext::None, stack(nsaa_));
      nsaa_ += 8;
      return;
    }
    const std::uint32_t align = t.align() >= 16 ? 16 : 8;
    to_stack(arg, size, align, align_up(size, 8), narrow_arg_ext(t));
  }

  // Windows on ARM64, every argument of a variadic function. [MS] "Addendum: Variadic functions":
  // "All composites are treated alike; no special treatment of HFAs or HVAs", "SIMD and
  // Floating-point Registers aren't used"; "effectively, it's the same as following rules
  // C.12-C.15 to allocate arguments to an imaginary stack, where the first 64 bytes of the stack
  // are loaded into x0-x7, and any remaining stack arguments are placed normally". So a double
  // goes in an x register, and a composite at imaginary offset 56 is split: x7 and [sp+0].
  void windows_vararg(std::uint16_t arg, const Type &t) {
    const auto size = static_cast<std::uint32_t>(t.size());
    if (t.is_aggregate() && size > 16) {
      // [MS] B.3: a composite over 16 bytes (an HFA too: B.2 no longer applies) is copied by the
      // caller and replaced by a pointer to the copy, which takes one 8-byte slot.
      ArgInfo &info = plan_.args[arg];
      info.by_reference = true;
      info.copy_offset = plan_.copy_bytes;
      plan_.copy_bytes += align_up(size, 16);
      nisa_ = align_up(nisa_, 8);
      piece(PieceKind::Address, arg, 0, 8, Ext::None, imaginary(nisa_));
      nisa_ += 8;
      nsaa_ = nisa_ > kImaginaryRegBytes ? nisa_ - kImaginaryRegBytes : 0;
      return;
    }
    // [MS] B.4: a composite's size rounded up to 8; C.12: the address rounded up to the larger
    // of 8 and the natural alignment (a 16-aligned argument starts at an even x register);
    // C.14: a smaller scalar takes 8 bytes; C.13/C.15: copied there.
    const std::uint32_t align = std::max<std::uint32_t>(static_cast<std::uint32_t>(t.align()), 8);
    nisa_ = align_up(nisa_, align);
    const Ext ext = t.is_aggregate() ? Ext::None : narrow_arg_ext(t);
    for (std::uint32_t off = 0; off < size; off += 8)
      piece(PieceKind::Value, arg, off, std::min<std::uint32_t>(8, size - off), ext,
            imaginary(nisa_ + off));
    nisa_ += align_up(size, 8);
    nsaa_ = nisa_ > kImaginaryRegBytes ? nisa_ - kImaginaryRegBytes : 0;
  }

  // [MS]: the imaginary stack's first 64 bytes are x0-x7, the rest is the stack from sp.
  static constexpr std::uint32_t kImaginaryRegBytes = 8 * kArgRegs;
  static Slot imaginary(std::uint32_t offset) {
    return offset < kImaginaryRegBytes ? gpr(offset / 8) : stack(offset - kImaginaryRegBytes);
  }

  // Copies `size` bytes of the argument to the stack at NSAA aligned to `align`, in pieces of
  // at most 8 bytes; NSAA then advances by `slot` bytes. `ext` widens a lone scalar to 8 bytes.
  void to_stack(std::uint16_t arg, std::uint32_t size, std::uint32_t align, std::uint32_t slot,
                Ext ext) {
    nsaa_ = align_up(nsaa_, align);
    for (std::uint32_t off = 0; off < size; off += 8)
      piece(PieceKind::Value, arg, off, std::min<std::uint32_t>(8, size - off), ext,
            stack(nsaa_ + off));
    nsaa_ += slot;
  }

  void vec(std::uint16_t arg, std::uint32_t offset, std::uint32_t size, unsigned reg) {
    piece(PieceKind::Value, arg, offset, size, Ext::None,
          {Loc::Vec, static_cast<std::uint8_t>(reg), 0});
  }
  static Slot gpr(unsigned reg) { return {Loc::Gpr, static_cast<std::uint8_t>(reg), 0}; }
  static Slot stack(std::uint32_t offset) { return {Loc::Stack, 0, offset}; }

  void piece(PieceKind kind, std::uint16_t arg, std::uint32_t offset, std::uint32_t size, Ext ext,
             Slot to) {
    plan_.pieces.push_back({kind, arg, offset, size, ext, to});
  }

  const Signature &sig_;
  const bool apple_;
  const bool windows_variadic_;
  CallPlan plan_;
  unsigned ngrn_ = 0;       // next general-purpose register number
  unsigned nsrn_ = 0;       // next SIMD and floating-point register number
  std::uint32_t nsaa_ = 0;  // next stacked argument address, as an offset from SP
  std::uint32_t nisa_ = 0;  // Windows variadic: next address on [MS]'s imaginary stack
};

}  // namespace

CallPlan classify_aapcs64(const Signature &sig) {
  return Aapcs64Classifier(sig).run();
}

}  // namespace jitffi::abi
