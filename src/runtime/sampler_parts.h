// runtime (internal): what the host and the device samplers share (generation.cc,
// device_sampler.cc): the warpers, the per-sample seeds, the bookkeeping that ends samples at EOS
// or a stop string, and the errors for non-finite logits.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "forensics/runtime/model.h"
#include "forensics/runtime/sampling.h"
#include "forensics/runtime/tokenizer.h"

namespace forensics::runtime::detail {

/// Temperature, top-k and top-p on float32 scores [rows, d_vocab], on their own device, as
/// transformers' warpers apply them: probabilities of the same shape, zeros where cut.
at::Tensor warp(at::Tensor scores, const SamplingParams& params);

/// SplitMix64 of (seed, index): independent, well-mixed seeds for each sample.
std::uint64_t sample_seed(std::uint64_t seed, std::uint64_t index);

/// Where non-finite values first appear when the model reads `ids`, for an error message.
std::string first_non_finite(const Model& model, const at::Tensor& ids);
[[noreturn]] void non_finite(const std::string& what, const std::string& where);

/// The samples being drawn: each token is appended in order until the sample ends (an EOS id, kept
/// as its last token, or a stop string in its decoded text); later tokens of an ended sample are
/// ignored, so both samplers end samples by the same rule.
class SampleBook {
 public:
  SampleBook(std::int64_t count, const SamplingParams& params, const Tokenizer* tokenizer);
  /// Appends `token` to sample `i` unless it has ended.
  void add(std::int64_t i, std::int64_t token);
  bool ended(std::int64_t i) const { return ended_[static_cast<std::size_t>(i)]; }
  std::int64_t ended_count() const { return ended_count_; }
  std::int64_t count() const { return static_cast<std::int64_t>(samples_.size()); }
  std::vector<Sample> take() { return std::move(samples_); }

 private:
  const SamplingParams& params_;
  const Tokenizer* tokenizer_;
  std::vector<Sample> samples_;
  std::vector<bool> ended_;
  std::int64_t ended_count_ = 0;
};

/// The device sampler (device_sampler.cc): `cache` holds the prefix, expanded to `count` rows,
/// and `last_logits` [count, d_vocab] are the prefix's next-token logits.
std::vector<Sample> sample_on_device(const Model& model, KvCache& cache, at::Tensor last_logits,
                                     std::int64_t prefix_length, std::uint64_t seed, const SamplingParams& params,
                                     SampleBook& book, const std::function<void(std::int64_t)>& on_finished);

}  // namespace forensics::runtime::detail
