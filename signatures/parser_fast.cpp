// Fast paths for the two shapes hosts write most, read in one pass over the characters with the
// shared scalar types and no tokens, CType or declarators:
//  - compact signatures of compact scalar names, one-word C scalar keywords, anonymous
//    `{...}` / `union{...}` of them and `...` (what language runtimes and binding generators
//    produce: `i64(f64, i32, ...)`);
//  - simple C prototypes: C type keywords or a standard typedef name (or one of the C library's,
//    for a Scope without typedefs), qualifiers and `*`s, named or unnamed parameters, a
//    parameter's `[]` or `[N]`, `...` (`void *memcpy(void *dest, const void *src, size_t n)`).
// Anything else, every error included, returns false and goes to the general parser, so the
// language, its errors and their positions stay the general parser's alone;
// tests/signatures/test_fast_paths.cpp and the fuzz target check that both read every accepted
// text alike.
#include "signatures/parser_fast.h"

#include <cstring>

#include "signatures/parser_lexer.h"
#include "signatures/parser_names.h"

namespace jitffi::parse {

namespace {

// Keyword ids tested outside a switch: constexpr variables, so that kw() runs at compile time.
constexpr std::uint8_t kWordStruct = kw("struct"), kWordUnion = kw("union"),
                       kWordExtension = kw("__extension__"), kWordCdecl = kw("__cdecl"),
                       kWordBool = kw("bool"), kWordAttribute = kw("__attribute__"),
                       kWordAttribute2 = kw("__attribute");

// Deeper aggregates go to the general parser, which bounds nesting (200 levels) with a message.
constexpr int kMaxFastDepth = 64;

// The shared types the compact names stand for, by TypeKind (Void .. Pointer), plus cstr.
struct Scalars {
  TypeRef kind[static_cast<int>(TypeKind::Pointer) + 1];
  TypeRef cstr;
};
const Scalars &scalars() {
  static const Scalars s = [] {
    Scalars t;
    for (int k = 0; k < static_cast<int>(TypeKind::Pointer); ++k)
      t.kind[k] = Type::scalar(static_cast<TypeKind>(k));
    t.kind[static_cast<int>(TypeKind::Pointer)] = Type::pointer();
    t.cstr = Type::cstr();
    return t;
  }();
  return s;
}

// A compact scalar name by its spelling (i8 .. u128, f32, f64, ldouble, ptr, cstr): a switch on
// the length and the characters, where the word table hashes and compares. Null for any other
// name, and for ldouble where long double is double (an error).
const TypeRef *compact_name(const Scalars &sc, const char *s, std::size_t n, Abi abi) {
  auto at = [&](TypeKind k) { return &sc.kind[static_cast<int>(k)]; };
  const char a = s[0];
  const bool i = a == 'i', u = a == 'u';
  switch (n) {
    case 2:
      if (s[1] == '8' && (i || u)) return at(i ? TypeKind::I8 : TypeKind::U8);
      return nullptr;
    case 3: {
      const char b = s[1], c = s[2];
      if (i || u) {
        if (b == '1' && c == '6') return at(i ? TypeKind::I16 : TypeKind::U16);
        if (b == '3' && c == '2') return at(i ? TypeKind::I32 : TypeKind::U32);
        if (b == '6' && c == '4') return at(i ? TypeKind::I64 : TypeKind::U64);
      } else if (a == 'f') {
        if (b == '3' && c == '2') return at(TypeKind::F32);
        if (b == '6' && c == '4') return at(TypeKind::F64);
      } else if (a == 'p' && b == 't' && c == 'r') {
        return at(TypeKind::Pointer);
      }
      return nullptr;
    }
    case 4:
      if ((i || u) && s[1] == '1' && s[2] == '2' && s[3] == '8')
        return at(i ? TypeKind::I128 : TypeKind::U128);
      if (a == 'c' && s[1] == 's' && s[2] == 't' && s[3] == 'r') return &sc.cstr;
      return nullptr;
    case 7:
      if (std::string_view(s, n) == "ldouble" && long_double_kind(abi) == TypeKind::LongDouble)
        return at(TypeKind::LongDouble);
      return nullptr;
    default:
      return nullptr;
  }
}

struct Reader {
  const char *p, *end;
  Abi abi;
  const Scalars &sc;
  int depth = 0;

