// cli: a model directory's summary as `model info` and `validate DIR` print it.
#pragma once

#include "forensics/runtime/model_directory.h"
#include "forensics/util/json.h"

namespace forensics::cli {

/// Architecture, sizes, parameters, weight bytes and fingerprints (weights_sha256 only when hashed).
Json model_summary_json(const runtime::ModelSummary& summary);

/// `  key    value` lines.
std::string model_summary_text(const Json& summary);

}  // namespace forensics::cli
