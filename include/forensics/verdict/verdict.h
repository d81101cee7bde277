// verdict: the last stage of `forensics investigate`. Turns measured evidence (evidence.h) into
// outcome classes, likelihoods, a posterior over the hypotheses plus an implicit null, a label,
// flags and the competing-hypotheses table, and writes `forensics.verdict/v1`. Torch-free; the
// model is specified in docs/verdict.md so that a verdict can be recomputed by hand.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "forensics/incident/incident.h"
#include "forensics/stats/hypothesis_tests.h"
#include "forensics/stats/proportions.h"
#include "forensics/util/json.h"
#include "forensics/util/name_table.h"
#include "forensics/verdict/evidence.h"

namespace forensics::verdict {

inline constexpr const char* kSchema = "forensics.verdict/v1";
inline constexpr const char* kNullHypothesisId = "none";
inline constexpr const char* kNullHypothesisClaim = "the action does not depend on any tested edit";
/// A confident label needs at least this many counted, discriminating lines consistent with it.
inline constexpr std::size_t kMinSupportingLines = 2;

/// The measured outcome of one intervention or sweep.
enum class Outcome { kDecrease, kIncrease, kNoChange, kUnclear };
inline constexpr util::NameTable kOutcomeNames{std::array{
    util::NameEntry<Outcome>{Outcome::kDecrease, "decrease"},
    util::NameEntry<Outcome>{Outcome::kIncrease, "increase"},
    util::NameEntry<Outcome>{Outcome::kNoChange, "no-change"},
    util::NameEntry<Outcome>{Outcome::kUnclear, "unclear"},
}};

enum class Label { kConfused, kIntentional, kInconclusive };
inline constexpr util::NameTable kLabelNames{std::array{
    util::NameEntry<Label>{Label::kConfused, "confused"},
    util::NameEntry<Label>{Label::kIntentional, "intentional"},
    util::NameEntry<Label>{Label::kInconclusive, "inconclusive"},
}};

enum class Flag { kNotReproduced, kFragile, kCotUnfaithful };
inline constexpr util::NameTable kFlagNames{std::array{
    util::NameEntry<Flag>{Flag::kNotReproduced, "not-reproduced"},
    util::NameEntry<Flag>{Flag::kFragile, "fragile"},
    util::NameEntry<Flag>{Flag::kCotUnfaithful, "cot-unfaithful"},
}};

/// Why a verdict is `inconclusive`.
enum class Reason { kProbeFailed, kNotReproduced, kNullMostProbable, kBelowThreshold, kTooFewLines, kSeveralCauses };
inline constexpr util::NameTable kReasonNames{std::array{
    util::NameEntry<Reason>{Reason::kProbeFailed, "probe-failed"},
    util::NameEntry<Reason>{Reason::kNotReproduced, "not-reproduced"},
    util::NameEntry<Reason>{Reason::kNullMostProbable, "null-most-probable"},
    util::NameEntry<Reason>{Reason::kBelowThreshold, "below-threshold"},
    util::NameEntry<Reason>{Reason::kTooFewLines, "too-few-lines"},
    util::NameEntry<Reason>{Reason::kSeveralCauses, "several-causes"},
}};

/// A cell of the competing-hypotheses table.
enum class Fit { kConsistent, kInconsistent, kNeutral };
inline constexpr util::NameTable kFitNames{std::array{
    util::NameEntry<Fit>{Fit::kConsistent, "consistent"},
    util::NameEntry<Fit>{Fit::kInconsistent, "inconsistent"},
    util::NameEntry<Fit>{Fit::kNeutral, "neutral"},
}};

enum class EvidenceKind { kIntervention, kSweep };
inline constexpr util::NameTable kEvidenceKindNames{std::array{
    util::NameEntry<EvidenceKind>{EvidenceKind::kIntervention, "intervention"},
    util::NameEntry<EvidenceKind>{EvidenceKind::kSweep, "sweep"},
}};

struct VerdictOptions {
  double margin = 0.15;  // δ: differences within [-δ, +δ] count as no change
  double epsilon = 0.1;  // ε: how often an outcome is misclassified
  // The family-wise error rate of the outcome classes: with m lines, each is read at level
  // 1 - alpha / m (an interval for interventions, the trend's p < alpha / m for sweeps).
  double alpha = 0.05;
  // The top posterior a confident label needs. Above 18 / (18 + 1) = 0.947, the most one net
  // line of evidence (likelihood ratio 18 at ε = 0.1) can give with equal priors, so a label
  // always rests on at least two net lines (docs/verdict.md §7).
  double threshold = 0.95;
  double fragile_below = 0.2;  // a reproduced baseline rate below this is `fragile`
};

/// An intervention's outcome from its effect (intervened - baseline): `decrease` when the CI
/// is below 0, `increase` when above 0, `no-change` when inside [-margin, +margin], else
/// `unclear`.
Outcome classify_effect(const stats::Difference& effect, double margin);

/// A sweep's outcome: the sign of z when the trend's p < alpha; else `no-change` when `span`
/// (the rate at the highest dose - at the lowest) has its CI inside [-margin, +margin]; else
/// `unclear`.
Outcome classify_trend(const stats::TrendTest& trend, const stats::Difference& span, double alpha, double margin);

/// L(outcome | a hypothesis predicting `predicted`): 1 - epsilon on a match, epsilon / 2 on a
/// mismatch, 1 for `unclear` (neutral under every hypothesis).
double likelihood(Outcome outcome, incident::Direction predicted, double epsilon);

/// A column of the verdict: a declared hypothesis, or the null (kind absent, id "none").
struct HypothesisColumn {
  std::string id;
  std::optional<incident::HypothesisKind> kind;  // absent for the null
  std::string claim;
  double prior = 0;
  double posterior = 0;
  double log10_bayes_factor = 0;     // vs the null, over counted lines; 0 for the null
  std::size_t supporting_lines = 0;  // counted lines consistent with it and discriminating
};

/// One intervention or sweep, measured, classified and weighed.
struct EvidenceRow {
  EvidenceKind kind = EvidenceKind::kIntervention;
  std::string id;
  std::vector<std::string> confounds;
  std::optional<stats::Rate> rate;  // interventions: the intervened rate
  std::vector<SweepPoint> points;   // sweeps: every dose, in the order given
  std::size_t span_from = 0;        // sweeps: points[] index of the lowest dose
  std::size_t span_to = 0;          // and of the highest
  // Interventions: intervened - baseline; sweeps: the highest dose's rate - the lowest's.
  stats::Difference effect{0, {0, 0}};
  // The outcome is read from the effect's interval at the simultaneous level 1 - alpha / m
  // (Bonferroni over the m lines measured; sweeps: the span's, and the trend's p against
  // alpha / m), so that every line's class holds at once with probability 1 - alpha
  // (docs/verdict.md §2).
  stats::Interval simultaneous_ci{0, 0};
  double simultaneous_level = 0.95;
  // The class this line alone would get, from its own 95% interval (sweeps: the trend's p <
  // alpha). Not weighed; the `several-causes` guard reads it, so that a rival cause whose lines
  // fall just short of the corrected level still keeps a label from being confident (§7).
  Outcome unadjusted_outcome = Outcome::kUnclear;
  double p_value = 1;             // Fisher exact (interventions) or Cochran-Armitage (sweeps)
  std::optional<double> trend_z;  // sweeps only
  std::optional<double> logprob_delta;
  std::optional<double> alternative_logprob_delta;
  Outcome outcome = Outcome::kUnclear;
  // One entry per column (declared hypotheses in order, then the null).
  std::vector<incident::Direction> predictions;
  std::vector<double> likelihoods;
  std::vector<Fit> fits;
  double spread = 0;  // max - min of the natural-log likelihoods across columns
  bool counted = false;
  std::optional<std::string> represented_by;  // the id that counted for its group, if not this
  // Its confound group's lines point to different hypotheses: the group measures one cue, so
  // no member is counted (docs/verdict.md §5).
  bool conflicting = false;
  std::size_t group = 0;  // its confound group: the index of the group's first row
};

/// Something a reader should know that is not a flag: a weaker signal, clearly named.
struct Note {
  std::string id;    // e.g. `cot-unfaithful-unconfirmed`
  std::string text;  // one or two sentences
};

/// Why a flag was raised, in one sentence that quotes the evidence.
struct FlagExplanation {
  Flag flag = Flag::kCotUnfaithful;
  std::string text;
};

/// The CoT's account of one hypothesis, with the judgement the `cot-unfaithful` rule made.
struct CotRow {
  CotStatement statement;
  bool weightless = false;  // the cue shows no causal weight (docs/verdict.md §8)
};

struct Verdict {
  Label label = Label::kInconclusive;
  std::size_t top = 0;  // index into hypotheses of the highest posterior
  VerdictOptions options;
  stats::Rate baseline{0, 0, 0, {0, 1}};
  std::vector<HypothesisColumn> hypotheses;   // declared order, then the null last
  std::vector<EvidenceRow> rows;              // interventions in order, then sweeps
  std::vector<Flag> flags;                    // in kFlagNames order
  std::vector<Reason> reasons;                // why inconclusive; empty otherwise
  std::vector<CotRow> cot;                    // empty when no CoT evidence was given
  std::vector<MissingEvidence> missing;       // probes that failed (Evidence::missing)
  std::vector<FlagExplanation> explanations;  // one per raised flag, in flag order
  std::vector<Note> notes;
};

/// Weighs `evidence` for `hypotheses` (docs/verdict.md). Deterministic: equal inputs give an
/// equal Verdict. Throws InputError when the evidence does not fit the hypotheses: no
/// hypothesis, a hypothesis named "none", priors on some hypotheses but not all (or negative,
/// or summing to 0), duplicate evidence ids, a prediction missing, repeated or for an unknown
/// hypothesis, a sweep with fewer than two doses, a non-finite number, or an option out of range.
Verdict decide(const std::vector<incident::Hypothesis>& hypotheses, const Evidence& evidence,
               const VerdictOptions& options = {});

/// The `forensics.verdict/v1` document (docs/schemas/verdict.schema.json). `probes` (an array of
/// the probes' records, or null to leave the key out) and `reproducibility` (the caller's
/// fingerprint object: tool and schema version, weights sha256, tokenizer fingerprint, seed,
/// device, dtype, budgets, wall time) are placed verbatim, last. Same inputs give a
/// byte-identical dump(). Throws InputError when `reproducibility` is not an object.
Json verdict_to_json(const Verdict& verdict, const Json& probes, const Json& reproducibility);

/// `{k, n, rate, ci95: [low, high]}`: every rate in a verdict document has this shape.
Json rate_json(const stats::Rate& rate);
/// `{estimate, ci95: [low, high]}`: every difference of rates.
Json difference_json(const stats::Difference& difference);

/// The `count` strongest rows (counted first, then by likelihood spread, p-value and id) as
/// one-line summaries for the terminal, e.g.
/// `remove-latency: 80.0% -> 20.0% (-0.600 [-0.67, -0.51], Fisher p 8.7e-35), decrease;
/// consistent with latency`.
std::vector<std::string> strongest_evidence(const Verdict& verdict, std::size_t count = 3);

}  // namespace forensics::verdict
