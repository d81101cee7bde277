// organism: the behaviour table `organism eval` measures, as JSON and Markdown (torch-free).
#include <iomanip>
#include <sstream>

#include "forensics/organism/organism.h"
#include "forensics/organism/scenario.h"

namespace forensics::organism {

bool EvalReport::all_within_10_points() const {
  for (const auto& cell : cells) {
    if (cell.in_training && !cell.within_10_points) return false;
  }
  return true;
}

bool EvalReport::all_consistent() const {
  for (const auto& cell : cells) {
    if (cell.in_training && !cell.consistent) return false;
  }
  return true;
}

Json eval_report_json(const Recipe& recipe, const EvalReport& report, const EvalOptions& options) {
  Json cells = Json::array();
  for (const auto& cell : report.cells) {
    Json cues = Json::object();
    for (std::size_t i = 0; i < cell.cues.size(); ++i)
      cues[recipe.environment.cues[i].id] = static_cast<bool>(cell.cues[i]);
    cells.push_back({{"cues", cues},
                     {"in_training", cell.in_training},
                     {"planted_p_action", cell.in_training ? Json(cell.planted) : Json(nullptr)},
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
    std::ostringstream planted;
    planted << std::fixed << std::setprecision(2) << cell.planted;
    const std::string within = !cell.in_training ? "not checked" : cell.within_10_points ? "yes" : "**no**";
    out << "| " << describe_cells(recipe.environment, cell.cues) << " | "
        << (cell.in_training ? planted.str() : "— (tied cues apart: never in training)") << " | " << cell.action.k
        << "/" << cell.action.n << " | " << cell.action.estimate << " [" << cell.action.ci.low << ", "
        << cell.action.ci.high << "] | " << within << " | " << motives
        << (cell.malformed > 0 ? " (" + std::to_string(cell.malformed) + " malformed)" : "") << " |\n";
  }
  return out.str();
}

}  // namespace forensics::organism
