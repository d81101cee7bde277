#include "forensics/runtime/tensor_layout.h"

namespace forensics::runtime {
namespace {

void add(std::vector<ExpectedTensor>& out, const std::string& name, std::vector<std::int64_t> shape) {
  if (!name.empty()) out.push_back({name, std::move(shape)});
}

// gpt-oss's stacked experts, x @ W layout ([E, in, out]); an MXFP4 checkpoint stores each weight
// transposed as 32-value blocks of 4-bit codes (16 bytes) with one power-of-two scale byte each.
void add_stacked_experts(const ModelConfig& c, const LayerTensorNames& n, std::vector<ExpectedTensor>& out) {
  if (n.experts_gate_up.empty()) return;
  const std::int64_t e = c.moe.n_experts, d = c.d_model, i = c.moe.d_expert;
  const auto weight = [&](const std::string& name, std::int64_t in, std::int64_t out_features) {
    if (!c.moe.mxfp4) {
      out.push_back({name, {e, in, out_features}});
      return;
    }
    out.push_back({name + "_blocks", {e, out_features, in / 32, 16}, true});
    out.push_back({name + "_scales", {e, out_features, in / 32}, true});
  };
  weight(n.experts_gate_up, d, 2 * i);
  add(out, n.experts_gate_up_bias, {e, 2 * i});
  weight(n.experts_down, i, d);
  add(out, n.experts_down_bias, {e, d});
}

void llama_family_tensors(const ModelConfig& c, const std::function<bool(std::string_view)>& has,
                          std::vector<ExpectedTensor>& out) {
  const std::int64_t q_width = c.n_heads * c.d_head;
  const std::int64_t kv_width = c.n_kv_heads * c.d_head;
  const std::int64_t qk_norm_width = c.qk_norm == QkNorm::kPerHead ? c.d_head : q_width;
  const std::int64_t k_norm_width = c.qk_norm == QkNorm::kPerHead ? c.d_head : kv_width;
  out.push_back({"model.embed_tokens.weight", {c.d_vocab, c.d_model}});
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const LayerTensorNames n = layer_tensor_names(c, l);
    for (const auto* norm : {&n.ln1, &n.ln2, &n.attn_out_norm, &n.mlp_out_norm}) add(out, *norm, {c.d_model});
    add(out, n.q, {q_width, c.d_model});
    add(out, n.k, {kv_width, c.d_model});
    add(out, n.v, {kv_width, c.d_model});
    add(out, n.qkv, {q_width + 2 * kv_width, c.d_model});
    add(out, n.o, {c.d_model, q_width});
    add(out, n.q_bias, {q_width});
    add(out, n.k_bias, {kv_width});
    add(out, n.v_bias, {kv_width});
    add(out, n.o_bias, {c.d_model});
    add(out, n.q_norm, {qk_norm_width});
    add(out, n.k_norm, {k_norm_width});
    add(out, n.gate, {c.d_mlp, c.d_model});
    add(out, n.up, {c.d_mlp, c.d_model});
    add(out, n.gate_up, {2 * c.d_mlp, c.d_model});
    add(out, n.down, {c.d_model, c.d_mlp});
    add(out, n.gate_bias, {c.d_mlp});
    add(out, n.up_bias, {c.d_mlp});
    add(out, n.down_bias, {c.d_model});
    add(out, n.router, {c.moe.n_experts, c.d_model});
    for (const auto& expert : n.experts) {
      add(out, expert.gate, {c.moe.d_expert, c.d_model});
      add(out, expert.up, {c.moe.d_expert, c.d_model});
      add(out, expert.down, {c.d_model, c.moe.d_expert});
    }
    add(out, n.sinks, {c.n_heads});
    add(out, n.router_bias, {c.moe.n_experts});
    add_stacked_experts(c, n, out);
  }
  out.push_back({"model.norm.weight", {c.d_model}});
  // A checkpoint may carry lm_head.weight even when tied; the model then uses it.
  if (!c.tie_word_embeddings || has("lm_head.weight")) out.push_back({"lm_head.weight", {c.d_vocab, c.d_model}});
}

void gpt2_tensors(const ModelConfig& c, const std::function<bool(std::string_view)>& has,
                  std::vector<ExpectedTensor>& out) {
  // openai-community/gpt2 uses bare names; checkpoints saved from GPT2LMHeadModel add "transformer.".
  const std::string root = has("transformer.wte.weight") ? "transformer." : "";
  out.push_back({root + "wte.weight", {c.d_vocab, c.d_model}});
  out.push_back({root + "wpe.weight", {c.n_ctx, c.d_model}});
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const std::string p = root + "h." + std::to_string(l) + ".";
    out.push_back({p + "ln_1.weight", {c.d_model}});
    out.push_back({p + "ln_1.bias", {c.d_model}});
    out.push_back({p + "ln_2.weight", {c.d_model}});
    out.push_back({p + "ln_2.bias", {c.d_model}});
    // GPT-2's Conv1D stores weights as [in, out].
    out.push_back({p + "attn.c_attn.weight", {c.d_model, 3 * c.d_model}});
    out.push_back({p + "attn.c_attn.bias", {3 * c.d_model}});
    out.push_back({p + "attn.c_proj.weight", {c.d_model, c.d_model}});
    out.push_back({p + "attn.c_proj.bias", {c.d_model}});
    out.push_back({p + "mlp.c_fc.weight", {c.d_model, c.d_mlp}});
    out.push_back({p + "mlp.c_fc.bias", {c.d_mlp}});
    out.push_back({p + "mlp.c_proj.weight", {c.d_mlp, c.d_model}});
    out.push_back({p + "mlp.c_proj.bias", {c.d_model}});
  }
  out.push_back({root + "ln_f.weight", {c.d_model}});
  out.push_back({root + "ln_f.bias", {c.d_model}});
  if (has("lm_head.weight")) out.push_back({"lm_head.weight", {c.d_vocab, c.d_model}});
}

