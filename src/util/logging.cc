#include "forensics/util/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace forensics::util {
namespace {
Verbosity configured = Verbosity::kNormal;
}  // namespace

Verbosity verbosity() { return configured; }

void configure_logging(Verbosity verbosity) {
  configured = verbosity;
  auto logger = spdlog::stderr_color_mt("forensics");
  logger->set_pattern("forensics: %^%l%$: %v");
  switch (verbosity) {
    case Verbosity::kQuiet: logger->set_level(spdlog::level::err); break;
    case Verbosity::kNormal: logger->set_level(spdlog::level::info); break;
    case Verbosity::kVerbose: logger->set_level(spdlog::level::debug); break;
  }
  spdlog::set_default_logger(logger);
}

}  // namespace forensics::util

namespace forensics::util {

void log_debug(std::string_view message) { spdlog::debug("{}", message); }
void log_info(std::string_view message) { spdlog::info("{}", message); }
void log_warning(std::string_view message) { spdlog::warn("{}", message); }
void log_error(std::string_view message) { spdlog::error("{}", message); }

}  // namespace forensics::util
