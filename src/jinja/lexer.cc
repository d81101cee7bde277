#include "forensics/jinja/lexer.h"

#include <cctype>
#include <cstdint>

#include "forensics/jinja/error.h"
#include "python_text.h"

namespace forensics::jinja {
namespace {

[[noreturn]] void fail(int line, const std::string& message) {
  throw TemplateError(TemplateErrorKind::kSyntax, line, message);
}

// jinja2 splits the source on \r\n, \r and \n, drops one trailing empty line (its
// keep_trailing_newline=False) and joins with \n.
std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::size_t skip_spaces(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_space(s[pos])) ++pos;
  return pos;
}

// Python's "unicode-escape" decoding of a string literal's body, as jinja2 applies it.
std::string decode_string_literal(std::string_view body, int line) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 >= body.size()) {
      out += body[i];
      continue;
    }
    const char c = body[++i];
    auto hex = [&](std::size_t digits) {
      std::uint32_t code = 0;
      for (std::size_t k = 1; k <= digits; ++k) {
        if (i + k >= body.size() || !std::isxdigit(static_cast<unsigned char>(body[i + k]))) {
          fail(line, "truncated \\x, \\u or \\U escape in a string");
        }
        const char d = body[i + k];
        code = code * 16 + static_cast<std::uint32_t>(
                               std::isdigit(static_cast<unsigned char>(d)) ? d - '0' : (d | 0x20) - 'a' + 10);
      }
      i += digits;
      append_utf8(out, code);
    };
    switch (c) {
      case '\n': break;
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': hex(2); break;
      case 'u': hex(4); break;
      case 'U': hex(8); break;
      default:
        if (c >= '0' && c <= '7') {
          std::uint32_t code = static_cast<std::uint32_t>(c - '0');
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k) {
            code = code * 8 + static_cast<std::uint32_t>(body[++i] - '0');
          }
          append_utf8(out, code);
        } else {
          out += '\\';
          out += c;
        }
    }
  }
  return out;
}

class Lexer {
 public:
  Lexer(std::string_view source, const LexerOptions& options)
      : source_(normalize_newlines(source)), options_(options) {}

  std::vector<Token> run() {
    while (pos_ < source_.size()) lex_data_and_tag();
    tokens_.push_back({TokenKind::kEnd, "", line_});
    return std::move(tokens_);
  }

 private:
  void advance_to(std::size_t pos) {
    for (std::size_t i = pos_; i < pos && i < source_.size(); ++i) {
      if (source_[i] == '\n') ++line_;
    }
    pos_ = pos;
  }

  // Text up to the next tag, with the tag's whitespace control applied to it, then the tag.
  void lex_data_and_tag() {
    std::size_t tag = source_.find('{', pos_);
    while (tag != std::string::npos && tag + 1 < source_.size() && source_[tag + 1] != '{' && source_[tag + 1] != '%' &&
           source_[tag + 1] != '#') {
      tag = source_.find('{', tag + 1);
    }
    if (tag == std::string::npos || tag + 1 >= source_.size()) {
      emit_text(source_.substr(pos_), line_);
      advance_to(source_.size());
      return;
    }
    const char type = source_[tag + 1];
    const char sign = tag + 2 < source_.size() ? source_[tag + 2] : '\0';
    emit_text(control_whitespace(source_.substr(pos_, tag - pos_), sign, type == '{'), line_);
    advance_to(tag + 2 + (sign == '-' || sign == '+' ? 1 : 0));
    line_starting_ = false;
    if (type == '#') {
      lex_comment();
    } else if (type == '%' && lex_raw_block()) {
      return;
    } else {
      lex_expression_tag(type == '{');
    }
  }

  // The text before a tag: `-` strips all whitespace, else lstrip_blocks drops the spaces and
  // tabs that alone precede a block or comment tag on its line.
  std::string control_whitespace(std::string text, char sign, bool variable) const {
    if (sign == '-') return rstrip_whitespace(text);
    if (sign == '+' || !options_.lstrip_blocks || variable) return text;
    const std::size_t line_begin = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
    if ((line_begin > 0 || line_starting_) && line_begin < text.size() &&
        text.find_first_not_of(" \t\f\v\r", line_begin) == std::string::npos) {
      text.resize(line_begin);
    }
    return text;
  }