  // Skips whitespace; returns the next character, '\0' at the end (a NUL in the text is no
  // character the fast path accepts either).
  char next() {
    const char *q = p;
    while (q < end && is_space(*q)) ++q;
    p = q;
    return q < end ? *q : '\0';
  }

  // The identifier at p (after next()), read whole, or an empty view (p unmoved).
  std::string_view ident_here() {
    const char *s = p, *q = p;
    if (q < end && is_ident_start(*q))
      while (++q < end && is_ident_char(*q)) {
      }
    p = q;
    return {s, static_cast<std::size_t>(q - s)};
  }

  const TypeRef *type(TypeRef *agg);
  const TypeRef *named_type(TypeRef *agg);
  const TypeRef *keyword_type(std::string_view w, TypeRef *agg);
  bool aggregate(bool is_union, TypeRef *out);

  // C prototypes (c_signature).
  struct CBase {
    const TypeRef *type = nullptr;  // null for FILE and DIR, usable only behind a pointer
    bool plain_char = false;        // written `char`: a pointer straight to it is a cstr
    std::string_view name;          // the declared name, when the specifiers ended on it
  };
  bool library_names = false;  // the C library's typedefs (time_t, FILE, ...) mean theirs
  bool c_specs(bool in_param, CBase *out);
  bool c_declarator(const CBase &base, bool in_param, const TypeRef **type, std::string_view *name);

