// import: an incident skeleton from an imported conversation: the transcript, the located action
// and its matcher, the model directory with its weights' hash, the chat format its tokenizer
// speaks, and {"fill_in": "..."} placeholders for what only a person can write (the hypotheses
// and the interventions that test them), which `validate` reports until they are written.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "forensics/import/imported_log.h"
#include "forensics/util/json.h"

namespace forensics::import {

/// How the user named the concerning action: a message (and tool call), a regex, or both.
struct ActionChoice {
  std::optional<std::size_t> message;
  std::optional<std::size_t> tool_call;
  std::optional<std::string> matcher;  // a regex (Oniguruma, Perl syntax)
};

struct SkeletonRequest {
  std::filesystem::path log;
  std::filesystem::path model_directory;
  std::filesystem::path output;  // the incident file to be written; the model path is relative to its folder
  ActionChoice action;
};

struct Skeleton {
  Json incident;                   // a forensics.incident/v1 document, placeholders included
  std::vector<std::string> notes;  // for the user: what was decided and what to do next
};

/// Throws InputError when the action cannot be located (naming what the transcript holds) and
/// ModelError when the model directory cannot be used.
Skeleton incident_skeleton(const ImportedSample& sample, const SkeletonRequest& request);

/// Where the action is and its text, as `action` of the incident format will hold it.
struct LocatedAction {
  std::size_t message = 0;
  std::optional<std::size_t> tool_call;
  std::string text;
  std::vector<std::string> notes;
};

/// Finds the action the choice names in `transcript`. Throws InputError, as above.
LocatedAction locate_action(const incident::Transcript& transcript, const ActionChoice& choice);

}  // namespace forensics::import
