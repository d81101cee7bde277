// probes: `investigate --dry-run`: what an investigation will do (work.h) and how long it will
// take here, from the model's speed measured on the incident's own prompt just before: a prefill,
// decode steps at each batch size the sampling probes use, and a batch of teacher-forced
// sequences. Nothing is sampled for the verdict and nothing is written. Torch-free: the model
// is measured through its runner.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "forensics/probes/investigation.h"
#include "forensics/probes/work.h"

namespace forensics::probes {

/// The model's speed on this machine and device, measured on the incident's prompt.
struct ModelSpeed {
  double prefill_s = 0;                          // the action's prompt, one sequence
  std::map<std::int64_t, double> decode_step_s;  // batch size -> one decode step for that many samples
  double scoring_batch_s = 0;                    // kScoringBatch (prompt, turn) pairs teacher-forced
  double measured_in_s = 0;                      // what measuring took
};

/// A probe's estimated wall time: every sampled turn as long as the captured one (low) or
/// max_new_tokens long (high).
struct TimeEstimate {
  double low_s = 0;
  double high_s = 0;
};

struct DryRun {
  std::string incident_id;
  std::string device;
  runtime::Dtype dtype = runtime::Dtype::kFloat32;
  Budget budget = Budget::kStandard;
  std::uint64_t seed = 0;
  WorkPlan work;
  ModelSpeed speed;
  std::vector<TimeEstimate> estimates;  // one per work.probes entry
  TimeEstimate total;
};

/// Reads and plans the incident as investigate would, opens the model, measures its speed and
/// estimates each probe's time. Throws as investigate does before its first probe.
DryRun dry_run(const std::filesystem::path& incident_path, const InvestigateOptions& options,
               const ModelOpener& open_model);

/// The estimate from a plan and a speed (exposed for tests).
TimeEstimate estimate_time(const ProbeWork& probe, const CostBasis& basis, const ModelSpeed& speed);

/// `forensics.dry-run/v1`: {incident_id, device, dtype, budget, seed, work (work_json), speed,
/// estimates: [{probe, low_s, high_s}], total}.
Json dry_run_json(const DryRun& run);

/// A table for people: per probe its work and estimated time, the total, and the measured speed.
std::string dry_run_text(const DryRun& run);

}  // namespace forensics::probes
