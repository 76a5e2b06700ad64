// Text -> argument values for `jitffi call`, by parameter type.
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "cli.h"

namespace jitffi_cli {
namespace {

using jitffi::Type;
using jitffi::TypeKind;
using u128 = unsigned __int128;

std::invalid_argument bad(std::string why) {
  return std::invalid_argument(std::move(why));
}

// An integer literal in C syntax: optional sign, then decimal, 0x hex, 0b binary or 0 octal.
struct IntLiteral {
  bool negative = false;
  u128 magnitude = 0;
};

// Returns false with `why` set when `s` is not an integer literal or overflows 128 bits.
bool parse_int(std::string_view s, IntLiteral &out, std::string &why) {
  std::size_t i = 0;
  out = {};
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) out.negative = s[i++] == '-';
  unsigned base = 10;
  if (s.size() - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
    base = 16;
    i += 2;
  } else if (s.size() - i >= 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B')) {
    base = 2;
    i += 2;
  } else if (s.size() - i >= 2 && s[i] == '0') {
    base = 8;
    i += 1;
  }
  if (i == s.size()) {
    why = "not an integer";
    return false;
  }
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    unsigned d = c >= '0' && c <= '9'   ? c - '0'
                 : c >= 'a' && c <= 'z' ? c - 'a' + 10
                 : c >= 'A' && c <= 'Z' ? c - 'A' + 10
                                        : 99;
    if (d >= base) {
      why = base == 8 && d < 10 ? "not an integer (a leading 0 means octal)" : "not an integer";
      return false;
    }
    if (out.magnitude > (~u128(0) - d) / base) {
      why = "out of range (more than 128 bits)";
      return false;
    }
    out.magnitude = out.magnitude * base + d;
  }
  return true;
}

struct IntRange {
  unsigned bits;
  bool is_signed;
};

IntRange range_of(TypeKind kind) {
  switch (kind) {
    case TypeKind::Bool:
      return {1, false};
    case TypeKind::I8:
      return {8, true};
    case TypeKind::U8:
      return {8, false};
    case TypeKind::I16:
      return {16, true};
    case TypeKind::U16:
      return {16, false};
    case TypeKind::I32:
      return {32, true};
    case TypeKind::U32:
      return {32, false};
    case TypeKind::I64:
      return {64, true};
    case TypeKind::U64:
    case TypeKind::Pointer:
      return {64, false};
    case TypeKind::I128:
      return {128, true};
    case TypeKind::U128:
      return {128, false};
    default:
      throw std::logic_error("range_of: not an integer kind");
  }
}

std::string to_decimal(u128 v, bool negative) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v);
  return negative ? "-" + s : s;
}

std::string range_text(IntRange r) {
  if (r.is_signed) {
    u128 lim = u128(1) << (r.bits - 1);
    return to_decimal(lim, true) + ".." + to_decimal(lim - 1, false);
  }
  u128 max = r.bits == 128 ? ~u128(0) : (u128(1) << r.bits) - 1;
  return "0.." + to_decimal(max, false);
}

// Fits the literal into the range and returns its two's-complement bits.
bool fit(const IntLiteral &lit, IntRange r, u128 &bits) {
  if (r.is_signed) {
    u128 lim = u128(1) << (r.bits - 1);  // |min|; max is lim - 1
    if (lit.negative ? lit.magnitude > lim : lit.magnitude >= lim) return false;
  } else {
    if (lit.negative && lit.magnitude != 0) return false;
    if (r.bits < 128 && lit.magnitude >> r.bits) return false;
  }
  bits = lit.negative ? ~lit.magnitude + 1 : lit.magnitude;
  return true;
}

void store_int(const Type &type, std::string_view text, ArgValue &out) {
  IntRange r = range_of(type.kind());
  IntLiteral lit;
  std::string why;
  if (!parse_int(text, lit, why)) throw bad(why + " (expected " + describe(type) + ")");
  u128 bits;
  if (!fit(lit, r, bits)) throw bad("out of range for " + describe(type) + ": " + range_text(r));
  std::memcpy(out.bytes, &bits, type.size());  // little-endian: the low bytes
}

