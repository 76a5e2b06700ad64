// The fast paths for compact signatures and simple C prototypes (parser_fast.cpp), tried by
// Scope::signature before the general parser.
#pragma once

#include <string_view>

#include "signatures/parser_impl.h"

namespace jitffi::parse {

// Reads `text` when it is a signature of compact scalar names, one-word C scalar keywords,
// anonymous aggregates of them and `...`, with `abi` unless a prefix names another; fills `out`
// (names empty) and returns true. False for anything else, errors included: the general parser
// then reads the text.
bool compact_signature(std::string_view text, Abi abi, SigParts *out);

// The same for a simple C prototype: `ret name(params)` where each type is C type keywords or a
// standard typedef name (size_t, int32_t, ...; with `library_names`, which a Scope without
// typedefs passes, also the C library's scalar typedefs and FILE or DIR behind a pointer) with
// qualifiers and `*`s, each parameter named or not and maybe ending in `[]` or `[N]`, `...` and
// `(void)`. Fills the names too. False for anything else (structs, other typedef names, other
// arrays, function pointers, attributes, comments, errors).
bool c_signature(std::string_view text, Abi abi, bool library_names, SigParts *out);

}  // namespace jitffi::parse
