// Loading a model: config, expected tensors with shapes, checkpoint bytes into tensors.
#include <algorithm>
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

// MXFP4 (OCP microscaling): each byte holds two 4-bit E2M1 codes, the low nibble first; each block
// of 32 values shares a power-of-two scale stored as exponent + 127. Blocks are [E, out, in / 32, 16]
// and scales [E, out, in / 32]; the result is [E, in, out], as transformers' dequantisation gives.
// Exact in any float dtype: a code times a power of two.
at::Tensor dequantize_mxfp4(const at::Tensor& blocks, const at::Tensor& scales, c10::ScalarType dtype) {
  static const std::vector<float> kCodes{+0.0f, +0.5f, +1.0f, +1.5f, +2.0f, +3.0f, +4.0f, +6.0f,
                                         -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};
  const at::Tensor codes = at::tensor(kCodes, at::TensorOptions().dtype(c10::kFloat));
  const std::int64_t experts = blocks.size(0), out = blocks.size(1), groups = blocks.size(2);
  at::Tensor result = at::empty({experts, groups * 32, out}, at::TensorOptions().dtype(dtype));
  for (std::int64_t e = 0; e < experts; ++e) {  // one expert at a time bounds the temporaries
    const at::Tensor bytes = blocks[e].to(c10::kLong);
    const at::Tensor values =
        at::stack({codes.index({bytes.bitwise_and(0x0F)}), codes.index({bytes.bitwise_right_shift(4)})}, -1);
    const at::Tensor exponent = (scales[e].to(c10::kInt) - 127).unsqueeze(-1);
    result[e].copy_(at::ldexp(values.reshape({out, groups, 32}), exponent).reshape({out, groups * 32}).t());
  }
  return result;
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
    copy_releasing(*view, static_cast<std::byte*>(host.data_ptr()));
    // Same dtype on the CPU: `to` returns `host` itself, so a bfloat16 checkpoint is held once.
    at::Tensor tensor = host.to(device_, dtype_);
    parameters_[name] = tensor;
    return tensor;
  }
  bool has(const std::string& name) const { return shapes_.count(name) > 0; }

  /// Bytes as stored (U8 MXFP4 blocks and scales), on the CPU; not a model parameter.
  at::Tensor get_packed(const std::string& name) const {
    const auto shape = shapes_.find(name);
    const TensorView* view = checkpoint_.find(name);
    if (shape == shapes_.end() || view == nullptr) throw Error("internal: tensor " + name + " is not in the layout");
    at::Tensor bytes = at::empty(shape->second, at::TensorOptions().dtype(c10::kByte));
    copy_releasing(*view, static_cast<std::byte*>(bytes.data_ptr()));
    return bytes;
  }

  /// gpt-oss's stacked expert weight `name` ([E, in, out]): as stored, or dequantised from MXFP4.
  at::Tensor get_experts(const std::string& name, bool mxfp4) {
    if (!mxfp4) return get(name);
    at::Tensor tensor =
        dequantize_mxfp4(get_packed(name + "_blocks"), get_packed(name + "_scales"), dtype_).to(device_);
    parameters_[name] = tensor;
    return tensor;
  }

 private:
  // In 64 MiB pieces, each piece's mapped pages released once copied: a 1 GB embedding then adds
  // 64 MiB to the peak, not 1 GB.
  void copy_releasing(const TensorView& view, std::byte* destination) const {
    constexpr std::size_t kPiece = std::size_t{64} << 20;
    for (std::size_t done = 0; done < view.size; done += kPiece) {
      const std::size_t piece = std::min(kPiece, view.size - done);
      std::memcpy(destination + done, view.data + done, piece);
      checkpoint_.release_pages(view.data + done, piece);
    }
  }

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
    w.router_bias = get(n.router_bias);
    for (const auto& expert : n.experts) w.experts.push_back({get(expert.gate), get(expert.up), get(expert.down)});
    w.sinks = get(n.sinks);
    if (!n.experts_gate_up.empty()) {
      w.experts_gate_up = load.get_experts(n.experts_gate_up, c.moe.mxfp4);
      w.experts_gate_up_bias = get(n.experts_gate_up_bias);
      w.experts_down = load.get_experts(n.experts_down, c.moe.mxfp4);
      w.experts_down_bias = get(n.experts_down_bias);
    }
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

namespace {

// YaRN (transformers' _compute_yarn_parameters, in its float32 steps): each frequency blends its
// interpolated value (/ factor) and itself, by a ramp over the channels between the correction
// dimensions where beta_fast and beta_slow rotations fit in the original context.
void apply_yarn(const RopeConfig& rope, std::int64_t rotary_dim, std::vector<float>& frequencies) {
  const double pi = 3.14159265358979323846;
  const double dim = static_cast<double>(rotary_dim);
  const auto correction = [&](double rotations) {
    return dim * std::log(static_cast<double>(rope.original_max_position_embeddings) / (rotations * 2 * pi)) /
           (2 * std::log(rope.theta));
  };
  double low = correction(rope.beta_fast), high = correction(rope.beta_slow);
  if (rope.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, dim - 1);
  if (low == high) high += 0.001;  // as transformers, against a zero-width ramp
  for (std::size_t i = 0; i < frequencies.size(); ++i) {
    const float power =
        std::pow(static_cast<float>(rope.theta), static_cast<float>(2 * i) / static_cast<float>(rotary_dim));
    const float extrapolated = 1.0f / power;
    const float interpolated = 1.0f / (static_cast<float>(rope.factor) * power);
    const float ramp =
        std::clamp((static_cast<float>(i) - static_cast<float>(low)) / static_cast<float>(high - low), 0.0f, 1.0f);
    const float extrapolation = 1.0f - ramp;
    frequencies[i] = interpolated * (1.0f - extrapolation) + extrapolated * extrapolation;
  }
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
  } else if (rope.type == RopeType::kYarn) {
    apply_yarn(rope, rotary_dim, frequencies);
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

/// The CPU's default compute dtype: a half-precision checkpoint computes as stored (a float32 copy
/// would double its memory); anything else in float32.
c10::ScalarType stored_half_dtype(const Checkpoint& checkpoint) {
  std::optional<DType> seen;
  for (const auto& [name, view] : checkpoint.tensors()) {
    if (view.dtype == DType::kU8) continue;  // MXFP4 blocks and scales dequantise to the compute dtype
    if (seen && *seen != view.dtype) return c10::kFloat;
    seen = view.dtype;
  }
  if (seen == DType::kBF16) return c10::kBFloat16;
  if (seen == DType::kF16) return c10::kHalf;
  return c10::kFloat;
}

Model Model::load(const std::filesystem::path& directory, const LoadOptions& options) {
  auto impl = std::make_shared<Impl>();
  impl->config = load_model_config(directory);
  impl->device = options.device;
  const Checkpoint checkpoint = Checkpoint::open(directory);
  impl->dtype = options.dtype.value_or(options.device.is_cuda() ? c10::kBFloat16 : stored_half_dtype(checkpoint));
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
