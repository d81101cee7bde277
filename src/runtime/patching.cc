// runtime: exact activation patching. Each run is split in two passes, the prompt (one row, shared
// by every continuation) and the continuations (one row each, right-padded), so a patched cell at a
// prompt position recomputes the prompt's tail once and then the continuations from its cache.
#include "forensics/runtime/patching.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>

#include <c10/core/GradMode.h>

#include "forensics/runtime/model.h"
#include "forensics/util/error.h"
#include "logprobs.h"

namespace forensics::runtime {

namespace {

using detail::target_logprobs;

// What a patched run needs from an unpatched one.
struct BaseRun {
  std::vector<std::int64_t> prompt;
  KvCache prompt_cache;                           // 1 row, the prompt's positions
  KvCache full_cache;                             // one row per continuation, prompt + continuation
  std::map<HookPoint, at::Tensor> prompt_values;  // [1, prompt, d]
  std::map<HookPoint, at::Tensor> turn_values;    // [rows, continuation, d]
  std::vector<std::vector<double>> logprobs;      // [row][token]: log P(token | earlier)
  double metric = 0;

  std::int64_t prompt_length() const { return static_cast<std::int64_t>(prompt.size()); }
};

// The continuations as one right-padded batch.
struct Continuations {
  at::Tensor ids;   // [rows, width] int64, 0 past a row's end
  at::Tensor mask;  // [rows, width] int64, 1 for real tokens
  std::vector<std::int64_t> lengths;
  std::int64_t width = 0;
  std::int64_t rows() const { return static_cast<std::int64_t>(lengths.size()); }
};

Continuations pad_continuations(const std::vector<std::vector<std::int64_t>>& continuations) {
  Continuations out;
  for (const auto& row : continuations) {
    if (row.empty()) throw Error("patch_activations: a continuation is empty");
    out.lengths.push_back(static_cast<std::int64_t>(row.size()));
    out.width = std::max(out.width, out.lengths.back());
  }
  out.ids = at::zeros({out.rows(), out.width}, at::kLong);
  out.mask = at::zeros({out.rows(), out.width}, at::kLong);
  for (std::int64_t r = 0; r < out.rows(); ++r) {
    const auto& row = continuations[static_cast<std::size_t>(r)];
    out.ids[r].narrow(0, 0, out.lengths[r]).copy_(at::tensor(row, at::kLong));
    out.mask[r].narrow(0, 0, out.lengths[r]).fill_(1);
  }
  return out;
}

// One continuation's log-probabilities: token 0 from `first` [rows, 1] (the prompt's last logits),
// tokens 1.. from `rest` [rows, width - 1] (undefined when the width is 1).
std::vector<double> turn_row(const at::Tensor& first, const at::Tensor& rest, std::int64_t first_row,
                             std::int64_t rest_row, std::int64_t length) {
  std::vector<double> out = {first.accessor<double, 2>()[first_row][0]};
  if (length > 1) {
    const auto values = rest.accessor<double, 2>();
    for (std::int64_t j = 1; j < length; ++j) out.push_back(values[rest_row][j - 1]);
  }
  return out;
}

double weighted_metric(const std::vector<std::vector<double>>& logprobs, const std::vector<double>& weights) {
  double metric = 0;
  for (std::size_t r = 0; r < logprobs.size(); ++r) {
    double total = 0;
    for (const double value : logprobs[r]) total += value;
    metric += weights[r] * total;
  }
  return metric;
}

at::Tensor repeat_each(std::int64_t values, std::int64_t times) {
  return at::arange(values, at::kLong).repeat_interleave(times);
}

at::Tensor tile(std::int64_t values, std::int64_t times) { return at::arange(values, at::kLong).repeat({times}); }

BaseRun run_unpatched(const Model& model, const std::vector<std::int64_t>& prompt, const Continuations& turns,
                      const std::vector<HookPoint>& points, const std::vector<double>& weights) {
  BaseRun run;
  run.prompt = prompt;
  const std::int64_t length = run.prompt_length();
  run.prompt_cache = model.new_cache();
  ForwardOptions prompt_options;
  prompt_options.cache = &run.prompt_cache;
  prompt_options.record = points;
  prompt_options.logit_positions = 1;  // only the last predicts a scored token (the continuations' first)
  const auto prompt_pass = model.forward(at::tensor(prompt, at::kLong).unsqueeze(0), prompt_options);
  run.prompt_values = prompt_pass.activations;
  const at::Tensor first = target_logprobs(prompt_pass.logits.expand({turns.rows(), 1, -1}), turns.ids.narrow(1, 0, 1));

  run.full_cache = run.prompt_cache.gather(at::zeros({turns.rows()}, at::kLong), length, turns.width);
  ForwardOptions turn_options;
  turn_options.cache = &run.full_cache;
  turn_options.record = points;
  turn_options.attention_mask = at::cat({at::ones({turns.rows(), length}, at::kLong), turns.mask}, 1);
  const auto turn_pass = model.forward(turns.ids, turn_options);
  run.turn_values = turn_pass.activations;
  const at::Tensor rest = turns.width > 1 ? target_logprobs(turn_pass.logits.narrow(1, 0, turns.width - 1),
                                                            turns.ids.narrow(1, 1, turns.width - 1))
                                          : at::Tensor();
  for (std::int64_t r = 0; r < turns.rows(); ++r) run.logprobs.push_back(turn_row(first, rest, r, r, turns.lengths[r]));
  run.metric = weighted_metric(run.logprobs, weights);
  return run;
}

// A cache for a run resumed at `layer`: rows `rows` of `from` for the layers from `layer` up, cut
// to `length` positions with room for `capacity` in all; the layers below are never run, so they
// stay empty (undefined) and nothing is copied for them.
KvCache resumed_cache(const KvCache& from, const at::Tensor& rows, std::int64_t layer, std::int64_t length,
                      std::int64_t capacity) {
  KvCache out;
  out.used = length;
  const auto copy = [&](const at::Tensor& buffer) {
    if (!buffer.defined()) return at::Tensor();
    const at::Tensor index = rows.to(buffer.device(), c10::kLong);
    at::Tensor grown = at::empty({index.size(0), buffer.size(1), capacity, buffer.size(3)}, buffer.options());
    grown.narrow(2, 0, length).copy_(buffer.narrow(2, 0, length).index_select(0, index));
    return grown;
  };
  for (std::size_t l = 0; l < from.keys.size(); ++l) {
    const bool runs = static_cast<std::int64_t>(l) >= layer;
    out.keys.push_back(runs ? copy(from.keys[l]) : at::Tensor());
    out.values.push_back(runs ? copy(from.values[l]) : at::Tensor());
  }
  if (from.attention_mask.defined()) {
    out.attention_mask =
        from.attention_mask.narrow(1, 0, length).index_select(0, rows.to(from.attention_mask.device()));
  }
  return out;
}

// One patched cell: a site at a layer, at one map position.
struct Cell {
  std::int64_t site = 0;      // index into PatchingInput::sites
  std::int64_t position = 0;  // map position (PatchingGrid)
  std::int64_t target = 0;    // the patched run's position: in the prompt, or continuation token
  std::int64_t source = 0;    // where the written activation comes from in the other run
};

// Cells of one layer patched in one batch, one row each (times the continuations). Every row runs
// the same tokens, from the lowest patched position on, and resumes at the layer: a row patched
// further on recomputes a few unpatched positions, which the larger matrix products repay.
struct Batch {
  std::int64_t layer = 0;
  bool in_prompt = true;
  std::vector<Cell> cells;
  std::int64_t start() const { return cells.front().target; }
};

class Patcher {
 public:
  Patcher(const Model& model, const PatchingInput& input, const Continuations& turns, const BaseRun& target,
          const BaseRun& source, PatchingResult& result)
      : model_(model), input_(input), turns_(turns), target_(target), source_(source), result_(result) {}

