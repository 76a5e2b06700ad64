// Helpers for the API tests: the test library, type shorthands, and the back ends to run on.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jitffi/jitffi.hpp"

namespace jt {

using namespace jitffi;

inline Library &testlib() {
  static Library lib = Library::open(JITFFI_TESTLIB);
  return lib;
}

inline TypeRef T(TypeKind k) {
  return Type::scalar(k);
}
inline TypeRef P() {
  return Type::pointer();
}

// A function of the test library, declared with the C++ builder (independent of the parser).
inline Function fn(const char *name, TypeRef ret, std::vector<TypeRef> params,
                   CallOptions options = {}, Abi abi = host_abi()) {
  return testlib().function(Signature(abi, std::move(ret), std::move(params)).with_name(name),
                            options);
}

// Back ends every call test runs on: libffi always, and Auto (the JIT where it serves the
// signature, once there is a JIT).
inline std::vector<BackendChoice> backends() {
  std::vector<BackendChoice> v{BackendChoice::Libffi};
  if (detail::jit_backend()) v.push_back(BackendChoice::Auto);
  return v;
}

inline std::string choice_name(const testing::TestParamInfo<BackendChoice> &info) {
  return info.param == BackendChoice::Libffi ? "libffi" : "auto";
}

}  // namespace jt
