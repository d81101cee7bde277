// runtime: what libtorch this build runs on (version, CUDA, BLAS), for --version, benchmarks
// and verdict fingerprints. The header is torch-free so light callers stay light.
#pragma once

#include <string>

namespace forensics::runtime {

struct TorchInfo {
  std::string version;  // e.g. "2.15.0"
  bool built_with_cuda = false;
  std::string cuda_version;  // CUDA the library was built against, "" without CUDA
  int cuda_devices = 0;      // devices visible now
  std::string blas;          // e.g. "mkl", "open", "generic" (from the build config)
};

/// Queries the linked libtorch. Cheap; does not initialise CUDA beyond counting devices.
TorchInfo torch_info();

/// libtorch's own build description (at::show_config()): compiler, BLAS, CPU capability.
std::string torch_build_config();

/// libtorch's intra-op threads for the calling thread's work (OpenMP's per-thread setting; BLAS's
/// is process-wide): a batch running J cases at once gives each worker its share of the cores, so
/// the thread pools do not fight (docs/probes.md, "Threads").
void set_compute_threads(int threads);
int compute_threads();

/// `libtorch 2.15.0 (CUDA 13.2 build; CUDA available: no)`.
std::string describe(const TorchInfo& info);

}  // namespace forensics::runtime
