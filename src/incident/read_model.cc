// Reading `model` and looking at the model directory it names, without loading anything.
#include <algorithm>

#include "read_parts.h"

namespace forensics::incident::detail {

using util::JsonPath;
using util::Need;
using util::ObjectReader;

namespace fs = std::filesystem;

std::optional<ModelRef> read_model(const Json& value, const JsonPath& path,
                                   const fs::path& incident_dir, util::Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  if (!reader.is_object()) return std::nullopt;
  ModelRef model;
  auto written = reader.text("path", Need::kRequired);
  model.dtype = reader.enumeration("dtype", Need::kOptional, kComputeDtypeNames);
  model.weights_sha256 = reader.string("weights_sha256", Need::kOptional);
  reader.finish();
  if (model.weights_sha256) {
    const auto& hash = *model.weights_sha256;
    const bool is_hex = std::all_of(hash.begin(), hash.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
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

void check_model_directory(const ModelRef& model, const JsonPath& path,
                           util::Diagnostics& diagnostics) {
  const JsonPath where = path / "path";
  std::error_code ec;
  const auto status = fs::status(model.path, ec);
  if (!fs::exists(status)) {
    diagnostics.warning(where, "model directory " + model.path.string() +
                                   " does not exist (yet); validation went on without it, but "
                                   "investigate needs it");
    return;
  }
  if (!fs::is_directory(status)) {
    diagnostics.error(where, model.path.string() + " is not a directory; expected a Hugging Face "
                                                   "model directory (config.json, safetensors, "
                                                   "tokenizer.json)");
    return;
  }
  auto has = [&](const char* name) { return fs::exists(model.path / name, ec); };
  if (!has("config.json")) {
    diagnostics.error(where, "no config.json in " + model.path.string());
  }
  if (!has("tokenizer.json")) {
    diagnostics.error(where, "no tokenizer.json in " + model.path.string());
  }
  if (has("model.safetensors") || has("model.safetensors.index.json")) return;
  bool has_pickle = false;
  for (const auto& entry : fs::directory_iterator(model.path, ec)) {
    const auto extension = entry.path().extension();
    has_pickle = has_pickle || extension == ".bin" || extension == ".pt" || extension == ".pth";
  }
  diagnostics.error(where, has_pickle
      ? "only pickle weights (.bin/.pt) in " + model.path.string() +
            "; forensics never loads pickles, since loading one can run code. Convert the "
            "checkpoint to safetensors (model.save_pretrained(dir, safe_serialization=True))"
      : "no model.safetensors or model.safetensors.index.json in " + model.path.string());
}

}  // namespace forensics::incident::detail
