// Frame layout of the shared closure entry, common to the x86-64 and AArch64 emitters.
#include "jit/upcall_frame.h"

#include <algorithm>
#include <string>

#include "jitffi/backend.h"

namespace jitffi::jit {

namespace {

std::uint32_t round16(std::uint64_t n) {
  return std::uint32_t((n + 15) & ~std::uint64_t(15));
}

}  // namespace

UpcallFrame layout_upcall_frame(const abi::CallPlan &plan, bool extended_in_place) {
  using abi::ArgPiece;
  using abi::Ext;
  using abi::Loc;
  using abi::PieceKind;
  const std::size_t n = plan.args.size();
  UpcallFrame f;
  f.in_place.assign(n, -1);
  std::vector<std::uint32_t> covered(n, 0);
  std::vector<bool> ok(n, true);
  for (const ArgPiece &p : plan.pieces) {
    if (p.kind == PieceKind::SretPtr) continue;
    const bool contiguous =
        p.kind == PieceKind::Value && p.to.loc == Loc::Stack &&
        (extended_in_place || p.ext == Ext::None) && p.offset == covered[p.arg] &&
        (p.offset == 0 || p.to.stack_offset - p.offset == std::uint64_t(f.in_place[p.arg]));
    if (!contiguous || !ok[p.arg]) {
      ok[p.arg] = false;
      continue;
    }
    if (p.offset == 0) f.in_place[p.arg] = p.to.stack_offset;
    covered[p.arg] += p.size;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (!ok[i] || covered[i] != plan.args[i].size) f.in_place[i] = -1;

  f.args_off = 0;
  f.ret_off = round16(8 * n);
  const std::uint32_t ret_bytes = plan.ret_kind == abi::RetKind::Memory
                                      ? 0
                                      : round16(std::max<std::uint32_t>(plan.ret_size, 16));
  f.sret_off = f.ret_off + ret_bytes;
  std::uint32_t pos = f.sret_off + 16;
  f.box.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (plan.args[i].by_reference || f.in_place[i] >= 0) continue;
    f.box[i] = pos;
    pos += round16(std::max<std::uint32_t>(plan.args[i].size, 8));
  }
  f.end = pos;
  return f;
}

int typed_closure_register(const abi::CallPlan &plan) {
  const char *const what = "a typed closure's handler plan ends with the user_data pointer";
  if (plan.variadic || plan.pieces.empty() || plan.args.empty())
    throw UnsupportedError(std::string(what) + "\n" + plan.describe());
  const abi::ArgPiece &ud = plan.pieces.back();
  if (ud.arg + 1u != plan.args.size() || ud.kind != abi::PieceKind::Value || ud.size != 8)
    throw UnsupportedError(std::string(what) + "\n" + plan.describe());
  return ud.to.loc == abi::Loc::Gpr ? int(ud.to.reg) : -1;
}

}  // namespace jitffi::jit
