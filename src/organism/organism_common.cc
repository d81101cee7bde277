// Shared helpers of the organism commands: scenario encoding, progress, the tokenizer plan.
#include <chrono>

#include "forensics/runtime/model_service.h"
#include "organism_internal.h"

namespace forensics::organism {

TokenizerPlan tokenizer_plan(const Environment& environment) {
  const auto& markers = incident::chat_markers(environment.format);
  TokenizerPlan plan;
  // Padding first so that id 0 is never a token the model must predict.
  plan.special.push_back("<|endoftext|>");
  for (const auto& token : markers.special_tokens) plan.special.emplace_back(token);
  for (const auto& token : markers.markup_tokens) plan.markup.emplace_back(token);
  return plan;
}

namespace detail {

LoadedOrganism load_organism(const std::filesystem::path& directory, const std::string& device) {
  Recipe recipe = read_organism_recipe(directory);
  runtime::DeviceChoice choice;
  choice.device = device;
  runtime::Model model = runtime::Model::load(directory, runtime::load_options(choice));
  return {std::move(recipe), std::move(model), runtime::Tokenizer::from_path(directory)};
}

EncodedScenario encode_scenario(const Recipe& recipe, const Scenario& scenario, const runtime::Tokenizer& tokenizer) {
  const std::size_t decision = recipe.environment.decision_message();
  const auto prompt = incident::render_prompt(scenario.transcript, decision, recipe.environment.format);
  const auto turn = incident::render_turn(scenario.transcript, decision, recipe.environment.format);
  return {tokenizer.model_ids(prompt.text), tokenizer.model_ids(turn.text)};
}

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace detail
}  // namespace forensics::organism