bool is_space_start(std::string_view s) {
  return !s.empty() && std::strchr(" \t\n\r\f\v", s.front()) != nullptr;
}

// strtod and friends on the whole text; ERANGE overflow is an error, underflow is not.
template <class T, class F>
T parse_floating(std::string_view text, const Type &type, F strto) {
  std::string s(text);
  if (s.empty() || is_space_start(s)) throw bad("not a number (expected " + describe(type) + ")");
  errno = 0;
  char *end = nullptr;
  T v = strto(s.c_str(), &end);
  if (end != s.c_str() + s.size()) throw bad("not a number (expected " + describe(type) + ")");
  if (errno == ERANGE && std::isinf(v)) throw bad("out of range for " + describe(type));
  return v;
}

}  // namespace

void convert(const Type &type, std::string_view text, ArgValue &out) {
  switch (type.kind()) {
    case TypeKind::Bool:
      if (text == "true") {
        out.bytes[0] = 1;
        return;
      }
      if (text == "false") {
        out.bytes[0] = 0;
        return;
      }
      return store_int(type, text, out);
    case TypeKind::I8:
    case TypeKind::U8:
    case TypeKind::I16:
    case TypeKind::U16:
    case TypeKind::I32:
    case TypeKind::U32:
    case TypeKind::I64:
    case TypeKind::U64:
    case TypeKind::I128:
    case TypeKind::U128:
      return store_int(type, text, out);
    case TypeKind::F32: {
      float v = parse_floating<float>(text, type,
                                      [](const char *s, char **e) { return std::strtof(s, e); });
      std::memcpy(out.bytes, &v, sizeof v);
      return;
    }
    case TypeKind::F64: {
      double v = parse_floating<double>(text, type,
                                        [](const char *s, char **e) { return std::strtod(s, e); });
      std::memcpy(out.bytes, &v, sizeof v);
      return;
    }
    case TypeKind::LongDouble: {
      if (type.size() == sizeof(long double)) {
        long double v = parse_floating<long double>(
            text, type, [](const char *s, char **e) { return std::strtold(s, e); });
        std::memcpy(out.bytes, &v, sizeof v);
        return;
      }
      throw bad("long double of this ABI cannot be converted on this host");
    }
    case TypeKind::Pointer: {
      if (text == "null" || text == "NULL") {
        std::memset(out.bytes, 0, sizeof(void *));
        return;
      }
      // `str:` lets the four letters "null" (or anything) through as a string, and gives any
      // pointer parameter (`const void *`, `const unsigned char *`) the bytes of a text.
      if (type.is_cstr() || text.substr(0, 4) == "str:") {
        if (text.substr(0, 4) == "str:") text.remove_prefix(4);
        out.text.assign(text);
        char *p = out.text.data();
        std::memcpy(out.bytes, &p, sizeof p);
        return;
      }
      return store_int(type, text, out);
    }
    case TypeKind::Struct:
    case TypeKind::Union:
      throw bad("a " + describe(type) +
                " is passed by value and cannot be given on the command line (only numbers, "
                "pointers and strings can)");
    case TypeKind::Void:
    case TypeKind::Array:
      break;
  }
  throw bad("cannot convert text to " + describe(type));
}

