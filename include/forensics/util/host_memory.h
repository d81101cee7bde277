// util: how much memory this machine and its GPUs can still give, and byte counts as people read them.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace forensics::util {

/// Bytes of memory this machine can still give (MemAvailable), or nothing when unknown.
std::optional<double> available_host_memory();

struct GpuMemory {
  int index = 0;
  double free_bytes = 0;
};

/// GPUs with their free memory as nvidia-smi reports them (torch-free code has no CUDA runtime to
/// ask); none when nvidia-smi is absent or says something else.
std::vector<GpuMemory> visible_gpus();

/// `812.0 MiB`, `15.0 GiB`.
std::string memory_text(double bytes);

}  // namespace forensics::util
