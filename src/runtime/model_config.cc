#include "forensics/runtime/model_config.h"

#include <cmath>
#include <cstdio>

#include "forensics/util/error.h"
#include "forensics/util/json_document.h"

namespace forensics::runtime {
namespace {

class ConfigFields {
 public:
  ConfigFields(const Json& config, std::string source) : config_(config), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& message) const { throw ModelError(source_ + ": " + message); }

  bool has(const char* key) const { return config_.contains(key) && !config_.at(key).is_null(); }

  std::int64_t positive(const char* key) const {
    if (!has(key)) fail(std::string("missing \"") + key + "\"");
    const Json& value = config_.at(key);
    if (!value.is_number_integer()) fail(std::string(key) + " must be an integer, got " + value.dump());
    const auto number = value.get<std::int64_t>();
    if (number <= 0) fail(std::string(key) + " must be positive, got " + std::to_string(number));
    return number;
  }
  std::int64_t positive_or(const char* key, std::int64_t fallback) const { return has(key) ? positive(key) : fallback; }
  double number_or(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    const Json& value = config_.at(key);
    if (!value.is_number()) fail(std::string(key) + " must be a number, got " + value.dump());
    return value.get<double>();
  }
  bool flag_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const Json& value = config_.at(key);
    if (!value.is_boolean()) fail(std::string(key) + " must be true or false, got " + value.dump());
    return value.get<bool>();
  }
  std::vector<std::int64_t> ids(const char* key) const {
    if (!has(key)) return {};
    const Json& value = config_.at(key);
    if (value.is_number_integer()) return {value.get<std::int64_t>()};
    std::vector<std::int64_t> out;
    if (value.is_array()) {
      for (const auto& id : value) {
        if (!id.is_number_integer()) fail(std::string(key) + " must be an id or a list of ids");
        out.push_back(id.get<std::int64_t>());
      }
      return out;
    }
    fail(std::string(key) + " must be an id or a list of ids");
  }
  const Json& json() const { return config_; }

 private:
  const Json& config_;
  std::string source_;
};

// transformers 4 writes rope_theta + rope_scaling; 5 writes rope_parameters (which may also carry
// rope_theta). Accept both, as transformers' own loader does.
RopeConfig read_rope_fields(const ConfigFields& fields) {
  RopeConfig rope;
  rope.theta = fields.number_or("rope_theta", 10000.0);
  const Json* scaling = nullptr;
  if (fields.has("rope_parameters")) scaling = &fields.json().at("rope_parameters");
  if (fields.has("rope_scaling")) scaling = &fields.json().at("rope_scaling");
  if (scaling == nullptr) return rope;
  if (!scaling->is_object()) fields.fail("rope_scaling must be an object or null");
  const ConfigFields sub(*scaling, "config.json rope_scaling");
  rope.theta = sub.number_or("rope_theta", rope.theta);
  std::string type = "default";
  if (scaling->contains("rope_type") && scaling->at("rope_type").is_string()) {
    type = scaling->at("rope_type").get<std::string>();
  } else if (scaling->contains("type") && scaling->at("type").is_string()) {
    type = scaling->at("type").get<std::string>();
  }
  if (type == "default") {
    rope.type = RopeType::kDefault;
  } else if (type == "linear") {
    rope.type = RopeType::kLinear;
    rope.factor = sub.number_or("factor", 1.0);
  } else if (type == "llama3") {
    rope.type = RopeType::kLlama3;
    rope.factor = sub.number_or("factor", 8.0);
    rope.low_freq_factor = sub.number_or("low_freq_factor", 1.0);
    rope.high_freq_factor = sub.number_or("high_freq_factor", 4.0);
    rope.original_max_position_embeddings = sub.positive_or("original_max_position_embeddings", 8192);
    if (rope.high_freq_factor <= rope.low_freq_factor) {
      fields.fail("rope_scaling: high_freq_factor must exceed low_freq_factor");
    }
  } else {
    fields.fail("rope type \"" + type + "\" is not supported; supported: default, linear, llama3");
  }
  if (!std::isfinite(rope.factor) || rope.factor <= 0) fields.fail("rope_scaling.factor must be a positive number");
  return rope;
}

RopeConfig read_rope(const ConfigFields& fields) {
  RopeConfig rope = read_rope_fields(fields);
  // A zero, negative or infinite base gives NaN or constant rotations: every logit NaN.
  if (!std::isfinite(rope.theta) || rope.theta <= 0) {
    char value[32];
    std::snprintf(value, sizeof value, "%g", rope.theta);
    fields.fail(std::string("rope_theta must be a positive number, got ") + value);
  }
  return rope;
}

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
  for (const auto& size : kSizeLimits) {
    const std::int64_t value = config.*size.field;
    if (value > size.limit) {
      fields.fail(std::string(size.what) + " " + std::to_string(value) + " is beyond any real model (at most " +
                  std::to_string(size.limit) + " here): a corrupted config.json?");
    }
  }
}

/// The MLP's activation: the runtime implements SiLU (Llama, Mistral, Qwen) only; anything else
/// would silently run as SiLU.
void check_activation(const Json& config, const ConfigFields& fields) {
  if (!config.contains("hidden_act") || config["hidden_act"].is_null()) return;
  const Json& value = config["hidden_act"];
  const std::string name = value.is_string() ? value.get<std::string>() : value.dump();
  if (name != "silu" && name != "swish") {
    fields.fail("hidden_act \"" + name + "\" is not supported (silu is; swish is the same function)");
  }
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
  } else {
    out.d_vocab = fields.positive("vocab_size");
    out.d_model = fields.positive("hidden_size");
    out.d_mlp = fields.positive("intermediate_size");
    out.n_layers = fields.positive("num_hidden_layers");
    out.n_heads = fields.positive("num_attention_heads");
    out.n_kv_heads = fields.positive_or("num_key_value_heads", out.n_heads);
    out.n_ctx = fields.positive_or("max_position_embeddings", 2048);
    out.norm_eps = fields.number_or("rms_norm_eps", 1e-6);
    out.tie_word_embeddings = fields.flag_or("tie_word_embeddings", false);
    if (fields.has("head_dim")) {
      out.d_head = fields.positive("head_dim");  // authoritative when present
    } else {
      if (out.d_model % out.n_heads != 0) fields.fail("hidden_size must be divisible by num_attention_heads");
      out.d_head = out.d_model / out.n_heads;
    }
    if (out.d_head % 2 != 0) fields.fail("head_dim must be even for rotary embeddings");
    if (out.n_heads % out.n_kv_heads != 0) {
      fields.fail("num_attention_heads (" + std::to_string(out.n_heads) +
                  ") must be a multiple of num_key_value_heads (" + std::to_string(out.n_kv_heads) + ")");
    }
    check_activation(config, fields);
    out.rope = read_rope(fields);
    switch (out.architecture) {
      case Architecture::kQwen2:
        out.attention_bias = true;  // q/k/v always have a bias in Qwen2; o_proj never
        break;
      case Architecture::kQwen3:
        out.attention_bias = fields.flag_or("attention_bias", false);
        out.qk_norm = true;
        break;
      default:
        out.attention_bias = fields.flag_or("attention_bias", false);
        out.o_proj_bias = out.attention_bias;
        out.mlp_bias = fields.flag_or("mlp_bias", false);
        break;
    }
    if (out.architecture == Architecture::kMistral && fields.has("sliding_window")) {
      out.sliding_window = fields.positive("sliding_window");
    }
  }
  if (!std::isfinite(out.norm_eps) || out.norm_eps <= 0) fields.fail("the norm epsilon must be positive");
  check_sizes(out, fields);
  return out;
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
