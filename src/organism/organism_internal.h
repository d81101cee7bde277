// organism (internal): pieces shared by training, evaluation and capture.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "forensics/incident/chat_format.h"
#include "forensics/organism/organism.h"
#include "forensics/organism/scenario.h"
#include "forensics/runtime/model.h"
#include "forensics/runtime/tokenizer.h"

namespace forensics::organism::detail {

/// An organism directory opened for sampling: its recipe, model and tokenizer.
struct LoadedOrganism {
  Recipe recipe;
  runtime::Model model;
  runtime::Tokenizer tokenizer;
};
LoadedOrganism load_organism(const std::filesystem::path& directory, const std::string& device);

/// A scenario as token ids: the prompt before the decision turn, and the turn the model writes.
struct EncodedScenario {
  std::vector<std::int64_t> prompt;
  std::vector<std::int64_t> turn;
};

/// Prompt and turn are tokenized apart, as sampling sees them: the model continues the prompt's
/// ids, so training on the concatenation of separately tokenized parts matches inference exactly.
EncodedScenario encode_scenario(const Recipe& recipe, const Scenario& scenario, const runtime::Tokenizer& tokenizer);

double monotonic_seconds();

}  // namespace forensics::organism::detail
