// probes: `forensics investigate`, the whole pipeline: read and check the incident and its plan,
// open the model as a runner, run the planned probes (registry in probe.h), weigh their evidence
// with the verdict stage and write the verdict document with its `probes` section
// (docs/probes.md). Torch-free: the caller opens the model (the command line opens the local
// libtorch model; tests open a fake).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "forensics/probes/plan.h"
#include "forensics/probes/probe.h"
#include "forensics/probes/progress.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/runtime/runner.h"
#include "forensics/util/json.h"
#include "forensics/util/name_table.h"
#include "forensics/verdict/verdict.h"

namespace forensics::probes {

/// What became of one probe in a run.
enum class ProbeStatus { kOk, kError, kSkipped };
inline constexpr util::NameTable kProbeStatusNames{std::array{
    util::NameEntry<ProbeStatus>{ProbeStatus::kOk, "ok"},
    util::NameEntry<ProbeStatus>{ProbeStatus::kError, "error"},
    util::NameEntry<ProbeStatus>{ProbeStatus::kSkipped, "skipped"},
}};

/// Sampled turns a verdict keeps per condition unless told otherwise (--keep-samples), so a person
/// can read what the model wrote.
inline constexpr std::int64_t kDefaultKeptExamples = 3;

struct InvestigateOptions {
  Budget budget = Budget::kStandard;
  std::optional<std::int64_t> samples;  // per condition, for every sampling probe (beats budget)
  std::optional<std::uint64_t> seed;    // default: the incident's seed
  // Probe names or "all"; empty: the incident's own probes. `resample` always runs.
  std::vector<std::string> probes;
  // dtype absent: the incident's model.dtype, else the device's default.
  runtime::DeviceChoice device{"cpu", std::nullopt};
  // Run against this model directory instead of the incident's (a new model version); the
  // incident's pinned weights hash is then not checked, and the verdict records the override.
  std::optional<std::filesystem::path> model;
  // The serving engine's URL (--engine; docs/engine.md): the model directory then needs config
  // and tokenizer only, and this machine's memory is not checked against the run (the engine
  // samples). Set by the command line, which also opens the model through the engine.
  std::optional<std::string> engine;
  // Overrides of the incident's probes.sampling, with the same keys (temperature, top_p, top_k,
  // max_new_tokens, stop).
  Json sampling_overrides = Json::object();
  std::int64_t keep_examples = kDefaultKeptExamples;  // sampled turns kept per condition in the results
  bool scan_weights = true;  // look for NaN and infinite weights before the run (--skip-weight-scan: not)
  // The journal folder (run_journal.h) of a local run: the model's answers are kept there as they
  // come, and answers a stopped run left there are used. Absent: none. Not used with an engine,
  // whose request cache does the same.
  std::optional<std::filesystem::path> journal;
  verdict::VerdictOptions verdict;  // the verdict's constants (docs/verdict.md)
  // Hears the run's progress (may be null: nothing is reported). Not owned.
  ProgressListener* progress = nullptr;
};

/// Why the model cannot run the prompts the probes sample from (the incident's and each
/// intervention's), or nothing: a prompt plus max_new_tokens past the model's context (positions
/// without an embedding; buffers sized from it exhaust memory), or a prompt holding a token id the
/// model's embedding has no row for (a tokenizer that is not the model's). `longest_prompt`, when
/// given, receives the longest prompt's token count.
std::optional<std::string> unrunnable_prompt(const incident::Incident& incident,
                                             const runtime::ModelDirectoryCheck& model, std::int64_t max_new_tokens,
                                             std::size_t* longest_prompt = nullptr);

/// The options that change what a verdict measures, as its reproducibility block records them
/// (batch --resume compares them to decide whether a verdict on disk can be reused).
Json options_json(const InvestigateOptions& options);

/// One probe's entry in the verdict's `probes` section.
struct ProbeRecord {
  std::string name;
  ProbeRole role = ProbeRole::kDescriptive;
  ProbeStatus status = ProbeStatus::kSkipped;
  std::string reason;                                 // skipped: why; error: the error's message
  std::optional<std::int64_t> samples_per_condition;  // sampling probes that ran
  std::int64_t samples = 0;                           // samples drawn in all
  double wall_time_s = 0;
  std::shared_ptr<const ProbeResult> result;  // when ok
};

struct Investigation {
  std::string incident_id;
  verdict::Verdict verdict;
  std::vector<ProbeRecord> probes;  // every probe, in pipeline order
  // The `forensics.verdict/v1` document. Timing is only in keys named `wall_time_s`.
  Json document;
  double wall_time_s = 0;

  /// False when a probe failed: the verdict is written but lacks that probe's measurements.
  bool complete() const;
};

/// Opens the incident's model (the one at `incident.model.path`) for the probes. A caller that
/// runs several incidents may hand out the same model to each.
using ModelOpener = std::function<std::shared_ptr<const runtime::OpenModel>(const incident::Incident& incident,
                                                                            const runtime::DeviceChoice& device)>;

/// Runs the investigation of the incident file at `incident_path`. Probe failures are recorded
/// (status `error`, `failed_probes`, reason `probe-failed` when the label lacks their evidence)
/// and the run goes on. Throws InputError for an invalid incident or plan, bad options, or a
/// model directory that is missing or does not hash to the pinned weights; ModelError when the
/// model or tokenizer cannot be loaded.
Investigation investigate(const std::filesystem::path& incident_path, const InvestigateOptions& options,
                          const ModelOpener& open_model);

/// The human summary for stderr: label, top posterior, baseline, the three strongest pieces of
/// evidence, where the descriptive probes locate the cause, flags, reasons and each probe's
/// status. Lines end with '\n'.
std::string summary_text(const Investigation& investigation);

}  // namespace forensics::probes
