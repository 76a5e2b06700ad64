// x86-64 emitter: turns a CallPlan into a downcall stub or a shared upcall entry.
//
// Register use (none of these is an argument register of SysV or Win64; check_plan enforces it):
//   downcall: args[] is read through the register it arrives in (rdx, rsi when bound, rcx in
//             the ffi_call shape), and the piece bound for that register is loaded last;
//             r10 = target (unless it can stay where it arrives, rdi or in the ffi_call shape
//             rsi), r11 = one argument's pointer, cached, r10 = scratch data before the
//             target is moved there; `ret` waits in a stack slot across the call, and comes
//             back in r11 for the result stores (r10 scratch). rax = args[] only when a result
//             pointer must go to the register args[] arrives in.
//             ffi_call shape: r11 = the guard's 64-bit immediate, before anything else.
//             Static chain form: the chain (rcx) waits in a frame slot and goes to r10 just before
//             the call, the target then in rdi or r11.
//   upcall:   r10 = ClosureContext * (or, in the static chain form, the handler's user_data),
//             r11 = scratch; no frame pointer (fixed frame, rsp CFI).
// Every source of a register move is memory reached through a register that is not written
// before its last use, so the order of the moves cannot clobber a source.
#include "jit/x64_emitter.h"
#include "jit/upcall_frame.h"

#include <array>
#include <cstring>
#include <iterator>
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

}  // namespace

// ---- encoding ------------------------------------------------------------------------------

Assembler &CodeOut::assembler() {
  if (!a_) {
    holder_->init(Environment(Arch::kX64));  // x86-64 code on any host (listings, cross tests)
    if (errors_) holder_->setErrorHandler(errors_);
    a_ = &made_.emplace(holder_);
  }
  return *a_;
}

// The emitter's assembler (see CodeOut): its own encodings of the forms the stubs are made of,
// asmjit for the rest and for listings. (Outside the anonymous namespace: CodeOut's friend.)
class Emit {
 public:
  explicit Emit(CodeOut &out) : out_(out) {}
  ~Emit() {
    if (out_.a_) sync();
  }
  Emit(const Emit &) = delete;
  Emit &operator=(const Emit &) = delete;
  std::uint32_t offset() const noexcept {
    return std::uint32_t((out_.a_ ? out_.a_->offset() : 0) + out_.n_);
  }