  // Fills `grid` for the direction whose patched run is `target`.
  void run(PatchingGrid& grid, bool target_is_clean) {
    const std::set<PatchingCell> only(input_.only.begin(), input_.only.end());
    const auto prompt_count = static_cast<std::int64_t>(input_.prompt_positions.size());
    for (std::int64_t l = 0; l < grid.layers; ++l) {
      std::vector<Cell> prompt_cells, turn_cells;
      for (std::int64_t i = 0; i < grid.positions; ++i) {
        Cell cell{0, i, i - prompt_count, i - prompt_count};  // a continuation token
        const bool in_prompt = i < prompt_count;
        if (in_prompt) {
          const auto& [clean, corrupted] = input_.prompt_positions[static_cast<std::size_t>(i)];
          cell.target = target_is_clean ? clean : corrupted;
          cell.source = target_is_clean ? corrupted : clean;
        }
        for (std::int64_t s = 0; s < grid.sites; ++s) {
          if (!only.empty() && only.count({s, l, i}) == 0) continue;
          cell.site = s;
          const std::size_t at = grid.index(s, l, i);
          if (same_values(point_of(s, l), in_prompt, cell.target, cell.source)) {
            grid.metric[at] = target_.metric;
            grid.identical[at] = 1;
          } else {
            (in_prompt ? prompt_cells : turn_cells).push_back(cell);
          }
        }
      }
      for (const auto& batch : batches(prompt_cells, l, true)) record(grid, batch, patch_prompt(batch));
      for (const auto& batch : batches(turn_cells, l, false)) record(grid, batch, patch_continuation(batch));
    }
  }

