// Structs and unions by value, as arguments and results, in registers and in memory, and
// through closures: each shape in testlib_types.h, described to jitffi with the builder, must
// have the compiler's layout and come back exactly.
#include <cstring>
#include <functional>

#include "api_test_util.h"
#include "testlib_types.h"

using namespace jt;

namespace {

using K = TypeKind;

TypeRef st(std::vector<TypeRef> members) {
  std::vector<Field> f;
  for (auto &m : members) f.push_back(Field{"", m});
  return Type::struct_(std::move(f));
}
TypeRef un(std::vector<TypeRef> members) {
  std::vector<Field> f;
  for (auto &m : members) f.push_back(Field{"", m});
  return Type::union_(std::move(f));
}
TypeRef arr(K k, std::size_t n) {
  return Type::array(T(k), n);
}

// One shape: its jitffi type, a sample, and the C side's sum and next computed here again.
template <class S>
struct Shape {
  const char *name;
  TypeRef type;
  S sample;
  std::function<double(const S &)> sum;
  std::function<S(S)> next;
  std::function<bool(const S &, const S &)> eq;
};

template <class S>
void run_shape(const Shape<S> &sh, BackendChoice choice) {
  SCOPED_TRACE(sh.name);
  const std::string n = std::string("jt_") + sh.name;
  CallOptions o{choice, false};
  ASSERT_EQ(sh.type->size(), sizeof(S));
  ASSERT_EQ(sh.type->align(), alignof(S));

  // As an argument.
  Function sum = fn((n + "_sum").c_str(), T(K::F64), {sh.type}, o);
  EXPECT_EQ(sum.invoke<double>(sh.sample), sh.sum(sh.sample));

  // As a result, written into a buffer of exactly return_size() bytes between guards.
  Function next = fn((n + "_next").c_str(), sh.type, {sh.type}, o);
  ASSERT_EQ(next.return_size(), sizeof(S));
  alignas(16) unsigned char buf[sizeof(S) + 32];
  std::memset(buf, 0x5A, sizeof buf);
  S in = sh.sample;
  void *args[] = {&in};
  next.call(buf + 16, args);
  S out;
  std::memcpy(&out, buf + 16, sizeof(S));
  EXPECT_TRUE(sh.eq(out, sh.next(sh.sample)));
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(buf[i], 0x5A) << "written before the result at " << i;
    EXPECT_EQ(buf[16 + sizeof(S) + i], 0x5A) << "written past the result at " << i;
  }

  // Between five integers and two doubles: register exhaustion and mixed classes.
  Function mid =
      fn((n + "_mid").c_str(), T(K::F64),
         {T(K::I64), T(K::I64), T(K::I64), T(K::I64), T(K::I64), T(K::F64), sh.type, T(K::F64)}, o);
  double x = 0.5, y = -0.25;
  double expect = 1 + 2.0 * 2 + 3.0 * 3 + 4.0 * 4 + 5.0 * 5 + 6 * x + 7 * sh.sum(sh.sample) + 8 * y;
  EXPECT_EQ(mid.invoke<double>(std::int64_t{1}, std::int64_t{2}, std::int64_t{3}, std::int64_t{4},
                               std::int64_t{5}, x, sh.sample, y),
            expect);

  // Through a closure called from C: S cb(S, double).
  struct Ctx {
    const Shape<S> *sh;
    int calls = 0;
    bool arg_ok = false;
  } ctx{&sh};
  Closure cb(
      Signature(host_abi(), sh.type, {sh.type, T(K::F64)}),
      [](void *ret, void **a, void *ud) {
        auto *c = static_cast<Ctx *>(ud);
        S v;
        std::memcpy(&v, a[0], sizeof(S));
        double d;
        std::memcpy(&d, a[1], sizeof d);
        c->calls++;
        c->arg_ok = c->sh->eq(v, c->sh->sample) && d == 0.5;
        S r = c->sh->next(v);
        std::memcpy(ret, &r, sizeof(S));
      },
      &ctx, o);
  Function call_cb = fn((n + "_cb").c_str(), T(K::F64), {P(), sh.type}, o);
  double got = call_cb.invoke<double>(cb.code(), sh.sample);
  EXPECT_EQ(ctx.calls, 1);
  EXPECT_TRUE(ctx.arg_ok) << "the closure received a different " << sh.name;
  EXPECT_EQ(got, sh.sum(sh.next(sh.sample)));
}

