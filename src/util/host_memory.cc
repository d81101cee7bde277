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

std::vector<GpuMemory> visible_gpus() {
  std::vector<GpuMemory> out;
  FILE* pipe = popen("nvidia-smi --query-gpu=index,memory.free --format=csv,noheader,nounits 2>&1", "r");
  if (pipe == nullptr) return out;
  char line[256];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    GpuMemory gpu;
    double mib = 0;
    if (std::sscanf(line, "%d, %lf", &gpu.index, &mib) == 2) {
      gpu.free_bytes = mib * 1024 * 1024;
      out.push_back(gpu);
    }
  }
  pclose(pipe);
  return out;
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
