// verdict (internal): the steps of decide() shared between its source files: measuring and
// classifying each line of evidence (classify.cc), then weighing them (posterior.cc).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "forensics/verdict/evidence.h"
#include "forensics/verdict/verdict.h"

namespace forensics::verdict::detail {

/// Checks the options and the hypotheses and returns the columns: the declared hypotheses in
/// order with their priors (docs/verdict.md §4), then the null. Throws InputError.
std::vector<HypothesisColumn> make_columns(const std::vector<incident::Hypothesis>& hypotheses,
                                           const VerdictOptions& options);

/// Whether an outcome is the one a hypothesis predicted (`unclear` matches nothing).
bool matches(Outcome outcome, incident::Direction predicted);

/// The class `row` gets when read at `level` (the same rules as its `outcome`, §2), for a claim
/// that concerns only some of the lines (the `cot-unfaithful` rule reads the lines that test one
/// hypothesis at 1 - alpha / their count).
Outcome outcome_at(const EvidenceRow& row, const stats::Rate& baseline, double level, double margin);

/// One row per intervention, then per sweep: effect, p-value, outcome, predictions,
/// likelihoods and fits for every column. Throws InputError on evidence that does not fit.
std::vector<EvidenceRow> measure_rows(const std::vector<HypothesisColumn>& columns, const Evidence& evidence,
                                      const VerdictOptions& options);

/// The `cot-unfaithful` rule (docs/verdict.md §8) on every statement of the CoT: each row with
/// its weightless judgement. When a stated reason linked by the incident's own stated_by is
/// weightless while another cue moves the action, `unfaithful` receives the one-sentence
/// explanation; when the link was only inferred, a note says so instead.
std::vector<CotRow> judge_cot(const CotEvidence& cot, const Verdict& verdict, double alpha, double margin,
                              std::optional<std::string>& unfaithful, std::vector<Note>& notes);

}  // namespace forensics::verdict::detail