class StructCalls : public testing::TestWithParam<BackendChoice> {};

#define EQ2(a, b, f1, f2) ((a).f1 == (b).f1 && (a).f2 == (b).f2)

TEST_P(StructCalls, SmallIntegerStructs) {
  run_shape<S1>({"S1",
                 st({T(K::I8)}),
                 {-7},
                 [](const S1 &v) { return double(v.a); },
                 [](S1 v) {
                   v.a++;
                   return v;
                 },
                 [](const S1 &a, const S1 &b) { return a.a == b.a; }},
                GetParam());
  run_shape<B5>({"B5",
                 st({arr(K::I8, 5)}),
                 {{1, -2, 3, -4, 5}},
                 [](const B5 &v) {
                   double s = 0;
                   for (int i = 0; i < 5; ++i) s += (i + 1.0) * v.a[i];
                   return s;
                 },
                 [](B5 v) {
                   for (auto &x : v.a) x++;
                   return v;
                 },
                 [](const B5 &a, const B5 &b) { return std::memcmp(a.a, b.a, 5) == 0; }},
                GetParam());
  run_shape<IF>({"IF",
                 st({T(K::I32), T(K::F32)}),
                 {-100, 2.5f},
                 [](const IF &v) { return v.i + 2.0 * v.f; },
                 [](IF v) {
                   v.i++, v.f++;
                   return v;
                 },
                 [](const IF &a, const IF &b) { return EQ2(a, b, i, f); }},
                GetParam());
  run_shape<ARR>({"ARR",
                  st({arr(K::I32, 3), T(K::I8)}),
                  {{7, -8, 9}, -10},
                  [](const ARR &v) { return v.a[0] + 2.0 * v.a[1] + 3.0 * v.a[2] + 4.0 * v.c; },
                  [](ARR v) {
                    for (auto &x : v.a) x++;
                    v.c++;
                    return v;
                  },
                  [](const ARR &a, const ARR &b) {
                    return std::memcmp(a.a, b.a, sizeof a.a) == 0 && a.c == b.c;
                  }},
                 GetParam());
}

TEST_P(StructCalls, FloatStructs) {
  run_shape<F2>({"F2",
                 st({T(K::F32), T(K::F32)}),
                 {1.25f, -3.5f},
                 [](const F2 &v) { return v.x + 2.0 * v.y; },
                 [](F2 v) {
                   v.x++, v.y++;
                   return v;
                 },
                 [](const F2 &a, const F2 &b) { return EQ2(a, b, x, y); }},
                GetParam());
  run_shape<D2>({"D2",
                 st({T(K::F64), T(K::F64)}),
                 {1e100, -2.75},
                 [](const D2 &v) { return v.x + 2.0 * v.y; },
                 [](D2 v) {
                   v.x++, v.y++;
                   return v;
                 },
                 [](const D2 &a, const D2 &b) { return EQ2(a, b, x, y); }},
                GetParam());
  run_shape<F3>({"F3",
                 st({T(K::F32), T(K::F32), T(K::F32)}),
                 {1, 2, 3},
                 [](const F3 &v) { return v.a + 2.0 * v.b + 3.0 * v.c; },
                 [](F3 v) {
                   v.a++, v.b++, v.c++;
                   return v;
                 },
                 [](const F3 &a, const F3 &b) { return EQ2(a, b, a, b) && a.c == b.c; }},
                GetParam());
  auto f2 = st({T(K::F32), T(K::F32)});
  run_shape<NEST>({"NEST",
                   st({f2, T(K::F64)}),
                   {{0.5f, 1.5f}, -8.125},
                   [](const NEST &v) { return v.p.x + 2.0 * v.p.y + 3.0 * v.z; },
                   [](NEST v) {
                     v.p.x++, v.p.y++, v.z++;
                     return v;
                   },
                   [](const NEST &a, const NEST &b) { return EQ2(a.p, b.p, x, y) && a.z == b.z; }},
                  GetParam());
}

