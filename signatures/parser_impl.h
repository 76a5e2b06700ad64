// The recursive-descent parser behind Scope and Signature::parse. One grammar serves both
// syntaxes: compact names are built-in typedef names, `{T, T}` is a struct without a tag, and a
// signature is a C declaration whose outermost declarator is a function.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "jitffi/signature.h"
#include "signatures/parser_lexer.h"

namespace jitffi {

namespace parse {

struct FnType;

// A C type while it is being parsed: complete (a TypeRef), incomplete (an opaque or undefined
// struct/union/enum, usable only behind a pointer) or a function type (usable only behind a
// pointer, or as a parameter, which C adjusts to a pointer).
struct CType {
  enum Kind : std::uint8_t { Complete, Incomplete, Function };
  Kind kind = Complete;
  TypeRef type;                      // Complete
  std::string what;                  // Incomplete: "struct sqlite3", for messages
  bool self = false;                 // Incomplete because it is still being defined
  bool undeclared = false;           // Incomplete: a tag first named here, never declared
  bool opaque = false;               // Incomplete: FILE or DIR, the C library's opaque types
  std::shared_ptr<const FnType> fn;  // Function
  bool plain_char = false;           // written `char`: a pointer to it is a cstr
  bool anonymous_aggregate = false;  // `struct { ... }` / `{ ... }` with no tag
  std::size_t pos = 0;               // where it was written (for arrays: the '[')
};

struct Param {
  CType type;
  std::string name;
  std::size_t pos = 0;
};

struct FnType {
  CType ret;
  std::vector<Param> params;  // fixed parameters, then this call's variadic arguments
  std::size_t fixed = 0;
  bool variadic = false;
  std::size_t pos = 0;           // the '('
  std::size_t ellipsis_pos = 0;  // the '...'
};

// One step of a declarator, applied to the type on its left: `*`, `[N]` or `(params)`.
struct DeclOp {
  enum Kind : std::uint8_t { Pointer, Array, Function } kind;
  std::size_t pos = 0;
  std::size_t count = 0;       // Array
  std::shared_ptr<FnType> fn;  // Function (parameters only; the return type is filled in)
};

struct Declarator {
  std::string name;
  std::size_t name_pos = 0;
  std::size_t pos = 0;
  std::vector<DeclOp> ops;  // in the order they apply to the base type
};

// What the declaration specifiers said.
struct Specs {
  CType base;
  bool any = false;  // a type was given
  bool is_typedef = false;
  bool compact = false;  // written as a compact name (i32, ptr, ...): no C declarator rules
  bool declared_tag =
      false;  // `struct x {...}`, `struct x`, `enum e {...}`: a declaration of its own
};

// The parts of a parsed signature, before Signature::make validates and canonicalizes them.
struct SigParts {
  Abi abi;
  TypeRef ret;
  std::vector<TypeRef> params;
  std::vector<std::string> names;
  std::size_t fixed = 0;
  bool variadic = false;
  std::string name;
};

}  // namespace parse

// Parses one input text. Lookups see `overlay` first (what this text declared), then `base`.
class Parser {
 public:
  Parser(std::string_view input, Abi abi, const Scope &base, Scope &overlay);

  parse::SigParts signature();  // the whole input is one signature
  TypeRef type_name();          // the whole input is one type
  void declarations();          // the whole input is declarations

  [[noreturn]] void fail(std::size_t pos, std::string expected) const;

 private:
  using Tok = parse::Tok;
  using Token = parse::Token;
  using CType = parse::CType;

  // Tokens.
  const Token &cur() const { return toks_[i_]; }
  const Token &peek(std::size_t n = 1) const;
  // Inline, so that the comparison with a literal is a length test and a few byte compares.
  bool is(std::string_view punct_or_word) const {
    const Token &t = cur();
    return t.text.size() == punct_or_word.size() &&
           (t.kind == Tok::Punct || t.kind == Tok::Ident) && t.text == punct_or_word;
  }
  bool accept(std::string_view punct_or_word) {
    if (!is(punct_or_word)) return false;
    ++i_;
    return true;
  }
  // The current token is one of the built-in C keywords (parse::word_of).
  bool at_keyword() const;
  void expect(std::string_view punct, std::string_view what);
  [[noreturn]] void fail_here(std::string expected) const;
  // "<expected>, got 'x'" where a type is missing; says when 'x' is an unknown type name.
  [[noreturn]] void fail_no_type(const std::string &expected) const;
  // "got 'struct x', which is declared but not defined (<fix>)" and its variants.
  static std::string incomplete(const CType &t, const std::string &fix);

  // The ABI named by a `sysv:` prefix or `__attribute__((ms_abi))` outside any parentheses.
  void find_text_abi();

  // Declarations (parser_decl.cpp).
  // Where declaration specifiers appear: `typedef` only in Decl, `extern` in Decl and Sig.
  enum class Ctx : std::uint8_t { Decl, Sig, Param, Member, TypeName };
  parse::Specs specs(Ctx ctx);
  CType tagged(std::size_t kw_pos, std::string_view kw);
  CType aggregate_body(bool is_union, const std::string &tag, std::size_t tag_pos);
  CType enum_body(const std::string &tag, std::size_t tag_pos);
  parse::Declarator declarator(bool allow_name);
  std::size_t param_array_size();
  bool nested_declarator_follows() const;
  std::shared_ptr<parse::FnType> params();
  CType apply(CType base, const parse::Declarator &d) const;
  void attributes();
  void skip_balanced();
  std::optional<CType> lookup_typedef(std::string_view name, std::size_t pos) const;
  // The type a tag names: nullopt if never declared, a null TypeRef if opaque.
  std::optional<TypeRef> lookup_tag(std::string_view tag) const;
  CType resolve_typedef(const TypeRef &t, std::size_t pos) const;
  void define_typedef(const std::string &name, std::size_t pos, const CType &t);
  TypeRef define_tag(const std::string &tag, std::size_t pos, const TypeRef &t);

  // Integer constant expressions for array sizes and enumerators.
  long long constant();
  long long cond_expr();
  long long binary_expr(int level);
  long long unary_expr();
  long long number(const Token &t) const;
  bool lookup_constant(std::string_view name, long long *value) const;

  // A view: the text outlives the parser (it is the caller's argument); copied only into errors.
  std::string_view input_;
  std::vector<Token> toks_;
  std::size_t i_ = 0;
  Abi abi_;
  const Scope &base_;
  Scope &overlay_;
  std::set<std::string, std::less<>> defining_;  // tags whose body is being parsed
  int param_depth_ = 0;
  // Nesting of the recursive rules, bounded so that hostile input cannot overflow the stack.
  int nesting_ = 0;
  struct Nest {
    explicit Nest(Parser &p);
    ~Nest() { --p_.nesting_; }
    Parser &p_;
  };
  // While reading typedef names (`typedef int32_t i32;` may restate a compact name) and the
  // declarator after a C type (`void free(void *ptr)`, `int f(int i8)`): compact names and
  // `bool` are then the declared name, as C reads them.
  bool compact_names_declarable_ = false;
  // While reading a parameter's declarator: its array suffix becomes a pointer (C11 6.7.6.3p7),
  // so `[]`, `[static 10]`, `[n]` and the man pages' `[.count]` are accepted.
  bool param_declarator_ = false;
};

}  // namespace jitffi