  // `name` at `pos` as a whole word, after optional whitespace; the position after it, or npos.
  std::size_t match_word(std::size_t pos, std::string_view name) const {
    pos = skip_spaces(source_, pos);
    if (source_.compare(pos, name.size(), name) != 0) return std::string::npos;
    const std::size_t end = pos + name.size();
    if (end < source_.size() && (std::isalnum(static_cast<unsigned char>(source_[end])) || source_[end] == '_')) {
      return std::string::npos;
    }
    return skip_spaces(source_, end);
  }

  // {% raw %}...{% endraw %}: the text between is data, tags and all. Only the end tag's
  // whitespace control applies (jinja2 does not trim the newline after `raw %}`).
  bool lex_raw_block() {
    std::size_t after = match_word(pos_, "raw");
    if (after == std::string::npos) return false;
    const int start_line = line_;
    if (source_.compare(after, 3, "-%}") == 0) {
      after = skip_spaces(source_, after + 3);
    } else if (source_.compare(after, 2, "%}") == 0) {
      after += 2;
    } else {
      return false;
    }
    advance_to(after);
    for (std::size_t tag = source_.find("{%", pos_); tag != std::string::npos; tag = source_.find("{%", tag + 2)) {
      const char sign = tag + 2 < source_.size() ? source_[tag + 2] : '\0';
      std::size_t end = match_word(tag + 2 + (sign == '-' || sign == '+' ? 1 : 0), "endraw");
      if (end == std::string::npos) continue;
      if (source_.compare(end, 3, "-%}") == 0) {
        end = skip_spaces(source_, end + 3);
      } else if (source_.compare(end, 3, "+%}") == 0) {
        end += 3;
      } else if (source_.compare(end, 2, "%}") == 0) {
        end += 2;
        if (options_.trim_blocks && end < source_.size() && source_[end] == '\n') ++end;
      } else {
        continue;
      }
      emit_text(control_whitespace(source_.substr(pos_, tag - pos_), sign, false), line_);
      advance_to(end);
      line_starting_ = source_[end - 1] == '\n';
      return true;
    }
    fail(start_line, "missing end of raw directive");
  }

  void emit_text(const std::string& text, int line) {
    if (!text.empty()) tokens_.push_back({TokenKind::kText, text, line});
  }

  void lex_comment() {
    const int start_line = line_;
    const std::size_t end = source_.find("#}", pos_);
    if (end == std::string::npos) fail(start_line, "missing end of comment tag");
    const char sign = end > pos_ ? source_[end - 1] : '\0';
    std::size_t after = end + 2;
    if (sign == '-') {
      after = skip_spaces(source_, after);
    } else if (sign != '+' && options_.trim_blocks && after < source_.size() && source_[after] == '\n') {
      ++after;
    }
    advance_to(after);
    line_starting_ = after > 0 && source_[after - 1] == '\n';
  }

  // The inside of {{ ... }} or {% ... %}: names, literals and operators up to the end marker,
  // which only counts while brackets are balanced (a dict literal's `}}` is not an end).
  void lex_expression_tag(bool variable) {
    const int start_line = line_;
    tokens_.push_back({variable ? TokenKind::kVariableBegin : TokenKind::kBlockBegin, "", line_});
    std::vector<char> brackets;
    while (true) {
      advance_to(skip_spaces(source_, pos_));
      if (pos_ >= source_.size()) fail(start_line, variable ? "unclosed '{{'" : "unclosed '{%'");
      if (brackets.empty() && lex_tag_end(variable)) return;
      lex_expression_token(brackets);
    }
  }

