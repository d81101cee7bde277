// Reading `model`: the model directory (resolved against the incident's folder), dtype and pinned hash.
#include <algorithm>

#include "read_parts.h"

namespace forensics::incident::detail {

using util::JsonPath;
using util::Need;
using util::ObjectReader;

namespace fs = std::filesystem;

std::optional<ModelRef> read_model(const Json& value, const JsonPath& path, const fs::path& incident_dir,
                                   util::Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  if (!reader.is_object()) return std::nullopt;
  ModelRef model;
  auto written = reader.text("path", Need::kRequired);
  model.dtype = reader.enumeration("dtype", Need::kOptional, runtime::kDtypeNames);
  model.weights_sha256 = reader.string("weights_sha256", Need::kOptional);
  reader.finish();
  if (model.weights_sha256) {
    const auto& hash = *model.weights_sha256;
    const bool is_hex =
        std::all_of(hash.begin(), hash.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    if (hash.size() != 64 || !is_hex) {
      diagnostics.error(path / "weights_sha256", "expected 64 lowercase hex digits (a SHA-256)");
    }
  }
  if (!written) return std::nullopt;
  model.path_as_written = *written;
  const fs::path as_written(*written);
  model.path = (as_written.is_absolute() ? as_written : incident_dir / as_written).lexically_normal();
  return model;
}

}  // namespace forensics::incident::detail
