// runtime: a model's `config.json` read into one normalized description for every supported
// architecture (docs/formats.md), with TransformerLens names for its dimensions. Torch-free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "forensics/util/json.h"
#include "forensics/util/name_table.h"

namespace forensics::runtime {

enum class Architecture { kLlama, kMistral, kQwen2, kQwen3, kGpt2 };

/// The one table of architectures: the config's `architectures[0]` spelling for each.
inline constexpr util::NameTable kArchitectureNames{std::array{
    util::NameEntry<Architecture>{Architecture::kLlama, "LlamaForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kMistral, "MistralForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kQwen2, "Qwen2ForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kQwen3, "Qwen3ForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kGpt2, "GPT2LMHeadModel"},
}};

/// config.json's `model_type` for each architecture: the fallback when `architectures` is absent
/// (transformers' auto classes choose by model_type too).
inline constexpr util::NameTable kModelTypeNames{std::array{
    util::NameEntry<Architecture>{Architecture::kLlama, "llama"},
    util::NameEntry<Architecture>{Architecture::kMistral, "mistral"},
    util::NameEntry<Architecture>{Architecture::kQwen2, "qwen2"},
    util::NameEntry<Architecture>{Architecture::kQwen3, "qwen3"},
    util::NameEntry<Architecture>{Architecture::kGpt2, "gpt2"},
}};

enum class RopeType { kNone, kDefault, kLinear, kLlama3 };

struct RopeConfig {
  RopeType type = RopeType::kDefault;
  double theta = 10000.0;
  double factor = 1.0;                                   // linear, llama3
  double low_freq_factor = 1.0;                          // llama3
  double high_freq_factor = 4.0;                         // llama3
  std::int64_t original_max_position_embeddings = 8192;  // llama3
};

struct ModelConfig {
  Architecture architecture = Architecture::kLlama;
  std::int64_t d_vocab = 0;
  std::int64_t d_model = 0;
  std::int64_t d_mlp = 0;
  std::int64_t n_layers = 0;
  std::int64_t n_heads = 0;
  std::int64_t n_kv_heads = 0;
  std::int64_t d_head = 0;
  std::int64_t n_ctx = 0;  // max_position_embeddings / n_positions
  double norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v (and o for Llama) biases
  bool o_proj_bias = false;
  bool mlp_bias = false;
  bool qk_norm = false;  // Qwen3: RMSNorm over d_head on q and k, before RoPE
  RopeConfig rope;
  std::optional<std::int64_t> sliding_window;
  // GPT-2 only.
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;

  std::optional<std::int64_t> bos_token_id;
  std::vector<std::int64_t> eos_token_ids;
  std::string torch_dtype;  // as saved ("float32", "bfloat16", ...), may be empty

  bool is_gpt2() const { return architecture == Architecture::kGpt2; }
};

/// Reads and checks a config. Throws ModelError naming the field (`config.json: num_hidden_layers
/// must be positive, got 0`) or listing the supported architectures.
ModelConfig parse_model_config(const Json& config, const std::string& source);
ModelConfig load_model_config(const std::filesystem::path& model_dir);

}  // namespace forensics::runtime
