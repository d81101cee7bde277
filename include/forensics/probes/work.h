// probes: what an investigation will do before it runs: per probe the conditions, sampled turns,
// scored sequences and patched cells, with the generated tokens and forward passes they take at
// most. `validate` prints it, `batch --dry-run` sums it over cases, `investigate --dry-run` adds a
// time from the model's measured speed (dry_run.h), and progress counts it down. Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "forensics/incident/incident.h"
#include "forensics/probes/plan.h"
#include "forensics/probes/probe.h"
#include "forensics/runtime/tokenizer.h"
#include "forensics/util/json.h"

namespace forensics::probes {

/// Sequences teacher-forced, or patched cells run, per forward pass.
inline constexpr std::int64_t kScoringBatch = 16;

/// The sizes costs depend on: the incident's action prompt and turn in the model's tokens, the
/// model's layers and the plan's max_new_tokens.
CostBasis cost_basis(const incident::Incident& incident, const runtime::Tokenizer& tokenizer, std::int64_t n_layers,
                     const runtime::SamplingParams& sampling);

struct ProbeWork {
  std::string probe;
  std::optional<std::int64_t> samples_per_condition;  // sampling probes
  ProbeCost cost;
  /// Forward passes at most: per sampled condition a prefill and max_new_tokens decode steps
  /// (every sample of the condition in one batch), scored sequences and patched cells
  /// kScoringBatch at a time.
  std::int64_t forward_passes(const CostBasis& basis) const;
};

struct WorkPlan {
  CostBasis basis;
  std::vector<ProbeWork> probes;  // the probes that run, in pipeline order
  ProbeCost total;

  std::int64_t max_generated_tokens() const { return total.samples * basis.max_new_tokens; }
  std::int64_t forward_passes() const;
};

/// The work of the planned probes at `budget` (or `samples` per condition).
WorkPlan plan_work(const incident::Incident& incident, const ProbePlan& plan, Budget budget,
                   std::optional<std::int64_t> samples, const CostBasis& basis);

/// {basis, probes: [{probe, samples_per_condition, conditions, samples, scored_sequences,
/// patched_cells, forward_passes}], total: {…, max_generated_tokens, forward_passes}}.
Json work_json(const WorkPlan& work);

/// One line: "1,100 sampled turns (at most 211,200 generated tokens), 24 scored sequences,
/// 3,828 patched cells; at most 2,041 forward passes".
std::string work_text(const WorkPlan& work);

}  // namespace forensics::probes
