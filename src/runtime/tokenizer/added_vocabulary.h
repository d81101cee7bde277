// runtime/tokenizer (internal): added and special tokens, found in the text before the model
// runs, with the reference's matching rules (leftmost-longest; single_word, lstrip, rstrip;
// normalized tokens matched after normalization).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "components.h"

namespace forensics::runtime::tokenizer_detail {

struct AddedToken {
  std::string content;
  std::uint32_t id = 0;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = false;
  std::string pattern;  // content, or its normalized form: what is matched, and how it decodes
};

/// A piece of the input: either an added token (with its id) or text for the model.
struct Piece {
  NormalizedString text;
  std::optional<std::uint32_t> added_id;
};

class AddedVocabulary {
 public:
  /// Reads `added_tokens` and assigns ids as the reference does: a token already in the model's
  /// vocabulary keeps the model's id, others take ids after the model's.
  void load(const Json& tokens, const Model& model, const Normalizer* normalizer);

  /// Splits `input` around added tokens and normalizes the other pieces.
  std::vector<Piece> extract_and_normalize(std::string_view input, const Normalizer* normalizer) const;

  const AddedToken* find_id(std::uint32_t id) const;
  std::optional<std::uint32_t> find_content(std::string_view content) const;
  std::size_t size() const { return tokens_.size(); }
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  struct Match {
    std::size_t begin;
    std::size_t end;
    const AddedToken* token;
  };
  void split(Piece piece, bool normalized_pass, std::vector<Piece>& out) const;
  std::vector<Match> find_matches(const std::string& text, bool normalized_pass) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<std::string, std::size_t> by_content_;
  std::unordered_map<std::uint32_t, std::size_t> by_id_;
  // Candidates by first byte of their pattern, longest first, per pass.
  std::vector<const AddedToken*> by_first_byte_[2][256];
};

}  // namespace forensics::runtime::tokenizer_detail
