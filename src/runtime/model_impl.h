// runtime (internal): the weights of a loaded model, arranged for the forward pass. Every tensor
// here is a checkpoint parameter itself (no derived copies), so gradients reach the parameters.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "forensics/runtime/model.h"

namespace forensics::runtime {

struct LayerWeights {
  at::Tensor ln1_weight, ln1_bias, ln2_weight, ln2_bias;  // biases: GPT-2 LayerNorm only
  at::Tensor q_weight, q_bias, k_weight, k_bias, v_weight, v_bias, o_weight, o_bias;
  at::Tensor q_norm, k_norm;                              // Qwen3
  at::Tensor gate_weight, gate_bias;                      // gated MLP (Llama family)
  at::Tensor up_weight, up_bias, down_weight, down_bias;  // Llama family MLP
  // GPT-2 Conv1D layers, [in, out]: y = x @ W + b.
  at::Tensor c_attn_weight, c_attn_bias, attn_proj_weight, attn_proj_bias;
  at::Tensor c_fc_weight, c_fc_bias, mlp_proj_weight, mlp_proj_bias;
};

struct Model::Impl {
  ModelConfig config;
  c10::Device device = c10::Device(c10::kCPU);
  c10::ScalarType dtype = c10::kFloat;
  std::map<std::string, at::Tensor> parameters;  // checkpoint names
  at::Tensor embed;                              // [d_vocab, d_model]
  at::Tensor pos_embed;                          // [n_ctx, d_model], GPT-2
  std::vector<LayerWeights> layers;
  at::Tensor final_norm_weight, final_norm_bias;
  at::Tensor unembed;   // [d_vocab, d_model]; the embedding when tied
  at::Tensor inv_freq;  // [d_head / 2] float32, RoPE
};

/// Inverse RoPE frequencies for the config, as transformers computes them (float32).
at::Tensor rope_inverse_frequencies(const ModelConfig& config);

}  // namespace forensics::runtime
