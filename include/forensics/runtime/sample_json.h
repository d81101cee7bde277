// runtime: a model's answers as JSON, for the answers kept on disk (the engine's request cache, the
// local run's journal): a sample as {"tokens": [ids], "finish": "eos" | "stop" | "length"}, numbers
// (log-probabilities, patched metrics) as an array where a non-finite one is "nan", "inf" or "-inf"
// (JSON has no spelling for them).
#pragma once

#include <optional>
#include <vector>

#include "forensics/runtime/sampling.h"
#include "forensics/util/json.h"

namespace forensics::runtime {

Json sample_to_json(const Sample& sample);

/// The sampling parameters as the verdict's reproducibility block records them and the answer
/// caches key them: temperature, top_p, top_k, max_new_tokens, eos_token_ids, stop_strings.
Json sampling_params_json(const SamplingParams& params);

/// The sample `value` holds, or nothing when it is not one (a damaged entry is a cache miss).
std::optional<Sample> sample_from_json(const Json& value);

Json numbers_to_json(const std::vector<double>& numbers);

/// The numbers `value` holds, or nothing when it is not an array of them.
std::optional<std::vector<double>> numbers_from_json(const Json& value);

}  // namespace forensics::runtime
