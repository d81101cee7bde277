// incident: reading a `forensics.incident/v1` file into an Incident and checking everything
// that can be checked without the model: types, required and unknown fields, ids, indices,
// that the action and every edit find their text, that matchers compile and recognise the action.
#pragma once

#include <filesystem>
#include <optional>

#include "forensics/incident/incident.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/util/diagnostics.h"
#include "forensics/util/error.h"
#include "forensics/util/json.h"

namespace forensics::incident {

/// The result of checking an incident: the incident when there were no errors, and every
/// finding (errors and warnings) either way.
struct IncidentCheck {
  std::optional<Incident> incident;
  util::Diagnostics diagnostics;
  // What the look inside the model directory found (hash and tokenizer fingerprint when
  // computed); absent when `model` itself could not be read.
  std::optional<runtime::ModelDirectoryCheck> model;
};

struct IncidentCheckOptions {
  // A model directory that does not exist is an error (investigate), not a warning (validate:
  // the organism may not be trained yet).
  bool model_must_exist = false;
  // Hash the weights even when the incident pins no hash (the verdict records the hash).
  bool hash_weights = false;
  // Scan the weights for NaN and infinities (runtime::ModelCheckOptions::scan_weights).
  bool scan_weights = true;
  // The model runs on a serving engine: its directory needs config and tokenizer, not weights
  // (runtime::ModelCheckOptions::weights_optional).
  bool weights_optional = false;
};

/// Checks an already parsed document. `source` is the incident file; relative model paths
/// resolve against its folder. When the model directory exists, it is checked too
/// (runtime::check_model_directory). Never throws for content problems: they become diagnostics.
/// The `probes` object is kept as written: the probes stage checks it (probes/plan.h).
IncidentCheck check_incident(const Json& document, const std::filesystem::path& source,
                             const IncidentCheckOptions& options = {});

/// Reads and checks a file. Throws InputError when the file cannot be read or is not JSON
/// (the message has line and column); content problems are diagnostics, as above.
IncidentCheck check_incident_file(const std::filesystem::path& path, const IncidentCheckOptions& options = {});

/// An incident file with errors. what() lists every error, one per line.
class InvalidIncident : public InputError {
 public:
  InvalidIncident(const std::filesystem::path& path, util::Diagnostics diagnostics);
  const util::Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  util::Diagnostics diagnostics_;
};

/// Reads, checks and returns the incident. Throws InvalidIncident (or InputError, as above).
Incident load_incident(const std::filesystem::path& path, const IncidentCheckOptions& options = {});

/// The special tokens of `chat_template` the tokenizer does not hold as single tokens.
std::vector<std::string> missing_markers(ChatTemplate chat_template, const runtime::Tokenizer& tokenizer);

/// The first built-in chat format whose special tokens the tokenizer has, if any.
std::optional<ChatTemplate> chat_format_of(const runtime::Tokenizer& tokenizer);

/// Largest incident file accepted; transcripts are text, and a bigger file is a mistake.
inline constexpr std::size_t kMaxIncidentBytes = 256u << 20;

}  // namespace forensics::incident
