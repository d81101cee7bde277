#include "forensics/runtime/generation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "forensics/runtime/prefix_cache.h"
#include "forensics/util/error.h"
#include "logprobs.h"
#include "sampler_parts.h"

namespace forensics::runtime {
namespace detail {

std::uint64_t sample_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Where non-finite values first appear, in the order the forward pass computes them: a reader
// needs the layer (a diverged norm, an overflowing MLP) more than the fact.
std::string first_non_finite(const Model& model, const at::Tensor& ids) {
  std::vector<HookPoint> order{{HookSite::kEmbed, -1}};
  for (std::int32_t layer = 0; layer < static_cast<std::int32_t>(model.config().n_layers); ++layer) {
    for (const HookSite site : {HookSite::kAttnOut, HookSite::kMlpOut, HookSite::kResidPost})
      order.push_back({site, layer});
  }
  order.push_back({HookSite::kLnFinal, -1});
  ForwardOptions options;
  options.record = order;
  const ForwardResult result = model.forward(ids, options);
  for (const auto& point : order) {
    const auto found = result.activations.find(point);
    if (found != result.activations.end() && !at::isfinite(found->second).all().item<bool>()) {
      return "they first appear at " + point.to_string();
    }
  }
  return "every activation on the prompt is finite, so they appeared while decoding";
}

void non_finite(const std::string& what, const std::string& where) {
  throw ModelError("the model's " + what + " are not finite (NaN or infinity): " + where +
                   "; its weights or activations overflow (try --dtype float32; forensics validate scans the "
                   "weights). Stopped instead of using them");
}

at::Tensor warp(at::Tensor scores, const SamplingParams& params) {
  if (params.temperature <= 0) {
    return at::zeros_like(scores).scatter(-1, scores.argmax(-1, true), 1.0);
  }
  scores = scores / params.temperature;
  const float lowest = -std::numeric_limits<float>::infinity();
  const std::int64_t vocab = scores.size(-1);
  if (params.top_k > 0 && params.top_k < vocab) {
    // TopKLogitsWarper: drop everything below the k-th largest score.
    const at::Tensor kth = std::get<0>(scores.topk(params.top_k, -1)).narrow(-1, params.top_k - 1, 1);
    scores = scores.masked_fill(scores < kth, lowest);
  }
  if (params.top_p < 1.0) {
    // TopPLogitsWarper: sort ascending, drop tokens whose cumulative probability <= 1 - top_p,
    // always keeping the most likely one.
    const auto [sorted, order] = scores.sort(/*dim=*/-1, /*descending=*/false);
    at::Tensor remove = sorted.softmax(-1).cumsum(-1) <= (1.0 - params.top_p);
    remove.narrow(-1, vocab - 1, 1).fill_(false);
    scores = scores.masked_fill(at::zeros_like(remove).scatter(-1, order, remove), lowest);
  }
  return scores.softmax(-1);
}

SampleBook::SampleBook(std::int64_t count, const SamplingParams& params, const Tokenizer* tokenizer)
    : params_(params),
      tokenizer_(tokenizer),
      samples_(static_cast<std::size_t>(count)),
      ended_(static_cast<std::size_t>(count), false) {}

void SampleBook::add(std::int64_t i, std::int64_t token) {
  const auto at = static_cast<std::size_t>(i);
  if (ended_[at]) return;
  Sample& sample = samples_[at];
  sample.tokens.push_back(token);
  const auto& eos = params_.eos_token_ids;
  if (std::find(eos.begin(), eos.end(), token) != eos.end()) {
    sample.finish = FinishReason::kEos;
  } else if (!params_.stop_strings.empty()) {
    const std::string text =
        tokenizer_->decode(std::vector<std::uint32_t>(sample.tokens.begin(), sample.tokens.end()), false);
    const auto contains = [&](const std::string& stop) { return text.find(stop) != std::string::npos; };
    if (!std::any_of(params_.stop_strings.begin(), params_.stop_strings.end(), contains)) return;
    sample.finish = FinishReason::kStopString;
  } else {
    return;
  }
  ended_[at] = true;
  ++ended_count_;
}

}  // namespace detail

namespace {

using detail::first_non_finite;
using detail::non_finite;

// A uniform double in [0, 1) from 53 random bits: the same on every platform, unlike
// std::uniform_real_distribution.
double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::int64_t draw(const at::Tensor& probabilities, std::mt19937_64& rng) {
  const auto* p = probabilities.data_ptr<float>();
  const std::int64_t n = probabilities.numel();
  double total = 0;
  for (std::int64_t i = 0; i < n; ++i) total += p[i];
  const double target = uniform(rng) * total;
  double cumulative = 0;
  std::int64_t last_nonzero = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (p[i] <= 0) continue;
    cumulative += p[i];
    last_nonzero = i;
    if (target < cumulative) return i;
  }
  return last_nonzero;
}

// The host sampler: each step's warped probabilities copied to the CPU, each sample drawing from
// its own mt19937_64.
std::vector<Sample> sample_on_host(const Model& model, KvCache& cache, at::Tensor last_logits,
                                   std::int64_t prefix_length, std::uint64_t seed, const SamplingParams& params,
                                   detail::SampleBook& book, const std::function<void(std::int64_t)>& on_finished) {
  const std::int64_t count = book.count();
  std::vector<std::mt19937_64> generators;
  for (std::int64_t i = 0; i < count; ++i)
    generators.emplace_back(detail::sample_seed(seed, static_cast<std::uint64_t>(i)));
  ForwardOptions options;
  options.cache = &cache;
  for (std::int64_t step = 0; step < params.max_new_tokens; ++step) {
    const at::Tensor probabilities = next_token_probabilities(last_logits, params);  // [count, V]
    std::vector<std::int64_t> next(static_cast<std::size_t>(count), 0);
    const std::int64_t ended_before = book.ended_count();
    for (std::int64_t i = 0; i < count; ++i) {
      if (book.ended(i)) continue;
      next[static_cast<std::size_t>(i)] = draw(probabilities[i], generators[static_cast<std::size_t>(i)]);
      book.add(i, next[static_cast<std::size_t>(i)]);
    }
    if (on_finished && book.ended_count() != ended_before) on_finished(book.ended_count());
    if (step + 1 == params.max_new_tokens || book.ended_count() == count) break;
    // Ended samples keep decoding a placeholder; their outputs are ignored.
    options.position_ids = at::full({count, 1}, prefix_length + step, at::kLong);
    last_logits = model.forward(at::tensor(next, at::kLong).unsqueeze(1), options).logits.select(1, -1);
  }
  return book.take();
}

}  // namespace

