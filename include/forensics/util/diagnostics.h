// util: errors and warnings collected while checking an input, each tied to a JSON path, so a
// user fixing a file sees every problem at once instead of one per run.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "forensics/util/json_path.h"

namespace forensics::util {

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string path;     // `transcript.messages[4].role`, or "(root)"
  std::string message;  // what is wrong and what was expected
};

/// An append-only list of findings about one input.
class Diagnostics {
 public:
  void error(const JsonPath& path, std::string message);
  void warning(const JsonPath& path, std::string message);

  bool has_errors() const { return error_count_ > 0; }
  std::size_t error_count() const { return error_count_; }
  std::size_t warning_count() const { return items_.size() - error_count_; }
  const std::vector<Diagnostic>& all() const { return items_; }

  /// One finding per line: `error: transcript.messages[4].role: expected one of ...`.
  /// Lists at most `max_lines` and says how many more there were.
  std::string format(std::size_t max_lines = 50) const;

 private:
  std::vector<Diagnostic> items_;
  std::size_t error_count_ = 0;
};

/// Text of a diagnostic as printed: `PATH: MESSAGE`.
std::string to_string(const Diagnostic& diagnostic);

}  // namespace forensics::util
