// `forensics model patch`: activation patching between two prompts outside an incident, the
// runtime behind the `patch` probe on plain text (docs/cli.md). Researchers use it to look at one
// prompt pair; scripts/bench_patching.py uses it to compare the map and its speed with
// TransformerLens on the same weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "forensics/runtime/runner.h"

namespace forensics::cli {

struct ModelPatchOptions {
  std::string directory;
  std::string clean;
  std::string corrupted;
  std::vector<std::string> continuations;
  std::vector<double> weights;  // one per continuation; empty: 1 each
  std::vector<std::string> sites{"resid_pre"};
  std::string direction = "both";
  std::string method = "exact";
  std::int64_t cells_per_batch = 16;
  bool json = false;
};

/// Tokenizes, aligns the prompts, patches and prints the maps. Throws InputError for texts that
/// tokenize to nothing, a weight count that does not match the continuations, or a bad name.
int run_model_patch(const ModelPatchOptions& options, const runtime::DeviceChoice& device);

}  // namespace forensics::cli
