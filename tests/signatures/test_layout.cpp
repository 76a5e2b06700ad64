// Layout against the compiler: every definition in layout_cases.h is compiled by the C compiler
// (layout_cases.c) and parsed by jitffi from the same text; sizeof, _Alignof and the offset of
// every member must agree. Nothing here is a hard-coded number, so the test holds on any host.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jitffi/signature.h"
#include "layout_cases_table.h"

namespace jitffi {
namespace {

struct Parsed {
  Scope scope{host_abi()};
  std::vector<TypeRef> types;
  std::vector<std::string> errors;
};

// Declares every case in order (later cases use earlier tags) and keeps each one's result.
const Parsed &parsed() {
  static const Parsed p = [] {
    Parsed r;
    for (std::size_t i = 0; i < jitffi_layout_case_count; ++i) {
      const lc_case &c = jitffi_layout_cases[i];
      try {
        r.scope.declare(std::string(c.text) + ";");
        r.types.push_back(r.scope.find_tag(c.name));
        r.errors.emplace_back();
      } catch (const std::exception &e) {
        r.types.push_back(nullptr);
        r.errors.emplace_back(e.what());
      }
    }
    return r;
  }();
  return p;
}

// A member by name, looking through anonymous struct/union members as C does.
bool find_member(const Type &t, const std::string &name, std::size_t base, std::size_t *offset) {
  for (const Field &f : t.fields()) {
    if (f.name == name) {
      *offset = base + f.offset;
      return true;
    }
    if (f.name.empty() && f.type->is_aggregate() &&
        find_member(*f.type, name, base + f.offset, offset))
      return true;
  }
  return false;
}

void named_members(const Type &t, std::vector<std::string> *out) {
  for (const Field &f : t.fields()) {
    if (!f.name.empty())
      out->push_back(f.name);
    else if (f.type->is_aggregate())
      named_members(*f.type, out);
  }
}

class LayoutVsCompiler : public ::testing::TestWithParam<std::size_t> {};

TEST_P(LayoutVsCompiler, SizeAlignAndOffsetsMatch) {
  const lc_case &c = jitffi_layout_cases[GetParam()];
  SCOPED_TRACE(c.text);
  const Parsed &p = parsed();
  ASSERT_EQ(p.errors[GetParam()], "");
  const TypeRef &t = p.types[GetParam()];
  ASSERT_TRUE(t);
  EXPECT_EQ(t->size(), c.size);
  EXPECT_EQ(t->align(), c.align);
  if (c.member_count == 0) {  // an enum: the integer type GCC chose
    EXPECT_TRUE(t->is_integer());
    EXPECT_EQ(t->is_signed(), c.enum_is_signed != 0);
    return;
  }
  std::vector<std::string> names;
  named_members(*t, &names);
  std::vector<std::string> listed(c.member_names, c.member_names + c.member_count);
  EXPECT_EQ(names, listed) << "the case must list every member, in order";
  for (std::size_t i = 0; i < c.member_count; ++i) {
    std::size_t off = ~std::size_t{0};
    EXPECT_TRUE(find_member(*t, c.member_names[i], 0, &off)) << c.member_names[i];
    EXPECT_EQ(off, c.offsets[i]) << "offsetof " << c.member_names[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, LayoutVsCompiler,
                         ::testing::Range<std::size_t>(0, jitffi_layout_case_count),
                         [](const ::testing::TestParamInfo<std::size_t> &info) {
                           return std::string(jitffi_layout_cases[info.param].name);
                         });

TEST(LayoutVsCompiler, HasSeveralDozenCases) {
  EXPECT_GE(jitffi_layout_case_count, 48u);
}

// The C names whose meaning depends on the ABI, on this host, as the C compiler sees them.
TEST(CNamesVsCompiler, HostAbiMatchesTheCompiler) {
  const Scope s(host_abi());
  const lc_c_facts &f = jitffi_c_facts;
  EXPECT_EQ(s.type("char")->is_signed(), f.char_is_signed != 0);
  EXPECT_EQ(s.type("char")->size(), 1u);
  EXPECT_EQ(s.type("long")->size(), f.long_size);
  EXPECT_EQ(s.type("unsigned long")->size(), f.long_size);
  EXPECT_EQ(s.type("wchar_t")->size(), f.wchar_size);
  EXPECT_EQ(s.type("wchar_t")->is_signed(), f.wchar_is_signed != 0);
  const TypeRef ld = s.type("long double");
  if (f.long_double_is_double) {
    EXPECT_EQ(ld->kind(), TypeKind::F64);
  } else {
    EXPECT_EQ(ld->kind(), TypeKind::LongDouble);
  }
  EXPECT_EQ(ld->size(), f.long_double_size);
  EXPECT_EQ(ld->align(), f.long_double_align);
}

}  // namespace
}  // namespace jitffi
