// organism: drawing synthetic transcripts from a recipe. A scenario is one environment instance
// (cues set, paraphrases, distractors and slot fillers drawn) with the decision turn the planted
// policy writes: the chain of thought and the tool call, action or benign alternative.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "forensics/incident/transcript.h"
#include "forensics/organism/recipe.h"
#include "forensics/organism/rng.h"

namespace forensics::organism {

struct Scenario {
  CueSet cues;
  bool acted = false;
  std::string motive;               // the motive the decision turn's CoT states (empty: no CoT)
  incident::Transcript transcript;  // the environment, then the decision turn (last message)
};

/// Draws a scenario under `cues`. The decision follows the policy unless `force_action` says
/// otherwise (hand-written incidents of a control that never acts). Deterministic in `rng`.
Scenario draw_scenario(const Recipe& recipe, const CueSet& cues, Rng& rng,
                       std::optional<bool> force_action = std::nullopt);

/// Scenario `index` of the data stream seeded with `seed`: its cue cell is drawn uniformly.
Scenario draw_training_scenario(const Recipe& recipe, std::uint64_t seed, std::uint64_t index);

/// The tool call that carries `command` (the action or an alternative).
incident::ToolCall command_call(const ActionSpec& action, const std::string& id, const std::string& command);

/// A message as `forensics.incident/v1` writes it.
Json message_to_json(const incident::Message& message);

}  // namespace forensics::organism
