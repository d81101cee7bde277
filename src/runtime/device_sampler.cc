// runtime: the device sampler (generation.h, SamplerPlacement::kDevice). Warping and drawing run
// as tensor operations on the model's device; each sample's uniforms come from a counter-based
// hash of (its seed, the step) computed there, so nothing waits on the host between tokens. Every
// kDeviceSyncSteps steps the drawn tokens come back in one copy and the host ends samples (EOS,
// stop strings) with the same bookkeeping as the host sampler, and checks the logits were finite.
#include <ATen/ATen.h>

#include "forensics/runtime/generation.h"
#include "sampler_parts.h"

namespace forensics::runtime::detail {
namespace {

constexpr std::int64_t kLow32 = 0xFFFFFFFF;

// (x * m) mod 2^32 for x < 2^32 held in int64: m is split in 16-bit halves so no product overflows.
at::Tensor multiply32(const at::Tensor& x, std::int64_t m) {
  const std::int64_t low = m & 0xFFFF;
  const std::int64_t high = m >> 16;
  return (x * low + at::bitwise_left_shift((x * high) & 0xFFFF, 16)) & kLow32;
}

// A 32-bit integer hash (xorshift-multiply, "lowbias32" constants), element-wise on int64 tensors
// holding values below 2^32. Identical on every device: integer operations only.
at::Tensor hash32(at::Tensor x) {
  x = x ^ at::bitwise_right_shift(x, 16);
  x = multiply32(x, 0x7feb352d);
  x = x ^ at::bitwise_right_shift(x, 15);
  x = multiply32(x, 0x846ca68b);
  return x ^ at::bitwise_right_shift(x, 16);
}

// Per-sample keys: the two 32-bit halves of SplitMix64(seed, i), [count, 2] int64 on `device`.
at::Tensor sample_keys(std::uint64_t seed, std::int64_t count, c10::Device device) {
  std::vector<std::int64_t> keys;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::uint64_t key = sample_seed(seed, static_cast<std::uint64_t>(i));
    keys.push_back(static_cast<std::int64_t>(key & 0xFFFFFFFFull));
    keys.push_back(static_cast<std::int64_t>(key >> 32));
  }
  return at::tensor(keys, at::kLong).view({count, 2}).to(device);
}

// Step `step`'s uniform in [0, 1) for every sample, float64: 53 bits from two hashed words.
at::Tensor step_uniforms(const at::Tensor& keys, std::int64_t step) {
  const at::Tensor counter = hash32(at::full({1}, step & kLow32, keys.options()));
  const at::Tensor words = hash32(keys ^ counter);                                         // [count, 2]
  const at::Tensor high = at::bitwise_right_shift(words.select(1, 0), 5).to(at::kDouble);  // 27 bits
  const at::Tensor low = at::bitwise_right_shift(words.select(1, 1), 6).to(at::kDouble);   // 26 bits
  return (high * 67108864.0 + low) * 0x1.0p-53;
}

}  // namespace

std::vector<Sample> sample_on_device(const Model& model, KvCache& cache, at::Tensor last_logits,
                                     std::int64_t prefix_length, std::uint64_t seed, const SamplingParams& params,
                                     SampleBook& book, const std::function<void(std::int64_t)>& on_finished) {
  const std::int64_t count = book.count();
  const c10::Device device = last_logits.device();
  const at::Tensor keys = sample_keys(seed, count, device);
  const auto long_options = at::TensorOptions().dtype(at::kLong).device(device);
  at::Tensor drawn = at::empty({count, kDeviceSyncSteps}, long_options);
  at::Tensor all_finite = at::ones({}, at::TensorOptions().dtype(at::kBool).device(device));
  ForwardOptions options;
  options.cache = &cache;
  std::int64_t filled = 0;
  for (std::int64_t step = 0; step < params.max_new_tokens; ++step) {
    const at::Tensor scores = last_logits.to(at::kFloat);
    all_finite = all_finite.logical_and(at::isfinite(scores).all());
    const at::Tensor next = runtime::draw_on_device(warp(scores, params), step_uniforms(keys, step));
    drawn.select(1, filled++).copy_(next);
    const bool last_step = step + 1 == params.max_new_tokens;
    if (filled == kDeviceSyncSteps || last_step) {
      // One synchronisation per block: the flag, then the block's tokens, replayed in order.
      if (!all_finite.item<bool>()) non_finite("logits", "while sampling");
      const at::Tensor block = drawn.narrow(1, 0, filled).to(at::kCPU).contiguous();
      const auto tokens = block.accessor<std::int64_t, 2>();
      const std::int64_t ended_before = book.ended_count();
      for (std::int64_t i = 0; i < count; ++i) {
        for (std::int64_t j = 0; j < filled && !book.ended(i); ++j) book.add(i, tokens[i][j]);
      }
      filled = 0;
      if (on_finished && book.ended_count() != ended_before) on_finished(book.ended_count());
      if (book.ended_count() == count) break;
    }
    if (last_step) break;
    // Samples the host has not yet seen end keep decoding what they drew; it is ignored after.
    options.position_ids = at::full({count, 1}, prefix_length + step, long_options);
    last_logits = model.forward(next.unsqueeze(1), options).logits.select(1, -1);
  }
  return book.take();
}

}  // namespace forensics::runtime::detail

namespace forensics::runtime {

at::Tensor draw_on_device(const at::Tensor& probabilities, const at::Tensor& uniforms) {
  const at::Tensor cumulative = probabilities.to(at::kDouble).cumsum(-1);
  const at::Tensor target = (uniforms * cumulative.select(-1, -1)).unsqueeze(-1);
  const at::Tensor index = at::searchsorted(cumulative, target, /*out_int32=*/false, /*right=*/true).squeeze(-1);
  const at::Tensor positions = at::arange(probabilities.size(-1), index.options());
  const at::Tensor last_nonzero = at::where(probabilities > 0, positions, at::zeros_like(positions)).amax(-1);
  return at::minimum(index, last_nonzero);
}

at::Tensor device_uniforms(std::uint64_t seed, std::int64_t count, std::int64_t step, c10::Device device) {
  return detail::step_uniforms(detail::sample_keys(seed, count, device), step);
}

}  // namespace forensics::runtime
