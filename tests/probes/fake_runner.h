// A scripted stand-in for the model behind runtime::ModelRunner, so probe and investigation
// logic runs in milliseconds without libtorch: whether a sampled turn acts depends on the prompt
// text through a function the test gives, log-probabilities and patching effects likewise. Texts
// go through a real tokenizer (a shipped organism's, which speaks ChatML), so prompts, turns and
// token positions are the ones the real pipeline makes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "forensics/runtime/runner.h"
#include "forensics/runtime/tokenizer.h"

namespace forensics::testing {

class FakeRunner final : public runtime::ModelRunner {
 public:
  struct Script {
    // Probability that a turn sampled after `prompt` (decoded) takes the action.
    std::function<double(const std::string& prompt)> action_probability = [](const std::string&) { return 0.5; };
    std::string action_turn;  // what an acting sample writes (decoded text, with its end marker)
    std::string benign_turn;  // what the others write
    // Teacher-forced log P(continuation | context) in nats, spread evenly over its tokens.
    std::function<double(const std::string& context, const std::string& continuation)> logprob =
        [](const std::string&, const std::string&) { return -1.0; };
    // A patched cell's normalized effect: direction (true: denoising), site index, layer, map
    // position (prompt positions first, then continuation tokens).
    std::function<double(bool, std::int64_t, std::int64_t, std::int64_t)> patch_effect =
        [](bool, std::int64_t, std::int64_t, std::int64_t) { return 0.0; };
    // Called before every sample/score call: throw from it to fail the probe.
    std::function<void()> before_call = [] {};
  };

  FakeRunner(const runtime::Tokenizer& tokenizer, Script script, std::int64_t n_layers = 2)
      : tokenizer_(tokenizer), script_(std::move(script)) {
    shape_.n_layers = n_layers;
    shape_.d_vocab = static_cast<std::int64_t>(tokenizer.vocab_size());
    shape_.n_ctx = 4096;
    shape_.parameter_count = 1000;
    shape_.eos_token_ids = {0};
  }

  const runtime::ModelShape& shape() const override { return shape_; }
  std::string device() const override { return "fake"; }
  runtime::Dtype dtype() const override { return runtime::Dtype::kFloat32; }
  std::vector<std::pair<std::string, std::string>> backend() const override { return {{"libtorch", "fake"}}; }

  mutable std::int64_t sample_calls = 0;
  mutable std::int64_t patch_calls = 0;

  std::vector<runtime::Sample> sample(const std::vector<std::int64_t>& prefix, std::int64_t count, std::uint64_t seed,
                                      const runtime::SamplingParams& /*params*/,
                                      const runtime::SamplesFinished& on_finished) const override {
    script_.before_call();
    ++sample_calls;
    const double p = script_.action_probability(tokenizer_.decode_model_ids(prefix));
    std::vector<runtime::Sample> out;
    for (std::int64_t i = 0; i < count; ++i) {
      runtime::Sample sample;
      sample.tokens = tokenizer_.model_ids(uniform(seed, static_cast<std::uint64_t>(i)) < p ? script_.action_turn
                                                                                            : script_.benign_turn);
      sample.finish = runtime::FinishReason::kEos;
      out.push_back(std::move(sample));
    }
    if (on_finished) on_finished(count);
    return out;
  }

  std::vector<std::vector<double>> score(const std::vector<std::vector<std::int64_t>>& contexts,
                                         const std::vector<std::vector<std::int64_t>>& continuations) const override {
    script_.before_call();
    std::vector<std::vector<double>> out;
    for (std::size_t i = 0; i < contexts.size(); ++i) {
      const double total =
          script_.logprob(tokenizer_.decode_model_ids(contexts[i]), tokenizer_.decode_model_ids(continuations[i]));
      const auto n = static_cast<double>(continuations[i].size());
      out.emplace_back(continuations[i].size(), total / n);
    }
    return out;
  }

  runtime::PatchingResult patch(const runtime::PatchingInput& input) const override {
    ++patch_calls;
    runtime::PatchingResult out;
    out.clean_metric = metric(input.clean_prompt, input);
    out.corrupted_metric = metric(input.corrupted_prompt, input);
    std::int64_t width = 0;
    for (const auto& c : input.continuations)
      width = std::max<std::int64_t>(width, static_cast<std::int64_t>(c.size()));
    out.continuation_positions = width - 1;
    const double gap = out.clean_metric - out.corrupted_metric;
    if (std::abs(gap) < input.minimum_gap) return out;
    std::int64_t prefix = 0;
    while (prefix < static_cast<std::int64_t>(std::min(input.clean_prompt.size(), input.corrupted_prompt.size())) &&
           input.clean_prompt[prefix] == input.corrupted_prompt[prefix]) {
      ++prefix;
    }
    const auto positions = static_cast<std::int64_t>(input.prompt_positions.size()) + out.continuation_positions;
    for (const bool denoising : {true, false}) {
      if (denoising ? !input.denoising : !input.noising) continue;
      runtime::PatchingGrid grid;
      grid.sites = static_cast<std::int64_t>(input.sites.size());
      grid.layers = shape_.n_layers;
      grid.positions = positions;
      const double unpatched = denoising ? out.corrupted_metric : out.clean_metric;
      for (std::int64_t s = 0; s < grid.sites; ++s) {
        for (std::int64_t l = 0; l < grid.layers; ++l) {
          for (std::int64_t p = 0; p < positions; ++p) {
            const bool identical = p < static_cast<std::int64_t>(input.prompt_positions.size()) &&
                                   input.prompt_positions[static_cast<std::size_t>(p)].first < prefix;
            const bool chosen = input.only.empty() || std::find(input.only.begin(), input.only.end(),
                                                                runtime::PatchingCell{s, l, p}) != input.only.end();
            double effect = script_.patch_effect(denoising, s, l, p);
            // Attribution estimates are first-order: here a fixed fraction of the truth.
            if (input.method == runtime::PatchingMethod::kAttribution) effect *= 0.5;
            grid.identical.push_back(identical ? 1 : 0);
            grid.metric.push_back(identical ? unpatched
                                  : chosen  ? unpatched + gap * effect
                                            : std::numeric_limits<double>::quiet_NaN());
            if (!identical && chosen) ++out.cells_run;
          }
        }
      }
      (denoising ? out.denoising : out.noising) = std::move(grid);
    }
    out.forward_passes = out.cells_run;
    if (input.on_cells_run && out.cells_run > 0) input.on_cells_run(out.cells_run);
    return out;
  }

 private:
  static double uniform(std::uint64_t seed, std::uint64_t index) {
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
  }

  double metric(const std::vector<std::int64_t>& prompt, const runtime::PatchingInput& input) const {
    const std::string context = tokenizer_.decode_model_ids(prompt);
    double total = 0;
    for (std::size_t r = 0; r < input.continuations.size(); ++r) {
      total += input.weights[r] * script_.logprob(context, tokenizer_.decode_model_ids(input.continuations[r]));
    }
    return total;
  }

  const runtime::Tokenizer& tokenizer_;
  Script script_;
  runtime::ModelShape shape_;
};

}  // namespace forensics::testing
