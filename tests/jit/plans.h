// Hand-built call plans for the targets in targets.h, written from the psABI / Microsoft x64
// documents; the C compiler that built targets.c decides whether they are right.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "abi/call_plan.h"
#include "jitffi/signature.h"

namespace jitffi::test {

using abi::CallPlan;
using abi::Ext;
using abi::Loc;
using abi::PieceKind;
using abi::RetKind;

enum Reg : std::uint8_t {
  RAX = 0,
  RCX = 1,
  RDX = 2,
  RSI = 6,
  RDI = 7,
  R8 = 8,
  R9 = 9,
};

class PlanBuilder {
 public:
  explicit PlanBuilder(Abi abi = Abi::SysV_x64) {
    p_.abi = abi;
    p_.isa = abi::Isa::X64;
    if (abi == Abi::Win64) p_.shadow_bytes = 32, p_.stack_bytes = 32;
  }
  PlanBuilder &arg(std::uint32_t size, std::uint32_t align) {
    p_.args.push_back({size, align, false, 0});
    return *this;
  }
  PlanBuilder &byref(std::uint32_t size, std::uint32_t align, std::uint32_t copy_offset) {
    p_.args.push_back({size, align, true, copy_offset});
    p_.copy_bytes = std::max<std::uint32_t>(p_.copy_bytes, (copy_offset + size + 15) / 16 * 16);
    return *this;
  }
  PlanBuilder &gpr(unsigned a, std::uint32_t off, std::uint32_t size, unsigned reg,
                   Ext ext = Ext::None) {
    return piece(PieceKind::Value, a, off, size, ext, {Loc::Gpr, std::uint8_t(reg), 0});
  }
  PlanBuilder &vec(unsigned a, std::uint32_t off, std::uint32_t size, unsigned reg) {
    return piece(PieceKind::Value, a, off, size, Ext::None, {Loc::Vec, std::uint8_t(reg), 0});
  }
  PlanBuilder &stack(unsigned a, std::uint32_t off, std::uint32_t size, std::uint32_t at,
                     Ext ext = Ext::None) {
    const std::uint32_t end = at + (ext != Ext::None ? 8 : size);
    p_.stack_bytes = std::max<std::uint32_t>(p_.stack_bytes, (end + 15) / 16 * 16);
    return piece(PieceKind::Value, a, off, size, ext, {Loc::Stack, 0, at});
  }
  PlanBuilder &address(unsigned a, unsigned reg) {
    return piece(PieceKind::Address, a, 0, 8, Ext::None, {Loc::Gpr, std::uint8_t(reg), 0});
  }
  PlanBuilder &sret(unsigned reg, std::uint32_t size) {
    p_.ret_kind = RetKind::Memory;
    p_.ret_size = size;
    p_.sret_returned_in = RAX;
    return piece(PieceKind::SretPtr, 0, 0, 8, Ext::None, {Loc::Gpr, std::uint8_t(reg), 0});
  }
  PlanBuilder &ret(Loc loc, unsigned reg, std::uint32_t off, std::uint32_t size,
                   Ext ext = Ext::None) {
    p_.ret_kind = RetKind::Regs;
    p_.ret_pieces.push_back({{loc, std::uint8_t(reg), 0}, off, size, ext});
    p_.ret_size = std::max<std::uint32_t>(p_.ret_size, off + (ext != Ext::None ? 8 : size));
    return *this;
  }
  PlanBuilder &variadic(std::uint32_t fixed, int al) {
    p_.variadic = true;
    p_.fixed_count = fixed;
    p_.vector_count = al;
    return *this;
  }
  CallPlan done() {
    if (!p_.variadic) p_.fixed_count = std::uint32_t(p_.args.size());
    return p_;
  }

