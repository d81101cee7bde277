#include "python_text.h"

#include <algorithm>

#include <utf8proc.h>

namespace forensics::jinja {
namespace {

bool is_cased(std::int32_t code_point) {
  const auto category = utf8proc_category(code_point);
  return category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL || category == UTF8PROC_CATEGORY_LT;
}

// Python maps a few characters to several (Unicode's SpecialCasing.txt): the Latin ones here;
// Greek with iota subscript and Armenian ligatures keep utf8proc's single mapping.
struct SpecialCase {
  std::int32_t code_point;
  const char* upper;
  const char* title;
  const char* lower;
};
constexpr SpecialCase kSpecialCases[] = {
    {0x00DF, "SS", "Ss", nullptr},            // ß
    {0x0130, nullptr, nullptr, "i\u0307"},    // İ
    {0x0149, "\u02BCN", "\u02BCN", nullptr},  // ŉ
    {0xFB00, "FF", "Ff", nullptr},           {0xFB01, "FI", "Fi", nullptr},   {0xFB02, "FL", "Fl", nullptr},
    {0xFB03, "FFI", "Ffi", nullptr},         {0xFB04, "FFL", "Ffl", nullptr}, {0xFB05, "ST", "St", nullptr},
    {0xFB06, "ST", "St", nullptr},
};

enum class Case { kUpper, kTitle, kLower };

// Appends the case mapping of `c`; true if a special (multi-character) mapping applied.
bool append_special_case(std::string& out, std::int32_t c, Case which) {
  for (const auto& special : kSpecialCases) {
    if (special.code_point != c) continue;
    const char* mapped = which == Case::kUpper ? special.upper : which == Case::kTitle ? special.title : special.lower;
    if (mapped == nullptr) return false;
    out += mapped;
    return true;
  }
  return false;
}

std::int32_t simple_case(std::int32_t c, Case which) {
  return which == Case::kUpper   ? utf8proc_toupper(c)
         : which == Case::kTitle ? utf8proc_totitle(c)
                                 : utf8proc_tolower(c);
}

bool in_set(const CodePoints& set, std::int32_t code_point) {
  return std::find(set.begin(), set.end(), code_point) != set.end();
}

}  // namespace

void append_utf8(std::string& out, std::uint32_t code_point) {
  utf8proc_uint8_t buffer[4];
  const auto length = utf8proc_encode_char(static_cast<utf8proc_int32_t>(code_point), buffer);
  if (length <= 0) {
    out += "\xEF\xBF\xBD";  // U+FFFD for a surrogate or out-of-range escape
    return;
  }
  out.append(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(length));
}

CodePoints to_code_points(std::string_view text) {
  CodePoints out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t code_point = 0;
    auto length = utf8proc_iterate(bytes, remaining, &code_point);
    if (length <= 0) {  // not UTF-8: keep going byte by byte rather than fail
      code_point = 0xFFFD;
      length = 1;
    }
    out.push_back(code_point);
    bytes += length;
    remaining -= length;
  }
  return out;
}

std::string from_code_points(const CodePoints& code_points, std::size_t begin, std::size_t end) {
  std::string out;
  for (std::size_t i = begin; i < end && i < code_points.size(); ++i) {
    append_utf8(out, static_cast<std::uint32_t>(code_points[i]));
  }
  return out;
}