  // The parts both readers share. At a '.': `...`, which makes the signature variadic after the
  // parameters so far (false: not three dots, or a second `...`).
  bool ellipsis(SigParts *out) {
    if (end - p < 3 || p[1] != '.' || p[2] != '.' || out->variadic) return false;
    out->variadic = true;
    out->fixed = out->params.size();
    p += 3;
    return true;
  }
  // After a parameter: `)` ends the list (*done), `,` continues it; anything else (an array, a
  // function pointer, an error) is the general parser's.
  bool separator(bool *done) {
    const char c = next();
    if (c != ')' && c != ',') return false;
    ++p;
    *done = c == ')';
    return true;
  }
  // After the list: an optional `;`, then the end of the text.
  bool finish(SigParts *out) {
    if (next() == ';') ++p;
    if (next() != '\0' || p != end) return false;
    if (!out->variadic) out->fixed = out->params.size();
    return true;
  }
};

// One type, at a character that is not whitespace: a compact name or a one-word C scalar keyword
// (a pointer into the shared scalars), void, or an anonymous aggregate (built into *agg). Null
// when the general parser must read it. The usual names are matched here character by
// character; the rest (and any name these tests miss) by named_type.
inline const TypeRef *Reader::type(TypeRef *agg) {
  if (p == end) return nullptr;
  const char *s = p;
  const auto avail = static_cast<std::size_t>(end - s);
  auto ch = [&](std::size_t i) { return i < avail ? s[i] : '\0'; };
  auto at = [&](TypeKind k) { return &sc.kind[static_cast<int>(k)]; };
  const TypeRef *t = nullptr;
  std::size_t n = 0;
  switch (s[0]) {
    case 'i':
    case 'u': {
      const bool i = s[0] == 'i';
      const char a = ch(1), b = ch(2);
      if (a == '8') {
        t = at(i ? TypeKind::I8 : TypeKind::U8), n = 2;
      } else if (a == '1' && b == '6') {
        t = at(i ? TypeKind::I16 : TypeKind::U16), n = 3;
      } else if (a == '3' && b == '2') {
        t = at(i ? TypeKind::I32 : TypeKind::U32), n = 3;
      } else if (a == '6' && b == '4') {
        t = at(i ? TypeKind::I64 : TypeKind::U64), n = 3;
      }
      break;
    }
    case 'f':
      if (ch(1) == '6' && ch(2) == '4') {
        t = at(TypeKind::F64), n = 3;
      } else if (ch(1) == '3' && ch(2) == '2') {
        t = at(TypeKind::F32), n = 3;
      }
      break;
    case 'p':
      if (ch(1) == 't' && ch(2) == 'r') t = at(TypeKind::Pointer), n = 3;
      break;
    case '{':
      ++p;
      return aggregate(false, agg) ? agg : nullptr;
    default:
      break;
  }
  if (t && !is_ident_char(ch(n))) {  // the whole name: `i32`, not `i32x`
    p = s + n;
    return t;
  }
  return named_type(agg);
}

// Any other name: read whole, then a compact name or a keyword.
const TypeRef *Reader::named_type(TypeRef *agg) {
  const std::string_view w = ident_here();
  if (w.empty()) return nullptr;
  if (const TypeRef *t = compact_name(sc, w.data(), w.size(), abi)) return t;
  return keyword_type(w, agg);
}

// A C keyword alone is its type only if no other specifier follows (`unsigned int`, `long
// double`, `int const`): the callers accept only ',', ')' or '}' after a type.
const TypeRef *Reader::keyword_type(std::string_view w, TypeRef *agg) {
  const std::uint8_t word = word_of(w);
  if (word == kWordStruct || word == kWordUnion) {
    if (next() != '{') return nullptr;  // a tag
    ++p;
    return aggregate(word == kWordUnion, agg) ? agg : nullptr;
  }
  // The type of that one keyword, as the C specifier rules give it (KeywordCounts, shared with
  // the general parser and c_specs below); plain char: only a pointer to it differs (cstr).
  KeywordCounts one;
  if (!one.add(word)) return nullptr;  // a typedef, another keyword or an unknown name
  bool plain_char;
  const TypeKind k = one.kind(abi, &plain_char);
  return &sc.kind[static_cast<int>(k)];
}

// The members of an anonymous struct or union after its '{', up to and with the '}'.
bool Reader::aggregate(bool is_union, TypeRef *out) {
  if (++depth > kMaxFastDepth) return false;
  std::vector<Field> fields;
  fields.reserve(4);  // one allocation for the usual few members
  for (;;) {
    TypeRef m;
    next();
    const TypeRef *t = type(&m);
    if (!t || (*t)->is_void()) return false;  // a void member is an error
    fields.push_back({std::string(), t == &m ? std::move(m) : TypeRef(*t), 0});
    const char c = next();
    if (c == '}') break;
    if (c != ',') return false;  // ';', a name, an array, an error
    ++p;
  }
  ++p;  // '}'
  --depth;
  try {
    *out = is_union ? Type::union_(std::move(fields)) : Type::struct_(std::move(fields));
  } catch (const TypeError &) {
    return false;
  }
  return true;
}

// Declaration specifiers of a simple prototype: C type keywords in any order, qualifiers, the
// storage classes C allows there, or one typedef name: a standard one (size_t, int32_t, ...: the
// built-in names, which no Scope can redefine) or, when the Scope declares no typedef, a scalar
// one of the C library's (time_t, FILE, ...). False when the general parser must read them:
// struct, union, enum, any other typedef name, compact names, attributes, errors.
bool Reader::c_specs(bool in_param, CBase *out) {
  KeywordCounts counts;
  const TypeRef *named = nullptr;
  bool given = false, opaque = false, library_plain_char = false;
  while (is_ident_start(next())) {
    const std::string_view w = ident_here();
    const std::uint8_t word = word_of(w);
    if (word_is_keyword(word)) {
      if (is_qualifier(word) || word == kWordExtension || word == kWordCdecl) continue;
      switch (word) {
        case kw("extern"):
        case kw("static"):
        case kw("inline"):
        case kw("__inline"):
        case kw("__inline__"):
        case kw("auto"):
          if (in_param) return false;  // only `register` names a parameter's storage
          continue;
        case kw("register"):
          continue;
        default:
          break;
      }
      if (word == kWordBool && given) {  // a macro name before C23: the declared name
        out->name = w;
        break;
      }
      KeywordCounts next = counts;
      if (named || opaque || !next.add(word) || !next.possible()) return false;
      counts = next;
      given = true;
      continue;
    }
    if (given) {  // `int size_t`, `void *ptr`: the declared name, as in C
      out->name = w;
      break;
    }
    if (word_is_compact(word)) return false;  // a compact type keeps the compact rules
    bool plain = false;
    given = true;
    if (const TypeRef t = builtin_name(w, abi, &plain)) {
      named = &sc.kind[static_cast<int>(t->kind())];
      continue;
    }
    if (!library_names) return false;  // the Scope's typedef, or none
    const LibraryTypedef lib = library_typedef(w, abi);
    if (lib.kind == LibraryTypedef::Opaque) {
      opaque = true;
      continue;
    }
    // Unknown, absent on this ABI (an error), or div_t and its kin (structs): not here.
    if (lib.kind != LibraryTypedef::Complete || lib.type->is_aggregate()) return false;
    named = &sc.kind[static_cast<int>(lib.type->kind())];
    library_plain_char = lib.plain_char;
  }
  if (opaque) {
    out->type = nullptr;
    out->plain_char = false;
    return true;
  }
  if (named) {
    out->type = named;
    out->plain_char = library_plain_char;
    return true;
  }
  if (counts.total() == 0) return false;
  bool plain = false;
  const TypeKind k = counts.kind(abi, &plain);
  out->type = &sc.kind[static_cast<int>(k)];
  out->plain_char = plain;
  return true;
}

// The declarator after the specifiers: `*`s, each with its qualifiers, then a name or none
// (any identifier but a keyword; `bool` and compact names are names after a C type), then for a
// parameter one `[]` or `[N]`, which C adjusts to a pointer (C11 6.7.6.3p7). No other arrays,
// functions or parentheses: the caller accepts only ',', ')' or '(' after it.
bool Reader::c_declarator(const CBase &base, bool in_param, const TypeRef **type,
                          std::string_view *name) {
  int pointers = 0;
  if (!base.name.empty()) {
    *name = base.name;  // read already, right after the specifiers: no `*`
  } else {
    while (true) {
      const char c = next();
      if (c == '*') {
        ++p;
        ++pointers;
        continue;
      }
      if (!is_ident_start(c)) break;
      const std::string_view w = ident_here();
      const std::uint8_t word = word_of(w);
      if (is_qualifier(word) || word == kWordCdecl) continue;
      if (word_is_keyword(word) && word != kWordBool) return false;
      *name = w;
      break;
    }
  }
  if (in_param && next() == '[') {
    ++p;
    if (next() >= '1' && *p <= '9') {  // a decimal size, positive: an octal or 0 is not here
      const char *digits = p;
      while (p < end && *p >= '0' && *p <= '9') ++p;
      if (p - digits > 18 || (p < end && is_ident_char(*p))) return false;  // huge, or a suffix
    }
    if (next() != ']') return false;  // an expression, `static`, `*`, another form
    ++p;
    ++pointers;
  }
  if (!base.type && pointers == 0) return false;  // FILE, not behind a pointer: an error
  // Only a pointer straight to plain char is a string; `char **` is not.
  *type = pointers == 0                      ? base.type
          : pointers == 1 && base.plain_char ? &sc.cstr
                                             : &sc.kind[static_cast<int>(TypeKind::Pointer)];
  return true;
}

}  // namespace

bool c_signature(std::string_view text, Abi abi, bool library_names, SigParts *out) {
  if (text.size() > kMaxTextLength) return false;
  // One '(' only: a second one (a function pointer, an attribute) would fail here late, after
  // most of the work; memchr finds it first, at a fraction of the cost.
  const auto *open = static_cast<const char *>(std::memchr(text.data(), '(', text.size()));
  if (!open || std::memchr(open + 1, '(', text.size() - (open + 1 - text.data()))) return false;
  Reader r{text.data(), text.data() + text.size(), abi, scalars()};
  r.library_names = library_names;
  // A `sysv:` prefix names the ABI (no ABI name is a type name).
  if (is_ident_start(r.next())) {
    const char *start = r.p;
    const std::string_view w = r.ident_here();
    if (r.next() == ':') {
      const std::optional<Abi> a = abi_from_name(w);
      if (!a) return false;
      r.abi = *a;
      ++r.p;
    } else {
      r.p = start;
    }
  }
  out->abi = r.abi;
  Reader::CBase base;
  const TypeRef *ret = nullptr;
  std::string_view name;
  if (!r.c_specs(false, &base) || !r.c_declarator(base, false, &ret, &name) || r.next() != '(')
    return false;
  if (name.empty()) {
    // `int *(int)` declares a function; `int (*f)(int)` and `int (__cdecl f)(int)` nest.
    const char *at = r.p++;
    const char c = r.next();
    if (c == '*' || c == '(') return false;
    const std::uint8_t word = word_of(r.ident_here());
    if (word == kWordAttribute || word == kWordAttribute2 || word == kWordCdecl) return false;
    r.p = at;
  }
  ++r.p;  // '('
  out->ret = *ret;
  out->name = std::string(name);
  std::vector<TypeRef> &params = out->params;
  params.reserve(text.size() / 8 + 1);  // `int a, ` takes 7
  out->names.reserve(params.capacity());
  if (r.next() == ')') {
    ++r.p;
  } else {
    for (;;) {
      if (r.next() == '.') {
        if (!r.ellipsis(out)) return false;
      } else {
        Reader::CBase pb;
        const TypeRef *t = nullptr;
        std::string_view pname;
        if (!r.c_specs(true, &pb) || !r.c_declarator(pb, true, &t, &pname)) return false;
        if ((*t)->is_void()) {
          // `(void)` alone means no parameters; void anywhere else is an error.
          if (!params.empty() || out->variadic || !pname.empty() || r.next() != ')') return false;
          ++r.p;
          break;
        }
        if (out->variadic && !(*t)->is_promoted()) return false;
        params.push_back(*t);
        out->names.emplace_back(pname);
      }
      bool done = false;
      if (!r.separator(&done)) return false;
      if (done) break;
    }
  }
  return r.finish(out);
}

bool compact_signature(std::string_view text, Abi abi, SigParts *out) {
  if (text.size() > kMaxTextLength) return false;
  Reader r{text.data(), text.data() + text.size(), abi, scalars()};
  TypeRef agg;
  r.next();
  const char *start = r.p;
  const TypeRef *ret = r.type(&agg);
  if (!ret) {
    // A `sysv:` prefix names the ABI (no ABI name is a type name): the return type follows.
    r.p = start;
    r.depth = 0;
    r.next();
    const std::string_view w = r.ident_here();
    if (w.empty() || r.next() != ':') return false;
    const std::optional<Abi> a = abi_from_name(w);
    if (!a) return false;
    ++r.p;
    r.abi = *a;
    r.next();
    ret = r.type(&agg);
    if (!ret) return false;
  }
  out->abi = r.abi;
  if (r.next() != '(') return false;
  if (ret == &agg)
    out->ret = std::move(agg);
  else
    out->ret = *ret;
  ++r.p;
  std::vector<TypeRef> &params = out->params;
  params.reserve(text.size() / 4 + 1);  // at least 4 characters per parameter
  if (r.next() == ')') {
    ++r.p;
  } else {
    for (;;) {
      if (r.next() == '.') {
        if (!r.ellipsis(out)) return false;
      } else {
        const TypeRef *t = r.type(&agg);
        if (!t) return false;
        if ((*t)->is_void()) {
          // `(void)` alone means no parameters; void anywhere else is an error.
          if (!params.empty() || out->variadic || r.next() != ')') return false;
          ++r.p;
          break;
        }
        if (out->variadic && !(*t)->is_promoted()) return false;
        if (t == &agg)  // two statements: a conditional expression would copy, then move
          params.push_back(std::move(agg));
        else
          params.push_back(*t);
      }
      bool done = false;
      if (!r.separator(&done)) return false;
      if (done) break;
    }
  }
  return r.finish(out);
}

}  // namespace jitffi::parse
