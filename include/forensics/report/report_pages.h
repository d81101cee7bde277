// report: the pages `forensics report` writes, built from documents alone — a verdict, a
// verdict diff, or a batch summary — never by re-running a model (docs/report.md). Torch-free.
#pragma once

#include <map>
#include <string>

#include "forensics/report/page.h"
#include "forensics/util/json.h"

namespace forensics::report {

/// A `forensics.verdict/v1` document as a report, top to bottom: the label and what to do, the
/// transcript, interventions, sweeps, ablation, patching, competing hypotheses, reproducibility.
/// A section whose probe did not run says so; one the document cannot fill (an older verdict, a
/// hand-edited one) says what is missing instead of failing the page.
Page verdict_page(const Json& verdict);

/// A `forensics.verdict-diff/v1` document: per case, the label, posteriors, flags and every rate
/// compared, with a figure of each rate on both sides.
Page diff_page(const Json& diff);

/// A `forensics.batch-result/v1` document: one row per case, its id linking to the case's report
/// (`case_reports`: case id → relative link; cases without one are not linked).
Page batch_page(const Json& batch, const std::map<std::string, std::string>& case_reports);

}  // namespace forensics::report
