#include "forensics/incident/probe_config.h"

namespace forensics::incident {

std::vector<ProbeKind> ProbeConfig::enabled() const {
  std::vector<ProbeKind> out;
  if (resample) out.push_back(ProbeKind::kResample);
  if (sentence_resample) out.push_back(ProbeKind::kSentenceResample);
  if (intervene) out.push_back(ProbeKind::kIntervene);
  if (ablate) out.push_back(ProbeKind::kAblate);
  if (sweep) out.push_back(ProbeKind::kSweep);
  if (patch) out.push_back(ProbeKind::kPatch);
  return out;
}

}  // namespace forensics::incident
