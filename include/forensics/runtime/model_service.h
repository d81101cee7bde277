// runtime: whole-model operations with plain inputs and outputs (no tensors), for the command
// line and for callers that should not see libtorch: inspect, score, sample.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "forensics/runtime/model_config.h"

namespace forensics::runtime {

/// "auto" (CUDA when available), "cpu", "cuda" or "cuda:N"; dtype "auto", "float32",
/// "bfloat16" or "float16". Throws InputError for a bad spelling, ModelError when CUDA is asked
/// for and absent.
struct DeviceChoice {
  std::string device = "auto";
  std::string dtype = "auto";
};

struct ModelSummary {
  std::filesystem::path directory;
  ModelConfig config;
  std::int64_t parameter_count = 0;
  std::string stored_dtype;       // from config.json
  std::string weights_sha256;     // over every safetensors file, in name order
  std::string tokenizer_fingerprint;  // empty when the directory has no tokenizer.json
  std::size_t weight_bytes = 0;
};

/// Reads config, checks the checkpoint's tensors against it (without building the model on a
/// device), hashes the weights.
ModelSummary inspect_model(const std::filesystem::path& directory);

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
  std::string finish;  // "eos", "stop" or "length"
};

struct TextSampling {
  std::int64_t count = 1;
  std::uint64_t seed = 0;
  double temperature = 1.0;
  double top_p = 1.0;
  std::int64_t top_k = 0;
  std::int64_t max_new_tokens = 64;
  std::vector<std::string> stop;
};

std::vector<SampledText> sample_text(const std::filesystem::path& directory, const std::string& prompt,
                                     const TextSampling& sampling, const DeviceChoice& device);

}  // namespace forensics::runtime
