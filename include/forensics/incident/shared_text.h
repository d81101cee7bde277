// incident: confound groups the edits themselves imply. Interventions that change the same text
// of the transcript measure the same cue, whether or not their author gave them a shared
// `confounds` tag (docs/verdict.md §5).
#pragma once

#include <string>
#include <vector>

#include "forensics/incident/incident.h"

namespace forensics::incident {

/// One confound tag per pair of interventions whose edits change overlapping text of the
/// transcript as given: the same field of the same message with overlapping spans, or a message
/// one of them drops. Both get the tag `same-text.<the earlier one's id>`. Returned per
/// intervention, in the incident's order. Only text present in the transcript as given counts:
/// an edit whose `find` is text an earlier edit wrote, and every edit after one that adds or
/// drops a message (it renumbers the messages), is not compared.
std::vector<std::vector<std::string>> implied_confounds(const Incident& incident);

}  // namespace forensics::incident
