// runtime (internal): the weights of a loaded model, arranged for the forward pass. Every tensor
// here is a checkpoint parameter itself (no derived copies), so gradients reach the parameters.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "forensics/runtime/model.h"

namespace forensics::runtime {

struct ExpertWeights {
  at::Tensor gate, up, down;
};

struct LayerWeights {
  at::Tensor ln1_weight, ln1_bias, ln2_weight, ln2_bias;  // biases: GPT-2 LayerNorm only
  at::Tensor attn_out_norm, mlp_out_norm;                 // Gemma 2/3, OLMo 2
  at::Tensor q_weight, q_bias, k_weight, k_bias, v_weight, v_bias, o_weight, o_bias;
  at::Tensor qkv_weight;                                  // Phi-3: q, k, v stacked by rows
  at::Tensor q_norm, k_norm;                              // Qwen3, Gemma 3, OLMo 2
  at::Tensor gate_weight, gate_bias;                      // gated MLP (Llama family)
  at::Tensor up_weight, up_bias, down_weight, down_bias;  // Llama family MLP
  at::Tensor gate_up_weight;                              // Phi-3: gate rows, then up rows
  at::Tensor router, router_bias;                         // mixture layers: [n_experts, d_model]
  std::vector<ExpertWeights> experts;
  at::Tensor sinks;                                  // gpt-oss: [n_heads]
  at::Tensor experts_gate_up, experts_gate_up_bias;  // gpt-oss: [E, d_model, 2 d_expert], [E, 2 d_expert]
  at::Tensor experts_down, experts_down_bias;        // gpt-oss: [E, d_expert, d_model], [E, d_model]
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
  at::Tensor unembed;         // [d_vocab, d_model]; the embedding when tied
  at::Tensor inv_freq;        // [rotary_dim / 2] float32, RoPE (longrope: the short factors)
  at::Tensor long_inv_freq;   // longrope: past original_max_position_embeddings
  at::Tensor local_inv_freq;  // Gemma 3's sliding-window layers
};

/// Inverse RoPE frequencies over `rotary_dim` channels, as transformers computes them (float32);
/// `long_factors` picks longrope's long set.
at::Tensor rope_inverse_frequencies(const RopeConfig& rope, std::int64_t rotary_dim, bool long_factors = false);

}  // namespace forensics::runtime
