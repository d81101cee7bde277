// runtime (internal): the pieces of a decoder layer, each computing what the family's
// transformers module computes (norm order, float32 softmax, routing), so model_forward.cc reads
// as the layer's outline.
#pragma once

#include <ATen/ATen.h>

#include "forensics/runtime/model_config.h"

namespace forensics::runtime {

struct LayerWeights;

/// RMSNorm over the last dimension in float32, the weight applied as `style` says.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps, NormStyle style);

at::Tensor activate(const at::Tensor& x, Activation activation);

/// cap * tanh(x / cap): Gemma's soft-capping of attention scores and final logits.
at::Tensor soft_cap(const at::Tensor& x, double cap);

/// cos and sin [batch, 1, positions, rotary_dim] for `inv_freq`, times `attention_factor`, in `dtype`.
struct Rotation {
  at::Tensor cos, sin;
};
Rotation rotation(const at::Tensor& position_ids, const at::Tensor& inv_freq, double attention_factor,
                  c10::ScalarType dtype);

/// Rotates the first rotary_dim channels of x [batch, heads, positions, d_head] (rotate-half
/// pairing); the rest pass through (Phi-3's partial rotary).
at::Tensor apply_rotation(const at::Tensor& x, const Rotation& rotation);

/// The gated MLP of a dense layer (separate or Phi-3's fused gate_up projection).
at::Tensor dense_mlp(const at::Tensor& y, const LayerWeights& w, const ModelConfig& config);

/// A mixture-of-experts MLP: the output, the router's softmax over all experts [batch, positions,
/// n_experts] (float32), the chosen experts [batch, positions, top_k] and, when `keep_outputs`,
/// each chosen expert's output before weighting [batch, positions, top_k, d_model].
struct MixtureResult {
  at::Tensor output, expert_weights, expert_indices, expert_outputs;
};
MixtureResult mixture_mlp(const at::Tensor& y, const LayerWeights& w, const ModelConfig& config,
                          bool keep_outputs = false);

}  // namespace forensics::runtime