TEST_P(StructCalls, MixedIntegerAndFloatEightbytes) {
  run_shape<DL>({"DL",
                 st({T(K::F64), T(K::I64)}),
                 {-0.375, 1LL << 50},
                 [](const DL &v) { return v.d + 2.0 * v.l; },
                 [](DL v) {
                   v.d++, v.l++;
                   return v;
                 },
                 [](const DL &a, const DL &b) { return EQ2(a, b, d, l); }},
                GetParam());
  run_shape<LD>({"LD",
                 st({T(K::I64), T(K::F64)}),
                 {-(1LL << 40), 6.5},
                 [](const LD &v) { return v.l + 2.0 * v.d; },
                 [](LD v) {
                   v.l++, v.d++;
                   return v;
                 },
                 [](const LD &a, const LD &b) { return EQ2(a, b, l, d); }},
                GetParam());
  run_shape<MIX>({"MIX",
                  st({T(K::I8), T(K::I16), T(K::F32), T(K::F64)}),
                  {-1, -300, 0.25f, 1e-3},
                  [](const MIX &v) { return v.c + 2.0 * v.s + 3.0 * v.f + 4.0 * v.d; },
                  [](MIX v) {
                    v.c++, v.s++, v.f++, v.d++;
                    return v;
                  },
                  [](const MIX &a, const MIX &b) { return EQ2(a, b, c, s) && EQ2(a, b, f, d); }},
                 GetParam());
}

TEST_P(StructCalls, LargeStructsGoByMemory) {
  run_shape<D3>({"D3",
                 st({T(K::F64), T(K::F64), T(K::F64)}),
                 {1.5, -2.5, 1e9},
                 [](const D3 &v) { return v.a + 2.0 * v.b + 3.0 * v.c; },
                 [](D3 v) {
                   v.a++, v.b++, v.c++;
                   return v;
                 },
                 [](const D3 &a, const D3 &b) { return EQ2(a, b, a, b) && a.c == b.c; }},
                GetParam());
  run_shape<L4>({"L4",
                 st({arr(K::I64, 4)}),
                 {{1LL << 33, -5, 7, -(1LL << 45)}},
                 [](const L4 &v) { return v.a[0] + 2.0 * v.a[1] + 3.0 * v.a[2] + 4.0 * v.a[3]; },
                 [](L4 v) {
                   for (auto &x : v.a) x++;
                   return v;
                 },
                 [](const L4 &a, const L4 &b) { return std::memcmp(a.a, b.a, sizeof a.a) == 0; }},
                GetParam());
  B64 b64;
  for (int i = 0; i < 64; ++i) b64.b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  run_shape<B64>({"B64", st({arr(K::U8, 64)}), b64,
                  [](const B64 &v) {
                    double s = 0;
                    for (int i = 0; i < 64; ++i) s += (i + 1.0) * v.b[i];
                    return s;
                  },
                  [](B64 v) {
                    for (auto &x : v.b) x++;
                    return v;
                  },
                  [](const B64 &a, const B64 &b) { return std::memcmp(a.b, b.b, 64) == 0; }},
                 GetParam());
}

