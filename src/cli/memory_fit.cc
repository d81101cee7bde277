#include "memory_fit.h"

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "forensics/util/host_memory.h"

namespace forensics::cli {
namespace {

struct DtypeSize {
  const char* name;
  double bytes;
};
constexpr DtypeSize kDtypes[] = {{"float32", 4}, {"bfloat16", 2}, {"float16", 2}};

struct Gpu {
  int index = 0;
  double free_bytes = 0;
};

/// GPUs with their free memory, from nvidia-smi (the light binary has no CUDA runtime to ask).
/// Nothing when nvidia-smi is absent or says something else.
std::vector<Gpu> visible_gpus() {
  std::vector<Gpu> out;
  FILE* pipe = popen("nvidia-smi --query-gpu=index,memory.free --format=csv,noheader,nounits 2>&1", "r");
  if (pipe == nullptr) return out;
  char line[256];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    Gpu gpu;
    double mib = 0;
    if (std::sscanf(line, "%d, %lf", &gpu.index, &mib) == 2) {
      gpu.free_bytes = mib * 1024 * 1024;
      out.push_back(gpu);
    }
  }
  pclose(pipe);
  return out;
}

Json fitting(double available, const Json& weights) {
  Json fits = Json::array();
  for (const auto& dtype : kDtypes) {
    if (weights.at(dtype.name).get<double>() <= available) fits.push_back(dtype.name);
  }
  return fits;
}

std::string dtype_list(const Json& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name.get<std::string>();
  return out;
}

}  // namespace

Json memory_fit_json(std::int64_t parameters) {
  Json weights = Json::object();
  for (const auto& dtype : kDtypes) weights[dtype.name] = static_cast<double>(parameters) * dtype.bytes;
  Json out = {{"weights", weights}};
  if (const auto available = util::available_host_memory()) {
    out["host_available"] = *available;
    out["fits_host"] = fitting(*available, weights);
  }
  Json gpus = Json::array();
  for (const auto& gpu : visible_gpus()) {
    gpus.push_back({{"index", gpu.index}, {"free", gpu.free_bytes}, {"fits", fitting(gpu.free_bytes, weights)}});
  }
  out["gpus"] = gpus;
  return out;
}

std::string memory_fit_text(const Json& fit) {
  std::ostringstream out;
  out << "  weights need          ";
  bool first = true;
  for (const auto& dtype : kDtypes) {
    out << (first ? "" : ", ") << dtype.name << " " << util::memory_text(fit["weights"][dtype.name].get<double>());
    first = false;
  }
  out << " (plus the key/value cache; investigate checks a run's total before loading)\n";
  if (fit.contains("host_available")) {
    out << "  this machine          " << util::memory_text(fit["host_available"].get<double>())
        << " available; the weights fit in: " << dtype_list(fit["fits_host"]) << "\n";
  }
  if (fit["gpus"].empty()) out << "  gpus                  none visible (nvidia-smi)\n";
  for (const auto& gpu : fit["gpus"]) {
    out << "  cuda:" << gpu["index"].get<int>() << std::string(17 - std::to_string(gpu["index"].get<int>()).size(), ' ')
        << util::memory_text(gpu["free"].get<double>()) << " free; the weights fit in: " << dtype_list(gpu["fits"])
        << "\n";
  }
  return out.str();
}

}  // namespace forensics::cli
