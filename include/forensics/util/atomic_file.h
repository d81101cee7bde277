// util: writing output files atomically. A verdict, an incident or a checkpoint is either the
// complete new file or absent (or the old one): never half-written after a crash or Ctrl-C.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace forensics::util {

/// Writes `parts`, concatenated, to a temporary file beside `path`, flushes it to disk and
/// renames it over `path`. Throws InputError naming the path and the OS reason on failure (the
/// temporary file is removed).
void write_file_atomically(const std::filesystem::path& path, const std::vector<std::string_view>& parts);
inline void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  write_file_atomically(path, std::vector<std::string_view>{text});
}

}  // namespace forensics::util
