// AArch64 emitter: turns a CallPlan into a downcall stub or a shared upcall entry.
//
// Every source of a register move is memory reached through a register that is never a
// destination (x9, x11, sp, x29), so the order of the moves cannot clobber a source. sp stays
// 16-byte aligned throughout (Linux faults on sp-based accesses otherwise).
#include "jit/a64_emitter.h"
#include "jit/upcall_frame.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "abi/callee_saved.h"

namespace jitffi::jit::a64 {

using namespace asmjit;
using namespace asmjit::a64;
using abi::ArgPiece;
using abi::CallPlan;
using abi::Ext;
using abi::Loc;
using abi::PieceKind;
using abi::RetKind;
using abi::RetPiece;

namespace {

// The stubs are host functions, called (and calling handlers) with the host convention.
constexpr Abi kStubAbi = Abi::AAPCS64;

// Argument registers are x0-x7 and x8 (indirect result); results come back in x0-x7.
constexpr unsigned kMaxArgGpr = 8;
constexpr unsigned kMaxVec = 31;

std::uint32_t round16(std::uint64_t n) {
  return std::uint32_t((n + 15) & ~std::uint64_t(15));
}

[[noreturn]] void bad_plan(const CallPlan &plan, const std::string &what) {
  throw UnsupportedError("AArch64 emitter cannot execute this plan: " + what + "\n" +
                         plan.describe());
}

std::string piece_name(std::size_t i, const ArgPiece &p) {
  return "piece " + std::to_string(i) + " (arg " + std::to_string(p.arg) + ")";
}

// ---- addressing ---------------------------------------------------------------------------

// [base + off] for an access of `size` bytes: the scaled 12-bit or the unscaled 9-bit offset
// form when one encodes it (asmjit picks ldur/stur for the latter), otherwise the address is
// built in `scratch` first.
Mem at(Assembler &a, const Gp &base, std::uint32_t off, std::uint32_t size, const Gp &scratch) {
  if ((off % size == 0 && off / size < 4096) || off < 256) return ptr(base, std::int32_t(off));
  a.mov(scratch, std::uint64_t(off));
  a.add(scratch, base, scratch);
  return ptr(scratch);
}

// sp -= n or sp += n for a 16-byte multiple below 2^24: low 12 bits first, then the shifted
// rest, so sp stays aligned between the two.
void adjust_sp(Assembler &a, std::uint32_t n, bool down) {
  const std::uint32_t lo = n & 0xfff, hi = n & ~std::uint32_t(0xfff);
  for (std::uint32_t part : {lo, hi}) {
    if (!part) continue;
    if (down)
      a.sub(sp, sp, part);
    else
      a.add(sp, sp, part);
  }
}

// ---- loads and stores of 1..8 byte values ---------------------------------------------------

// Loads `size` bytes at m into dst (64-bit), widened per ext. Sizes 3, 5, 6, 7 (aggregate
// tails) are read as two loads inside the value, never past its end; the upper part goes
// through `tmp` first because dst may be the base of m.
void load_gpr(Assembler &a, const GpX &dst, const Mem &m, std::uint32_t size, Ext ext,
              const GpX &tmp) {
  const GpW d32 = dst.w();
  if (ext == Ext::Sign) {
    switch (size) {
      case 1:
        a.ldrsb(dst, m);
        return;
      case 2:
        a.ldrsh(dst, m);
        return;
      case 4:
        a.ldrsw(dst, m);
        return;
      default:
        break;
    }
  }
  switch (size) {
    case 8:
      a.ldr(dst, m);
      return;
    case 4:
      a.ldr(d32, m);  // writing a w register zero-extends
      return;
    case 2:
      a.ldrh(d32, m);
      return;
    case 1:
      a.ldrb(d32, m);
      return;
    default:
      break;
  }
  // [0, lo) and [size - lo, size): the overlapping bytes are equal, so OR combines them.
  const std::uint32_t lo = size == 3 ? 2 : 4;
  Mem hi = m;
  hi.addOffset(size - lo);
  if (lo == 2) {
    a.ldrh(tmp.w(), hi);
    a.ldrh(d32, m);
  } else {
    a.ldr(tmp.w(), hi);
    a.ldr(d32, m);
  }
  a.orr(dst, dst, tmp, lsl(8 * (size - lo)));
}

// Stores the low `size` bytes of src at m (odd sizes in 4/2/1 chunks through tmp).
void store_gpr(Assembler &a, const Mem &m, const GpX &src, std::uint32_t size, const GpX &tmp) {
  switch (size) {
    case 8:
      a.str(src, m);
      return;
    case 4:
      a.str(src.w(), m);
      return;
    case 2:
      a.strh(src.w(), m);
      return;
    case 1:
      a.strb(src.w(), m);
      return;
    default:
      break;
  }
  a.mov(tmp, src);
  std::uint32_t pos = 0;
  for (std::uint32_t chunk : {4u, 2u, 1u}) {
    if (size - pos < chunk) continue;
    Mem c = m;
    c.addOffset(pos);
    if (chunk == 4)
      a.str(tmp.w(), c);
    else if (chunk == 2)
      a.strh(tmp.w(), c);
    else
      a.strb(tmp.w(), c);
    pos += chunk;
    if (pos < size) a.lsr(tmp, tmp, 8 * chunk);
  }
}

Vec vreg(unsigned id, std::uint32_t size) {
  return size == 4   ? Vec(s(id))
         : size == 8 ? Vec(d(id))
                     : Vec(v(id));  // VecV is the 128-bit q form
}

// Copies `size` bytes in 8/4/2/1 chunks through `tmp`: each chunk is loaded with the width it
// is stored with, so no load spans narrower stores of ours (store forwarding).
void copy_bytes(Assembler &a, const Gp &dst_base, std::uint32_t dst_off, const Gp &src_base,
                std::uint32_t src_off, std::uint32_t size, const GpX &tmp) {
  std::uint32_t pos = 0;
  for (std::uint32_t chunk : {8u, 4u, 2u, 1u}) {
    while (size - pos >= chunk) {
      const Mem s = at(a, src_base, src_off + pos, chunk, x16);
      const Mem d = at(a, dst_base, dst_off + pos, chunk, x17);
      switch (chunk) {
        case 8:
          a.ldr(tmp, s), a.str(tmp, d);
          break;
        case 4:
          a.ldr(tmp.w(), s), a.str(tmp.w(), d);
          break;
        case 2:
          a.ldrh(tmp.w(), s), a.strh(tmp.w(), d);
          break;
        default:
          a.ldrb(tmp.w(), s), a.strb(tmp.w(), d);
          break;
      }
      pos += chunk;
    }
  }
}

// From this size on a by-reference copy loops: the stub stays the same size however large the
// aggregate (unrolled, it took ~1 byte of code per byte copied).
constexpr std::uint32_t kCopyLoopMin = 128;

// Copies `size` bytes from [src] to [sp + dst_off]: copy_bytes, or for a large copy a loop of
// 8-byte moves (x16 and x17 walk the source and the destination, x13 counts down) and the tail.
void copy_to_sp(Assembler &a, std::uint32_t dst_off, const GpX &src, std::uint32_t size,
                const GpX &tmp) {
  if (size < kCopyLoopMin) return copy_bytes(a, sp, dst_off, src, 0, size, tmp);
  const std::uint32_t n8 = size & ~7u;
  a.mov(x17, std::uint64_t(dst_off));
  a.add(x17, sp, x17);
  a.mov(x16, src);
  a.mov(x13, std::uint64_t(n8));
  const Label top = a.newLabel();
  a.bind(top);
  a.ldr(tmp, ptr_post(x16, 8));
  a.str(tmp, ptr_post(x17, 8));
  a.subs(x13, x13, 8);
  a.b_ne(top);
  copy_bytes(a, x17, 0, x16, 0, size - n8, tmp);
}

// The frame record: `stp x29, x30, [sp, #-header]!; mov x29, sp`, with CFI, so that unwinders
// and debuggers find the caller through x29 for the rest of the stub.
void push_frame(Assembler &a, std::uint32_t header, std::vector<CfiOp> &cfi) {
  a.stp(x29, x30, ptr_pre(sp, -std::int32_t(header)));
  const std::uint32_t after_stp = std::uint32_t(a.offset());
  cfi.push_back({CfiOp::CfaOffset, after_stp, 0, std::int32_t(header)});
  cfi.push_back({CfiOp::Saved, after_stp, kDwarfFp, -std::int32_t(header)});
  cfi.push_back({CfiOp::Saved, after_stp, kDwarfLr, -std::int32_t(header) + 8});
  a.mov(x29, sp);
  cfi.push_back({CfiOp::CfaRegister, std::uint32_t(a.offset()), kDwarfFp, 0});
}

void pop_frame(Assembler &a, std::uint32_t header, std::vector<CfiOp> &cfi) {
  a.mov(sp, x29);
  a.ldp(x29, x30, ptr_post(sp, std::int32_t(header)));
  const std::uint32_t after = std::uint32_t(a.offset());
  cfi.push_back({CfiOp::CfaRspPlus, after, kDwarfSp, 0});
  cfi.push_back({CfiOp::Restored, after, kDwarfFp, 0});
  cfi.push_back({CfiOp::Restored, after, kDwarfLr, 0});
  a.ret(x30);
}

}  // namespace

// ---- plan checks --------------------------------------------------------------------------

void check_plan(const CallPlan &plan) {
  if (plan.isa != abi::Isa::A64 ||
      (plan.abi != Abi::AAPCS64 && plan.abi != Abi::Apple_arm64 && plan.abi != Abi::Windows_arm64))
    bad_plan(plan, "ABI " + std::string(abi_name(plan.abi)) + " is not an AArch64 convention");
  if (plan.stack_bytes % 16 || plan.stack_bytes > (1u << 20) || plan.copy_bytes > (1u << 20))
    bad_plan(plan, "stack area of " + std::to_string(plan.stack_bytes) + " bytes");
  const abi::CalleeSaved keep = abi::must_preserve(kStubAbi, plan.abi);
  if (keep.gpr || keep.vec || abi::must_preserve(plan.abi, kStubAbi).gpr ||
      abi::must_preserve(plan.abi, kStubAbi).vec)
    bad_plan(plan, "the convention preserves other registers than the host's");
  for (std::size_t i = 0; i < plan.pieces.size(); ++i) {
    const ArgPiece &p = plan.pieces[i];
    const std::string name = piece_name(i, p);
    if (p.kind != PieceKind::SretPtr && p.arg >= plan.args.size())
      bad_plan(plan, name + " names a missing argument");
    const std::uint32_t width = p.kind == PieceKind::Value ? p.size : 8;
    switch (p.to.loc) {
      case Loc::Gpr:
        if (p.to.reg > kMaxArgGpr) bad_plan(plan, name + " goes to a register the stubs reserve");
        if (width < 1 || width > 8) bad_plan(plan, name + " has size " + std::to_string(width));
        break;
      case Loc::Vec:
        if (p.to.reg > kMaxVec) bad_plan(plan, name + " goes to a missing vector register");
        if (p.kind != PieceKind::Value || (width != 4 && width != 8 && width != 16))
          bad_plan(plan, name + " is not a 4, 8 or 16 byte value for a vector register");
        break;
      case Loc::Stack: {
        const std::uint32_t stored = p.ext != Ext::None ? 8 : width;
        if (width == 0 || std::uint64_t(p.to.stack_offset) + stored > plan.stack_bytes)
          bad_plan(plan, name + " lies outside the outgoing stack area");
        break;
      }
      case Loc::X87:
        bad_plan(plan, name + " is passed in an x87 register");
    }
    if (p.kind == PieceKind::Value) {
      if (std::uint64_t(p.offset) + p.size > plan.args[p.arg].size)
        bad_plan(plan, name + " reads past its argument");
      if (p.ext != Ext::None && p.size != 1 && p.size != 2 && p.size != 4)
        bad_plan(plan, name + " extends a value that is not 1, 2 or 4 bytes");
    } else if (p.kind == PieceKind::Address) {
      const abi::ArgInfo &ai = plan.args[p.arg];
      if (!ai.by_reference || std::uint64_t(ai.copy_offset) + ai.size > plan.copy_bytes)
        bad_plan(plan, name + " is an address of an argument without a copy");
    } else if (plan.ret_kind != RetKind::Memory) {
      bad_plan(plan, name + " is a result pointer but the result is not in memory");
    }
  }
  for (const RetPiece &r : plan.ret_pieces) {
    const std::uint32_t stored = r.ext != Ext::None ? 8 : r.size;
    if (std::uint64_t(r.offset) + stored > std::max<std::uint32_t>(plan.ret_size, 8))
      bad_plan(plan, "a result piece lies outside the result");
    if (r.from.loc == Loc::Gpr && (r.from.reg >= kMaxArgGpr || r.size < 1 || r.size > 8))
      bad_plan(plan, "a result piece comes from an unusable register");
    if (r.from.loc == Loc::Vec &&
        (r.from.reg > kMaxVec || (r.size != 4 && r.size != 8 && r.size != 16)))
      bad_plan(plan, "a vector result piece is not 4, 8 or 16 bytes");
    if (r.from.loc == Loc::Stack || r.from.loc == Loc::X87)
      bad_plan(plan, "a result piece comes from the stack or an x87 register");
    if (r.ext != Ext::None && r.size != 1 && r.size != 2 && r.size != 4)
      bad_plan(plan, "a result piece extends a value that is not 1, 2 or 4 bytes");
  }
  if (plan.sret_returned_in >= 0) bad_plan(plan, "AArch64 returns no result pointer");
}

// ---- downcall -----------------------------------------------------------------------------

namespace {

// The static chain travels in x18, which Windows reserves: "x18 | Non-volatile | Platform
// register: ... in user mode, points to TEB" (Microsoft, "Overview of ARM64 ABI conventions",
// Integer registers). No windows_arm64 stub may write it.
void refuse_chain_on_windows(const CallPlan &plan) {
  if (plan.abi == Abi::Windows_arm64)
    throw UnsupportedError(
        "jitffi: no static chain stub for windows_arm64: the chain travels in x18, which Windows "
        "reserves for the TEB pointer");
}

// Adds 1 to the 64-bit counter at `counter` (JITFFI_STATS), atomically: an exclusive
// load/store loop, which every ARMv8.0 core has (LSE's stadd is optional). x15-x17 only.
void count_call(Assembler &a, std::uint64_t *counter) {
  a.mov(x16, reinterpret_cast<std::uint64_t>(counter));
  Label again = a.newLabel();
  a.bind(again);
  a.ldxr(x17, ptr(x16));
  a.add(x17, x17, 1);
  a.stxr(w15, x17, ptr(x16));
  a.cbnz(w15, again);
}

// The downcall; `chain`: the stub's fourth argument (x3) goes to the callee in x18. With
// `entry` (value or slot entry; never bound or chained), args[] or slots[] arrive in x1 and the
// result stays in its registers; `hooks` as for emit_entry. With `guard` (boxed only): libffi's
// ffi_call shape, cif, fn, ret and args[] in x0-x3, and the guard's checks first.
void downcall(Assembler &a, const CallPlan &plan, const void *target, bool chain,
              std::vector<CfiOp> &cfi, const EntryKind *entry = nullptr,
              const EntryHooks &hooks = {}, const CifGuard *guard = nullptr) {
  check_plan(plan);
  const bool bound = target != nullptr;
  const bool slots = entry && *entry == EntryKind::Slots;
  const bool errno_hooks = entry && hooks.errno_enter && hooks.errno_leave;
  const GpX fn_in = guard ? x1 : x0;                // unless bound
  const GpX ret_in = guard ? x2 : bound ? x0 : x1;  // boxed only (entries have no result pointer)
  const GpX args_in = guard ? x3 : bound || entry ? x1 : x2;
  const bool ret_after = !entry && plan.ret_kind == RetKind::Regs && !plan.ret_pieces.empty();

  const std::uint32_t copy_base = round16(plan.stack_bytes);
  const std::uint32_t area = copy_base + round16(plan.copy_bytes);
  // Nothing to do after the call: branch to the target, which returns to our caller.
  const bool tail = area == 0 && !ret_after && !errno_hooks;
  // Frame record (16), plus at [x29, #16]: `ret` kept across the call (boxed), or fn and args[]
  // across errno_enter() and then the result registers across errno_leave() (entries).
  const std::uint32_t header = ret_after || errno_hooks ? 32 : 16;
  // args[] (or slots[]) is read through `base`: an entry keeps it in x1, where it arrives, and
  // loads the piece bound for x1 last; the boxed forms and the errno hooks' reload use x9.
  const GpX base = entry && !errno_hooks ? x1 : x9;

  // The guard: every check before the frame, so that `slow` is entered with our caller's stack
  // and the four arguments as they came.
  Label slow;
  if (guard) {
    const bool writes_ret = ret_after || plan.ret_kind == RetKind::Memory;  // ret, or sret
    slow = a.newLabel();
    a.ldr(w16, ptr(x0, std::int32_t(guard->flags_offset)));
    a.mov(w17, guard->flags);
    a.cmp(w16, w17);
    a.b_ne(slow);
    a.ldr(x16, ptr(x0));
    a.mov(x17, guard->head);
    a.cmp(x16, x17);
    a.b_ne(slow);
    if (writes_ret) a.cbz(ret_in, slow);  // libffi takes a null `ret`: the slow way gives it room
  }
  // After the last instruction of the stub: the way out when the guard fails.
  auto slow_exit = [&] {
    if (!guard) return;
    a.bind(slow);
    a.mov(x16, reinterpret_cast<std::uint64_t>(guard->slow));
    a.br(x16);
  };
  if (hooks.counter && entry) count_call(a, hooks.counter);  // before x15-x17 carry anything
  // Inputs first into registers no argument uses, so x0-x8 are free destinations from here on
  // (but an entry's x1, written last).
  if (!errno_hooks) {
    if (base != args_in) a.mov(base, args_in);
    if (!entry) a.mov(x14, ret_in);
    if (bound)
      a.mov(x10, reinterpret_cast<std::uint64_t>(target));
    else
      a.mov(x10, fn_in);
  }
  if (chain) a.mov(x18, x3);  // no stub instruction writes x18
  if (!tail) {
    push_frame(a, header, cfi);
    if (ret_after) a.str(x14, ptr(x29, 16));
    if (errno_hooks) {  // errno_enter() is a host function: fn and args[] wait in the frame
      a.stp(x0, x1, ptr(x29, 16));
      a.mov(x16, reinterpret_cast<std::uint64_t>(hooks.errno_enter));
      a.blr(x16);
      a.ldp(x10, x9, ptr(x29, 16));
    }
    adjust_sp(a, area, true);
  }
  // x11 caches one argument's pointer (nothing else writes x11), so the pieces of an aggregate
  // read args[] once.
  int x11_holds = -1;
  auto arg_ptr = [&](unsigned arg) {
    if (x11_holds == int(arg)) return;
    a.ldr(x11, at(a, base, 8 * arg, 8, x17));
    x11_holds = int(arg);
  };
  // Where a Value piece is read: in slots[arg] itself when the slot holds the argument's value,
  // else through the argument's pointer (args[arg], or the slot holding an aggregate's address)
  // loaded into x11. Sets `off` to the piece's offset from the returned base.
  auto piece_src = [&](const ArgPiece &p, std::uint32_t &off) -> GpX {
    if (slots && plan.args[p.arg].slot_value) {
      off = 8 * p.arg + p.offset;
      return base;
    }
    arg_ptr(p.arg);
    off = p.offset;
    return x11;
  };

  // By-reference copies and stack pieces, in the outgoing area at sp.
  for (std::size_t i = 0; i < plan.args.size(); ++i) {
    const abi::ArgInfo &ai = plan.args[i];
    if (!ai.by_reference) continue;
    arg_ptr(unsigned(i));
    copy_to_sp(a, copy_base + ai.copy_offset, x11, ai.size, x12);
  }
  for (const ArgPiece &p : plan.pieces) {
    if (p.to.loc != Loc::Stack) continue;
    const std::uint32_t off = p.to.stack_offset;
    switch (p.kind) {
      case PieceKind::Value: {
        std::uint32_t src_off = 0;
        const GpX src = piece_src(p, src_off);
        if (p.ext != Ext::None) {
          load_gpr(a, x12, at(a, src, src_off, p.size, x16), p.size, p.ext, x13);
          a.str(x12, at(a, sp, off, 8, x17));
        } else {
          copy_bytes(a, sp, off, src, src_off, p.size, x12);
        }
        break;
      }
      case PieceKind::Address:
        a.mov(x12, std::uint64_t(copy_base + plan.args[p.arg].copy_offset));
        a.add(x12, sp, x12);
        a.str(x12, at(a, sp, off, 8, x17));
        break;
      case PieceKind::SretPtr:
        a.str(x14, at(a, sp, off, 8, x17));
        break;
    }
  }

  // Registers; the piece bound for `base` last, as long as anything still reads through it.
  auto load_piece = [&](const ArgPiece &p) {
    if (p.to.loc == Loc::Gpr) {
      const GpX dst = x(p.to.reg);
      if (p.kind == PieceKind::Value) {
        std::uint32_t src_off = 0;
        const GpX src = piece_src(p, src_off);
        load_gpr(a, dst, at(a, src, src_off, p.size, x16), p.size, p.ext, x13);
      } else if (p.kind == PieceKind::Address) {
        a.mov(dst, std::uint64_t(copy_base + plan.args[p.arg].copy_offset));
        a.add(dst, sp, dst);
      } else {
        a.mov(dst, x14);
      }
    } else if (p.to.loc == Loc::Vec) {
      std::uint32_t src_off = 0;
      const GpX src = piece_src(p, src_off);
      a.ldr(vreg(p.to.reg, p.size), at(a, src, src_off, p.size, x16));
    }
  };
  auto to_base = [&](const ArgPiece &p) { return p.to.loc == Loc::Gpr && p.to.reg == base.id(); };
  for (const ArgPiece &p : plan.pieces)
    if (!to_base(p)) load_piece(p);
  for (const ArgPiece &p : plan.pieces)
    if (to_base(p)) load_piece(p);

  if (tail) {
    a.br(x10);
    return slow_exit();
  }
  a.blr(x10);

  if (ret_after) {
    a.ldr(x9, ptr(x29, 16));
    for (const RetPiece &r : plan.ret_pieces) {
      const Mem dst = at(a, x9, r.offset, r.ext != Ext::None ? 8 : r.size, x17);
      if (r.from.loc == Loc::Gpr) {
        const GpX src = x(r.from.reg);
        if (r.ext == Ext::Sign) {
          if (r.size == 4)
            a.sxtw(x12, src.w());
          else if (r.size == 2)
            a.sxth(x12, src.w());
          else
            a.sxtb(x12, src.w());
          a.str(x12, dst);
        } else if (r.ext == Ext::Zero) {
          if (r.size == 4)
            a.mov(w12, src.w());
          else if (r.size == 2)
            a.uxth(w12, src.w());
          else
            a.uxtb(w12, src.w());
          a.str(x12, dst);
        } else {
          store_gpr(a, dst, src, r.size, x12);
        }
      } else if (r.from.loc == Loc::Vec) {
        a.str(vreg(r.from.reg, r.size), dst);
      }
    }
  }
  if (errno_hooks) {
    // errno_leave() may use every caller-saved register: the result (at most two registers of
    // at most 8 bytes, see emit_entry) waits in the frame, where fn and args[] were.
    auto keep = [&](bool save) {
      for (std::size_t i = 0; i < plan.ret_pieces.size(); ++i) {
        const RetPiece &r = plan.ret_pieces[i];
        const Mem m = ptr(x29, std::int32_t(16 + 8 * i));
        if (r.from.loc == Loc::Gpr)
          save ? a.str(x(r.from.reg), m) : a.ldr(x(r.from.reg), m);
        else if (r.from.loc == Loc::Vec)
          save ? a.str(d(r.from.reg), m) : a.ldr(d(r.from.reg), m);
      }
    };
    keep(true);
    a.mov(x16, reinterpret_cast<std::uint64_t>(hooks.errno_leave));
    a.blr(x16);
    keep(false);
  }
  pop_frame(a, header, cfi);
  slow_exit();
}

}  // namespace

void emit_entry(Assembler &a, const CallPlan &plan, EntryKind kind, const EntryHooks &hooks,
                std::vector<CfiOp> &cfi) {
  // value_shape() admits only results in x0/x1 and v0/v1, at most 8 bytes each: HFAs of three or
  // four members, long double and HFAs of them have no entry and keep the boxed call.
  if (abi::value_shape(plan).kind == ValueShape::None || plan.ret_pieces.size() > 2)
    bad_plan(plan, "its result does not come back in registers a value entry can leave it in");
  if ((hooks.errno_enter == nullptr) != (hooks.errno_leave == nullptr))
    throw Error("jitffi: an entry with errno capture needs both hooks");
  downcall(a, plan, nullptr, /*chain=*/false, cfi, &kind, hooks);
}

void emit_downcall(Assembler &a, const CallPlan &plan, const void *target,
                   std::vector<CfiOp> &cfi) {
  downcall(a, plan, target, /*chain=*/false, cfi);
}

void emit_cif_downcall(Assembler &a, const CallPlan &plan, const CifGuard &guard,
                       std::vector<CfiOp> &cfi) {
  downcall(a, plan, nullptr, /*chain=*/false, cfi, nullptr, {}, &guard);
}

void emit_chain_downcall(Assembler &a, const CallPlan &plan, std::vector<CfiOp> &cfi) {
  refuse_chain_on_windows(plan);
  downcall(a, plan, nullptr, /*chain=*/true, cfi);
}

// ---- upcall -------------------------------------------------------------------------------

namespace {

// The shared entry; with a `handler` the context in x18 is the handler's user_data itself (a
// static chain), else a ClosureContext in x9.
void upcall(Assembler &a, const CallPlan &plan, const void *handler, std::vector<CfiOp> &cfi) {
  check_plan(plan);

  // Frame, from sp up (jit/upcall_frame): args[], ret buffer, result-pointer slot, one box per
  // argument. A piece the caller stored widened is boxed, not read in place.
  const std::size_t n = plan.args.size();
  const UpcallFrame lay = layout_upcall_frame(plan, /*extended_in_place=*/false);
  const std::vector<std::int64_t> &in_place = lay.in_place;
  const std::vector<std::uint32_t> &box = lay.box;
  const std::uint32_t args_off = lay.args_off, ret_off = lay.ret_off, sret_off = lay.sret_off;
  const std::uint32_t frame = lay.end;

  push_frame(a, 16, cfi);
  adjust_sp(a, frame, true);

  // Incoming stack arguments: the plan's offsets are from sp at the call, i.e. x29 + 16.
  constexpr std::uint32_t kIn = 16;

  // Spill every incoming piece; only x10, x11, x16 and x17 are written, so no incoming
  // register (nor x9, nor x18) is lost.
  for (const ArgPiece &p : plan.pieces) {
    if (p.kind == PieceKind::Value) {
      if (in_place[p.arg] >= 0) continue;
      const std::uint32_t dst = box[p.arg] + p.offset;
      if (p.to.loc == Loc::Gpr)
        store_gpr(a, at(a, sp, dst, p.size, x17), x(p.to.reg), p.size, x10);
      else if (p.to.loc == Loc::Vec)
        a.str(vreg(p.to.reg, p.size), at(a, sp, dst, p.size, x17));
      else
        copy_bytes(a, sp, dst, x29, kIn + p.to.stack_offset, p.size, x10);
      continue;
    }
    // Address: the caller's copy is args[i] itself; SretPtr: kept for the handler.
    const std::uint32_t slot = p.kind == PieceKind::Address ? args_off + 8 * p.arg : sret_off;
    if (p.to.loc == Loc::Gpr) {
      a.str(x(p.to.reg), at(a, sp, slot, 8, x17));
    } else {
      a.ldr(x10, at(a, x29, kIn + p.to.stack_offset, 8, x16));
      a.str(x10, at(a, sp, slot, 8, x17));
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (plan.args[i].by_reference) continue;
    const std::uint64_t off = in_place[i] >= 0 ? kIn + std::uint64_t(in_place[i]) : box[i];
    a.mov(x10, off);
    a.add(x10, in_place[i] >= 0 ? x29 : sp, x10);
    a.str(x10, at(a, sp, std::uint32_t(args_off + 8 * i), 8, x17));
  }

  // handler(ret, args, user_data), host convention.
  if (plan.ret_kind == RetKind::Memory) {
    a.ldr(x0, at(a, sp, sret_off, 8, x17));
  } else {
    a.mov(x0, std::uint64_t(ret_off));
    a.add(x0, sp, x0);
  }
  a.mov(x1, sp);  // args_off is 0
  if (handler) {
    a.mov(x2, x18);
    a.mov(x16, reinterpret_cast<std::uint64_t>(handler));
  } else {
    a.ldr(x2, ptr(x9, std::int32_t(offsetof(ClosureContext, user_data))));
    a.ldr(x16, ptr(x9, std::int32_t(offsetof(ClosureContext, handler))));
  }
  a.blr(x16);

  if (plan.ret_kind == RetKind::Regs) {
    for (const RetPiece &r : plan.ret_pieces) {
      const Mem src = at(a, sp, ret_off + r.offset, r.size, x17);
      if (r.from.loc == Loc::Gpr)
        load_gpr(a, x(r.from.reg), src, r.size, r.ext, x10);
      else if (r.from.loc == Loc::Vec)
        a.ldr(vreg(r.from.reg, r.size), src);
    }
  }
  pop_frame(a, 16, cfi);
}

}  // namespace

void emit_upcall(Assembler &a, const CallPlan &plan, std::vector<CfiOp> &cfi) {
  upcall(a, plan, nullptr, cfi);
}

void emit_chain_upcall(Assembler &a, const CallPlan &plan, const void *handler,
                       std::vector<CfiOp> &cfi) {
  if (!handler) throw Error("jitffi: a static chain entry needs a handler");
  refuse_chain_on_windows(plan);
  upcall(a, plan, handler, cfi);
}

// ---- typed closure -------------------------------------------------------------------------

void emit_typed_closure(Assembler &a, const CallPlan &plan, const ClosureContext &ctx,
                        std::vector<CfiOp> &cfi) {
  check_plan(plan);
  const ArgPiece &ud = plan.pieces.back();
  const std::uint64_t handler = reinterpret_cast<std::uintptr_t>(ctx.handler);
  const std::uint64_t user_data = reinterpret_cast<std::uintptr_t>(ctx.user_data);
  if (typed_closure_register(plan) >= 0) {  // the registers are the handler's already
    a.mov(x(ud.to.reg), user_data);
    a.mov(x16, handler);
    a.br(x16);
    return;
  }
  // user_data goes on the stack, after the caller's stack arguments: a new outgoing area with the
  // caller's stack arguments at the same offsets (x10, x16 and x17 are the only registers
  // written, so every argument register, x8 included, reaches the handler untouched).
  push_frame(a, 16, cfi);
  const std::uint32_t frame = round16(plan.stack_bytes);
  adjust_sp(a, frame, true);
  constexpr std::uint32_t kIn = 16;  // the caller's sp is x29 + 16
  for (std::size_t i = 0; i + 1 < plan.pieces.size(); ++i) {
    const ArgPiece &p = plan.pieces[i];
    if (p.to.loc != Loc::Stack) continue;
    const std::uint32_t size = p.kind == PieceKind::Value ? p.size : 8;
    copy_bytes(a, sp, p.to.stack_offset, x29, kIn + p.to.stack_offset, size, x10);
  }
  a.mov(x10, user_data);
  a.str(x10, at(a, sp, ud.to.stack_offset, 8, x17));
  a.mov(x16, handler);
  a.blr(x16);
  pop_frame(a, 16, cfi);
}

void write_trampoline(void *rw, const void *context, const void *entry, unsigned reg) noexcept {
  // A64 encodings (Arm ARM C6.2): LDR (literal, 64-bit) is 0x58000000 | imm19 << 5 | Rt with
  // imm19 the word offset from the instruction; BR is 0xD61F0000 | Rn << 5; BRK #0 0xD4200000.
  const std::uint32_t code[4] = {
      0x58000000u | (4u << 5) | reg,  // ldr x9 (reg), [pc + 16]   (context)
      0x58000000u | (5u << 5) | 16u,  // ldr x16, [pc + 20]  (entry)
      0xD61F0000u | (16u << 5),       // br x16
      0xD4200000u,                    // brk #0: never reached
  };
  const std::uint64_t ctx = reinterpret_cast<std::uint64_t>(context);
  const std::uint64_t dst = reinterpret_cast<std::uint64_t>(entry);
  unsigned char *p = static_cast<unsigned char *>(rw);
  std::memcpy(p, code, sizeof code);
  std::memcpy(p + 16, &ctx, 8);
  std::memcpy(p + 24, &dst, 8);
}

}  // namespace jitffi::jit::a64
