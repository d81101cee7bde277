// report: what a batch run reports: one outcome per case, the `forensics.batch-result/v1`
// summary, and JUnit XML for CI systems (GitHub Actions, GitLab, Jenkins). Torch-free.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "forensics/report/expectation.h"
#include "forensics/util/json.h"
#include "forensics/util/name_table.h"

namespace forensics::report {

inline constexpr const char* kBatchResultSchema = "forensics.batch-result/v1";

/// How a case of a batch ended.
enum class CaseStatus {
  kPassed,        // ran; its expectation holds
  kFailed,        // ran; its expectation does not hold
  kUnchecked,     // ran; no expectation to check
  kIncomplete,    // ran, but a probe failed (the verdict's failed_probes)
  kBadInput,      // could not run: the incident or an option is bad (exit 3 alone)
  kModelFailure,  // could not run: the model failed to load or run (exit 4 alone)
};
inline constexpr util::NameTable kCaseStatusNames{std::array{
    util::NameEntry<CaseStatus>{CaseStatus::kPassed, "passed"},
    util::NameEntry<CaseStatus>{CaseStatus::kFailed, "failed"},
    util::NameEntry<CaseStatus>{CaseStatus::kUnchecked, "unchecked"},
    util::NameEntry<CaseStatus>{CaseStatus::kIncomplete, "incomplete"},
    util::NameEntry<CaseStatus>{CaseStatus::kBadInput, "bad-input"},
    util::NameEntry<CaseStatus>{CaseStatus::kModelFailure, "model-failure"},
}};

struct CaseOutcome {
  std::string id;        // the case's id (the incident's id unless the manifest names it)
  std::string incident;  // the incident file, as given
  std::string verdict;   // the verdict file written (empty when the case could not run)
  CaseStatus status = CaseStatus::kUnchecked;
  bool resumed = false;  // the verdict was already there, with the same inputs (--resume)
  std::string label;
  std::string top_hypothesis;
  double posterior = 0;  // of the top hypothesis
  std::vector<std::string> flags;
  std::string expectation;              // where the expectation came from; empty: none
  std::vector<Difference> differences;  // kFailed: what differs
  std::string error;                    // could not run, or the probes that failed
  std::string summary;                  // the investigation's stderr summary
  double wall_time_s = 0;
};

/// The exit code of a batch: 4 if a case's model failed, else 3 if a case's input was bad, else 5
/// if a verdict is incomplete, else 1 if an expectation failed, else 0.
int batch_exit_code(const std::vector<CaseOutcome>& cases);

/// The `forensics.batch-result/v1` document.
Json batch_result_json(const std::vector<CaseOutcome>& cases, const Json& run);

/// JUnit XML: one testsuite, one testcase per case; a failed expectation is a <failure> whose
/// text lists each differing field, a case that could not run or is incomplete an <error>; the
/// investigation's summary goes in <system-out>.
std::string junit_xml(const std::vector<CaseOutcome>& cases, const std::string& suite_name);

/// `text` made safe for XML character data and attribute values: markup escaped, characters XML
/// 1.0 forbids (most control characters, invalid UTF-8) replaced.
std::string xml_escape(std::string_view text);

}  // namespace forensics::report
