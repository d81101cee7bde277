// incident: a compact description of an incident (what `forensics validate` prints), as JSON
// for scripts and as aligned text for people.
#pragma once

#include <string>

#include "forensics/incident/incident.h"
#include "forensics/util/json.h"

namespace forensics::incident {

/// Machine summary: id, title, model, format, message counts by role, the action, hypotheses,
/// evidence ids, enabled probes with budgets, sampling settings and seed.
Json summarize(const Incident& incident);

/// The same, as `  key   value` lines for a terminal.
std::string summary_text(const Incident& incident);

}  // namespace forensics::incident
