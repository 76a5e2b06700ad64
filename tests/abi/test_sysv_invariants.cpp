// Properties every SysV x86-64 plan must have, checked on thousands of random signatures (fixed
// seed): the table tests say what the plan is for chosen cases; these say it is never malformed
// for the nested structs, unions and arrays nobody wrote a table row for.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "abi/call_plan.h"
#include "test_sysv_util.h"

namespace jitffi::test::sysv {
namespace {

using abi::CallPlan;
using abi::Loc;
using abi::PieceKind;

class Gen {
 public:
  explicit Gen(unsigned seed) : rng_(seed) {}

  TypeRef scalar() {
    static const TypeKind kinds[] = {
        TypeKind::Bool, TypeKind::I8,   TypeKind::U8,   TypeKind::I16,
        TypeKind::U16,  TypeKind::I32,  TypeKind::U32,  TypeKind::I64,
        TypeKind::U64,  TypeKind::I128, TypeKind::U128, TypeKind::F32,
        TypeKind::F64,  TypeKind::F32,  TypeKind::F64,  TypeKind::LongDouble};
    std::size_t k = pick(std::size(kinds) + 1);
    return k == std::size(kinds) ? Type::pointer() : Type::scalar(kinds[k]);
  }

  // A member: scalar, array or nested aggregate.
  TypeRef member(int depth) {
    std::size_t r = pick(10);
    if (depth > 0 && r < 2) return aggregate(depth - 1);
    if (r < 4)
      return Type::array(depth > 0 && r == 2 ? aggregate(depth - 1) : scalar(), 1 + pick(5));
    return scalar();
  }

  TypeRef aggregate(int depth) {
    std::vector<Field> f;
    std::size_t n = 1 + pick(4);
    for (std::size_t i = 0; i < n; ++i) f.push_back(Field{"", member(depth), 0});
    return pick(4) == 0 ? Type::union_(std::move(f)) : Type::struct_(std::move(f));
  }

  // Up to 256 bytes: large enough for every rule, small enough for the 64 KiB argument area.
  TypeRef param() {
    if (pick(2)) return scalar();
    for (;;) {
      TypeRef t = aggregate(2);
      if (t->size() <= 256) return t;
    }
  }

  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

