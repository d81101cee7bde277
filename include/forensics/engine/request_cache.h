// engine: the request cache: every answer the engine gave, on disk, keyed by what determines it
// (served model, prompt ids, sampling parameters, seed, sample index). An interrupted
// investigation resumes without re-sampling, a re-run costs nothing, and the cache is the record
// of what was sampled even where the server's seeds are not reproducible (docs/engine.md).
#pragma once

#include <filesystem>
#include <optional>

#include "forensics/util/json.h"

namespace forensics::engine {

class RequestCache {
 public:
  /// An empty directory: a cache that holds nothing and keeps nothing.
  explicit RequestCache(std::filesystem::path directory);

  bool enabled() const { return !directory_.empty(); }
  /// The value stored under `key`, when there is one whose recorded key matches (a file that does
  /// not parse or holds another key is ignored, and overwritten by the next store).
  std::optional<Json> load(const Json& key) const;
  /// Stores `value` under `key` atomically: a killed run leaves whole entries or none.
  void store(const Json& key, const Json& value) const;

 private:
  std::filesystem::path path_for(const std::string& digest) const;
  std::filesystem::path directory_;
};

}  // namespace forensics::engine
