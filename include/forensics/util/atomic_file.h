// util: writing output files atomically. A verdict, an incident or a checkpoint is either the
// complete new file or absent (or the old one): never half-written after a crash or Ctrl-C.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace forensics::util {

/// Throws InputError when `path` cannot be written as an output: its folder is missing or not
/// writable, or it names something other than a regular file (a device, a FIFO, a directory).
/// Commands call it before a long run, so a bad path does not lose the result at the end.
void check_output_path(const std::filesystem::path& path);

/// Writes `parts`, concatenated, to a temporary file beside `path`, flushes it to disk and
/// renames it over `path` (through a symlink: the link's target is replaced, the link kept).
/// Throws InputError naming the path and the OS reason on failure (the temporary file is
/// removed), and, as check_output_path, for a path that names no regular file.
void write_file_atomically(const std::filesystem::path& path, const std::vector<std::string_view>& parts);
inline void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  write_file_atomically(path, std::vector<std::string_view>{text});
}

/// An exclusive claim on an output path for the length of a run, so two runs writing the same
/// file do not both succeed with one result silently lost: the second is refused at its start.
/// Held through flock() on a hidden `.<name>.lock` file beside the output (kept afterwards; the
/// kernel releases the lock when the process ends, however it ends).
class OutputLock {
 public:
  /// Throws InputError naming the output (and the holder's pid) when another process holds it.
  explicit OutputLock(const std::filesystem::path& output);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace forensics::util
