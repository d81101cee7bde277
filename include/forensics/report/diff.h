// report: what changed between two verdicts of the same incidents — typically the same incident
// library run on two versions of a model. Labels, top hypotheses, posteriors and flags; every
// rate measured on both sides compared with a Newcombe interval and Fisher's exact test,
// corrected for the number of comparisons (Holm); lines of evidence that changed class; where
// ablation and patching put the cause; and warnings when the two runs were set up differently,
// so a setup change is not read as a model change (docs/cli.md, "diff"). Torch-free.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "forensics/stats/proportions.h"
#include "forensics/util/json.h"

namespace forensics::report {

inline constexpr const char* kDiffSchema = "forensics.verdict-diff/v1";

/// One rate measured on both sides.
struct RateChange {
  std::string id;    // "baseline", an intervention id, or "<sweep id>=<value>"
  std::string kind;  // "baseline", "intervention" or "sweep"
  stats::Rate a;
  stats::Rate b;
  stats::Difference difference{0, {0, 0}};  // b - a, Newcombe 95%
  double p = 1;                             // Fisher's exact test, two-sided
  double p_holm = 1;                        // Holm-adjusted over every comparison of the diff
  bool significant = false;                 // p_holm < alpha
  bool beyond_margin = false;               // the 95% interval of b - a lies outside ±min_change
  /// What counts as a change: significant after correction, and larger than the margin.
  bool changed() const { return significant && beyond_margin; }
};

/// When a rate counts as changed (docs/cli.md, "diff").
struct ChangeCriteria {
  double alpha = 0.05;  // family-wise error rate of the Holm-corrected tests, over the whole diff
  // A rate must also have moved by more than this: its Newcombe 95% interval for b - a lies
  // outside [-min_change, +min_change]. Retraining a model from the same recipe moves the rates of
  // conditions it was never trained on by real but small amounts (docs/validation.md); 0 counts
  // every significant move.
  double min_change = 0.10;
};

struct Change {
  std::string what;  // an evidence id, a probe, a field
  std::string a;
  std::string b;
};

/// Two verdicts of one incident.
struct VerdictDiff {
  std::string incident_id;
  std::string verdict_a;  // where each side was read from, for messages
  std::string verdict_b;
  Change label;
  Change top_hypothesis;
  std::vector<std::pair<std::string, std::pair<double, double>>> posterior;  // hypothesis -> (a, b)
  std::vector<std::string> flags_gained;
  std::vector<std::string> flags_lost;
  std::vector<RateChange> rates;
  std::vector<Change> outcome_changes;  // lines of evidence whose class moved
  std::vector<std::string> evidence_only_in_a;
  std::vector<std::string> evidence_only_in_b;
  std::vector<Change> localization;   // ablate's top segment, patch's early residual effect, when they moved
  std::vector<std::string> warnings;  // the runs were set up differently

  bool label_changed() const { return label.a != label.b; }
  /// A change that matters: the label, the top hypothesis of a confident label, a flag, or a
  /// rate that changed (RateChange::changed).
  bool changed() const;
};

/// Every case of two verdict sets (two files, or two batch outputs matched by incident id).
struct BatchDiff {
  ChangeCriteria criteria;
  std::vector<VerdictDiff> cases;
  std::vector<std::string> only_in_a;  // incident ids
  std::vector<std::string> only_in_b;
  std::size_t comparisons() const;
  bool changed() const;  // a case changed, or a case is on one side only
};

/// A verdict read from disk.
struct LoadedVerdict {
  std::string path;
  Json document;
};

/// The verdicts at `path` by incident id: one verdict file, or a folder — a batch output (its
/// batch.json lists them) or any folder of `forensics.verdict/v1` files, searched recursively.
/// Throws InputError for an unreadable file, a JSON file that is not a verdict (a single file),
/// or two verdicts of one incident in a folder.
std::vector<std::pair<std::string, LoadedVerdict>> read_verdicts(const std::filesystem::path& path);

/// The diff of two verdict sets, matched by incident id, corrected for comparisons.
BatchDiff diff_verdict_sets(const std::vector<std::pair<std::string, LoadedVerdict>>& a,
                            const std::vector<std::pair<std::string, LoadedVerdict>>& b,
                            const ChangeCriteria& criteria);

/// Compares two `forensics.verdict/v1` documents of one incident (before correction).
VerdictDiff diff_verdicts(const Json& a, const Json& b);

/// Holm's step-down correction over every rate comparison of every case, then significance at
/// criteria.alpha (family-wise error rate across the whole diff) and the margin.
void correct_for_comparisons(BatchDiff& diff);

/// The `forensics.verdict-diff/v1` document.
Json diff_json(const BatchDiff& diff);

/// For people: per case, what changed and a table of the rates; a last line with the summary.
std::string diff_text(const BatchDiff& diff);

}  // namespace forensics::report
