// Reading component configurations, patterns, and the byte-level alphabet.
#include <array>

#include "components.h"
#include "forensics/util/json_document.h"

namespace forensics::runtime::tokenizer_detail {

ConfigReader::ConfigReader(const Json& value, std::string path) : value_(value), path_(std::move(path)) {
  if (!value_.is_object()) fail("expected object, got " + util::json_type_name(value_));
}

void ConfigReader::fail(const std::string& message) const {
  throw TokenizerError("tokenizer.json: " + path_ + ": " + message);
}

void ConfigReader::fail_at(const char* key, const std::string& message) const {
  throw TokenizerError("tokenizer.json: " + path_ + "." + key + ": " + message);
}

bool ConfigReader::has(const char* key) const { return value_.contains(key) && !value_.at(key).is_null(); }

const Json& ConfigReader::at(const char* key) const {
  if (!has(key)) fail_at(key, "missing");
  return value_.at(key);
}

std::string ConfigReader::type() const { return string("type"); }

std::string ConfigReader::string(const char* key) const {
  const Json& value = at(key);
  if (!value.is_string()) fail_at(key, "expected string, got " + util::json_type_name(value));
  return value.get<std::string>();
}

std::string ConfigReader::string_or(const char* key, std::string fallback) const {
  return has(key) ? string(key) : fallback;
}

bool ConfigReader::boolean_or(const char* key, bool fallback) const {
  if (!has(key)) return fallback;
  const Json& value = at(key);
  if (!value.is_boolean()) fail_at(key, "expected boolean, got " + util::json_type_name(value));
  return value.get<bool>();
}

std::int64_t ConfigReader::integer_or(const char* key, std::int64_t fallback) const {
  if (!has(key)) return fallback;
  const Json& value = at(key);
  if (!value.is_number_integer()) fail_at(key, "expected integer, got " + util::json_type_name(value));
  return value.get<std::int64_t>();
}

ConfigReader ConfigReader::child(const char* key) const { return ConfigReader(at(key), path_ + "." + key); }

ConfigReader ConfigReader::element(const Json& value, std::size_t index, const char* key) const {
  return ConfigReader(value, path_ + "." + key + "[" + std::to_string(index) + "]");
}

Pattern Pattern::from_config(const ConfigReader& config, const char* key) {
  const ConfigReader pattern = config.child(key);
  Pattern out;
  if (pattern.has("String")) {
    out.literal_ = pattern.string("String");
    if (out.literal_.empty()) pattern.fail("an empty String pattern matches nothing");
  } else if (pattern.has("Regex")) {
    try {
      out.regex_ = std::make_shared<util::Regex>(pattern.string("Regex"),
                                                 util::RegexOptions{false, util::RegexSyntax::kOniguruma});
    } catch (const util::RegexError& e) {
      pattern.fail_at("Regex", std::string("does not compile: ") + e.what());
    }
  } else {
    pattern.fail("expected {\"String\": ...} or {\"Regex\": ...}");
  }
  return out;
}

Pattern Pattern::literal(std::string text) {
  Pattern out;
  out.literal_ = std::move(text);
  return out;
}

std::vector<PatternPiece> Pattern::find(std::string_view text) const {
  std::vector<PatternPiece> pieces;
  if (text.empty()) return {{0, 0, false}};
  std::size_t last = 0;
  auto add_match = [&](std::size_t begin, std::size_t end) {
    if (last != begin) pieces.push_back({last, begin, false});
    pieces.push_back({begin, end, true});
    last = end;
  };
  if (regex_) {
    for (const auto& match : regex_->find_all(text)) add_match(match.begin, match.end);
  } else {
    for (auto at = text.find(literal_); at != std::string_view::npos; at = text.find(literal_, at + literal_.size())) {
      add_match(at, at + literal_.size());
    }
  }
  if (last != text.size()) pieces.push_back({last, text.size(), false});
  return pieces;
}

namespace {

// GPT-2's map: printable bytes stand for themselves, the other 68 bytes, in order, for
// U+0100 onwards, so every byte has a visible, non-space character (docs/formats.md, "tokenizer.json").
struct ByteAlphabet {
  std::array<std::string, 256> utf8;
  std::array<char32_t, 256> code_points{};
  ByteAlphabet() {
    int next = 0;
    for (int byte = 0; byte < 256; ++byte) {
      const bool printable =
          (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
      code_points[byte] = printable ? static_cast<char32_t>(byte) : static_cast<char32_t>(256 + next++);
      unicode::append_utf8(utf8[byte], code_points[byte]);
    }
  }
};

const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

}  // namespace

const std::string& byte_to_char_utf8(unsigned char byte) { return byte_alphabet().utf8[byte]; }

std::optional<unsigned char> char_to_byte(char32_t c) {
  if ((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF)) {
    return static_cast<unsigned char>(c);
  }
  if (c >= 256 && c < 256 + 68) {
    const auto& points = byte_alphabet().code_points;
    for (int byte = 0; byte < 256; ++byte) {
      if (points[byte] == c) return static_cast<unsigned char>(byte);
    }
  }
  return std::nullopt;
}

}  // namespace forensics::runtime::tokenizer_detail
