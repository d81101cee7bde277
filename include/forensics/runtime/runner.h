// runtime: the model as the probes see it: sample continuations, score continuations by teacher
// forcing, patch activations, all with token ids and numbers in and out, no tensors. The local
// libtorch model implements it (model_service.h, open_local_model); tests use a scripted fake.
// This seam keeps the probes torch-free and lets them run against another backend.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "forensics/runtime/patching.h"
#include "forensics/runtime/sampling.h"
#include "forensics/runtime/tokenizer.h"

namespace forensics::runtime {

/// Where a model runs: "auto" (CUDA when available), "cpu", "cuda" or "cuda:N"; and the dtype it
/// computes in (absent: float32 on CPU, bfloat16 on CUDA).
struct DeviceChoice {
  std::string device = "auto";
  std::optional<Dtype> dtype;
};

/// Throws InputError when `device` is not spelled as above (before any model is read; whether
/// CUDA is there is known only when the model is opened).
void check_device_spelling(const std::string& device);

/// What the probes need to know about the model behind a runner.
struct ModelShape {
  std::int64_t n_layers = 0;
  std::int64_t d_vocab = 0;
  std::int64_t n_ctx = 0;  // the longest sequence the model was configured for
  std::int64_t parameter_count = 0;
  std::vector<std::int64_t> eos_token_ids;  // from config.json / generation_config.json
};

/// Told, during a sample call, how many of its samples have finished so far (for progress).
using SamplesFinished = std::function<void(std::int64_t finished)>;

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;

  virtual const ModelShape& shape() const = 0;
  /// Where and how the model computes, for the verdict's reproducibility block: "cpu",
  /// "cuda:0"; the dtype it computes in.
  virtual std::string device() const = 0;
  virtual Dtype dtype() const = 0;
  /// The software that computes, as (name, version) pairs for the reproducibility block, e.g.
  /// {"libtorch", "2.15.0"}.
  virtual std::vector<std::pair<std::string, std::string>> backend() const = 0;

  /// `count` continuations of `prefix` (non-empty). Sample i is a function of (model, prefix,
  /// params, seed, i) alone: it does not depend on the count or on other calls. `on_finished`
  /// (may be empty) hears the count of finished samples as it grows.
  virtual std::vector<Sample> sample(const std::vector<std::int64_t>& prefix, std::int64_t count, std::uint64_t seed,
                                     const SamplingParams& params, const SamplesFinished& on_finished) const = 0;

  /// Teacher forcing: log P(continuation token j | context, earlier continuation tokens) in nats,
  /// for each (context, continuation) pair; all pairs go through the model as one batch.
  virtual std::vector<std::vector<double>> score(const std::vector<std::vector<std::int64_t>>& contexts,
                                                 const std::vector<std::vector<std::int64_t>>& continuations) const = 0;

  /// Why this runner cannot reach the model's activations (a model behind a serving engine whose
  /// weights are not here), or absent when patch() works. Probes that need them are skipped
  /// with this reason.
  virtual std::optional<std::string> why_no_activations() const { return std::nullopt; }

  /// Activation patching between two prompts (patching.h).
  virtual PatchingResult patch(const PatchingInput& input) const = 0;
};

/// A model opened for the probes: its tokenizer and a runner over it. The runner may refer to the
/// tokenizer, so both live as long as the object (hold it by shared_ptr; it is never moved).
struct OpenModel {
  Tokenizer tokenizer;
  std::unique_ptr<ModelRunner> runner;
};

}  // namespace forensics::runtime
