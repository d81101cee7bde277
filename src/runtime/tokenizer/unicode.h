// runtime/tokenizer (internal): UTF-8 and the Unicode properties the tokenizer needs, defined
// as the reference (Hugging Face `tokenizers`, Rust) defines them, on utf8proc's tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace forensics::runtime::unicode {

/// Decodes the code point at `text[pos]` of valid UTF-8 and its byte length.
char32_t decode_at(std::string_view text, std::size_t pos, std::size_t* length);
/// Byte length of the UTF-8 sequence whose lead byte is `lead` (valid UTF-8 assumed).
inline std::size_t sequence_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}
void append_utf8(std::string& out, char32_t code_point);

/// The byte offset of the first invalid UTF-8 sequence, or npos when `text` is valid.
std::size_t find_invalid_utf8(std::string_view text);

/// Bytes to text, invalid sequences replaced by U+FFFD, one per maximal ill-formed subpart
/// (Rust's String::from_utf8_lossy, which the byte-level decoder uses).
std::string from_utf8_lossy(std::string_view bytes);

/// The reference's character classes, exactly (tables measured from it):
/// Rust char::is_whitespace (White_Space), as WhitespaceSplit and Strip use it.
bool is_whitespace(char32_t c);
/// Rust char::is_numeric (Nd, Nl, No), as Digits uses it.
bool is_numeric(char32_t c);
/// The Punctuation pre-tokenizer's class: ASCII punctuation or P* in its (old) Unicode table.
bool is_punctuation(char32_t c);
/// Rust regex `\w`, as the Whitespace pre-tokenizer and single-word added tokens use it.
bool is_word_char(char32_t c);

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };

/// Unicode normalization of valid UTF-8.
std::string normalize(std::string_view text, NormalForm form);

/// Rust char::to_lowercase for every character (full mappings, e.g. U+0130 -> "i\u0307").
std::string to_lower(std::string_view text);

/// Byte offsets where extended grapheme clusters start, plus text.size() at the end.
/// Normalization never combines across clusters, so it can be applied cluster by cluster.
std::vector<std::size_t> grapheme_boundaries(std::string_view text);

}  // namespace forensics::runtime::unicode
