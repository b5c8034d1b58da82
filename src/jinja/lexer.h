// Jinja2 lexer for chat templates: splits the source into text and tag tokens, applying
// the whitespace rules transformers uses (trim_blocks, lstrip_blocks, "-"/"+" markers,
// keep_trailing_newline=False, newlines normalized to \n), and tokenizes the expressions
// inside {{ }} and {% %}. {# #} comments and {% raw %} blocks are resolved here.
// Not here: grammar (parser.cpp).
#pragma once

#include <string>
#include <vector>

namespace hearth::jinja {

enum class TokenKind { kText, kVarBegin, kVarEnd, kBlockBegin, kBlockEnd, kName, kString, kInt, kFloat, kOp, kEof };

struct Token {
  TokenKind kind;
  std::string text;  // text / name / decoded string / number / operator
  int line;
};

// Throws jinja::Error on malformed input (unterminated tag or string).
std::vector<Token> lex(const std::string& source);

}  // namespace hearth::jinja