bool has_type_prefix(std::string_view text) {
  const std::size_t colon = text.find(':');
  return colon != std::string_view::npos && colon > 0 &&
         (std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_') &&
         text.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ *") == colon;
}

VarArg classify_vararg(std::string_view text, const jitffi::Scope &scope) {
  if (has_type_prefix(text)) {
    const std::size_t colon = text.find(':');
    std::string_view name = text.substr(0, colon);
    std::string value(text.substr(colon + 1));
    if (name == "str" || name == "cstr" || name == "string") return {Type::cstr(), value};
    jitffi::TypeRef t;
    try {
      t = scope.type(name);
    } catch (const jitffi::Error &) {
      throw bad("unknown type '" + std::string(name) +
                "' before ':' (write str:" + std::string(text) + " to pass this text as a string)");
    }
    // The default argument promotions, as a C caller of a variadic function applies them:
    // the value is checked against the type written, then passed as int or double.
    ArgValue check;
    switch (t->kind()) {
      case TypeKind::Bool:
      case TypeKind::U8:
        convert(*t, value, check);
        value = std::to_string(check.bytes[0]);
        t = Type::scalar(TypeKind::I32);
        break;
      case TypeKind::I8:
        convert(*t, value, check);
        value = std::to_string(static_cast<std::int8_t>(check.bytes[0]));
        t = Type::scalar(TypeKind::I32);
        break;
      case TypeKind::I16:
      case TypeKind::U16: {
        convert(*t, value, check);
        std::uint16_t u;
        std::memcpy(&u, check.bytes, sizeof u);
        value = t->kind() == TypeKind::I16 ? std::to_string(static_cast<std::int16_t>(u))
                                           : std::to_string(u);
        t = Type::scalar(TypeKind::I32);
        break;
      }
      case TypeKind::F32: {
        convert(*t, value, check);
        float f;
        std::memcpy(&f, check.bytes, sizeof f);
        value = format_double(f);  // exact: the float's value, read back as a double
        t = Type::scalar(TypeKind::F64);
        break;
      }
      default:
        break;
    }
    return {t, value};
  }
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
    return {Type::cstr(), std::string(text.substr(1, text.size() - 2))};
  if (text == "null" || text == "NULL") return {Type::pointer(), std::string(text)};
  IntLiteral lit;
  std::string why;
  if (parse_int(text, lit, why)) {
    u128 bits;
    for (TypeKind k : {TypeKind::I32, TypeKind::I64, TypeKind::U64})
      if (fit(lit, range_of(k), bits)) return {Type::scalar(k), std::string(text)};
    throw bad("out of range for any integer type that a variadic argument can have");
  }
  // A float needs a '.', an exponent or a hex mantissa: `inf`, `nan` stay strings unless
  // written as f64:inf.
  bool looks_float = text.find_first_of(".eEpP") != std::string_view::npos &&
                     text.find_first_of("0123456789") != std::string_view::npos;
  if (looks_float) {
    std::string s(text);
    char *end = nullptr;
    errno = 0;
    double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && !is_space_start(s) && end == s.c_str() + s.size()) {
      if (errno == ERANGE && std::isinf(v)) throw bad("out of range for double");
      return {Type::scalar(TypeKind::F64), s};
    }
  }
  return {Type::cstr(), std::string(text)};
}

std::string describe(const Type &type) {
  switch (type.kind()) {
    case TypeKind::Void:
      return "void";
    case TypeKind::Bool:
      return "bool";
    case TypeKind::I8:
      return "signed char (i8)";
    case TypeKind::U8:
      return "unsigned char (u8)";
    case TypeKind::I16:
      return "short (i16)";
    case TypeKind::U16:
      return "unsigned short (u16)";
    case TypeKind::I32:
      return "int (i32)";
    case TypeKind::U32:
      return "unsigned int (u32)";
    case TypeKind::I64:
      return "i64";
    case TypeKind::U64:
      return "u64";
    case TypeKind::I128:
      return "i128";
    case TypeKind::U128:
      return "u128";
    case TypeKind::F32:
      return "float";
    case TypeKind::F64:
      return "double";
    case TypeKind::LongDouble:
      return "long double";
    case TypeKind::Pointer:
      return type.is_cstr() ? "const char *" : "pointer";
    case TypeKind::Struct:
      return "struct " + (type.tag().empty() ? type.canonical() : type.tag());
    case TypeKind::Union:
      return "union " + (type.tag().empty() ? type.canonical() : type.tag());
    case TypeKind::Array:
      return "array " + type.canonical();
  }
  return type.canonical();
}

}  // namespace jitffi_cli
