// Plans from abi::classify, executed by the JIT back end against the C targets: the compiler
// that built targets.c judges both the classifier and the emitter.
#include <gtest/gtest.h>

#include <cstring>

#include "jit/stub_cache.h"
#include "targets.h"

namespace jitffi::test {
namespace {

TypeRef s(TypeKind k) {
  return Type::scalar(k);
}
TypeRef st(std::vector<TypeRef> members) {
  std::vector<Field> f;
  for (auto &m : members) f.push_back({"", m, 0});
  return Type::struct_(f);
}

std::vector<unsigned char> call(const Signature &sig, void *fn, void **args) {
  auto impl = jit::StubCache::global().downcall(sig);
  std::vector<unsigned char> ret(48, 0xAA);
  impl->raw()(fn, ret.data(), args);
  return ret;
}

TEST(Classified, SysVStructsAgainstTheCompiler) {
  const TypeRef ids = st({s(TypeKind::I64), s(TypeKind::F64)});
  const TypeRef v2 = st({s(TypeKind::F64), s(TypeKind::F64)});
  IDs a{-5, 2.5};
  float f = 0.5f;
  void *args[] = {&a, &f};
  auto r = call(Signature(Abi::SysV_x64, v2, {ids, s(TypeKind::F32)}), (void *)&t_mix, args);
  const V2 want = t_mix(a, f);
  EXPECT_EQ(std::memcmp(r.data(), &want, sizeof want), 0);

  const TypeRef i3 = st({s(TypeKind::I64), s(TypeKind::I64), s(TypeKind::I64)});
  I3 x{1, -2, 3};
  std::int64_t k = 7;
  void *args2[] = {&x, &k};
  r = call(Signature(Abi::SysV_x64, i3, {i3, s(TypeKind::I64)}), (void *)&t_sret, args2);
  const I3 want2 = t_sret(x, k);
  EXPECT_EQ(std::memcmp(r.data(), &want2, sizeof want2), 0);
  EXPECT_EQ(r[24], 0xAA);

  const TypeRef c19 = st({Type::array(s(TypeKind::I8), 19)});
  C19 c;
  for (int i = 0; i < 19; ++i) c.c[i] = char(i * 7);
  std::int32_t kk = 3;
  void *args3[] = {&c, &kk};
  r = call(Signature(Abi::SysV_x64, s(TypeKind::I64), {c19, s(TypeKind::I32)}), (void *)&t_c19,
           args3);
  std::int64_t got;
  std::memcpy(&got, r.data(), 8);
  EXPECT_EQ(got, t_c19(c, kk));

  const TypeRef f3 = st({s(TypeKind::F32), s(TypeKind::F32), s(TypeKind::F32)});
  F3 v{1.25f, 2.5f, 3.75f};
  void *args4[] = {&v};
  r = call(Signature(Abi::SysV_x64, f3, {f3}), (void *)&t_f3, args4);
  const F3 want4 = t_f3(v);
  EXPECT_EQ(std::memcmp(r.data(), &want4, sizeof want4), 0);

  long double ld = 1.5L;
  std::int32_t m = -4;
  void *args5[] = {&ld, &m};
  r = call(Signature(Abi::SysV_x64, s(TypeKind::LongDouble),
                     {s(TypeKind::LongDouble), s(TypeKind::I32)}),
           (void *)&t_ld, args5);
  long double ldr;
  std::memcpy(&ldr, r.data(), 16);
  EXPECT_EQ(ldr, t_ld(ld, m));
}

TEST(Classified, SysVVariadic) {
  const char *fmt = "didd";
  double d1 = 1, d3 = 3, d4 = 4;
  std::int32_t i2 = 2;
  void *args[] = {&fmt, &d1, &i2, &d3, &d4};
  const Signature sig = Signature::variadic(
      Abi::SysV_x64, s(TypeKind::F64),
      {Type::cstr(), s(TypeKind::F64), s(TypeKind::I32), s(TypeKind::F64), s(TypeKind::F64)}, 1);
  auto r = call(sig, (void *)&t_var, args);
  double got;
  std::memcpy(&got, r.data(), 8);
  EXPECT_EQ(got, 1234.0);
}

TEST(Classified, Win64AgainstTheCompiler) {
  const TypeRef b12 = st({s(TypeKind::I32), s(TypeKind::I32), s(TypeKind::I32)});
  B12 b{1, 2, 3};
  std::int32_t k = 4;
  void *args[] = {&b, &k};
  auto r = call(Signature(Abi::Win64, s(TypeKind::I32), {b12, s(TypeKind::I32)}), (void *)&w_byref,
                args);
  std::int32_t got;
  std::memcpy(&got, r.data(), 4);
  EXPECT_EQ(got, 4321);

  std::int32_t x = 6, y = 7;
  void *args2[] = {&x, &y};
  r = call(Signature(Abi::Win64, b12, {s(TypeKind::I32), s(TypeKind::I32)}), (void *)&w_sret,
           args2);
  const B12 want = w_sret(x, y);
  EXPECT_EQ(std::memcmp(r.data(), &want, sizeof want), 0);

  std::int32_t a1 = 1, a3 = 3, a5 = -5;
  double a2 = 2.5, a4 = 4.5, a6 = 6.5;
  void *args3[] = {&a1, &a2, &a3, &a4, &a5, &a6};
  r = call(Signature(Abi::Win64, s(TypeKind::F64),
                     {s(TypeKind::I32), s(TypeKind::F64), s(TypeKind::I32), s(TypeKind::F64),
                      s(TypeKind::I32), s(TypeKind::F64)}),
           (void *)&w_mixed, args3);
  double d;
  std::memcpy(&d, r.data(), 8);
  EXPECT_EQ(d, w_mixed(a1, a2, a3, a4, a5, a6));

  std::int32_t n = 4;
  double v[4] = {1, 2, 3, 4};
  void *args4[] = {&n, &v[0], &v[1], &v[2], &v[3]};
  r = call(Signature::variadic(Abi::Win64, s(TypeKind::F64),
                               {s(TypeKind::I32), s(TypeKind::F64), s(TypeKind::F64),
                                s(TypeKind::F64), s(TypeKind::F64)},
                               1),
           (void *)&w_var, args4);
  std::memcpy(&d, r.data(), 8);
  EXPECT_EQ(d, 1234.0);
}

}  // namespace
}  // namespace jitffi::test

#include "jit/listing.h"

namespace jitffi::test {
namespace {

TEST(Classified, ListingHasThePlanAndBothStubs) {
  const Signature sig(Abi::SysV_x64, s(TypeKind::F64), {s(TypeKind::F64), s(TypeKind::I32)});
  const std::string text = jit::listing(sig);
  EXPECT_NE(text.find("sysv:f64(f64,i32)"), std::string::npos) << text;
  EXPECT_NE(text.find("xmm0"), std::string::npos) << text;
  EXPECT_NE(text.find("call r10"), std::string::npos) << text;              // downcall
  EXPECT_NE(text.find("call qword ptr [r10]"), std::string::npos) << text;  // upcall
  EXPECT_THROW(jit::listing(Signature(Abi::Win64, s(TypeKind::I32), {s(TypeKind::LongDouble)})),
               Error);  // unclassifiable (AAPCS64 plans list on any host: tests/jit_a64)
}

}  // namespace
}  // namespace jitffi::test
