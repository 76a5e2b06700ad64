// Tokens of the signature language: C declarations plus the compact names, which are plain
// identifiers. Whitespace, newlines and comments separate tokens and are dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jitffi::parse {

// The character classes of the language, shared by the tokenizer and the fast readers
// (parser_fast.cpp): whitespace is ' ', \t \n \v \f \r; identifiers are [A-Za-z_][A-Za-z0-9_]*.
inline bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
inline bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}

enum class Tok : std::uint8_t { Ident, Number, Char, String, Punct, End };

struct Token {
  Tok kind;
  std::string_view text;  // a view into the input; empty for End
  std::size_t pos;        // 0-based character offset in the input
  // Ident: which built-in word it is (parse::word_of in parser_names.h), 0 for any other name.
  // Classified once here, so that the parser's keyword checks are an integer test.
  std::uint8_t word = 0;
};

// Splits the whole input into tokens; the last one is End at input.size(). Throws ParseError
// for a character that starts no token and for an unterminated comment or literal.
std::vector<Token> tokenize(std::string_view input);

// How a token reads in an error message: `'foo'`, or `end of input`.
std::string describe(const Token &t);

}  // namespace jitffi::parse
