// Loading a model: config, expected tensors with shapes, checkpoint bytes into tensors.
#include <cmath>
#include <cstring>

#include "forensics/runtime/safetensors.h"
#include "forensics/runtime/tensor_layout.h"
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

// Copies the checkpoint's tensors into the model. Shapes come from the layout (tensor_layout.h),
// which Model::load has checked the checkpoint against before any tensor is read.
class TensorLoader {
 public:
  TensorLoader(const Checkpoint& checkpoint, const std::vector<ExpectedTensor>& layout, c10::Device device,
               c10::ScalarType dtype, std::map<std::string, at::Tensor>& parameters)
      : checkpoint_(checkpoint), device_(device), dtype_(dtype), parameters_(parameters) {
    for (const auto& tensor : layout) shapes_[tensor.name] = tensor.shape;
  }

  at::Tensor get(const std::string& name) {
    const auto shape = shapes_.find(name);
    const TensorView* view = checkpoint_.find(name);
    if (shape == shapes_.end() || view == nullptr) throw Error("internal: tensor " + name + " is not in the layout");
    // Copy out of the mapping: the file may not be aligned for the element type, and the
    // model should not depend on the mapping staying alive.
    at::Tensor host = at::empty(shape->second, at::TensorOptions().dtype(torch_dtype(view->dtype)));
    if (view->size > 0) std::memcpy(host.data_ptr(), view->data, view->size);
    at::Tensor tensor = host.to(device_, dtype_);
    parameters_[name] = tensor;
    return tensor;
  }
  bool has(const std::string& name) const { return shapes_.count(name) > 0; }

 private:
  const Checkpoint& checkpoint_;
  c10::Device device_;
  c10::ScalarType dtype_;
  std::map<std::string, at::Tensor>& parameters_;
  std::map<std::string, std::vector<std::int64_t>> shapes_;
};

void load_llama_family(Model::Impl& model, TensorLoader& load) {
  const ModelConfig& c = model.config;
  const auto get = [&](const std::string& name) { return name.empty() ? at::Tensor() : load.get(name); };
  model.embed = load.get("model.embed_tokens.weight");
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const LayerTensorNames n = layer_tensor_names(c, l);
    LayerWeights w;
    w.ln1_weight = get(n.ln1);
    w.ln2_weight = get(n.ln2);
    w.attn_out_norm = get(n.attn_out_norm);
    w.mlp_out_norm = get(n.mlp_out_norm);
    w.q_weight = get(n.q);
    w.k_weight = get(n.k);
    w.v_weight = get(n.v);
    w.qkv_weight = get(n.qkv);
    w.o_weight = get(n.o);
    w.q_bias = get(n.q_bias);
    w.k_bias = get(n.k_bias);
    w.v_bias = get(n.v_bias);
    w.o_bias = get(n.o_bias);
    w.q_norm = get(n.q_norm);
    w.k_norm = get(n.k_norm);
    w.gate_weight = get(n.gate);
    w.up_weight = get(n.up);
    w.gate_up_weight = get(n.gate_up);
    w.down_weight = get(n.down);
    w.gate_bias = get(n.gate_bias);
    w.up_bias = get(n.up_bias);
    w.down_bias = get(n.down_bias);
    w.router = get(n.router);
    for (const auto& expert : n.experts) w.experts.push_back({get(expert.gate), get(expert.up), get(expert.down)});
    model.layers.push_back(std::move(w));
  }
  model.final_norm_weight = load.get("model.norm.weight");
  // A checkpoint may carry lm_head.weight even when tied; it must then equal the embedding.
  model.unembed = c.tie_word_embeddings && !load.has("lm_head.weight") ? model.embed : load.get("lm_head.weight");
}

void load_gpt2(Model::Impl& model, TensorLoader& load) {
  const ModelConfig& c = model.config;
  // openai-community/gpt2 uses bare names; checkpoints saved from GPT2LMHeadModel add "transformer.".
  const std::string root = load.has("transformer.wte.weight") ? "transformer." : "";
  model.embed = load.get(root + "wte.weight");
  model.pos_embed = load.get(root + "wpe.weight");
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const std::string p = root + "h." + std::to_string(l) + ".";
    LayerWeights w;
    w.ln1_weight = load.get(p + "ln_1.weight");
    w.ln1_bias = load.get(p + "ln_1.bias");
    w.ln2_weight = load.get(p + "ln_2.weight");
    w.ln2_bias = load.get(p + "ln_2.bias");
    w.c_attn_weight = load.get(p + "attn.c_attn.weight");
    w.c_attn_bias = load.get(p + "attn.c_attn.bias");
    w.attn_proj_weight = load.get(p + "attn.c_proj.weight");
    w.attn_proj_bias = load.get(p + "attn.c_proj.bias");
    w.c_fc_weight = load.get(p + "mlp.c_fc.weight");
    w.c_fc_bias = load.get(p + "mlp.c_fc.bias");
    w.mlp_proj_weight = load.get(p + "mlp.c_proj.weight");
    w.mlp_proj_bias = load.get(p + "mlp.c_proj.bias");
    model.layers.push_back(w);
  }
  model.final_norm_weight = load.get(root + "ln_f.weight");
  model.final_norm_bias = load.get(root + "ln_f.bias");
  model.unembed = load.has("lm_head.weight") ? load.get("lm_head.weight") : model.embed;
}

}  // namespace

at::Tensor rope_inverse_frequencies(const RopeConfig& rope, std::int64_t rotary_dim, bool long_factors) {
  const std::int64_t half = rotary_dim / 2;
  std::vector<float> frequencies(static_cast<std::size_t>(half));
  for (std::int64_t i = 0; i < half; ++i) {
    // transformers: 1 / base ** (arange(0, dim, 2).float() / dim), in float32; longrope divides
    // by ext_factor * base ** (...), the factors a float32 tensor.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dim);
    const float power = std::pow(static_cast<float>(rope.theta), exponent);
    const auto& factors = long_factors ? rope.long_factor : rope.short_factor;
    frequencies[i] = rope.type == RopeType::kLongRope
                         ? 1.0f / (static_cast<float>(factors[static_cast<std::size_t>(i)]) * power)
                         : 1.0f / power;
  }
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
  const auto problems = checkpoint_mismatches(checkpoint, impl->config);
  if (!problems.empty()) {
    std::string message = directory.string() + ": the checkpoint does not match config.json:";
    for (const auto& problem : problems) message += "\n  " + problem;
    throw ModelError(message);
  }
  const auto layout =
      expected_tensors(impl->config, [&](std::string_view name) { return checkpoint.find(name) != nullptr; });
  TensorLoader loader(checkpoint, layout, impl->device, impl->dtype, impl->parameters);
  if (impl->config.is_gpt2()) {
    load_gpt2(*impl, loader);
  } else {
    load_llama_family(*impl, loader);
  }
  const ModelConfig& c = impl->config;
  if (c.rope.type != RopeType::kNone) {
    impl->inv_freq = rope_inverse_frequencies(c.rope, c.rotary_dim()).to(impl->device);
  }
  if (c.rope.type == RopeType::kLongRope) {
    impl->long_inv_freq = rope_inverse_frequencies(c.rope, c.rotary_dim(), true).to(impl->device);
  }
  if (c.local_rope) impl->local_inv_freq = rope_inverse_frequencies(*c.local_rope, c.rotary_dim()).to(impl->device);
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