 private:
  std::mt19937 rng_;
};

bool overlaps_only_floats(const Type &t, std::size_t lo, std::size_t hi) {
  bool only = true;
  t.for_each_scalar([&](std::size_t off, const Type &leaf) {
    if (off < hi && off + leaf.size() > lo && leaf.kind() != TypeKind::F32 &&
        leaf.kind() != TypeKind::F64)
      only = false;
  });
  return only;
}

bool contains_long_double(const Type &t) {
  bool found = false;
  t.for_each_scalar([&](std::size_t, const Type &leaf) {
    if (leaf.kind() == TypeKind::LongDouble) found = true;
  });
  return found;
}

void check(const Signature &sig) {
  CallPlan p = abi::classify_sysv_x64(sig);
  SCOPED_TRACE(sig.canonical() + "\n" + p.describe());
  const auto &params = sig.params();
  ASSERT_EQ(p.args.size(), params.size());
  EXPECT_EQ(p.stack_bytes % 16, 0u);

  static const std::uint8_t kGprOrder[] = {7, 6, 2, 1, 8, 9};
  std::size_t next_gpr = 0, next_vec = 0;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> stack_ranges;
  std::vector<std::uint32_t> covered(params.size(), 0);
  std::vector<int> where(params.size(), -1);  // 0 registers, 1 stack
  std::vector<bool> in_vec(params.size(), false);
  std::size_t i = 0;
  if (p.ret_kind == abi::RetKind::Memory) {
    ASSERT_FALSE(p.pieces.empty());
    EXPECT_EQ(p.pieces[0].kind, PieceKind::SretPtr);
    EXPECT_EQ(p.pieces[0].to.loc, Loc::Gpr);
    EXPECT_EQ(p.pieces[0].to.reg, 7);  // rdi
    EXPECT_EQ(p.sret_returned_in, 0);  // rax
    next_gpr = 1;
    i = 1;
  }
  for (; i < p.pieces.size(); ++i) {
    const abi::ArgPiece &a = p.pieces[i];
    ASSERT_EQ(a.kind, PieceKind::Value);
    ASSERT_LT(a.arg, params.size());
    const Type &t = *params[a.arg];
    // Pieces of an argument are consecutive eightbytes covering it exactly.
    EXPECT_EQ(a.offset, covered[a.arg]);
    EXPECT_EQ(a.offset % 8, 0u);
    EXPECT_GE(a.size, 1u);
    EXPECT_LE(a.size, 8u);
    EXPECT_EQ(a.size, std::min<std::size_t>(8, t.size() - a.offset));
    covered[a.arg] = a.offset + 8;
    if (!t.is_scalar()) {
      EXPECT_EQ(a.ext, abi::Ext::None);
    }
    int w = a.to.loc == Loc::Stack ? 1 : 0;
    if (where[a.arg] == -1) where[a.arg] = w;
    EXPECT_EQ(where[a.arg], w) << "argument a" << a.arg << " split between registers and stack";
    switch (a.to.loc) {
      case Loc::Gpr:
        ASSERT_LT(next_gpr, 6u);
        EXPECT_EQ(a.to.reg, kGprOrder[next_gpr++]);
        EXPECT_FALSE(overlaps_only_floats(t, a.offset, a.offset + 8)) << "float-only INTEGER";
        break;
      case Loc::Vec:
        in_vec[a.arg] = true;
        EXPECT_EQ(a.to.reg, next_vec++);
        ASSERT_LE(next_vec, 8u);
        EXPECT_TRUE(a.size == 4 || a.size == 8);
        EXPECT_TRUE(overlaps_only_floats(t, a.offset, a.offset + 8)) << "SSE with an integer";
        break;
      case Loc::Stack: {
        std::uint32_t at = a.to.stack_offset - a.offset;  // where the argument starts
        EXPECT_EQ(at % std::max<std::size_t>(8, t.align()), 0u);
        stack_ranges.push_back({a.to.stack_offset, a.to.stack_offset + 8});
        EXPECT_LE(a.to.stack_offset + 8, p.stack_bytes);
        break;
      }
      case Loc::X87:
        ADD_FAILURE() << "x87 argument";
    }
  }
  for (std::size_t k = 0; k < params.size(); ++k) {
    EXPECT_GE(covered[k], params[k]->size()) << "a" << k << " not fully passed";
    // Over 16 bytes is MEMORY. X87 never travels in registers: a long double leaves memory only
    // when integers overlay both its eightbytes (4(d) INTEGER beats X87 and X87UP).
    if (params[k]->size() > 16) {
      EXPECT_EQ(where[k], 1) << "a" << k;
    }
    if (contains_long_double(*params[k]) && where[k] == 0) {
      EXPECT_FALSE(in_vec[k]) << "a" << k;
    }
  }
  std::sort(stack_ranges.begin(), stack_ranges.end());
  for (std::size_t k = 1; k < stack_ranges.size(); ++k)
    EXPECT_LE(stack_ranges[k - 1].second, stack_ranges[k].first) << "stack slots overlap";
  EXPECT_EQ(p.vector_count, sig.is_variadic() ? int(next_vec) : -1);

  const Type &r = *sig.ret();
  switch (p.ret_kind) {
    case abi::RetKind::Void:
      EXPECT_TRUE(r.is_void());
      break;
    case abi::RetKind::Memory:
      EXPECT_EQ(p.ret_size, r.size());
      break;
    case abi::RetKind::Regs: {
      EXPECT_LE(r.size(), 16u);
      std::uint32_t end = 0;
      unsigned gprs = 0, vecs = 0;
      for (const abi::RetPiece &q : p.ret_pieces) {
        EXPECT_EQ(q.offset, end);
        if (q.from.loc == Loc::Gpr) {
          EXPECT_EQ(q.from.reg, gprs++ == 0 ? 0 : 2);  // rax, rdx
        }
        if (q.from.loc == Loc::Vec) {
          EXPECT_EQ(q.from.reg, vecs++);  // xmm0, xmm1
        }
        if (q.from.loc == Loc::X87) {
          EXPECT_EQ(q.size, 16u);
        }
        end = q.offset + (q.from.loc == Loc::X87 ? 16 : 8);
      }
      EXPECT_GE(end, r.size());
      EXPECT_EQ(p.ret_size, r.is_integer() && r.size() < 8 ? 8 : r.size());
      break;
    }
  }
}

TEST(SysvInvariants, RandomSignatures) {
  Gen g(20240601);
  for (int n = 0; n < 3000; ++n) {
    std::vector<TypeRef> params;
    std::size_t count = g.pick(14);
    for (std::size_t k = 0; k < count; ++k) params.push_back(g.param());
    TypeRef ret = g.pick(6) == 0 ? v() : g.param();
    check(Signature(Abi::SysV_x64, ret, params));
    if (HasFatalFailure() || HasFailure()) return;  // one readable failure, not thousands
  }
}

TEST(SysvInvariants, RandomVariadicSignatures) {
  Gen g(777);
  for (int n = 0; n < 1000; ++n) {
    std::vector<TypeRef> params{ptr()};
    std::size_t count = g.pick(14);
    for (std::size_t k = 0; k < count; ++k) {
      TypeRef t = g.param();
      // Varargs are default-promoted: no bool/char/short/float after `...`.
      if (t->is_scalar() && (t->size() < 4 || t->kind() == TypeKind::Bool)) t = i32();
      if (t->kind() == TypeKind::F32) t = f64();
      params.push_back(t);
    }
    check(Signature::variadic(Abi::SysV_x64, i32(), params, 1));
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace jitffi::test::sysv
