#include "added_vocabulary.h"

#include <algorithm>

namespace forensics::runtime::tokenizer_detail {
namespace {

// The reference tests these with Rust regex `\w` and `\s` at the edges of the match.
bool ends_with_word(std::string_view text) {
  if (text.empty()) return false;
  std::size_t start = text.size() - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  std::size_t length = 0;
  return unicode::is_word_char(unicode::decode_at(text, start, &length));
}

bool starts_with_word(std::string_view text) {
  if (text.empty()) return false;
  std::size_t length = 0;
  return unicode::is_word_char(unicode::decode_at(text, 0, &length));
}

std::size_t whitespace_run_before(std::string_view text, std::size_t end) {
  std::size_t start = end;
  while (start > 0) {
    std::size_t lead = start - 1;
    while (lead > 0 && (static_cast<unsigned char>(text[lead]) & 0xC0) == 0x80) --lead;
    std::size_t length = 0;
    if (!unicode::is_whitespace(unicode::decode_at(text, lead, &length))) break;
    start = lead;
  }
  return start;
}

std::size_t whitespace_run_after(std::string_view text, std::size_t begin) {
  std::size_t end = begin;
  while (end < text.size()) {
    std::size_t length = 0;
    if (!unicode::is_whitespace(unicode::decode_at(text, end, &length))) break;
    end += length;
  }
  return end;
}

bool flag(const ConfigReader& token, const char* key, bool fallback) { return token.boolean_or(key, fallback); }

}  // namespace

void AddedVocabulary::load(const Json& tokens, const Model& model, const Normalizer* normalizer) {
  if (!tokens.is_array()) throw TokenizerError("tokenizer.json: added_tokens: expected an array");
  std::optional<std::uint32_t> max_added;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const ConfigReader config(tokens[i], "added_tokens[" + std::to_string(i) + "]");
    AddedToken token;
    token.content = config.string("content");
    if (token.content.empty()) continue;  // the reference ignores empty tokens
    token.special = flag(config, "special", false);
    token.single_word = flag(config, "single_word", false);
    token.lstrip = flag(config, "lstrip", false);
    token.rstrip = flag(config, "rstrip", false);
    token.normalized = flag(config, "normalized", !token.special);

    if (auto existing = find_content(token.content)) {
      token.id = *existing;
    } else if (auto in_model = model.token_to_id(token.content)) {
      token.id = *in_model;
    } else {
      const auto vocab_size = static_cast<std::uint32_t>(model.vocab_size());
      token.id = !max_added ? vocab_size : (*max_added >= vocab_size || vocab_size == 0) ? *max_added + 1 : vocab_size;
    }
    max_added = max_added ? std::max(*max_added, token.id) : token.id;
    token.pattern = token.content;
    if (token.normalized && normalizer != nullptr) {
      NormalizedString normalized(token.content, 0);
      normalizer->normalize(normalized);
      token.pattern = normalized.get();
    }
    const auto known = by_content_.find(token.content);
    if (known != by_content_.end()) {
      tokens_[known->second] = token;  // a repeated token replaces the earlier definition
    } else {
      by_content_.emplace(token.content, tokens_.size());
      tokens_.push_back(token);
    }
  }
  for (std::size_t i = 0; i < tokens_.size(); ++i) by_id_[tokens_[i].id] = i;
  for (const auto& token : tokens_) {
    if (token.pattern.empty()) continue;
    by_first_byte_[token.normalized ? 1 : 0][static_cast<unsigned char>(token.pattern[0])].push_back(&token);
  }
  for (auto& pass : by_first_byte_) {
    for (auto& candidates : pass) {
      std::stable_sort(candidates.begin(), candidates.end(),
                       [](const auto* a, const auto* b) { return a->pattern.size() > b->pattern.size(); });
    }
  }
}

const AddedToken* AddedVocabulary::find_id(std::uint32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<std::uint32_t> AddedVocabulary::find_content(std::string_view content) const {
  const auto it = by_content_.find(std::string(content));
  if (it == by_content_.end()) return std::nullopt;
  return tokens_[it->second].id;
}

// Leftmost-longest, non-overlapping, then the reference's filters: a single_word token that
// touches a word character is dropped (and its text stays ordinary text).
std::vector<AddedVocabulary::Match> AddedVocabulary::find_matches(const std::string& text, bool normalized_pass) const {
  std::vector<Match> matches;
  const auto& table = by_first_byte_[normalized_pass ? 1 : 0];
  std::size_t pos = 0;
  while (pos < text.size()) {
    const AddedToken* found = nullptr;
    for (const AddedToken* candidate : table[static_cast<unsigned char>(text[pos])]) {
      if (text.compare(pos, candidate->pattern.size(), candidate->pattern) == 0) {
        found = candidate;
        break;
      }
    }
    if (found == nullptr) {
      ++pos;
      continue;
    }
    matches.push_back({pos, pos + found->pattern.size(), found});
    pos += found->pattern.size();
  }
  return matches;
}

void AddedVocabulary::split(Piece piece, bool normalized_pass, std::vector<Piece>& out) const {
  const std::string& text = piece.text.get();
  std::size_t start_offset = 0;
  for (const Match& match : find_matches(text, normalized_pass)) {
    std::size_t begin = match.begin;
    std::size_t end = match.end;
    const AddedToken& token = *match.token;
    if (token.single_word) {
      const bool space_before = begin == 0 || !ends_with_word(std::string_view(text).substr(0, begin));
      const bool space_after = end == text.size() || !starts_with_word(std::string_view(text).substr(end));
      if (!space_before || !space_after) continue;
    }
    if (token.lstrip) begin = std::max(whitespace_run_before(text, begin), start_offset);
    if (token.rstrip) end = whitespace_run_after(text, end);
    if (start_offset < begin) out.push_back({piece.text.slice(start_offset, begin), std::nullopt});
    out.push_back({piece.text.slice(begin, end), token.id});
    start_offset = end;
  }
  if (start_offset < text.size() || (start_offset == 0 && text.empty())) {
    out.push_back({piece.text.slice(start_offset, text.size()), std::nullopt});
  }
}

std::vector<Piece> AddedVocabulary::extract_and_normalize(std::string_view input, const Normalizer* normalizer) const {
  std::vector<Piece> raw;
  split({NormalizedString(input, 0), std::nullopt}, false, raw);
  std::vector<Piece> out;
  for (auto& piece : raw) {
    if (piece.text.empty() && !piece.added_id) continue;
    if (piece.added_id) {
      out.push_back(std::move(piece));
      continue;
    }
    if (normalizer != nullptr) normalizer->normalize(piece.text);
    std::vector<Piece> parts;
    split(std::move(piece), true, parts);
    for (auto& part : parts) {
      if (!part.text.empty() || part.added_id) out.push_back(std::move(part));
    }
  }
  return out;
}

}  // namespace forensics::runtime::tokenizer_detail
