// Plans from abi::classify on many random signatures: a downcall stub calls a closure of the same
// signature, and every scalar byte must arrive, both ways. This checks that the two emitters
// execute any classifier plan consistently (the hand-built plan tests check them against the C
// compiler).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "jit/closure.h"
#include "jit/stub_cache.h"

namespace jitffi::test {
namespace {

using jit::JitClosure;
using jit::StubCache;

struct Gen {
  std::mt19937_64 rng;
  Abi abi;
  int pick(int n) { return int(rng() % std::uint64_t(n)); }

  TypeRef scalar(bool promoted) {
    static const TypeKind all[] = {
        TypeKind::Bool, TypeKind::I8,      TypeKind::U8,        TypeKind::I16, TypeKind::U16,
        TypeKind::I32,  TypeKind::U32,     TypeKind::I64,       TypeKind::U64, TypeKind::F32,
        TypeKind::F64,  TypeKind::Pointer, TypeKind::LongDouble};
    static const TypeKind prom[] = {TypeKind::I32, TypeKind::U32, TypeKind::I64, TypeKind::F64,
                                    TypeKind::Pointer};
    if (promoted) {
      const TypeKind k = prom[pick(5)];
      return k == TypeKind::Pointer ? Type::pointer() : Type::scalar(k);
    }
    const int n = abi == Abi::SysV_x64 ? 13 : 12;  // long double is double on Win64
    const TypeKind k = all[pick(n)];
    return k == TypeKind::Pointer ? Type::pointer() : Type::scalar(k);
  }
  TypeRef type(int depth, bool promoted = false) {
    const int r = pick(10);
    if (depth >= 2 || r < 6) return scalar(promoted);
    std::vector<Field> fields;
    const int n = 1 + pick(4);
    for (int i = 0; i < n; ++i) {
      TypeRef m = type(depth + 1);
      if (pick(6) == 0 && m->is_scalar()) m = Type::array(m, std::size_t(1 + pick(4)));
      fields.push_back({"", m, 0});
    }
    return r == 9 ? Type::union_(fields) : Type::struct_(fields);
  }
  Signature signature() {
    TypeRef ret = pick(6) == 0 ? Type::void_() : type(0);
    std::vector<TypeRef> params;
    const int n = pick(14);
    for (int i = 0; i < n; ++i) params.push_back(type(0));
    if (pick(7) == 0) {
      const std::size_t fixed = params.size();
      const int extra = 1 + pick(6);
      for (int i = 0; i < extra; ++i) params.push_back(pick(5) ? scalar(true) : type(1, true));
      try {
        return Signature::variadic(abi, ret, params, fixed);
      } catch (const TypeError &) {  // a struct member that is not promoted: plain call instead
        params.resize(fixed);
      }
    }
    return Signature(abi, ret, params);
  }
  // Random bytes with valid bools and long doubles.
  void fill(const Type &t, unsigned char *p) {
    for (std::size_t i = 0; i < t.size(); ++i) p[i] = (unsigned char)rng();
    t.for_each_scalar([&](std::size_t off, const Type &s) {
      if (s.kind() == TypeKind::Bool) p[off] = (unsigned char)(rng() & 1);
      if (s.kind() == TypeKind::LongDouble) {
        long double v = (long double)(std::int64_t(rng() >> 12)) / 7.0L;
        std::memset(p + off, 0, 16);
        std::memcpy(p + off, &v, 10);
      }
    });
  }
};

// Bytes of every scalar leaf equal (long double: its 10 value bytes).
bool same_leaves(const Type &t, const unsigned char *a, const unsigned char *b) {
  bool same = true;
  t.for_each_scalar([&](std::size_t off, const Type &s) {
    const std::size_t n = s.kind() == TypeKind::LongDouble ? 10 : s.size();
    if (std::memcmp(a + off, b + off, n)) same = false;
  });
  return same;
}

struct Expect {
  const Signature *sig;
  std::vector<std::vector<unsigned char>> args;
  std::vector<unsigned char> ret;
  int calls = 0;
  int bad_args = 0;
};

void check_handler(void *ret, void **args, void *ud) {
  Expect &e = *static_cast<Expect *>(ud);
  ++e.calls;
  const auto &params = e.sig->params();
  for (std::size_t i = 0; i < params.size(); ++i)
    if (!same_leaves(*params[i], static_cast<unsigned char *>(args[i]), e.args[i].data()))
      ++e.bad_args;
  if (!e.sig->ret()->is_void()) std::memcpy(ret, e.ret.data(), e.sig->ret()->size());
}

void roundtrip(Abi abi, std::uint64_t seed, int count) {
  StubCache cache(&abi::classify);
  Gen g{std::mt19937_64(seed), abi};
  int ran = 0, unsupported = 0, failures = 0;
  std::string first_unsupported;
  for (int k = 0; k < count; ++k) {
    const Signature sig = g.signature();
    const auto entry = cache.entry(sig);
    if (!entry->error.empty()) {
      if (first_unsupported.empty()) first_unsupported = entry->error;
      ++unsupported;
      continue;
    }
    Expect e{&sig, {}, {}};
    std::vector<void *> argv;
    for (const TypeRef &p : sig.params()) {
      e.args.emplace_back(p->size() + 16);
      g.fill(*p, e.args.back().data());
    }
    for (auto &a : e.args) argv.push_back(a.data());
    const Type &rt = *sig.ret();
    e.ret.resize(rt.size() + 16);
    if (!rt.is_void()) g.fill(rt, e.ret.data());

    auto call = cache.downcall(sig);
    const auto up = cache.upcall(sig);
    JitClosure closure(up->code(), &check_handler, &e);
    std::vector<unsigned char> got(std::max<std::size_t>(rt.size(), 8) + 16, 0);
    call->raw()(closure.code(), got.data(), argv.data());
    ++ran;
    const bool ok = e.calls == 1 && e.bad_args == 0 &&
                    (rt.is_void() || same_leaves(rt, got.data(), e.ret.data()));
    if (!ok && ++failures <= 5)
      ADD_FAILURE() << sig.canonical() << ": calls " << e.calls << ", bad args " << e.bad_args
                    << "\n"
                    << entry->plan.describe();
  }
  std::printf("[   INFO   ] %s: %d signatures round-tripped, %d failed, %d unsupported%s%s\n",
              std::string(abi_name(abi)).c_str(), ran, failures, unsupported,
              unsupported ? ", e.g. " : "", first_unsupported.c_str());
  EXPECT_EQ(failures, 0);
  EXPECT_GE(ran, count * 9 / 10);
}

TEST(RoundTrip, SysVDowncallIntoClosureOnClassifiedPlans) {
  roundtrip(Abi::SysV_x64, 0x5eed0001, 1500);
}

TEST(RoundTrip, Win64DowncallIntoClosureOnClassifiedPlans) {
  roundtrip(Abi::Win64, 0x5eed0002, 1500);
}

}  // namespace
}  // namespace jitffi::test
