// Declaration specifiers, declarators, struct/union/enum bodies and typedefs: the part of the
// grammar shared by signatures, type names and Scope::declare.
#include <algorithm>
#include <climits>

#include "signatures/parser_impl.h"
#include "signatures/parser_names.h"

namespace jitffi {

using parse::CType;
using parse::Declarator;
using parse::DeclOp;
using parse::FnType;
using parse::Param;
using parse::Specs;
using parse::Tok;

namespace {

// Arrays beyond this many bytes are typos, not FFI types; the cap keeps layout arithmetic exact.
constexpr std::size_t kMaxArrayBytes = std::size_t{1} << 40;

using parse::is_qualifier;
using parse::KeywordCounts;
using parse::kw;

// Keyword ids tested outside a switch: constexpr variables, so that kw() runs at compile time.
constexpr std::uint8_t kWordBool = kw("bool"), kWordRegister = kw("register"),
                       kWordCdecl = kw("__cdecl"), kWordStatic = kw("static");

// What a keyword does among declaration specifiers (other than building an arithmetic type).
enum class SpecWord : std::uint8_t { Other, Skip, Attribute, Unsupported, Typedef, Storage, Tag };
SpecWord spec_word(std::uint8_t word) {
  switch (word) {
    case kw("__extension__"):
    case kw("__cdecl"):
      return SpecWord::Skip;
    case kw("__attribute__"):
    case kw("__attribute"):
      return SpecWord::Attribute;
    case kw("_Atomic"):
    case kw("_Complex"):
    case kw("__complex__"):
    case kw("_Imaginary"):
    case kw("_Alignas"):
    case kw("alignas"):
      return SpecWord::Unsupported;
    case kw("typedef"):
      return SpecWord::Typedef;
    case kw("extern"):
    case kw("static"):
    case kw("inline"):
    case kw("__inline"):
    case kw("__inline__"):
    case kw("register"):
    case kw("auto"):
      return SpecWord::Storage;
    case kw("struct"):
    case kw("union"):
    case kw("enum"):
      return SpecWord::Tag;
    default:
      return is_qualifier(word) ? SpecWord::Skip : SpecWord::Other;
  }
}

// The opaque stand-in for `typedef struct sqlite3 sqlite3;` while struct sqlite3 has no body: a
// struct whose one member has a name no C text can write. Never leaves the parser.
constexpr std::string_view kOpaqueMember = "<opaque>";
constexpr std::string_view kFunctionMember = "<function>";

TypeRef make_marker(bool is_union, std::string_view member, std::string tag) {
  std::vector<Field> f{{std::string(member), Type::scalar(TypeKind::U8), 0}};
  return is_union ? Type::union_(std::move(f), std::move(tag))
                  : Type::struct_(std::move(f), std::move(tag));
}

bool is_marker(const TypeRef &t, std::string_view member) {
  return t && t->is_aggregate() && t->fields().size() == 1 && t->fields()[0].name == member;
}

std::string_view kind_word(const Type &t) {
  if (t.kind() == TypeKind::Struct) return "struct";
  if (t.kind() == TypeKind::Union) return "union";
  return "enum";
}

}  // namespace

namespace parse {
bool is_opaque_marker(const TypeRef &t) {
  return is_marker(t, kOpaqueMember);
}
bool is_function_marker(const TypeRef &t) {
  return is_marker(t, kFunctionMember);
}
}  // namespace parse

// ---- Declaration specifiers ---------------------------------------------------------------

Specs Parser::specs(Ctx ctx) {
  Specs s;
  KeywordCounts counts;
  std::string words;  // the specifiers so far, for messages
  std::optional<CType> named;
  std::size_t type_pos = cur().pos;
  auto given = [&] { return named.has_value() || counts.total() > 0; };
  for (;;) {
    const Token t = cur();
    if (t.kind == Tok::Punct && t.text == "{") {
      if (given()) break;
      type_pos = t.pos;
      named = aggregate_body(false, "", t.pos);
      named->anonymous_aggregate = true;
      words = "{...}";
      continue;
    }
    if (t.kind != Tok::Ident) break;
    const std::string_view w = t.text;
    // The token's word id (classified by the tokenizer): the chain below tests integers.
    const std::uint8_t word = t.word;
    const SpecWord role = spec_word(word);
    if (role == SpecWord::Skip) {
      ++i_;
    } else if (role == SpecWord::Attribute) {
      attributes();
    } else if (role == SpecWord::Unsupported) {
      fail(t.pos, "a type we can lay out, got '" + std::string(w) + "' (not supported)");
    } else if (role == SpecWord::Typedef) {
      if (ctx != Ctx::Decl)
        fail(t.pos, "a type name, got 'typedef' (typedefs go to Scope::declare)");
      s.is_typedef = true;
      ++i_;
    } else if (role == SpecWord::Storage) {
      if (ctx != Ctx::Decl && ctx != Ctx::Sig && !(ctx == Ctx::Param && word == kWordRegister))
        fail(t.pos, "a type name, got '" + std::string(w) + "'");
      ++i_;
    } else if (word == kWordBool && given()) {
      // `bool` is a macro name before C23, so after a type it is the declared name, as in
      // `struct { int bool; }`; `_Bool` stays a keyword.
      if (s.compact && !s.is_typedef)
        fail(t.pos, "one type, got '" + std::string(w) + "' after '" + words + "'");
      break;
    } else if (KeywordCounts next = counts; next.add(word)) {
      if (named) fail(t.pos, "one type, got '" + std::string(w) + "' after '" + words + "'");
      if (!next.possible()) fail(t.pos, "a C type, got '" + words + " " + std::string(w) + "'");
      if (counts.total() == 0) type_pos = t.pos;
      counts = next;
      if (!words.empty()) words += ' ';
      words += w;
      ++i_;
    } else if (role == SpecWord::Tag) {
      if (given()) fail(t.pos, "one type, got '" + std::string(w) + "' after '" + words + "'");
      ++i_;
      type_pos = t.pos;
      named = tagged(t.pos, w);
      words = named->what.empty() ? std::string(w) : named->what;
      s.declared_tag = true;
    } else {
      // A typedef or compact name is a type only when none was given yet, as in C: in
      // `int size_t` and `void *ptr`, size_t and ptr are the declared names. After a compact
      // type (`i32(ptr f64)`) a compact name is a missing comma, not a name.
      if (given()) {
        if (parse::word_is_compact(word) && s.compact && !s.is_typedef)
          fail(t.pos, "one type, got '" + std::string(w) + "' after '" + words + "'");
        break;
      }
      std::optional<CType> td = lookup_typedef(w, t.pos);
      if (!td) break;
      type_pos = t.pos;
      named = std::move(td);
      words = std::string(w);
      s.compact = parse::word_is_compact(word);
      ++i_;
    }
  }
  if (named) {
    s.base = std::move(*named);
    s.any = true;
  } else if (counts.total() > 0) {
    bool plain_char = false;
    s.base.type = Type::scalar(counts.kind(abi_, &plain_char));
    s.base.plain_char = plain_char;
    s.any = true;
  }
  s.base.pos = type_pos;
  return s;
}

CType Parser::tagged(std::size_t kw_pos, std::string_view kw) {
  attributes();
  std::string tag;
  std::size_t tag_pos = cur().pos;
  if (cur().kind == Tok::Ident && !at_keyword()) {
    tag = std::string(cur().text);
    ++i_;
    attributes();
  }
  if (is("{")) {
    CType t = kw == "enum" ? enum_body(tag, tag.empty() ? cur().pos : tag_pos)
                           : aggregate_body(kw == "union", tag, tag.empty() ? cur().pos : tag_pos);
    attributes();
    t.anonymous_aggregate = tag.empty();
    t.pos = kw_pos;
    return t;
  }
  if (tag.empty())
    fail_here("a tag name or '{' after '" + std::string(kw) + "', got " + parse::describe(cur()));
  CType t;
  t.pos = kw_pos;
  t.what = std::string(kw) + " " + tag;
  if (defining_.count(tag)) {
    t.kind = CType::Incomplete;
    t.self = true;
    return t;
  }
  std::optional<TypeRef> found = lookup_tag(tag);
  if (!found) {
    t.kind = CType::Incomplete;
    t.undeclared = true;
    // C declares an unknown struct tag on first use; an enum must be defined first.
    if (kw != "enum") overlay_.tags_[tag] = nullptr;
    return t;
  }
  if (!*found) {
    t.kind = CType::Incomplete;
    return t;
  }
  if (kind_word(**found) != kw)
    fail(tag_pos, "a " + std::string(kw) + " tag, got '" + tag + "', which is a " +
                      std::string(kind_word(**found)));
  t.type = *found;
  return t;
}

CType Parser::aggregate_body(bool is_union, const std::string &tag, std::size_t tag_pos) {
  const Nest nest(*this);
  const char *kw = is_union ? "union" : "struct";
  const std::size_t open = cur().pos;
  ++i_;  // '{'
  if (!tag.empty()) {
    if (defining_.count(tag))
      fail(tag_pos, std::string("a tag other than '") + tag + "', which is being defined here");
    defining_.insert(tag);
  }
  if (is("}"))
    fail_here(std::string("a member, got '}' (an empty ") + kw + " has size 0 and is not C)");
  std::vector<Field> fields;
  std::set<std::string, std::less<>> names;  // a lookup per member, not a scan of the others
  const bool declarable = compact_names_declarable_, in_param = param_declarator_;
  param_declarator_ = false;  // a member array keeps its layout
  while (!is("}")) {
    if (cur().kind == Tok::End) fail_here("a member or '}', got end of input");
    Specs s = specs(Ctx::Member);
    if (!s.any) fail_no_type("a member type");
    for (bool more = true; more;) {
      compact_names_declarable_ = !s.compact;
      Declarator d = declarator(true);
      attributes();
      if (is(":")) fail_here("a member without a bit-field width (not supported), got ':'");
      const bool named = !d.name.empty();
      CType m = apply(s.base, d);
      if (!named && is(";") && !(d.ops.empty() && m.anonymous_aggregate))
        fail_here("a member name before ';' (C makes no member of an unnamed declaration)");
      if (m.kind == CType::Function)
        fail(m.pos, "a member type, got a function type (use a pointer to the function)");
      if (m.kind == CType::Incomplete)
        fail(m.pos, "a complete member type, " + incomplete(m, "use a pointer"));
      if (m.type->is_void()) fail(m.pos, "a member type other than void, got 'void'");
      if (named && !names.insert(d.name).second)
        fail(d.name_pos, "a new member name, got '" + d.name + "' again");
      fields.push_back({d.name, m.type, 0});
      if (accept(",")) {
        // After a named member a comma starts another declarator of the same type (C); after
        // an unnamed one it starts the next member type (compact `{i32, f64}`).
        more = named;
        if (more && !(cur().kind == Tok::Ident || is("*") || is("(")))
          fail_here("a member name after ',', got " + parse::describe(cur()));
        if (!more && is("}")) fail_here("a member type after ',', got '}'");
      } else if (accept(";") || is("}")) {
        more = false;
      } else {
        fail_here("',', ';' or '}' after a member, got " + parse::describe(cur()));
      }
    }
  }
  ++i_;  // '}'
  compact_names_declarable_ = declarable;
  param_declarator_ = in_param;
  defining_.erase(tag);
  TypeRef t;
  try {
    t = is_union ? Type::union_(std::move(fields), tag) : Type::struct_(std::move(fields), tag);
  } catch (const TypeError &e) {
    fail(open, std::string("a valid ") + kw + ": " + e.what());
  }
  CType out;
  out.type = tag.empty() ? t : define_tag(tag, tag_pos, t);
  return out;
}

CType Parser::enum_body(const std::string &tag, std::size_t tag_pos) {
  ++i_;  // '{'
  if (is("}")) fail_here("an enumerator, got '}'");
  long long next = 0, lo = LLONG_MAX, hi = LLONG_MIN;
  bool next_overflows = false;
  while (!is("}")) {
    const Token name = cur();
    if (name.kind != Tok::Ident || parse::word_is_keyword(name.word))
      fail_here("an enumerator name, got " + parse::describe(name));
    ++i_;
    long long v = next;
    if (accept("=")) {
      v = constant();
    } else if (next_overflows) {
      fail(name.pos, "an explicit value for '" + std::string(name.text) +
                         "' (the previous + 1 "
                         "does not fit in 64 bits)");
    }
    long long old = 0;
    if (lookup_constant(name.text, &old) && old != v)
      fail(name.pos, "a new enumerator name, got '" + std::string(name.text) +
                         "', which already has the value " + std::to_string(old));
    overlay_.constants_[std::string(name.text)] = v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    next_overflows = v == LLONG_MAX;
    next = next_overflows ? v : v + 1;
    if (accept(",")) continue;
    if (!is("}")) fail_here("',' or '}' after an enumerator, got " + parse::describe(cur()));
  }
  ++i_;  // '}'
  // GCC's choice of the underlying type: unsigned int when no value is negative, else int;
  // a 64-bit type when the values need it.
  TypeKind k = lo < 0 ? (lo >= INT32_MIN && hi <= INT32_MAX ? TypeKind::I32 : TypeKind::I64)
                      : (hi <= static_cast<long long>(UINT32_MAX) ? TypeKind::U32 : TypeKind::U64);
  CType out;
  out.type = Type::scalar(k);
  if (!tag.empty()) out.type = define_tag(tag, tag_pos, out.type);
  return out;
}

// ---- Declarators --------------------------------------------------------------------------

bool Parser::nested_declarator_follows() const {
  // `(` starts a parameter list unless a pointer or another nesting follows: `int (*f)(int)`.
  const Token &n = peek();
  return (n.kind == Tok::Punct && (n.text == "*" || n.text == "(")) ||
         (n.kind == Tok::Ident &&
          (n.text == "__attribute__" || n.text == "__attribute" || n.text == "__cdecl"));
}

Declarator Parser::declarator(bool allow_name) {
  const Nest nest(*this);
  Declarator d;
  d.pos = cur().pos;
  std::vector<DeclOp> pointers;
  for (;;) {
    if (is("*")) {
      pointers.push_back({DeclOp::Pointer, cur().pos, 0, nullptr});
      ++i_;
    } else if (cur().kind == Tok::Ident && (is_qualifier(cur().word) || cur().word == kWordCdecl)) {
      ++i_;
    } else if (is("__attribute__") || is("__attribute")) {
      attributes();
    } else {
      break;
    }
  }
  Declarator inner;
  if (is("(") && nested_declarator_follows()) {
    ++i_;
    inner = declarator(allow_name);
    expect(")", "')' to close the declarator");
  } else if (cur().kind == Tok::Ident &&
             (compact_names_declarable_ ? !at_keyword() || cur().text == "bool"
                                        : cur().word == 0) &&  // not is_reserved
             !is("__attribute__") &&
             !is("__attribute") && !is("__asm__") && !is("__asm") && !is("asm")) {
    if (!allow_name) fail_here("no name in a type, got " + parse::describe(cur()));
    d.name = std::string(cur().text);
    d.name_pos = cur().pos;
    ++i_;
  }
  std::vector<DeclOp> suffixes;
  for (;;) {
    if (is("[")) {
      const std::size_t open = cur().pos;
      ++i_;
      if (param_declarator_) {
        suffixes.push_back({DeclOp::Array, open, param_array_size(), nullptr});
        continue;
      }
      if (is("]")) fail_here("an array size, got ']' (arrays without a size are not supported)");
      const std::size_t at = cur().pos;
      const long long n = constant();
      if (n <= 0) fail(at, "a positive array size, got " + std::to_string(n));
      expect("]", "']' to close the array size");
      suffixes.push_back({DeclOp::Array, open, static_cast<std::size_t>(n), nullptr});
    } else if (is("(")) {
      auto fn = params();
      suffixes.push_back({DeclOp::Function, fn->pos, 0, std::move(fn)});
    } else {
      break;
    }
  }
  // Suffixes bind tighter than the `*`s before the name, and the innermost `[N]` is the element.
  if (pointers.empty() && inner.ops.empty()) {
    d.ops = std::move(suffixes);  // the common `name(params)`: no second vector
    std::reverse(d.ops.begin(), d.ops.end());
  } else {
    d.ops = std::move(pointers);
    d.ops.insert(d.ops.end(), suffixes.rbegin(), suffixes.rend());
    d.ops.insert(d.ops.end(), inner.ops.begin(), inner.ops.end());
  }
  if (!inner.name.empty()) {
    d.name = std::move(inner.name);
    d.name_pos = inner.name_pos;
  }
  return d;
}

std::size_t Parser::param_array_size() {
  // C11 6.7.6.2/6.7.6.3: `[static const 10]`, `[]`, `[*]`, a variable length `[n]` and the man
  // pages' `[.count]` or `[restrict .size * .nmemb]`. The size does not matter, the parameter is
  // a pointer; a constant size is still checked. 0 stands for a size that is not a constant.
  while (cur().kind == Tok::Ident && (cur().word == kWordStatic || is_qualifier(cur().word))) ++i_;
  if (accept("]")) return 0;
  if (is("*") && peek().kind == Tok::Punct && peek().text == "]") {
    i_ += 2;
    return 0;
  }
  const std::size_t at = cur().pos;
  bool is_constant = true;
  std::size_t end = i_;
  for (int depth = 0;; ++end) {
    const Token &t = toks_[end];
    if (t.kind == Tok::End) fail(at, "']' to close the array size");
    if (t.kind == Tok::Punct && (t.text == "[" || t.text == "(")) ++depth;
    if (t.kind == Tok::Punct && (t.text == "]" || t.text == ")") && depth-- == 0) break;
    long long v = 0;
    if ((t.kind == Tok::Punct && t.text == ".") || t.kind == Tok::String ||
        (t.kind == Tok::Ident && !lookup_constant(t.text, &v)))
      is_constant = false;
  }
  if (toks_[end].text != "]") fail(toks_[end].pos, "']' to close the array size");
  if (!is_constant) {
    i_ = end + 1;
    return 0;
  }
  const long long n = constant();
  if (n <= 0) fail(at, "a positive array size, got " + std::to_string(n));
  expect("]", "']' to close the array size");
  return static_cast<std::size_t>(n);
}

std::shared_ptr<FnType> Parser::params() {
  const Nest nest(*this);
  auto fn = std::make_shared<FnType>();
  fn->params.reserve(4);  // one allocation for the usual short list
  fn->pos = cur().pos;
  ++i_;  // '('
  ++param_depth_;
  const bool declarable = compact_names_declarable_, in_param = param_declarator_;
  compact_names_declarable_ = false;
  if (!is(")")) {
    for (;;) {
      if (is("...")) {
        if (fn->variadic) fail_here("one '...' per parameter list, got another");
        fn->variadic = true;
        fn->fixed = fn->params.size();
        fn->ellipsis_pos = cur().pos;
        ++i_;
      } else {
        Param p;
        p.pos = cur().pos;
        Specs s = specs(Ctx::Param);
        if (!s.any) fail_no_type("a type name");
        // After a C type, C's rules: `void *ptr`, and arrays adjusted to pointers. A compact
        // type keeps the compact rules: `i32(ptr f64)` is a missing comma, `i32(u8[4])` an error.
        compact_names_declarable_ = param_declarator_ = !s.compact;
        Declarator d = declarator(true);
        compact_names_declarable_ = param_declarator_ = false;
        attributes();
        // C adjusts a parameter of array type to a pointer to its element (C11 6.7.6.3p7).
        if (!s.compact && !d.ops.empty() && d.ops.back().kind == DeclOp::Array)
          d.ops.back().kind = DeclOp::Pointer;
        p.type = apply(s.base, d);
        p.name = std::move(d.name);
        if (!s.compact && p.type.kind == CType::Complete &&
            p.type.type->kind() == TypeKind::Array) {  // a typedef of an array type: uuid_t
          const std::size_t at = p.type.pos;
          p.type = CType{};
          p.type.type = Type::pointer();
          p.type.pos = at;
        }
        // C adjusts a parameter of function type to a pointer to the function.
        if (p.type.kind == CType::Function) {
          const std::size_t at = p.type.pos;
          p.type = CType{};
          p.type.type = Type::pointer();
          p.type.pos = at;
        }
        fn->params.push_back(std::move(p));
      }
      if (accept(",")) continue;
      if (is(")")) break;
      fail_here("',' or ')' in the parameter list, got " + parse::describe(cur()));
    }
  }
  ++i_;  // ')'
  --param_depth_;
  compact_names_declarable_ = declarable;
  param_declarator_ = in_param;
  auto is_void = [](const Param &p) {
    return p.type.kind == CType::Complete && p.type.type->is_void();
  };
  if (!fn->variadic && fn->params.size() == 1 && fn->params[0].name.empty() &&
      is_void(fn->params[0])) {
    fn->params.clear();  // `(void)`: no parameters
  }
  for (const Param &p : fn->params)
    if (is_void(p))
      fail(p.type.pos,
           "a parameter type other than void, got 'void' ('(void)' alone means no parameters)");
  if (!fn->variadic) fn->fixed = fn->params.size();
  return fn;
}

CType Parser::apply(CType t, const Declarator &d) const {
  const std::size_t base_pos = t.pos;
  for (const DeclOp &op : d.ops) {
    switch (op.kind) {
      case DeclOp::Pointer: {
        // Only a pointer straight to plain `char` is a string; `char **` is not.
        const bool cstr = t.kind == CType::Complete && t.plain_char;
        t = CType{};
        t.type = Type::pointer(cstr);
        t.pos = base_pos;
        break;
      }
      case DeclOp::Array: {
        if (t.kind == CType::Function)
          fail(op.pos, "an array element type, got a function type (use a pointer)");
        if (t.kind == CType::Incomplete)
          fail(t.pos, "a complete array element type, " + incomplete(t, "use a pointer"));
        if (t.type->is_void()) fail(op.pos, "an array element type other than void, got 'void'");
        if (op.count == 0) {
          // A variable length array inside a parameter (`int m[n][n]`): only ever under the
          // pointer the parameter becomes, so any placeholder of nonzero size serves.
          t = CType{};
          t.type = Type::pointer();
          t.pos = op.pos;
          break;
        }
        if (op.count > kMaxArrayBytes / t.type->size())
          fail(op.pos, "an array of at most 2^40 bytes, got " + std::to_string(op.count) +
                           " elements of " + std::to_string(t.type->size()) + " bytes");
        TypeRef a;
        try {
          a = Type::array(t.type, op.count);
        } catch (const TypeError &e) {
          fail(op.pos, std::string("a valid array: ") + e.what());
        }
        t = CType{};
        t.type = std::move(a);
        t.pos = op.pos;
        break;
      }
      case DeclOp::Function: {
        if (t.kind == CType::Function)
          fail(op.pos, "a function returning a pointer, not a function");
        if (t.kind == CType::Complete && t.type->kind() == TypeKind::Array)
          fail(op.pos, "a function returning a pointer or a struct, not an array");
        // The declarator's parameter list is used as is when nothing else holds it (each
        // declarator is applied once); a copy otherwise.
        auto fn = op.fn.use_count() == 1 ? op.fn : std::make_shared<FnType>(*op.fn);
        fn->ret = std::move(t);
        t = CType{};
        t.kind = CType::Function;
        t.fn = std::move(fn);
        t.pos = base_pos;
        break;
      }
    }
  }
  return t;
}

void Parser::attributes() {
  for (;;) {
    if (!at_keyword()) return;  // every word below is a keyword
    if (is("__attribute__") || is("__attribute")) {
      ++i_;
      expect("(", "'((' after __attribute__");
      expect("(", "'((' after __attribute__");
      while (!is(")")) {
        if (cur().kind != Tok::Ident) fail_here("an attribute name, got " + parse::describe(cur()));
        std::string_view n = cur().text;
        if (n.size() > 4 && n.substr(0, 2) == "__" && n.substr(n.size() - 2) == "__")
          n = n.substr(2, n.size() - 4);
        if (n == "packed" || n == "aligned" || n == "vector_size" || n == "mode" ||
            n == "transparent_union" || n == "scalar_storage_order" || n == "ms_struct" ||
            n == "gcc_struct")
          fail_here("an attribute that keeps the C layout, got '" + std::string(cur().text) +
                    "' (not supported)");
        ++i_;
        if (is("(")) skip_balanced();
        if (!accept(",")) break;
      }
      expect(")", "'))' to close __attribute__");
      expect(")", "'))' to close __attribute__");
    } else if (is("__asm__") || is("__asm") || is("asm")) {
      ++i_;
      if (!is("(")) fail_here("'(' after asm, got " + parse::describe(cur()));
      skip_balanced();
    } else if (is("__cdecl")) {
      ++i_;
    } else {
      return;
    }
  }
}

void Parser::skip_balanced() {
  const std::size_t open = cur().pos;
  int depth = 0;
  do {
    if (cur().kind == Tok::End) fail(open, "a matching ')' for this '('");
    if (is("(")) ++depth;
    if (is(")")) --depth;
    ++i_;
  } while (depth > 0);
}

// ---- Names --------------------------------------------------------------------------------

std::optional<TypeRef> Parser::lookup_tag(std::string_view tag) const {
  for (const Scope *s : {static_cast<const Scope *>(&overlay_), &base_}) {
    auto it = s->tags_.find(tag);
    if (it != s->tags_.end()) return it->second;
  }
  return std::nullopt;
}

std::optional<CType> Parser::lookup_typedef(std::string_view name, std::size_t pos) const {
  for (const Scope *s : {static_cast<const Scope *>(&overlay_), &base_}) {
    auto it = s->typedefs_.find(name);
    if (it != s->typedefs_.end()) return resolve_typedef(it->second, pos);
  }
  bool plain_char = false;
  TypeRef t = parse::builtin_name(name, abi_, &plain_char);
  if (!t) {
    if (name == "ldouble" && parse::long_double_kind(abi_) != TypeKind::LongDouble)
      fail(pos, std::string("f64, got 'ldouble' (long double is double on ") +
                    std::string(abi_name(abi_)) + ")");
    const parse::LibraryTypedef lib = parse::library_typedef(name, abi_);
    if (lib.kind == parse::LibraryTypedef::Opaque) {
      CType c;
      c.kind = CType::Incomplete;
      c.opaque = true;
      c.what = std::string(name);
      c.pos = pos;
      return c;
    }
    if (lib.kind != parse::LibraryTypedef::Complete) return std::nullopt;
    t = lib.type;
    plain_char = lib.plain_char;
  }
  CType c;
  c.type = std::move(t);
  c.plain_char = plain_char;
  c.pos = pos;
  return c;
}

void Parser::fail_no_type(const std::string &expected) const {
  const Token &t = cur();
  if (t.kind != Tok::Ident || parse::is_keyword(t.text))
    fail_here(expected + ", got " + parse::describe(t));
  const std::string name(t.text);
  const std::string declare = "declare it first: 'typedef <its type> " + name + ";'";
  if (parse::library_typedef(name, abi_).kind == parse::LibraryTypedef::Absent)
    fail_here(expected + ", got '" + name + "', a type that " + std::string(abi_name(abi_)) +
              "'s C library does not define (" + declare + ")");
  fail_here(expected + ", got '" + name + "', an unknown type (" + declare + ")");
}

std::string Parser::incomplete(const CType &t, const std::string &fix) {
  if (t.opaque) return "got '" + t.what + "', which is opaque (" + fix + ")";
  if (t.self) return "got '" + t.what + "', which is still being defined (" + fix + ")";
  if (t.undeclared)
    return "got '" + t.what + "', an unknown " + t.what.substr(0, t.what.find(' ')) +
           " (never declared: define it first, or " + fix + ")";
  return "got '" + t.what + "', which is declared but not defined (" + fix + ")";
}

CType Parser::resolve_typedef(const TypeRef &t, std::size_t pos) const {
  CType c;
  c.pos = pos;
  if (parse::is_function_marker(t)) {
    c.kind = CType::Function;  // fn stays null: a function typedef names no parameters here
    return c;
  }
  if (parse::is_opaque_marker(t)) {
    // A typedef of a tag that was opaque then: the tag may have been defined since.
    std::optional<TypeRef> def = lookup_tag(t->tag());
    if (def && *def && (*def)->kind() == t->kind()) {
      c.type = *def;
      return c;
    }
    c.kind = CType::Incomplete;
    c.what = std::string(kind_word(*t)) + " " + t->tag();
    return c;
  }
  c.type = t;
  return c;
}

void Parser::define_typedef(const std::string &name, std::size_t pos, const CType &t) {
  TypeRef stored;
  if (t.kind == CType::Complete) {
    stored = t.type;
  } else if (t.kind == CType::Function) {
    stored = make_marker(false, kFunctionMember, {});
  } else {
    const std::size_t sp = t.what.find(' ');
    const std::string kw = t.what.substr(0, sp), tag = t.what.substr(sp + 1);
    if (kw == "enum") fail(t.pos, "a defined enum, got '" + t.what + "'");
    stored = make_marker(kw == "union", kOpaqueMember, tag);
  }
  auto same = [&](const TypeRef &old) {
    if (parse::is_opaque_marker(old) || parse::is_opaque_marker(stored)) {
      // An opaque typedef matches the same tag, whether or not it has been defined since.
      auto tag_of = [&](const TypeRef &x) {
        return parse::is_opaque_marker(x) ? x->tag() : std::string();
      };
      return tag_of(old) == tag_of(stored) ||
             resolve_typedef(old, pos).type == resolve_typedef(stored, pos).type;
    }
    return old->canonical() == stored->canonical() &&
           parse::is_function_marker(old) == parse::is_function_marker(stored);
  };
  auto show = [&](const TypeRef &x) {
    if (parse::is_function_marker(x)) return std::string("a function type");
    if (parse::is_opaque_marker(x)) return std::string(kind_word(*x)) + " " + x->tag();
    return x->canonical();
  };
  bool plain_char = false;
  TypeRef builtin = parse::builtin_name(name, abi_, &plain_char);
  if (name == "bool") builtin = Type::scalar(TypeKind::Bool);  // `typedef _Bool bool;`
  if (builtin) {
    if (!same(builtin))
      fail(pos, "a typedef that agrees with the built-in '" + name + "' (" + show(builtin) +
                    "), got " + show(stored));
    return;
  }
  for (const Scope *s : {static_cast<const Scope *>(&overlay_), &base_}) {
    auto it = s->typedefs_.find(name);
    if (it == s->typedefs_.end()) continue;
    if (!same(it->second))
      fail(pos, "the same type as the earlier typedef '" + name + "' (" + show(it->second) +
                    "), got " + show(stored));
    return;
  }
  overlay_.typedefs_[name] = std::move(stored);
}

TypeRef Parser::define_tag(const std::string &tag, std::size_t pos, const TypeRef &t) {
  std::optional<TypeRef> old = lookup_tag(tag);
  if (old && *old) {
    if (kind_word(**old) != kind_word(*t))
      fail(pos,
           "a new tag, got '" + tag + "', which is already a " + std::string(kind_word(**old)));
    if ((*old)->canonical() != t->canonical())
      fail(pos, "the same members as the earlier " + std::string(kind_word(*t)) + " " + tag + " " +
                    (*old)->canonical() + ", got " + t->canonical());
    return *old;
  }
  overlay_.tags_[tag] = t;
  return t;
}

bool Parser::lookup_constant(std::string_view name, long long *value) const {
  for (const Scope *s : {static_cast<const Scope *>(&overlay_), &base_}) {
    auto it = s->constants_.find(name);
    if (it != s->constants_.end()) {
      *value = it->second;
      return true;
    }
  }
  return false;
}

}  // namespace jitffi
