// runtime: sampling continuations (temperature, top-k, top-p as transformers applies them) and
// teacher-forced scoring. Every sample draws from its own random stream, keyed by (seed, sample
// index), so a sample does not depend on the batch it ran in or on the device's RNG.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "forensics/runtime/model.h"
#include "forensics/runtime/sampling.h"
#include "forensics/runtime/tokenizer.h"

namespace forensics::runtime {

/// Where the next tokens are drawn (docs/runtime.md, "Sampling").
enum class SamplerPlacement {
  /// Host: each step's probabilities are copied to the CPU and sample i draws from an mt19937_64
  /// seeded by (seed, i): the same samples on every machine for the same logits.
  kHost,
  /// Device: warpers and draws stay on the model's device; sample i's step-t uniform is a
  /// counter-based hash of (seed, i, t), computed there; ends (EOS, stop strings) and non-finite
  /// logits are checked every kDeviceSyncSteps steps, so decoding does not wait on the host each
  /// token. The same on one device for a seed, not the host sampler's samples.
  kDevice,
  /// kDevice on CUDA, kHost on the CPU.
  kAuto,
};
inline constexpr std::int64_t kDeviceSyncSteps = 16;

class PrefixStore;  // prefix_cache.h

/// `count` continuations of `prefix`. The prefix runs once (prefix_cache.h: `prefill`, taking the
/// blocks `prefix_store` holds, when given); its KV cache is shared by all samples. Sample i is a
/// function of (model, prefix, params, seed, i, placement) alone, whatever the store holds. Stop
/// strings need a tokenizer. `on_finished` (may be empty) hears the count of finished samples
/// whenever it grows.
std::vector<Sample> sample_continuations(const Model& model, const std::vector<std::int64_t>& prefix,
                                         std::int64_t count, std::uint64_t seed, const SamplingParams& params,
                                         const Tokenizer* tokenizer = nullptr,
                                         const std::function<void(std::int64_t)>& on_finished = {},
                                         SamplerPlacement placement = SamplerPlacement::kAuto,
                                         PrefixStore* prefix_store = nullptr);

/// The next-token distribution after temperature, top-k and top-p, as transformers' warpers
/// compute it, row by row: logits [..., d_vocab] -> float32 probabilities of the same shape on the
/// CPU, zeros where cut. Exposed for tests.
at::Tensor next_token_probabilities(const at::Tensor& logits, const SamplingParams& params);

/// The device sampler's pieces, exposed for tests: step `step`'s uniforms in [0, 1) of samples
/// 0..count-1 (float64 [count] on `device`), and inverse-CDF draws from probabilities [rows,
/// d_vocab] with uniforms [rows]: the first token whose cumulative probability exceeds
/// uniform x total (past the last nonzero one, through rounding: that one).
at::Tensor device_uniforms(std::uint64_t seed, std::int64_t count, std::int64_t step, c10::Device device);
at::Tensor draw_on_device(const at::Tensor& probabilities, const at::Tensor& uniforms);

/// Teacher forcing: log P(continuation token j | context, earlier continuation tokens), for each
/// pair, computed in batched forward passes.
std::vector<std::vector<double>> score_continuations(const Model& model,
                                                     const std::vector<std::vector<std::int64_t>>& contexts,
                                                     const std::vector<std::vector<std::int64_t>>& continuations);

}  // namespace forensics::runtime
