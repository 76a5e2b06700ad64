// Function::invoke<R>(args...) checks the arguments against the signature, and as<F>() makes a
// typed handle checked once (issue 15 item 6).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "api_test_util.h"
#include "testlib_types.h"

using namespace jt;
using K = TypeKind;

namespace {

// The Error that f() throws, or a failure when it throws nothing.
template <class F>
std::string error_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  ADD_FAILURE() << "no jitffi::Error thrown";
  return {};
}

class CheckedInvoke : public testing::TestWithParam<BackendChoice> {
 protected:
  CallOptions opts() const { return {GetParam(), false}; }
  Library libc_ = Library::open("c");
  Library libm_ = Library::open("m");
};

TEST_P(CheckedInvoke, IssueCasesThrowNamingTheArgument) {
  Function pow = libm_.function("double pow(double x, double y)", opts());
  std::string e = error_of([&] { pow.invoke<double>(2, 10); });
  EXPECT_NE(e.find("argument 1 of 2 (x) is int (4-byte integer)"), std::string::npos) << e;
  EXPECT_NE(e.find("f64 (8-byte floating)"), std::string::npos) << e;
  EXPECT_NE(e.find("pow"), std::string::npos) << e;

  Function labs = libc_.function("long labs(long)", opts());
  e = error_of([&] { labs.invoke<long>(-5); });
  EXPECT_NE(e.find("argument 1 of 1 is int (4-byte integer)"), std::string::npos) << e;
  EXPECT_NE(e.find("i64 (8-byte integer)"), std::string::npos) << e;

  e = error_of([&] { pow.invoke<double>(2.0); });
  EXPECT_NE(e.find("given 1 argument, the signature has 2"), std::string::npos) << e;
  e = error_of([&] { pow.invoke<double>(2.0, 10.0, 1.0); });
  EXPECT_NE(e.find("given 3 arguments, the signature has 2"), std::string::npos) << e;

  // The result type is checked too.
  e = error_of([&] { pow.invoke<float>(2.0, 10.0); });
  EXPECT_NE(e.find("result type float (4-byte floating)"), std::string::npos) << e;
  e = error_of([&] { labs.invoke<void>(-5L); });
  EXPECT_NE(e.find("result type void"), std::string::npos) << e;

  // And the right calls work.
  EXPECT_EQ(pow.invoke<double>(2.0, 10.0), 1024.0);
  EXPECT_EQ(labs.invoke<long>(-5L), 5);
}

TEST_P(CheckedInvoke, EveryScalarKind) {
  EXPECT_EQ(fn("jt_not", T(K::Bool), {T(K::Bool)}, opts()).invoke<bool>(false), true);
  EXPECT_EQ(fn("jt_neg_i8", T(K::I8), {T(K::I8)}, opts()).invoke<std::int8_t>(std::int8_t{5}), -5);
  EXPECT_EQ(fn("jt_inc_u8", T(K::U8), {T(K::U8)}, opts()).invoke<std::uint8_t>(std::uint8_t{254}),
            255);
  EXPECT_EQ(fn("jt_neg_i16", T(K::I16), {T(K::I16)}, opts()).invoke<std::int16_t>(short{300}),
            -300);
  EXPECT_EQ(fn("jt_inc_u32", T(K::U32), {T(K::U32)}, opts()).invoke<std::uint32_t>(7u), 8u);
  EXPECT_EQ(fn("jt_neg_i64", T(K::I64), {T(K::I64)}, opts()).invoke<std::int64_t>(-(1LL << 40)),
            1LL << 40);
  // Signedness is not checked: the same bits either way.
  EXPECT_EQ(fn("jt_inc_u64", T(K::U64), {T(K::U64)}, opts()).invoke<std::int64_t>(std::int64_t{-2}),
            -1);
  __int128 big = __int128(1) << 100;
  EXPECT_TRUE(fn("jt_i128", T(K::I128), {T(K::I128), T(K::I128)}, opts())
                  .invoke<__int128>(big, __int128{3}) == big * 3 - 3);
  EXPECT_EQ(fn("jt_f32", T(K::F32), {T(K::F32), T(K::F32)}, opts()).invoke<float>(1.5f, 2.0f),
            3.5f);
  EXPECT_EQ(fn("jt_f64", T(K::F64), {T(K::F64), T(K::F64)}, opts()).invoke<double>(1.5, 2.0), 3.25);
  char text[] = "hello";
  // Arrays decay to pointers; any pointer type (and nullptr) passes for ptr.
  EXPECT_EQ(fn("jt_strlen", T(K::U64), {P()}, opts()).invoke<std::size_t>(text), 5u);
  EXPECT_EQ(fn("jt_ptr_add", P(), {P(), T(K::I64)}, opts()).invoke<char *>(text, std::int64_t{2}),
            text + 2);
  std::int32_t slot = 0;
  fn("jt_store_i32", T(K::Void), {P(), T(K::I32)}, opts()).invoke<void>(&slot, 42);
  EXPECT_EQ(slot, 84);  // it stores v * 2
  std::string e = error_of([&] {
    fn("jt_f32", T(K::F32), {T(K::F32), T(K::F32)}, opts()).invoke<float>(1.5f, 2.0);
  });
  EXPECT_NE(e.find("argument 2 of 2 is double (8-byte floating)"), std::string::npos) << e;
  e = error_of([&] { fn("jt_strlen", T(K::U64), {P()}, opts()).invoke<std::size_t>(0L); });
  EXPECT_NE(e.find("8-byte integer"), std::string::npos) << e;
  EXPECT_NE(e.find("is long"), std::string::npos) << e;
  EXPECT_NE(e.find("ptr (pointer)"), std::string::npos) << e;
}

