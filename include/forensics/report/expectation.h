// report: what a verdict is expected to say, and what differs. The key fields of a verdict (the
// golden files cases/<slug>/expected_verdict.json pin them), and looser expectations a batch
// manifest can state (label, flags, a minimum posterior). Torch-free: it reads verdict
// documents, never a model.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "forensics/util/diagnostics.h"
#include "forensics/util/json.h"
#include "forensics/util/json_path.h"

namespace forensics::report {

/// The fields of a `forensics.verdict/v1` document a reader acts on: how it was run, the label,
/// the top hypothesis and every posterior (3 decimals), flags and reasons (sorted), the baseline
/// count, each line of evidence's outcome, every probe's status, the chain of thought's stated
/// reasons, ablate's top segment and where patch puts the largest early residual effect.
Json key_fields(const Json& verdict);

/// What a case is expected to give: a golden file's key fields (all compared), or the looser
/// fields of a manifest (each compared when given).
struct Expectation {
  std::string source;  // where it was written, for messages
  std::optional<Json> golden;
  std::optional<std::string> label;
  std::optional<std::string> top_hypothesis;
  std::optional<std::vector<std::string>> flags;  // exactly these, in any order
  std::optional<double> min_posterior;            // the top hypothesis' posterior is at least this
};

/// A golden file (`expected_verdict.json`). Throws InputError when it cannot be read or parsed.
Expectation read_golden(const std::filesystem::path& path);

/// A manifest's `expect` object: {label, top_hypothesis, flags, min_posterior}, problems at `path`.
Expectation read_loose_expectation(const Json& value, const util::JsonPath& path, util::Diagnostics& diagnostics);

/// One field that is not as expected.
struct Difference {
  std::string field;     // `label`, `outcomes.remove-latency_pressure`, `posterior.latency`, ...
  std::string expected;  // as JSON text; "(absent)" when missing
  std::string observed;
};

/// Every difference between `verdict` and the expectation, in field order; empty when it holds.
std::vector<Difference> check_expectation(const Expectation& expectation, const Json& verdict);

/// `outcomes.remove-latency_pressure: expected "decrease", got "unclear"`.
std::string to_string(const Difference& difference);

}  // namespace forensics::report
