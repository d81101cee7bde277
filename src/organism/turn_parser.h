// organism (internal): reading a sampled decision turn back into a message, so a captured
// incident holds exactly what the organism wrote.
#pragma once

#include <optional>
#include <string>

#include "forensics/incident/transcript.h"
#include "forensics/organism/recipe.h"

namespace forensics::organism::detail {

struct ParsedTurn {
  std::string reasoning;  // empty when the turn has no closed reasoning block
  bool has_reasoning = false;
  std::optional<incident::Message> message;  // when the turn parses and re-renders exactly
};

/// Splits a sampled assistant turn (decoded with special tokens, from after the generation prompt)
/// into reasoning and the rest, and parses it as a message when it is well formed: it renders back
/// to exactly `text` (so an incident built from it reproduces the model's tokens). A turn is well
/// formed when it has a reasoning block exactly when the organism writes a chain of thought, and
/// carries the environment's kind of action: one tool call, or an answer as its content.
ParsedTurn parse_turn(const std::string& text, const Environment& environment, bool chain_of_thought);

}  // namespace forensics::organism::detail
