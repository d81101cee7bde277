// cli: what a model's weights need in each compute dtype, and whether that fits this machine's
// memory and each visible GPU, said by `model info` before anything is loaded.
#pragma once

#include <cstdint>

#include "forensics/util/json.h"

namespace forensics::cli {

/// {"weights": {"float32": bytes, ...}, "host_available": bytes, "fits_host": [dtypes],
///  "gpus": [{"index", "free", "fits": [dtypes]}]} (GPUs as nvidia-smi reports them; none without it).
Json memory_fit_json(std::int64_t parameters);

/// One line per fact, for the text output.
std::string memory_fit_text(const Json& fit);

}  // namespace forensics::cli
