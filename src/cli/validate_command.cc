// `forensics validate INCIDENT`: checks an incident file, its probes and its model directory
// without loading the model.
#include <iostream>

#include "command.h"
#include "forensics/incident/reader.h"
#include "forensics/incident/summary.h"
#include "forensics/probes/plan.h"
#include "forensics/util/json.h"

namespace forensics::cli {
namespace {

struct ValidateOptions {
  std::string incident;
  bool json = false;
};

Json diagnostics_json(const util::Diagnostics& diagnostics, util::Severity severity) {
  Json out = Json::array();
  for (const auto& item : diagnostics.all()) {
    if (item.severity == severity) out.push_back({{"path", item.path}, {"message", item.message}});
  }
  return out;
}

int run_validate(const ValidateOptions& options) {
  incident::IncidentCheck check;
  try {
    check = incident::check_incident_file(options.incident);
  } catch (const InputError& e) {
    if (!options.json) throw;
    // Unreadable or not JSON: still one JSON answer on stdout for scripts.
    Json out = {{"file", options.incident},
                {"valid", false},
                {"errors", Json::array({{{"path", nullptr}, {"message", e.what()}}})},
                {"warnings", Json::array()}};
    std::cout << out.dump(2) << "\n";
    return kExitBadInput;
  }
  // The probes object is the probes stage's to read: each probe checks its own options.
  std::optional<probes::ProbePlan> plan;
  if (check.incident) plan = probes::plan_probes(*check.incident, {}, check.diagnostics);
  const bool valid = check.incident.has_value() && !check.diagnostics.has_errors();
  if (options.json) {
    Json out = {{"file", options.incident},
                {"valid", valid},
                {"errors", diagnostics_json(check.diagnostics, util::Severity::kError)},
                {"warnings", diagnostics_json(check.diagnostics, util::Severity::kWarning)}};
    if (valid) {
      Json summary = incident::summarize(*check.incident);
      const Json plan_summary = probes::plan_json(*check.incident, *plan);
      for (const auto& [key, value] : plan_summary.items()) summary[key] = value;
      out["summary"] = summary;
    }
    std::cout << out.dump(2) << "\n";
    return valid ? kExitOk : kExitBadInput;
  }
  std::cerr << check.diagnostics.format();
  if (!valid) {
    std::cerr << "forensics: " << options.incident << ": invalid incident (" << check.diagnostics.error_count()
              << " error(s))\n";
    return kExitBadInput;
  }
  std::cout << check.incident->id << ": valid incident (" << incident::kSchemaName << "/v" << incident::kSchemaVersion
            << ")\n"
            << incident::summary_text(*check.incident) << probes::plan_text(*check.incident, *plan);
  return kExitOk;
}

}  // namespace

void define_validate(CLI::App& app, Action& action) {
  auto options = std::make_shared<ValidateOptions>();
  app.add_option("incident", options->incident, "Incident file (forensics.incident/v1 JSON)")->required();
  app.add_flag("--json", options->json, "Print the result as JSON on stdout");
  app.footer(
      "Exit codes: 0 valid, 3 invalid (every problem is listed with its JSON path), 2 usage.\n"
      "Warnings (e.g. a model directory that does not exist yet) do not fail validation.");
  app.callback([options, &action] { action = [options] { return run_validate(*options); }; });
}

}  // namespace forensics::cli
