// The AArch64 emitter on windows_arm64 plans, on any host. No machine here runs Windows code, so
// what is checked is what the listing shows: every stub kind assembles for a wide set of plans,
// keeps sp 16-byte aligned, stores nothing below sp (the red zone) and never names x18, which
// Windows reserves ("x18 | Non-volatile | Platform register: ... in user mode, points to TEB",
// Microsoft, "Overview of ARM64 ABI conventions"), and the static chain forms, which pass the chain
// in x18, are refused.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "abi/call_plan.h"
#include "jit/stub.h"

namespace jitffi::test {
namespace {

using jit::StubKind;

abi::CallPlan windows(const std::string &text) {
  return abi::classify(Signature::parse(text, Abi::Windows_arm64));
}

// Fixed and variadic signatures with each argument kind at every distance from x7: the k
// leading i64 move the argument through x0-x7, the x7/stack boundary and the stack.
std::vector<std::string> signatures() {
  const std::vector<std::string> fixed_only = {"i8", "u16", "f32", "{i8, i16}", "{f32, f32}"};
  const std::vector<std::string> any = {"i32",
                                        "i64",
                                        "f64",
                                        "ptr",
                                        "i128",
                                        "{i64, i64}",
                                        "{i32, i32, i32}",
                                        "{f64, f64, f64}",
                                        "{f32, f32, f32, f32}",
                                        "{i64, i64, i64}",
                                        "{f64, i64}",
                                        "{i8, f64}"};
  const std::vector<std::string> results = {
      "void", "f64", "i8", "{f32, f32, f32, f32}", "{i64, i64, i64}", "{i64, i32}"};
  std::vector<std::string> out;
  std::size_t r = 0;
  for (unsigned k = 0; k <= 8; ++k) {
    std::string lead;
    for (unsigned i = 0; i < k; ++i) lead += "i64, ";
    for (const std::string &t : fixed_only) {
      const std::string &ret = results[r++ % results.size()];
      out.push_back(ret + "(" + lead + t + ", " + t + ", f64)");
      out.push_back(ret + "(" + lead + t + ", ..., f64, " + "i32)");
    }
    for (const std::string &t : any) {
      const std::string &ret = results[r++ % results.size()];
      out.push_back(ret + "(" + lead + t + ", " + t + ", f64)");
      out.push_back(ret + "(ptr, ..., " + lead + t + ", " + t + ", f64)");
    }
  }
  return out;
}

TEST(A64WindowsArm64, NoStubNamesX18OrStoresBelowSp) {
  const std::regex x18("\\b[wx]18\\b");
  const std::regex sp_adjust("(?:sub|add) sp, sp, ([0-9]+)");
  static const char target = 0;
  unsigned listings = 0, variadic = 0, entries = 0, sigs = 0;
  for (const std::string &text : signatures()) {
    const abi::CallPlan plan = windows(text);
    ASSERT_EQ(plan.abi, Abi::Windows_arm64);
    variadic += plan.variadic;
    ++sigs;
    std::vector<StubKind> kinds = {StubKind::Downcall, StubKind::Bound, StubKind::Upcall};
    if (abi::value_shape(plan).kind != ValueShape::None) {  // the value and slot entries too
      for (StubKind k :
           {StubKind::Value, StubKind::Slots, StubKind::ValueErrno, StubKind::SlotsErrno})
        kinds.push_back(k);
      entries += 4;
    }
    for (StubKind kind : kinds) {
      const std::string t =
          jit::disassemble(plan, kind, kind == StubKind::Bound ? &target : nullptr);
      // A real listing: the stub reaches its target or handler.
      ASSERT_TRUE(std::regex_search(t, std::regex("\\bb(lr|r) x1[06]\\b"))) << text << "\n" << t;
      EXPECT_FALSE(std::regex_search(t, x18)) << text << "\n" << t;
      // [MS] Red zone: the 16 bytes below sp are reserved, so nothing is stored below sp
      // (a negative sp offset only with writeback, the push itself); [MS] Stack: sp stays
      // 16-byte aligned, so every adjustment is a multiple of 16.
      EXPECT_FALSE(std::regex_search(t, std::regex("\\[sp, -[0-9]+\\](?!!)"))) << text << "\n" << t;
      for (std::sregex_iterator it(t.begin(), t.end(), sp_adjust), end; it != end; ++it)
        EXPECT_EQ(std::stoul((*it)[1].str()) % 16, 0u) << text << "\n" << t;
      ++listings;
    }
  }
  EXPECT_GE(listings, 500u);
  EXPECT_GE(variadic, 80u);
  EXPECT_GE(entries, 200u);
  std::printf(
      "%u listings (%u of value and slot entries) of %u signatures (%u variadic), none "
      "naming x18\n",
      listings, entries, sigs, variadic);
}

// The same plan's static chain forms: refused with the reason, not emitted with x18.
TEST(A64WindowsArm64, StaticChainFormsAreRefused) {
  static const char handler = 0;
  const abi::CallPlan plan = windows("i32(i32, i32)");
  for (StubKind kind : {StubKind::ChainDowncall, StubKind::ChainUpcall}) {
    try {
      jit::disassemble(plan, kind, &handler);
      ADD_FAILURE() << "a static chain stub was emitted for windows_arm64";
    } catch (const UnsupportedError &e) {
      EXPECT_NE(std::string(e.what()).find("x18"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("windows_arm64"), std::string::npos) << e.what();
    }
  }
  // AAPCS64 (Linux) keeps them: x18 is a temporary there.
  const abi::CallPlan linux_plan = abi::classify(Signature::parse("i32(i32, i32)", Abi::AAPCS64));
  // (and the pattern NoStubNamesX18 looks for does find x18 where it is used)
  EXPECT_TRUE(std::regex_search(jit::disassemble(linux_plan, StubKind::ChainDowncall),
                                std::regex("\\b[wx]18\\b")));
}

// The variadic double of `f64(ptr, ..., f64)` is loaded into x1 as 8 integer bytes; named
// floats in a fixed call still use v registers.
TEST(A64WindowsArm64, VariadicDoubleIsLoadedIntoX1) {
  const std::string v = jit::disassemble(windows("f64(ptr, ..., f64)"), StubKind::Downcall);
  EXPECT_NE(v.find("ldr x1, [x11]"), std::string::npos) << v;
  EXPECT_EQ(v.find("ldr d0, [x11]"), std::string::npos) << v;
  EXPECT_NE(v.find("str d0, [x9]"), std::string::npos) << v;  // the result in d0
  const std::string f = jit::disassemble(windows("f64(ptr, f64)"), StubKind::Downcall);
  EXPECT_NE(f.find("ldr d0, [x11]"), std::string::npos) << f;
  // The upcall reads the variadic double from x1 too.
  const std::string u = jit::disassemble(windows("f64(ptr, ..., f64)"), StubKind::Upcall);
  EXPECT_NE(u.find("str x1, "), std::string::npos) << u;
}

// A composite at x7 in a variadic call continues at [sp+0]: the downcall stores its second
// eightbyte into the outgoing area and loads the first into x7.
TEST(A64WindowsArm64, StraddlingCompositeIsSplitBetweenX7AndTheStack) {
  const abi::CallPlan plan =
      windows("void(i64, ..., i64, i64, i64, i64, i64, i64, {i64, i64}, f64)");
  ASSERT_EQ(plan.stack_bytes, 16u);
  const std::string t = jit::disassemble(plan, StubKind::Downcall);
  EXPECT_NE(t.find("ldr x7, [x11]"), std::string::npos) << t;
  EXPECT_NE(t.find("ldr x12, [x11, 8]"), std::string::npos) << t;
  EXPECT_NE(t.find("str x12, [sp]"), std::string::npos) << t;
  EXPECT_NE(t.find("str x12, [sp, 8]"), std::string::npos) << t;  // the double after it
}

}  // namespace
}  // namespace jitffi::test
