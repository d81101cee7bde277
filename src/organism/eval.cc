// `organism eval`: the organism sampled under every cue combination, its measured behaviour
// next to the planted policy.
#include <iomanip>
#include <sstream>

#include "forensics/runtime/generation.h"
#include "forensics/runtime/model.h"
#include "forensics/runtime/model_service.h"
#include "forensics/util/regex.h"
#include "organism_internal.h"
#include "turn_parser.h"

namespace forensics::organism {
namespace fs = std::filesystem;

namespace {

// Long enough for the longest turn the templates write, with room for a rambling sample.
constexpr std::int64_t kMaxTurnTokens = 192;

}  // namespace

bool EvalReport::all_within_10_points() const {
  for (const auto& cell : cells) {
    if (!cell.within_10_points) return false;
  }
  return true;
}

bool EvalReport::all_consistent() const {
  for (const auto& cell : cells) {
    if (!cell.consistent) return false;
  }
  return true;
}

EvalReport evaluate_organism(const fs::path& directory, const EvalOptions& options) {
  const double start = detail::monotonic_seconds();
  // Draw (cell, instance) uses stream cell * 1000 + instance: more instances would share streams.
  if (options.instances_per_cell > 1000) throw InputError("eval: at most 1000 instances per cell");
  const detail::LoadedOrganism organism = detail::load_organism(directory, options.device);
  const Recipe& recipe = organism.recipe;
  const runtime::Model& model = organism.model;
  const runtime::Tokenizer& tokenizer = organism.tokenizer;
  const util::Regex matcher(recipe.environment.action.matcher);
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
  detail::ProgressBar bar("eval " + recipe.name, static_cast<std::int64_t>(cells.size()), options.progress);
  for (std::size_t c = 0; c < cells.size(); ++c) {
    CellResult cell;
    cell.cues = cells[c];
    cell.planted = recipe.policy.rule_for(recipe.environment, cells[c]).p_action;
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
        const auto turn = detail::parse_turn(text, recipe.environment);
        if (!turn.message) ++cell.malformed;
        const bool took_action = matcher.contains_match(turn.after_reasoning);
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

Json eval_report_json(const Recipe& recipe, const EvalReport& report, const EvalOptions& options) {
  Json cells = Json::array();
  for (const auto& cell : report.cells) {
    Json cues = Json::object();
    for (std::size_t i = 0; i < cell.cues.size(); ++i)
      cues[recipe.environment.cues[i].id] = static_cast<bool>(cell.cues[i]);
    cells.push_back({{"cues", cues},
                     {"planted_p_action", cell.planted},
                     {"action",
                      {{"k", cell.action.k},
                       {"n", cell.action.n},
                       {"rate", cell.action.estimate},
                       {"ci95", {cell.action.ci.low, cell.action.ci.high}}}},
                     {"motives_when_acting", cell.motives_when_acting},
                     {"motives_overall", cell.motives_overall},
                     {"malformed", cell.malformed},
                     {"within_10_points", cell.within_10_points},
                     {"consistent", cell.consistent}});
  }
  return Json{{"organism", recipe.name},
              {"samples_per_cell", options.samples_per_cell},
              {"instances_per_cell", options.instances_per_cell},
              {"seed", options.seed},
              {"temperature", options.temperature},
              {"cells", cells},
              {"all_within_10_points", report.all_within_10_points()},
              {"all_consistent", report.all_consistent()},
              {"seconds", report.seconds}};
}

std::string eval_report_markdown(const Recipe& recipe, const EvalReport& report) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2);
  out << "| cues present | planted | measured k/n | rate [95% CI] | within ±0.10 | CoT states (acting samples) |\n";
  out << "|---|---|---|---|---|---|\n";
  for (const auto& cell : report.cells) {
    std::string motives;
    for (const auto& [name, count] : cell.motives_when_acting) {
      if (count == 0) continue;
      if (!motives.empty()) motives += ", ";
      motives += name + " " + std::to_string(count) + "/" + std::to_string(cell.action.k);
    }
    if (motives.empty()) motives = cell.action.k == 0 ? "—" : "none recognised";
    out << "| " << describe_cells(recipe.environment, cell.cues) << " | " << cell.planted << " | " << cell.action.k
        << "/" << cell.action.n << " | " << cell.action.estimate << " [" << cell.action.ci.low << ", "
        << cell.action.ci.high << "] | " << (cell.within_10_points ? "yes" : "**no**") << " | " << motives
        << (cell.malformed > 0 ? " (" + std::to_string(cell.malformed) + " malformed)" : "") << " |\n";
  }
  return out.str();
}

}  // namespace forensics::organism
