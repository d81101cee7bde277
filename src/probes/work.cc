// probes: an investigation's work before it runs (work.h).
#include "forensics/probes/work.h"

#include "forensics/incident/chat_format.h"

namespace forensics::probes {
namespace {

std::int64_t batches(std::int64_t items) { return (items + kScoringBatch - 1) / kScoringBatch; }

/// 1234567 -> "1,234,567".
std::string grouped(std::int64_t value) {
  std::string digits = std::to_string(value);
  for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3) digits.insert(at, ",");
  return digits;
}

Json cost_json(const ProbeCost& cost) {
  return Json{{"conditions", cost.conditions},
              {"samples", cost.samples},
              {"scored_sequences", cost.scored_sequences},
              {"patched_cells", cost.patched_runs},
              {"patched_tokens", cost.patched_tokens}};
}

}  // namespace

CostBasis cost_basis(const incident::Incident& incident, const runtime::Tokenizer& tokenizer, std::int64_t n_layers,
                     const runtime::SamplingParams& sampling) {
  const auto& format = incident.format;
  CostBasis basis;
  basis.prompt_tokens = static_cast<std::int64_t>(
      tokenizer.model_ids(incident::render_prompt(incident.transcript, incident.action.message, format).text).size());
  basis.turn_tokens = static_cast<std::int64_t>(
      tokenizer.model_ids(incident::render_turn(incident.transcript, incident.action.message, format).text).size());
  basis.n_layers = n_layers;
  basis.max_new_tokens = sampling.max_new_tokens;
  return basis;
}

std::int64_t ProbeWork::forward_passes(const CostBasis& basis) const {
  return cost.conditions * (1 + basis.max_new_tokens) + batches(cost.scored_sequences) + batches(cost.patched_runs);
}

std::int64_t WorkPlan::forward_passes() const {
  std::int64_t total_passes = 0;
  for (const auto& probe : probes) total_passes += probe.forward_passes(basis);
  return total_passes;
}

WorkPlan plan_work(const incident::Incident& incident, const ProbePlan& plan, Budget budget,
                   std::optional<std::int64_t> samples, const CostBasis& basis) {
  WorkPlan work;
  work.basis = basis;
  for (const auto& planned : plan.probes) {
    if (!planned.runs()) continue;
    ProbeWork probe;
    probe.probe = std::string(planned.probe->name);
    if (planned.standard_samples)
      probe.samples_per_condition = budget_samples(*planned.standard_samples, budget, samples);
    probe.cost = planned.probe->cost(incident, planned.options, probe.samples_per_condition.value_or(0), basis);
    work.total.conditions += probe.cost.conditions;
    work.total.samples += probe.cost.samples;
    work.total.scored_sequences += probe.cost.scored_sequences;
    work.total.patched_runs += probe.cost.patched_runs;
    work.total.patched_tokens += probe.cost.patched_tokens;
    work.probes.push_back(std::move(probe));
  }
  return work;
}

Json work_json(const WorkPlan& work) {
  Json probes = Json::array();
  for (const auto& probe : work.probes) {
    Json entry = cost_json(probe.cost);
    entry["probe"] = probe.probe;
    entry["samples_per_condition"] = probe.samples_per_condition ? Json(*probe.samples_per_condition) : Json(nullptr);
    entry["forward_passes"] = probe.forward_passes(work.basis);
    probes.push_back(entry);
  }
  Json total = cost_json(work.total);
  total["max_generated_tokens"] = work.max_generated_tokens();
  total["forward_passes"] = work.forward_passes();
  const auto& b = work.basis;
  return Json{{"basis",
               {{"prompt_tokens", b.prompt_tokens},
                {"turn_tokens", b.turn_tokens},
                {"n_layers", b.n_layers},
                {"max_new_tokens", b.max_new_tokens}}},
              {"probes", probes},
              {"total", total}};
}

std::string work_text(const WorkPlan& work) {
  const auto& t = work.total;
  std::string out = grouped(t.samples) + " sampled turns (at most " + grouped(work.max_generated_tokens()) +
                    " generated tokens), " + grouped(t.scored_sequences) + " scored sequences";
  if (t.patched_runs > 0) out += ", " + grouped(t.patched_runs) + " patched cells";
  out += "; at most " + grouped(work.forward_passes()) + " forward passes";
  if (work.basis.n_layers == 0) out += " (without the model's tokenizer and config, patched cells are not counted)";
  return out;
}

}  // namespace forensics::probes
