// runtime: checking a model directory without building the model (torch-free): config.json is
// readable and supported, the safetensors checkpoint validates, the tokenizer loads, and the
// weights hash as expected. What `forensics validate` adds once an incident's model exists.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace forensics::runtime {

struct ModelDirectoryCheck {
  std::vector<std::string> errors;      // each names the file and the problem
  std::string weights_sha256;           // when hashing was asked for and the checkpoint is valid
  std::string tokenizer_fingerprint;    // when the tokenizer loads
};

/// Never throws for a bad directory: problems are returned. Hashes the weights only when
/// `expected_sha256` is given (it reads every weight byte), and reports a mismatch.
ModelDirectoryCheck check_model_directory(const std::filesystem::path& directory,
                                          const std::optional<std::string>& expected_sha256);

/// SHA-256 over the checkpoint's own safetensors files (model.safetensors, or the shards of the
/// index), in name order; `bytes`, when not null, receives their total size. Throws ModelError for a bad checkpoint.
std::string hash_checkpoint(const std::filesystem::path& directory, std::size_t* bytes);

}  // namespace forensics::runtime
