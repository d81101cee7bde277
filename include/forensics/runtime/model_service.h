// runtime: whole-model operations with plain inputs and outputs (no tensors), for the command
// line and for callers that should not see libtorch: inspect, score, sample, and open the local
// model as a ModelRunner for the probes. Declared torch-free, implemented on libtorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/runtime/model_config.h"
#include "forensics/runtime/patching.h"
#include "forensics/runtime/runner.h"
#include "forensics/runtime/sampling.h"
#include "forensics/runtime/tokenizer.h"

namespace forensics::runtime {

struct TokenScore {
  std::int64_t id = 0;
  std::string token;
  double log_probability = 0;
};

/// Teacher-forced log-probabilities of `continuation`'s tokens after `context` (texts are
/// tokenized without special tokens; the continuation is tokenized on its own).
std::vector<TokenScore> score_text(const std::filesystem::path& directory, const std::string& context,
                                   const std::string& continuation, const DeviceChoice& device);

struct SampledText {
  std::vector<std::int64_t> tokens;
  std::string text;
  FinishReason finish = FinishReason::kLength;
};

struct TextSampling {
  std::int64_t count = 1;
  std::uint64_t seed = 0;
  SamplingParams params;  // eos_token_ids are the model's, whatever is set here
};

std::vector<SampledText> sample_text(const std::filesystem::path& directory, const std::string& prompt,
                                     const TextSampling& sampling, const DeviceChoice& device);

/// Activation patching (patching.h) on the model in `directory`, with the seconds spent loading
/// the weights and patching apart, so a benchmark can time the patching alone.
struct TimedPatching {
  PatchingResult result;
  double load_seconds = 0;
  double patch_seconds = 0;
};
TimedPatching patch_model(const std::filesystem::path& directory, const PatchingInput& input,
                          const DeviceChoice& device);

/// The model in `directory` (tokenizer and weights) loaded on the chosen device for the probes.
/// Throws ModelError when the model or tokenizer cannot be loaded, InputError for a bad device
/// spelling.
std::shared_ptr<const OpenModel> open_local_model(const std::filesystem::path& directory, const DeviceChoice& device);

}  // namespace forensics::runtime
