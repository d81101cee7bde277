#include "forensics/runtime/model_config.h"

#include <cmath>
#include <cstdio>

#include "config_readers.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"

namespace forensics::runtime {
namespace {

/// `architectures[0]`, else `model_type`.
Architecture read_architecture(const Json& config, const ConfigFields& fields) {
  const auto text = [&](const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); };
  if (config.contains("architectures") && config["architectures"].is_array() && !config["architectures"].empty()) {
    const std::string name = text(config["architectures"][0]);
    if (const auto architecture = kArchitectureNames.parse(name)) return *architecture;
    fields.fail("architecture \"" + name +
                "\" (architectures[0]) is not supported; supported: " + kArchitectureNames.choices());
  }
  if (config.contains("model_type")) {
    const std::string type = text(config["model_type"]);
    if (const auto architecture = kModelTypeNames.parse(type)) return *architecture;
    fields.fail("model_type \"" + type + "\" is not supported (and there is no \"architectures\" list); supported: " +
                kModelTypeNames.choices());
  }
  fields.fail(
      "names no architecture: expected \"architectures\" (e.g. [\"LlamaForCausalLM\"]) or \"model_type\"; "
      "supported: " +
      kArchitectureNames.choices());
}

/// What no real checkpoint exceeds (the largest open models have ~130 layers, 128 heads, 2^18
/// vocabulary entries, 10M positions): beyond these a config is corrupted or hostile, and sizing
/// buffers from it would exhaust memory before any tensor is compared. Named as Llama-family
/// configs spell them; GPT-2's n_layer, n_head, n_embd, n_inner and n_positions are the same sizes.
struct SizeLimit {
  const char* what;
  std::int64_t ModelConfig::*field;
  std::int64_t limit;
};
constexpr SizeLimit kSizeLimits[] = {
    {"num_hidden_layers", &ModelConfig::n_layers, 1024},
    {"num_attention_heads", &ModelConfig::n_heads, 4096},
    {"hidden_size", &ModelConfig::d_model, 1 << 18},
    {"intermediate_size", &ModelConfig::d_mlp, 1 << 21},
    {"head_dim", &ModelConfig::d_head, 1 << 14},
    {"vocab_size", &ModelConfig::d_vocab, 1 << 24},
    {"max_position_embeddings", &ModelConfig::n_ctx, 1 << 26},
};

void check_sizes(const ModelConfig& config, const ConfigFields& fields) {
  if (config.moe.n_experts > 4096) {
    fields.fail("num_experts " + std::to_string(config.moe.n_experts) +
                " is beyond any real model (at most 4096 here): a corrupted config.json?");
  }
  for (const auto& size : kSizeLimits) {
    const std::int64_t value = config.*size.field;
    if (value > size.limit) {
      fields.fail(std::string(size.what) + " " + std::to_string(value) + " is beyond any real model (at most " +
                  std::to_string(size.limit) + " here): a corrupted config.json?");
    }
  }
}

bool is_gemma(Architecture architecture) {
  return architecture == Architecture::kGemma2 || architecture == Architecture::kGemma3;
}

}  // namespace

