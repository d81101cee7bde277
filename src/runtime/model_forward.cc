// The forward pass, written to compute what transformers computes: RMSNorm in float32, rotate-half
// RoPE, softmax in float32, GPT-2's LayerNorm and gelu_new (docs/formats.md, "config.json").
#include <cmath>
#include <limits>

#include <c10/core/GradMode.h>

#include "forensics/util/error.h"
#include "model_impl.h"

namespace forensics::runtime {
namespace {

// [.., d] -> same shape. x * rsqrt(mean(x^2) + eps) in float32, cast back, times the weight.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor x32 = x.to(c10::kFloat);
  const at::Tensor normed = x32 * at::rsqrt(x32.pow(2).mean(-1, true) + eps);
  return weight * normed.to(x.scalar_type());
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  return bias.defined() ? at::linear(x, weight, bias) : at::linear(x, weight);
}

// GPT-2's Conv1D: weight [in, out], y = bias + x @ weight, computed as transformers does (addmm).
at::Tensor conv1d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  auto shape = x.sizes().vec();
  shape.back() = weight.size(1);
  return at::addmm(bias, x.reshape({-1, x.size(-1)}), weight).view(shape);
}

// [.., d_head]: (-x2, x1), pairing channel j with j + d_head/2 (not interleaved).
at::Tensor rotate_half(const at::Tensor& x) {
  const std::int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

at::Tensor gelu_new(const at::Tensor& x) {
  const double c = std::sqrt(2.0 / 3.14159265358979323846);
  return 0.5 * x * (1.0 + at::tanh(c * (x + 0.044715 * at::pow(x, 3.0))));
}

class Hooks {
 public:
  Hooks(const ForwardOptions& options, ForwardResult& result) : options_(options), result_(result) {
    for (const auto& point : options.record) wanted_.push_back(point);
  }

  // Applies patches for `point`, then records it if asked; returns the (possibly patched) value.
  at::Tensor operator()(HookSite site, std::int32_t layer, at::Tensor value) {
    const HookPoint point{site, layer};
    // Frozen weights build no graph: the embedding becomes a leaf that requires grad, so every
    // later activation has a gradient to keep.
    if (options_.retain_grad && site == HookSite::kEmbed && c10::GradMode::is_enabled()) {
      value = value.detach().requires_grad_(true);
    }
    bool patched = false;
    for (const auto& patch : options_.patches) {
      if (!(patch.point == point)) continue;
      if (site == HookSite::kAttnPattern) {
        throw Error("patching " + point.to_string() + " is not supported; patch a residual-stream site");
      }
      if (!patched) {
        value = value.clone();
        patched = true;
      }
      value.index_put_({patch.rows.to(value.device()), patch.positions.to(value.device())},
                       patch.values.to(value.options()));
    }
    for (const auto& wanted : wanted_) {
      if (!(wanted == point)) continue;
      if (options_.retain_grad && value.requires_grad()) value.retain_grad();
      result_.activations[point] = value;
    }
    return value;
  }

  /// Whether `site` at `layer` is recorded or patched (else the pass may skip computing it).
  bool touches(HookSite site, std::int32_t layer) const {
    const HookPoint point{site, layer};
    for (const auto& wanted : wanted_) {
      if (wanted == point) return true;
    }
    for (const auto& patch : options_.patches) {
      if (patch.point == point) return true;
    }
    return false;
  }

 private:
  const ForwardOptions& options_;
  ForwardResult& result_;
  std::vector<HookPoint> wanted_;
};

// Writes `fresh` [batch, heads, new, d_head] after the `used` cached positions of `buffer`,
// doubling its capacity when full; returns the filled part [batch, heads, used + new, d_head].
at::Tensor append_to_cache(at::Tensor& buffer, const at::Tensor& fresh, std::int64_t used) {
  const std::int64_t needed = used + fresh.size(2);
  if (!buffer.defined() || buffer.size(2) < needed || buffer.size(0) != fresh.size(0)) {
    const std::int64_t capacity = std::max<std::int64_t>(needed, 2 * (buffer.defined() ? buffer.size(2) : 0));
    at::Tensor grown = at::empty({fresh.size(0), fresh.size(1), capacity, fresh.size(3)}, fresh.options());
    if (used > 0) grown.narrow(2, 0, used).copy_(buffer.narrow(2, 0, used));
    buffer = grown;
  }
  buffer.narrow(2, used, fresh.size(2)).copy_(fresh);
  return buffer.narrow(2, 0, needed);
}

}  // namespace

void KvCache::expand_rows(std::int64_t rows, std::int64_t extra) {
  for (auto* buffers : {&keys, &values}) {
    for (auto& buffer : *buffers) {
      at::Tensor grown = at::empty({rows, buffer.size(1), used + extra, buffer.size(3)}, buffer.options());
      grown.narrow(2, 0, used).copy_(buffer.narrow(2, 0, used).expand({rows, -1, -1, -1}));
      buffer = grown;
    }
  }
  if (attention_mask.defined()) attention_mask = attention_mask.expand({rows, -1}).contiguous();
}

