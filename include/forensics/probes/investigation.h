// probes: `forensics investigate`, the whole pipeline: load the incident and its model, run the
// chosen probes (registry in probe.h), weigh their evidence with the verdict stage and build the
// verdict document with its `probes` section (docs/probes.md). Torch-free declarations over a
// torch-linked implementation, so the command line never sees libtorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "forensics/incident/probe_config.h"
#include "forensics/util/json.h"
#include "forensics/util/name_table.h"
#include "forensics/verdict/verdict.h"

namespace forensics::probes {

/// How many samples each condition of a sampling probe draws (docs/probes.md, "Budgets").
enum class Budget { kQuick, kStandard, kThorough };
inline constexpr util::NameTable kBudgetNames{std::array{
    util::NameEntry<Budget>{Budget::kQuick, "quick"},
    util::NameEntry<Budget>{Budget::kStandard, "standard"},
    util::NameEntry<Budget>{Budget::kThorough, "thorough"},
}};
inline constexpr std::int64_t kQuickSamples = 30;      // at most this many per condition
inline constexpr std::int64_t kThoroughSamples = 300;  // at least this many per condition

/// What became of one probe in a run.
enum class ProbeStatus { kOk, kError, kSkipped };
inline constexpr util::NameTable kProbeStatusNames{std::array{
    util::NameEntry<ProbeStatus>{ProbeStatus::kOk, "ok"},
    util::NameEntry<ProbeStatus>{ProbeStatus::kError, "error"},
    util::NameEntry<ProbeStatus>{ProbeStatus::kSkipped, "skipped"},
}};

struct InvestigateOptions {
  Budget budget = Budget::kStandard;
  std::optional<std::int64_t> samples;  // per condition, for every sampling probe (beats budget)
  std::optional<std::uint64_t> seed;    // default: the incident's seed
  // Probe names (incident::kProbeKindNames) or "all"; empty: the incident's own probes.
  // `resample` always runs: it is the verdict's baseline.
  std::vector<std::string> probes;
  std::string device = "cpu";  // "auto", "cpu", "cuda" or "cuda:N"
  std::string dtype = "auto";  // "auto": the incident's model.dtype, else the device default
  // Overrides of the incident's probes.sampling.
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<std::int64_t> top_k;
  std::optional<std::int64_t> max_new_tokens;
  verdict::VerdictOptions verdict;  // the verdict's constants (docs/verdict.md)
};

/// One probe's entry in the verdict's `probes` section.
struct ProbeRecord {
  incident::ProbeKind kind = incident::ProbeKind::kResample;
  ProbeStatus status = ProbeStatus::kSkipped;
  std::string reason;                           // skipped: why; error: the error's message
  std::optional<std::int64_t> samples_per_condition;  // sampling probes that ran
  std::int64_t samples = 0;                     // samples drawn in all
  double wall_time_s = 0;
  Json results = Json::object();                // the probe's raw results (docs/probes.md)
};

struct Investigation {
  std::string incident_id;
  verdict::Verdict verdict;
  std::vector<ProbeRecord> probes;  // every probe, in pipeline order
  // The `forensics.verdict/v1` document: verdict_to_json's, with `probes` before
  // `reproducibility`. Timing is only in keys named `wall_time_s`.
  Json document;
  double wall_time_s = 0;
};

/// Runs the investigation of the incident file at `incident_path`. Probe failures are recorded
/// (status `error`) and the run goes on. Throws InputError for an invalid incident, bad options
/// (an unknown probe name, a raw-format incident, a model directory that is missing or does not
/// hash to the pinned weights), ModelError when the model or tokenizer cannot be loaded.
Investigation investigate(const std::filesystem::path& incident_path,
                          const InvestigateOptions& options);

/// The human summary for stderr: label, top posterior, baseline, the three strongest pieces of
/// evidence, flags, reasons and each probe's status. Lines end with '\n'.
std::string summary_text(const Investigation& investigation);

}  // namespace forensics::probes