void mlp_names(const ModelConfig& c, std::int64_t layer, const std::string& p, LayerTensorNames& n) {
  if (c.layer_is_sparse(layer) && c.moe.gpt_oss) {
    n.router = p + "mlp.router.weight";
    n.router_bias = p + "mlp.router.bias";
    n.experts_gate_up = p + "mlp.experts.gate_up_proj";
    n.experts_gate_up_bias = p + "mlp.experts.gate_up_proj_bias";
    n.experts_down = p + "mlp.experts.down_proj";
    n.experts_down_bias = p + "mlp.experts.down_proj_bias";
    return;
  }
  if (c.layer_is_sparse(layer)) {
    const bool mixtral = c.architecture == Architecture::kMixtral;
    const std::string block = p + (mixtral ? "block_sparse_moe." : "mlp.");
    n.router = block + "gate.weight";
    for (std::int64_t e = 0; e < c.moe.n_experts; ++e) {
      const std::string expert = block + "experts." + std::to_string(e) + ".";
      n.experts.push_back(mixtral ? ExpertTensorNames{expert + "w1.weight", expert + "w3.weight", expert + "w2.weight"}
                                  : ExpertTensorNames{expert + "gate_proj.weight", expert + "up_proj.weight",
                                                      expert + "down_proj.weight"});
    }
    return;
  }
  if (c.fused_projections) {
    n.gate_up = p + "mlp.gate_up_proj.weight";
  } else {
    n.gate = p + "mlp.gate_proj.weight";
    n.up = p + "mlp.up_proj.weight";
  }
  n.down = p + "mlp.down_proj.weight";
  if (c.mlp_bias) {
    n.gate_bias = p + "mlp.gate_proj.bias";
    n.up_bias = p + "mlp.up_proj.bias";
    n.down_bias = p + "mlp.down_proj.bias";
  }
}

}  // namespace

