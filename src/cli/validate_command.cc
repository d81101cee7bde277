// `forensics validate INCIDENT`: checks an incident file without loading the model.
#include <iostream>

#include "command.h"
#include "forensics/incident/reader.h"
#include "forensics/incident/summary.h"
#include "forensics/runtime/model_directory.h"
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

// Once the model directory exists, look inside it too (config, checkpoint headers, tokenizer,
// and the weight hash when the incident pins one), so a bad model fails validation, not an
// investigation hours later.
void add_model_checks(const incident::Incident& incident, util::Diagnostics& diagnostics) {
  std::error_code ec;
  if (!std::filesystem::is_directory(incident.model.path, ec)) return;
  const util::JsonPath model = util::JsonPath() / "model";
  const auto check = runtime::check_model_directory(incident.model.path, incident.model.weights_sha256);
  for (const auto& error : check.errors) {
    const bool hash = error.find("the weights hash to") != std::string::npos;
    diagnostics.error(hash ? model / "weights_sha256" : model / "path", error);
  }
}

int run_validate(const ValidateOptions& options) {
  incident::IncidentCheck check;
  try {
    check = incident::check_incident_file(options.incident);
  } catch (const InputError& e) {
    if (!options.json) throw;
    // Unreadable or not JSON: still one JSON answer on stdout for scripts.
    Json out = {{"file", options.incident}, {"valid", false},
                {"errors", Json::array({{{"path", nullptr}, {"message", e.what()}}})},
                {"warnings", Json::array()}};
    std::cout << out.dump(2) << "\n";
    return kExitBadInput;
  }
  if (check.incident) add_model_checks(*check.incident, check.diagnostics);
  const bool valid = check.incident.has_value() && !check.diagnostics.has_errors();
  if (options.json) {
    Json out = {{"file", options.incident},
                {"valid", valid},
                {"errors", diagnostics_json(check.diagnostics, util::Severity::kError)},
                {"warnings", diagnostics_json(check.diagnostics, util::Severity::kWarning)}};
    if (valid) out["summary"] = incident::summarize(*check.incident);
    std::cout << out.dump(2) << "\n";
    return valid ? kExitOk : kExitBadInput;
  }
  std::cerr << check.diagnostics.format();
  if (!valid) {
    std::cerr << "forensics: " << options.incident << ": invalid incident ("
              << check.diagnostics.error_count() << " error(s))\n";
    return kExitBadInput;
  }
  std::cout << check.incident->id << ": valid incident (" << incident::kSchemaName << "/v"
            << incident::kSchemaVersion << ")\n"
            << incident::summary_text(*check.incident);
  return kExitOk;
}

}  // namespace

void define_validate(CLI::App& app, Action& action) {
  auto options = std::make_shared<ValidateOptions>();
  app.add_option("incident", options->incident, "Incident file (forensics.incident/v1 JSON)")
      ->required();
  app.add_flag("--json", options->json, "Print the result as JSON on stdout");
  app.footer(
      "Exit codes: 0 valid, 3 invalid (every problem is listed with its JSON path), 2 usage.\n"
      "Warnings (e.g. a model directory that does not exist yet) do not fail validation.");
  app.callback([options, &action] { action = [options] { return run_validate(*options); }; });
}

}  // namespace forensics::cli
