// What each family changes in the Llama reading of config.json, with transformers' defaults for
// absent fields (docs/runtime.md, "Architectures"). Checkpoint tensor names are in tensor_layout.cc.
#include <cmath>
#include <optional>

#include "config_readers.h"

namespace forensics::runtime {
namespace {

Activation read_activation(const ConfigFields& fields, const char* key, const std::string& fallback) {
  const std::string name = fields.text_or(key, fallback);
  if (name == "silu" || name == "swish") return Activation::kSilu;
  if (name == "gelu_pytorch_tanh") return Activation::kGeluTanh;
  if (name == "gelu") return Activation::kGelu;
  fields.fail(std::string(key) + " \"" + name + "\" is not supported (silu, swish, gelu, gelu_pytorch_tanh are)");
}

/// A number that null switches off (Gemma's soft-capping): absent gives transformers' default.
std::optional<double> optional_number(const ConfigFields& fields, const char* key, std::optional<double> fallback) {
  if (!fields.json().contains(key)) return fallback;
  if (fields.json().at(key).is_null()) return std::nullopt;
  const double value = fields.number_or(key, 0);
  if (!std::isfinite(value) || value <= 0) fields.fail(std::string(key) + " must be a positive number or null");
  return value;
}

/// Which layers attend within the window: `layer_types` when the config lists them, else every
/// `pattern`-th layer is global (pattern 0: every layer slides).
void read_sliding_layers(const ConfigFields& fields, ModelConfig& out, std::int64_t pattern) {
  out.sliding_layers.assign(static_cast<std::size_t>(out.n_layers), pattern == 0);
  if (pattern > 0) {
    for (std::int64_t l = 0; l < out.n_layers; ++l) out.sliding_layers[l] = (l + 1) % pattern != 0;
  }
  if (!fields.has("layer_types")) return;
  const Json& types = fields.json().at("layer_types");
  if (!types.is_array() || static_cast<std::int64_t>(types.size()) != out.n_layers) {
    fields.fail("layer_types must list one type per layer (" + std::to_string(out.n_layers) + ")");
  }
  for (std::size_t l = 0; l < types.size(); ++l) {
    const std::string type = types[l].is_string() ? types[l].get<std::string>() : types[l].dump();
    if (type != "sliding_attention" && type != "full_attention") {
      fields.fail("layer_types[" + std::to_string(l) + "] \"" + type +
                  "\" is not supported (sliding_attention, full_attention are)");
    }
    out.sliding_layers[l] = type == "sliding_attention";
  }
}

/// Mistral, Phi-3, Mixtral: a window on every layer when sliding_window is set.
void read_optional_window(const ConfigFields& fields, ModelConfig& out) {
  if (!fields.has("sliding_window")) return;
  out.sliding_window = fields.positive("sliding_window");
  read_sliding_layers(fields, out, 0);
}

void refuse_qwen_window(const ConfigFields& fields) {
  if (fields.flag_or("use_sliding_window", false)) {
    fields.fail("use_sliding_window true is not supported for this architecture (no released checkpoint uses it)");
  }
}

void read_gemma(const ConfigFields& fields, ModelConfig& out) {
  const bool gemma2 = out.architecture == Architecture::kGemma2;
  out.norm_style = NormStyle::kOnePlusScaleInFloat32;
  out.output_norms = true;
  out.embed_scale = std::sqrt(static_cast<double>(out.d_model));
  out.activation = read_activation(fields, fields.has("hidden_activation") ? "hidden_activation" : "hidden_act",
                                   "gelu_pytorch_tanh");
  out.attention_scale = 1.0 / std::sqrt(fields.number_or("query_pre_attn_scalar", 256));
  if (!std::isfinite(out.attention_scale)) fields.fail("query_pre_attn_scalar must be a positive number");
  out.attention_bias = fields.flag_or("attention_bias", false);
  out.o_proj_bias = out.attention_bias;
  // transformers runs Gemma 3 without attention soft-capping whatever the config says.
  if (gemma2) out.attn_logit_softcap = optional_number(fields, "attn_logit_softcapping", 50.0);
  out.final_logit_softcap =
      optional_number(fields, "final_logit_softcapping", gemma2 ? std::optional(30.0) : std::nullopt);
  out.sliding_window = fields.positive_or("sliding_window", 4096);
  read_sliding_layers(fields, out, gemma2 ? 2 : fields.positive_or("sliding_window_pattern", 6));
  if (!gemma2) {
    out.qk_norm = QkNorm::kPerHead;
    if (fields.flag_or("use_bidirectional_attention", false)) {
      fields.fail("use_bidirectional_attention true (an embedding model) is not supported; causal models are");
    }
  }
}

/// quantization_config: gpt-oss's MXFP4 experts are dequantised on load; nothing else is read.
void read_quantization(const ConfigFields& fields, ModelConfig& out) {
  if (!fields.has("quantization_config")) return;
  const Json& quantization = fields.json().at("quantization_config");
  const std::string method = quantization.is_object() && quantization.contains("quant_method")
                                 ? ConfigFields(quantization, "quantization_config").text_or("quant_method", "")
                                 : quantization.dump();
  if (method == "mxfp4" && out.architecture == Architecture::kGptOss) {
    out.moe.mxfp4 = true;
    if (out.d_model % 32 != 0 || out.moe.d_expert % 32 != 0) {
      fields.fail("MXFP4 experts need hidden_size and intermediate_size divisible by 32 (its block size)");
    }
    return;
  }
  fields.fail("quantization_config quant_method \"" + method +
              "\" is not supported (only gpt-oss's mxfp4 experts, dequantised on load); use an unquantised checkpoint");
}

void read_gpt_oss(const ConfigFields& fields, ModelConfig& out) {
  out.attention_bias = fields.flag_or("attention_bias", true);
  out.o_proj_bias = out.attention_bias;
  out.attention_sinks = true;
  out.norm_style = NormStyle::kScaleInFloat32;
  out.sliding_window = fields.positive_or("sliding_window", 128);
  read_sliding_layers(fields, out, 2);
  out.moe.gpt_oss = true;
  out.moe.swiglu_alpha = fields.number_or("swiglu_alpha", 1.702);
  out.moe.swiglu_limit = fields.number_or("swiglu_limit", 7.0);
  if (!(out.moe.swiglu_limit > 0) || !std::isfinite(out.moe.swiglu_alpha)) {
    fields.fail("swiglu_limit must be positive and swiglu_alpha a number");
  }
}

/// Transformers' default experts per token when the config does not say.
std::int64_t default_top_k(Architecture architecture) {
  switch (architecture) {
    case Architecture::kMixtral: return 2;
    case Architecture::kGptOss: return 4;
    default: return 8;  // Qwen3-MoE
  }
}

void read_experts(const ConfigFields& fields, ModelConfig& out) {
  MoeConfig& moe = out.moe;
  // Mixtral and gpt-oss: every layer a mixture of experts of intermediate_size; Qwen3-MoE has its
  // own expert width and may keep some layers dense.
  const bool qwen = out.architecture == Architecture::kQwen3Moe;
  moe.n_experts =
      fields.has("num_local_experts") ? fields.positive("num_local_experts") : fields.positive("num_experts");
  moe.top_k = fields.positive_or("num_experts_per_tok", default_top_k(out.architecture));
  if (moe.top_k > moe.n_experts) {
    fields.fail("num_experts_per_tok (" + std::to_string(moe.top_k) + ") exceeds the number of experts (" +
                std::to_string(moe.n_experts) + ")");
  }
  moe.d_expert = qwen ? fields.positive("moe_intermediate_size") : out.d_mlp;
  moe.normalize_top_k = !qwen || fields.flag_or("norm_topk_prob", false);
  moe.weights_in_float32 = out.architecture == Architecture::kMixtral;
  moe.sparse_layers.assign(static_cast<std::size_t>(out.n_layers), true);
  if (!qwen) return;
  // A layer is sparse unless listed in mlp_only_layers, every decoder_sparse_step-th.
  const std::int64_t step = fields.positive_or("decoder_sparse_step", 1);
  for (std::int64_t l = 0; l < out.n_layers; ++l) moe.sparse_layers[static_cast<std::size_t>(l)] = (l + 1) % step == 0;
  for (const std::int64_t l : fields.ids("mlp_only_layers")) {
    if (l < 0 || l >= out.n_layers) {
      fields.fail("mlp_only_layers names layer " + std::to_string(l) + ", not in the model");
    }
    moe.sparse_layers[static_cast<std::size_t>(l)] = false;
  }
}

}  // namespace

void read_family(const ConfigFields& fields, ModelConfig& out) {
  // gpt-oss's experts use their own clamped SwiGLU; its hidden_act is not read by transformers.
  out.activation =
      out.architecture == Architecture::kGptOss ? Activation::kSilu : read_activation(fields, "hidden_act", "silu");
  out.attention_scale = 1.0 / std::sqrt(static_cast<double>(out.d_head));
  switch (out.architecture) {
    case Architecture::kQwen2:
      out.attention_bias = true;  // q/k/v always have a bias in Qwen2; o_proj never
      refuse_qwen_window(fields);
      break;
    case Architecture::kQwen3:
    case Architecture::kQwen3Moe:
      out.attention_bias = fields.flag_or("attention_bias", false);
      out.o_proj_bias = out.attention_bias;
      out.qk_norm = QkNorm::kPerHead;
      refuse_qwen_window(fields);
      if (out.architecture == Architecture::kQwen3Moe) read_experts(fields, out);
      break;
    case Architecture::kGemma2:
    case Architecture::kGemma3: read_gemma(fields, out); break;
    case Architecture::kOlmo2:
      out.attention_bias = fields.flag_or("attention_bias", false);
      out.o_proj_bias = out.attention_bias;
      out.qk_norm = QkNorm::kFullWidth;
      out.norm_style = NormStyle::kScaleInFloat32;
      out.input_norms = false;
      out.output_norms = true;
      break;
    case Architecture::kPhi3:
      out.fused_projections = true;
      read_optional_window(fields, out);
      break;
    case Architecture::kMixtral:
      read_experts(fields, out);
      read_optional_window(fields, out);
      break;
    case Architecture::kGptOss:
      read_experts(fields, out);
      read_gpt_oss(fields, out);
      break;
    default:  // Llama, Mistral
      out.attention_bias = fields.flag_or("attention_bias", false);
      out.o_proj_bias = out.attention_bias;
      out.mlp_bias = fields.flag_or("mlp_bias", false);
      if (out.architecture == Architecture::kMistral) read_optional_window(fields, out);
      break;
  }
  read_quantization(fields, out);
}

}  // namespace forensics::runtime