ModelConfig parse_model_config(const Json& config, const std::string& source) {
  if (!config.is_object()) throw ModelError(source + ": expected a JSON object");
  const ConfigFields fields(config, source);
  ModelConfig out;
  out.architecture = read_architecture(config, fields);
  out.torch_dtype =
      config.contains("torch_dtype") && config["torch_dtype"].is_string()
          ? config["torch_dtype"].get<std::string>()
          : (config.contains("dtype") && config["dtype"].is_string() ? config["dtype"].get<std::string>() : "");
  out.bos_token_id =
      fields.has("bos_token_id") ? std::optional<std::int64_t>(fields.ids("bos_token_id").at(0)) : std::nullopt;
  out.eos_token_ids = fields.ids("eos_token_id");

  if (out.is_gpt2()) {
    out.d_vocab = fields.positive("vocab_size");
    out.d_model = fields.positive("n_embd");
    out.n_layers = fields.positive("n_layer");
    out.n_heads = fields.positive("n_head");
    out.n_kv_heads = out.n_heads;
    out.n_ctx = fields.positive("n_positions");
    out.d_mlp = fields.positive_or("n_inner", 4 * out.d_model);
    out.norm_eps = fields.number_or("layer_norm_epsilon", 1e-5);
    out.tie_word_embeddings = true;
    out.attention_bias = true;
    out.o_proj_bias = true;
    out.mlp_bias = true;
    out.scale_attn_weights = fields.flag_or("scale_attn_weights", true);
    out.scale_attn_by_inverse_layer_idx = fields.flag_or("scale_attn_by_inverse_layer_idx", false);
    out.rope.type = RopeType::kNone;
    const std::string activation = config.contains("activation_function") && config["activation_function"].is_string()
                                       ? config["activation_function"].get<std::string>()
                                       : "gelu_new";
    if (activation != "gelu_new")
      fields.fail("activation_function \"" + activation + "\" is not supported (gelu_new is)");
    if (out.d_model % out.n_heads != 0) fields.fail("n_embd must be divisible by n_head");
    out.d_head = out.d_model / out.n_heads;
    out.attention_scale = out.scale_attn_weights ? 1.0 / std::sqrt(static_cast<double>(out.d_head)) : 1.0;
  } else {
    const bool gemma = is_gemma(out.architecture);
    out.d_vocab = fields.positive("vocab_size");
    out.d_model = fields.positive("hidden_size");
    out.d_mlp = fields.positive("intermediate_size");
    out.n_layers = fields.positive("num_hidden_layers");
    out.n_heads = fields.positive("num_attention_heads");
    out.n_kv_heads = fields.positive_or("num_key_value_heads", out.n_heads);
    out.n_ctx = fields.positive_or("max_position_embeddings", 2048);
    out.norm_eps = fields.number_or("rms_norm_eps", 1e-6);
    // transformers' defaults when the field is absent: Gemma ties and has 256-wide heads.
    out.tie_word_embeddings = fields.flag_or("tie_word_embeddings", gemma);
    if (fields.has("head_dim")) {
      out.d_head = fields.positive("head_dim");  // authoritative when present
    } else if (gemma) {
      out.d_head = 256;
    } else {
      if (out.d_model % out.n_heads != 0) fields.fail("hidden_size must be divisible by num_attention_heads");
      out.d_head = out.d_model / out.n_heads;
    }
    if (out.n_heads % out.n_kv_heads != 0) {
      fields.fail("num_attention_heads (" + std::to_string(out.n_heads) +
                  ") must be a multiple of num_key_value_heads (" + std::to_string(out.n_kv_heads) + ")");
    }
    if (out.architecture == Architecture::kGemma3) {
      read_gemma3_ropes(fields, out);
      check_rope(*out.local_rope, out, fields);
    } else {
      const double default_theta = out.architecture == Architecture::kMixtral  ? 1'000'000.0
                                   : out.architecture == Architecture::kGptOss ? 150'000.0
                                                                               : 10'000.0;
      out.rope = read_rope(fields, default_theta);
    }
    check_rope(out.rope, out, fields);
    read_family(fields, out);
  }
  if (!std::isfinite(out.norm_eps) || out.norm_eps <= 0) fields.fail("the norm epsilon must be positive");
  check_sizes(out, fields);
  return out;
}

std::int64_t ModelConfig::rotary_dim() const {
  // transformers: int(head_dim * partial_rotary_factor).
  return static_cast<std::int64_t>(static_cast<double>(d_head) * rope.partial_rotary_factor);
}

ModelConfig load_model_config(const std::filesystem::path& model_dir) {
  const auto path = model_dir / "config.json";
  try {
    return parse_model_config(util::parse_json_strict(util::read_text_file(path, 16u << 20), path.string()),
                              path.string());
  } catch (const InputError& e) {
    throw ModelError(e.what());
  }
}

}  // namespace forensics::runtime