 private:
  PlanBuilder &piece(PieceKind k, unsigned a, std::uint32_t off, std::uint32_t size, Ext ext,
                     abi::Slot to) {
    abi::ArgPiece p;
    p.kind = k, p.arg = std::uint16_t(a), p.offset = off, p.size = size, p.ext = ext, p.to = to;
    p_.pieces.push_back(p);
    return *this;
  }
  CallPlan p_;
};

// ---- SysV plans (psABI 3.2.3) ----
inline CallPlan plan_add() {
  return PlanBuilder()
      .arg(4, 4)
      .arg(4, 4)
      .gpr(0, 0, 4, RDI, Ext::Sign)
      .gpr(1, 0, 4, RSI, Ext::Sign)
      .ret(Loc::Gpr, RAX, 0, 4, Ext::Sign)
      .done();
}
inline CallPlan plan_div() {
  return PlanBuilder()
      .arg(8, 8)
      .arg(8, 8)
      .vec(0, 0, 8, 0)
      .vec(1, 0, 8, 1)
      .ret(Loc::Vec, 0, 0, 8)
      .done();
}
inline CallPlan plan_narrow() {
  return PlanBuilder()
      .arg(1, 1)
      .arg(2, 2)
      .arg(1, 1)
      .arg(2, 2)
      .gpr(0, 0, 1, RDI, Ext::Sign)
      .gpr(1, 0, 2, RSI, Ext::Zero)
      .gpr(2, 0, 1, RDX, Ext::Zero)
      .gpr(3, 0, 2, RCX, Ext::Sign)
      .ret(Loc::Gpr, RAX, 0, 1, Ext::Zero)
      .done();
}
inline CallPlan plan_mix() {
  return PlanBuilder()
      .arg(16, 8)
      .arg(4, 4)
      .gpr(0, 0, 8, RDI)
      .vec(0, 8, 8, 0)
      .vec(1, 0, 4, 1)
      .ret(Loc::Vec, 0, 0, 8)
      .ret(Loc::Vec, 1, 8, 8)
      .done();
}
inline CallPlan plan_odd() {
  return PlanBuilder()
      .arg(3, 1)
      .arg(7, 1)
      .arg(5, 1)
      .arg(6, 2)
      .gpr(0, 0, 3, RDI)
      .gpr(1, 0, 7, RSI)
      .gpr(2, 0, 5, RDX)
      .gpr(3, 0, 6, RCX)
      .ret(Loc::Gpr, RAX, 0, 3)
      .done();
}
inline CallPlan plan_many() {
  PlanBuilder b;
  for (int i = 0; i < 8; ++i) b.arg(8, 8);
  for (int i = 0; i < 10; ++i) b.arg(8, 8);
  const unsigned gprs[] = {RDI, RSI, RDX, RCX, R8, R9};
  for (unsigned i = 0; i < 6; ++i) b.gpr(i, 0, 8, gprs[i]);
  b.stack(6, 0, 8, 0).stack(7, 0, 8, 8);
  for (unsigned i = 0; i < 8; ++i) b.vec(8 + i, 0, 8, i);
  b.stack(16, 0, 8, 16).stack(17, 0, 8, 24);
  return b.ret(Loc::Vec, 0, 0, 8).done();
}
inline CallPlan plan_stack_narrow() {
  PlanBuilder b;
  for (int i = 0; i < 6; ++i) b.arg(8, 8);
  b.arg(1, 1).arg(2, 2);
  const unsigned gprs[] = {RDI, RSI, RDX, RCX, R8, R9};
  for (unsigned i = 0; i < 6; ++i) b.gpr(i, 0, 8, gprs[i]);
  return b.stack(6, 0, 1, 0, Ext::Sign)
      .stack(7, 0, 2, 8, Ext::Zero)
      .ret(Loc::Gpr, RAX, 0, 8)
      .done();
}
inline CallPlan plan_sret() {
  return PlanBuilder()
      .arg(24, 8)
      .arg(8, 8)
      .sret(RDI, 24)
      .stack(0, 0, 24, 0)
      .gpr(1, 0, 8, RSI)
      .done();
}
inline CallPlan plan_ld() {
  return PlanBuilder()
      .arg(16, 16)
      .arg(4, 4)
      .stack(0, 0, 16, 0)
      .gpr(1, 0, 4, RDI, Ext::Sign)
      .ret(Loc::X87, 0, 0, 16)
      .done();
}
inline CallPlan plan_f3() {
  return PlanBuilder()
      .arg(12, 4)
      .vec(0, 0, 8, 0)
      .vec(0, 8, 4, 1)
      .ret(Loc::Vec, 0, 0, 8)
      .ret(Loc::Vec, 1, 8, 4)
      .done();
}
// t_var("didd", double, int, double, double): %al = 3 vector registers used.
inline CallPlan plan_var() {
  return PlanBuilder()
      .arg(8, 8)
      .arg(8, 8)
      .arg(4, 4)
      .arg(8, 8)
      .arg(8, 8)
      .variadic(1, 3)
      .gpr(0, 0, 8, RDI)
      .vec(1, 0, 8, 0)
      .gpr(2, 0, 4, RSI, Ext::Sign)
      .vec(3, 0, 8, 1)
      .vec(4, 0, 8, 2)
      .ret(Loc::Vec, 0, 0, 8)
      .done();
}
inline CallPlan plan_c19() {
  return PlanBuilder()
      .arg(19, 1)
      .arg(4, 4)
      .stack(0, 0, 19, 0)
      .gpr(1, 0, 4, RDI, Ext::Sign)
      .ret(Loc::Gpr, RAX, 0, 8)
      .done();
}
inline CallPlan plan_if() {
  return PlanBuilder().arg(8, 4).gpr(0, 0, 8, RDI).ret(Loc::Gpr, RAX, 0, 8).done();
}
inline CallPlan plan_i128() {
  return PlanBuilder()
      .arg(16, 16)
      .gpr(0, 0, 8, RDI)
      .gpr(0, 8, 8, RSI)
      .ret(Loc::Gpr, RAX, 0, 8)
      .ret(Loc::Gpr, RDX, 8, 8)
      .done();
}
inline CallPlan plan_void() {
  return PlanBuilder().arg(8, 8).arg(8, 8).gpr(0, 0, 8, RDI).gpr(1, 0, 8, RSI).done();
}

// ---- Win64 plans (Microsoft x64 calling convention) ----
inline CallPlan wplan_add() {
  return PlanBuilder(Abi::Win64)
      .arg(4, 4)
      .arg(4, 4)
      .gpr(0, 0, 4, RCX, Ext::Sign)
      .gpr(1, 0, 4, RDX, Ext::Sign)
      .ret(Loc::Gpr, RAX, 0, 4, Ext::Sign)
      .done();
}
inline CallPlan wplan_mixed() {
  return PlanBuilder(Abi::Win64)
      .arg(4, 4)
      .arg(8, 8)
      .arg(4, 4)
      .arg(8, 8)
      .arg(4, 4)
      .arg(8, 8)
      .gpr(0, 0, 4, RCX, Ext::Sign)
      .vec(1, 0, 8, 1)
      .gpr(2, 0, 4, R8, Ext::Sign)
      .vec(3, 0, 8, 3)
      .stack(4, 0, 4, 32, Ext::Sign)
      .stack(5, 0, 8, 40)
      .ret(Loc::Vec, 0, 0, 8)
      .done();
}
inline CallPlan wplan_byref() {
  return PlanBuilder(Abi::Win64)
      .byref(12, 4, 0)
      .arg(4, 4)
      .address(0, RCX)
      .gpr(1, 0, 4, RDX, Ext::Sign)
      .ret(Loc::Gpr, RAX, 0, 4, Ext::Sign)
      .done();
}
inline CallPlan wplan_sret() {
  return PlanBuilder(Abi::Win64)
      .arg(4, 4)
      .arg(4, 4)
      .sret(RCX, 12)
      .gpr(0, 0, 4, RDX, Ext::Sign)
      .gpr(1, 0, 4, R8, Ext::Sign)
      .done();
}
// w_var(3, d1, d2, d3, d4): variadic doubles go in both the GPR and the XMM of their slot.
inline CallPlan wplan_var() {
  return PlanBuilder(Abi::Win64)
      .arg(4, 4)
      .arg(8, 8)
      .arg(8, 8)
      .arg(8, 8)
      .arg(8, 8)
      .variadic(1, -1)
      .gpr(0, 0, 4, RCX, Ext::Sign)
      .gpr(1, 0, 8, RDX)
      .vec(1, 0, 8, 1)
      .gpr(2, 0, 8, R8)
      .vec(2, 0, 8, 2)
      .gpr(3, 0, 8, R9)
      .vec(3, 0, 8, 3)
      .stack(4, 0, 8, 32)
      .ret(Loc::Vec, 0, 0, 8)
      .done();
}
inline CallPlan wplan_h2() {
  return PlanBuilder(Abi::Win64)
      .arg(4, 2)
      .arg(8, 8)
      .gpr(0, 0, 4, RCX)
      .gpr(1, 0, 8, RDX)
      .ret(Loc::Gpr, RAX, 0, 4)
      .done();
}

// Bytes that end exactly at a page followed by an inaccessible page: reading past them faults.
class Guarded {
 public:
  explicit Guarded(std::size_t size) : size_(size) {
    const std::size_t page = std::size_t(sysconf(_SC_PAGESIZE));
    base_ = static_cast<unsigned char *>(
        mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base_ == MAP_FAILED) throw std::runtime_error("mmap");
    mprotect(base_ + page, page, PROT_NONE);
    data_ = base_ + page - size;
    page_ = page;
  }
  ~Guarded() { munmap(base_, 2 * page_); }
  unsigned char *data() const { return data_; }
  template <class T>
  T *as() const {
    return reinterpret_cast<T *>(data_);
  }

 private:
  std::size_t size_, page_ = 0;
  unsigned char *base_, *data_;
};

}  // namespace jitffi::test
