// probes (internal): what investigate and its dry run read before a model is opened: the checked
// incident with its plan, the weights' hash, and the device the model is opened on.
#pragma once

#include <filesystem>
#include <string>

#include "forensics/probes/investigation.h"

namespace forensics::probes {

/// The checked incident, its plan, and what the model directory check measured.
struct Inputs {
  incident::Incident incident;
  ProbePlan plan;
  std::string weights_sha256;
};

/// Reads and checks the incident at `path` (against options.model when given) and plans its
/// probes with the command line's choices; logs the warnings. Throws InvalidIncident.
Inputs read_inputs(const std::filesystem::path& path, const InvestigateOptions& options);

/// options.device, with the incident's model.dtype when the command line chose none.
runtime::DeviceChoice device_for(const incident::Incident& incident, const InvestigateOptions& options);

}  // namespace forensics::probes