TEST_P(StructCalls, Unions) {
  run_shape<UIF>({"UIF",
                  un({T(K::I32), T(K::F32)}),
                  {-123456},
                  [](const UIF &v) { return double(v.i); },
                  [](UIF v) {
                    v.i++;
                    return v;
                  },
                  [](const UIF &a, const UIF &b) { return a.i == b.i; }},
                 GetParam());
  UFF uff;
  uff.g[0] = 2.5f, uff.g[1] = -0.5f;
  run_shape<UFF>({"UFF", un({T(K::F32), arr(K::F32, 2)}), uff,
                  [](const UFF &v) { return v.g[0] + 2.0 * v.g[1]; },
                  [](UFF v) {
                    v.g[0]++, v.g[1]++;
                    return v;
                  },
                  [](const UFF &a, const UFF &b) { return a.g[0] == b.g[0] && a.g[1] == b.g[1]; }},
                 GetParam());
  UDL udl;
  udl.d[0] = 3.5, udl.d[1] = -7.25;
  run_shape<UDL>({"UDL", un({arr(K::F64, 2), T(K::I64)}), udl,
                  [](const UDL &v) { return v.d[0] + 2.0 * v.d[1]; },
                  [](UDL v) {
                    v.d[0]++, v.d[1]++;
                    return v;
                  },
                  [](const UDL &a, const UDL &b) { return a.d[0] == b.d[0] && a.d[1] == b.d[1]; }},
                 GetParam());
  ULD uld;
  std::memset(&uld, 0, sizeof uld);
  uld.ld = -12.5L;
  run_shape<ULD>(
      {"ULD", un({T(K::LongDouble), T(K::I32)}), uld, [](const ULD &v) { return double(v.ld); },
       [](ULD v) {
         v.ld++;
         return v;
       },
       [](const ULD &a, const ULD &b) { return a.ld == b.ld; }},
      GetParam());
  TAG tag;
  tag.tag = -2, tag.u.i = 99;
  run_shape<TAG>({"TAG", st({T(K::I8), un({T(K::I32), T(K::F32)})}), tag,
                  [](const TAG &v) { return v.tag + 2.0 * v.u.i; },
                  [](TAG v) {
                    v.tag++, v.u.i++;
                    return v;
                  },
                  [](const TAG &a, const TAG &b) { return a.tag == b.tag && a.u.i == b.u.i; }},
                 GetParam());
}

TEST_P(StructCalls, LongDoubleAndInt128Structs) {
  run_shape<SLD>({"SLD",
                  st({T(K::LongDouble)}),
                  {1.0L + 1e-18L},
                  [](const SLD &v) { return double(v.ld); },
                  [](SLD v) {
                    v.ld++;
                    return v;
                  },
                  [](const SLD &a, const SLD &b) { return a.ld == b.ld; }},
                 GetParam());
  S128 s;
  s.x = (__int128(-3) << 70) + 11;
  run_shape<S128>({"S128", st({T(K::I128)}), s, [](const S128 &v) { return double(v.x); },
                   [](S128 v) {
                     v.x++;
                     return v;
                   },
                   [](const S128 &a, const S128 &b) { return a.x == b.x; }},
                  GetParam());
}

// A struct passed by value is the callee's to change, also where the ABI passes it by reference
// (libffi 3.4.4 on arm64 would hand the callee the caller's own object).
TEST_P(StructCalls, ByValueArgumentIsTheCalleesCopy) {
  auto f = fn("jt_L4_clobber", T(K::I64), {st({arr(K::I64, 4)})}, {GetParam(), false});
  L4 l4 = {{10, 20, 30, 40}};
  void *args[] = {&l4};  // args[0] is the caller's own object
  for (int i = 0; i < 2; ++i) {
    std::int64_t r = 0;
    f.call(&r, args);
    EXPECT_EQ(r, 10 + 40 + 90 + 160) << "call " << i;
    EXPECT_TRUE(l4.a[0] == 10 && l4.a[1] == 20 && l4.a[2] == 30 && l4.a[3] == 40)
        << "the callee's writes reached the caller's struct (call " << i << ")";
  }
}

// libffi 3.4.4 rewrites args[i] for structs over 16 bytes; the caller's array must not change.
TEST_P(StructCalls, ArgsArrayIsNotModified) {
  auto f = fn("jt_L4_mid", T(K::F64),
              {T(K::I64), T(K::I64), T(K::I64), T(K::I64), T(K::I64), T(K::F64),
               st({arr(K::I64, 4)}), T(K::F64)},
              {GetParam(), false});
  std::int64_t a = 1, b = 2, c = 3, d = 4, e = 5;
  double x = 1, y = 2;
  L4 l4 = {{10, 20, 30, 40}};
  void *args[] = {&a, &b, &c, &d, &e, &x, &l4, &y};
  void *before[8];
  std::memcpy(before, args, sizeof args);
  double r;
  f.call(&r, args);
  EXPECT_EQ(r, 1 + 4 + 9 + 16 + 25 + 6 + 7 * (10 + 40 + 90 + 160.0) + 16);
  EXPECT_EQ(std::memcmp(before, args, sizeof args), 0);
  EXPECT_EQ(l4.a[0], 10);  // passed by value: the callee's copy is its own
}

INSTANTIATE_TEST_SUITE_P(Backends, StructCalls, testing::ValuesIn(backends()), choice_name);

}  // namespace
