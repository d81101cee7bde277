// report: the sections of a verdict report, each built from the verdict document alone (the
// report never re-runs a model). Internal to src/report.
#pragma once

#include <string>

#include "forensics/report/figures.h"
#include "forensics/report/page.h"
#include "forensics/util/json.h"

namespace forensics::report::detail {

/// A `{k, n, rate, ci95}` object; n = 0 when absent.
RatePoint rate_point(const Json& rate);

/// The `results` of probe `name` when it ran; else null, with `why` saying why not ("not run: not
/// selected", "failed: …", "this verdict has no record of the … probe").
const Json* probe_results(const Json& verdict, const std::string& name, std::string& why);

/// A string member, or `fallback` when absent or not a string.
std::string text_of(const Json& object, const char* key, const std::string& fallback = "");

Paragraph plain(std::string text);
Paragraph muted(std::string text);

Section summary_section(const Json& verdict);
Section transcript_section(const Json& verdict);
Section interventions_section(const Json& verdict);
Section sweeps_section(const Json& verdict);
Section ablation_section(const Json& verdict);
Section patching_section(const Json& verdict);
Section hypotheses_section(const Json& verdict);
Section reproducibility_section(const Json& verdict);

/// The command that re-runs the investigation with the verdict's recorded options.
std::string reproduce_command(const Json& verdict);

}  // namespace forensics::report::detail
