// Loading a model: config, expected tensors with shapes, checkpoint bytes into tensors.
#include <cmath>
#include <cstring>

#include "forensics/runtime/safetensors.h"
#include "forensics/util/error.h"
#include "model_impl.h"

namespace forensics::runtime {
namespace {

c10::ScalarType torch_dtype(DType dtype) {
  switch (dtype) {
    case DType::kF32: return c10::kFloat;
    case DType::kF16: return c10::kHalf;
    case DType::kBF16: return c10::kBFloat16;
    case DType::kF64: return c10::kDouble;
    case DType::kI64: return c10::kLong;
    case DType::kI32: return c10::kInt;
    case DType::kI8: return c10::kChar;
    case DType::kU8: return c10::kByte;
    case DType::kBool: return c10::kBool;
    default: return c10::ScalarType::Undefined;
  }
}

std::string shape_text(c10::IntArrayRef shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// Collects every missing or mis-shaped tensor before failing, so one run shows them all.
class TensorLoader {
 public:
  TensorLoader(const Checkpoint& checkpoint, std::string directory, c10::Device device, c10::ScalarType dtype,
               std::map<std::string, at::Tensor>& parameters)
      : checkpoint_(checkpoint),
        directory_(std::move(directory)),
        device_(device),
        dtype_(dtype),
        parameters_(parameters) {}

  at::Tensor get(const std::string& name, std::vector<std::int64_t> shape) {
    const TensorView* view = checkpoint_.find(name);
    if (view == nullptr) {
      problems_.push_back("missing tensor " + name + " (expected shape " + shape_text(shape) + ")");
      return {};
    }
    if (view->shape != shape) {
      problems_.push_back("tensor " + name + " has shape " + shape_text(view->shape) + ", expected " +
                          shape_text(shape));
      return {};
    }
    const auto source = torch_dtype(view->dtype);
    if (source != c10::kFloat && source != c10::kHalf && source != c10::kBFloat16) {
      problems_.push_back("tensor " + name + " has dtype " + std::string(kDTypeNames.name(view->dtype)) +
                          "; weights must be F32, F16 or BF16");
      return {};
    }
    // Copy out of the mapping: the file may not be aligned for the element type, and the
    // model should not depend on the mapping staying alive.
    at::Tensor host = at::empty(shape, at::TensorOptions().dtype(source));
    if (view->size > 0) std::memcpy(host.data_ptr(), view->data, view->size);
    at::Tensor tensor = host.to(device_, dtype_);
    parameters_[name] = tensor;
    return tensor;
  }
  bool has(const std::string& name) const { return checkpoint_.find(name) != nullptr; }

  void finish() const {
    if (problems_.empty()) return;
    std::string message = directory_ + ": the checkpoint does not match config.json:";
    for (const auto& problem : problems_) message += "\n  " + problem;
    throw ModelError(message);
  }

 private:
  const Checkpoint& checkpoint_;
  std::string directory_;
  c10::Device device_;
  c10::ScalarType dtype_;
  std::map<std::string, at::Tensor>& parameters_;
  std::vector<std::string> problems_;
};

void load_llama_family(Model::Impl& model, TensorLoader& load) {
  const ModelConfig& c = model.config;
  const std::int64_t q_width = c.n_heads * c.d_head;
  const std::int64_t kv_width = c.n_kv_heads * c.d_head;
  model.embed = load.get("model.embed_tokens.weight", {c.d_vocab, c.d_model});
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights w;
    w.ln1_weight = load.get(p + "input_layernorm.weight", {c.d_model});
    w.ln2_weight = load.get(p + "post_attention_layernorm.weight", {c.d_model});
    w.q_weight = load.get(p + "self_attn.q_proj.weight", {q_width, c.d_model});
    w.k_weight = load.get(p + "self_attn.k_proj.weight", {kv_width, c.d_model});
    w.v_weight = load.get(p + "self_attn.v_proj.weight", {kv_width, c.d_model});
    w.o_weight = load.get(p + "self_attn.o_proj.weight", {c.d_model, q_width});
    if (c.attention_bias) {
      w.q_bias = load.get(p + "self_attn.q_proj.bias", {q_width});
      w.k_bias = load.get(p + "self_attn.k_proj.bias", {kv_width});
      w.v_bias = load.get(p + "self_attn.v_proj.bias", {kv_width});
    }
    if (c.o_proj_bias) w.o_bias = load.get(p + "self_attn.o_proj.bias", {c.d_model});
    if (c.qk_norm) {
      w.q_norm = load.get(p + "self_attn.q_norm.weight", {c.d_head});
      w.k_norm = load.get(p + "self_attn.k_norm.weight", {c.d_head});
    }
    w.gate_weight = load.get(p + "mlp.gate_proj.weight", {c.d_mlp, c.d_model});
    w.up_weight = load.get(p + "mlp.up_proj.weight", {c.d_mlp, c.d_model});
    w.down_weight = load.get(p + "mlp.down_proj.weight", {c.d_model, c.d_mlp});
    if (c.mlp_bias) {
      w.gate_bias = load.get(p + "mlp.gate_proj.bias", {c.d_mlp});
      w.up_bias = load.get(p + "mlp.up_proj.bias", {c.d_mlp});
      w.down_bias = load.get(p + "mlp.down_proj.bias", {c.d_model});
    }
    model.layers.push_back(w);
  }
  model.final_norm_weight = load.get("model.norm.weight", {c.d_model});
  // A checkpoint may carry lm_head.weight even when tied; it must then equal the embedding.
  model.unembed = c.tie_word_embeddings && !load.has("lm_head.weight")
                      ? model.embed
                      : load.get("lm_head.weight", {c.d_vocab, c.d_model});
}

void load_gpt2(Model::Impl& model, TensorLoader& load) {
  const ModelConfig& c = model.config;
  // openai-community/gpt2 uses bare names; checkpoints saved from GPT2LMHeadModel add "transformer.".
  const std::string root = load.has("transformer.wte.weight") ? "transformer." : "";
  model.embed = load.get(root + "wte.weight", {c.d_vocab, c.d_model});
  model.pos_embed = load.get(root + "wpe.weight", {c.n_ctx, c.d_model});
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const std::string p = root + "h." + std::to_string(l) + ".";
    LayerWeights w;
    w.ln1_weight = load.get(p + "ln_1.weight", {c.d_model});
    w.ln1_bias = load.get(p + "ln_1.bias", {c.d_model});
    w.ln2_weight = load.get(p + "ln_2.weight", {c.d_model});
    w.ln2_bias = load.get(p + "ln_2.bias", {c.d_model});
    w.c_attn_weight = load.get(p + "attn.c_attn.weight", {c.d_model, 3 * c.d_model});
    w.c_attn_bias = load.get(p + "attn.c_attn.bias", {3 * c.d_model});
    w.attn_proj_weight = load.get(p + "attn.c_proj.weight", {c.d_model, c.d_model});
    w.attn_proj_bias = load.get(p + "attn.c_proj.bias", {c.d_model});
    w.c_fc_weight = load.get(p + "mlp.c_fc.weight", {c.d_model, c.d_mlp});
    w.c_fc_bias = load.get(p + "mlp.c_fc.bias", {c.d_mlp});
    w.mlp_proj_weight = load.get(p + "mlp.c_proj.weight", {c.d_mlp, c.d_model});
    w.mlp_proj_bias = load.get(p + "mlp.c_proj.bias", {c.d_model});
    model.layers.push_back(w);
  }
  model.final_norm_weight = load.get(root + "ln_f.weight", {c.d_model});
  model.final_norm_bias = load.get(root + "ln_f.bias", {c.d_model});
  model.unembed = load.has("lm_head.weight") ? load.get("lm_head.weight", {c.d_vocab, c.d_model}) : model.embed;
}

}  // namespace

