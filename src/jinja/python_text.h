// jinja (internal): Python's str operations on UTF-8 text, by code point as Python counts:
// len, slicing, strip, split, case mapping. Case mapping is utf8proc's simple one-to-one mapping
// (Python's full mapping turns "ß" into "SS"; no chat template depends on that).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forensics::jinja {

using CodePoints = std::vector<std::int32_t>;

void append_utf8(std::string& out, std::uint32_t code_point);
CodePoints to_code_points(std::string_view text);
std::string from_code_points(const CodePoints& code_points, std::size_t begin, std::size_t end);
std::size_t code_point_count(std::string_view text);

/// Python's str.isspace for one code point.
bool is_python_space(std::int32_t code_point);

/// str.strip/lstrip/rstrip: `chars` absent strips whitespace, else any code point in it.
std::string strip(std::string_view text, const std::optional<std::string>& chars, bool left, bool right);
std::string rstrip_whitespace(std::string_view text);

/// str.split / str.rsplit: no separator splits on whitespace runs and drops empty parts.
std::vector<std::string> split(std::string_view text, const std::optional<std::string>& separator, long max_split);
std::vector<std::string> rsplit(std::string_view text, const std::optional<std::string>& separator, long max_split);

/// str.splitlines() without keepends.
std::vector<std::string> split_lines(std::string_view text);

std::string to_upper(std::string_view text);
std::string to_lower(std::string_view text);
/// str.title(): a cased character after an uncased one is titlecased, the rest lowercased.
std::string python_title(std::string_view text);
/// str.capitalize(): the first character titlecased, the rest lowercased.
std::string python_capitalize(std::string_view text);

/// str.replace(old, new, count); count < 0 replaces all. An empty `old` inserts between code points.
std::string replace(std::string_view text, std::string_view old_text, std::string_view new_text, long count);

}  // namespace forensics::jinja
