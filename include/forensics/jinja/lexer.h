// jinja: template source to tokens, with the whitespace rules of the environment transformers
// builds (trim_blocks, lstrip_blocks, `-`/`+` markers, one trailing newline dropped).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace forensics::jinja {

enum class TokenKind {
  kText,           // literal template data, already whitespace-controlled
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,
  kString,  // text holds the decoded value
  kInteger,
  kFloat,
  kOperator,
  kEnd,
};

struct Token {
  TokenKind kind;
  std::string text;
  int line;
};

struct LexerOptions {
  bool trim_blocks = true;    // drop the first newline after a block or comment tag
  bool lstrip_blocks = true;  // drop spaces and tabs before a block or comment tag on its own line
};

/// The tokens of `source`, ending with kEnd. Comments are dropped. Throws TemplateError
/// (kSyntax) for an unclosed tag, comment or string, or an unexpected character.
std::vector<Token> tokenize(std::string_view source, const LexerOptions& options = {});

}  // namespace forensics::jinja
