// The forward pass, written to compute what transformers computes: RMSNorm in float32, rotate-half
// RoPE, softmax in float32, GPT-2's LayerNorm and gelu_new (docs/formats.md, "config.json"); the
// families' layer pieces are in forward_ops.cc.
#include <algorithm>
#include <cmath>
#include <limits>

#include <c10/core/GradMode.h>

#include "forensics/util/error.h"
#include "forward_ops.h"
#include "model_impl.h"

namespace forensics::runtime {
namespace {

// GPT-2's Conv1D: weight [in, out], y = bias + x @ weight, computed as transformers does (addmm).
at::Tensor conv1d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  auto shape = x.sizes().vec();
  shape.back() = weight.size(1);
  return at::addmm(bias, x.reshape({-1, x.size(-1)}), weight).view(shape);
}

at::Tensor affine(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  return bias.defined() ? at::linear(x, weight, bias) : at::linear(x, weight);
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
      if (!is_patchable_site(site)) {
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
    return touches_any([&](const HookPoint& touched) { return touched == point; });
  }

  /// Whether any site of `layer` after its input (resid_pre) is recorded or patched.
  bool touches_past_input(std::int32_t layer) const {
    return touches_any(
        [&](const HookPoint& touched) { return touched.layer == layer && touched.site != HookSite::kResidPre; });
  }

 private:
  template <typename Matches>
  bool touches_any(const Matches& matches) const {
    return std::any_of(wanted_.begin(), wanted_.end(), matches) ||
           std::any_of(options_.patches.begin(), options_.patches.end(),
                       [&](const ActivationPatch& patch) { return matches(patch.point); });
  }

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

void KvCache::share_rows(std::int64_t rows, std::int64_t extra) {
  if (shared > 0) throw Error("KvCache::share_rows: the cache already shares a prefix");
  shared_keys = std::move(keys);
  shared_values = std::move(values);
  keys.clear();
  values.clear();
  for (auto* buffers : {&shared_keys, &shared_values}) {
    for (auto& buffer : *buffers) buffer = buffer.narrow(2, 0, used).contiguous();
  }
  // Each row's own buffer starts empty, with room for `extra` positions (first write allocates it).
  for (auto* own : {&keys, &values}) {
    for (const auto& buffer : shared_keys) {
      own->push_back(at::empty({rows, buffer.size(1), extra, buffer.size(3)}, buffer.options()));
    }
  }
  shared = used;
  if (attention_mask.defined()) attention_mask = attention_mask.expand({rows, -1}).contiguous();
}

KvCache KvCache::gather(const at::Tensor& rows, std::int64_t length, std::int64_t extra) const {
  if (shared > 0) throw Error("KvCache::gather: the cache shares a prefix");
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

namespace {

// What every layer of one call shares.
struct CallContext {
  std::int64_t batch = 0, positions = 0, past = 0;
  at::Tensor allowed;        // [batch, 1, positions, past + positions]: causal, not padding
  at::Tensor allowed_local;  // the same inside the sliding window (when a layer slides)
  Rotation rotation, local_rotation;
  KvCache* cache = nullptr;
};

// Which keys each query may see: causal and not padding; with `window`, also within it.
at::Tensor allowed_keys(const at::Tensor& key_mask, std::int64_t past, std::int64_t positions,
                        std::optional<std::int64_t> window) {
  const auto long_options = at::TensorOptions().dtype(c10::kLong).device(key_mask.device());
  const std::int64_t batch = key_mask.size(0);
  const at::Tensor query_index = at::arange(past, past + positions, long_options).view({1, 1, positions, 1});
  const at::Tensor key_index = at::arange(0, past + positions, long_options).view({1, 1, 1, past + positions});
  at::Tensor allowed = (key_index <= query_index).logical_and(key_mask.view({batch, 1, 1, past + positions}));
  if (window) allowed = allowed.logical_and(key_index > query_index - *window);
  // A padding query may see itself, so no row is fully masked: such a row gives NaN in fused
  // attention, and NaN values would leak into real rows through 0 * NaN.
  return allowed.logical_or(key_index == query_index);
}

// The rope frequencies this call uses: longrope switches to its long set for the whole call once
// the furthest position passes original_max_position_embeddings, as transformers does (so a
// cached decode that crosses it rotates earlier and later tokens differently, like transformers).
const at::Tensor& global_frequencies(const Model::Impl& m, const at::Tensor& position_ids) {
  const RopeConfig& rope = m.config.rope;
  if (rope.type != RopeType::kLongRope || position_ids.numel() == 0) return m.inv_freq;
  const std::int64_t length = position_ids.max().item<std::int64_t>() + 1;
  return length > rope.original_max_position_embeddings ? m.long_inv_freq : m.inv_freq;
}

// gpt-oss: each head's sink logit joins every query's scores as one more column, the row's
// maximum is subtracted, and the softmax (in the compute dtype, as transformers does) is taken
// over all; the sink's share is dropped, so a query may attend to less than 1 in total.
at::Tensor softmax_with_sinks(const at::Tensor& scores, const at::Tensor& sinks) {
  const at::Tensor column =
      sinks.view({1, -1, 1, 1}).expand({scores.size(0), -1, scores.size(2), 1}).to(scores.dtype());
  at::Tensor combined = at::cat({scores, column}, -1);
  combined = combined - std::get<0>(combined.max(-1, true));
  return at::softmax(combined, -1).narrow(-1, 0, scores.size(-1));
}

struct Projections {
  at::Tensor q, k, v;  // [batch, heads, positions, d_head]
};

// Queries for the last `queries` positions only (keys and values for all): where the layer's
// output is read at those alone, the other queries are never computed.
Projections project(const Model::Impl& m, const LayerWeights& w, const at::Tensor& x, const CallContext& call,
                    std::int64_t queries) {
  const ModelConfig& c = m.config;
  const std::int64_t q_width = c.n_heads * c.d_head;
  const std::int64_t kv_width = c.n_kv_heads * c.d_head;
  at::Tensor q, k, v;
  if (c.is_gpt2()) {
    // c_attn's output columns: q [0, C), k [C, 2C), v [2C, 3C).
    const at::Tensor qkv = conv1d(x, w.c_attn_weight, w.c_attn_bias);
    q = qkv.narrow(-1, 0, c.d_model);
    k = qkv.narrow(-1, c.d_model, c.d_model);
    v = qkv.narrow(-1, 2 * c.d_model, c.d_model);
  } else if (w.qkv_weight.defined()) {
    const at::Tensor qkv = affine(x, w.qkv_weight, {});
    q = qkv.narrow(-1, 0, q_width);
    k = qkv.narrow(-1, q_width, kv_width);
    v = qkv.narrow(-1, q_width + kv_width, kv_width);
  } else {
    q = affine(x.narrow(1, call.positions - queries, queries), w.q_weight, w.q_bias);
    k = affine(x, w.k_weight, w.k_bias);
    v = affine(x, w.v_weight, w.v_bias);
  }
  if (q.size(1) != queries) q = q.narrow(1, call.positions - queries, queries);
  if (c.qk_norm == QkNorm::kFullWidth) {  // OLMo 2: over the whole projection
    q = rms_norm(q, w.q_norm, c.norm_eps, c.norm_style);
    k = rms_norm(k, w.k_norm, c.norm_eps, c.norm_style);
  }
  q = q.reshape({call.batch, queries, c.n_heads, c.d_head});
  k = k.reshape({call.batch, call.positions, c.n_kv_heads, c.d_head});
  v = v.reshape({call.batch, call.positions, c.n_kv_heads, c.d_head});
  if (c.qk_norm == QkNorm::kPerHead) {
    q = rms_norm(q, w.q_norm, c.norm_eps, c.norm_style);
    k = rms_norm(k, w.k_norm, c.norm_eps, c.norm_style);
  }
  return {q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)};
}

// Attention of queries q [batch, heads, positions, d_head] over each row's keys and values
// [batch, kv_heads, total, d_head], `allowed` [batch, 1, positions, total].
at::Tensor attend_rows(const Model::Impl& m, const LayerWeights& w, std::int32_t layer, const at::Tensor& q,
                       const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed, double scale,
                       const CallContext& call, Hooks& hook) {
  const ModelConfig& c = m.config;
  const std::int64_t n_rep = c.n_heads / c.n_kv_heads;
  const std::int64_t total = k.size(2), queries = q.size(2);
  if (!hook.touches(HookSite::kAttnPattern, layer) && !c.attn_logit_softcap && !c.attention_sinks) {
    return at::scaled_dot_product_attention(q, k, v, allowed, 0.0, false, scale, n_rep > 1);
  }
  // Explicit softmax, so the pattern can be recorded (and scores soft-capped). Query heads are
  // grouped by their key/value head instead of repeating keys and values (grouped-query attention).
  const at::Tensor grouped_q = q.reshape({call.batch, c.n_kv_heads, n_rep * queries, c.d_head});
  at::Tensor scores = at::matmul(grouped_q, k.transpose(-1, -2)).view({call.batch, c.n_heads, queries, total}) * scale;
  if (c.attn_logit_softcap) scores = soft_cap(scores, *c.attn_logit_softcap);
  const double min_value = m.dtype == c10::kFloat ? std::numeric_limits<float>::lowest() : -3.0e38;
  scores = scores.masked_fill(allowed.logical_not(), min_value);
  at::Tensor pattern =
      w.sinks.defined() ? softmax_with_sinks(scores, w.sinks) : at::softmax(scores.to(c10::kFloat), -1).to(m.dtype);
  pattern = hook(HookSite::kAttnPattern, layer, pattern);
  return at::matmul(pattern.reshape({call.batch, c.n_kv_heads, n_rep * queries, total}), v)
      .view({call.batch, c.n_heads, queries, c.d_head});
}

// Attention over a prefix every row shares (keys/values [1, kv_heads, shared, d_head], all
// visible: it precedes every query) and each row's own positions (k/v [batch, kv_heads, own,
// d_head], `own_allowed` [batch, 1, positions, own]). The shared part is one matrix product per
// key/value head over every row's queries at once, instead of a product per row against its own
// copy of the prefix; the two parts' softmax is joined through a common maximum, in float32.
at::Tensor attend_shared_prefix(const at::Tensor& q, const at::Tensor& shared_k, const at::Tensor& shared_v,
                                const at::Tensor& k, const at::Tensor& v, const at::Tensor& own_allowed, double scale) {
  const std::int64_t batch = q.size(0), heads = q.size(1), positions = q.size(2), d_head = q.size(3);
  const std::int64_t kv_heads = k.size(1), rows = heads / kv_heads * positions;  // query rows per kv head
  // [kv_heads, batch * rows, d_head]: every row's queries of one kv head side by side.
  const at::Tensor grouped = q.reshape({batch, kv_heads, rows, d_head});
  const at::Tensor across = grouped.transpose(0, 1).reshape({kv_heads, batch * rows, d_head});
  const at::Tensor prefix_scores = (at::bmm(across, shared_k[0].transpose(-1, -2)).to(c10::kFloat) * scale)
                                       .view({kv_heads, batch, rows, -1})
                                       .transpose(0, 1);  // [batch, kv_heads, rows, shared]
  at::Tensor own_scores = at::matmul(grouped, k.transpose(-1, -2)).to(c10::kFloat) * scale;
  const at::Tensor own_mask = own_allowed.unsqueeze(2)
                                  .expand({batch, kv_heads, heads / kv_heads, positions, k.size(2)})
                                  .reshape({batch, kv_heads, rows, k.size(2)});
  own_scores = own_scores.masked_fill(own_mask.logical_not(), -std::numeric_limits<float>::infinity());
  const at::Tensor top = at::maximum(std::get<0>(prefix_scores.max(-1, true)), std::get<0>(own_scores.max(-1, true)));
  const at::Tensor prefix_weights = (prefix_scores - top).exp();
  const at::Tensor own_weights = (own_scores - top).exp();
  const at::Tensor total = prefix_weights.sum(-1, true) + own_weights.sum(-1, true);
  const auto dtype = q.scalar_type();
  const at::Tensor from_prefix =
      at::bmm(prefix_weights.to(dtype).transpose(0, 1).reshape({kv_heads, batch * rows, -1}), shared_v[0])
          .view({kv_heads, batch, rows, d_head})
          .transpose(0, 1);
  const at::Tensor from_own = at::matmul(own_weights.to(dtype), v);
  return ((from_prefix.to(c10::kFloat) + from_own.to(c10::kFloat)) / total)
      .to(dtype)
      .reshape({batch, heads, positions, d_head});
}

// The last `queries` positions of a rotation [batch, 1, positions, rotary].
Rotation last_positions(const Rotation& rotation, std::int64_t queries) {
  const std::int64_t positions = rotation.cos.size(2);
  if (queries == positions) return rotation;
  return {rotation.cos.narrow(2, positions - queries, queries), rotation.sin.narrow(2, positions - queries, queries)};
}

// Self-attention of layer `l` on the normed input x; returns the output projection's result at
// the last `queries` positions (every position's keys and values enter the cache).
at::Tensor attend(const Model::Impl& m, std::int64_t l, const at::Tensor& x, const CallContext& call, Hooks& hook,
                  std::int64_t queries) {
  const ModelConfig& c = m.config;
  const LayerWeights& w = m.layers[static_cast<std::size_t>(l)];
  const auto layer = static_cast<std::int32_t>(l);
  const bool slides = c.layer_slides(l);
  auto [q, k, v] = project(m, w, x, call, queries);
  const Rotation& rotation = slides && call.local_rotation.cos.defined() ? call.local_rotation : call.rotation;
  if (rotation.cos.defined()) {
    q = apply_rotation(q, last_positions(rotation, queries));
    k = apply_rotation(k, rotation);
  }
  const std::int64_t shared = call.cache != nullptr ? call.cache->shared : 0;
  if (call.cache != nullptr) {
    k = append_to_cache(call.cache->keys[static_cast<std::size_t>(l)], k, call.past - shared);
    v = append_to_cache(call.cache->values[static_cast<std::size_t>(l)], v, call.past - shared);
  }
  const std::int64_t total = call.past + call.positions;
  double scale = c.attention_scale;
  if (c.is_gpt2() && c.scale_attn_by_inverse_layer_idx) scale /= static_cast<double>(l + 1);
  const at::Tensor& all_allowed = slides ? call.allowed_local : call.allowed;
  const at::Tensor allowed = all_allowed.narrow(2, call.positions - queries, queries);
  const bool pattern_wanted = hook.touches(HookSite::kAttnPattern, layer);
  at::Tensor z;  // [batch, heads, positions, d_head]
  if (shared > 0 && !pattern_wanted && c.shares_prefix_attention()) {
    const auto index = static_cast<std::size_t>(l);
    z = attend_shared_prefix(q, call.cache->shared_keys[index], call.cache->shared_values[index], k, v,
                             allowed.narrow(-1, shared, total - shared), scale);
  } else {
    if (shared > 0) {
      // A prefix held once, where the shared path does not apply: each row gets a copy here.
      const auto index = static_cast<std::size_t>(l);
      k = at::cat({call.cache->shared_keys[index].expand({call.batch, -1, -1, -1}), k}, 2);
      v = at::cat({call.cache->shared_values[index].expand({call.batch, -1, -1, -1}), v}, 2);
    }
    z = attend_rows(m, w, layer, q, k, v, allowed, scale, call, hook);
  }
  z = z.transpose(1, 2).reshape({call.batch, queries, c.n_heads * c.d_head});
  return c.is_gpt2() ? conv1d(z, w.attn_proj_weight, w.attn_proj_bias) : affine(z, w.o_weight, w.o_bias);
}

at::Tensor feed_forward(const Model::Impl& m, std::int64_t l, const at::Tensor& y, Hooks& hook) {
  const ModelConfig& c = m.config;
  const LayerWeights& w = m.layers[static_cast<std::size_t>(l)];
  if (c.is_gpt2()) return conv1d(gelu_new(conv1d(y, w.c_fc_weight, w.c_fc_bias)), w.mlp_proj_weight, w.mlp_proj_bias);
  if (!c.layer_is_sparse(l)) return dense_mlp(y, w, c);
  const auto layer = static_cast<std::int32_t>(l);
  MixtureResult mixture = mixture_mlp(y, w, c, hook.touches(HookSite::kExpertOutputs, layer));
  hook(HookSite::kExpertWeights, layer, mixture.expert_weights);
  hook(HookSite::kExpertIndices, layer, mixture.expert_indices);
  if (mixture.expert_outputs.defined()) hook(HookSite::kExpertOutputs, layer, mixture.expert_outputs);
  return mixture.output;
}

at::Tensor pre_norm(const ModelConfig& c, const at::Tensor& h, const at::Tensor& weight, const at::Tensor& bias) {
  if (c.is_gpt2()) return at::layer_norm(h, {c.d_model}, weight, bias, c.norm_eps);
  return weight.defined() ? rms_norm(h, weight, c.norm_eps, c.norm_style) : h;
}

at::Tensor post_norm(const ModelConfig& c, const at::Tensor& out, const at::Tensor& weight) {
  return weight.defined() ? rms_norm(out, weight, c.norm_eps, c.norm_style) : out;
}

}  // namespace

namespace {

at::Tensor embed(const Model::Impl& m, const at::Tensor& ids, const at::Tensor& position_ids, Hooks& hook) {
  at::Tensor embedded = at::embedding(m.embed, ids);
  // Gemma scales by sqrt(d_model) rounded to the compute dtype, as its embedding module does.
  if (m.config.embed_scale != 1.0)
    embedded = embedded * at::scalar_tensor(m.config.embed_scale, c10::kFloat).to(embedded.scalar_type());
  at::Tensor h = hook(HookSite::kEmbed, -1, embedded);
  if (m.config.is_gpt2()) h = h + hook(HookSite::kPosEmbed, -1, at::embedding(m.pos_embed, position_ids));
  return h;
}

// ForwardOptions::resid_pre, checked, as the first resumed layer's input.
at::Tensor resumed_residual(const Model::Impl& m, const ForwardOptions& options, const CallContext& call) {
  if (options.first_layer < 0 || options.first_layer >= m.config.n_layers) {
    throw Error("forward: first_layer must be a layer of the model");
  }
  const at::Tensor& h = options.resid_pre;
  if (!h.defined() || h.dim() != 3 || h.size(0) != call.batch || h.size(1) != call.positions ||
      h.size(2) != m.config.d_model) {
    throw Error("forward: resuming at a layer needs resid_pre shaped [batch, new positions, d_model]");
  }
  if (call.cache == nullptr) throw Error("forward: resuming at a layer needs a cache holding the layers below");
  return h.to(m.device, m.dtype);
}

// How many of the last positions the last layer (`last`) must compute past its keys and values:
// only those whose logits are asked for, unless a later site of it is recorded or patched (then all).
std::int64_t read_positions(const ForwardOptions& options, const CallContext& call, const Hooks& hook,
                            std::int32_t last) {
  const bool some = options.logit_positions > 0 && options.logit_positions < call.positions;
  return some && !hook.touches_past_input(last) ? options.logit_positions : call.positions;
}

}  // namespace

ForwardResult Model::forward(const at::Tensor& input_ids, const ForwardOptions& options) const {
  const Impl& m = *impl_;
  const ModelConfig& c = m.config;
  if (input_ids.dim() != 2) throw Error("forward: input_ids must be [batch, positions]");
  const at::Tensor ids = input_ids.to(m.device, c10::kLong);
  CallContext call;
  call.batch = ids.size(0);
  call.positions = ids.size(1);
  call.cache = options.cache;
  call.past = call.cache != nullptr ? call.cache->used : 0;
  const std::int64_t total = call.past + call.positions;

  // Which keys each row may see: real tokens only (cached and new).
  const at::Tensor key_mask =
      options.attention_mask.defined()
          ? options.attention_mask.to(m.device).to(c10::kBool)
          : at::ones({call.batch, total}, at::TensorOptions().dtype(c10::kBool).device(m.device));
  if (key_mask.size(1) != total) {
    throw Error("forward: attention_mask covers " + std::to_string(key_mask.size(1)) +
                " positions, expected cached + new = " + std::to_string(total));
  }
  at::Tensor position_ids = options.position_ids;
  if (!position_ids.defined()) {
    // Padding does not advance positions: left-padded rows start at 0 at their first real token.
    position_ids = (key_mask.to(c10::kLong).cumsum(1) - 1).clamp_min(0).narrow(1, call.past, call.positions);
  }
  position_ids = position_ids.to(m.device, c10::kLong);
  call.allowed = allowed_keys(key_mask, call.past, call.positions, std::nullopt);
  if (c.sliding_window) call.allowed_local = allowed_keys(key_mask, call.past, call.positions, c.sliding_window);
  if (m.inv_freq.defined()) {
    call.rotation = rotation(position_ids, global_frequencies(m, position_ids), c.rope.attention_factor, m.dtype);
  }
  if (m.local_inv_freq.defined()) call.local_rotation = rotation(position_ids, m.local_inv_freq, 1.0, m.dtype);

  ForwardResult result;
  Hooks hook(options, result);
  at::Tensor h = options.first_layer > 0 ? resumed_residual(m, options, call) : embed(m, ids, position_ids, hook);
  for (std::int64_t l = options.first_layer; l < c.n_layers; ++l) {
    const LayerWeights& w = m.layers[static_cast<std::size_t>(l)];
    const auto layer = static_cast<std::int32_t>(l);
    h = hook(HookSite::kResidPre, layer, h);
    const std::int64_t queries = l + 1 == c.n_layers ? read_positions(options, call, hook, layer) : call.positions;
    const at::Tensor attn = attend(m, l, pre_norm(c, h, w.ln1_weight, w.ln1_bias), call, hook, queries);
    if (queries < call.positions) h = h.narrow(1, call.positions - queries, queries);
    h = hook(HookSite::kResidMid, layer, h + hook(HookSite::kAttnOut, layer, post_norm(c, attn, w.attn_out_norm)));
    const at::Tensor mlp = feed_forward(m, l, pre_norm(c, h, w.ln2_weight, w.ln2_bias), hook);
    h = hook(HookSite::kResidPost, layer, h + hook(HookSite::kMlpOut, layer, post_norm(c, mlp, w.mlp_out_norm)));
  }
  if (call.cache != nullptr) {
    call.cache->attention_mask = key_mask;
    call.cache->used = total;
  }
  if (options.logit_positions > 0 && options.logit_positions < h.size(1)) {
    h = h.narrow(1, h.size(1) - options.logit_positions, options.logit_positions);
  }
  const at::Tensor final = hook(HookSite::kLnFinal, -1, pre_norm(c, h, m.final_norm_weight, m.final_norm_bias));
  at::Tensor logits = at::linear(final, m.unembed);
  if (c.final_logit_softcap) logits = soft_cap(logits, *c.final_logit_softcap);
  result.logits = logits.to(c10::kFloat);
  return result;
}

}  // namespace forensics::runtime
