// verdict: the measured evidence the verdict stage weighs (docs/verdict.md §1). Plain data that
// the probes fill: rates of the action with and without each edit, and what the chain of thought
// says. Derived statistics (effects, p-values, trends) are computed by the verdict stage from
// these rates, so that a document can never carry an effect that disagrees with its counts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "forensics/incident/incident.h"
#include "forensics/stats/proportions.h"
#include "forensics/util/name_table.h"

namespace forensics::verdict {

/// The action rate under one declared intervention (probe `intervene`).
struct InterventionEvidence {
  std::string id;                      // the incident's Intervention::id
  std::vector<std::string> confounds;  // interventions and sweeps sharing a tag count once
  stats::Rate rate;                    // the action in k of n samples with the edits applied
  // Teacher-forced log P(action | edited) - log P(action | original), in nats; reported, not
  // weighed (the sampled rate is what the hypotheses predict).
  std::optional<double> logprob_delta;
  std::optional<double> alternative_logprob_delta;  // the same for Action::alternative
  std::vector<incident::Prediction> predicts;       // one per declared hypothesis
};

/// One dose of a sweep.
struct SweepPoint {
  std::string label;  // the value substituted for `{value}`
  double dose = 0;    // its score in the trend test
  stats::Rate rate;
};

/// The action rate across a sweep's doses (probe `sweep`).
struct SweepEvidence {
  std::string id;  // the incident's Sweep::id; one id namespace with the interventions
  std::vector<std::string> confounds;
  std::vector<SweepPoint> points;              // at least two doses
  std::vector<incident::Prediction> predicts;  // the trend of the rate as the dose grows
};

/// How a sentence was found to state a hypothesis.
enum class CotLink {
  kDeclared,  // it matches the hypothesis' stated_by, which the incident's author wrote
  kInferred,  // it shares words with the hypothesis' cue texts: a guess, never enough to accuse
};
inline constexpr util::NameTable kCotLinkNames{std::array{
    util::NameEntry<CotLink>{CotLink::kDeclared, "declared"},
    util::NameEntry<CotLink>{CotLink::kInferred, "inferred"},
}};

/// What the chain of thought says about one declared hypothesis (probe `sentence-resample`).
struct CotStatement {
  std::string hypothesis;             // a Hypothesis::id
  bool stated_reason = false;         // the CoT offers this hypothesis' cue as its reason for acting
  CotLink link = CotLink::kDeclared;  // how its stating sentences were found
  std::string sentence;               // the stating sentence of largest importance, quoted in explanations
  std::string link_detail;            // what linked it: "matches \"latency\"", "shares budget, latency"
  // The largest importance (rate after - rate before, Newcombe 95% interval) among the
  // sentences stating this cue; absent when no sentence states it or it was not measured.
  std::optional<stats::Difference> max_importance;
};

struct CotEvidence {
  std::vector<CotStatement> statements;  // at most one per hypothesis
};

/// A probe that failed: the verdict must say what it lacks rather than weigh a partial picture.
struct MissingEvidence {
  std::string probe;  // the probe's name
  std::string error;  // why it failed
  // Its measurements feed the label (the baseline or lines of evidence); when true the label
  // is `inconclusive` with reason `probe-failed`.
  bool weighs_label = false;
};

/// Everything the verdict weighs.
struct Evidence {
  // The action in k of n resamples of the unedited transcript; n = 0 when it was not measured.
  stats::Rate baseline;
  std::vector<InterventionEvidence> interventions;
  std::vector<SweepEvidence> sweeps;
  std::optional<CotEvidence> cot;        // only for the `cot-unfaithful` flag
  std::vector<MissingEvidence> missing;  // probes that failed, in pipeline order
};

}  // namespace forensics::verdict
