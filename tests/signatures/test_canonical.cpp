// The canonical form: one text per signature, its hash, equality, and parse(canonical()) giving
// back the same signature for thousands of generated signatures on every ABI.
#include <gtest/gtest.h>

#include <random>

#include "jitffi/signature.h"

namespace jitffi {
namespace {

constexpr Abi kAbis[] = {Abi::SysV_x64, Abi::Win64, Abi::AAPCS64, Abi::Apple_arm64};

TEST(Canonical, SameCanonicalMeansEqualAndSameHash) {
  const Signature a = Signature::parse("i32(ptr, f64)", Abi::SysV_x64);
  const Signature b = Signature::parse("int f(void *p, double d);", Abi::SysV_x64);
  const Signature c = Signature::parse("sysv:i32(cstr,f64)", Abi::Win64);
  EXPECT_EQ(a.canonical(), "sysv:i32(ptr,f64)");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.hash(), c.hash());
}

TEST(Canonical, DifferentAbiIsADifferentSignature) {
  std::vector<Signature> sigs;
  for (Abi abi : kAbis) sigs.push_back(Signature::parse("i32(ptr, f64)", abi));
  for (std::size_t i = 0; i < sigs.size(); ++i)
    for (std::size_t j = i + 1; j < sigs.size(); ++j) {
      EXPECT_NE(sigs[i], sigs[j]);
      EXPECT_NE(sigs[i].canonical(), sigs[j].canonical());
      EXPECT_NE(sigs[i].hash(), sigs[j].hash());
    }
}

TEST(Canonical, VariadicSplitIsPartOfIdentity) {
  const char *texts[] = {
      "i32(ptr, ..., i32)", "i32(ptr, i32, ...)", "i32(ptr, i32)", "i32(..., ptr, i32)",
      "i32(ptr, ...)",      "i32(...)",           "i32()"};
  std::vector<Signature> sigs;
  for (const char *t : texts) sigs.push_back(Signature::parse(t, Abi::SysV_x64));
  for (std::size_t i = 0; i < sigs.size(); ++i)
    for (std::size_t j = 0; j < sigs.size(); ++j)
      EXPECT_EQ(sigs[i] == sigs[j], i == j) << texts[i] << " vs " << texts[j];
}

TEST(Canonical, AggregatesDifferByShapeNotByNames) {
  Scope s(Abi::SysV_x64);
  s.declare(
      "struct a { int x; float y; }; struct b { int p; float q; }; union c { int x; float y; };");
  EXPECT_EQ(s.signature("void(struct a)"), s.signature("void(struct b)"));
  EXPECT_EQ(s.signature("void(struct a)"), s.signature("void({i32, f32})"));
  EXPECT_NE(s.signature("void(struct a)"), s.signature("void(union c)"));
  EXPECT_NE(s.signature("void({i32, f32})"), s.signature("void({f32, i32})"));
  EXPECT_NE(s.signature("void({{i32}, f32})"), s.signature("void({i32, f32})"));
}

TEST(Canonical, NestedArraysOfAggregatesWithArrays) {
  // An array of arrays of a struct that itself holds an array: the dimensions of each level
  // must stay with their level.
  const Scope s(Abi::SysV_x64);
  const TypeRef a = s.type("{{i32[2]}[3][4]}");
  const TypeRef b = s.type("{{i32[3][2]}[4]}");
  EXPECT_EQ(a->canonical(), "{{i32[2]}[3][4]}");
  EXPECT_EQ(b->canonical(), "{{i32[3][2]}[4]}");
  EXPECT_NE(a->canonical(), b->canonical());
  EXPECT_EQ(s.type(a->canonical())->fields()[0].type->count(), 3u);
}

// Structural equality, deeper than the canonical text: kinds, sizes, offsets and counts.
void expect_same_type(const Type &a, const Type &b) {
  ASSERT_EQ(a.kind(), b.kind());
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(a.align(), b.align());
  EXPECT_EQ(a.count(), b.count());
  if (a.element()) expect_same_type(*a.element(), *b.element());
  ASSERT_EQ(a.fields().size(), b.fields().size());
  for (std::size_t i = 0; i < a.fields().size(); ++i) {
    EXPECT_EQ(a.fields()[i].offset, b.fields()[i].offset);
    expect_same_type(*a.fields()[i].type, *b.fields()[i].type);
  }
}

// Random types of every kind, nested, with member arrays.
class Generator {
 public:
  Generator(unsigned seed, Abi abi) : rng_(seed), abi_(abi) {}

