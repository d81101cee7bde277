#include "forensics/util/host_memory.h"

#include <cstdio>
#include <fstream>

namespace forensics::util {

std::optional<double> available_host_memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return std::nullopt;
}

std::string memory_text(double bytes) {
  char text[32];
  if (bytes < 1024.0 * 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f MiB", bytes / (1024.0 * 1024));
  } else {
    std::snprintf(text, sizeof text, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  }
  return text;
}

}  // namespace forensics::util
