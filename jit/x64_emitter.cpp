// x86-64 emitter: turns a CallPlan into a downcall stub or a shared upcall entry.
//
// Register use (none of these is an argument register of SysV or Win64; check_plan enforces it):
//   downcall: rax = args (until %al is set last), r10 = target, rbx = ret (when needed after the
//             call), r11 = scratch pointer, r10 = scratch data before the target is loaded.
//   upcall:   r10 = ClosureContext *, r11 = scratch, rbp = frame pointer.
// Every source of a register move is memory reached through a register that is never a
// destination, so the order of the moves cannot clobber a source.
#include "jit/x64_emitter.h"

#include <cstring>
#include <string>

#include "abi/callee_saved.h"

namespace jitffi::jit::x64 {

using namespace asmjit;
using namespace asmjit::x86;
using abi::ArgPiece;
using abi::CallPlan;
using abi::Ext;
using abi::Loc;
using abi::PieceKind;
using abi::RetKind;
using abi::RetPiece;

namespace {

// The stubs are host functions, called (and calling handlers) with the host convention.
constexpr Abi kStubAbi = Abi::SysV_x64;

constexpr unsigned kRax = 0, kRbx = 3, kRsp = 4, kRbp = 5, kR10 = 10, kR11 = 11;
constexpr std::uint32_t bit(unsigned r) {
  return std::uint32_t(1) << r;
}
// Registers the stubs keep for themselves: never an argument or result register in a plan.
constexpr std::uint32_t kReservedArg =
    bit(kRax) | bit(kRbx) | bit(kRsp) | bit(kRbp) | bit(kR10) | bit(kR11);
constexpr std::uint32_t kReservedRet = bit(kRbx) | bit(kRsp) | bit(kRbp) | bit(kR10) | bit(kR11);

// DWARF register numbers of the x86-64 psABI (Figure 3.36), indexed by hardware encoding.
constexpr std::uint8_t kDwarf[16] = {0, 2, 1, 3, 7, 6, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15};

std::uint32_t round16(std::uint64_t n) {
  return std::uint32_t((n + 15) & ~std::uint64_t(15));
}

[[noreturn]] void bad_plan(const CallPlan &plan, const std::string &what) {
  throw UnsupportedError("x86-64 emitter cannot execute this plan: " + what + "\n" +
                         plan.describe());
}

std::string piece_name(std::size_t i, const ArgPiece &p) {
  return "piece " + std::to_string(i) + " (arg " + std::to_string(p.arg) + ")";
}

// ---- loads and stores of 1..8 byte values ---------------------------------------------------

// Loads `size` bytes at m into dst, widened per ext. Sizes 3, 5, 6, 7 (aggregate tails) are
// read as two overlapping loads inside the value, never past its end; uses r11.
void load_gpr(Assembler &a, const Gp &dst, Mem m, std::uint32_t size, Ext ext) {
  const Gpd d32 = gpd(dst.id());
  if (ext == Ext::Sign) {
    switch (size) {
      case 1:
        m.setSize(1);
        a.movsx(dst, m);
        return;
      case 2:
        m.setSize(2);
        a.movsx(dst, m);
        return;
      case 4:
        m.setSize(4);
        a.movsxd(dst, m);
        return;
      default:
        break;
    }
  }
  switch (size) {
    case 8:
      m.setSize(8);
      a.mov(dst, m);
      return;
    case 4:
      m.setSize(4);
      a.mov(d32, m);
      return;  // writing a 32-bit register zero-extends
    case 2:
      m.setSize(2);
      a.movzx(d32, m);
      return;
    case 1:
      m.setSize(1);
      a.movzx(d32, m);
      return;
    default:
      break;
  }
  // Two loads that overlap inside the value: [0, lo) and [size - lo, size) shifted into place;
  // the overlapping bytes are equal, so OR combines them. The high part goes first because
  // dst may be the base register of m.
  const std::uint32_t lo = size == 3 ? 2 : 4;
  const std::uint32_t shift = 8 * (size - lo);
  Mem hi = m;
  hi.addOffset(size - lo);
  hi.setSize(lo);
  m.setSize(lo);
  if (lo == 2) {
    a.movzx(r11d, hi);
    a.shl(r11d, shift);
    a.movzx(d32, m);
    a.or_(d32, r11d);
  } else {
    a.mov(r11d, hi);
    a.shl(r11, shift);
    a.mov(d32, m);
    a.or_(dst, r11);
  }
}

// Stores the low `size` bytes of src at m (odd sizes in 4/2/1 chunks through r11).
void store_gpr(Assembler &a, Mem m, const Gp &src, std::uint32_t size) {
  switch (size) {
    case 8:
      m.setSize(8);
      a.mov(m, gpq(src.id()));
      return;
    case 4:
      m.setSize(4);
      a.mov(m, gpd(src.id()));
      return;
    case 2:
      m.setSize(2);
      a.mov(m, gpw(src.id()));
      return;
    case 1:
      m.setSize(1);
      a.mov(m, gpb(src.id()));
      return;
    default:
      break;
  }
  a.mov(r11, gpq(src.id()));
  std::uint32_t pos = 0;
  for (std::uint32_t chunk : {4u, 2u, 1u}) {
    if (size - pos < chunk) continue;
    Mem c = m;
    c.addOffset(pos);
    c.setSize(chunk);
    a.mov(c, chunk == 4 ? Gp(r11d) : chunk == 2 ? Gp(r11w) : Gp(r11b));
    pos += chunk;
    if (pos < size) a.shr(r11, 8 * chunk);
  }
}

void load_vec(Assembler &a, const Xmm &x, Mem m, std::uint32_t size) {
  m.setSize(size);
  if (size == 4)
    a.movss(x, m);
  else if (size == 8)
    a.movsd(x, m);
  else
    a.movups(x, m);
}

void store_vec(Assembler &a, Mem m, const Xmm &x, std::uint32_t size) {
  m.setSize(size);
  if (size == 4)
    a.movss(m, x);
  else if (size == 8)
    a.movsd(m, x);
  else
    a.movups(m, x);
}

// Copies `size` bytes in 8/4/2/1 chunks through `tmp`: each chunk is loaded with the width it
// is stored with, so no load ever spans narrower stores of ours (store forwarding).
void copy_bytes(Assembler &a, Mem dst, Mem src, std::uint32_t size, const Gp &tmp) {
  std::uint32_t pos = 0;
  for (std::uint32_t chunk : {8u, 4u, 2u, 1u}) {
    while (size - pos >= chunk) {
      Mem s = src, d = dst;
      s.addOffset(pos);
      d.addOffset(pos);
      s.setSize(chunk);
      d.setSize(chunk);
      const Gp t = chunk == 8   ? Gp(gpq(tmp.id()))
                   : chunk == 4 ? Gp(gpd(tmp.id()))
                   : chunk == 2 ? Gp(gpw(tmp.id()))
                                : Gp(gpb(tmp.id()));
      a.mov(t, s);
      a.mov(d, t);
      pos += chunk;
    }
  }
}

// Records CFI as the prologue and epilogue are emitted.
struct Cfi {
  Assembler &a;
  std::vector<CfiOp> &ops;
  std::int32_t cfa = 8;  // CFA = rsp + 8 at entry (the return address)
  void offset(std::int32_t delta) {
    cfa += delta;
    ops.push_back({CfiOp::CfaOffset, std::uint32_t(a.offset()), 0, cfa});
  }
  void saved(unsigned reg) {
    ops.push_back({CfiOp::Saved, std::uint32_t(a.offset()), kDwarf[reg], -cfa});
  }
  void restored(unsigned reg) {
    ops.push_back({CfiOp::Restored, std::uint32_t(a.offset()), kDwarf[reg], 0});
  }
};

std::vector<unsigned> regs_of(std::uint32_t mask) {
  std::vector<unsigned> r;
  for (unsigned i = 0; i < 32; ++i)
    if (mask & bit(i)) r.push_back(i);
  return r;
}

}  // namespace

// ---- plan checks --------------------------------------------------------------------------

void check_plan(const CallPlan &plan) {
  if (plan.isa != abi::Isa::X64 || (plan.abi != Abi::SysV_x64 && plan.abi != Abi::Win64))
    bad_plan(plan, "ABI " + std::string(abi_name(plan.abi)) + " is not an x86-64 convention");
  if (plan.stack_bytes % 16 || plan.stack_bytes > (1u << 20) || plan.copy_bytes > (1u << 24))
    bad_plan(plan, "stack area of " + std::to_string(plan.stack_bytes) + " bytes");
  if (plan.vector_count > 255) bad_plan(plan, "%al count over 255");
  if (abi::must_preserve(kStubAbi, plan.abi).vec)
    bad_plan(plan, "the callee clobbers vector registers the host expects preserved");
  for (std::size_t i = 0; i < plan.pieces.size(); ++i) {
    const ArgPiece &p = plan.pieces[i];
    const std::string name = piece_name(i, p);
    if (p.kind != PieceKind::SretPtr && p.arg >= plan.args.size())
      bad_plan(plan, name + " names a missing argument");
    const std::uint32_t width = p.kind == PieceKind::Value ? p.size : 8;
    switch (p.to.loc) {
      case Loc::Gpr:
        if (p.to.reg >= 16 || (kReservedArg & bit(p.to.reg)))
          bad_plan(plan, name + " goes to a register the stubs reserve");
        if (width < 1 || width > 8) bad_plan(plan, name + " has size " + std::to_string(width));
        break;
      case Loc::Vec:
        if (p.to.reg >= 16) bad_plan(plan, name + " goes to a missing vector register");
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
    if (r.from.loc == Loc::Gpr &&
        (r.from.reg >= 16 || (kReservedRet & bit(r.from.reg)) || r.size < 1 || r.size > 8))
      bad_plan(plan, "a result piece comes from an unusable register");
    if (r.from.loc == Loc::Vec &&
        (r.from.reg >= 16 || (r.size != 4 && r.size != 8 && r.size != 16)))
      bad_plan(plan, "a vector result piece is not 4, 8 or 16 bytes");
    if (r.from.loc == Loc::Stack) bad_plan(plan, "a result piece comes from the stack");
    if (r.ext != Ext::None && r.size != 1 && r.size != 2 && r.size != 4)
      bad_plan(plan, "a result piece extends a value that is not 1, 2 or 4 bytes");
  }
  if (plan.sret_returned_in >= 16 ||
      (plan.sret_returned_in >= 0 && (kReservedRet & bit(unsigned(plan.sret_returned_in)))))
    bad_plan(plan, "the result pointer comes back in an unusable register");
}

// ---- downcall -----------------------------------------------------------------------------

void emit_downcall(Assembler &a, const CallPlan &plan, const void *target,
                   std::vector<CfiOp> &cfi_ops) {
  check_plan(plan);
  const bool bound = target != nullptr;
  const Gp ret_in = bound ? rdi : rsi;
  const Gp args_in = bound ? rsi : rdx;
  const bool ret_after = plan.ret_kind == RetKind::Regs && !plan.ret_pieces.empty();

  // Registers our caller expects kept that the callee may clobber, plus rbx for `ret`.
  std::uint32_t push_mask = abi::must_preserve(kStubAbi, plan.abi).gpr;
  if (ret_after) push_mask |= bit(kRbx);
  const std::vector<unsigned> pushes = regs_of(push_mask);

  const std::uint32_t copy_base = round16(plan.stack_bytes);
  const std::uint32_t area = copy_base + round16(plan.copy_bytes);
  const bool tail = pushes.empty() && area == 0;
  // At the call rsp is 16-byte aligned: 8 (return address) + pushes + frame.
  const std::uint32_t frame = tail ? 0 : area + (pushes.size() % 2 ? 0 : 8);

  Cfi cfi{a, cfi_ops};
  for (unsigned r : pushes) {
    a.push(gpq(r));
    cfi.offset(8);
    cfi.saved(r);
  }
  if (frame) {
    a.sub(rsp, frame);
    cfi.offset(std::int32_t(frame));
  }

  a.mov(rax, args_in);
  auto arg_ptr = [&](const Gp &dst, unsigned arg) { a.mov(dst, ptr(rax, std::int32_t(8 * arg))); };

  // Phase 1: memory destinations, while every argument register is still free. Scratch: r11
  // (pointer) and r10 (data; the target is loaded into r10 afterwards).
  for (std::size_t i = 0; i < plan.args.size(); ++i) {
    const abi::ArgInfo &ai = plan.args[i];
    if (!ai.by_reference) continue;
    arg_ptr(r11, unsigned(i));
    copy_bytes(a, ptr(rsp, std::int32_t(copy_base + ai.copy_offset)), ptr(r11), ai.size, r10);
  }
  for (const ArgPiece &p : plan.pieces) {
    if (p.to.loc != Loc::Stack) continue;
    const Mem dst = ptr(rsp, std::int32_t(p.to.stack_offset));
    switch (p.kind) {
      case PieceKind::Value:
        arg_ptr(r11, p.arg);
        if (p.ext != Ext::None) {
          load_gpr(a, r10, ptr(r11, std::int32_t(p.offset)), p.size, p.ext);
          a.mov(qword_ptr(rsp, std::int32_t(p.to.stack_offset)), r10);
        } else {
          copy_bytes(a, dst, ptr(r11, std::int32_t(p.offset)), p.size, r10);
        }
        break;
      case PieceKind::Address:
        a.lea(r10, ptr(rsp, std::int32_t(copy_base + plan.args[p.arg].copy_offset)));
        a.mov(qword_ptr(rsp, std::int32_t(p.to.stack_offset)), r10);
        break;
      case PieceKind::SretPtr:
        a.mov(qword_ptr(rsp, std::int32_t(p.to.stack_offset)), ret_in);
        break;
    }
  }

  // Phase 2: registers. Inputs still live in rdi/rsi/rdx move out first.
  if (ret_after) a.mov(rbx, ret_in);
  if (!bound) a.mov(r10, rdi);
  for (const ArgPiece &p : plan.pieces)  // the result pointer is read from ret_in: first
    if (p.kind == PieceKind::SretPtr && p.to.loc == Loc::Gpr) a.mov(gpq(p.to.reg), ret_in);
  for (const ArgPiece &p : plan.pieces) {
    if (p.to.loc == Loc::Gpr) {
      const Gp dst = gpq(p.to.reg);
      if (p.kind == PieceKind::Value) {
        arg_ptr(dst, p.arg);
        load_gpr(a, dst, ptr(dst, std::int32_t(p.offset)), p.size, p.ext);
      } else if (p.kind == PieceKind::Address) {
        a.lea(dst, ptr(rsp, std::int32_t(copy_base + plan.args[p.arg].copy_offset)));
      }
    } else if (p.to.loc == Loc::Vec) {
      arg_ptr(r11, p.arg);
      load_vec(a, xmm(p.to.reg), ptr(r11, std::int32_t(p.offset)), p.size);
    }
  }
  if (bound) a.mov(r10, Imm(reinterpret_cast<std::uint64_t>(target)));
  if (plan.vector_count >= 0) a.mov(eax, plan.vector_count);

  if (tail) {
    a.jmp(r10);
    return;
  }
  a.call(r10);

  if (ret_after) {
    for (const RetPiece &r : plan.ret_pieces) {
      const Mem dst = ptr(rbx, std::int32_t(r.offset));
      switch (r.from.loc) {
        case Loc::Gpr: {
          const unsigned reg = r.from.reg;
          if (r.ext == Ext::Sign) {
            if (r.size == 4)
              a.movsxd(r11, gpd(reg));
            else
              a.movsx(r11, r.size == 1 ? Gp(gpb(reg)) : Gp(gpw(reg)));
            a.mov(qword_ptr(rbx, std::int32_t(r.offset)), r11);
          } else if (r.ext == Ext::Zero) {
            if (r.size == 4)
              a.mov(r11d, gpd(reg));
            else
              a.movzx(r11d, r.size == 1 ? Gp(gpb(reg)) : Gp(gpw(reg)));
            a.mov(qword_ptr(rbx, std::int32_t(r.offset)), r11);
          } else {
            store_gpr(a, dst, gpq(reg), r.size);
          }
          break;
        }
        case Loc::Vec:
          store_vec(a, dst, xmm(r.from.reg), r.size);
          break;
        case Loc::X87:
          a.fstp(tword_ptr(rbx, std::int32_t(r.offset)));
          break;
        case Loc::Stack:
          break;  // rejected by check_plan
      }
    }
  }

  if (frame) {
    a.add(rsp, frame);
    cfi.offset(-std::int32_t(frame));
  }
  for (auto it = pushes.rbegin(); it != pushes.rend(); ++it) {
    a.pop(gpq(*it));
    cfi.offset(-8);
    cfi.restored(*it);
  }
  a.ret();
}

// ---- upcall -------------------------------------------------------------------------------

void emit_upcall(Assembler &a, const CallPlan &plan, std::vector<CfiOp> &cfi_ops) {
  check_plan(plan);
  // The entry is called with the plan's convention and calls the handler with the host's.
  const abi::CalleeSaved keep = abi::must_preserve(plan.abi, kStubAbi);
  std::vector<unsigned> pushes;
  for (unsigned r : regs_of(keep.gpr))
    if (r != kRbp) pushes.push_back(r);
  const std::vector<unsigned> vec_saves = regs_of(keep.vec);

  // An argument whose pieces all lie on the incoming stack, in order and back to back, covering
  // it exactly, is handed to the handler in place: in_place[i] is its stack offset.
  const std::size_t n = plan.args.size();
  std::vector<std::int64_t> in_place(n, -1);
  {
    std::vector<std::uint32_t> covered(n, 0);
    std::vector<bool> ok(n, true);
    for (const ArgPiece &p : plan.pieces) {
      if (p.kind == PieceKind::SretPtr) continue;
      const bool contiguous =
          p.kind == PieceKind::Value && p.to.loc == Loc::Stack && p.offset == covered[p.arg] &&
          (p.offset == 0 || p.to.stack_offset - p.offset == std::uint64_t(in_place[p.arg]));
      if (!contiguous || !ok[p.arg]) {
        ok[p.arg] = false;
        continue;
      }
      if (p.offset == 0) in_place[p.arg] = p.to.stack_offset;
      covered[p.arg] += p.size;
    }
    for (std::size_t i = 0; i < n; ++i)
      if (!ok[i] || covered[i] != plan.args[i].size) in_place[i] = -1;
  }

  // Frame, from rsp up (every block 16-byte aligned): args[], ret buffer, result-pointer slot,
  // one box per argument, vector register saves.
  const std::uint32_t args_off = 0;
  const std::uint32_t ret_off = round16(8 * n);
  const std::uint32_t ret_bytes =
      plan.ret_kind == RetKind::Memory ? 0 : round16(std::max<std::uint32_t>(plan.ret_size, 16));
  const std::uint32_t sret_off = ret_off + ret_bytes;
  std::uint32_t pos = sret_off + 16;
  std::vector<std::uint32_t> box(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (plan.args[i].by_reference || in_place[i] >= 0) continue;
    box[i] = pos;
    pos += round16(std::max<std::uint32_t>(plan.args[i].size, 8));
  }
  const std::uint32_t vec_off = pos;
  pos += 16 * std::uint32_t(vec_saves.size());
  // After push rbp rsp is 16-aligned; each further push moves it by 8.
  const std::uint32_t frame = pos + (pushes.size() % 2 ? 8 : 0);

  Cfi cfi{a, cfi_ops};
  a.push(rbp);
  cfi.offset(8);
  cfi.saved(kRbp);
  a.mov(rbp, rsp);
  cfi_ops.push_back({CfiOp::CfaRegister, std::uint32_t(a.offset()), kDwarf[kRbp], 0});
  for (unsigned r : pushes) {
    a.push(gpq(r));
    cfi.cfa += 8;
    cfi.saved(r);
  }
  if (frame) a.sub(rsp, frame);
  for (std::size_t k = 0; k < vec_saves.size(); ++k)
    a.movaps(ptr(rsp, std::int32_t(vec_off + 16 * k)), xmm(vec_saves[k]));

  // Incoming stack arguments: the plan's offsets are from rsp at the call, i.e. rbp + 16.
  auto incoming = [&](std::uint32_t off) { return ptr(rbp, std::int32_t(16 + off)); };

  // Spill every incoming piece; only r11 is written, so no incoming register is lost.
  for (std::size_t i = 0; i < plan.pieces.size(); ++i) {
    const ArgPiece &p = plan.pieces[i];
    if (p.kind == PieceKind::Value) {
      if (in_place[p.arg] >= 0) continue;
      const Mem dst = ptr(rsp, std::int32_t(box[p.arg] + p.offset));
      if (p.to.loc == Loc::Gpr)
        store_gpr(a, dst, gpq(p.to.reg), p.size);
      else if (p.to.loc == Loc::Vec)
        store_vec(a, dst, xmm(p.to.reg), p.size);
      else
        copy_bytes(a, dst, incoming(p.to.stack_offset), p.size, r11);
      continue;
    }
    // Address: the caller's copy is args[i] itself; SretPtr: kept for the handler and rax.
    const std::int32_t slot =
        p.kind == PieceKind::Address ? std::int32_t(args_off + 8 * p.arg) : std::int32_t(sret_off);
    if (p.to.loc == Loc::Gpr) {
      a.mov(qword_ptr(rsp, slot), gpq(p.to.reg));
    } else {
      a.mov(r11, qword_ptr(rbp, std::int32_t(16 + p.to.stack_offset)));
      a.mov(qword_ptr(rsp, slot), r11);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (plan.args[i].by_reference) continue;
    if (in_place[i] >= 0)
      a.lea(r11, incoming(std::uint32_t(in_place[i])));
    else
      a.lea(r11, ptr(rsp, std::int32_t(box[i])));
    a.mov(qword_ptr(rsp, std::int32_t(args_off + 8 * i)), r11);
  }

  // handler(ret, args, user_data), host convention.
  if (plan.ret_kind == RetKind::Memory)
    a.mov(rdi, qword_ptr(rsp, std::int32_t(sret_off)));
  else
    a.lea(rdi, ptr(rsp, std::int32_t(ret_off)));
  a.lea(rsi, ptr(rsp, std::int32_t(args_off)));
  a.mov(rdx, qword_ptr(r10, std::int32_t(offsetof(ClosureContext, user_data))));
  a.call(qword_ptr(r10, std::int32_t(offsetof(ClosureContext, handler))));

  if (plan.ret_kind == RetKind::Regs) {
    for (const RetPiece &r : plan.ret_pieces) {
      const Mem src = ptr(rsp, std::int32_t(ret_off + r.offset));
      if (r.from.loc == Loc::Gpr)
        load_gpr(a, gpq(r.from.reg), src, r.size, r.ext);
      else if (r.from.loc == Loc::Vec)
        load_vec(a, xmm(r.from.reg), src, r.size);
      else if (r.from.loc == Loc::X87)
        a.fld(tword_ptr(rsp, std::int32_t(ret_off + r.offset)));
    }
  } else if (plan.ret_kind == RetKind::Memory && plan.sret_returned_in >= 0) {
    a.mov(gpq(unsigned(plan.sret_returned_in)), qword_ptr(rsp, std::int32_t(sret_off)));
  }

  for (std::size_t k = 0; k < vec_saves.size(); ++k)
    a.movaps(xmm(vec_saves[k]), ptr(rsp, std::int32_t(vec_off + 16 * k)));
  if (frame || !pushes.empty()) a.lea(rsp, ptr(rbp, -8 * std::int32_t(pushes.size())));
  for (auto it = pushes.rbegin(); it != pushes.rend(); ++it) {
    a.pop(gpq(*it));
    cfi.restored(*it);
  }
  a.pop(rbp);
  cfi_ops.push_back({CfiOp::CfaRspPlus, std::uint32_t(a.offset()), kDwarf[kRsp], 8});
  cfi.restored(kRbp);
  a.ret();
}

void write_trampoline(void *rw, const void *context, const void *entry) noexcept {
  unsigned char *p = static_cast<unsigned char *>(rw);
  const std::uint64_t ctx = reinterpret_cast<std::uint64_t>(context);
  const std::uint64_t dst = reinterpret_cast<std::uint64_t>(entry);
  p[0] = 0x49, p[1] = 0xBA;  // mov r10, imm64
  std::memcpy(p + 2, &ctx, 8);
  p[10] = 0x49, p[11] = 0xBB;  // mov r11, imm64
  std::memcpy(p + 12, &dst, 8);
  p[20] = 0x41, p[21] = 0xFF, p[22] = 0xE3;  // jmp r11
}

}  // namespace jitffi::jit::x64
