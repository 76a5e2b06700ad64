// libFuzzer target: the signature parser, through every entry point a host reaches with text it
// does not control: Signature::parse for each ABI, Scope::type, Scope::declare followed by
// Scope::signature, and the C API (jitffi_sig_parse_n, jitffi_sig_with_varargs).
//
// An input is either one text (tried by every entry point) or `declarations\n---\nprototype`
// (the declarations go to Scope::declare, the rest to Scope::signature and Scope::type).
//
// Invariants (a violation aborts, which libFuzzer reports as a crash):
//  - the only exception that leaves the parser is ParseError; its input() is the whole text, its
//    position() lies inside it (the end counts) and it says what was expected;
//  - a parsed signature's canonical text parses to the same canonical text and hash, whatever
//    the default ABI (the prefix names it), and compares equal;
//  - a parsed type's canonical text parses to the same type;
//  - the fast paths (compact signatures, simple C prototypes) read what they accept as the
//    general parser does, and accept nothing the general parser rejects;
//  - the C API answers JITFFI_OK or JITFFI_PARSE_ERROR with a message and a position inside the
//    text, and agrees with the C++ API.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "jitffi.h"
#include "jitffi/signature.h"
#include "signatures/parser_fast.h"

namespace {

using jitffi::Abi;
using jitffi::ParseError;
using jitffi::Signature;

constexpr Abi kAbis[] = {Abi::SysV_x64, Abi::Win64, Abi::AAPCS64, Abi::Apple_arm64};

[[noreturn]] void violated(std::string_view what, std::string_view text, std::string_view more) {
  std::fprintf(stderr, "fuzz_parse: %.*s\n  input: \"%.*s\" (%zu bytes)\n  %.*s\n",
               int(what.size()), what.data(), int(text.size()), text.data(), text.size(),
               int(more.size()), more.data());
  std::abort();
}

void check_error(const ParseError &e, std::string_view text) {
  if (e.input() != text) violated("ParseError::input() is not the text parsed", text, e.input());
  if (e.position() > text.size()) violated("ParseError position outside the input", text, e.what());
  if (e.expected().empty()) violated("ParseError says nothing about what was expected", text, "");
}

// Runs `parse`, allowing only ParseError (checked against `text`) to escape. False on error.
template <class F>
bool guarded(std::string_view entry, std::string_view text, F &&parse) {
  try {
    parse();
    return true;
  } catch (const ParseError &e) {
    check_error(e, text);
  } catch (const std::exception &e) {
    violated(std::string(entry) + " threw something other than ParseError", text, e.what());
  } catch (...) {
    violated(std::string(entry) + " threw a non-standard exception", text, "");
  }
  return false;
}

// The canonical form is a fixed point: it parses, under any default ABI, to itself.
void check_round_trip(const Signature &sig, std::string_view text) {
  const std::string &canon = sig.canonical();
  for (Abi abi : kAbis) {
    try {
      const Signature again = Signature::parse(canon, abi);
      if (again.canonical() != canon)
        violated("canonical text does not parse to itself", text,
                 canon + " -> " + again.canonical());
      if (again.hash() != sig.hash() || !(again == sig))
        violated("re-parsed canonical text has another hash or compares unequal", text, canon);
      if (again.params().size() != sig.params().size() ||
          again.fixed_count() != sig.fixed_count() || again.abi() != sig.abi())
        violated("re-parsed canonical text has another shape", text, canon);
    } catch (const std::exception &e) {
      violated("canonical text does not parse", text, canon + ": " + e.what());
    }
  }
}

void check_type_round_trip(const jitffi::TypeRef &t, Abi abi, std::string_view text) {
  if (!t) violated("Scope::type returned null", text, "");
  const std::string &canon = t->canonical();
  try {
    const jitffi::TypeRef again = jitffi::Scope(abi).type(canon);
    if (again->canonical() != canon || again->size() != t->size() || again->align() != t->align())
      violated("canonical type text does not parse to the same type", text,
               canon + " -> " + again->canonical());
  } catch (const std::exception &e) {
    violated("canonical type text does not parse", text, canon + ": " + e.what());
  }
}

// The fast paths (signatures/parser_fast.cpp: compact signatures, simple C prototypes) read what
// they accept as the general parser does (the same ABI, types, fixed count, names) and accept
// nothing the general parser rejects, whose errors must stay the only ones.
// `library_names` as Scope::signature passes it: true for a Scope without typedefs.
void check_fast_paths(std::string_view text, const jitffi::Scope &scope, bool library_names) {
  jitffi::parse::SigParts compact, c;
  const bool by_compact = jitffi::parse::compact_signature(text, scope.abi(), &compact);
  const bool by_c = jitffi::parse::c_signature(text, scope.abi(), library_names, &c);
  if (!by_compact && !by_c) return;
  jitffi::Scope overlay(scope.abi());
  jitffi::parse::SigParts general;
  try {
    general = jitffi::Parser(text, scope.abi(), scope, overlay).signature();
  } catch (const ParseError &e) {
    violated("a fast path accepts what the general parser rejects", text, e.what());
  }
  auto same = [](const jitffi::TypeRef &a, const jitffi::TypeRef &b) {
    return a && b && a->canonical() == b->canonical() && a->size() == b->size() &&
           a->align() == b->align() && a->is_cstr() == b->is_cstr();
  };
  auto agrees = [&](const jitffi::parse::SigParts &fast, bool names) {
    bool ok = fast.abi == general.abi && fast.fixed == general.fixed &&
              fast.variadic == general.variadic && same(fast.ret, general.ret) &&
              fast.params.size() == general.params.size() && fast.name == general.name &&
              (!names || fast.names == general.names);
    for (std::size_t i = 0; ok && i < fast.params.size(); ++i)
      ok = same(fast.params[i], general.params[i]);
    return ok;
  };
  if (by_compact && !agrees(compact, false))
    violated("the compact path and the general parser read the text differently", text, "");
  if (by_c && !agrees(c, true))
    violated("the C path and the general parser read the text differently", text, "");
}

void check_c_api(std::string_view text) {
  jitffi_sig *sig = nullptr;
  const jitffi_status st = jitffi_sig_parse_n(text.data(), text.size(), &sig);
  std::optional<Signature> cxx;
  guarded("Signature::parse", text, [&] { cxx = Signature::parse(text); });
  if (st == JITFFI_OK) {
    if (!sig) violated("jitffi_sig_parse_n: JITFFI_OK without a signature", text, "");
    if (!cxx || cxx->canonical() != jitffi_sig_canonical(sig))
      violated("the C API and the C++ API disagree", text, jitffi_sig_canonical(sig));
    if (jitffi_sig_hash(sig) != cxx->hash() || jitffi_sig_nargs(sig) != cxx->params().size())
      violated("the C API reports another hash or argument count", text, cxx->canonical());
    if (jitffi_sig_is_variadic(sig)) {
      const char *const types[] = {"int", "double", "const char *", "i64", "{f64, f64}"};
      jitffi_sig *call = nullptr;
      if (jitffi_sig_with_varargs(sig, types, 5, &call) != JITFFI_OK)
        violated("jitffi_sig_with_varargs refused promoted types", text, jitffi_last_error());
      if (jitffi_sig_nargs(call) != jitffi_sig_fixed_count(sig) + 5)
        violated("jitffi_sig_with_varargs: wrong argument count", text, jitffi_sig_canonical(call));
      jitffi_sig_free(call);
    }
    jitffi_sig_free(sig);
    return;
  }
  if (sig) violated("jitffi_sig_parse_n: failure with a signature", text, "");
  if (st != JITFFI_PARSE_ERROR)
    violated("jitffi_sig_parse_n: a status other than OK or PARSE_ERROR", text,
             jitffi_status_name(st));
  if (cxx) violated("the C API refused what the C++ API accepts", text, jitffi_last_error());
  const std::size_t pos = jitffi_last_error_position();
  if (pos == JITFFI_NO_POSITION || pos > text.size())
    violated("jitffi_sig_parse_n: parse error position outside the input", text,
             jitffi_last_error());
  if (!*jitffi_last_error()) violated("jitffi_sig_parse_n: empty error message", text, "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  static constexpr std::string_view kSplit = "\n---\n";

  const std::size_t split = text.find(kSplit);
  if (split != std::string_view::npos) {
    const std::string_view decls = text.substr(0, split);
    const std::string_view proto = text.substr(split + kSplit.size());
    for (Abi abi : kAbis) {
      jitffi::Scope scope(abi);
      if (!guarded("Scope::declare", decls, [&] { scope.declare(decls); })) continue;
      guarded("Scope::signature", proto, [&] { check_round_trip(scope.signature(proto), proto); });
      check_fast_paths(proto, scope, false);
      guarded("Scope::type", proto, [&] { check_type_round_trip(scope.type(proto), abi, proto); });
    }
    return 0;
  }

  for (Abi abi : kAbis) {
    guarded("Signature::parse", text, [&] { check_round_trip(Signature::parse(text, abi), text); });
    check_fast_paths(text, jitffi::Scope(abi), true);
  }
  guarded("Scope::type", text,
          [&] { check_type_round_trip(jitffi::Scope().type(text), jitffi::host_abi(), text); });
  guarded("Scope::declare", text, [&] { jitffi::Scope().declare(text); });
  check_c_api(text);
  return 0;
}
