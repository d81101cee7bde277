#include "forensics/runtime/prefix_cache.h"

#include <ATen/ATen.h>

namespace forensics::runtime {
namespace {

std::int64_t bytes_of(const PrefixStore::Block& block) {
  auto total = static_cast<std::int64_t>(block.last_logits.nbytes());
  for (const auto* tensors : {&block.keys, &block.values}) {
    for (const auto& tensor : *tensors) total += static_cast<std::int64_t>(tensor.nbytes());
  }
  return total;
}

at::Tensor ids_of(const std::vector<std::int64_t>& prefix, std::int64_t begin, std::int64_t end) {
  return at::tensor(std::vector<std::int64_t>(prefix.begin() + begin, prefix.begin() + end), at::kLong).unsqueeze(0);
}

// The positions [begin, end) of a cache's buffers, as contiguous tensors of their own.
PrefixStore::Block block_of(const KvCache& cache, std::int64_t begin, std::int64_t end, const at::Tensor& logits) {
  PrefixStore::Block block;
  for (const auto& buffer : cache.keys) block.keys.push_back(buffer.narrow(2, begin, end - begin).clone());
  for (const auto& buffer : cache.values) block.values.push_back(buffer.narrow(2, begin, end - begin).clone());
  block.last_logits = logits.clone();
  return block;
}

// The blocks so far, laid out the same way however they were obtained, so the next block's pass
// sees the same cache either way.
void append_block(KvCache& assembled, const PrefixStore::Block& block) {
  for (std::size_t l = 0; l < block.keys.size(); ++l) {
    const bool first = assembled.used == 0;
    assembled.keys[l] = first ? block.keys[l].clone() : at::cat({assembled.keys[l], block.keys[l]}, 2);
    assembled.values[l] = first ? block.values[l].clone() : at::cat({assembled.values[l], block.values[l]}, 2);
  }
  assembled.used += block.keys.empty() ? 0 : block.keys[0].size(2);
}

// One pass over prefix[begin, end) on top of `assembled` (left unchanged): the cache it leaves
// and the last position's logits. `last_only` unembeds only that position (a one-pass prefill
// unembeds them all, as it always has, so short prefixes sample exactly as before).
Prefilled run_on(const Model& model, const KvCache& assembled, const std::vector<std::int64_t>& prefix,
                 std::int64_t begin, std::int64_t end, bool last_only) {
  Prefilled out{assembled, {}};
  ForwardOptions options;
  options.cache = &out.cache;
  if (last_only) options.logit_positions = 1;
  out.last_logits = model.forward(ids_of(prefix, begin, end), options).logits.select(1, -1);
  return out;
}

}  // namespace

std::optional<PrefixStore::Block> PrefixStore::find(const std::vector<std::int64_t>& tokens) {
  const std::lock_guard guard(lock_);
  const auto found = index_.find(tokens);
  if (found == index_.end()) return std::nullopt;
  recent_.splice(recent_.begin(), recent_, found->second);
  ++hits_;
  return found->second->second;
}

void PrefixStore::keep(const std::vector<std::int64_t>& tokens, Block block) {
  const std::int64_t size = bytes_of(block);
  const std::lock_guard guard(lock_);
  if (size > budget_bytes_ || index_.count(tokens) != 0) return;
  while (held_bytes_ + size > budget_bytes_ && !recent_.empty()) {
    held_bytes_ -= bytes_of(recent_.back().second);
    index_.erase(recent_.back().first);
    recent_.pop_back();
  }
  recent_.emplace_front(tokens, std::move(block));
  index_[tokens] = recent_.begin();
  held_bytes_ += size;
}

std::int64_t PrefixStore::hits() const {
  const std::lock_guard guard(lock_);
  return hits_;
}

std::int64_t PrefixStore::held_bytes() const {
  const std::lock_guard guard(lock_);
  return held_bytes_;
}

Prefilled prefill(const Model& model, const std::vector<std::int64_t>& prefix, PrefixStore* store) {
  const auto length = static_cast<std::int64_t>(prefix.size());
  if (length < kLongPrefix) return run_on(model, model.new_cache(), prefix, 0, length, false);
  KvCache assembled = model.new_cache();
  at::Tensor last_logits;
  std::vector<std::int64_t> tokens;
  for (std::int64_t end = kPrefixBlockTokens; end <= length; end += kPrefixBlockTokens) {
    const std::int64_t begin = end - kPrefixBlockTokens;
    tokens.assign(prefix.begin(), prefix.begin() + end);
    std::optional<PrefixStore::Block> block = store != nullptr ? store->find(tokens) : std::nullopt;
    if (!block) {
      const Prefilled ran = run_on(model, assembled, prefix, begin, end, true);
      block = block_of(ran.cache, begin, end, ran.last_logits);
      if (store != nullptr) store->keep(tokens, *block);
    }
    append_block(assembled, *block);
    last_logits = block->last_logits;
  }
  if (assembled.used == length) return {assembled, last_logits};
  return run_on(model, assembled, prefix, assembled.used, length, true);
}

}  // namespace forensics::runtime
