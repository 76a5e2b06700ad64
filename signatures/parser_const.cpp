// Integer constant expressions, for array sizes and enumerator values: C's operators on 64-bit
// signed values, with every overflow, division by zero and bad shift reported as an error.
#include <climits>

#include "signatures/parser_impl.h"
#include "signatures/parser_names.h"

namespace jitffi {

using parse::Tok;

namespace {

// Binary operators by precedence, loosest first.
constexpr std::string_view kLevels[][4] = {
    {"||"},       {"&&"},     {"|"},           {"^"}, {"&"}, {"==", "!="}, {"<", ">", "<=", ">="},
    {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"},
};
constexpr int kLevelCount = static_cast<int>(std::size(kLevels));

}  // namespace

long long Parser::constant() {
  const Nest nest(*this);
  return cond_expr();
}

long long Parser::cond_expr() {
  const long long c = binary_expr(0);
  if (!accept("?")) return c;
  const long long a = constant();
  expect(":", "':' of the conditional operator");
  const long long b = cond_expr();
  return c ? a : b;
}

long long Parser::binary_expr(int level) {
  if (level == kLevelCount) return unary_expr();
  long long lhs = binary_expr(level + 1);
  for (;;) {
    const Token op = cur();
    bool match = false;
    if (op.kind == Tok::Punct)
      for (std::string_view o : kLevels[level]) match = match || (!o.empty() && o == op.text);
    if (!match) return lhs;
    ++i_;
    const std::size_t rhs_pos = cur().pos;
    const long long rhs = binary_expr(level + 1);
    long long r = 0;
    const std::string_view o = op.text;
    bool overflow = false;
    if (o == "+")
      overflow = __builtin_add_overflow(lhs, rhs, &r);
    else if (o == "-")
      overflow = __builtin_sub_overflow(lhs, rhs, &r);
    else if (o == "*")
      overflow = __builtin_mul_overflow(lhs, rhs, &r);
    else if (o == "/" || o == "%") {
      if (rhs == 0) fail(rhs_pos, "a divisor other than 0");
      overflow = lhs == LLONG_MIN && rhs == -1;
      if (!overflow) r = o == "/" ? lhs / rhs : lhs % rhs;
    } else if (o == "<<" || o == ">>") {
      if (rhs < 0 || rhs > 62) fail(rhs_pos, "a shift count from 0 to 62");
      if (o == ">>") {
        r = lhs >> rhs;
      } else {
        if (lhs < 0) fail(op.pos, "a non-negative value to shift left");
        overflow = lhs > (LLONG_MAX >> rhs);
        r = lhs << rhs;
      }
    } else if (o == "&")
      r = lhs & rhs;
    else if (o == "^")
      r = lhs ^ rhs;
    else if (o == "|")
      r = lhs | rhs;
    else if (o == "&&")
      r = lhs && rhs;
    else if (o == "||")
      r = lhs || rhs;
    else if (o == "==")
      r = lhs == rhs;
    else if (o == "!=")
      r = lhs != rhs;
    else if (o == "<")
      r = lhs < rhs;
    else if (o == ">")
      r = lhs > rhs;
    else if (o == "<=")
      r = lhs <= rhs;
    else
      r = lhs >= rhs;
    if (overflow) fail(op.pos, "a constant expression that fits in 64 bits");
    lhs = r;
  }
}

long long Parser::unary_expr() {
  const Nest nest(*this);
  const Token t = cur();
  if (t.kind == Tok::Punct) {
    if (t.text == "(") {
      ++i_;
      const long long v = constant();
      expect(")", "')' to close the expression");
      return v;
    }
    if (t.text == "-" || t.text == "+" || t.text == "~" || t.text == "!") {
      ++i_;
      const long long v = unary_expr();
      if (t.text == "-") {
        if (v == LLONG_MIN) fail(t.pos, "a constant expression that fits in 64 bits");
        return -v;
      }
      if (t.text == "~") return ~v;
      if (t.text == "!") return !v;
      return v;
    }
  }
  if (t.kind == Tok::Number) {
    ++i_;
    return number(t);
  }
  if (t.kind == Tok::Char) {
    ++i_;
    std::string_view body = t.text.substr(1, t.text.size() - 2);
    long long v = -1;
    if (body.size() == 1 && body[0] != '\\') {
      v = static_cast<unsigned char>(body[0]);
    } else if (body.size() == 2 && body[0] == '\\') {
      switch (body[1]) {
        case 'n':
          v = '\n';
          break;
        case 't':
          v = '\t';
          break;
        case 'r':
          v = '\r';
          break;
        case '0':
          v = 0;
          break;
        case '\\':
          v = '\\';
          break;
        case '\'':
          v = '\'';
          break;
        case '"':
          v = '"';
          break;
        default:
          break;
      }
    }
    if (v < 0)
      fail(t.pos, "a one-character literal such as 'a' or '\\n', got " + parse::describe(t));
    // Plain char's signedness decides the value of bytes above 0x7f.
    if (v > 0x7f && parse::plain_char_kind(abi_) == TypeKind::I8) v -= 0x100;
    return v;
  }
  if (t.kind == Tok::Ident) {
    if (t.text == "sizeof" || t.text == "_Alignof" || t.text == "alignof" ||
        t.text == "__alignof__") {
      ++i_;
      expect("(", "'(' and a type name");
      parse::Specs s = specs(Ctx::TypeName);
      if (!s.any) fail_no_type("a type name");
      parse::CType ct = apply(s.base, declarator(false));
      expect(")", "')' after the type name");
      if (ct.kind != parse::CType::Complete || ct.type->is_void())
        fail(ct.pos, "a complete object type for " + std::string(t.text));
      return static_cast<long long>(t.text == "sizeof" ? ct.type->size() : ct.type->align());
    }
    long long v = 0;
    if (lookup_constant(t.text, &v)) {
      ++i_;
      return v;
    }
  }
  fail(t.pos, "an integer constant, got " + parse::describe(t));
}

long long Parser::number(const Token &t) const {
  std::string_view s = t.text;
  // Integer suffixes (u, l, ll in any case and order) do not change the value here.
  std::size_t end = s.size();
  while (end > 0 &&
         (s[end - 1] == 'u' || s[end - 1] == 'U' || s[end - 1] == 'l' || s[end - 1] == 'L'))
    --end;
  std::string_view digits = s.substr(0, end);
  unsigned base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
    base = 2;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  if (digits.empty() || s.size() - end > 3)
    fail(t.pos, "an integer literal, got " + parse::describe(t));
  unsigned long long v = 0;
  for (char c : digits) {
    unsigned d = 99;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    if (d >= base) fail(t.pos, "an integer literal, got " + parse::describe(t));
    if (v > (static_cast<unsigned long long>(LLONG_MAX) - d) / base)
      fail(t.pos, "an integer literal below 2^63, got " + parse::describe(t));
    v = v * base + d;
  }
  return static_cast<long long>(v);
}

}  // namespace jitffi