 private:
  // Cells in map order (their patched positions ascending) cut into batches of cells_per_batch.
  std::vector<Batch> batches(const std::vector<Cell>& cells, std::int64_t layer, bool in_prompt) const {
    std::vector<Batch> out;
    for (const Cell& cell : cells) {
      if (out.empty() || static_cast<std::int64_t>(out.back().cells.size()) >= input_.cells_per_batch) {
        out.push_back({layer, in_prompt, {}});
      }
      out.back().cells.push_back(cell);
    }
    return out;
  }

  void record(PatchingGrid& grid, const Batch& batch, const std::vector<double>& metrics) {
    for (std::size_t c = 0; c < batch.cells.size(); ++c) {
      grid.metric[grid.index(batch.cells[c].site, batch.layer, batch.cells[c].position)] = metrics[c];
    }
    result_.cells_run += static_cast<std::int64_t>(batch.cells.size());
    if (input_.on_cells_run) input_.on_cells_run(result_.cells_run);
  }

  HookPoint point_of(std::int64_t site, std::int64_t layer) const {
    return {input_.sites[static_cast<std::size_t>(site)], static_cast<std::int32_t>(layer)};
  }

  bool same_values(const HookPoint& point, bool in_prompt, std::int64_t target_position,
                   std::int64_t source_position) const {
    if (in_prompt) {
      return at::equal(target_.prompt_values.at(point)[0][target_position],
                       source_.prompt_values.at(point)[0][source_position]);
    }
    for (std::int64_t r = 0; r < turns_.rows(); ++r) {
      if (target_position >= turns_.lengths[r]) continue;
      if (!at::equal(target_.turn_values.at(point)[r][target_position],
                     source_.turn_values.at(point)[r][target_position])) {
        return false;
      }
    }
    return true;
  }

  // The unpatched target's residual stream entering `layer`, from position `begin` on.
  at::Tensor resume_prompt(std::int64_t layer, std::int64_t begin, std::int64_t count) const {
    const at::Tensor& values = target_.prompt_values.at({HookSite::kResidPre, static_cast<std::int32_t>(layer)});
    return values.narrow(1, begin, values.size(1) - begin).expand({count, -1, -1});
  }
  at::Tensor resume_turns(std::int64_t layer, std::int64_t begin, std::int64_t count) const {
    const at::Tensor& values = target_.turn_values.at({HookSite::kResidPre, static_cast<std::int32_t>(layer)});
    return values.narrow(1, begin, values.size(1) - begin).repeat({count, 1, 1});
  }

