// incident (internal): the readers of each part of an incident file, shared by reader.cc.
#pragma once

#include <optional>
#include <vector>

#include "forensics/incident/incident.h"
#include "forensics/util/diagnostics.h"
#include "forensics/util/json.h"
#include "forensics/util/json_path.h"
#include "forensics/util/json_reader.h"

namespace forensics::incident::detail {

std::optional<Message> read_message(const Json& value, const util::JsonPath& path, util::Diagnostics& diagnostics);

/// Reads the messages and checks the links between them (tool-call ids, tool replies).
std::optional<Transcript> read_transcript(const Json& value, const util::JsonPath& path,
                                          util::Diagnostics& diagnostics);

std::optional<Edit> read_edit(const Json& value, const util::JsonPath& path, util::Diagnostics& diagnostics);

/// Reads `key` of `reader` as a list of edits (at least one).
std::optional<std::vector<Edit>> read_edits(util::ObjectReader& reader, const char* key);

/// Reads a `predicts` object: one direction per hypothesis, returned in hypothesis order.
std::optional<std::vector<Prediction>> read_predictions(util::ObjectReader& reader,
                                                        const std::vector<Hypothesis>& hypotheses);

/// Reads `confounds`: a list of slug tags.
std::vector<std::string> read_confounds(util::ObjectReader& reader);

}  // namespace forensics::incident::detail

namespace forensics::incident::detail {

/// Reads a matcher object ({type: regex, pattern} or {type: literal, any_of}); a regex that does
/// not compile is an error at `pattern`.
/// A matcher object; `scope` is read only where `with_scope` (the action's matcher: stated_by
/// always searches the chain of thought).
std::optional<MatcherSpec> read_matcher(const Json& value, const util::JsonPath& path, util::Diagnostics& diagnostics,
                                        bool with_scope = false);

/// Reads `action` and checks it against the transcript: the message is an assistant turn, the
/// text is where it is said to be, the matcher compiles and recognises the text but not the
/// alternative.
std::optional<Action> read_action(const Json& value, const util::JsonPath& path,
                                  const std::optional<Transcript>& transcript, util::Diagnostics& diagnostics);

/// Reads `model` and resolves its path against `incident_dir`.
std::optional<ModelRef> read_model(const Json& value, const util::JsonPath& path,
                                   const std::filesystem::path& incident_dir, util::Diagnostics& diagnostics);

}  // namespace forensics::incident::detail