KvCache KvCache::gather(const at::Tensor& rows, std::int64_t length, std::int64_t extra) const {
  if (length > used) throw Error("KvCache::gather: asked for more positions than are cached");
  KvCache out;
  out.used = length;
  const auto copy = [&](const at::Tensor& buffer) {
    const at::Tensor index = rows.to(buffer.device(), c10::kLong);
    at::Tensor grown = at::empty({index.size(0), buffer.size(1), length + extra, buffer.size(3)}, buffer.options());
    grown.narrow(2, 0, length).copy_(buffer.narrow(2, 0, length).index_select(0, index));
    return grown;
  };
  for (const auto& buffer : keys) out.keys.push_back(copy(buffer));
  for (const auto& buffer : values) out.values.push_back(copy(buffer));
  if (attention_mask.defined()) {
    out.attention_mask =
        attention_mask.narrow(1, 0, length).index_select(0, rows.to(attention_mask.device(), c10::kLong));
  }
  return out;
}

ForwardResult Model::forward(const at::Tensor& input_ids, const ForwardOptions& options) const {
  const Impl& m = *impl_;
  const ModelConfig& c = m.config;
  if (input_ids.dim() != 2) throw Error("forward: input_ids must be [batch, positions]");
  const at::Tensor ids = input_ids.to(m.device, c10::kLong);
  const std::int64_t batch = ids.size(0);
  const std::int64_t positions = ids.size(1);
  KvCache* cache = options.cache;
  const std::int64_t past = cache != nullptr ? cache->used : 0;
  const auto bool_options = at::TensorOptions().dtype(c10::kBool).device(m.device);
  const auto long_options = at::TensorOptions().dtype(c10::kLong).device(m.device);

  // Which keys each row may see: real tokens only (cached and new).
  at::Tensor key_mask = options.attention_mask.defined() ? options.attention_mask.to(m.device).to(c10::kBool)
                                                         : at::ones({batch, past + positions}, bool_options);
  if (key_mask.size(1) != past + positions) {
    throw Error("forward: attention_mask covers " + std::to_string(key_mask.size(1)) +
                " positions, expected cached + new = " + std::to_string(past + positions));
  }
  at::Tensor position_ids = options.position_ids;
  if (!position_ids.defined()) {
    // Padding does not advance positions: left-padded rows start at 0 at their first real token.
    position_ids = (key_mask.to(c10::kLong).cumsum(1) - 1).clamp_min(0).narrow(1, past, positions);
  }
  position_ids = position_ids.to(m.device, c10::kLong);

  // [batch, 1, positions, past + positions]: causal, not padding, inside the sliding window.
  const at::Tensor query_index = at::arange(past, past + positions, long_options).view({1, 1, positions, 1});
  const at::Tensor key_index = at::arange(0, past + positions, long_options).view({1, 1, 1, past + positions});
  at::Tensor allowed = (key_index <= query_index).logical_and(key_mask.view({batch, 1, 1, past + positions}));
  if (c.sliding_window) allowed = allowed.logical_and(key_index > query_index - *c.sliding_window);
  // A padding query may see itself, so no row is fully masked: such a row gives NaN in fused
  // attention, and NaN values would leak into real rows through 0 * NaN.
  allowed = allowed.logical_or(key_index == query_index);

  ForwardResult result;
  Hooks hook(options, result);
  at::Tensor h = hook(HookSite::kEmbed, -1, at::embedding(m.embed, ids));
  if (c.is_gpt2()) {
    h = h + hook(HookSite::kPosEmbed, -1, at::embedding(m.pos_embed, position_ids));
  }

  at::Tensor cos, sin;
  if (m.inv_freq.defined()) {
    const at::Tensor freqs = position_ids.to(c10::kFloat).unsqueeze(-1) * m.inv_freq.view({1, 1, -1});
    const at::Tensor angles = at::cat({freqs, freqs}, -1);  // [batch, positions, d_head]
    cos = angles.cos().to(m.dtype).unsqueeze(1);            // [batch, 1, positions, d_head]
    sin = angles.sin().to(m.dtype).unsqueeze(1);
  }
  const double min_value = m.dtype == c10::kFloat ? std::numeric_limits<float>::lowest() : -3.0e38;
  const std::int64_t n_rep = c.n_heads / c.n_kv_heads;

  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = m.layers[static_cast<std::size_t>(l)];
    const auto layer = static_cast<std::int32_t>(l);
    h = hook(HookSite::kResidPre, layer, h);

    const at::Tensor x = c.is_gpt2() ? at::layer_norm(h, {c.d_model}, w.ln1_weight, w.ln1_bias, c.norm_eps)
                                     : rms_norm(h, w.ln1_weight, c.norm_eps);
    at::Tensor q, k, v;
    if (c.is_gpt2()) {
      // c_attn's output columns: q [0, C), k [C, 2C), v [2C, 3C).
      const at::Tensor qkv = conv1d(x, w.c_attn_weight, w.c_attn_bias);
      q = qkv.narrow(-1, 0, c.d_model).reshape({batch, positions, c.n_heads, c.d_head});
      k = qkv.narrow(-1, c.d_model, c.d_model).reshape({batch, positions, c.n_kv_heads, c.d_head});
      v = qkv.narrow(-1, 2 * c.d_model, c.d_model).reshape({batch, positions, c.n_kv_heads, c.d_head});
    } else {
      q = linear(x, w.q_weight, w.q_bias).view({batch, positions, c.n_heads, c.d_head});
      k = linear(x, w.k_weight, w.k_bias).view({batch, positions, c.n_kv_heads, c.d_head});
      v = linear(x, w.v_weight, w.v_bias).view({batch, positions, c.n_kv_heads, c.d_head});
    }
    if (c.qk_norm) {
      q = rms_norm(q, w.q_norm, c.norm_eps);
      k = rms_norm(k, w.k_norm, c.norm_eps);
    }
    q = q.transpose(1, 2);  // [batch, heads, positions, d_head]
    k = k.transpose(1, 2);
    v = v.transpose(1, 2);
    if (cos.defined()) {
      q = q * cos + rotate_half(q) * sin;
      k = k * cos + rotate_half(k) * sin;
    }
    if (cache != nullptr) {
      k = append_to_cache(cache->keys[static_cast<std::size_t>(l)], k, past);
      v = append_to_cache(cache->values[static_cast<std::size_t>(l)], v, past);
    }
    const std::int64_t total = past + positions;

    double scale = 1.0 / std::sqrt(static_cast<double>(c.d_head));
    if (c.is_gpt2()) {
      if (!c.scale_attn_weights) scale = 1.0;
      if (c.scale_attn_by_inverse_layer_idx) scale /= static_cast<double>(l + 1);
    }
    at::Tensor z;  // [batch, heads, positions, d_head]
    if (hook.touches(HookSite::kAttnPattern, layer)) {
      // Explicit softmax, so the pattern can be recorded or patched. Query heads are grouped by
      // their key/value head instead of repeating keys and values (grouped-query attention).
      const at::Tensor grouped_q = q.reshape({batch, c.n_kv_heads, n_rep * positions, c.d_head});
      at::Tensor scores = at::matmul(grouped_q, k.transpose(-1, -2)).view({batch, c.n_heads, positions, total}) * scale;
      scores = scores.masked_fill(allowed.logical_not(), min_value);
      at::Tensor pattern = at::softmax(scores.to(c10::kFloat), -1).to(m.dtype);
      pattern = hook(HookSite::kAttnPattern, layer, pattern);
      z = at::matmul(pattern.reshape({batch, c.n_kv_heads, n_rep * positions, total}), v)
              .view({batch, c.n_heads, positions, c.d_head});
    } else {
      z = at::scaled_dot_product_attention(q, k, v, allowed, 0.0, false, scale, n_rep > 1);
    }
    z = z.transpose(1, 2).reshape({batch, positions, c.n_heads * c.d_head});
    const at::Tensor attn_out =
        hook(HookSite::kAttnOut, layer,
             c.is_gpt2() ? conv1d(z, w.attn_proj_weight, w.attn_proj_bias) : linear(z, w.o_weight, w.o_bias));
    h = hook(HookSite::kResidMid, layer, h + attn_out);

    at::Tensor mlp_out;
    if (c.is_gpt2()) {
      const at::Tensor y = at::layer_norm(h, {c.d_model}, w.ln2_weight, w.ln2_bias, c.norm_eps);
      mlp_out = conv1d(gelu_new(conv1d(y, w.c_fc_weight, w.c_fc_bias)), w.mlp_proj_weight, w.mlp_proj_bias);
    } else {
      const at::Tensor y = rms_norm(h, w.ln2_weight, c.norm_eps);
      const at::Tensor gated = at::silu(linear(y, w.gate_weight, w.gate_bias)) * linear(y, w.up_weight, w.up_bias);
      mlp_out = linear(gated, w.down_weight, w.down_bias);
    }
    mlp_out = hook(HookSite::kMlpOut, layer, mlp_out);
    h = hook(HookSite::kResidPost, layer, h + mlp_out);
  }
  if (cache != nullptr) {
    cache->attention_mask = key_mask;
    cache->used = past + positions;
  }
  const at::Tensor normed = c.is_gpt2()
                                ? at::layer_norm(h, {c.d_model}, m.final_norm_weight, m.final_norm_bias, c.norm_eps)
                                : rms_norm(h, m.final_norm_weight, c.norm_eps);
  const at::Tensor final = hook(HookSite::kLnFinal, -1, normed);
  result.logits = at::linear(final, m.unembed).to(c10::kFloat);
  return result;
}

}  // namespace forensics::runtime