  TypeRef scalar(bool promoted_only = false) {
    static constexpr TypeKind kinds[] = {
        TypeKind::Bool, TypeKind::I8,  TypeKind::U8,  TypeKind::I16,       TypeKind::U16,
        TypeKind::I32,  TypeKind::U32, TypeKind::I64, TypeKind::U64,       TypeKind::I128,
        TypeKind::U128, TypeKind::F32, TypeKind::F64, TypeKind::LongDouble};
    for (;;) {
      const int n = static_cast<int>(std::size(kinds));
      const int k = pick(0, n);
      // long double exists as its own type only on SysV x86-64 and AAPCS64.
      if (k == n - 1 && (abi_ == Abi::Win64 || abi_ == Abi::Apple_arm64)) continue;
      if (pick(0, 8) == 0) return Type::pointer(pick(0, 2) == 0);
      const Type *t = Type::scalar(kinds[k]).get();
      if (promoted_only && ((t->is_integer() && t->size() < 4) || t->kind() == TypeKind::F32))
        continue;
      return Type::scalar(kinds[k]);
    }
  }

  TypeRef value(int depth) {
    if (depth > 0 && pick(0, 3) == 0) return aggregate(depth - 1);
    return scalar();
  }

  TypeRef aggregate(int depth) {
    std::vector<Field> members;
    const int n = pick(1, 6);
    for (int i = 0; i < n; ++i) {
      TypeRef m = value(depth);
      if (pick(0, 4) == 0) {
        m = Type::array(m, pick(1, 5));
        if (pick(0, 3) == 0) m = Type::array(m, pick(1, 4));
      }
      members.push_back({"", m, 0});
    }
    return pick(0, 4) == 0 ? Type::union_(std::move(members)) : Type::struct_(std::move(members));
  }

  Signature signature() {
    const TypeRef ret = pick(0, 5) == 0 ? Type::void_() : value(2);
    std::vector<TypeRef> params;
    const int n = pick(0, 9);
    for (int i = 0; i < n; ++i) params.push_back(value(2));
    if (pick(0, 4) != 0) return Signature(abi_, ret, std::move(params));
    const std::size_t fixed = params.size();
    const int extra = pick(0, 4);
    for (int i = 0; i < extra; ++i)
      params.push_back(pick(0, 3) == 0 ? aggregate(1) : scalar(/*promoted_only=*/true));
    return Signature::variadic(abi_, ret, std::move(params), fixed);
  }

 private:
  int pick(int lo, int hi_exclusive) {
    return std::uniform_int_distribution<int>(lo, hi_exclusive - 1)(rng_);
  }
  std::mt19937 rng_;
  Abi abi_;
};

TEST(Canonical, ParseOfCanonicalRoundTripsOnEveryAbi) {
  int checked = 0;
  for (Abi abi : kAbis) {
    Generator gen(1234u + static_cast<unsigned>(abi), abi);
    for (int i = 0; i < 1500; ++i) {
      const Signature sig = gen.signature();
      SCOPED_TRACE(sig.canonical());
      // Parsed under another default ABI: the canonical form's prefix must win.
      const Abi other = kAbis[(static_cast<int>(abi) + 1) % 4];
      const Signature back = Signature::parse(sig.canonical(), other);
      ASSERT_EQ(back, sig);
      ASSERT_EQ(back.canonical(), sig.canonical());
      ASSERT_EQ(back.hash(), sig.hash());
      ASSERT_EQ(back.abi(), sig.abi());
      ASSERT_EQ(back.fixed_count(), sig.fixed_count());
      ASSERT_EQ(back.is_variadic(), sig.is_variadic());
      expect_same_type(*back.ret(), *sig.ret());
      ASSERT_EQ(back.params().size(), sig.params().size());
      for (std::size_t p = 0; p < sig.params().size(); ++p) {
        expect_same_type(*back.params()[p], *sig.params()[p]);
        // Every type's canonical text is also a type name in its own right.
        expect_same_type(*Scope(abi).type(sig.params()[p]->canonical()), *sig.params()[p]);
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6000);
}

}  // namespace
}  // namespace jitffi
