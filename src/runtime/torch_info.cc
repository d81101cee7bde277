#include "forensics/runtime/torch_info.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace forensics::runtime {
namespace {

// show_config() is the only public place libtorch states its BLAS and CUDA build; its
// "KEY=value, " settings line has been stable across 2.x releases.
std::string build_setting(const std::string& config, const std::string& key) {
  const std::string needle = key + "=";
  const auto at = config.find(needle);
  if (at == std::string::npos) return "";
  const auto begin = at + needle.size();
  const auto end = config.find_first_of(", \n", begin);
  return config.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

}  // namespace

std::string torch_build_config() { return at::show_config(); }

void set_compute_threads(int threads) { at::set_num_threads(threads > 0 ? threads : 1); }

int compute_threads() { return at::get_num_threads(); }

TorchInfo torch_info() {
  const std::string config = torch_build_config();
  TorchInfo info;
  info.version = TORCH_VERSION;
  info.built_with_cuda = build_setting(config, "USE_CUDA") == "1" || build_setting(config, "USE_CUDA") == "ON";
  info.cuda_version = info.built_with_cuda ? build_setting(config, "CUDA_VERSION") : "";
  info.cuda_devices = static_cast<int>(torch::cuda::device_count());
  info.blas = build_setting(config, "BLAS_INFO");
  return info;
}

std::string describe(const TorchInfo& info) {
  std::string out = "libtorch " + info.version + " (";
  out += info.built_with_cuda ? "CUDA " + info.cuda_version + " build" : "CPU-only build";
  out += "; BLAS " + (info.blas.empty() ? std::string("unknown") : info.blas);
  out += "; CUDA available: ";
  out += info.cuda_devices > 0 ? "yes, " + std::to_string(info.cuda_devices) + " device(s)" : "no";
  return out + ")";
}

}  // namespace forensics::runtime
