#include "forward_ops.h"

#include <tuple>

#include "forensics/util/error.h"
#include "model_impl.h"

namespace forensics::runtime {
namespace {

at::Tensor affine(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias = {}) {
  return bias.defined() ? at::linear(x, weight, bias) : at::linear(x, weight);
}

// [.., d_head]: (-x2, x1), pairing channel j with j + d/2 (not interleaved).
at::Tensor rotate_half(const at::Tensor& x) {
  const std::int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

at::Tensor gated(const at::Tensor& gate, const at::Tensor& up, Activation activation) {
  return activate(gate, activation) * up;
}

}  // namespace

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps, NormStyle style) {
  const at::Tensor x32 = x.to(c10::kFloat);
  const at::Tensor normed = x32 * at::rsqrt(x32.pow(2).mean(-1, true) + eps);
  switch (style) {
    case NormStyle::kScaleAfterCast: return weight * normed.to(x.scalar_type());
    case NormStyle::kScaleInFloat32: return (weight * normed).to(x.scalar_type());
    case NormStyle::kOnePlusScaleInFloat32: return (normed * (1.0 + weight.to(c10::kFloat))).to(x.scalar_type());
  }
  throw Error("internal: unknown norm style");
}

at::Tensor activate(const at::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::kSilu: return at::silu(x);
    case Activation::kGeluTanh: return at::gelu(x, "tanh");
    case Activation::kGelu: return at::gelu(x);
  }
  throw Error("internal: unknown activation");
}

at::Tensor soft_cap(const at::Tensor& x, double cap) { return at::tanh(x / cap) * cap; }

Rotation rotation(const at::Tensor& position_ids, const at::Tensor& inv_freq, double attention_factor,
                  c10::ScalarType dtype) {
  const at::Tensor freqs = position_ids.to(c10::kFloat).unsqueeze(-1) * inv_freq.view({1, 1, -1});
  const at::Tensor angles = at::cat({freqs, freqs}, -1);  // [batch, positions, rotary_dim]
  at::Tensor cos = angles.cos();
  at::Tensor sin = angles.sin();
  if (attention_factor != 1.0) {
    cos = cos * attention_factor;
    sin = sin * attention_factor;
  }
  return {cos.to(dtype).unsqueeze(1), sin.to(dtype).unsqueeze(1)};
}

at::Tensor apply_rotation(const at::Tensor& x, const Rotation& rotation) {
  const std::int64_t rotary = rotation.cos.size(-1);
  if (rotary == x.size(-1)) return x * rotation.cos + rotate_half(x) * rotation.sin;
  const at::Tensor turned = x.narrow(-1, 0, rotary);
  return at::cat(
      {turned * rotation.cos + rotate_half(turned) * rotation.sin, x.narrow(-1, rotary, x.size(-1) - rotary)}, -1);
}

at::Tensor dense_mlp(const at::Tensor& y, const LayerWeights& w, const ModelConfig& config) {
  if (w.gate_up_weight.defined()) {
    // Phi-3: the first d_mlp output channels are the gate, the rest the up projection.
    const at::Tensor both = affine(y, w.gate_up_weight);
    return affine(
        gated(both.narrow(-1, 0, config.d_mlp), both.narrow(-1, config.d_mlp, config.d_mlp), config.activation),
        w.down_weight);
  }
  return affine(gated(affine(y, w.gate_weight, w.gate_bias), affine(y, w.up_weight, w.up_bias), config.activation),
                w.down_weight, w.down_bias);
}

// gpt-oss's expert e on its tokens x: x @ W + b with gate and up interleaved in the output
// columns, then (clamp(up, ±limit) + 1) * g * sigmoid(alpha * g), g = min(gate, limit).
at::Tensor gpt_oss_expert(const at::Tensor& x, const LayerWeights& w, std::int64_t e, const MoeConfig& moe) {
  const at::Tensor gate_up = at::matmul(x, w.experts_gate_up[e]) + w.experts_gate_up_bias[e];
  using at::indexing::Slice;
  const at::Tensor gate = gate_up.index({"...", Slice(0, at::indexing::None, 2)}).clamp_max(moe.swiglu_limit);
  const at::Tensor up =
      gate_up.index({"...", Slice(1, at::indexing::None, 2)}).clamp(-moe.swiglu_limit, moe.swiglu_limit);
  const at::Tensor glu = gate * at::sigmoid(gate * moe.swiglu_alpha);
  return at::matmul((up + 1) * glu, w.experts_down[e]) + w.experts_down_bias[e];
}

at::Tensor expert_output(const at::Tensor& x, const LayerWeights& w, std::int64_t e, const ModelConfig& config) {
  if (config.moe.gpt_oss) return gpt_oss_expert(x, w, e, config.moe);
  const ExpertWeights& expert = w.experts[static_cast<std::size_t>(e)];
  return affine(gated(affine(x, expert.gate), affine(x, expert.up), config.activation), expert.down);
}

MixtureResult mixture_mlp(const at::Tensor& y, const LayerWeights& w, const ModelConfig& config, bool keep_outputs) {
  const MoeConfig& moe = config.moe;
  const at::Tensor flat = y.reshape({-1, y.size(-1)});
  const at::Tensor logits = affine(flat, w.router, w.router_bias);
  const at::Tensor probabilities = at::softmax(logits.to(c10::kFloat), -1);
  at::Tensor top_weights, top_indices;
  if (moe.gpt_oss) {
    // The top-k logits first, then a softmax over those k only, in the compute dtype.
    std::tie(top_weights, top_indices) = at::topk(logits, moe.top_k, -1);
    top_weights = at::softmax(top_weights, -1);
  } else {
    std::tie(top_weights, top_indices) = at::topk(probabilities, moe.top_k, -1);
    if (moe.normalize_top_k) top_weights = top_weights / top_weights.sum(-1, true);
    if (!moe.weights_in_float32) top_weights = top_weights.to(y.scalar_type());
  }
  at::Tensor output = at::zeros_like(flat);
  at::Tensor per_slot =
      keep_outputs ? at::zeros({flat.size(0), moe.top_k, flat.size(1)}, flat.options()) : at::Tensor();
  // Experts in index order, each over the tokens routed to it, added as transformers adds them.
  const at::Tensor chosen = top_indices.to(c10::kCPU);
  const at::Tensor hit = std::get<0>(at::_unique(chosen.flatten(), true));
  const auto* experts = hit.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < hit.numel(); ++i) {
    const std::int64_t e = experts[i];
    const auto where = at::nonzero(top_indices == e);  // [n, 2]: token, slot
    const at::Tensor tokens = where.select(1, 0);
    const at::Tensor slots = where.select(1, 1);
    const at::Tensor x = flat.index_select(0, tokens);
    at::Tensor out = expert_output(x, w, e, config);
    if (keep_outputs) per_slot.index_put_({tokens, slots}, out.to(per_slot.scalar_type()));
    out = out * top_weights.index({tokens, slots}).unsqueeze(-1);
    output = output.index_add(0, tokens, out.to(output.scalar_type()));
  }
  auto shape = y.sizes().vec();
  auto router_shape = shape;
  router_shape.back() = moe.n_experts;
  auto index_shape = shape;
  index_shape.back() = moe.top_k;
  auto slot_shape = index_shape;
  slot_shape.push_back(flat.size(1));
  return {output.view(shape), probabilities.view(router_shape), top_indices.view(index_shape),
          keep_outputs ? per_slot.view(slot_shape) : at::Tensor()};
}

}  // namespace forensics::runtime
