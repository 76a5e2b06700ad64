// .eh_frame writer (DWARF CFI, LSB/x86-64 psABI "Unwind Table" section) and registration.
#include "jit/unwind.h"

#include <cstring>

extern "C" void __register_frame(void *begin);
extern "C" void __deregister_frame(void *begin);

namespace jitffi::jit {

namespace {

enum : std::uint8_t {
  DW_CFA_advance_loc1 = 0x02,
  DW_CFA_advance_loc2 = 0x03,
  DW_CFA_advance_loc4 = 0x04,
  DW_CFA_def_cfa = 0x0c,
  DW_CFA_def_cfa_register = 0x0d,
  DW_CFA_def_cfa_offset = 0x0e,
  DW_CFA_advance_loc = 0x40,
  DW_CFA_offset = 0x80,
  DW_CFA_restore = 0xc0,
  DW_CFA_nop = 0x00,
  DW_EH_PE_absptr = 0x00,
};
#if defined(__aarch64__)
// AArch64 DWARF ABI: sp is 31, the return address is in x30 (lr) at entry, with CFA = sp.
constexpr std::uint8_t kDwarfRsp = 31, kDwarfRa = 30;
constexpr std::uint64_t kEntryCfaOffset = 0;
constexpr bool kRaOnStack = false;
#else
// x86-64 psABI: rsp is 7, the return address column 16, pushed by the call at CFA - 8.
constexpr std::uint8_t kDwarfRsp = 7, kDwarfRa = 16;
constexpr std::uint64_t kEntryCfaOffset = 8;
constexpr bool kRaOnStack = true;
#endif
constexpr int kDataAlign = -8;

// Appends to a buffer the caller has sized with eh_frame_bound().
struct Writer {
  std::uint8_t *b;
  std::size_t n = 0;
  void u8(std::uint8_t v) { b[n++] = v; }
  void u32(std::uint32_t v) { raw(&v, 4); }
  void u64(std::uint64_t v) { raw(&v, 8); }
  void raw(const void *p, std::size_t k) {
    std::memcpy(b + n, p, k);
    n += k;
  }
  void uleb(std::uint64_t v) {
    do {
      std::uint8_t byte = v & 0x7f;
      v >>= 7;
      u8(v ? byte | 0x80 : byte);
    } while (v);
  }
  void sleb(std::int64_t v) {
    bool more = true;
    while (more) {
      std::uint8_t byte = v & 0x7f;
      v >>= 7;
      more = !((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40)));
      u8(more ? byte | 0x80 : byte);
    }
  }
  // Pads the record that started at `start` (its length word) to 8 bytes and fills the length.
  void finish(std::size_t start) {
    while ((n - start) % 8) u8(DW_CFA_nop);
    const std::uint32_t len = std::uint32_t(n - start - 4);
    std::memcpy(b + start, &len, 4);
  }
};

void advance(Writer &w, std::uint32_t delta) {
  if (delta == 0) return;
  if (delta < 64) {
    w.u8(DW_CFA_advance_loc | std::uint8_t(delta));
  } else if (delta < 256) {
    w.u8(DW_CFA_advance_loc1);
    w.u8(std::uint8_t(delta));
  } else if (delta < 65536) {
    w.u8(DW_CFA_advance_loc2);
    w.u8(std::uint8_t(delta)), w.u8(std::uint8_t(delta >> 8));
  } else {
    w.u8(DW_CFA_advance_loc4);
    w.u32(delta);
  }
}

// At most: the CIE (24 bytes), the FDE header (25) and its padding (7), the terminator (4), and
// per op an advance (5) and an instruction (7: DW_CFA_def_cfa, a register, a 32-bit ULEB128).
std::size_t eh_frame_bound(std::size_t ops) {
  return 64 + 16 * ops;
}

// Writes the eh_frame into `out` (eh_frame_bound(ops.size()) bytes); returns its size.
std::size_t write_eh_frame(std::uint8_t *out, const void *code, std::size_t size,
                           const std::vector<x64::CfiOp> &ops) {
  Writer w{out};
  // CIE: version 1, "zR" with absolute pointers, code alignment 1, data alignment -8, the
  // host's return address column and CFA at entry (x86-64: rsp + 8, return address at CFA - 8;
  // AArch64: sp, return address in lr).
  const std::size_t cie = w.n;
  w.u32(0);
  w.u32(0);  // CIE id
  w.u8(1);
  w.raw("zR", 3);
  w.uleb(1);
  w.sleb(kDataAlign);
  w.u8(kDwarfRa);
  w.uleb(1);
  w.u8(DW_EH_PE_absptr);
  w.u8(DW_CFA_def_cfa);
  w.uleb(kDwarfRsp);
  w.uleb(kEntryCfaOffset);
  if (kRaOnStack) {
    w.u8(DW_CFA_offset | kDwarfRa);
    w.uleb(1);
  }
  w.finish(cie);

  const std::size_t fde = w.n;
  w.u32(0);
  w.u32(std::uint32_t(fde + 4 - cie));  // distance back to the CIE
  w.u64(reinterpret_cast<std::uint64_t>(code));
  w.u64(size);
  w.uleb(0);  // no augmentation data
  std::uint32_t at = 0;
  for (const x64::CfiOp &op : ops) {
    advance(w, op.at - at);
    at = op.at;
    switch (op.kind) {
      case x64::CfiOp::CfaOffset:
        w.u8(DW_CFA_def_cfa_offset);
        w.uleb(std::uint32_t(op.value));  // offsets are not negative: at most 5 bytes
        break;
      case x64::CfiOp::CfaRegister:
        w.u8(DW_CFA_def_cfa_register);
        w.uleb(op.reg);
        break;
      case x64::CfiOp::CfaRspPlus:
        w.u8(DW_CFA_def_cfa);
        w.uleb(kDwarfRsp);
        w.uleb(std::uint32_t(op.value));
        break;
      case x64::CfiOp::Saved:
        w.u8(DW_CFA_offset | op.reg);
        w.uleb(std::uint32_t(op.value / kDataAlign));
        break;
      case x64::CfiOp::Restored:
        w.u8(DW_CFA_restore | op.reg);
        break;
    }
  }
  w.finish(fde);
  w.u32(0);  // end of the sequence
  return w.n;
}

}  // namespace

std::vector<std::uint8_t> build_eh_frame(const void *code, std::size_t size,
                                         const std::vector<x64::CfiOp> &ops) {
  std::vector<std::uint8_t> out(eh_frame_bound(ops.size()));
  out.resize(write_eh_frame(out.data(), code, size, ops));
  return out;
}

UnwindRegistration::UnwindRegistration(const void *code, std::size_t size,
                                       const std::vector<x64::CfiOp> &ops) {
  const std::size_t bound = eh_frame_bound(ops.size());
  if (bound <= kInPlace) {
    frame_ = in_place_;
  } else {
    heap_.reset(new std::uint8_t[bound]);
    frame_ = heap_.get();
  }
  size_ = write_eh_frame(frame_, code, size, ops);
  __register_frame(frame_);
}

UnwindRegistration::~UnwindRegistration() {
  __deregister_frame(frame_);
}

}  // namespace jitffi::jit
