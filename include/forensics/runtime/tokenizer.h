// runtime: tokenizers from Hugging Face `tokenizer.json` files, token for token equal to the
// `tokenizers` library (the reference). Torch-free: it builds and tests without libtorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forensics/util/error.h"

namespace forensics::runtime {

/// A tokenizer.json (or tokenizer_config.json) that is malformed or uses a component this
/// implementation does not support. The message names the component's JSON path.
class TokenizerError : public ModelError {
 public:
  using ModelError::ModelError;
};

struct Encoding {
  std::vector<std::uint32_t> ids;
  std::vector<std::string> tokens;  // the vocabulary strings of the ids
  /// Byte range [first, second) of the input each token came from; (0, 0) for special tokens
  /// the post-processor added.
  std::vector<std::pair<std::size_t, std::size_t>> offsets;
};

/// Named special tokens from tokenizer_config.json (absent when not configured).
struct SpecialTokenNames {
  std::optional<std::string> bos;
  std::optional<std::string> eos;
  std::optional<std::string> pad;
  std::optional<std::string> unk;
};

class Tokenizer {
 public:
  /// From a model directory (its tokenizer.json and, when present, tokenizer_config.json) or a
  /// tokenizer.json path. Throws TokenizerError (bad or unsupported file) or ModelError (I/O).
  static Tokenizer from_path(const std::filesystem::path& path);
  /// From tokenizer.json text; `config_json` is tokenizer_config.json text or empty.
  static Tokenizer from_json(std::string_view tokenizer_json, std::string_view config_json,
                             const std::string& source_name);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  /// Throws InputError naming the byte offset when `text` is not valid UTF-8: text is never
  /// silently changed before it reaches the model.
  Encoding encode(std::string_view text, bool add_special_tokens) const;
  /// Unknown ids are skipped, as the reference does.
  std::string decode(const std::vector<std::uint32_t>& ids, bool skip_special_tokens) const;

  /// `text` as the model's input ids, without special tokens added: chat markup is already in
  /// the text. Throws as encode.
  std::vector<std::int64_t> model_ids(std::string_view text) const;
  /// Model ids back to text, special tokens kept (ids outside [0, 2^32) are skipped, like
  /// unknown ones).
  std::string decode_model_ids(const std::vector<std::int64_t>& ids) const;

  std::optional<std::uint32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(std::uint32_t id) const;
  bool is_special(std::uint32_t id) const;
  /// Size of the vocabulary including added tokens.
  std::size_t vocab_size() const;
  /// One past the largest id it can produce, added tokens included: the model's embedding must
  /// have at least this many rows.
  std::size_t id_bound() const;
  const SpecialTokenNames& special_token_names() const;
  /// `sha256:...` over the tokenizer.json bytes and the ids of a fixed tricky string, so a
  /// verdict records exactly which tokenization it was computed with.
  const std::string& fingerprint() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace forensics::runtime
