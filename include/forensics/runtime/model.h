// runtime: a causal language model on libtorch, loaded from a Hugging Face directory and run the
// way `transformers` runs it, with TransformerLens-named hook points to record or patch
// activations and a KV cache for incremental decoding. Torch-linked code only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "forensics/runtime/hooks.h"
#include "forensics/runtime/model_config.h"
#include "forensics/runtime/sampling.h"

namespace forensics::runtime {

struct DeviceChoice;  // model_service.h

struct LoadOptions {
  c10::Device device = c10::Device(c10::kCPU);
  /// Compute dtype. Default: bfloat16 on CUDA; on the CPU the checkpoint's own dtype when its
  /// weights are all bfloat16 or all float16 (no float32 copy of a half-precision model), else float32.
  std::optional<c10::ScalarType> dtype;
};

/// The device and dtype a --device/--dtype choice names. Throws InputError for a bad spelling,
/// ModelError when CUDA is asked for and absent.
LoadOptions load_options(const DeviceChoice& choice);

/// The one mapping between the torch-free Dtype and libtorch's scalar types.
c10::ScalarType scalar_type(Dtype dtype);
/// Throws ModelError for a scalar type that is not one of the three compute dtypes.
Dtype dtype_of(c10::ScalarType type);

/// Keys (after RoPE) and values of every processed position, per layer, in buffers
/// [batch, n_kv_heads, capacity, d_head] of which the first `used` positions are filled. Forward
/// passes write into the buffers in place and grow them by doubling, so decoding a token does not
/// copy the whole cache.
struct KvCache {
  std::vector<at::Tensor> keys;
  std::vector<at::Tensor> values;
  std::int64_t used = 0;
  at::Tensor attention_mask;  // [batch, used] of the cached positions, 1 = real token
  /// A prefix every row shares, held once: per layer [1, n_kv_heads, shared, d_head], in front of
  /// each row's own positions, which `keys`/`values` then hold from position `shared` on. `used`
  /// counts both. Rows attend to it without copying it (docs/runtime.md, "Shared prefix").
  std::vector<at::Tensor> shared_keys;
  std::vector<at::Tensor> shared_values;
  std::int64_t shared = 0;
  /// Replicates a batch-1 cache to `rows` rows (the shared prefix of many samples), with room
  /// for `extra` more positions.
  void expand_rows(std::int64_t rows, std::int64_t extra);
  /// The same rows as expand_rows, but the batch-1 prefix stays one copy that every row attends
  /// to (only for a model whose attention the shared path computes: ModelConfig::shares_prefix_attention).
  void share_rows(std::int64_t rows, std::int64_t extra);
  /// A new cache holding rows `rows` ([n] int64 indices, repeats allowed) of this one, cut to
  /// its first `length` positions, with room for `extra` more. This cache is left unchanged; it
  /// must not share a prefix.
  KvCache gather(const at::Tensor& rows, std::int64_t length, std::int64_t extra) const;
};

/// Replace activations at `point` for chosen (row, position) pairs: values [n, ...site dims].
struct ActivationPatch {
  HookPoint point;
  at::Tensor rows;       // [n] int64
  at::Tensor positions;  // [n] int64, positions of this forward call
  at::Tensor values;     // [n, d] for residual-stream sites
};

struct ForwardOptions {
  /// [batch, cached + new positions], 1 for real tokens, 0 for padding. Undefined: all real.
  at::Tensor attention_mask;
  /// [batch, new positions]. Undefined: counted from the mask (padding does not advance them).
  at::Tensor position_ids;
  KvCache* cache = nullptr;
  std::vector<HookPoint> record;         // activations to return
  std::vector<ActivationPatch> patches;  // activations to replace, in the same pass
  /// With grad mode on: the recorded activations keep their gradient after a backward pass
  /// (`activations.at(point).grad()`), the total derivative through every later layer.
  bool retain_grad = false;
  /// Resume a run at layer `first_layer` (0: a whole run): `resid_pre` [batch, new positions,
  /// d_model] is that layer's input; the embedding and the layers below are not run, and the
  /// cache must already hold their keys and values for the new positions (they are not written).
  /// Activation patching uses it: a patch at layer l changes nothing below l.
  std::int64_t first_layer = 0;
  at::Tensor resid_pre;
  /// Logits (and ln_final) for the last this-many new positions only; 0: every position. A
  /// caller that reads one position's logits skips the unembedding of the others, and the last
  /// layer computes only the keys and values of the others (for the cache), unless a site of
  /// that layer past resid_pre is recorded or patched.
  std::int64_t logit_positions = 0;
};

struct ForwardResult {
  at::Tensor logits;  // [batch, positions, d_vocab], float32
  std::map<HookPoint, at::Tensor> activations;
};

class Model {
 public:
  /// Loads config.json and the safetensors weights, checking every tensor's presence and shape
  /// first (all problems listed by name). Throws ModelError.
  static Model load(const std::filesystem::path& directory, const LoadOptions& options = {});

  const ModelConfig& config() const;
  c10::Device device() const;
  c10::ScalarType dtype() const;
  std::int64_t parameter_count() const;
  /// Every weight, named as in the checkpoint (for training and inspection).
  const std::map<std::string, at::Tensor>& parameters() const;

  /// input_ids [batch, positions] int64 -> logits and recorded activations.
  ForwardResult forward(const at::Tensor& input_ids, const ForwardOptions& options = {}) const;

  /// An empty cache sized for this model.
  KvCache new_cache() const;

  struct Impl;  // the weights, arranged for the forward pass (src/runtime/model_impl.h)

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace forensics::runtime