at::Tensor rope_inverse_frequencies(const ModelConfig& config) {
  const std::int64_t half = config.d_head / 2;
  std::vector<float> frequencies(static_cast<std::size_t>(half));
  for (std::int64_t i = 0; i < half; ++i) {
    // transformers: 1 / base ** (arange(0, dim, 2).float() / dim), in float32.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(config.d_head);
    frequencies[i] = 1.0f / std::pow(static_cast<float>(config.rope.theta), exponent);
  }
  const RopeConfig& rope = config.rope;
  if (rope.type == RopeType::kLinear) {
    for (auto& f : frequencies) f = f / static_cast<float>(rope.factor);
  } else if (rope.type == RopeType::kLlama3) {
    // docs/formats.md, llama3 rope scaling: keep high frequencies, divide low ones by the factor, blend between.
    const double pi = 3.14159265358979323846;
    const double low_wavelength = rope.original_max_position_embeddings / rope.low_freq_factor;
    const double high_wavelength = rope.original_max_position_embeddings / rope.high_freq_factor;
    for (auto& f : frequencies) {
      const double wavelength = 2 * pi / f;
      if (wavelength < high_wavelength) continue;
      if (wavelength > low_wavelength) {
        f = static_cast<float>(f / rope.factor);
        continue;
      }
      const double smooth = (rope.original_max_position_embeddings / wavelength - rope.low_freq_factor) /
                            (rope.high_freq_factor - rope.low_freq_factor);
      f = static_cast<float>((1 - smooth) * f / rope.factor + smooth * f);
    }
  }
  return at::tensor(frequencies, at::TensorOptions().dtype(c10::kFloat));
}

Model Model::load(const std::filesystem::path& directory, const LoadOptions& options) {
  auto impl = std::make_shared<Impl>();
  impl->config = load_model_config(directory);
  impl->device = options.device;
  impl->dtype = options.dtype.value_or(options.device.is_cuda() ? c10::kBFloat16 : c10::kFloat);
  const Checkpoint checkpoint = Checkpoint::open(directory);
  TensorLoader loader(checkpoint, directory.string(), impl->device, impl->dtype, impl->parameters);
  if (impl->config.is_gpt2()) {
    load_gpt2(*impl, loader);
  } else {
    load_llama_family(*impl, loader);
  }
  loader.finish();
  if (impl->config.rope.type != RopeType::kNone) {
    impl->inv_freq = rope_inverse_frequencies(impl->config).to(impl->device);
  }
  Model model;
  model.impl_ = std::move(impl);
  return model;
}

const ModelConfig& Model::config() const { return impl_->config; }
c10::Device Model::device() const { return impl_->device; }
c10::ScalarType Model::dtype() const { return impl_->dtype; }
const std::map<std::string, at::Tensor>& Model::parameters() const { return impl_->parameters; }

std::int64_t Model::parameter_count() const {
  std::int64_t total = 0;
  for (const auto& [name, tensor] : impl_->parameters) total += tensor.numel();
  return total;
}

KvCache Model::new_cache() const {
  KvCache cache;
  cache.keys.resize(static_cast<std::size_t>(impl_->config.n_layers));
  cache.values.resize(static_cast<std::size_t>(impl_->config.n_layers));
  return cache;
}

}  // namespace forensics::runtime
