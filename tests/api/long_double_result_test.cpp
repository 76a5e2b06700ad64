// A struct that is just a long double (classes X87, X87UP) comes back in st0, so it takes no
// hidden-pointer register: the arguments after it start at rdi. The libffi back end counts
// registers itself for its x86-64 workaround (an {INTEGER, SSE} struct reaching r9 is handed to
// libffi as two scalars, since libffi 3.4.4 would copy its whole size into the r9 slot and over
// the saved xmm0); counting a hidden pointer here left the struct whole, and the copy overwrote
// the float in xmm0 (differential suite, sysv seed 7, signature 4664). The targets are compiled
// by the compiler that judges: they check every argument and return a known value.
#include <cstring>

#include "api_test_util.h"

using namespace jt;

namespace {

using K = TypeKind;

struct S {  // {i32, i8, {f32}}: INTEGER, SSE
  std::int32_t a;
  std::int8_t b;
  struct {
    float f;
  } c;
};

struct LD1 {  // X87, X87UP: st0
  long double x;
};
struct LDA1 {  // the same through an array of one
  long double x[1];
};
struct LDN {  // and nested: {{ldouble}[1]}
  struct {
    long double x;
  } m[1];
};
union LDU {  // a union of one long double
  long double x;
};
struct LDA2 {  // 32 bytes: MEMORY, returned through the hidden pointer in rdi
  long double x[2];
};

constexpr float kA0 = 1.5f;
constexpr std::int64_t kInts[5] = {-11, 1LL << 40, 33, -(1LL << 50), 55};
constexpr S kS = {-7, -3, {2.25f}};
constexpr long double kRet = -0x1.23456789abcdef2p+100L;

int g_bad_args = -1;  // which arguments the last target call saw wrong (a bit each)

// float, five integers, then S: without a hidden pointer the integers take rdi..r8 and S takes
// r9 and xmm1; with one, the integers take rsi..r9 and S goes to the stack.
template <class R>
R target(float a0, std::int64_t a1, std::int64_t a2, std::int64_t a3, std::int64_t a4,
         std::int64_t a5, S s) {
  const std::int64_t ints[] = {a1, a2, a3, a4, a5};
  g_bad_args = a0 == kA0 ? 0 : 1;
  for (int i = 0; i < 5; ++i)
    if (ints[i] != kInts[i]) g_bad_args |= 2 << i;
  if (s.a != kS.a || s.b != kS.b || s.c.f != kS.c.f) g_bad_args |= 1 << 6;
  R r;
  std::memset(&r, 0, sizeof r);
  for (std::size_t off = 0; off < sizeof r; off += sizeof(long double))
    std::memcpy(reinterpret_cast<char *>(&r) + off, &kRet, sizeof kRet);
  return r;
}

TypeRef st(std::vector<TypeRef> members) {
  std::vector<Field> f;
  for (auto &m : members) f.push_back(Field{"", m});
  return Type::struct_(std::move(f));
}

template <class R>
void check(const char *name, TypeRef ret, BackendChoice choice) {
  SCOPED_TRACE(name);
  ASSERT_EQ(ret->size(), sizeof(R));
  ASSERT_EQ(ret->align(), alignof(R));
  TypeRef s = st({T(K::I32), T(K::I8), st({T(K::F32)})});
  Signature sig(host_abi(), ret,
                {T(K::F32), T(K::I64), T(K::I64), T(K::I64), T(K::I64), T(K::I64), s});
  Function f(sig, reinterpret_cast<void *>(&target<R>), CallOptions{choice, false});
  float a0 = kA0;
  std::int64_t ints[5];
  std::memcpy(ints, kInts, sizeof ints);
  S sv = kS;
  void *args[] = {&a0, &ints[0], &ints[1], &ints[2], &ints[3], &ints[4], &sv};
  alignas(16) unsigned char buf[sizeof(R) + 32];
  std::memset(buf, 0x5A, sizeof buf);
  g_bad_args = -1;
  f.call(buf + 16, args);
  EXPECT_EQ(g_bad_args, 0) << "the target saw these arguments wrong (bit 0: the float, bits 1-5: "
                              "the integers, bit 6: the struct)";
  for (std::size_t off = 0; off < sizeof(R); off += sizeof(long double)) {
    long double got;
    std::memcpy(&got, buf + 16 + off, sizeof got);
    EXPECT_EQ(got, kRet) << "result element at +" << off;
  }
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(buf[i], 0x5A) << "written before the result at " << i;
    EXPECT_EQ(buf[16 + sizeof(R) + i], 0x5A) << "written past the result at " << i;
  }
}

class LongDoubleResult : public testing::TestWithParam<BackendChoice> {};

TEST_P(LongDoubleResult, InSt0TakesNoArgumentRegister) {
  const TypeRef ld = T(K::LongDouble);
  check<LD1>("{ldouble}", st({ld}), GetParam());
  check<LDA1>("{ldouble[1]}", st({Type::array(ld, 1)}), GetParam());
  check<LDN>("{{ldouble}[1]}", st({Type::array(st({ld}), 1)}), GetParam());
  check<LDU>("union{ldouble}", Type::union_({Field{"", ld}}), GetParam());
}

TEST_P(LongDoubleResult, InMemoryTakesRdi) {
  check<LDA2>("{ldouble[2]}", st({Type::array(T(K::LongDouble), 2)}), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Backends, LongDoubleResult, testing::ValuesIn(backends()), choice_name);

}  // namespace
