// runtime/tokenizer (internal): the stages of a Hugging Face tokenizer pipeline (normalizers,
// pre-tokenizers, models, post-processors, decoders) as small classes built from their
// tokenizer.json objects. Semantics follow the `tokenizers` library, the reference.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/runtime/tokenizer.h"
#include "forensics/util/json.h"
#include "forensics/util/regex.h"
#include "normalized_string.h"

namespace forensics::runtime::tokenizer_detail {

/// Reads one component's JSON, failing with TokenizerError that names the component's path
/// (`pre_tokenizer.pretokenizers[1].pattern`).
class ConfigReader {
 public:
  ConfigReader(const Json& value, std::string path);
  const Json& value() const { return value_; }
  const std::string& path() const { return path_; }
  std::string type() const;  // the "type" field
  bool has(const char* key) const;
  const Json& at(const char* key) const;
  std::string string(const char* key) const;
  std::string string_or(const char* key, std::string fallback) const;
  bool boolean_or(const char* key, bool fallback) const;
  std::int64_t integer_or(const char* key, std::int64_t fallback) const;
  ConfigReader child(const char* key) const;
  ConfigReader element(const Json& value, std::size_t index, const char* key) const;
  [[noreturn]] void fail(const std::string& message) const;
  [[noreturn]] void fail_at(const char* key, const std::string& message) const;

 private:
  const Json& value_;
  std::string path_;
};

/// Builds one component per element of the array `key` (a Sequence's children) with `make`.
template <class Component, class Make>
std::vector<std::unique_ptr<Component>> make_each(const ConfigReader& config, const char* key, Make make) {
  const Json& list = config.at(key);
  if (!list.is_array()) config.fail_at(key, "expected array");
  std::vector<std::unique_ptr<Component>> out;
  for (std::size_t i = 0; i < list.size(); ++i) out.push_back(make(config.element(list[i], i, key)));
  return out;
}

/// A literal string or an Oniguruma regex, as `{"String": ...}` or `{"Regex": ...}`.
class Pattern {
 public:
  static Pattern from_config(const ConfigReader& config, const char* key);
  static Pattern literal(std::string text);
  /// A cover of `text`: alternating unmatched and matched pieces, as tokenizers' find_matches.
  std::vector<PatternPiece> find(std::string_view text) const;

 private:
  std::string literal_;
  std::shared_ptr<util::Regex> regex_;
};

/// Pieces of `text` where every character satisfying `predicate` is its own match.
template <class Predicate>
std::vector<PatternPiece> find_chars(std::string_view text, Predicate predicate) {
  std::vector<PatternPiece> pieces;
  std::size_t last = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t length = 0;
    const char32_t c = unicode::decode_at(text, pos, &length);
    if (predicate(c)) {
      if (last < pos) pieces.push_back({last, pos, false});
      pieces.push_back({pos, pos + length, true});
      last = pos + length;
    }
    pos += length;
  }
  if (last < text.size() || pieces.empty()) pieces.push_back({last, text.size(), false});
  return pieces;
}

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString& text) const = 0;
};
std::unique_ptr<Normalizer> make_normalizer(const ConfigReader& config);

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  /// Splits one piece; empty outputs are dropped by the caller.
  virtual void split(NormalizedString piece, std::vector<NormalizedString>& out) const = 0;
};
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const ConfigReader& config);

/// A token a model produced: its id and its byte range within the piece it was given.
struct ModelToken {
  std::uint32_t id = 0;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual void tokenize(std::string_view piece, std::vector<ModelToken>& out) const = 0;
  virtual std::optional<std::uint32_t> token_to_id(std::string_view token) const = 0;
  virtual const std::string* id_to_token(std::uint32_t id) const = 0;
  virtual std::size_t vocab_size() const = 0;
  /// One past the largest id (ids may be sparse).
  virtual std::size_t id_bound() const = 0;
};
std::unique_ptr<Model> make_model(const ConfigReader& config);

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(Encoding& encoding, bool add_special_tokens) const = 0;
};
std::unique_ptr<PostProcessor> make_post_processor(const ConfigReader& config);

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};
std::unique_ptr<Decoder> make_decoder(const ConfigReader& config);

/// The 256 byte <-> character map of byte-level BPE (GPT-2).
const std::string& byte_to_char_utf8(unsigned char byte);
std::optional<unsigned char> char_to_byte(char32_t c);

}  // namespace forensics::runtime::tokenizer_detail
