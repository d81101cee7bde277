// probes: the one registry table. Adding a probe is one file defining run_<probe> (declared in
// probe.h) and its row here.
#include "forensics/probes/probe.h"

namespace forensics::probes {

const std::vector<ProbeEntry>& probe_table() {
  using incident::ProbeKind;
  static const std::vector<ProbeEntry> table = {
      {ProbeKind::kResample, run_resample, true},
      {ProbeKind::kSentenceResample, run_sentence_resample, true},
      {ProbeKind::kIntervene, run_intervene, true},
      {ProbeKind::kAblate, run_ablate, false},
      {ProbeKind::kSweep, run_sweep, true},
      {ProbeKind::kPatch, run_patch, false},
  };
  return table;
}

const ProbeEntry& probe_entry(incident::ProbeKind kind) {
  for (const auto& entry : probe_table()) {
    if (entry.kind == kind) return entry;
  }
  // Every ProbeKind has a row: a missing one is a bug in this file, not a user error.
  throw Error("probe_entry: no registry row for a probe kind");
}

}  // namespace forensics::probes
