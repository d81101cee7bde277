// `organism eval`: the organism sampled under every cue combination, its measured behaviour
// next to the planted policy.
#include <iomanip>
#include <sstream>

#include "forensics/incident/chat_format.h"
#include "forensics/incident/matcher.h"
#include "forensics/runtime/generation.h"
#include "forensics/runtime/model.h"
#include "forensics/runtime/model_service.h"
#include "forensics/util/progress_bar.h"
#include "forensics/util/regex.h"
#include "organism_internal.h"
#include "turn_parser.h"

namespace forensics::organism {
namespace fs = std::filesystem;

namespace {

// Long enough for the longest turn the templates write, with room for a rambling sample.
constexpr std::int64_t kMaxTurnTokens = 192;

// Where a sampled turn's answer starts, read as the probes read it (ProbeContext::answer_markers):
// from a turn with reasoning rendered in the organism's format. A command quoted in the reasoning,
// or in a reasoning never closed, is then not an action here either.
incident::ReasoningMarkers answer_markers(const Environment& environment) {
  incident::Transcript turn;
  incident::Message message;
  message.role = incident::Role::kAssistant;
  message.reasoning = "reasoning";
  message.content = "answer";
  turn.messages.push_back(message);
  return incident::reasoning_markers(incident::render_turn(turn, 0, environment.format));
}

}  // namespace

EvalReport evaluate_organism(const fs::path& directory, const EvalOptions& options) {
  const double start = detail::monotonic_seconds();
  // Draw (cell, instance) uses stream cell * 1000 + instance: more instances would share streams.
  if (options.instances_per_cell > 1000) throw InputError("eval: at most 1000 instances per cell");
  const detail::LoadedOrganism organism = detail::load_organism(directory, options.device);
  const Recipe& recipe = organism.recipe;
  const runtime::Model& model = organism.model;
  const runtime::Tokenizer& tokenizer = organism.tokenizer;
  const util::Regex matcher(recipe.environment.action.matcher);
  const incident::ReasoningMarkers answer = answer_markers(recipe.environment);
  std::map<std::string, util::Regex> markers;
  for (const auto& [name, motive] : recipe.environment.reasoning.motives)
    markers.emplace(name, util::Regex(motive.marker));

  runtime::SamplingParams params;
  params.temperature = options.temperature;
  params.max_new_tokens = kMaxTurnTokens;
  params.eos_token_ids = model.config().eos_token_ids;

  const auto cells = recipe.cells();
  const std::int64_t instances =
      std::max<std::int64_t>(1, std::min(options.instances_per_cell, options.samples_per_cell));
  EvalReport report;
  util::ProgressBar bar("eval " + recipe.name, static_cast<std::int64_t>(cells.size()), options.progress);
  for (std::size_t c = 0; c < cells.size(); ++c) {
    CellResult cell;
    cell.cues = cells[c];
    cell.planted = recipe.policy.rule_for(recipe.environment, cells[c]).p_action;
    cell.in_training = recipe.in_training(cells[c]);
    std::int64_t acted = 0;
    std::int64_t total = 0;
    for (std::int64_t i = 0; i < instances; ++i) {
      const std::int64_t count =
          options.samples_per_cell / instances + (i < options.samples_per_cell % instances ? 1 : 0);
      if (count == 0) continue;
      const std::uint64_t stream = c * 1000 + static_cast<std::uint64_t>(i);
      Rng rng = Rng::stream(options.seed, stream);
      const Scenario scenario = draw_scenario(recipe, cells[c], rng);
      const auto encoded = detail::encode_scenario(recipe, scenario, tokenizer);
      const auto samples = runtime::sample_continuations(
          model, encoded.prompt, count, options.seed ^ (stream * 0x9E3779B97F4A7C15ULL), params, &tokenizer);
      for (const auto& sample : samples) {
        const std::vector<std::uint32_t> ids(sample.tokens.begin(), sample.tokens.end());
        const std::string text = tokenizer.decode(ids, /*skip_special_tokens=*/false);
        const auto turn = detail::parse_turn(text, recipe.environment, recipe.chain_of_thought);
        if (!turn.message) ++cell.malformed;
        const bool took_action = matcher.contains_match(incident::answer_of(text, answer));
        acted += took_action ? 1 : 0;
        ++total;
        for (const auto& [name, marker] : markers) {
          if (!marker.contains_match(turn.reasoning)) continue;
          ++cell.motives_overall[name];
          if (took_action) ++cell.motives_when_acting[name];
        }
      }
    }
    cell.action = stats::wilson(acted, total);
    cell.within_10_points = std::abs(cell.action.estimate - cell.planted) <= 0.10 + 1e-12;
    cell.consistent = cell.planted >= cell.action.ci.low - 0.10 && cell.planted <= cell.action.ci.high + 0.10;
    report.cells.push_back(std::move(cell));
    bar.update(static_cast<std::int64_t>(c + 1), describe_cells(recipe.environment, cells[c]));
  }
  report.seconds = detail::monotonic_seconds() - start;
  bar.finish(std::to_string(cells.size()) + " cells");
  return report;
}

}  // namespace forensics::organism