// A C++ trivially copyable type of the same size and alignment stands for a C aggregate.
struct MyD2 {
  double first, second;
};
struct Bytes16 {
  unsigned char b[16];
};

TEST_P(CheckedInvoke, StructsByValue) {
  TypeRef d2 = Type::struct_({{"x", T(K::F64)}, {"y", T(K::F64)}});
  Function sum = fn("jt_D2_sum", T(K::F64), {d2}, opts());
  Function next = fn("jt_D2_next", d2, {d2}, opts());
  EXPECT_EQ(sum.invoke<double>(MyD2{1.0, 10.0}), 21.0);
  MyD2 n = next.invoke<MyD2>(MyD2{1.0, 10.0});
  EXPECT_EQ(n.first, 2.0);
  EXPECT_EQ(n.second, 11.0);
  // Same size, other alignment: refused.
  std::string e = error_of([&] { sum.invoke<double>(Bytes16{}); });
  EXPECT_NE(e.find("16-byte aggregate (align 1)"), std::string::npos) << e;
  EXPECT_NE(e.find("16-byte aggregate (align 8)"), std::string::npos) << e;
  e = error_of([&] { sum.invoke<double>(1.0); });
  EXPECT_NE(e.find("is double (8-byte floating)"), std::string::npos) << e;
}

TEST_P(CheckedInvoke, VariadicSnprintfAndPrintf) {
  Signature proto = Signature::variadic(host_abi(), T(K::I32), {P(), T(K::U64), Type::cstr()}, 3)
                        .with_name("snprintf");
  Function snp = libc_.function(proto.with_varargs({T(K::I32), T(K::F64)}), opts());
  char out[64];
  const char *fmt = "%d|%.2f";
  int n = snp.invoke<int>(out, std::uint64_t{sizeof out}, fmt, -7, 2.5);
  EXPECT_EQ(n, 7);
  EXPECT_STREQ(out, "-7|2.50");
  // A float after `...` is not promoted for you.
  std::string e = error_of([&] { snp.invoke<int>(out, std::uint64_t{sizeof out}, fmt, -7, 2.5f); });
  EXPECT_NE(e.find("argument 5 of 5 is float (4-byte floating)"), std::string::npos) << e;
  EXPECT_NE(e.find("variadic argument"), std::string::npos) << e;
  // Variadic argument types not declared: an arity error that says where they go.
  Function bare = libc_.function(proto, opts());
  e = error_of([&] { bare.invoke<int>(out, std::uint64_t{sizeof out}, fmt, -7, 2.5); });
  EXPECT_NE(e.find("given 5 arguments, the signature has 3 (3 fixed"), std::string::npos) << e;
  EXPECT_NE(e.find("with_varargs"), std::string::npos) << e;

  Function printf = libc_.function("int printf(const char *, ..., int)", opts());
  std::fflush(stdout);
  EXPECT_EQ(printf.invoke<int>("checked printf %d\n", 123), 19);
  std::fflush(stdout);
}

TEST_P(CheckedInvoke, TypedHandle) {
  Function pow = libm_.function("double pow(double, double)", opts());
  auto p = pow.as<double(double, double)>();
  EXPECT_EQ(p(2.0, 10.0), 1024.0);
  EXPECT_EQ(p(2, 10), 1024.0);  // a C++ call: the ints convert to the declared doubles
  EXPECT_TRUE(bool(p));
  EXPECT_EQ(p.function().address(), pow.address());

  std::string e = error_of([&] { pow.as<double(int, int)>(); });
  EXPECT_NE(e.find("as<>()"), std::string::npos) << e;
  EXPECT_NE(e.find("argument 1 of 2 is int"), std::string::npos) << e;
  e = error_of([&] { pow.as<double(double)>(); });
  EXPECT_NE(e.find("given 1 argument, the signature has 2"), std::string::npos) << e;
  e = error_of([&] { pow.as<int(double, double)>(); });
  EXPECT_NE(e.find("result type int"), std::string::npos) << e;

  TypeRef d2 = Type::struct_({{"x", T(K::F64)}, {"y", T(K::F64)}});
  auto next = fn("jt_D2_next", d2, {d2}, opts()).as<MyD2(const MyD2 &)>();
  MyD2 n = next(MyD2{5.0, 6.0});
  EXPECT_EQ(n.first, 6.0);
  EXPECT_EQ(n.second, 7.0);

  auto store = fn("jt_store_i32", T(K::Void), {P(), T(K::I32)}, opts()).as<void(int *, int)>();
  int slot = 0;
  store(&slot, 9);
  EXPECT_EQ(slot, 18);  // it stores v * 2

  // capture_errno goes through the same call(): still honoured.
  set_saved_errno(0);
  Function seterr = fn("jt_set_errno", T(K::I32), {T(K::I32)}, {GetParam(), true});
  seterr.as<int(int)>()(ERANGE);
  EXPECT_EQ(saved_errno(), ERANGE);
}

TEST(CheckedInvokeEmpty, EmptyFunctionThrows) {
  Function f;
  std::string e = error_of([&] { f.invoke<void>(); });
  EXPECT_NE(e.find("empty Function"), std::string::npos) << e;
  e = error_of([&] { f.as<void()>(); });
  EXPECT_NE(e.find("empty Function"), std::string::npos) << e;
}

INSTANTIATE_TEST_SUITE_P(Backends, CheckedInvoke, testing::ValuesIn(backends()), choice_name);

}  // namespace
