// incident: reading a `forensics.incident/v1` file into an Incident and checking everything
// that can be checked without the model: types, required and unknown fields, ids, indices,
// that the action and every edit find their text, that matchers compile and recognise the action.
#pragma once

#include <filesystem>
#include <optional>

#include "forensics/incident/incident.h"
#include "forensics/util/diagnostics.h"
#include "forensics/util/error.h"
#include "forensics/util/json.h"

namespace forensics::incident {

/// The result of checking an incident: the incident when there were no errors, and every
/// finding (errors and warnings) either way.
struct IncidentCheck {
  std::optional<Incident> incident;
  util::Diagnostics diagnostics;
};

/// Checks an already parsed document. `source` is the incident file; relative model paths
/// resolve against its folder. Never throws for content problems: they become diagnostics.
IncidentCheck check_incident(const Json& document, const std::filesystem::path& source);

/// Reads and checks a file. Throws InputError when the file cannot be read or is not JSON
/// (the message has line and column); content problems are diagnostics, as above.
IncidentCheck check_incident_file(const std::filesystem::path& path);

/// An incident file with errors. what() lists every error, one per line.
class InvalidIncident : public InputError {
 public:
  InvalidIncident(const std::filesystem::path& path, util::Diagnostics diagnostics);
  const util::Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  util::Diagnostics diagnostics_;
};

/// Reads, checks and returns the incident. Throws InvalidIncident (or InputError, as above).
Incident load_incident(const std::filesystem::path& path);

/// Largest incident file accepted; transcripts are text, and a bigger file is a mistake.
inline constexpr std::size_t kMaxIncidentBytes = 256u << 20;

}  // namespace forensics::incident
