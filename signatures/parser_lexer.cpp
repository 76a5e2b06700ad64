// Tokenizer for signatures and declarations.
#include "signatures/parser_lexer.h"

#include "jitffi/signature.h"
#include "signatures/parser_names.h"

namespace jitffi::parse {

namespace {

// The length of the punctuation token at `i`, longest match first (`<<` is not two `<`), or 0.
// A switch on the first character: one or two comparisons instead of a scan of every mark.
std::size_t punct_length(std::string_view in, std::size_t i) {
  const char c = in[i];
  const char n = i + 1 < in.size() ? in[i + 1] : '\0';
  switch (c) {
    case '.':
      return n == '.' && i + 2 < in.size() && in[i + 2] == '.' ? 3 : 1;
    case '<':
    case '>':
      return n == c || n == '=' ? 2 : 1;
    case '=':
    case '!':
      return n == '=' ? 2 : 1;
    case '&':
    case '|':
      return n == c ? 2 : 1;
    case '(':
    case ')':
    case '{':
    case '}':
    case '[':
    case ']':
    case ',':
    case ';':
    case '*':
    case ':':
    case '+':
    case '-':
    case '~':
    case '/':
    case '%':
    case '^':
    case '?':
      return 1;
    default:
      return 0;
  }
}

// Skips a quoted literal starting at `i` (the quote); returns the index after the closing quote.
std::size_t skip_quoted(std::string_view in, std::size_t i) {
  const char q = in[i];
  for (std::size_t j = i + 1; j < in.size(); ++j) {
    if (in[j] == '\\') {
      ++j;
    } else if (in[j] == q) {
      return j + 1;
    } else if (in[j] == '\n') {
      break;
    }
  }
  throw ParseError(std::string(in), i,
                   std::string("a closing ") + (q == '"' ? "'\"'" : "\"'\"") + " on the same line");
}

}  // namespace

std::vector<Token> tokenize(std::string_view in) {
  std::vector<Token> out;
  out.reserve(16);  // a typical prototype; no reallocation on the common path
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '/' && i + 1 < in.size() && in[i + 1] == '/') {
      while (i < in.size() && in[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < in.size() && in[i + 1] == '*') {
      const std::size_t end = in.find("*/", i + 2);
      if (end == std::string_view::npos)
        throw ParseError(std::string(in), i, "'*/' to close the comment");
      i = end + 2;
    } else if (is_ident_start(c)) {
      std::size_t j = i;
      while (j < in.size() && is_ident_char(in[j])) ++j;
      const std::string_view w = in.substr(i, j - i);
      out.push_back({Tok::Ident, w, i, word_of(w)});
      i = j;
    } else if (c >= '0' && c <= '9') {
      // Suffixes and bad digits stay in the token; the constant evaluator judges them.
      std::size_t j = i;
      while (j < in.size() && is_ident_char(in[j])) ++j;
      out.push_back({Tok::Number, in.substr(i, j - i), i});
      i = j;
    } else if (c == '\'' || c == '"') {
      const std::size_t j = skip_quoted(in, i);
      out.push_back({c == '"' ? Tok::String : Tok::Char, in.substr(i, j - i), i});
      i = j;
    } else {
      const std::size_t len = punct_length(in, i);
      if (len == 0) {
        std::string expected = "a type, a name or punctuation, got ";
        if (c >= 0x20 && c < 0x7f) {
          expected += '\'';
          expected += c;
          expected += '\'';
        } else {
          expected += "byte " + std::to_string(static_cast<unsigned char>(c));
        }
        throw ParseError(std::string(in), i, std::move(expected));
      }
      out.push_back({Tok::Punct, in.substr(i, len), i});
      i += len;
    }
  }
  out.push_back({Tok::End, {}, in.size()});
  return out;
}

std::string describe(const Token &t) {
  if (t.kind == Tok::End) return "end of input";
  std::string s(1, '\'');
  s += t.text;
  s += '\'';
  return s;
}

}  // namespace jitffi::parse
