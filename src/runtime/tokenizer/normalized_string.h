// runtime/tokenizer (internal): a piece of text being normalized and split, which remembers,
// byte by byte, where in the original input each normalized byte came from; that is how
// token offsets point into the text the user gave.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "unicode.h"

namespace forensics::runtime {

/// A byte range [begin, end) of the original input.
struct Span {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

/// How a split treats the delimiters it finds (tokenizers' SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

/// A piece of a pattern search: a byte range of the searched text and whether it matched.
struct PatternPiece {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool is_match = false;
};

class NormalizedString {
 public:
  NormalizedString() = default;
  /// `text` is the original input's bytes [offset, offset + size), unchanged so far.
  NormalizedString(std::string_view text, std::size_t offset);

  const std::string& get() const { return text_; }
  bool empty() const { return text_.empty(); }
  /// The original range this piece covers.
  Span original() const { return original_; }
  /// The original range of the normalized bytes [begin, end).
  Span original_of(std::size_t begin, std::size_t end) const;

  /// The normalized bytes [begin, end), with their alignment.
  NormalizedString slice(std::size_t begin, std::size_t end) const;
  /// Splits by `pieces` (a cover of the text from a pattern search) under `behavior`.
  std::vector<NormalizedString> split(const std::vector<PatternPiece>& pieces, SplitBehavior behavior) const;

  /// Replaces every character by `map(c, out)`'s output; each output byte keeps the input
  /// character's origin. `map` appends to `out`.
  template <class Map>
  void map_chars(Map map);
  /// Prepends `text`, aligned to the first character's origin.
  void prepend(std::string_view text);
  /// Replaces the matched ranges of `pieces` by `content`; the content takes the match's origin.
  void replace(const std::vector<PatternPiece>& pieces, std::string_view content);
  void normalize(unicode::NormalForm form);
  void lowercase();
  /// Removes leading and/or trailing Unicode whitespace.
  void strip(bool left, bool right);

 private:
  void append(std::string_view bytes, Span origin);

  std::string text_;
  std::vector<Span> alignment_;  // one entry per byte of text_
  Span original_;
};

template <class Map>
void NormalizedString::map_chars(Map map) {
  std::string text;
  std::vector<Span> alignment;
  text.reserve(text_.size());
  alignment.reserve(text_.size());
  std::string out;
  for (std::size_t pos = 0; pos < text_.size();) {
    std::size_t length = 0;
    const char32_t c = unicode::decode_at(text_, pos, &length);
    out.clear();
    map(c, std::string_view(text_).substr(pos, length), out);
    const Span origin = original_of(pos, pos + length);
    text += out;
    alignment.insert(alignment.end(), out.size(), origin);
    pos += length;
  }
  text_ = std::move(text);
  alignment_ = std::move(alignment);
}

}  // namespace forensics::runtime
