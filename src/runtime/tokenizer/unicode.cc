#include "unicode.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <utility>

#include <utf8proc.h>

#include "forensics/util/error.h"

namespace forensics::runtime::unicode {

char32_t decode_at(std::string_view text, std::size_t pos, std::size_t* length) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char lead = bytes[pos];
  const std::size_t n = sequence_length(lead);
  *length = n;
  switch (n) {
    case 1: return lead;
    case 2: return ((lead & 0x1Fu) << 6) | (bytes[pos + 1] & 0x3Fu);
    case 3: return ((lead & 0x0Fu) << 12) | ((bytes[pos + 1] & 0x3Fu) << 6) | (bytes[pos + 2] & 0x3Fu);
    default:
      return ((lead & 0x07u) << 18) | ((bytes[pos + 1] & 0x3Fu) << 12) | ((bytes[pos + 2] & 0x3Fu) << 6) |
             (bytes[pos + 3] & 0x3Fu);
  }
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

namespace {

// Length of the well-formed prefix of the sequence at `pos` (Unicode Table 3-7), and whether it
// is complete. An ill-formed sequence is replaced as a whole "maximal subpart".
std::size_t valid_prefix(const unsigned char* s, std::size_t size, std::size_t pos, bool* complete) {
  const unsigned char lead = s[pos];
  *complete = false;
  std::size_t need = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (lead < 0x80) {
    *complete = true;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 1;  // never a lead byte
  }
  std::size_t i = 1;
  for (; i <= need; ++i) {
    if (pos + i >= size) return i;
    const unsigned char b = s[pos + i];
    const unsigned char lo = i == 1 ? low : 0x80;
    const unsigned char hi = i == 1 ? high : 0xBF;
    if (b < lo || b > hi) return i;
  }
  *complete = true;
  return need + 1;
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (s[pos] < 0x80) {
      ++pos;
      continue;
    }
    bool complete = false;
    const std::size_t n = valid_prefix(s, text.size(), pos, &complete);
    if (!complete) return pos;
    pos += n;
  }
  return std::string_view::npos;
}

std::string from_utf8_lossy(std::string_view bytes) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  std::string out;
  out.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    bool complete = false;
    const std::size_t n = valid_prefix(s, bytes.size(), pos, &complete);
    if (complete) {
      out.append(bytes.substr(pos, n));
    } else {
      out += "\xEF\xBF\xBD";
    }
    pos += n;
  }
  return out;
}

namespace {

#include "unicode_tables.inc"

template <std::size_t N>
bool in_ranges(const std::pair<char32_t, char32_t> (&ranges)[N], char32_t c) {
  const auto* it = std::upper_bound(std::begin(ranges), std::end(ranges), c,
                                    [](char32_t value, const auto& range) { return value < range.first; });
  return it != std::begin(ranges) && c <= (it - 1)->second;
}

}  // namespace

// Outside ASCII, the classes come from tables measured from the reference library
// (scripts/make_unicode_tables.py): its Rust crates carry their own Unicode versions, and its
// Punctuation class in particular predates years of Unicode additions.
bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return in_ranges(kWhitespaceRanges, c);
}

bool is_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return in_ranges(kNumericRanges, c);
}

bool is_punctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
  }
  return in_ranges(kPunctuationRanges, c);
}

bool is_word_char(char32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  return in_ranges(kWordRanges, c);
}

std::string normalize(std::string_view text, NormalForm form) {
  bool ascii = true;
  for (char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return std::string(text);  // every normal form leaves ASCII alone
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::kNfc: options |= UTF8PROC_COMPOSE; break;
    case NormalForm::kNfd: options |= UTF8PROC_DECOMPOSE; break;
    case NormalForm::kNfkc: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalForm::kNfkd: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* result = nullptr;
  const auto length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()), static_cast<utf8proc_ssize_t>(text.size()),
                   &result, static_cast<utf8proc_option_t>(options));
  if (length < 0) {
    throw Error(std::string("Unicode normalization failed: ") + utf8proc_errmsg(length));
  }
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(result, &std::free);
  return std::string(reinterpret_cast<const char*>(result), static_cast<std::size_t>(length));
}

std::string to_lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t length = 0;
    const char32_t c = decode_at(text, pos, &length);
    if (c < 0x80) {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else if (c == 0x130) {
      out += "i\xCC\x87";  // the one unconditional multi-character lowercase mapping
    } else {
      append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
    }
    pos += length;
  }
  return out;
}

std::vector<std::size_t> grapheme_boundaries(std::string_view text) {
  std::vector<std::size_t> out;
  utf8proc_int32_t state = 0;
  utf8proc_int32_t previous = -1;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t length = 0;
    const auto c = static_cast<utf8proc_int32_t>(decode_at(text, pos, &length));
    if (previous < 0 || utf8proc_grapheme_break_stateful(previous, c, &state)) out.push_back(pos);
    previous = c;
    pos += length;
  }
  out.push_back(text.size());
  return out;
}

}  // namespace forensics::runtime::unicode
