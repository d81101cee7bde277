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
  for (const auto& gpu : util::visible_gpus()) {
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
