// probes: the journal of a local investigation: every answer the model gives (a batch of
// samples, a batch of scores, a patching run) kept on disk as it comes, beside the verdict it
// will become. A run that stops before its verdict is written (disk full, killed, a runtime
// failure) leaves its journal; the same run again answers those calls from it and computes only
// the rest. The journal is deleted once the verdict is written (docs/cli.md "Resuming").
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "forensics/runtime/runner.h"
#include "forensics/util/json.h"
#include "forensics/util/request_cache.h"

namespace forensics::probes {

/// Where the run writing `verdict` keeps its journal: a hidden folder beside it.
std::filesystem::path journal_path(const std::filesystem::path& verdict);

/// Deletes the journal of `verdict`'s run (its verdict is written, or --no-resume). A failure
/// to delete is a warning: the journal is stale, not wrong (its key says what made it).
void remove_journal(const std::filesystem::path& verdict);

/// A runner that answers a call from the journal when the same call was answered before under the
/// same run key, and otherwise asks `inner` and records its answer. Calls are whole: a sample
/// call's samples, a score call's batch, a patching run. A journal that cannot be written (a full
/// disk, a read-only folder) is dropped with a warning and the run goes on without it.
class JournaledRunner final : public runtime::ModelRunner {
 public:
  /// `run_key` names what the answers depend on beyond each call's inputs (tool version, weights,
  /// device, dtype); a journal left under another key is discarded.
  JournaledRunner(const runtime::ModelRunner& inner, std::filesystem::path directory, Json run_key);

  const runtime::ModelShape& shape() const override { return inner_.shape(); }
  std::string device() const override { return inner_.device(); }
  runtime::Dtype dtype() const override { return inner_.dtype(); }
  std::vector<std::pair<std::string, std::string>> backend() const override { return inner_.backend(); }
  std::optional<std::string> why_no_activations() const override { return inner_.why_no_activations(); }

  std::vector<runtime::Sample> sample(const std::vector<std::int64_t>& prefix, std::int64_t count, std::uint64_t seed,
                                      const runtime::SamplingParams& params,
                                      const runtime::SamplesFinished& on_finished) const override;
  std::vector<std::vector<double>> score(const std::vector<std::vector<std::int64_t>>& contexts,
                                         const std::vector<std::vector<std::int64_t>>& continuations) const override;
  runtime::PatchingResult patch(const runtime::PatchingInput& input) const override;

  /// Calls answered from the journal, and calls made in all, so far.
  std::int64_t resumed_calls() const { return resumed_; }
  std::int64_t calls() const { return calls_; }

 private:
  std::optional<Json> load(const Json& call) const;
  void store(const Json& call, const Json& answer) const;

  const runtime::ModelRunner& inner_;
  std::filesystem::path directory_;
  Json run_key_;
  mutable std::unique_ptr<util::RequestCache> cache_;  // null: no journal (it could not be written)
  mutable std::int64_t resumed_ = 0;
  mutable std::int64_t calls_ = 0;
};

}  // namespace forensics::probes