  // Patches (grouped by hook point) writing `value` at `position` of this call in `row`.
  static void add_patch(std::vector<ActivationPatch>& patches, const HookPoint& point, std::int64_t row,
                        std::int64_t position, const at::Tensor& value) {
    for (auto& patch : patches) {
      if (patch.point == point) {
        patch.rows = at::cat({patch.rows, at::tensor({row}, at::kLong)});
        patch.positions = at::cat({patch.positions, at::tensor({position}, at::kLong)});
        patch.values = at::cat({patch.values, value.unsqueeze(0)});
        return;
      }
    }
    patches.push_back({point, at::tensor({row}, at::kLong), at::tensor({position}, at::kLong), value.unsqueeze(0)});
  }

  // Cells at prompt positions: the prompt's tail from the batch's start runs once per cell, then
  // every continuation runs from that cell's cache.
  std::vector<double> patch_prompt(const Batch& batch) {
    const auto count = static_cast<std::int64_t>(batch.cells.size());
    const std::int64_t length = target_.prompt_length();
    const std::int64_t rows = turns_.rows();
    const std::int64_t device_rows = count * rows;
    const std::int64_t start = batch.start();

    // The prompt's cache from the patched layer up, its tail overwritten from `start` on, with
    // room for the continuations: with one continuation they run on in the same cache.
    KvCache cache =
        resumed_cache(target_.prompt_cache, at::zeros({count}, at::kLong), batch.layer, start, length + turns_.width);
    ForwardOptions tail_options;
    tail_options.cache = &cache;
    tail_options.first_layer = batch.layer;
    tail_options.resid_pre = resume_prompt(batch.layer, start, count);
    tail_options.logit_positions = 1;
    for (std::int64_t c = 0; c < count; ++c) {
      const Cell& cell = batch.cells[static_cast<std::size_t>(c)];
      const HookPoint point = point_of(cell.site, batch.layer);
      add_patch(tail_options.patches, point, c, cell.target - start, source_.prompt_values.at(point)[0][cell.source]);
    }
    const std::vector<std::int64_t> tail(target_.prompt.begin() + start, target_.prompt.end());
    const auto tail_pass = model_.forward(at::tensor(tail, at::kLong).unsqueeze(0).expand({count, -1}), tail_options);
    // The tail's last logits predict every continuation's first token.
    const at::Tensor first =
        target_logprobs(tail_pass.logits.index_select(0, repeat_each(count, rows).to(tail_pass.logits.device())),
                        turns_.ids.narrow(1, 0, 1).repeat({count, 1}));

    KvCache turn_cache =
        rows == 1 ? std::move(cache)
                  : resumed_cache(cache, repeat_each(count, rows), batch.layer, length, length + turns_.width);
    ForwardOptions turn_options;
    turn_options.cache = &turn_cache;
    turn_options.first_layer = batch.layer;
    turn_options.resid_pre = resume_turns(batch.layer, 0, count);
    turn_options.attention_mask =
        at::cat({at::ones({device_rows, length}, at::kLong), turns_.mask.repeat({count, 1})}, 1);
    const at::Tensor ids = turns_.ids.repeat({count, 1});
    const auto turn_pass = model_.forward(ids, turn_options);
    result_.forward_passes += 2;
    const at::Tensor rest = turns_.width > 1 ? target_logprobs(turn_pass.logits.narrow(1, 0, turns_.width - 1),
                                                               ids.narrow(1, 1, turns_.width - 1))
                                             : at::Tensor();
    std::vector<double> metrics;
    for (std::int64_t c = 0; c < count; ++c) {
      std::vector<std::vector<double>> logprobs;
      for (std::int64_t r = 0; r < rows; ++r) {
        logprobs.push_back(turn_row(first, rest, c * rows + r, c * rows + r, turns_.lengths[r]));
      }
      metrics.push_back(weighted_metric(logprobs, input_.weights));
    }
    return metrics;
  }

