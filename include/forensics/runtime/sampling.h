// runtime: the vocabulary of sampling, shared by every backend (the local libtorch model, a fake
// in tests): the parameters, the dtype a model computes in, and what one sample is. Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/runtime/model_config.h"
#include "forensics/util/name_table.h"

namespace forensics::runtime {

/// Prefixes this long or longer are long: they are prefilled in blocks the local runner keeps
/// (prefix_cache.h) and, on a model whose attention allows it, their samples attend to one copy of
/// their keys and values (KvCache::share_rows). Shorter ones run as they always did, so every
/// sample and verdict measured on short prompts (the organisms', under 512 tokens) stays as it was:
/// the long-prefix paths round differently (docs/runtime.md, "Shared prefix", "Prefix blocks").
inline constexpr std::int64_t kLongPrefix = 512;
/// What the local runner's store of prefix blocks may hold (least recently used out first).
inline constexpr std::int64_t kPrefixStoreBytes = std::int64_t{1} << 30;

/// Whether sampling holds a prefix of this length once for all samples rather than copying it to
/// each: decoding then reads the prefix once per step, not once per sample.
inline bool shares_prefix(const ModelConfig& config, std::int64_t prefix_length) {
  return prefix_length >= kLongPrefix && config.shares_prefix_attention();
}

/// How continuations are drawn; the warpers are applied as transformers applies them.
struct SamplingParams {
  double temperature = 1.0;  // 0: greedy (argmax, first maximum on ties)
  double top_p = 1.0;        // keep the smallest set of tokens with probability >= top_p
  std::int64_t top_k = 0;    // 0: no top-k cut
  std::int64_t max_new_tokens = 64;
  std::vector<std::int64_t> eos_token_ids;  // any ends a sample (and is kept as its last token)
  std::vector<std::string> stop_strings;    // ends a sample once its decoded text contains one
};

enum class FinishReason { kEos, kStopString, kLength };
inline constexpr util::NameTable kFinishReasonNames{std::array{
    util::NameEntry<FinishReason>{FinishReason::kEos, "eos"},
    util::NameEntry<FinishReason>{FinishReason::kStopString, "stop"},
    util::NameEntry<FinishReason>{FinishReason::kLength, "length"},
}};

struct Sample {
  std::vector<std::int64_t> tokens;  // generated tokens only
  FinishReason finish = FinishReason::kLength;
};

/// The floating-point type a model computes in.
enum class Dtype { kFloat32, kBFloat16, kFloat16 };
inline constexpr util::NameTable kDtypeNames{std::array{
    util::NameEntry<Dtype>{Dtype::kFloat32, "float32"},
    util::NameEntry<Dtype>{Dtype::kBFloat16, "bfloat16"},
    util::NameEntry<Dtype>{Dtype::kFloat16, "float16"},
}};

/// "auto" (absent: the device's default) or a kDtypeNames spelling; throws InputError naming
/// `option` otherwise.
std::optional<Dtype> parse_dtype_choice(std::string_view text, std::string_view option = "--dtype");

}  // namespace forensics::runtime
