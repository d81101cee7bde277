// probes: investigate --dry-run (dry_run.h).
#include "forensics/probes/dry_run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "forensics/incident/chat_format.h"
#include "forensics/probes/steps.h"
#include "forensics/util/text.h"
#include "investigation_inputs.h"

namespace forensics::probes {
namespace {

// Decode steps timed per batch size: enough to average out the first step's allocations.
constexpr std::int64_t kTimedSteps = 8;

template <class F>
double seconds_of(F&& step) {
  const auto start = std::chrono::steady_clock::now();
  step();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Sampling `count` turns of exactly `tokens` tokens (no end of sequence can stop them).
double sampling_seconds(const runtime::ModelRunner& runner, const std::vector<std::int64_t>& prompt, std::int64_t count,
                        std::int64_t tokens) {
  runtime::SamplingParams params;
  params.temperature = 1.0;
  params.top_p = 1.0;
  params.max_new_tokens = tokens;
  params.eos_token_ids = {};
  return seconds_of([&] { runner.sample(prompt, count, 0, params, {}); });
}

ModelSpeed measure_speed(const runtime::ModelRunner& runner, const std::vector<std::int64_t>& prompt,
                         const std::vector<std::int64_t>& turn, const std::vector<std::int64_t>& batch_sizes) {
  ModelSpeed speed;
  speed.measured_in_s = seconds_of([&] {
    sampling_seconds(runner, prompt, 1, 1);  // warm-up: first-call allocations and kernel choice
    speed.prefill_s = sampling_seconds(runner, prompt, 1, 1);
    for (const std::int64_t batch : batch_sizes) {
      const double total = sampling_seconds(runner, prompt, batch, 1 + kTimedSteps);
      speed.decode_step_s[batch] = std::max(0.0, total - speed.prefill_s) / static_cast<double>(kTimedSteps);
    }
    const std::vector<std::vector<std::int64_t>> prompts(kScoringBatch, prompt);
    const std::vector<std::vector<std::int64_t>> turns(kScoringBatch, turn);
    speed.scoring_batch_s = seconds_of([&] { runner.score(prompts, turns); });
  });
  return speed;
}

std::string seconds_range(const TimeEstimate& estimate) {
  const std::string low = util::duration_text(estimate.low_s);
  const std::string high = util::duration_text(estimate.high_s);
  return low == high ? low : low + " - " + high;
}

std::string milliseconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f ms", 1000 * seconds);
  return buffer;
}

}  // namespace

TimeEstimate estimate_time(const ProbeWork& probe, const CostBasis& basis, const ModelSpeed& speed) {
  const auto batches = [](std::int64_t items) {
    return static_cast<double>((items + kScoringBatch - 1) / kScoringBatch);
  };
  const auto& cost = probe.cost;
  // Patched runs at the scoring batch's speed per token.
  const auto scored_tokens = static_cast<double>(kScoringBatch * (basis.prompt_tokens + basis.turn_tokens));
  const double per_token_s = scored_tokens > 0 ? speed.scoring_batch_s / scored_tokens : 0;
  const double fixed =
      batches(cost.scored_sequences) * speed.scoring_batch_s + static_cast<double>(cost.patched_tokens) * per_token_s;
  TimeEstimate out{fixed, fixed};
  if (cost.conditions > 0 && probe.samples_per_condition) {
    const auto step = speed.decode_step_s.find(*probe.samples_per_condition);
    const double step_s = step == speed.decode_step_s.end() ? 0 : step->second;
    const auto conditions = static_cast<double>(cost.conditions);
    const auto typical = static_cast<double>(std::min(basis.turn_tokens, basis.max_new_tokens));
    out.low_s += conditions * (speed.prefill_s + typical * step_s);
    out.high_s += conditions * (speed.prefill_s + static_cast<double>(basis.max_new_tokens) * step_s);
  }
  return out;
}

DryRun dry_run(const std::filesystem::path& incident_path, const InvestigateOptions& options,
               const ModelOpener& open_model) {
  runtime::check_device_spelling(options.device.device);
  const Inputs inputs = read_inputs(incident_path, options);
  const auto& incident = inputs.incident;
  const auto model = open_model(incident, device_for(incident, options));
  const runtime::ModelRunner& runner = *model->runner;
  DryRun out;
  out.incident_id = incident.id;
  out.device = runner.device();
  out.dtype = runner.dtype();
  out.budget = options.budget;
  out.seed = options.seed.value_or(incident.seed);
  const CostBasis basis = cost_basis(incident, model->tokenizer, runner.shape().n_layers, inputs.plan.sampling);
  out.work = plan_work(incident, inputs.plan, options.budget, options.samples, basis);

  const auto& format = incident.format;
  const auto prompt =
      model->tokenizer.model_ids(incident::render_prompt(incident.transcript, incident.action.message, format).text);
  const auto turn =
      model->tokenizer.model_ids(incident::render_turn(incident.transcript, incident.action.message, format).text);
  std::vector<std::int64_t> batch_sizes;
  for (const auto& probe : out.work.probes) {
    if (probe.cost.conditions > 0 && probe.samples_per_condition &&
        std::find(batch_sizes.begin(), batch_sizes.end(), *probe.samples_per_condition) == batch_sizes.end()) {
      batch_sizes.push_back(*probe.samples_per_condition);
    }
  }
  out.speed = measure_speed(runner, prompt, turn, batch_sizes);
  for (const auto& probe : out.work.probes) {
    out.estimates.push_back(estimate_time(probe, basis, out.speed));
    out.total.low_s += out.estimates.back().low_s;
    out.total.high_s += out.estimates.back().high_s;
  }
  return out;
}

Json dry_run_json(const DryRun& run) {
  Json estimates = Json::array();
  for (std::size_t i = 0; i < run.estimates.size(); ++i) {
    estimates.push_back(
        {{"probe", run.work.probes[i].probe}, {"low_s", run.estimates[i].low_s}, {"high_s", run.estimates[i].high_s}});
  }
  Json decode = Json::object();
  for (const auto& [batch, seconds] : run.speed.decode_step_s) decode[std::to_string(batch)] = seconds;
  return Json{{"schema", "forensics.dry-run/v1"},
              {"incident_id", run.incident_id},
              {"device", run.device},
              {"dtype", std::string(runtime::kDtypeNames.name(run.dtype))},
              {"budget", std::string(kBudgetNames.name(run.budget))},
              {"seed", run.seed},
              {"work", work_json(run.work)},
              {"speed",
               {{"prefill_s", run.speed.prefill_s},
                {"decode_step_s", decode},
                {"scoring_batch_s", run.speed.scoring_batch_s},
                {"measured_in_s", run.speed.measured_in_s}}},
              {"estimates", estimates},
              {"total", {{"low_s", run.total.low_s}, {"high_s", run.total.high_s}}}};
}

std::string dry_run_text(const DryRun& run) {
  char line[256];
  std::string out = run.incident_id + ": dry run on " + run.device + " (" +
                    std::string(runtime::kDtypeNames.name(run.dtype)) + "), budget " +
                    std::string(kBudgetNames.name(run.budget)) + ", seed " + std::to_string(run.seed) +
                    "; nothing was sampled or written\n";
  std::snprintf(line, sizeof line, "  %-18s %10s %8s %7s %8s %8s  %s\n", "probe", "conditions", "samples", "scored",
                "cells", "passes", "estimated time");
  out += line;
  for (std::size_t i = 0; i < run.work.probes.size(); ++i) {
    const auto& probe = run.work.probes[i];
    std::snprintf(line, sizeof line, "  %-18s %10lld %8lld %7lld %8lld %8lld  %s\n", probe.probe.c_str(),
                  static_cast<long long>(probe.cost.conditions), static_cast<long long>(probe.cost.samples),
                  static_cast<long long>(probe.cost.scored_sequences), static_cast<long long>(probe.cost.patched_runs),
                  static_cast<long long>(probe.forward_passes(run.work.basis)),
                  seconds_range(run.estimates[i]).c_str());
    out += line;
  }
  out += "  total: " + seconds_range(run.total) + " (low: every sampled turn as long as the captured one, " +
         std::to_string(run.work.basis.turn_tokens) + " tokens; high: all " +
         std::to_string(run.work.basis.max_new_tokens) + ")\n";
  out += "  work   " + work_text(run.work) + "\n";
  std::string decode;
  for (const auto& [batch, seconds] : run.speed.decode_step_s) {
    decode += (decode.empty() ? "" : ", ") + milliseconds(seconds) + " at batch " + std::to_string(batch);
  }
  out += "  speed  prefill of " + std::to_string(run.work.basis.prompt_tokens) + " tokens " +
         milliseconds(run.speed.prefill_s) + "; decode step " + (decode.empty() ? "-" : decode) + "; " +
         std::to_string(kScoringBatch) + " scored sequences " + milliseconds(run.speed.scoring_batch_s) +
         " (measured here just now, in " + util::duration_text(run.speed.measured_in_s) + ")\n";
  return out;
}

}  // namespace forensics::probes
