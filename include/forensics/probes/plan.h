// probes: which probes an investigation runs, with which options and how many samples: the
// incident's `probes` object read through each probe's descriptor (docs/incident-format.md,
// "probes"), the command line's --probes and --budget on top. Torch-free: `validate` plans
// without a model.
#pragma once

#include <any>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "forensics/incident/incident.h"
#include "forensics/probes/probe.h"
#include "forensics/runtime/sampling.h"
#include "forensics/util/diagnostics.h"
#include "forensics/util/json.h"
#include "forensics/util/name_table.h"

namespace forensics::probes {

/// How many samples each condition of a sampling probe draws (docs/probes.md, "Budgets").
enum class Budget { kQuick, kStandard, kThorough };
inline constexpr util::NameTable kBudgetNames{std::array{
    util::NameEntry<Budget>{Budget::kQuick, "quick"},
    util::NameEntry<Budget>{Budget::kStandard, "standard"},
    util::NameEntry<Budget>{Budget::kThorough, "thorough"},
}};
inline constexpr std::int64_t kQuickSamples = 30;      // at most this many per condition
inline constexpr std::int64_t kThoroughSamples = 300;  // at least this many per condition

/// The sampling every probe uses when the incident says nothing (Thought Anchors' settings).
runtime::SamplingParams default_sampling();

/// Whether a probe runs, and why not.
enum class PlanStatus { kRun, kNotSelected, kNothingToDo };

struct PlannedProbe {
  const ProbeDescriptor* probe = nullptr;
  PlanStatus status = PlanStatus::kNotSelected;
  std::string reason;                            // kNothingToDo: what is missing
  bool configured = false;                       // the incident's probes object has an entry for it
  std::any options;                              // when it runs: its options (the incident's, or the defaults)
  std::optional<std::int64_t> standard_samples;  // per condition, standard budget; absent: none drawn

  bool runs() const { return status == PlanStatus::kRun; }
};

struct ProbePlan {
  runtime::SamplingParams sampling = default_sampling();  // probes.sampling over the defaults
  bool listed = false;                                    // the incident has a probes object: exactly its probes run
  std::vector<PlannedProbe> probes;                       // one per registry row, in pipeline order

  const PlannedProbe* find(std::string_view name) const;
};

/// Reads the incident's probes object and chooses the probes: `names` (from --probes; "all" for
/// every probe) or, when empty, the incident's own (every probe on by default when it has no
/// probes object). `resample` always runs: every rate is compared with its baseline. Problems
/// with paths (`probes.patch.intervention`) and warnings (a probes object that turns default
/// probes off) go to `diagnostics`. Throws InputError for an unknown name in `names`.
ProbePlan plan_probes(const incident::Incident& incident, const std::vector<std::string>& names,
                      util::Diagnostics& diagnostics);

/// Reads sampling parameters (`temperature`, `top_p`, `top_k`, `max_new_tokens`, `stop`) from
/// `value` over `base`: the incident's probes.sampling, or overrides from the command line.
runtime::SamplingParams read_sampling(const Json& value, const util::JsonPath& path, runtime::SamplingParams base,
                                      util::Diagnostics& diagnostics);

/// Samples per condition for a sampling probe: `samples` when given, else the budget applied
/// to its standard count (quick: at most 30, thorough: at least 300).
std::int64_t budget_samples(std::int64_t standard, Budget budget, std::optional<std::int64_t> samples);

/// The plan as JSON for `validate --json`: {sampling, probes_listed, probes: {name: {runs,
/// reason, samples_per_condition}}} (what it costs: work.h).
Json plan_json(const ProbePlan& plan);

/// The plan as `  key   value` lines (probes and sampling), as incident::summary_text prints.
std::string plan_text(const ProbePlan& plan);

}  // namespace forensics::probes