  void mov(const Gp &d, const Mem &m) {
    if (!(own() && gp_mem(d, m, 0x8B, 0x8A))) as().mov(d, m);
  }
  void mov(const Mem &m, const Gp &r) {
    if (!(own() && gp_mem(r, m, 0x89, 0x88))) as().mov(m, r);
  }
  void mov(const Gp &d, const Gp &r) {  // 89 /r: the source in ModRM.reg
    if (own() && ((d.isGpq() && r.isGpq()) || (d.isGpd() && r.isGpd())))
      return rr(d.isGpq(), r.id(), d.id(), 0x89);
    as().mov(d, r);
  }
  void mov(const Gp &d, const Imm &i) {
    if (own() && d.isGpd() && i.isInt32() && i.value() >= 0) {  // mov r32, imm32 (B8+r)
      std::uint8_t *p = room();
      if (d.id() >= 8) *p++ = 0x41;
      *p++ = std::uint8_t(0xB8 + (d.id() & 7));
      return done(imm(p, std::uint64_t(i.value()), 4));
    }
    // mov r64, imm64 (REX.W B8+r): only for values no shorter form holds, where asmjit has no
    // choice of encoding either.
    if (own() && d.isGpq() && !i.isInt32() && !i.isUInt32()) {
      std::uint8_t *p = room();
      *p++ = std::uint8_t(0x48 | (d.id() >> 3));
      *p++ = std::uint8_t(0xB8 + (d.id() & 7));
      return done(imm(p, std::uint64_t(i.value()), 8));
    }
    as().mov(d, i);
  }
  void movsx(const Gp &d, const Mem &m) {
    if (!(own() && d.isGpq() && (m.size() == 1 || m.size() == 2) &&
          rm(0, true, d.id(), m, m.size() == 1 ? 0x0FBE : 0x0FBF)))
      as().movsx(d, m);
  }
  void movsx(const Gp &d, const Gp &r) {
    if (own() && d.isGpq() && (r.isGpbLo() || r.isGpw()))
      return rr(true, d.id(), r.id(), r.isGpbLo() ? 0x0FBE : 0x0FBF);
    as().movsx(d, r);
  }
  void movsxd(const Gp &d, const Mem &m) {
    if (!(own() && d.isGpq() && m.size() == 4 && rm(0, true, d.id(), m, 0x63))) as().movsxd(d, m);
  }
  void movsxd(const Gp &d, const Gp &r) {
    if (own() && d.isGpq() && r.isGpd()) return rr(true, d.id(), r.id(), 0x63);
    as().movsxd(d, r);
  }
  void movzx(const Gp &d, const Mem &m) {
    if (!(own() && d.isGpd() && (m.size() == 1 || m.size() == 2) &&
          rm(0, false, d.id(), m, m.size() == 1 ? 0x0FB6 : 0x0FB7)))
      as().movzx(d, m);
  }
  void movzx(const Gp &d, const Gp &r) {
    if (own() && d.isGpd() && (r.isGpbLo() || r.isGpw()))
      return rr(false, d.id(), r.id(), r.isGpbLo() ? 0x0FB6 : 0x0FB7, r.isGpbLo());
    as().movzx(d, r);
  }
  void movss(const Xmm &x, const Mem &m) { vec(0xF3, 0x0F10, x, m) || as().movss(x, m); }
  void movss(const Mem &m, const Xmm &x) { vec(0xF3, 0x0F11, x, m) || as().movss(m, x); }
  void movsd(const Xmm &x, const Mem &m) { vec(0xF2, 0x0F10, x, m) || as().movsd(x, m); }
  void movsd(const Mem &m, const Xmm &x) { vec(0xF2, 0x0F11, x, m) || as().movsd(m, x); }
  void movups(const Xmm &x, const Mem &m) { vec(0, 0x0F10, x, m) || as().movups(x, m); }
  void movups(const Mem &m, const Xmm &x) { vec(0, 0x0F11, x, m) || as().movups(m, x); }
  void movaps(const Xmm &x, const Mem &m) { vec(0, 0x0F28, x, m) || as().movaps(x, m); }
  void movaps(const Mem &m, const Xmm &x) { vec(0, 0x0F29, x, m) || as().movaps(m, x); }
  void lea(const Gp &d, const Mem &m) {
    if (!(own() && d.isGpq() && rm(0, true, d.id(), m, 0x8D))) as().lea(d, m);
  }
  void push(const Gp &r) { one_byte_reg(0x50, r) || as().push(r); }
  void pop(const Gp &r) { one_byte_reg(0x58, r) || as().pop(r); }
  void add(const Gp &r, const Imm &i) { arith(0, r, i) || as().add(r, i); }
  void sub(const Gp &r, const Imm &i) { arith(5, r, i) || as().sub(r, i); }
  void call(const Gp &r) { indirect(2, r) || as().call(r); }
  void call(const Mem &m) {  // FF /2 with a memory operand
    if (!(own() && rm(0, false, 2, m, 0xFF))) as().call(m);
  }
  void jmp(const Gp &r) { indirect(4, r) || as().jmp(r); }
  void ret() {
    if (!own()) return void(as().ret());
    std::uint8_t *p = room();
    *p++ = 0xC3;
    done(p);
  }
  // lock add qword [r11], 1 (a JITFFI_STATS counter).
  void lock_inc_r11() {
    if (!own()) return void(as().lock().add(qword_ptr(r11), 1));
    std::uint8_t *p = room();
    for (std::uint8_t b : {0xF0, 0x49, 0x83, 0x03, 0x01}) *p++ = b;
    done(p);
  }
  // The loop of a large copy (copy_bytes): n bytes (a multiple of 8) from src to dst, 8 at a
  // time through t, with idx (set to -n by the caller) counting up to 0, so both addresses are
  // [base + idx + disp + n] and `add` sets the flags the branch tests. Through asmjit: a rare form.
  void copy_loop(const Mem &dst, const Mem &src, std::uint32_t n, const Gp &idx, const Gp &t) {
    Assembler &x = as();
    const Label top = x.newLabel();
    x.bind(top);
    x.mov(t, qword_ptr(gpq(src.baseId()), idx, 0, src.offsetLo32() + std::int32_t(n)));
    x.mov(qword_ptr(gpq(dst.baseId()), idx, 0, dst.offsetLo32() + std::int32_t(n)), t);
    x.add(idx, 8);
    x.jnz(top);
  }
  // The unrolled part of copy_bytes from `pos` on: the same movs through tmp, 8/4/2/1 bytes each,
  // encoded from the bases and displacements without building operands per chunk (a long
  // signature's stack arguments are most of its stub). False when the operands are not simple.
  bool copy_chunks(const Mem &dst, const Mem &src, std::uint32_t pos, std::uint32_t size,
                   unsigned tmp) {
    if (!own() || !simple(dst) || !simple(src)) return false;
    copy_chunks(dst.baseId(), dst.offsetLo32(), src.baseId(), src.offsetLo32(), pos, size, tmp);
    return true;
  }
  // The same from [sb + sd] to [db + dd], 64-bit bases (own encodings only: check own()).
  void copy_chunks(unsigned db, std::int32_t dd, unsigned sb, std::int32_t sd, std::uint32_t pos,
                   std::uint32_t size, unsigned tmp) {
    for (std::uint32_t chunk : {8u, 4u, 2u, 1u}) {
      const std::uint8_t prefix = chunk == 2 ? 0x66 : 0;
      const bool w = chunk == 8, byte = chunk == 1;
      for (; size - pos >= chunk; pos += chunk) {
        rm(prefix, w, tmp, sb, sd + std::int32_t(pos), byte ? 0x8A : 0x8B, byte);
        rm(prefix, w, tmp, db, dd + std::int32_t(pos), byte ? 0x88 : 0x89, byte);
      }
    }
  }
  // mov r64, [base + disp] as mov(gpq(dst), ptr(gpq(base), disp)) encodes it, without building
  // the operands (own encodings only: check own()).
  void load_q(unsigned dst, unsigned base, std::int32_t disp) {
    rm(0, true, dst, base, disp, 0x8B, false);
  }
  bool own() const noexcept { return out_.own_; }
  void shl(const Gp &r, const Imm &i) { as().shl(r, i); }
  // The ffi_call shape's guard (jumps to a label): through asmjit, which resolves the label.
  Label new_label() { return as().newLabel(); }
  void bind(const Label &l) { as().bind(l); }
  void cmp(const Mem &m, const Imm &i) { as().cmp(m, i); }
  void cmp(const Mem &m, const Gp &r) { as().cmp(m, r); }
  void test(const Gp &d, const Gp &r) { as().test(d, r); }
  void jne(const Label &l) { as().jne(l); }
  void jz(const Label &l) { as().jz(l); }
  void shr(const Gp &r, const Imm &i) { as().shr(r, i); }
  void or_(const Gp &d, const Gp &r) { as().or_(d, r); }
  void fstp(const Mem &m) { as().fstp(m); }
  void fld(const Mem &m) { as().fld(m); }

 private:
  // Room for one instruction (at most 15 bytes); a full buffer goes to asmjit first.
  std::uint8_t *room() {
    if (out_.n_ + 16 > CodeOut::kCapacity) as();
    return out_.buf_ + out_.n_;
  }
  void done(std::uint8_t *end) noexcept { out_.n_ = std::uint32_t(end - out_.buf_); }
  static std::uint8_t *imm(std::uint8_t *p, std::uint64_t v, unsigned bytes) noexcept {
    for (unsigned k = 0; k < bytes; ++k) *p++ = std::uint8_t(v >> (8 * k));
    return p;
  }
  // Our bytes reach asmjit in one embed(), before any instruction asmjit encodes itself, and at
  // the end.
  void sync() {
    if (out_.n_) out_.a_->embed(out_.buf_, out_.n_);
    out_.n_ = 0;
  }
  Assembler &as() {
    Assembler &a = out_.assembler();
    sync();
    return a;
  }

  // [base + disp32] with a 64-bit base and nothing else (no index, segment, label or rip).
  static bool simple(const Mem &m) {
    return m.hasBaseReg() && m.baseType() == RegType::kX86_Gpq && !m.hasIndex() &&
           !m.hasSegment() && !m.isRegHome() && m.addrType() == Mem::AddrType::kDefault;
  }

  // The opcode: one byte, or 0F xx written as 0x0Fxx.
  static std::uint8_t *opcode(std::uint8_t *p, unsigned op) noexcept {
    if (op > 0xFF) *p++ = 0x0F;
    *p++ = std::uint8_t(op);
    return p;
  }

