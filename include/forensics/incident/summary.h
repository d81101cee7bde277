// incident: a compact description of an incident (what `forensics validate` prints), as JSON
// for scripts and as aligned text for people.
#pragma once

#include <string>

#include "forensics/incident/incident.h"
#include "forensics/util/json.h"

namespace forensics::incident {

/// Machine summary: id, title, model, format, message counts by role, the action, hypotheses,
/// evidence ids and seed. (The probes that will run are the probes stage's: probes/plan.h.)
Json summarize(const Incident& incident);

/// The same, as `  key   value` lines for a terminal (keys padded to 13 columns).
std::string summary_text(const Incident& incident);

}  // namespace forensics::incident
