// The differential suite's view of a generated library: its entries, its failure record, and the
// signatures rebuilt from their canonical text with the Type/Signature builder.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jitffi/signature.h"
#include "tests/diff/diff_runtime.h"

namespace jitffi::difftest {

// One generated library (one ABI mode), loaded once per process and never unloaded.
struct DiffLib {
  std::string abi;   // "sysv", "win64", "aapcs64"
  std::string path;  // the shared library
  std::string seed;
  std::vector<const diff_entry *> entries;  // in index order

  void (*reset)() = nullptr;
  unsigned (*failure_count)() = nullptr;
  unsigned (*typed_calls)() = nullptr;
  const char *(*first_failure)() = nullptr;
};

// Loads (once) the library generated for `abi`; throws std::runtime_error when it is missing.
const DiffLib &load_lib(const std::string &abi, const std::string &path);

// Builds the signature from the generator's canonical text (`sysv:{i32,f64}(i8,...,i64)`) with
// Type::struct_/union_/array and Signature, independently of the text parser. Throws
// std::runtime_error naming the position on text it does not understand.
Signature build_signature(std::string_view canonical);

// The entry's C layout (sizeof, _Alignof, leaf offsets) for the result (position 0) and each
// parameter (1..n), as the compiler computed it.
struct CLayout {
  unsigned size = 0, align = 0;
  std::vector<unsigned> leaf_offsets;
};
std::vector<CLayout> c_layouts(const diff_entry &e, std::size_t nparams);

// Empty when jitffi's layout of `t` equals the compiler's, else what differs.
std::string compare_layout(const Type &t, const CLayout &c);

}  // namespace jitffi::difftest
