#include "forensics/import/lenient_json.h"

#include <array>

#include "forensics/util/json_document.h"

namespace forensics::import {

namespace {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string replace_python_non_finite(std::string_view text) {
  static constexpr std::array<std::string_view, 3> kTokens{"-Infinity", "Infinity", "NaN"};
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    bool replaced = false;
    for (std::string_view token : kTokens) {
      const bool starts_word = i == 0 || !is_word_char(text[i - 1]);
      const std::size_t end = i + token.size();
      const bool ends_word = end >= text.size() || !is_word_char(text[end]);
      if (starts_word && ends_word && text.compare(i, token.size(), token) == 0) {
        out += "null";
        i = end - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

Json parse_python_json(std::string_view text, const std::string& source_name) {
  return util::parse_json_strict(replace_python_non_finite(text), source_name);
}

}  // namespace forensics::import
