// The compact notation's fast path (parser_compact.cpp), tried by Scope::signature before the
// general parser.
#pragma once

#include <string_view>

#include "signatures/parser_impl.h"

namespace jitffi::parse {

// Reads `text` when it is a signature of compact scalar names, one-word C scalar keywords,
// anonymous aggregates of them and `...`, with `abi` unless a prefix names another; fills `out`
// (names empty) and returns true. False for anything else, errors included: the general parser
// then reads the text.
bool compact_signature(std::string_view text, Abi abi, SigParts *out);

}  // namespace jitffi::parse