at::Tensor next_token_probabilities(const at::Tensor& logits, const SamplingParams& params) {
  // Row-wise over the last dimension, so one call serves every sample of a step.
  const at::Tensor scores = logits.to(at::kCPU, at::kFloat).contiguous();
  // Sampling from NaN scores repeats one token and the verdict would read it as behaviour: stop.
  if (!at::isfinite(scores).all().item<bool>()) non_finite("logits", "while sampling");
  return detail::warp(scores, params);
}

std::vector<Sample> sample_continuations(const Model& model, const std::vector<std::int64_t>& prefix,
                                         std::int64_t count, std::uint64_t seed, const SamplingParams& params,
                                         const Tokenizer* tokenizer,
                                         const std::function<void(std::int64_t)>& on_finished,
                                         SamplerPlacement placement, PrefixStore* prefix_store) {
  if (prefix.empty()) throw Error("sample_continuations: the prefix is empty");
  if (count <= 0) return {};
  if (!params.stop_strings.empty() && tokenizer == nullptr) {
    throw Error("sample_continuations: stop strings need a tokenizer");
  }
  at::InferenceMode inference;
  // Prefill once; every sample then attends to the prefix's keys and values, held once or copied.
  auto [cache, last_logits] = prefill(model, prefix, prefix_store);  // [1, V]
  if (!at::isfinite(last_logits).all().item<bool>()) {
    non_finite("logits", first_non_finite(model, at::tensor(prefix, at::kLong).unsqueeze(0)));
  }
  if (shares_prefix(model.config(), static_cast<std::int64_t>(prefix.size()))) {
    cache.share_rows(count, params.max_new_tokens);
  } else {
    cache.expand_rows(count, params.max_new_tokens);
  }
  last_logits = last_logits.expand({count, -1});

  detail::SampleBook book(count, params, tokenizer);
  const auto prefix_length = static_cast<std::int64_t>(prefix.size());
  const bool on_device =
      placement == SamplerPlacement::kDevice || (placement == SamplerPlacement::kAuto && model.device().is_cuda());
  auto samples =
      on_device ? detail::sample_on_device(model, cache, last_logits, prefix_length, seed, params, book, on_finished)
                : sample_on_host(model, cache, last_logits, prefix_length, seed, params, book, on_finished);
  if (on_finished && book.ended_count() != count) on_finished(count);  // the rest stopped at the length limit
  return samples;
}

