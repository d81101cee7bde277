// runtime: sampling continuations (temperature, top-k, top-p as transformers applies them) and
// teacher-forced scoring. Every sample draws from its own generator, seeded from (seed, sample
// index), on the CPU, so a sample does not depend on the batch it ran in or on the device's RNG.
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

/// `count` continuations of `prefix`. The prefix runs once; its KV cache is shared by all samples.
/// Sample i is a function of (model, prefix, params, seed, i) alone. Stop strings need a tokenizer.
/// `on_finished` (may be empty) hears the count of finished samples whenever it grows.
std::vector<Sample> sample_continuations(const Model& model, const std::vector<std::int64_t>& prefix,
                                         std::int64_t count, std::uint64_t seed, const SamplingParams& params,
                                         const Tokenizer* tokenizer = nullptr,
                                         const std::function<void(std::int64_t)>& on_finished = {});

/// The next-token distribution after temperature, top-k and top-p, as transformers' warpers
/// compute it, row by row: logits [..., d_vocab] -> float32 probabilities of the same shape on the
/// CPU, zeros where cut. Exposed for tests.
at::Tensor next_token_probabilities(const at::Tensor& logits, const SamplingParams& params);

/// Teacher forcing: log P(continuation token j | context, earlier continuation tokens), for each
/// pair, computed in batched forward passes.
std::vector<std::vector<double>> score_continuations(const Model& model,
                                                     const std::vector<std::vector<std::int64_t>>& contexts,
                                                     const std::vector<std::vector<std::int64_t>>& continuations);

}  // namespace forensics::runtime
