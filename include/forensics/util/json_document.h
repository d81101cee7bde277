// util: reading JSON documents strictly. Syntax errors carry line and column; duplicate keys,
// which nlohmann/json would silently collapse to the last value, are errors with their path.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "forensics/util/json.h"

namespace forensics::util {

/// Deepest nesting of objects and arrays accepted (real files nest a few levels; a hostile one
/// nested 70,000 deep would overflow the stack).
inline constexpr std::size_t kMaxJsonDepth = 512;

/// Parses `text` (named `source_name` in messages, e.g. a file path). Throws InputError with
/// `source_name:LINE:COLUMN: invalid JSON: ...` on a syntax error (including invalid UTF-8), and
/// `source_name: duplicate key "k" at PATH` when an object repeats a key.
Json parse_json_strict(std::string_view text, const std::string& source_name);

/// Throws InputError when `path` exists but is not a regular file (a directory, FIFO, socket or
/// device: reading one would block or never end), naming what it is.
void require_regular_file(const std::filesystem::path& path);

/// Reads a whole file; throws InputError naming the file and the OS reason when it cannot, or
/// when it is larger than `max_bytes`.
std::string read_text_file(const std::filesystem::path& path, std::size_t max_bytes);

/// Short name of a JSON value's type for messages: object, array, string, integer, number,
/// boolean, null.
std::string json_type_name(const Json& value);

}  // namespace forensics::util