  // [prefix] [REX] opcode ModRM [SIB] [disp8/disp32] for ModRM.reg = reg and [base + disp].
  // byte_reg: reg is a byte register (spl..dil need a REX prefix).
  bool rm(std::uint8_t prefix, bool w, unsigned reg, const Mem &m, unsigned op,
          bool byte_reg = false) {
    if (!simple(m)) return false;
    rm(prefix, w, reg, m.baseId(), m.offsetLo32(), op, byte_reg);
    return true;
  }
  void rm(std::uint8_t prefix, bool w, unsigned reg, unsigned base, std::int32_t disp, unsigned op,
          bool byte_reg) {
    std::uint8_t *p = room();
    if (prefix) *p++ = prefix;
    const std::uint8_t rex = std::uint8_t(0x40 | (w ? 8 : 0) | ((reg >> 3) << 2) | (base >> 3));
    if (rex != 0x40 || (byte_reg && reg >= 4)) *p++ = rex;
    p = opcode(p, op);
    const unsigned mod = disp == 0 && (base & 7) != 5 ? 0 : disp >= -128 && disp <= 127 ? 1 : 2;
    *p++ = std::uint8_t(mod << 6 | (reg & 7) << 3 | (base & 7));
    if ((base & 7) == 4) *p++ = 0x24;  // SIB: base only
    if (mod == 1) *p++ = std::uint8_t(std::int8_t(disp));
    if (mod == 2) p = imm(p, std::uint32_t(disp), 4);
    done(p);
  }

  // [REX] opcode ModRM(11, reg, rmr) for two registers. byte_rm: rmr is a byte register.
  void rr(bool w, unsigned reg, unsigned rmr, unsigned op, bool byte_rm = false) {
    std::uint8_t *p = room();
    const std::uint8_t rex = std::uint8_t(0x40 | (w ? 8 : 0) | ((reg >> 3) << 2) | (rmr >> 3));
    if (rex != 0x40 || (byte_rm && rmr >= 4)) *p++ = rex;
    p = opcode(p, op);
    *p++ = std::uint8_t(0xC0 | (reg & 7) << 3 | (rmr & 7));
    done(p);
  }

  // mov between a general register and memory of the register's width.
  bool gp_mem(const Gp &r, const Mem &m, std::uint8_t op, std::uint8_t op8) {
    const unsigned id = r.id();
    const unsigned size = m.size() ? m.size() : r.size();  // ptr() leaves the size to the reg
    if (r.isGpq() && size == 8) return rm(0, true, id, m, op);
    if (r.isGpd() && size == 4) return rm(0, false, id, m, op);
    if (r.isGpw() && size == 2) return rm(0x66, false, id, m, op);
    if (r.isGpbLo() && size == 1) return rm(0, false, id, m, op8, true);
    return false;
  }

  bool vec(std::uint8_t prefix, unsigned op, const Xmm &x, const Mem &m) {
    return own() && x.isXmm() && rm(prefix, false, x.id(), m, op);
  }

  // push (50+r) or pop (58+r) of a 64-bit register.
  bool one_byte_reg(std::uint8_t op, const Gp &r) {
    if (!own() || !r.isGpq()) return false;
    std::uint8_t *p = room();
    if (r.id() >= 8) *p++ = 0x41;
    *p++ = std::uint8_t(op + (r.id() & 7));
    done(p);
    return true;
  }

  // add (/0) or sub (/5) of an immediate to a 64-bit register.
  bool arith(unsigned ext, const Gp &r, const Imm &i) {
    if (!own() || !r.isGpq() || !i.isInt32()) return false;
    const std::int64_t v = i.value();
    const bool short_imm = v >= -128 && v <= 127;
    std::uint8_t *p = room();
    *p++ = std::uint8_t(0x48 | (r.id() >> 3));
    *p++ = short_imm ? 0x83 : 0x81;
    *p++ = std::uint8_t(0xC0 | ext << 3 | (r.id() & 7));
    done(imm(p, std::uint64_t(v), short_imm ? 1 : 4));
    return true;
  }

  // call (/2) or jmp (/4) through a 64-bit register.
  bool indirect(unsigned ext, const Gp &r) {
    if (!own() || !r.isGpq()) return false;
    std::uint8_t *p = room();
    if (r.id() >= 8) *p++ = 0x41;
    *p++ = 0xFF;
    *p++ = std::uint8_t(0xC0 | ext << 3 | (r.id() & 7));
    done(p);
    return true;
  }

  CodeOut &out_;
};