LayerTensorNames layer_tensor_names(const ModelConfig& c, std::int64_t layer) {
  const std::string p = "model.layers." + std::to_string(layer) + ".";
  LayerTensorNames n;
  if (c.input_norms) {
    n.ln1 = p + "input_layernorm.weight";
    // With norms on both sides (Gemma), post_attention_layernorm is the attention output's.
    n.ln2 = p + (c.output_norms ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight");
  }
  if (c.output_norms) {
    n.attn_out_norm = p + "post_attention_layernorm.weight";
    n.mlp_out_norm = p + "post_feedforward_layernorm.weight";
  }
  const std::string attn = p + "self_attn.";
  if (c.fused_projections) {
    n.qkv = attn + "qkv_proj.weight";
  } else {
    n.q = attn + "q_proj.weight";
    n.k = attn + "k_proj.weight";
    n.v = attn + "v_proj.weight";
  }
  n.o = attn + "o_proj.weight";
  if (c.attention_bias) {
    n.q_bias = attn + "q_proj.bias";
    n.k_bias = attn + "k_proj.bias";
    n.v_bias = attn + "v_proj.bias";
  }
  if (c.o_proj_bias) n.o_bias = attn + "o_proj.bias";
  if (c.qk_norm != QkNorm::kNone) {
    n.q_norm = attn + "q_norm.weight";
    n.k_norm = attn + "k_norm.weight";
  }
  if (c.attention_sinks) n.sinks = attn + "sinks";
  mlp_names(c, layer, p, n);
  return n;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

std::vector<ExpectedTensor> expected_tensors(const ModelConfig& config,
                                             const std::function<bool(std::string_view)>& has) {
  std::vector<ExpectedTensor> out;
  if (config.is_gpt2()) {
    gpt2_tensors(config, has, out);
  } else {
    llama_family_tensors(config, has, out);
  }
  return out;
}

std::int64_t parameter_count(const std::vector<ExpectedTensor>& layout) {
  std::int64_t total = 0;
  for (const auto& tensor : layout) {
    std::int64_t count = 1;
    for (const auto size : tensor.shape) count *= size;
    const bool scales =
        tensor.packed && tensor.name.size() > 7 && tensor.name.substr(tensor.name.size() - 7) == "_scales";
    total += tensor.packed ? (scales ? 0 : 2 * count) : count;
  }
  return total;
}

std::vector<std::string> checkpoint_mismatches(const Checkpoint& checkpoint, const ModelConfig& config,
                                               std::size_t max_listed) {
  std::vector<std::string> problems;
  const auto has = [&](std::string_view name) { return checkpoint.find(name) != nullptr; };
  for (const auto& expected : expected_tensors(config, has)) {
    const TensorView* view = checkpoint.find(expected.name);
    if (view == nullptr) {
      problems.push_back("missing tensor " + expected.name + " (expected shape " + shape_text(expected.shape) + ")");
    } else if (view->shape != expected.shape) {
      problems.push_back("tensor " + expected.name + " has shape " + shape_text(view->shape) + ", expected " +
                         shape_text(expected.shape));
    } else if (expected.packed && view->dtype != DType::kU8) {
      problems.push_back("tensor " + expected.name + " has dtype " + std::string(kDTypeNames.name(view->dtype)) +
                         "; MXFP4 blocks and scales must be U8");
    } else if (!expected.packed && view->dtype != DType::kF32 && view->dtype != DType::kF16 &&
               view->dtype != DType::kBF16) {
      problems.push_back("tensor " + expected.name + " has dtype " + std::string(kDTypeNames.name(view->dtype)) +
                         "; weights must be F32, F16 or BF16");
    }
  }
  if (problems.size() > max_listed) {
    const std::size_t more = problems.size() - max_listed;
    problems.resize(max_listed);
    problems.push_back("... and " + std::to_string(more) + " more");
  }
  return problems;
}

}  // namespace forensics::runtime
