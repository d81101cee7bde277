// probes: the transcript as the model saw it, recorded in the verdict so that a report can show
// it without the incident file (docs/verdict.md §10, "transcript").
#pragma once

#include "forensics/incident/incident.h"
#include "forensics/util/json.h"

namespace forensics::probes {

/// `{format, text, messages[], action}`: the rendered text of the messages up to and including the
/// action's turn, each message's byte spans in it, and the action's span.
Json transcript_record(const incident::Incident& incident);

}  // namespace forensics::probes