  bool lex_tag_end(bool variable) {
    const std::string end = variable ? "}}" : "%}";
    std::size_t after = 0;
    if (source_.compare(pos_, 3, "-" + end) == 0) {
      after = skip_spaces(source_, pos_ + 3);
    } else if (!variable && source_.compare(pos_, 3, "+" + end) == 0) {
      after = pos_ + 3;
    } else if (source_.compare(pos_, 2, end) == 0) {
      after = pos_ + 2;
      if (!variable && options_.trim_blocks && after < source_.size() && source_[after] == '\n') ++after;
    } else {
      return false;
    }
    tokens_.push_back({variable ? TokenKind::kVariableEnd : TokenKind::kBlockEnd, "", line_});
    advance_to(after);
    line_starting_ = source_[after - 1] == '\n';
    return true;
  }

  void lex_expression_token(std::vector<char>& brackets) {
    const char c = source_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t end = pos_;
      while (end < source_.size() && (std::isalnum(static_cast<unsigned char>(source_[end])) || source_[end] == '_')) {
        ++end;
      }
      push(TokenKind::kName, source_.substr(pos_, end - pos_), end);
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      lex_number();
    } else if (c == '\'' || c == '"') {
      lex_string(c);
    } else {
      lex_operator(brackets);
    }
  }

  void lex_number() {
    std::size_t end = pos_;
    auto digits = [&] {
      while (end < source_.size() && (std::isdigit(static_cast<unsigned char>(source_[end])) || source_[end] == '_')) {
        ++end;
      }
    };
    digits();
    bool is_float = false;
    if (end + 1 < source_.size() && source_[end] == '.' && std::isdigit(static_cast<unsigned char>(source_[end + 1]))) {
      ++end;
      digits();
      is_float = true;
    }
    if (end < source_.size() && (source_[end] == 'e' || source_[end] == 'E')) {
      std::size_t exponent = end + 1;
      if (exponent < source_.size() && (source_[exponent] == '+' || source_[exponent] == '-')) ++exponent;
      if (exponent < source_.size() && std::isdigit(static_cast<unsigned char>(source_[exponent]))) {
        end = exponent;
        digits();
        is_float = true;
      }
    }
    std::string text;
    for (std::size_t i = pos_; i < end; ++i) {
      if (source_[i] != '_') text += source_[i];
    }
    push(is_float ? TokenKind::kFloat : TokenKind::kInteger, text, end);
  }

  void lex_string(char quote) {
    std::size_t end = pos_ + 1;
    while (end < source_.size() && source_[end] != quote) end += source_[end] == '\\' ? 2 : 1;
    if (end >= source_.size()) fail(line_, "unterminated string literal");
    const std::string body = source_.substr(pos_ + 1, end - pos_ - 1);
    push(TokenKind::kString, decode_string_literal(body, line_), end + 1);
  }

  void lex_operator(std::vector<char>& brackets) {
    static const char* const kOperators[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[",
                                             "]",  "(",  ")",  "{",  "}",  ">",  "<", "=", ".", ":", "|", ",", ";"};
    for (const char* op : kOperators) {
      const std::string_view candidate(op);
      if (source_.compare(pos_, candidate.size(), candidate) != 0) continue;
      const char c = candidate[0];
      if (c == '(' || c == '[' || c == '{') {
        brackets.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
      } else if (c == ')' || c == ']' || c == '}') {
        if (brackets.empty()) fail(line_, std::string("unexpected '") + c + "'");
        if (brackets.back() != c)
          fail(line_, std::string("unexpected '") + c + "', expected '" + brackets.back() + "'");
        brackets.pop_back();
      }
      push(TokenKind::kOperator, std::string(candidate), pos_ + candidate.size());
      return;
    }
    fail(line_, std::string("unexpected character '") + source_[pos_] + "'");
  }

  void push(TokenKind kind, std::string text, std::size_t end) {
    tokens_.push_back({kind, std::move(text), line_});
    advance_to(end);
  }

  std::string source_;
  LexerOptions options_;
  std::size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, const LexerOptions& options) {
  return Lexer(source, options).run();
}

}  // namespace forensics::jinja
