// runtime: checking a model directory without building the model (torch-free): it exists and is a
// directory, config.json is readable and supported, the safetensors checkpoint validates (never a
// pickle), the tokenizer loads, and the weights hash as expected. The one check every command
// uses: `validate` reports its problems, `investigate` refuses to start on them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "forensics/runtime/model_config.h"
#include "forensics/runtime/tokenizer.h"

namespace forensics::runtime {

/// What kind of problem a model directory has; callers decide how grave a missing one is.
enum class ModelProblemKind {
  kMissing,       // the directory does not exist
  kUnusable,      // not a directory, files missing, pickle-only weights, or a file fails to load
  kHashMismatch,  // the weights do not hash to the expected SHA-256
};

struct ModelProblem {
  ModelProblemKind kind = ModelProblemKind::kUnusable;
  std::string message;  // names the directory or file and what is wrong
};

struct ModelDirectoryCheck {
  std::vector<ModelProblem> problems;                // empty: the directory is usable
  std::optional<std::string> weights_sha256;         // when hashed and the checkpoint is valid
  std::optional<std::string> tokenizer_fingerprint;  // when the tokenizer loads
  std::shared_ptr<const Tokenizer> tokenizer;        // when it loads (e.g. to check a chat format's markers)
  std::optional<ModelConfig> config;                 // when config.json is supported
  std::int64_t parameter_count = 0;                  // values in the checkpoint's tensors, when it opens
  std::size_t weight_bytes = 0;                      // their bytes as stored
  bool usable() const { return problems.empty(); }
};

struct ModelCheckOptions {
  std::optional<std::string> expected_sha256;  // checked when given
  bool hash_weights = false;                   // hash even without an expected value (reads every weight byte)
  // Look for NaN and infinite weights (reads every weight byte, in the same pass as the hash when
  // there is one; --skip-weight-scan: not).
  bool scan_weights = true;
  // A directory without safetensors weights is usable (its config and tokenizer serve a model
  // that runs elsewhere: --engine); weights that are there are still checked.
  bool weights_optional = false;
};

/// Whether `directory` holds a safetensors checkpoint (model.safetensors or a shard index).
bool has_weights(const std::filesystem::path& directory);

/// Never throws for a bad directory: problems are returned. A missing directory is one
/// kMissing problem and nothing else is looked at.
ModelDirectoryCheck check_model_directory(const std::filesystem::path& directory,
                                          const ModelCheckOptions& options = {});

struct ModelSummary {
  std::filesystem::path directory;
  ModelConfig config;
  std::int64_t parameter_count = 0;   // from the tensors config.json implies (tensor_layout.h)
  std::string stored_dtype;           // from config.json
  std::string weights_sha256;         // over every safetensors file, in name order
  std::string tokenizer_fingerprint;  // empty when the directory has no tokenizer.json
  std::size_t weight_bytes = 0;
};

/// Reads config, checks every tensor of the checkpoint against it, hashes the weights (unless
/// told not to: that reads every byte) and, when asked, refuses NaN or infinite weights (another
/// read); builds no model. Throws ModelError naming what does not fit (at most 20 tensors, then a
/// count) or the tensors holding NaN.
ModelSummary inspect_model(const std::filesystem::path& directory, bool hash_weights = true, bool scan_weights = false);

/// SHA-256 over the checkpoint's own safetensors files (model.safetensors, or the shards of the
/// index), in name order; `bytes`, when not null, receives their total size. Throws ModelError for a bad checkpoint.
std::string hash_checkpoint(const std::filesystem::path& directory, std::size_t* bytes);

}  // namespace forensics::runtime