std::size_t code_point_count(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

bool is_python_space(std::int32_t code_point) {
  if ((code_point >= 0x09 && code_point <= 0x0D) || (code_point >= 0x1C && code_point <= 0x20) || code_point == 0x85) {
    return true;
  }
  if (code_point < 0x80) return false;
  const auto category = utf8proc_category(code_point);
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL || category == UTF8PROC_CATEGORY_ZP;
}

std::string strip(std::string_view text, const std::optional<std::string>& chars, bool left, bool right) {
  const CodePoints points = to_code_points(text);
  const CodePoints set = chars ? to_code_points(*chars) : CodePoints{};
  auto strippable = [&](std::int32_t c) { return chars ? in_set(set, c) : is_python_space(c); };
  std::size_t begin = 0;
  std::size_t end = points.size();
  while (left && begin < end && strippable(points[begin])) ++begin;
  while (right && end > begin && strippable(points[end - 1])) --end;
  return from_code_points(points, begin, end);
}

std::string rstrip_whitespace(std::string_view text) { return strip(text, std::nullopt, false, true); }

std::vector<std::string> split(std::string_view text, const std::optional<std::string>& separator, long max_split) {
  std::vector<std::string> parts;
  if (separator) {
    std::size_t begin = 0;
    while (max_split < 0 || static_cast<long>(parts.size()) < max_split) {
      const std::size_t found = text.find(*separator, begin);
      if (found == std::string_view::npos) break;
      parts.emplace_back(text.substr(begin, found - begin));
      begin = found + separator->size();
    }
    parts.emplace_back(text.substr(begin));
    return parts;
  }
  const CodePoints points = to_code_points(text);
  std::size_t i = 0;
  while (i < points.size()) {
    while (i < points.size() && is_python_space(points[i])) ++i;
    if (i >= points.size()) break;
    if (max_split >= 0 && static_cast<long>(parts.size()) >= max_split) {
      std::size_t end = points.size();
      while (end > i && is_python_space(points[end - 1])) --end;
      parts.push_back(from_code_points(points, i, end));
      break;
    }
    std::size_t end = i;
    while (end < points.size() && !is_python_space(points[end])) ++end;
    parts.push_back(from_code_points(points, i, end));
    i = end;
  }
  return parts;
}

std::vector<std::string> rsplit(std::string_view text, const std::optional<std::string>& separator, long max_split) {
  if (max_split < 0) return split(text, separator, max_split);
  std::vector<std::string> parts;
  if (separator) {
    std::size_t end = text.size();
    while (static_cast<long>(parts.size()) < max_split) {
      if (end < separator->size()) break;
      const std::size_t found = text.rfind(*separator, end - separator->size());
      if (found == std::string_view::npos) break;
      parts.emplace_back(text.substr(found + separator->size(), end - found - separator->size()));
      end = found;
    }
    parts.emplace_back(text.substr(0, end));
  } else {
    const CodePoints points = to_code_points(text);
    std::size_t end = points.size();
    while (true) {
      while (end > 0 && is_python_space(points[end - 1])) --end;
      if (end == 0) break;
      if (static_cast<long>(parts.size()) >= max_split) {
        std::size_t begin = 0;
        while (begin < end && is_python_space(points[begin])) ++begin;
        parts.push_back(from_code_points(points, begin, end));
        break;
      }
      std::size_t begin = end;
      while (begin > 0 && !is_python_space(points[begin - 1])) --begin;
      parts.push_back(from_code_points(points, begin, end));
      end = begin;
    }
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  const CodePoints points = to_code_points(text);
  std::size_t begin = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto c = points[i];
    const bool breaks =
        (c >= 0x0A && c <= 0x0D) || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!breaks) continue;
    lines.push_back(from_code_points(points, begin, i));
    if (c == '\r' && i + 1 < points.size() && points[i + 1] == '\n') ++i;
    begin = i + 1;
  }
  if (begin < points.size()) lines.push_back(from_code_points(points, begin, points.size()));
  return lines;
}

// `which_case(i, c)` says how the code point at index i is mapped.
template <typename Which>
std::string map_case(std::string_view text, Which which_case) {
  std::string out;
  out.reserve(text.size());
  const CodePoints points = to_code_points(text);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Case which = which_case(i, points[i]);
    if (!append_special_case(out, points[i], which)) {
      append_utf8(out, static_cast<std::uint32_t>(simple_case(points[i], which)));
    }
  }
  return out;
}

std::string to_upper(std::string_view text) {
  return map_case(text, [](std::size_t, std::int32_t) { return Case::kUpper; });
}

std::string to_lower(std::string_view text) {
  return map_case(text, [](std::size_t, std::int32_t) { return Case::kLower; });
}

std::string python_title(std::string_view text) {
  bool previous_cased = false;
  return map_case(text, [&](std::size_t, std::int32_t c) {
    const Case which = previous_cased ? Case::kLower : Case::kTitle;
    previous_cased = is_cased(c);
    return which;
  });
}

std::string python_capitalize(std::string_view text) {
  return map_case(text, [](std::size_t i, std::int32_t) { return i == 0 ? Case::kTitle : Case::kLower; });
}

std::string replace(std::string_view text, std::string_view old_text, std::string_view new_text, long count) {
  std::string out;
  if (old_text.empty()) {
    const CodePoints points = to_code_points(text);
    long done = 0;
    for (std::size_t i = 0; i <= points.size(); ++i) {
      if (count < 0 || done < count) {
        out += new_text;
        ++done;
      }
      if (i < points.size()) append_utf8(out, static_cast<std::uint32_t>(points[i]));
    }
    return out;
  }
  std::size_t begin = 0;
  long done = 0;
  while (count < 0 || done < count) {
    const std::size_t found = text.find(old_text, begin);
    if (found == std::string_view::npos) break;
    out.append(text.substr(begin, found - begin)).append(new_text);
    begin = found + old_text.size();
    ++done;
  }
  out.append(text.substr(begin));
  return out;
}

}  // namespace forensics::jinja