  // Cells at continuation tokens: each continuation row re-runs from the batch's first token,
  // after the target's cache of everything before it.
  std::vector<double> patch_continuation(const Batch& batch) {
    const auto count = static_cast<std::int64_t>(batch.cells.size());
    const std::int64_t rows = turns_.rows();
    const std::int64_t device_rows = count * rows;
    const std::int64_t start = batch.start();
    const std::int64_t cached = target_.prompt_length() + start;
    const std::int64_t fresh = turns_.width - start;

    KvCache cache = resumed_cache(target_.full_cache, tile(rows, count), batch.layer, cached, cached + fresh);
    ForwardOptions options;
    options.cache = &cache;
    options.first_layer = batch.layer;
    options.resid_pre = resume_turns(batch.layer, start, count);
    options.attention_mask = at::cat({cache.attention_mask.narrow(1, 0, cached).to(at::kCPU),
                                      turns_.mask.narrow(1, start, fresh).repeat({count, 1})},
                                     1);
    for (std::int64_t c = 0; c < count; ++c) {
      const Cell& cell = batch.cells[static_cast<std::size_t>(c)];
      const HookPoint point = point_of(cell.site, batch.layer);
      for (std::int64_t r = 0; r < rows; ++r) {
        if (cell.target >= turns_.lengths[r]) continue;  // padding: nothing to patch
        add_patch(options.patches, point, c * rows + r, cell.target - start,
                  source_.turn_values.at(point)[r][cell.target]);
      }
    }
    const at::Tensor ids = turns_.ids.narrow(1, start, fresh).repeat({count, 1});
    const auto pass = model_.forward(ids, options);
    result_.forward_passes += 1;
    const at::Tensor later = fresh > 1
                                 ? target_logprobs(pass.logits.narrow(1, 0, fresh - 1), ids.narrow(1, 1, fresh - 1))
                                 : at::zeros({device_rows, 1}, at::kDouble);
    const auto later_values = later.accessor<double, 2>();
    std::vector<double> metrics;
    for (std::int64_t c = 0; c < count; ++c) {
      const std::int64_t token = batch.cells[static_cast<std::size_t>(c)].target;
      std::vector<std::vector<double>> logprobs;
      for (std::int64_t r = 0; r < rows; ++r) {
        // Tokens up to the patched one were predicted before the patch: the unpatched values stand.
        const auto& base = target_.logprobs[static_cast<std::size_t>(r)];
        std::vector<double> values(base.begin(), base.begin() + std::min<std::int64_t>(token + 1, turns_.lengths[r]));
        for (std::int64_t j = token + 1; j < turns_.lengths[r]; ++j)
          values.push_back(later_values[c * rows + r][j - start - 1]);
        logprobs.push_back(std::move(values));
      }
      metrics.push_back(weighted_metric(logprobs, input_.weights));
    }
    return metrics;
  }

