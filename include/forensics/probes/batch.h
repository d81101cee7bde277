// probes: `forensics batch`: many incidents investigated in one process, as CI re-runs an
// incident library on a new model version. Cases come from a folder (every incident.json below
// it, with the expected_verdict.json beside it) or a `forensics.batch/v1` manifest
// (docs/schemas/batch.schema.json). Each case's verdict is written atomically, and so is the
// batch summary after every case, so a killed run loses at most the case in flight and
// `--resume` finishes the rest (docs/cli.md, "batch").
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "forensics/probes/investigation.h"
#include "forensics/probes/plan.h"
#include "forensics/probes/work.h"
#include "forensics/report/batch_report.h"
#include "forensics/report/expectation.h"

namespace forensics::probes {

inline constexpr const char* kBatchSchema = "forensics.batch";

/// One incident to investigate, with what the manifest sets for it.
struct BatchCase {
  std::string id;  // unique in the batch; names its verdict file
  std::filesystem::path incident;
  std::optional<std::filesystem::path> model;  // run against this model directory instead
  std::optional<Budget> budget;
  std::optional<std::int64_t> samples;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> probes;  // empty: the incident's (or the command line's)
  std::optional<report::Expectation> expectation;
};

/// Every `incident.json` below `folder`, sorted by path; each takes the `expected_verdict.json`
/// beside it as its expectation, and the incident's id (its folder's path when the file cannot
/// be read; running it then reports why). Throws InputError when `folder` is not a folder or two
/// incidents share an id.
std::vector<BatchCase> cases_in_folder(const std::filesystem::path& folder);

/// A `forensics.batch/v1` manifest; paths resolve against its folder. Throws InputError listing
/// every problem with its JSON path.
std::vector<BatchCase> read_manifest(const std::filesystem::path& path);

/// What a batch runs with, besides its cases.
struct BatchOptions {
  std::filesystem::path out;                   // verdicts/<id>.json and batch.json go here
  std::optional<std::filesystem::path> junit;  // JUnit XML, also rewritten after every case
  std::optional<std::filesystem::path> model;  // every case runs against this model directory
  InvestigateOptions investigate;              // the command line's; a case's own settings win
  bool resume = false;                         // skip a case whose verdict exists and was computed from the same inputs
  int jobs = 1;                                // cases run at once
};

/// What the caller sees of a running batch (progress on stderr, per-thread set-up).
struct BatchObserver {
  std::function<void(std::size_t index, std::size_t count, const BatchCase& item)> started = nullptr;
  std::function<void(std::size_t index, std::size_t count, const report::CaseOutcome& outcome)> finished = nullptr;
  // Called once in each worker thread before its first case (e.g. to set libtorch's threads).
  std::function<void(int jobs)> worker_started = nullptr;
};

/// Runs every case (the model of each loaded once per batch, while cases need it), writes each
/// verdict, `batch.json` and the JUnit file, and returns the outcomes in case order. A case that
/// cannot run is reported and the others still run.
std::vector<report::CaseOutcome> run_batch(const std::vector<BatchCase>& cases, const BatchOptions& options,
                                           const ModelOpener& open_model, const BatchObserver& observer = {});

/// What each case would run, without running it: its model, probes and cost at its budget.
struct PlannedCase {
  const BatchCase* item = nullptr;
  std::string error;  // the case cannot run (bad incident or plan)
  std::filesystem::path model;
  WorkPlan work;  // of the probes that run
};
std::vector<PlannedCase> plan_batch(const std::vector<BatchCase>& cases, const BatchOptions& options);

}  // namespace forensics::probes
