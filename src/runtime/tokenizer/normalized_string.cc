#include "normalized_string.h"

#include <algorithm>

namespace forensics::runtime {

NormalizedString::NormalizedString(std::string_view text, std::size_t offset)
    : text_(text), original_{static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(offset + text.size())} {
  alignment_.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto at = static_cast<std::uint32_t>(offset + i);
    alignment_.push_back({at, at + 1});
  }
}

Span NormalizedString::original_of(std::size_t begin, std::size_t end) const {
  if (alignment_.empty()) return {original_.begin, original_.begin};
  if (begin >= alignment_.size()) return {original_.end, original_.end};
  if (end <= begin) return {alignment_[begin].begin, alignment_[begin].begin};
  return {alignment_[begin].begin, alignment_[end - 1].end};
}

NormalizedString NormalizedString::slice(std::size_t begin, std::size_t end) const {
  NormalizedString out;
  out.text_ = text_.substr(begin, end - begin);
  out.alignment_.assign(alignment_.begin() + static_cast<std::ptrdiff_t>(begin),
                        alignment_.begin() + static_cast<std::ptrdiff_t>(end));
  out.original_ = original_of(begin, end);
  return out;
}

std::vector<NormalizedString> NormalizedString::split(const std::vector<PatternPiece>& pieces,
                                                      SplitBehavior behavior) const {
  // Ranges to keep, after merging delimiters into neighbours as the behaviour says.
  std::vector<std::pair<std::size_t, std::size_t>> keep;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (const auto& piece : pieces) {
        if (!piece.is_match) keep.emplace_back(piece.begin, piece.end);
      }
      break;
    case SplitBehavior::kIsolated:
      for (const auto& piece : pieces) keep.emplace_back(piece.begin, piece.end);
      break;
    case SplitBehavior::kContiguous:
      for (const auto& piece : pieces) {
        if (piece.is_match == previous_match && !keep.empty()) {
          keep.back().second = piece.end;
        } else {
          keep.emplace_back(piece.begin, piece.end);
        }
        previous_match = piece.is_match;
      }
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const auto& piece : pieces) {
        if (piece.is_match && !previous_match && !keep.empty()) {
          keep.back().second = piece.end;
        } else {
          keep.emplace_back(piece.begin, piece.end);
        }
        previous_match = piece.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
        if (it->is_match && !previous_match && !keep.empty()) {
          keep.back().first = it->begin;
        } else {
          keep.emplace_back(it->begin, it->end);
        }
        previous_match = it->is_match;
      }
      std::reverse(keep.begin(), keep.end());
      break;
  }
  std::vector<NormalizedString> out;
  out.reserve(keep.size());
  for (const auto& [begin, end] : keep) out.push_back(slice(begin, end));
  return out;
}

void NormalizedString::append(std::string_view bytes, Span origin) {
  text_.append(bytes);
  alignment_.insert(alignment_.end(), bytes.size(), origin);
}

void NormalizedString::prepend(std::string_view text) {
  if (text_.empty()) return;
  std::size_t first_length = 0;
  unicode::decode_at(text_, 0, &first_length);
  const Span origin = original_of(0, first_length);
  text_.insert(0, text);
  alignment_.insert(alignment_.begin(), text.size(), origin);
}

void NormalizedString::replace(const std::vector<PatternPiece>& pieces, std::string_view content) {
  NormalizedString out;
  out.original_ = original_;
  out.text_.reserve(text_.size());
  out.alignment_.reserve(text_.size());
  for (const auto& piece : pieces) {
    if (piece.is_match) {
      out.append(content, original_of(piece.begin, piece.end));
    } else {
      out.text_.append(text_, piece.begin, piece.end - piece.begin);
      out.alignment_.insert(out.alignment_.end(), alignment_.begin() + static_cast<std::ptrdiff_t>(piece.begin),
                            alignment_.begin() + static_cast<std::ptrdiff_t>(piece.end));
    }
  }
  *this = std::move(out);
}

void NormalizedString::normalize(unicode::NormalForm form) {
  bool ascii = true;
  for (char c : text_) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return;
  // Cluster by cluster, so each normalized cluster keeps its cluster's origin. Compatibility
  // mappings can make separate clusters compose (NFKC turns compatibility jamo into conjoining
  // jamo, which then form one syllable), so the result must equal normalizing the whole text;
  // when it does not, the whole piece becomes one aligned segment.
  const std::string whole = unicode::normalize(text_, form);
  const auto boundaries = unicode::grapheme_boundaries(text_);
  NormalizedString out;
  out.original_ = original_;
  for (std::size_t i = 0; i + 1 < boundaries.size(); ++i) {
    const std::size_t begin = boundaries[i];
    const std::size_t end = boundaries[i + 1];
    const std::string_view cluster = std::string_view(text_).substr(begin, end - begin);
    const bool cluster_ascii = end - begin == 1 && static_cast<unsigned char>(cluster[0]) < 0x80;
    if (cluster_ascii) {
      out.text_ += cluster[0];
      out.alignment_.push_back(alignment_[begin]);
      continue;
    }
    const std::string normalized = unicode::normalize(cluster, form);
    if (normalized == cluster) {
      out.text_.append(cluster);
      out.alignment_.insert(out.alignment_.end(), alignment_.begin() + static_cast<std::ptrdiff_t>(begin),
                            alignment_.begin() + static_cast<std::ptrdiff_t>(end));
    } else {
      out.append(normalized, original_of(begin, end));
    }
  }
  if (out.text_ != whole) {
    out.text_.clear();
    out.alignment_.clear();
    out.append(whole, original_);
  }
  *this = std::move(out);
}

void NormalizedString::lowercase() {
  map_chars([](char32_t c, std::string_view bytes, std::string& out) {
    if (c < 0x80) {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else {
      out += unicode::to_lower(bytes);
    }
  });
}

void NormalizedString::strip(bool left, bool right) {
  std::size_t begin = 0;
  std::size_t end = text_.size();
  if (left) {
    while (begin < end) {
      std::size_t length = 0;
      if (!unicode::is_whitespace(unicode::decode_at(text_, begin, &length))) break;
      begin += length;
    }
  }
  if (right) {
    while (end > begin) {
      std::size_t start = end - 1;
      while (start > begin && (static_cast<unsigned char>(text_[start]) & 0xC0) == 0x80) --start;
      std::size_t length = 0;
      if (!unicode::is_whitespace(unicode::decode_at(text_, start, &length))) break;
      end = start;
    }
  }
  if (begin == 0 && end == text_.size()) return;
  const Span kept_original = original_;
  *this = slice(begin, end);
  if (text_.empty()) original_ = {kept_original.begin, kept_original.begin};
}

}  // namespace forensics::runtime
