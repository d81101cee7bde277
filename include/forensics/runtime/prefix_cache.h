// runtime: prefilling a long prefix block by block, and keeping the blocks' keys and values for
// the next prefix that starts with the same tokens (the prompt every condition of an
// investigation shares, the cut points of sentence resampling). The blocks are fixed — 256 tokens
// from the start — and a block is always computed on the same cache of the blocks before it, so
// a prefix's keys, values and logits are the same whether its blocks came from the store or were
// computed now: the store changes the time, never the samples (docs/runtime.md, "Prefix blocks").
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "forensics/runtime/model.h"

namespace forensics::runtime {

inline constexpr std::int64_t kPrefixBlockTokens = 256;

/// Blocks computed by earlier prefills, each keyed by every token from the start to its end.
/// Safe to share between threads (a lock guards the table; computing happens outside it).
class PrefixStore {
 public:
  /// `budget_bytes` 0 keeps nothing (every prefix is computed in full: the same result, slower).
  explicit PrefixStore(std::int64_t budget_bytes = kPrefixStoreBytes) : budget_bytes_(budget_bytes) {}

  struct Block {
    std::vector<at::Tensor> keys, values;  // per layer [1, kv_heads, kPrefixBlockTokens, d_head]
    at::Tensor last_logits;                // [1, d_vocab] float32, after the block's last token
  };
  /// The block ending after `tokens` (all tokens from the start), when held; it becomes the most
  /// recently used.
  std::optional<Block> find(const std::vector<std::int64_t>& tokens);
  void keep(const std::vector<std::int64_t>& tokens, Block block);

  std::int64_t hits() const;
  std::int64_t held_bytes() const;

 private:
  using Entry = std::pair<std::vector<std::int64_t>, Block>;
  std::int64_t budget_bytes_;
  mutable std::mutex lock_;
  std::list<Entry> recent_;  // most recently used first
  std::map<std::vector<std::int64_t>, std::list<Entry>::iterator> index_;
  std::int64_t held_bytes_ = 0;
  std::int64_t hits_ = 0;
};

struct Prefilled {
  KvCache cache;           // batch 1, every prefix position
  at::Tensor last_logits;  // [1, d_vocab] float32
};

/// Runs `prefix` through the model: in one pass below kLongPrefix tokens; else block by
/// block (taking blocks from `store` when it holds them and keeping the new ones there; `store`
/// may be null), then the tokens after the last whole block.
Prefilled prefill(const Model& model, const std::vector<std::int64_t>& prefix, PrefixStore* store);

}  // namespace forensics::runtime