std::vector<std::vector<double>> score_continuations(const Model& model,
                                                     const std::vector<std::vector<std::int64_t>>& contexts,
                                                     const std::vector<std::vector<std::int64_t>>& continuations) {
  if (contexts.size() != continuations.size()) {
    throw Error("score_continuations: one continuation per context is needed");
  }
  at::InferenceMode inference;
  const std::size_t batch = contexts.size();
  std::int64_t width = 0;
  for (std::size_t i = 0; i < batch; ++i) {
    if (contexts[i].empty()) throw Error("score_continuations: a context is empty");
    width = std::max<std::int64_t>(width, static_cast<std::int64_t>(contexts[i].size() + continuations[i].size()));
  }
  // Right padding: real tokens first, so positions count from 0 in every row.
  at::Tensor ids = at::zeros({static_cast<std::int64_t>(batch), width}, at::kLong);
  at::Tensor mask = at::zeros({static_cast<std::int64_t>(batch), width}, at::kLong);
  for (std::size_t i = 0; i < batch; ++i) {
    std::vector<std::int64_t> row = contexts[i];
    row.insert(row.end(), continuations[i].begin(), continuations[i].end());
    ids[static_cast<std::int64_t>(i)]
        .narrow(0, 0, static_cast<std::int64_t>(row.size()))
        .copy_(at::tensor(row, at::kLong));
    mask[static_cast<std::int64_t>(i)].narrow(0, 0, static_cast<std::int64_t>(row.size())).fill_(1);
  }
  // Logits from the shortest context's last token on: no row reads an earlier one, and a long
  // context's logits over the whole vocabulary would be most of the memory and much of the work.
  std::int64_t shortest = width;
  for (const auto& context : contexts) shortest = std::min(shortest, static_cast<std::int64_t>(context.size()));
  ForwardOptions options;
  options.attention_mask = mask;
  options.logit_positions = width - shortest + 1;
  const at::Tensor logits = model.forward(ids, options).logits;  // positions shortest - 1 .. width - 1
  // next[i][p] = log P(ids[i][shortest + p] | ids[i][0 .. shortest + p - 1]).
  const at::Tensor next =
      detail::target_logprobs(logits.narrow(1, 0, width - shortest), ids.narrow(1, shortest, width - shortest));
  const auto values = next.accessor<double, 2>();
  std::vector<std::vector<double>> out(batch);
  for (std::size_t i = 0; i < batch; ++i) {
    const auto start = static_cast<std::int64_t>(contexts[i].size());
    for (std::size_t j = 0; j < continuations[i].size(); ++j) {
      const double value = values[static_cast<std::int64_t>(i)][start + static_cast<std::int64_t>(j) - shortest];
      // Only the scored tokens are looked at: padded positions may hold anything.
      if (!std::isfinite(value)) {
        non_finite("log-probabilities", first_non_finite(model, ids[static_cast<std::int64_t>(i)].unsqueeze(0)));
      }
      out[i].push_back(value);
    }
  }
  return out;
}

}  // namespace forensics::runtime
