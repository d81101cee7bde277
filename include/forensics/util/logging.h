// util: the process-wide log. Logs go to stderr, so stdout stays clean for machine output.
// Torch-linked code logs through the functions below, never through spdlog directly: libtorch
// bundles its own fmt, which clashes with the fmt Debian's spdlog is built against.
#pragma once

#include <string_view>

namespace forensics::util {

enum class Verbosity { kQuiet, kNormal, kVerbose };

/// Sends the log to stderr as `forensics: LEVEL: message`. kQuiet shows errors only, kNormal
/// info and above, kVerbose debug and above.
void configure_logging(Verbosity verbosity);

/// What configure_logging set (kNormal before): commands print their own stderr output (progress,
/// summaries) only when it allows.
Verbosity verbosity();

void log_debug(std::string_view message);
void log_info(std::string_view message);
void log_warning(std::string_view message);
void log_error(std::string_view message);

}  // namespace forensics::util
