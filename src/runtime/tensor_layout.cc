#include "forensics/runtime/tensor_layout.h"

namespace forensics::runtime {
namespace {

void llama_family_tensors(const ModelConfig& c, const std::function<bool(std::string_view)>& has,
                          std::vector<ExpectedTensor>& out) {
  const std::int64_t q_width = c.n_heads * c.d_head;
  const std::int64_t kv_width = c.n_kv_heads * c.d_head;
  out.push_back({"model.embed_tokens.weight", {c.d_vocab, c.d_model}});
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    out.push_back({p + "input_layernorm.weight", {c.d_model}});
    out.push_back({p + "post_attention_layernorm.weight", {c.d_model}});
    out.push_back({p + "self_attn.q_proj.weight", {q_width, c.d_model}});
    out.push_back({p + "self_attn.k_proj.weight", {kv_width, c.d_model}});
    out.push_back({p + "self_attn.v_proj.weight", {kv_width, c.d_model}});
    out.push_back({p + "self_attn.o_proj.weight", {c.d_model, q_width}});
    if (c.attention_bias) {
      out.push_back({p + "self_attn.q_proj.bias", {q_width}});
      out.push_back({p + "self_attn.k_proj.bias", {kv_width}});
      out.push_back({p + "self_attn.v_proj.bias", {kv_width}});
    }
    if (c.o_proj_bias) out.push_back({p + "self_attn.o_proj.bias", {c.d_model}});
    if (c.qk_norm) {
      out.push_back({p + "self_attn.q_norm.weight", {c.d_head}});
      out.push_back({p + "self_attn.k_norm.weight", {c.d_head}});
    }
    out.push_back({p + "mlp.gate_proj.weight", {c.d_mlp, c.d_model}});
    out.push_back({p + "mlp.up_proj.weight", {c.d_mlp, c.d_model}});
    out.push_back({p + "mlp.down_proj.weight", {c.d_model, c.d_mlp}});
    if (c.mlp_bias) {
      out.push_back({p + "mlp.gate_proj.bias", {c.d_mlp}});
      out.push_back({p + "mlp.up_proj.bias", {c.d_mlp}});
      out.push_back({p + "mlp.down_proj.bias", {c.d_model}});
    }
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

}  // namespace

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
    } else if (view->dtype != DType::kF32 && view->dtype != DType::kF16 && view->dtype != DType::kBF16) {
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
