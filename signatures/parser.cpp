// Parsing entry points: Signature::parse and Scope. The grammar itself is in parser_decl.cpp
// (declarations) and parser_const.cpp (constant expressions); docs/signatures.md describes it.
#include "signatures/parser_fast.h"
#include "signatures/parser_impl.h"
#include "signatures/parser_names.h"

namespace jitffi {

using parse::CType;
using parse::Tok;

namespace {

// The length bound comes first: everything after it (tokens, types, messages) is then bounded.
std::string_view bounded(std::string_view input) {
  if (input.size() > kMaxTextLength)
    throw ParseError(std::string(input), kMaxTextLength,
                     "at most " + std::to_string(kMaxTextLength) + " characters of text, got " +
                         std::to_string(input.size()));
  return input;
}

constexpr std::uint8_t kWordAttribute = parse::kw("__attribute__"),
                       kWordAttribute2 = parse::kw("__attribute");

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

}  // namespace

Parser::Parser(std::string_view input, Abi abi, const Scope &base, Scope &overlay)
    : input_(bounded(input)),
      toks_(parse::tokenize(input_)),
      abi_(abi),
      base_(base),
      overlay_(overlay) {}

Parser::Nest::Nest(Parser &p) : p_(p) {
  constexpr int kMaxNesting = 200;
  if (++p_.nesting_ > kMaxNesting)
    p_.fail_here("at most " + std::to_string(kMaxNesting) + " levels of nesting");
}

void Parser::fail(std::size_t pos, std::string expected) const {
  throw ParseError(std::string(input_), pos, std::move(expected));
}

void Parser::fail_here(std::string expected) const {
  fail(cur().pos, std::move(expected));
}

const parse::Token &Parser::peek(std::size_t n) const {
  return toks_[std::min(i_ + n, toks_.size() - 1)];
}

bool Parser::at_keyword() const {
  return cur().kind == Tok::Ident && parse::word_is_keyword(cur().word);
}

void Parser::expect(std::string_view punct, std::string_view what) {
  if (!accept(punct)) fail_here(std::string(what) + ", got " + parse::describe(cur()));
}

void Parser::find_text_abi() {
  std::optional<Abi> prefix, attr;
  std::string attr_name;
  if (toks_.size() >= 3 && toks_[0].kind == Tok::Ident && toks_[1].kind == Tok::Punct &&
      toks_[1].text == ":") {
    prefix = abi_from_name(toks_[0].text);
    if (!prefix)
      fail(toks_[0].pos,
           "an ABI name (sysv, win64, aapcs64, apple_arm64, windows_arm64 or an alias), got '" +
               std::string(toks_[0].text) + "'");
    i_ = 2;
  }
  // Only attributes outside every parenthesis name the convention of the function itself; those
  // inside a parameter list belong to function-pointer parameters, which are plain pointers.
  int depth = 0;
  for (std::size_t j = i_; j < toks_.size(); ++j) {
    const Token &t = toks_[j];
    if (t.kind == Tok::Punct) {  // by its first character: no string compares per token
      const char c = t.text[0];
      if (c == '(' || c == '[' || c == '{') ++depth;
      if (c == ')' || c == ']' || c == '}') --depth;
    }
    if (depth != 0 || t.kind != Tok::Ident ||
        (t.word != kWordAttribute && t.word != kWordAttribute2))
      continue;
    int d = 0;
    for (++j; j < toks_.size() && toks_[j].kind != Tok::End; ++j) {
      const Token &a = toks_[j];
      if (a.kind == Tok::Punct && a.text == "(") ++d;
      if (a.kind == Tok::Punct && a.text == ")" && --d == 0) break;
      if (d != 2 || a.kind != Tok::Ident) continue;
      std::optional<Abi> named;
      if (a.text == "ms_abi" || a.text == "__ms_abi__") named = Abi::Win64;
      if (a.text == "sysv_abi" || a.text == "__sysv_abi__") named = Abi::SysV_x64;
      // A misspelt convention must not quietly mean the default one.
      if (!named && (ends_with(a.text, "_abi") || ends_with(a.text, "_abi__")))
        fail(a.pos, "a known calling-convention attribute (ms_abi or sysv_abi), got '" +
                        std::string(a.text) + "'");
      if (!named) continue;
      if (attr && *attr != *named)
        fail(a.pos, "one calling-convention attribute, got '" + std::string(a.text) + "' after '" +
                        attr_name + "'");
      if (prefix && *prefix != *named)
        fail(a.pos, "an attribute that agrees with the '" + std::string(toks_[0].text) +
                        ":' prefix, got '" + std::string(a.text) + "'");
      attr = named;
      attr_name = std::string(a.text);
    }
  }
  if (prefix)
    abi_ = *prefix;
  else if (attr)
    abi_ = *attr;
}

parse::SigParts Parser::signature() {
  find_text_abi();
  parse::Specs s = specs(Ctx::Sig);
  if (!s.any) fail_no_type("a type name");
  compact_names_declarable_ = !s.compact;  // `int u8(void)` names a function u8
  parse::Declarator d = declarator(true);
  compact_names_declarable_ = false;
  attributes();
  const Token after = cur();
  accept(";");
  if (cur().kind != Tok::End) fail_here("end of input, got " + parse::describe(cur()));
  CType t = apply(s.base, d);
  if (t.kind != CType::Function || !t.fn) {
    for (const parse::DeclOp &op : d.ops)
      if (op.kind == parse::DeclOp::Function)
        fail(d.pos, "a function, got a function pointer (write 'ret name(params)')");
    fail(after.pos, "'(' and the parameters of a function, got " + parse::describe(after));
  }
  const parse::FnType &fn = *t.fn;
  if (fn.ret.kind == CType::Incomplete)
    fail(fn.ret.pos, "a complete return type, " + incomplete(fn.ret, "return a pointer"));
  parse::SigParts out;
  out.abi = abi_;
  out.ret = fn.ret.type;
  out.fixed = fn.fixed;
  out.variadic = fn.variadic;
  out.name = d.name;
  out.params.reserve(fn.params.size());
  out.names.reserve(fn.params.size());
  for (std::size_t i = 0; i < fn.params.size(); ++i) {
    const parse::Param &p = fn.params[i];
    if (p.type.kind == CType::Incomplete)
      fail(p.type.pos, "a complete parameter type, " + incomplete(p.type, "pass a pointer"));
    const Type &pt = *p.type.type;
    if (pt.kind() == TypeKind::Array)
      fail(p.type.pos, "a parameter that is not an array, got " + pt.canonical() +
                           " (C would pass a pointer; pass a pointer)");
    if (fn.variadic && i >= fn.fixed && !pt.is_promoted())
      fail(p.pos, "a promoted type after '...', got " + pt.canonical() +
                      " (variadic float is passed as f64; bool, char and short as i32)");
    out.params.push_back(p.type.type);
    out.names.push_back(p.name);
  }
  return out;
}

TypeRef Parser::type_name() {
  parse::Specs s = specs(Ctx::TypeName);
  if (!s.any) fail_no_type("a type name");
  parse::Declarator d = declarator(false);
  if (cur().kind != Tok::End) fail_here("end of input, got " + parse::describe(cur()));
  CType t = apply(s.base, d);
  if (t.kind == CType::Function)
    fail(t.pos, "a type, got a function type (a pointer to it is 'ret (*)(params)')");
  if (t.kind == CType::Incomplete)
    fail(t.pos, "a complete type, " + incomplete(t, "use a pointer to it"));
  return t.type;
}

void Parser::declarations() {
  while (cur().kind != Tok::End) {
    if (accept(";")) continue;
    const Token start = cur();
    parse::Specs s = specs(Ctx::Decl);
    if (!s.any)
      fail_here("a declaration (struct, union, enum or typedef), got " + parse::describe(cur()));
    if (s.is_typedef) {
      for (;;) {
        compact_names_declarable_ = true;
        parse::Declarator d = declarator(true);
        compact_names_declarable_ = false;
        attributes();
        if (d.name.empty()) fail_here("a typedef name, got " + parse::describe(cur()));
        define_typedef(d.name, d.name_pos, apply(s.base, d));
        if (accept(",")) continue;
        expect(";", "';' after the typedef");
        break;
      }
      continue;
    }
    if (is(";")) {
      if (!s.declared_tag)
        fail(start.pos,
             "a struct, union or enum declaration or a typedef, got a declaration "
             "that declares nothing");
      ++i_;
      continue;
    }
    const Token at = cur();
    parse::Declarator d = declarator(true);
    fail(at.pos,
         "';' after the type (a Scope holds types only; give prototypes to "
         "Scope::signature), got " +
             parse::describe(at));
  }
}

// ---- Scope ----------------------------------------------------------------------------------

Scope::Scope(Abi abi) : abi_(abi) {}

void Scope::declare(std::string_view text) {
  // Parse into an overlay and merge only on success: a bad text leaves the scope unchanged.
  Scope overlay(abi_);
  Parser(text, abi_, *this, overlay).declarations();
  for (auto &[k, v] : overlay.typedefs_) typedefs_[k] = v;
  for (auto &[k, v] : overlay.tags_) tags_[k] = v;
  for (auto &[k, v] : overlay.constants_) constants_[k] = v;
}

TypeRef Scope::type(std::string_view text) const {
  Scope overlay(abi_);
  return Parser(text, abi_, *this, overlay).type_name();
}

Signature Scope::signature(std::string_view text) const {
  parse::SigParts p;
  if (parse::compact_signature(text, abi_, &p) ||
      (p = parse::SigParts{}, parse::c_signature(text, abi_, typedefs_.empty(), &p))) {
    try {
      return Signature::make(p.abi, std::move(p.ret), std::move(p.params), p.fixed, p.variadic,
                             std::move(p.name), std::move(p.names));
    } catch (const TypeError &) {
      p = parse::SigParts{};  // the general parser below says why, with a position
    }
  }
  Scope overlay(abi_);
  p = Parser(text, abi_, *this, overlay).signature();
  try {
    return Signature::make(p.abi, std::move(p.ret), std::move(p.params), p.fixed, p.variadic,
                           std::move(p.name), std::move(p.names));
  } catch (const TypeError &e) {
    // The parser checks what make() checks, with positions; this is a safety net.
    throw ParseError(std::string(text), 0, std::string("a valid signature: ") + e.what());
  }
}

void Scope::define(std::string name, TypeRef type) {
  if (!type) throw TypeError("Scope::define: '" + name + "' has no type");
  bool plain_char = false;
  const bool ident = !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
                     name.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789_") == std::string::npos;
  if (!ident || parse::is_reserved(name))
    throw TypeError("Scope::define: '" + name + "' is not a name a typedef can have");
  if (parse::builtin_name(name, abi_, &plain_char))
    throw TypeError("Scope::define: '" + name + "' is a built-in type name");
  typedefs_[std::move(name)] = std::move(type);
}

TypeRef Scope::find_typedef(std::string_view name) const {
  auto it = typedefs_.find(name);
  if (it == typedefs_.end() || parse::is_function_marker(it->second)) return nullptr;
  if (parse::is_opaque_marker(it->second)) {
    TypeRef def = find_tag(it->second->tag());
    return def && def->kind() == it->second->kind() ? def : nullptr;
  }
  return it->second;
}

TypeRef Scope::find_tag(std::string_view tag) const {
  auto it = tags_.find(tag);
  return it == tags_.end() ? nullptr : it->second;
}

Signature Signature::parse(std::string_view text, Abi abi) {
  return Scope(abi).signature(text);
}

}  // namespace jitffi
