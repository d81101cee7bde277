#include "forensics/util/diagnostics.h"

namespace forensics::util {

void Diagnostics::error(const JsonPath& path, std::string message) {
  items_.push_back({Severity::kError, path.to_string(), std::move(message)});
  ++error_count_;
}

void Diagnostics::warning(const JsonPath& path, std::string message) {
  items_.push_back({Severity::kWarning, path.to_string(), std::move(message)});
}

std::string to_string(const Diagnostic& diagnostic) { return diagnostic.path + ": " + diagnostic.message; }

std::string Diagnostics::format(std::size_t max_lines) const {
  std::string out;
  std::size_t shown = 0;
  for (const auto& item : items_) {
    if (shown == max_lines) {
      out += "... and " + std::to_string(items_.size() - shown) + " more\n";
      break;
    }
    out += item.severity == Severity::kError ? "error: " : "warning: ";
    out += to_string(item) + "\n";
    ++shown;
  }
  return out;
}

}  // namespace forensics::util
