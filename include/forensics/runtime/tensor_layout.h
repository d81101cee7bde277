// runtime: the tensors a model of a given config.json loads, with the shapes the config implies,
// and a checkpoint checked against them. Torch-free, so `validate` can tell a user that a
// checkpoint does not fit its config without building the model; the loader (model_load.cc)
// takes every shape from here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/runtime/model_config.h"
#include "forensics/runtime/safetensors.h"

namespace forensics::runtime {

struct ExpectedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  bool packed = false;  // U8 bytes (MXFP4 blocks and scales), not F32/F16/BF16 weights
};

/// One expert's checkpoint names: Mixtral's w1/w3/w2, Qwen3-MoE's gate/up/down_proj.
struct ExpertTensorNames {
  std::string gate, up, down;
};

/// The checkpoint names of one decoder layer of a Llama-shaped family; a name is empty where the
/// family has no such tensor. The loader and the layout both take names from here.
struct LayerTensorNames {
  std::string ln1, ln2;                     // norms before attention and MLP
  std::string attn_out_norm, mlp_out_norm;  // norms on their outputs (Gemma 2/3, OLMo 2)
  std::string q, k, v, qkv, o;              // qkv: Phi-3's fused projection
  std::string q_bias, k_bias, v_bias, o_bias;
  std::string q_norm, k_norm;
  std::string gate, up, gate_up, down;  // dense MLP; gate_up: Phi-3's fused projection
  std::string gate_bias, up_bias, down_bias;
  std::string router;  // mixture layers: the router, and each expert's projections
  std::vector<ExpertTensorNames> experts;
  // gpt-oss: a per-head sink logit, the router's bias, and the experts stacked in four tensors
  // ([E, d_model, 2 d_expert] and [E, d_expert, d_model] with biases), or for an MXFP4 checkpoint
  // `<name>_blocks` (U8 [E, out, in / 32, 16]) and `<name>_scales` (U8 [E, out, in / 32]) in place
  // of the two weights.
  std::string sinks, router_bias;
  std::string experts_gate_up, experts_gate_up_bias, experts_down, experts_down_bias;
};
LayerTensorNames layer_tensor_names(const ModelConfig& config, std::int64_t layer);

/// The tensors a model of `config` loads, in load order. `has` says which names the checkpoint
/// holds, for the choices a checkpoint may make: GPT-2's "transformer." prefix, and an
/// lm_head.weight saved beside tied embeddings.
std::vector<ExpectedTensor> expected_tensors(const ModelConfig& config,
                                             const std::function<bool(std::string_view)>& has);

/// The model's parameters in `layout`: an MXFP4 block byte holds two, its scales none.
std::int64_t parameter_count(const std::vector<ExpectedTensor>& layout);

/// What keeps `checkpoint` from loading as `config` says: tensors missing, of another shape, or not
/// F32/F16/BF16, one line each; past `max_listed`, one last line "... and N more". Empty: it fits.
std::vector<std::string> checkpoint_mismatches(const Checkpoint& checkpoint, const ModelConfig& config,
                                               std::size_t max_listed = 20);

/// `[4096, 128]`.
std::string shape_text(const std::vector<std::int64_t>& shape);

}  // namespace forensics::runtime
