#include "forensics/runtime/model_directory.h"

#include <algorithm>

#include "forensics/runtime/model_config.h"
#include "forensics/runtime/safetensors.h"
#include "forensics/runtime/tensor_layout.h"
#include "forensics/runtime/tokenizer.h"
#include "forensics/util/error.h"

namespace forensics::runtime {
namespace fs = std::filesystem;

std::string hash_checkpoint(const fs::path& directory, std::size_t* bytes) {
  const CheckpointReading reading = read_checkpoint(Checkpoint::open(directory), /*scan=*/false);
  if (bytes != nullptr) *bytes = reading.bytes;
  return reading.sha256;
}

bool has_weights(const fs::path& directory) {
  std::error_code ec;
  return fs::exists(directory / "model.safetensors", ec) || fs::exists(directory / "model.safetensors.index.json", ec);
}

namespace {

/// The files a checkpoint directory needs, before any is parsed; empty when they are there.
std::vector<std::string> missing_files(const fs::path& directory, bool weights_optional) {
  std::vector<std::string> out;
  std::error_code ec;
  const auto has = [&](const char* name) { return fs::exists(directory / name, ec); };
  if (!has("config.json")) out.push_back("no config.json in " + directory.string());
  if (!has("tokenizer.json")) out.push_back("no tokenizer.json in " + directory.string());
  if (has_weights(directory) || weights_optional) return out;
  bool has_pickle = false;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    const auto extension = entry.path().extension();
    has_pickle = has_pickle || extension == ".bin" || extension == ".pt" || extension == ".pth";
  }
  out.push_back(has_pickle ? "only pickle weights (.bin/.pt) in " + directory.string() +
                                 "; forensics never loads pickles, since loading one can run code. Convert the "
                                 "checkpoint to safetensors (model.save_pretrained(dir, safe_serialization=True))"
                           : "no model.safetensors or model.safetensors.index.json in " + directory.string());
  return out;
}

}  // namespace

ModelDirectoryCheck check_model_directory(const fs::path& directory, const ModelCheckOptions& options) {
  ModelDirectoryCheck check;
  const auto unusable = [&](std::string message) {
    check.problems.push_back({ModelProblemKind::kUnusable, std::move(message)});
  };
  std::error_code ec;
  const auto status = fs::status(directory, ec);
  if (!fs::exists(status)) {
    check.problems.push_back({ModelProblemKind::kMissing, "model directory " + directory.string() + " does not exist"});
    return check;
  }
  if (!fs::is_directory(status)) {
    unusable(directory.string() +
             " is not a directory; expected a Hugging Face model directory (config.json, "
             "safetensors, tokenizer.json)");
    return check;
  }
  const auto attempt = [&](auto&& step) {
    try {
      step();
    } catch (const Error& e) {
      unusable(e.what());
    }
  };
  const auto has = [&](const char* name) {
    std::error_code exists_error;
    return fs::exists(directory / name, exists_error);
  };
  // The config first: an unsupported architecture is worth knowing before downloading weights.
  auto& config = check.config;
  if (has("config.json")) attempt([&] { config = load_model_config(directory); });
  for (auto& message : missing_files(directory, options.weights_optional)) unusable(std::move(message));
  if (has("model.safetensors") || has("model.safetensors.index.json"))
    attempt([&] {
      const Checkpoint checkpoint = Checkpoint::open(directory);  // validates every header, reads no weight
      for (const auto& [name, view] : checkpoint.tensors()) check.weight_bytes += view.size;
      if (config) {
        const auto has_tensor = [&](std::string_view name) { return checkpoint.find(name) != nullptr; };
        check.parameter_count = parameter_count(expected_tensors(*config, has_tensor));
      } else {
        for (const auto& [name, view] : checkpoint.tensors()) {
          std::int64_t count = 1;
          for (const auto size : view.shape) count *= size;
          check.parameter_count += count;
        }
      }
      const auto mismatches = config ? checkpoint_mismatches(checkpoint, *config) : std::vector<std::string>();
      for (const auto& problem : mismatches) {
        unusable(directory.string() + ": the checkpoint does not match config.json: " + problem);
      }
      const bool hash = options.expected_sha256 || options.hash_weights;
      CheckpointReading reading;
      if (hash) {
        reading = read_checkpoint(checkpoint, options.scan_weights);  // one pass for both
        check.weights_sha256 = reading.sha256;
      } else if (options.scan_weights) {
        reading.non_finite = non_finite_tensors(checkpoint);
      }
      if (options.scan_weights) {
        for (const auto& tensor : reading.non_finite) {
          unusable(directory.string() + ": tensor " + tensor +
                   " holds NaN or infinite weights: every logit downstream would be NaN (the checkpoint is "
                   "corrupted, or was saved after a diverged step)");
        }
      }
    });
  if (has("tokenizer.json"))
    attempt([&] {
      check.tokenizer = std::make_shared<const Tokenizer>(Tokenizer::from_path(directory));
      check.tokenizer_fingerprint = check.tokenizer->fingerprint();
    });
  if (options.expected_sha256 && check.weights_sha256 && *check.weights_sha256 != *options.expected_sha256) {
    check.problems.push_back(
        {ModelProblemKind::kHashMismatch, directory.string() + ": the weights hash to " + *check.weights_sha256 +
                                              ", not the expected " + *options.expected_sha256 +
                                              "; this is not the model the incident was captured with"});
  }
  return check;
}

ModelSummary inspect_model(const fs::path& directory, bool hash_weights, bool scan_weights) {
  ModelSummary summary;
  summary.directory = directory;
  summary.config = load_model_config(directory);
  summary.stored_dtype = summary.config.torch_dtype;
  const Checkpoint checkpoint = Checkpoint::open(directory);
  const auto problems = checkpoint_mismatches(checkpoint, summary.config);
  if (!problems.empty()) {
    std::string message = directory.string() + ": the checkpoint does not match config.json:";
    for (const auto& problem : problems) message += "\n  " + problem;
    throw ModelError(message);
  }
  const auto has = [&](std::string_view name) { return checkpoint.find(name) != nullptr; };
  summary.parameter_count = parameter_count(expected_tensors(summary.config, has));
  CheckpointReading reading;
  if (hash_weights) {
    reading = read_checkpoint(checkpoint, scan_weights);  // one pass over the weights for both
    summary.weights_sha256 = reading.sha256;
    summary.weight_bytes = reading.bytes;
  } else {
    if (scan_weights) reading.non_finite = non_finite_tensors(checkpoint);
    summary.weight_bytes = checkpoint.total_bytes();
  }
  if (!reading.non_finite.empty()) {
    std::string message = directory.string() + ": NaN or infinite weights (a model that samples junk):";
    for (const auto& tensor : reading.non_finite) message += "\n  " + tensor;
    throw ModelError(message + "\n(--skip-weight-scan to look at it anyway)");
  }
  std::error_code ec;
  if (fs::exists(directory / "tokenizer.json", ec)) {
    summary.tokenizer_fingerprint = Tokenizer::from_path(directory).fingerprint();
  }
  return summary;
}

}  // namespace forensics::runtime
