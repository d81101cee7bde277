// util: the request cache: a model's answers on disk, one small JSON file per answer, keyed by what
// determines it (model, prompt ids, sampling parameters, seed, sample index). The serving engine
// keeps every answer in one (docs/engine.md): an interrupted investigation resumes without
// re-sampling, and a re-run costs nothing. The local runtime keeps an interrupted run's answers in
// one, its journal (docs/cli.md "Resuming").
#pragma once

#include <filesystem>
#include <optional>

#include "forensics/util/json.h"

namespace forensics::util {

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

}  // namespace forensics::util