namespace {

// ---- loads and stores of 1..8 byte values ---------------------------------------------------

// Loads `size` bytes at m into dst, widened per ext. Sizes 3, 5, 6, 7 (aggregate tails) are
// read as two overlapping loads inside the value, never past its end; uses r11.
void load_gpr(Emit &a, const Gp &dst, Mem m, std::uint32_t size, Ext ext) {
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

// Stores the low `size` bytes of src at m (odd sizes in 4/2/1 chunks through tmp).
void store_gpr(Emit &a, Mem m, const Gp &src, std::uint32_t size, const Gp &tmp) {
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
  const Gp t = gpq(tmp.id());
  a.mov(t, gpq(src.id()));
  std::uint32_t pos = 0;
  for (std::uint32_t chunk : {4u, 2u, 1u}) {
    if (size - pos < chunk) continue;
    Mem c = m;
    c.addOffset(pos);
    c.setSize(chunk);
    a.mov(c, chunk == 4 ? Gp(gpd(t.id())) : chunk == 2 ? Gp(gpw(t.id())) : Gp(gpb(t.id())));
    pos += chunk;
    if (pos < size) a.shr(t, 8 * chunk);
  }
}

void load_vec(Emit &a, const Xmm &x, Mem m, std::uint32_t size) {
  m.setSize(size);
  if (size == 4)
    a.movss(x, m);
  else if (size == 8)
    a.movsd(x, m);
  else
    a.movups(x, m);
}

void store_vec(Emit &a, Mem m, const Xmm &x, std::uint32_t size) {
  m.setSize(size);
  if (size == 4)
    a.movss(m, x);
  else if (size == 8)
    a.movsd(m, x);
  else
    a.movups(m, x);
}

// From this size on, copy_bytes loops (given an index register): the code of a call stays the
// same size however large its aggregates are (unrolled, it was ~2.3 bytes per byte copied).
constexpr std::uint32_t kCopyLoopMin = 128;

// Copies `size` bytes in 8/4/2/1 chunks through `tmp`: each chunk is loaded with the width it
// is stored with, so no load ever spans narrower stores of ours (store forwarding). With an
// `index` register free to clobber, the 8-byte chunks of a large copy go through a loop.
void copy_bytes(Emit &a, Mem dst, Mem src, std::uint32_t size, const Gp &tmp,
                const Gp *index = nullptr) {
  std::uint32_t pos = 0;
  if (index && size >= kCopyLoopMin && src.hasBaseReg() && !src.hasIndex() && dst.hasBaseReg() &&
      !dst.hasIndex()) {
    pos = size & ~7u;
    a.mov(gpq(index->id()), Imm(-std::int64_t(pos)));
    a.copy_loop(dst, src, pos, gpq(index->id()), gpq(tmp.id()));
  }
  if (a.copy_chunks(dst, src, pos, size, tmp.id())) return;
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
  Emit &a;
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

// The registers of a mask, in ascending order (no allocation: compiling a stub makes several).
class RegList {
 public:
  explicit RegList(std::uint32_t mask) {
    for (; mask; mask &= mask - 1) r_[n_++] = unsigned(__builtin_ctz(mask));
  }
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  unsigned operator[](std::size_t k) const noexcept { return r_[k]; }
  const unsigned *begin() const noexcept { return r_.data(); }
  const unsigned *end() const noexcept { return r_.data() + n_; }
  auto rbegin() const noexcept { return std::make_reverse_iterator(end()); }
  auto rend() const noexcept { return std::make_reverse_iterator(begin()); }

 private:
  std::array<unsigned, 32> r_;  // the first n_ are set
  std::size_t n_ = 0;
};

RegList regs_of(std::uint32_t mask) {
  return RegList(mask);
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
    // Built only for the message: check_plan runs on every compile.
    auto bad = [&](const std::string &what) { bad_plan(plan, piece_name(i, p) + what); };
    if (p.kind != PieceKind::SretPtr && p.arg >= plan.args.size()) bad(" names a missing argument");
    const std::uint32_t width = p.kind == PieceKind::Value ? p.size : 8;
    switch (p.to.loc) {
      case Loc::Gpr:
        if (p.to.reg >= 16 || (kReservedArg & bit(p.to.reg)))
          bad(" goes to a register the stubs reserve");
        if (width < 1 || width > 8) bad(" has size " + std::to_string(width));
        break;
      case Loc::Vec:
        if (p.to.reg >= 16) bad(" goes to a missing vector register");
        if (p.kind != PieceKind::Value || (width != 4 && width != 8 && width != 16))
          bad(" is not a 4, 8 or 16 byte value for a vector register");
        break;
      case Loc::Stack: {
        const std::uint32_t stored = p.ext != Ext::None ? 8 : width;
        if (width == 0 || std::uint64_t(p.to.stack_offset) + stored > plan.stack_bytes)
          bad(" lies outside the outgoing stack area");
        break;
      }
      case Loc::X87:
        bad(" is passed in an x87 register");
    }
    if (p.kind == PieceKind::Value) {
      if (std::uint64_t(p.offset) + p.size > plan.args[p.arg].size) bad(" reads past its argument");
      if (p.ext != Ext::None && p.size != 1 && p.size != 2 && p.size != 4)
        bad(" extends a value that is not 1, 2 or 4 bytes");
    } else if (p.kind == PieceKind::Address) {
      const abi::ArgInfo &ai = plan.args[p.arg];
      if (!ai.by_reference || std::uint64_t(ai.copy_offset) + ai.size > plan.copy_bytes)
        bad(" is an address of an argument without a copy");
    } else if (plan.ret_kind != RetKind::Memory) {
      bad(" is a result pointer but the result is not in memory");
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

namespace {

// Aggregate tails of 3, 5, 6 or 7 bytes: load_gpr needs r11 for them.
bool odd_size(std::uint32_t size) {
  return size == 3 || size == 5 || size == 6 || size == 7;
}

// The downcall; `chain`: the stub's fourth argument (rcx) goes to the callee in r10. With
// `entry` (value or slot entry; never bound or chained), args[] or slots[] arrive in rsi and the
// result stays in its registers; `hooks` as for emit_entry. With `guard` (boxed only): libffi's
// ffi_call shape, cif, fn, ret and args[] in rdi, rsi, rdx, rcx, and the guard's checks first.
void downcall(CodeOut &out, const CallPlan &plan, const void *target, bool chain,
              std::vector<CfiOp> &cfi_ops, const EntryKind *entry = nullptr,
              const EntryHooks &hooks = {}, const CifGuard *guard = nullptr) {
  if (!out.plan_checked()) check_plan(plan);
  Emit a(out);
  const bool bound = target != nullptr;
  const bool boxed = entry == nullptr;
  const bool slots = entry && *entry == EntryKind::Slots;
  const bool errno_hooks = entry && hooks.errno_enter && hooks.errno_leave;
  const Gp fn_in = guard ? rsi : rdi;                 // unless bound
  const Gp ret_in = guard ? rdx : bound ? rdi : rsi;  // boxed only (entries have no result pointer)
  const Gp args_in = guard ? rcx : bound || !boxed ? rsi : rdx;
  const bool ret_after = boxed && plan.ret_kind == RetKind::Regs && !plan.ret_pieces.empty();
  // Where argument `arg`'s piece at `offset` is read when the slot holds the value itself.
  auto in_slot = [&](unsigned arg) { return slots && plan.args[arg].slot_value; };

  // Which registers the pieces write, and how many register pieces each argument has.
  std::uint32_t written = 0;
  bool sret_to_args_in = false;
  // (counts of at most 32 registers; on the stack unless there are many arguments)
  std::uint8_t small[32];
  std::vector<std::uint8_t> many;
  std::uint8_t *reg_pieces = small;
  if (plan.args.size() > sizeof small) {
    many.resize(plan.args.size());
    reg_pieces = many.data();
  }
  std::memset(reg_pieces, 0, plan.args.size());
  for (const ArgPiece &p : plan.pieces) {
    if (p.to.loc != Loc::Gpr && p.to.loc != Loc::Vec) continue;
    if (p.to.loc == Loc::Gpr) written |= bit(p.to.reg);
    if (p.kind == PieceKind::SretPtr && p.to.loc == Loc::Gpr && p.to.reg == args_in.id())
      sret_to_args_in = true;
    if (p.kind == PieceKind::Value) ++reg_pieces[p.arg];
  }
  // args[] is read through the register it arrives in; the piece bound for that register is
  // loaded last. Only a result pointer bound for it (read from ret_in, which a load may
  // overwrite) needs args[] moved to rax first.
  const Gp base = sret_to_args_in ? rax : args_in;
  // The target stays where it arrives unless a piece needs that register.
  const bool target_stays = !bound && !(written & bit(fn_in.id()));
  const Gp fn = target_stays ? fn_in : r10;

  // Registers our caller expects kept that the callee may clobber.
  const RegList pushes = regs_of(abi::must_preserve(kStubAbi, plan.abi).gpr);
  // `ret` is kept in a stack slot across the call (pushed first): cheaper than a callee-saved
  // register, which would need saving too.
  const std::size_t saved = pushes.size() + (ret_after ? 1 : 0);
  const std::uint32_t copy_base = round16(plan.stack_bytes);
  // The static chain waits in a slot above the copies: rcx may carry an argument.
  const std::uint32_t chain_off = copy_base + round16(plan.copy_bytes);
  const std::uint32_t area = chain_off + (chain ? 16 : 0);
  // Nothing to do after the call: jump to the target, which returns to our caller.
  const bool tail = saved == 0 && area == 0 && !errno_hooks;
  // At the call rsp is 16-byte aligned: 8 (return address) + saved slots + frame.
  const std::uint32_t frame = tail ? 0 : area + (saved % 2 ? 0 : 8);

  Cfi cfi{a, cfi_ops};
  // The guard: every check before the frame, so that `slow` is entered with our caller's stack
  // and the four arguments as they came. r11 is free until the arguments are loaded.
  Label slow;
  if (guard) {
    const bool writes_ret = ret_after || plan.ret_kind == RetKind::Memory;  // ret, or sret
    slow = a.new_label();
    a.cmp(dword_ptr(rdi, std::int32_t(guard->flags_offset)), Imm(guard->flags));
    a.jne(slow);
    if (Imm(guard->head).isInt32()) {
      a.cmp(qword_ptr(rdi), Imm(guard->head));
    } else {
      a.mov(r11, Imm(guard->head));
      a.cmp(qword_ptr(rdi), r11);
    }
    a.jne(slow);
    if (writes_ret) {  // libffi takes a null `ret` for any result: the slow way gives it room
      a.test(ret_in, ret_in);
      a.jz(slow);
    }
  }
  // After the last instruction of the stub: the way out when the guard fails.
  auto slow_exit = [&] {
    if (!guard) return;
    a.bind(slow);
    a.mov(r11, Imm(reinterpret_cast<std::uint64_t>(guard->slow)));
    a.jmp(r11);
  };
  if (hooks.counter && entry) {  // r11 is free until the arguments are loaded
    a.mov(r11, Imm(reinterpret_cast<std::uint64_t>(hooks.counter)));
    a.lock_inc_r11();
  }
  if (errno_hooks) {  // fn and args[] wait on the stack; the call needs rsp 16-byte aligned
    a.push(rdi);
    cfi.offset(8);
    a.push(rsi);
    cfi.offset(8);
    a.sub(rsp, 8);
    cfi.offset(8);
    a.mov(r11, Imm(reinterpret_cast<std::uint64_t>(hooks.errno_enter)));
    a.call(r11);
    a.add(rsp, 8);
    cfi.offset(-8);
    a.pop(rsi);
    cfi.offset(-8);
    a.pop(rdi);
    cfi.offset(-8);
  }
  if (ret_after) {
    a.push(ret_in);
    cfi.offset(8);
  }
  for (unsigned r : pushes) {
    a.push(gpq(r));
    cfi.offset(8);
    cfi.saved(r);
  }
  if (frame) {
    a.sub(rsp, frame);
    cfi.offset(std::int32_t(frame));
  }
  if (chain) a.mov(qword_ptr(rsp, std::int32_t(chain_off)), rcx);

  if (base != args_in) a.mov(base, args_in);
  // r11 caches one argument's pointer, so the pieces of an aggregate read args[] once.
  int r11_holds = -1;
  auto ptr_in_r11 = [&](unsigned arg) {
    if (r11_holds == int(arg)) return;
    if (a.own())
      a.load_q(kR11, base.id(), std::int32_t(8 * arg));
    else
      a.mov(r11, ptr(base, std::int32_t(8 * arg)));
    r11_holds = int(arg);
  };

  // Phase 1: memory destinations, while every argument register is still free. Scratch: r11
  // (pointer), r10 (data; the target is moved into r10 afterwards) and r9 (a copy loop's index:
  // no input of any stub shape arrives in it).
  for (std::size_t i = 0; i < plan.args.size(); ++i) {
    const abi::ArgInfo &ai = plan.args[i];
    if (!ai.by_reference) continue;
    ptr_in_r11(unsigned(i));
    copy_bytes(a, ptr(rsp, std::int32_t(copy_base + ai.copy_offset)), ptr(r11), ai.size, r10, &r9);
  }
  for (std::size_t i = 0; i < plan.pieces.size(); ++i) {
    const ArgPiece &p = plan.pieces[i];
    if (p.to.loc != Loc::Stack) continue;
    const Mem dst = ptr(rsp, std::int32_t(p.to.stack_offset));
    switch (p.kind) {
      case PieceKind::Value: {
        Mem src = ptr(base, std::int32_t(8 * p.arg + p.offset));
        if (!in_slot(p.arg)) {
          ptr_in_r11(p.arg);
          src = ptr(r11, std::int32_t(p.offset));
        }
        if (p.ext != Ext::None) {  // 1, 2 or 4 bytes (check_plan): r11 survives
          load_gpr(a, r10, src, p.size, p.ext);
          a.mov(qword_ptr(rsp, std::int32_t(p.to.stack_offset)), r10);
        } else {
          // The following pieces of this argument that continue it on both sides (an aggregate
          // in memory comes one piece per eightbyte) make one copy: a loop when it is large.
          std::uint32_t size = p.size;
          for (; i + 1 < plan.pieces.size() && !in_slot(p.arg); ++i) {
            const ArgPiece &q = plan.pieces[i + 1];
            if (q.kind != PieceKind::Value || q.arg != p.arg || q.to.loc != Loc::Stack ||
                q.ext != Ext::None || q.offset != p.offset + size ||
                q.to.stack_offset != p.to.stack_offset + size)
              break;
            size += q.size;
          }
          if (size < kCopyLoopMin && a.own())  // the common case, encoded without operands
            a.copy_chunks(kRsp, std::int32_t(p.to.stack_offset), src.baseId(), src.offsetLo32(), 0,
                          size, r10.id());
          else
            copy_bytes(a, dst, src, size, r10, &r9);
        }
        break;
      }
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
  if (!bound && !target_stays) a.mov(r10, fn_in);
  for (const ArgPiece &p : plan.pieces)  // the result pointer is read from ret_in: first
    if (p.kind == PieceKind::SretPtr && p.to.loc == Loc::Gpr && p.to.reg != ret_in.id())
      a.mov(gpq(p.to.reg), ret_in);
  auto load_piece = [&](const ArgPiece &p) {
    if (p.kind == PieceKind::Value && in_slot(p.arg)) {  // the value is in slots[arg] itself
      const Mem src = ptr(base, std::int32_t(8 * p.arg + p.offset));
      if (p.to.loc == Loc::Gpr)
        load_gpr(a, gpq(p.to.reg), src, p.size, p.ext);  // 1, 2, 4 or 8 bytes: no r11
      else if (p.to.loc == Loc::Vec)
        load_vec(a, xmm(p.to.reg), src, p.size);
      return;
    }
    if (p.to.loc == Loc::Gpr) {
      const Gp dst = gpq(p.to.reg);
      if (p.kind == PieceKind::Value) {
        if (odd_size(p.size)) {  // load_gpr uses r11 itself: go through dst
          a.mov(dst, ptr(base, std::int32_t(8 * p.arg)));
          load_gpr(a, dst, ptr(dst, std::int32_t(p.offset)), p.size, p.ext);
          r11_holds = -1;
        } else if (reg_pieces[p.arg] > 1 || r11_holds == int(p.arg)) {
          ptr_in_r11(p.arg);
          load_gpr(a, dst, ptr(r11, std::int32_t(p.offset)), p.size, p.ext);
        } else {
          a.mov(dst, ptr(base, std::int32_t(8 * p.arg)));
          load_gpr(a, dst, ptr(dst, std::int32_t(p.offset)), p.size, p.ext);
        }
      } else if (p.kind == PieceKind::Address) {
        a.lea(dst, ptr(rsp, std::int32_t(copy_base + plan.args[p.arg].copy_offset)));
      }
    } else if (p.to.loc == Loc::Vec) {
      ptr_in_r11(p.arg);
      load_vec(a, xmm(p.to.reg), ptr(r11, std::int32_t(p.offset)), p.size);
    }
  };
  const bool base_written = written & bit(base.id());
  for (const ArgPiece &p : plan.pieces)
    if (!(base_written && p.to.loc == Loc::Gpr && p.to.reg == base.id())) load_piece(p);
  if (base_written)
    for (const ArgPiece &p : plan.pieces)
      if (p.to.loc == Loc::Gpr && p.to.reg == base.id()) load_piece(p);
  if (bound) a.mov(r10, Imm(reinterpret_cast<std::uint64_t>(target)));
  Gp callee = fn;
  if (chain) {  // r11 is free once every piece is loaded
    if (callee.id() == r10.id()) {
      a.mov(r11, r10);
      callee = r11;
    }
    a.mov(r10, qword_ptr(rsp, std::int32_t(chain_off)));
  }
  if (plan.vector_count >= 0) a.mov(eax, plan.vector_count);

  if (tail) {
    a.jmp(callee);
    return slow_exit();
  }
  a.call(callee);

  // The result goes through r11 (= ret), with r10 as scratch; neither carries a result.
  if (ret_after) {
    if (pushes.empty()) {
      if (frame) {
        a.add(rsp, frame);
        cfi.offset(-std::int32_t(frame));
      }
      a.pop(r11);
      cfi.offset(-8);
    } else {
      a.mov(r11, qword_ptr(rsp, std::int32_t(frame + 8 * pushes.size())));
    }
    for (const RetPiece &r : plan.ret_pieces) {
      const Mem dst = ptr(r11, std::int32_t(r.offset));
      switch (r.from.loc) {
        case Loc::Gpr: {
          const unsigned reg = r.from.reg;
          if (r.ext == Ext::Sign) {
            if (r.size == 4)
              a.movsxd(r10, gpd(reg));
            else
              a.movsx(r10, r.size == 1 ? Gp(gpb(reg)) : Gp(gpw(reg)));
            a.mov(qword_ptr(r11, std::int32_t(r.offset)), r10);
          } else if (r.ext == Ext::Zero) {
            if (r.size == 4)
              a.mov(r10d, gpd(reg));
            else
              a.movzx(r10d, r.size == 1 ? Gp(gpb(reg)) : Gp(gpw(reg)));
            a.mov(qword_ptr(r11, std::int32_t(r.offset)), r10);
          } else {
            store_gpr(a, dst, gpq(reg), r.size, r10);
          }
          break;
        }
        case Loc::Vec:
          store_vec(a, dst, xmm(r.from.reg), r.size);
          break;
        case Loc::X87:
          a.fstp(tword_ptr(r11, std::int32_t(r.offset)));
          break;
        case Loc::Stack:
          break;  // rejected by check_plan
      }
    }
    if (pushes.empty()) {
      a.ret();
      return slow_exit();
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
  if (ret_after) {
    a.add(rsp, 8);  // the saved `ret`
    cfi.offset(-8);
  }
  if (errno_hooks) {
    // errno_leave() may use every caller-saved register: the result waits in 16-byte slots.
    a.sub(rsp, 40);
    cfi.offset(40);
    auto keep = [&](bool save) {
      for (std::size_t i = 0; i < plan.ret_pieces.size(); ++i) {
        const RetPiece &r = plan.ret_pieces[i];
        const Mem m = ptr(rsp, std::int32_t(16 * i));
        if (r.from.loc == Loc::Gpr)
          save ? a.mov(qword_ptr(rsp, std::int32_t(16 * i)), gpq(r.from.reg))
               : a.mov(gpq(r.from.reg), qword_ptr(rsp, std::int32_t(16 * i)));
        else if (r.from.loc == Loc::Vec)
          save ? store_vec(a, m, xmm(r.from.reg), r.size == 16 ? 16 : 8)
               : load_vec(a, xmm(r.from.reg), m, r.size == 16 ? 16 : 8);
        else if (r.from.loc == Loc::X87)
          save ? a.fstp(tword_ptr(rsp, std::int32_t(16 * i)))
               : a.fld(tword_ptr(rsp, std::int32_t(16 * i)));
      }
    };
    keep(true);
    a.mov(r11, Imm(reinterpret_cast<std::uint64_t>(hooks.errno_leave)));
    a.call(r11);
    keep(false);
    a.add(rsp, 40);
    cfi.offset(-40);
  }
  a.ret();
  slow_exit();
}

}  // namespace

void emit_entry(CodeOut &out, const CallPlan &plan, EntryKind kind, const EntryHooks &hooks,
                std::vector<CfiOp> &cfi) {
  if (abi::value_shape(plan).kind == ValueShape::None || plan.ret_pieces.size() > 2)
    bad_plan(plan, "its result does not come back in registers a value entry can leave it in");
  if ((hooks.errno_enter == nullptr) != (hooks.errno_leave == nullptr))
    throw Error("jitffi: an entry with errno capture needs both hooks");
  downcall(out, plan, nullptr, /*chain=*/false, cfi, &kind, hooks);
}

void emit_downcall(CodeOut &out, const CallPlan &plan, const void *target,
                   std::vector<CfiOp> &cfi) {
  downcall(out, plan, target, /*chain=*/false, cfi);
}

void emit_cif_downcall(CodeOut &out, const CallPlan &plan, const CifGuard &guard,
                       std::vector<CfiOp> &cfi) {
  downcall(out, plan, nullptr, /*chain=*/false, cfi, nullptr, {}, &guard);
}

void emit_chain_downcall(CodeOut &out, const CallPlan &plan, std::vector<CfiOp> &cfi) {
  downcall(out, plan, nullptr, /*chain=*/true, cfi);
}

// ---- upcall -------------------------------------------------------------------------------

namespace {

// The shared entry; with a `handler` the context in r10 is the handler's user_data itself (a
// static chain), else a ClosureContext.
void upcall(CodeOut &out, const CallPlan &plan, const void *handler, std::vector<CfiOp> &cfi_ops) {
  if (!out.plan_checked()) check_plan(plan);
  Emit a(out);
  // The entry is called with the plan's convention and calls the handler with the host's.
  const abi::CalleeSaved keep = abi::must_preserve(plan.abi, kStubAbi);
  const RegList pushes = regs_of(keep.gpr);
  const RegList vec_saves = regs_of(keep.vec);

  // Frame, from rsp up (jit/upcall_frame): args[], ret buffer, result-pointer slot, one box per
  // argument, then the vector register saves.
  const std::size_t n = plan.args.size();
  const UpcallFrame lay = layout_upcall_frame(plan, /*extended_in_place=*/true);
  const std::vector<std::int64_t> &in_place = lay.in_place;
  const std::vector<std::uint32_t> &box = lay.box;
  const std::uint32_t args_off = lay.args_off, ret_off = lay.ret_off, sret_off = lay.sret_off;
  std::uint32_t pos = lay.end;
  const std::uint32_t vec_off = pos;
  pos += 16 * std::uint32_t(vec_saves.size());
  // At entry rsp is 8 off 16-byte alignment (the return address); each push moves it by 8.
  const std::uint32_t frame = pos + (pushes.size() % 2 ? 0 : 8);
  // No frame pointer: the frame has a fixed size, so the CFI describes it from rsp alone.
  const std::int32_t above = std::int32_t(frame + 8 * pushes.size());

  Cfi cfi{a, cfi_ops};
  for (unsigned r : pushes) {
    a.push(gpq(r));
    cfi.offset(8);
    cfi.saved(r);
  }
  a.sub(rsp, frame);
  cfi.offset(std::int32_t(frame));
  for (std::size_t k = 0; k < vec_saves.size(); ++k)
    a.movaps(ptr(rsp, std::int32_t(vec_off + 16 * k)), xmm(vec_saves[k]));

  // Incoming stack arguments: the plan's offsets are from rsp at the call, just above the
  // return address.
  auto incoming = [&](std::uint32_t off) { return ptr(rsp, above + 8 + std::int32_t(off)); };

  // Spill every incoming piece; only r11 (and rax, a copy loop's index) is written, so no
  // incoming register is lost.
  for (std::size_t i = 0; i < plan.pieces.size(); ++i) {
    const ArgPiece &p = plan.pieces[i];
    if (p.kind == PieceKind::Value) {
      if (in_place[p.arg] >= 0) continue;
      const Mem dst = ptr(rsp, std::int32_t(box[p.arg] + p.offset));
      if (p.to.loc == Loc::Gpr)
        store_gpr(a, dst, gpq(p.to.reg), p.size, r11);
      else if (p.to.loc == Loc::Vec)
        store_vec(a, dst, xmm(p.to.reg), p.size);
      else
        copy_bytes(a, dst, incoming(p.to.stack_offset), p.size, r11, &rax);
      continue;
    }
    // Address: the caller's copy is args[i] itself; SretPtr: kept for the handler and rax.
    const std::int32_t slot =
        p.kind == PieceKind::Address ? std::int32_t(args_off + 8 * p.arg) : std::int32_t(sret_off);
    if (p.to.loc == Loc::Gpr) {
      a.mov(qword_ptr(rsp, slot), gpq(p.to.reg));
    } else {
      a.mov(r11, qword_ptr(rsp, above + 8 + std::int32_t(p.to.stack_offset)));
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
  if (handler) {
    a.mov(rdx, r10);
    a.mov(r11, Imm(reinterpret_cast<std::uint64_t>(handler)));
    a.call(r11);
  } else {
    a.mov(rdx, qword_ptr(r10, std::int32_t(offsetof(ClosureContext, user_data))));
    a.call(qword_ptr(r10, std::int32_t(offsetof(ClosureContext, handler))));
  }

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
  a.add(rsp, frame);
  cfi.offset(-std::int32_t(frame));
  for (auto it = pushes.rbegin(); it != pushes.rend(); ++it) {
    a.pop(gpq(*it));
    cfi.offset(-8);
    cfi.restored(*it);
  }
  a.ret();
}

}  // namespace

void emit_upcall(CodeOut &out, const CallPlan &plan, std::vector<CfiOp> &cfi) {
  upcall(out, plan, nullptr, cfi);
}

void emit_chain_upcall(CodeOut &out, const CallPlan &plan, const void *handler,
                       std::vector<CfiOp> &cfi) {
  if (!handler) throw Error("jitffi: a static chain entry needs a handler");
  upcall(out, plan, handler, cfi);
}

// ---- typed closure -------------------------------------------------------------------------

void emit_typed_closure(CodeOut &out, const CallPlan &plan, const ClosureContext &ctx,
                        std::vector<CfiOp> &cfi_ops) {
  if (!out.plan_checked()) check_plan(plan);
  Emit a(out);
  const ArgPiece &ud = plan.pieces.back();
  const std::int64_t handler = std::int64_t(reinterpret_cast<std::uintptr_t>(ctx.handler));
  const std::int64_t user_data = std::int64_t(reinterpret_cast<std::uintptr_t>(ctx.user_data));
  if (typed_closure_register(plan) >= 0) {  // the registers are the handler's already
    a.mov(gpq(ud.to.reg), Imm(user_data));
    a.mov(r11, Imm(handler));
    a.jmp(r11);
    return;
  }
  // user_data goes on the stack, after the caller's stack arguments: a new outgoing area with
  // the caller's stack arguments at the same offsets. Only r11 is written: every argument
  // register reaches the handler untouched, and its result registers the caller.
  const std::uint32_t frame = round16(plan.stack_bytes) + 8;  // rsp 16-byte aligned at the call
  Cfi cfi{a, cfi_ops};
  a.sub(rsp, frame);
  cfi.offset(std::int32_t(frame));
  for (std::size_t i = 0; i + 1 < plan.pieces.size(); ++i) {
    const ArgPiece &p = plan.pieces[i];
    if (p.to.loc != Loc::Stack) continue;
    const std::uint32_t size = p.kind == PieceKind::Value ? p.size : 8;
    for (std::uint32_t o = 0; o < size; o += 8) {  // whole slots: the caller wrote them
      a.mov(r11, qword_ptr(rsp, std::int32_t(frame + 8 + p.to.stack_offset + o)));
      a.mov(qword_ptr(rsp, std::int32_t(p.to.stack_offset + o)), r11);
    }
  }
  a.mov(r11, Imm(user_data));
  a.mov(qword_ptr(rsp, std::int32_t(ud.to.stack_offset)), r11);
  a.mov(r11, Imm(handler));
  a.call(r11);
  a.add(rsp, frame);
  cfi.offset(-std::int32_t(frame));
  a.ret();
}

bool encoding_matches(const CallPlan &plan, std::string *why) {
  // Bytes of one stub kind (0 downcall, 1 bound, 2 upcall, 3 and 4 their static chain forms),
  // compiled as a stub is (own encodings, asmjit where needed) or by asmjit alone.
  const bool entries = abi::value_shape(plan).kind != ValueShape::None;
  static std::uint64_t counter;  // never incremented: only encoded
  static const char hook = 0;
  const EntryHooks all{&counter, &hook, &hook};
  auto bytes = [&](int kind, bool own) {
    CodeHolder code;
    std::optional<Assembler> alone;
    std::optional<CodeOut> out;
    if (own) {
      out.emplace(code, nullptr);
    } else {
      code.init(Environment(Arch::kX64));  // x86-64 code on any host (cross builds)
      out.emplace(alone.emplace(&code));
    }
    std::vector<CfiOp> cfi;
    static const char dummy = 0;  // a bound target or handler, never called
    {
      if (kind == 2)
        emit_upcall(*out, plan, cfi);
      else if (kind == 3)
        emit_chain_downcall(*out, plan, cfi);
      else if (kind == 4)
        emit_chain_upcall(*out, plan, &dummy, cfi);
      else if (kind == 9)
        emit_cif_downcall(*out, plan, CifGuard{28, 0x6a000001u, 0x200000002ull, &dummy}, cfi);
      else if (kind >= 5)
        emit_entry(*out, plan, kind % 2 ? EntryKind::Value : EntryKind::Slots,
                   kind >= 7 ? all : EntryHooks{}, cfi);
      else
        emit_downcall(*out, plan, kind == 1 ? &dummy : nullptr, cfi);
    }
    if (out->direct()) return std::vector<std::uint8_t>(out->bytes(), out->bytes() + out->size());
    const CodeBuffer &buf = code.textSection()->buffer();
    return std::vector<std::uint8_t>(buf.data(), buf.data() + buf.size());
  };
  static const char *const kKinds[] = {"downcall",
                                       "bound downcall",
                                       "upcall",
                                       "static chain downcall",
                                       "static chain upcall",
                                       "value entry",
                                       "slot entry",
                                       "value entry with errno and count",
                                       "slot entry with errno and count",
                                       "ffi_call-shape downcall"};
  for (int kind : {0, 1, 2, 3, 4, 9, 5, 6, 7, 8}) {
    if (kind >= 5 && kind <= 8 && !entries) continue;
    const std::vector<std::uint8_t> mine = bytes(kind, true), theirs = bytes(kind, false);
    if (mine == theirs) continue;
    if (why) {
      std::size_t at = 0;
      while (at < mine.size() && at < theirs.size() && mine[at] == theirs[at]) ++at;
      *why = std::string(kKinds[kind]) + ": first difference at byte " + std::to_string(at) + " (" +
             std::to_string(mine.size()) + " bytes vs asmjit's " + std::to_string(theirs.size()) +
             ")";
    }
    return false;
  }
  return true;
}

void write_trampoline(void *rw, const void *rx, const void *context, const void *entry,
                      unsigned reg) noexcept {
  unsigned char *p = static_cast<unsigned char *>(rw);
  const std::uint64_t ctx = reinterpret_cast<std::uint64_t>(context);
  const std::uint64_t dst = reinterpret_cast<std::uint64_t>(entry);
  p[0] = std::uint8_t(0x48 | (reg >> 3)), p[1] = std::uint8_t(0xB8 + (reg & 7));  // mov reg, imm64
  std::memcpy(p + 2, &ctx, 8);
  // jmp rel32 when the entry is within reach of the trampoline (it is in the same memory): a
  // direct jump, no second immediate.
  const std::int64_t rel =
      std::int64_t(dst) - std::int64_t(reinterpret_cast<std::uint64_t>(rx) + 15);
  if (rel >= INT32_MIN && rel <= INT32_MAX) {
    const std::int32_t r32 = std::int32_t(rel);
    p[10] = 0xE9;  // jmp rel32
    std::memcpy(p + 11, &r32, 4);
    std::memset(p + 15, 0xCC, kTrampolineSize - 15);  // int3: never reached
    return;
  }
  p[10] = 0x49, p[11] = 0xBB;  // mov r11, imm64
  std::memcpy(p + 12, &dst, 8);
  p[20] = 0x41, p[21] = 0xFF, p[22] = 0xE3;  // jmp r11
}

}  // namespace jitffi::jit::x64
