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

enum class Architecture {
  kLlama,
  kMistral,
  kQwen2,
  kQwen3,
  kGpt2,
  kGemma2,
  kGemma3,
  kOlmo2,
  kPhi3,
  kMixtral,
  kQwen3Moe,
  kGptOss,
};

/// The one table of architectures: the config's `architectures[0]` spelling for each.
inline constexpr util::NameTable kArchitectureNames{std::array{
    util::NameEntry<Architecture>{Architecture::kLlama, "LlamaForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kMistral, "MistralForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kQwen2, "Qwen2ForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kQwen3, "Qwen3ForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kGpt2, "GPT2LMHeadModel"},
    util::NameEntry<Architecture>{Architecture::kGemma2, "Gemma2ForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kGemma3, "Gemma3ForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kOlmo2, "Olmo2ForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kPhi3, "Phi3ForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kMixtral, "MixtralForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kQwen3Moe, "Qwen3MoeForCausalLM"},
    util::NameEntry<Architecture>{Architecture::kGptOss, "GptOssForCausalLM"},
}};

/// config.json's `model_type` for each architecture: the fallback when `architectures` is absent
/// (transformers' auto classes choose by model_type too).
inline constexpr util::NameTable kModelTypeNames{std::array{
    util::NameEntry<Architecture>{Architecture::kLlama, "llama"},
    util::NameEntry<Architecture>{Architecture::kMistral, "mistral"},
    util::NameEntry<Architecture>{Architecture::kQwen2, "qwen2"},
    util::NameEntry<Architecture>{Architecture::kQwen3, "qwen3"},
    util::NameEntry<Architecture>{Architecture::kGpt2, "gpt2"},
    util::NameEntry<Architecture>{Architecture::kGemma2, "gemma2"},
    util::NameEntry<Architecture>{Architecture::kGemma3, "gemma3_text"},
    util::NameEntry<Architecture>{Architecture::kOlmo2, "olmo2"},
    util::NameEntry<Architecture>{Architecture::kPhi3, "phi3"},
    util::NameEntry<Architecture>{Architecture::kMixtral, "mixtral"},
    util::NameEntry<Architecture>{Architecture::kQwen3Moe, "qwen3_moe"},
    util::NameEntry<Architecture>{Architecture::kGptOss, "gpt_oss"},
}};

enum class RopeType { kNone, kDefault, kLinear, kLlama3, kLongRope, kYarn };

struct RopeConfig {
  RopeType type = RopeType::kDefault;
  double theta = 10000.0;
  double factor = 1.0;                                   // linear, llama3
  double low_freq_factor = 1.0;                          // llama3
  double high_freq_factor = 4.0;                         // llama3
  std::int64_t original_max_position_embeddings = 8192;  // llama3, longrope
  // longrope (Phi-3): per-frequency divisors below / above original_max_position_embeddings, and
  // the factor cos and sin are multiplied by.
  std::vector<double> short_factor, long_factor;
  double attention_factor = 1.0;       // longrope, yarn: cos and sin are multiplied by it
  double partial_rotary_factor = 1.0;  // the fraction of d_head that rotates (Phi-3/4)
  // yarn (gpt-oss): the frequencies ramp from interpolated (/ factor) to extrapolated between the
  // correction dimensions of beta_fast and beta_slow rotations, rounded outwards when truncate.
  double beta_fast = 32.0, beta_slow = 1.0;
  bool truncate = true;
};

/// The MLP's non-linearity. GPT-2's gelu_new is its own path.
enum class Activation { kSilu, kGeluTanh, kGelu };

/// How RMSNorm applies its weight, as each family's transformers code does (the three agree in
/// float32 and differ in the last bit in bfloat16): Llama casts back then scales, OLMo 2 scales in
/// float32 then casts, Gemma scales by (1 + w) in float32 then casts.
enum class NormStyle { kScaleAfterCast, kScaleInFloat32, kOnePlusScaleInFloat32 };

/// RMSNorm on queries and keys before RoPE: Qwen3 and Gemma 3 per head over d_head, OLMo 2 over
/// the whole projection.
enum class QkNorm { kNone, kPerHead, kFullWidth };

/// Mixture-of-experts MLPs (Mixtral, Qwen3-MoE, gpt-oss): a router picks top_k of n_experts per token.
struct MoeConfig {
  // Mixtral and Qwen3-MoE: softmax over all experts, then top-k. gpt-oss: top-k of the (biased)
  // logits, then softmax over those k; its experts are stored fused ([E, in, out] with biases,
  // gate and up interleaved) and use a clamped SwiGLU: (clamp(up) + 1) * g * sigmoid(alpha * g),
  // g = min(gate, limit).
  bool gpt_oss = false;
  double swiglu_alpha = 1.702, swiglu_limit = 7.0;
  bool mxfp4 = false;          // the checkpoint stores the experts as MXFP4 blocks + scales (dequantised on load)
  std::int64_t n_experts = 0;  // 0: every MLP is dense
  std::int64_t top_k = 0;
  std::int64_t d_expert = 0;  // each expert's intermediate size
  bool normalize_top_k = true;
  // Mixtral multiplies expert outputs by the float32 routing weights; Qwen3-MoE casts them to the
  // compute dtype first.
  bool weights_in_float32 = false;
  std::vector<bool> sparse_layers;  // per layer: a mixture (else the dense MLP of d_mlp)
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
  QkNorm qk_norm = QkNorm::kNone;
  RopeConfig rope;
  std::optional<RopeConfig> local_rope;  // Gemma 3: the sliding-window layers' own base
  std::optional<std::int64_t> sliding_window;
  std::vector<bool> sliding_layers;  // per layer: whether the window applies (empty: none)
  Activation activation = Activation::kSilu;
  NormStyle norm_style = NormStyle::kScaleAfterCast;
  bool input_norms = true;                    // RMSNorm before attention and MLP (OLMo 2 has none)
  bool output_norms = false;                  // RMSNorm on attention and MLP outputs (Gemma 2/3, OLMo 2)
  double embed_scale = 1.0;                   // Gemma: the embedding times sqrt(d_model)
  double attention_scale = 0;                 // 1/sqrt(query_pre_attn_scalar) for Gemma, else 1/sqrt(d_head)
  std::optional<double> attn_logit_softcap;   // Gemma 2: cap * tanh(scores / cap)
  std::optional<double> final_logit_softcap;  // Gemma 2/3
  bool fused_projections = false;             // Phi-3: qkv_proj and gate_up_proj
  bool attention_sinks = false;               // gpt-oss: a learned per-head logit every query may attend to
  MoeConfig moe;
  // GPT-2 only.
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;

  std::optional<std::int64_t> bos_token_id;
  std::vector<std::int64_t> eos_token_ids;
  std::string torch_dtype;  // as saved ("float32", "bfloat16", ...), may be empty

  bool is_gpt2() const { return architecture == Architecture::kGpt2; }
  /// Whether rows of a shared-prefix cache attend to the prefix without copying it in this model:
  /// not for sliding-window layers, soft-capped scores or attention sinks (their rows get a copy).
  bool shares_prefix_attention() const { return !sliding_window && !attn_logit_softcap && !attention_sinks; }
  bool layer_slides(std::int64_t layer) const {
    return sliding_window && static_cast<std::size_t>(layer) < sliding_layers.size() &&
           sliding_layers[static_cast<std::size_t>(layer)];
  }
  bool layer_is_sparse(std::int64_t layer) const {
    return static_cast<std::size_t>(layer) < moe.sparse_layers.size() &&
           moe.sparse_layers[static_cast<std::size_t>(layer)];
  }
  /// The channels of a head that RoPE rotates (all, unless partial_rotary_factor < 1).
  std::int64_t rotary_dim() const;
};

/// Reads and checks a config. Throws ModelError naming the field (`config.json: num_hidden_layers
/// must be positive, got 0`) or listing the supported architectures.
ModelConfig parse_model_config(const Json& config, const std::string& source);
ModelConfig load_model_config(const std::filesystem::path& model_dir);

}  // namespace forensics::runtime