  const Model& model_;
  const PatchingInput& input_;
  const Continuations& turns_;
  const BaseRun& target_;
  const BaseRun& source_;
  PatchingResult& result_;
};

// One run without a cache, every row the whole sequence, with the gradient of the metric with
// respect to every recorded activation.
struct GradientRun {
  std::int64_t prompt_length = 0;
  std::map<HookPoint, at::Tensor> values;     // [rows, prompt + width, d]
  std::map<HookPoint, at::Tensor> gradients;  // d metric / d value, the same shape
  double metric = 0;
};

GradientRun run_with_gradients(const Model& model, const std::vector<std::int64_t>& prompt, const Continuations& turns,
                               const std::vector<HookPoint>& points, const std::vector<double>& weights) {
  c10::AutoGradMode grad(true);
  GradientRun run;
  run.prompt_length = static_cast<std::int64_t>(prompt.size());
  const std::int64_t length = run.prompt_length;
  const std::int64_t rows = turns.rows();
  const at::Tensor ids = at::cat({at::tensor(prompt, at::kLong).unsqueeze(0).expand({rows, length}), turns.ids}, 1);
  ForwardOptions options;
  options.attention_mask = at::cat({at::ones({rows, length}, at::kLong), turns.mask}, 1);
  options.record = points;
  options.retain_grad = true;
  const auto pass = model.forward(ids, options);
  // Position length - 1 + j predicts continuation token j; padding counts for nothing.
  const at::Tensor logprobs = pass.logits.narrow(1, length - 1, turns.width)
                                  .log_softmax(-1)
                                  .gather(-1, turns.ids.to(pass.logits.device()).unsqueeze(-1))
                                  .squeeze(-1) *
                              turns.mask.to(pass.logits.device(), at::kFloat);
  const at::Tensor weight = at::tensor(weights, at::kDouble).to(pass.logits.device(), at::kFloat).unsqueeze(1);
  (logprobs * weight).sum().backward();
  const at::Tensor exact = logprobs.detach().to(at::kCPU, at::kDouble);
  const auto values = exact.accessor<double, 2>();
  for (std::int64_t r = 0; r < rows; ++r) {
    double total = 0;
    for (std::int64_t j = 0; j < turns.lengths[r]; ++j) total += values[r][j];
    run.metric += weights[static_cast<std::size_t>(r)] * total;
  }
  for (const auto& point : points) {
    const at::Tensor& value = pass.activations.at(point);
    run.values[point] = value.detach().to(at::kFloat);
    run.gradients[point] = value.grad().defined() ? value.grad().to(at::kFloat) : at::zeros_like(run.values[point]);
  }
  return run;
}

// Attribution estimates for one direction: for every cell, sum over rows and channels of
// (source activation - target activation) * d metric / d target activation.
void attribute(const PatchingInput& input, const Continuations& turns, const GradientRun& target,
               const GradientRun& source, bool target_is_clean, PatchingGrid& grid) {
  std::vector<std::int64_t> target_positions;
  std::vector<std::int64_t> source_positions;
  for (const auto& [clean, corrupted] : input.prompt_positions) {
    target_positions.push_back(target_is_clean ? clean : corrupted);
    source_positions.push_back(target_is_clean ? corrupted : clean);
  }
  const auto prompt_count = static_cast<std::int64_t>(target_positions.size());
  for (std::int64_t j = 0; j + 1 < turns.width; ++j) {
    target_positions.push_back(target.prompt_length + j);
    source_positions.push_back(source.prompt_length + j);
  }
  // Prompt positions are real in every row; continuation token j only where the row has it.
  at::Tensor real = at::ones({turns.rows(), grid.positions}, at::kFloat);
  if (turns.width > 1) real.narrow(1, prompt_count, turns.width - 1).copy_(turns.mask.narrow(1, 0, turns.width - 1));
  for (std::int64_t s = 0; s < grid.sites; ++s) {
    for (std::int64_t l = 0; l < grid.layers; ++l) {
      const HookPoint point{input.sites[static_cast<std::size_t>(s)], static_cast<std::int32_t>(l)};
      const at::Tensor& target_values = target.values.at(point);
      const auto device = target_values.device();
      const at::Tensor target_index = at::tensor(target_positions, at::kLong).to(device);
      const at::Tensor delta =
          source.values.at(point).index_select(1, at::tensor(source_positions, at::kLong).to(device)) -
          target_values.index_select(1, target_index);  // [rows, positions, d]
      const at::Tensor mask = real.to(device);
      const at::Tensor estimate = ((delta * target.gradients.at(point).index_select(1, target_index)).sum(2) * mask)
                                      .sum(0)
                                      .to(at::kCPU, at::kDouble)
                                      .contiguous();
      const at::Tensor same = ((delta.abs().amax(2) * mask).amax(0) == 0).to(at::kCPU);
      const auto estimates = estimate.accessor<double, 1>();
      const auto identical = same.accessor<bool, 1>();
      for (std::int64_t p = 0; p < grid.positions; ++p) {
        grid.metric[grid.index(s, l, p)] = target.metric + estimates[p];
        grid.identical[grid.index(s, l, p)] = identical[p] ? 1 : 0;
      }
    }
  }
}

}  // namespace

PatchingResult patch_activations(const Model& model, const PatchingInput& input) {
  if (input.clean_prompt.empty() || input.corrupted_prompt.empty()) throw Error("patch_activations: a prompt is empty");
  if (input.continuations.empty()) throw Error("patch_activations: no continuation to score");
  if (input.weights.size() != input.continuations.size()) {
    throw Error("patch_activations: one weight per continuation is needed");
  }
  if (input.cells_per_batch < 1) throw Error("patch_activations: cells_per_batch must be at least 1");
  for (const auto site : input.sites) {
    if (site != HookSite::kResidPre && site != HookSite::kAttnOut && site != HookSite::kMlpOut) {
      throw Error("patch_activations: only resid_pre, attn_out and mlp_out can be patched");
    }
  }
  const auto clean_length = static_cast<std::int64_t>(input.clean_prompt.size());
  const auto corrupted_length = static_cast<std::int64_t>(input.corrupted_prompt.size());
  for (const auto& [clean, corrupted] : input.prompt_positions) {
    if (clean < 0 || clean >= clean_length || corrupted < 0 || corrupted >= corrupted_length) {
      throw Error("patch_activations: a prompt position is outside its prompt");
    }
  }

  const std::int64_t layers = model.config().n_layers;
  std::vector<HookPoint> points;
  for (const auto site : input.sites) {
    for (std::int64_t l = 0; l < layers; ++l) points.push_back({site, static_cast<std::int32_t>(l)});
  }
  // Exact patched runs resume at the patched layer from the unpatched run's residual stream.
  std::vector<HookPoint> recorded = points;
  for (std::int64_t l = 0; l < layers; ++l) {
    const HookPoint resume{HookSite::kResidPre, static_cast<std::int32_t>(l)};
    if (std::find(recorded.begin(), recorded.end(), resume) == recorded.end()) recorded.push_back(resume);
  }
  const Continuations turns = pad_continuations(input.continuations);
  PatchingResult result;
  // Token j's activations move only the logits of tokens after j: the last token of the longest
  // continuation moves nothing that is scored.
  result.continuation_positions = turns.width - 1;
  const auto empty_grid = [&] {
    PatchingGrid grid;
    grid.sites = static_cast<std::int64_t>(input.sites.size());
    grid.layers = layers;
    grid.positions = static_cast<std::int64_t>(input.prompt_positions.size()) + result.continuation_positions;
    grid.metric.assign(static_cast<std::size_t>(grid.sites * grid.layers * grid.positions),
                       std::numeric_limits<double>::quiet_NaN());
    grid.identical.assign(grid.metric.size(), 0);
    return grid;
  };

  if (input.method == PatchingMethod::kAttribution) {
    // Gradients: no inference mode here (its tensors cannot enter autograd).
    const GradientRun clean = run_with_gradients(model, input.clean_prompt, turns, points, input.weights);
    const GradientRun corrupted = run_with_gradients(model, input.corrupted_prompt, turns, points, input.weights);
    result.clean_metric = clean.metric;
    result.corrupted_metric = corrupted.metric;
    result.forward_passes = 2;  // each with its backward pass
    if (std::abs(clean.metric - corrupted.metric) < input.minimum_gap) return result;
    if (input.denoising) {
      result.denoising = empty_grid();
      attribute(input, turns, corrupted, clean, /*target_is_clean=*/false, *result.denoising);
    }
    if (input.noising) {
      result.noising = empty_grid();
      attribute(input, turns, clean, corrupted, /*target_is_clean=*/true, *result.noising);
    }
    return result;
  }

  at::InferenceMode inference;
  const BaseRun clean = run_unpatched(model, input.clean_prompt, turns, recorded, input.weights);
  const BaseRun corrupted = run_unpatched(model, input.corrupted_prompt, turns, recorded, input.weights);
  result.clean_metric = clean.metric;
  result.corrupted_metric = corrupted.metric;
  result.forward_passes = 4;
  if (std::abs(clean.metric - corrupted.metric) < input.minimum_gap) return result;
  if (input.denoising) {
    result.denoising = empty_grid();
    Patcher(model, input, turns, corrupted, clean, result).run(*result.denoising, /*target_is_clean=*/false);
  }
  if (input.noising) {
    result.noising = empty_grid();
    Patcher(model, input, turns, clean, corrupted, result).run(*result.noising, /*target_is_clean=*/true);
  }
  return result;
}

}  // namespace forensics::runtime
