// probes: what investigate and its dry run read before a model is opened.
#include "investigation_inputs.h"

#include "forensics/incident/reader.h"
#include "forensics/util/json_document.h"
#include "forensics/util/logging.h"

namespace forensics::probes {
namespace fs = std::filesystem;

Inputs read_inputs(const fs::path& path, const InvestigateOptions& options) {
  incident::IncidentCheckOptions check_options;
  check_options.model_must_exist = true;
  check_options.hash_weights = true;  // the verdict records what it was computed with
  Json document = util::parse_json_strict(util::read_text_file(path, incident::kMaxIncidentBytes), path.string());
  if (options.model && document.is_object() && document.contains("model") && document["model"].is_object()) {
    // Another model version: the incident's pin names the old weights.
    document["model"]["path"] = fs::absolute(*options.model).lexically_normal().string();
    document["model"].erase("weights_sha256");
  }
  incident::IncidentCheck check =
      incident::check_incident(document, fs::absolute(path).lexically_normal(), check_options);
  std::optional<ProbePlan> plan;
  if (check.incident) plan = plan_probes(*check.incident, options.probes, check.diagnostics);
  if (plan) {
    plan->sampling =
        read_sampling(options.sampling_overrides, util::JsonPath() / "command line", plan->sampling, check.diagnostics);
  }
  if (!check.incident || check.diagnostics.has_errors()) {
    throw incident::InvalidIncident(path, std::move(check.diagnostics));
  }
  // Said before the run, while stopping it costs nothing.
  for (const auto& item : check.diagnostics.all()) {
    util::log_warning(path.string() + ": " + util::to_string(item));
  }
  return {std::move(*check.incident), std::move(*plan), check.model->weights_sha256.value_or("")};
}

runtime::DeviceChoice device_for(const incident::Incident& incident, const InvestigateOptions& options) {
  runtime::DeviceChoice device = options.device;
  if (!device.dtype) device.dtype = incident.model.dtype;
  return device;
}

}  // namespace forensics::probes
