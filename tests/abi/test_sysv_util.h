// Helpers for the SysV x86-64 plan tests: the shared type builders and plan notation of
// test_plan_notation.h, with plan()/vplan() fixed to the SysV classifier.
//
//   pieces:  "a<arg>[<offset>,<size>]<ext> <slot>"  e.g. "a0[0,1]sext rdi | a1[0,8] sp+0"
//            "sret rdi" for the hidden result pointer
//   results: "<slot> [<offset>,<size>]<ext>"        e.g. "xmm0 [0,8] | rax [8,8]"
#pragma once

#include <vector>

#include "test_plan_notation.h"

namespace jitffi::test::sysv {

using namespace jitffi::test::notation;

inline abi::CallPlan plan(TypeRef ret, std::vector<TypeRef> params) {
  return abi::classify_sysv_x64(Signature(Abi::SysV_x64, std::move(ret), std::move(params)));
}
inline abi::CallPlan vplan(TypeRef ret, std::vector<TypeRef> params, std::size_t fixed) {
  return abi::classify_sysv_x64(
      Signature::variadic(Abi::SysV_x64, std::move(ret), std::move(params), fixed));
}

}  // namespace jitffi::test::sysv
