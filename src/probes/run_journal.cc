// probes: the journal of a local investigation (run_journal.h): a request cache in a hidden
// folder beside the verdict, whose run.json holds the run key it was written under.
#include "forensics/probes/run_journal.h"

#include <system_error>

#include "forensics/runtime/sample_json.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "forensics/util/logging.h"

namespace forensics::probes {
namespace fs = std::filesystem;
using runtime::PatchingGrid;
using runtime::PatchingInput;
using runtime::PatchingResult;
using runtime::Sample;

namespace {

constexpr const char* kRunKeyFile = "run.json";
constexpr std::size_t kMaxRunKeyBytes = 1u << 20;

Json patching_key(const PatchingInput& input) {
  Json sites = Json::array();
  for (const auto site : input.sites) sites.push_back(std::string(runtime::kHookSiteNames.name(site)));
  Json only = Json::array();
  for (const auto& cell : input.only) only.push_back({cell.site, cell.layer, cell.position});
  return Json{{"call", "patch"},
              {"clean", input.clean_prompt},
              {"corrupted", input.corrupted_prompt},
              {"continuations", input.continuations},
              {"weights", runtime::numbers_to_json(input.weights)},
              {"sites", sites},
              {"positions", input.prompt_positions},
              {"denoising", input.denoising},
              {"noising", input.noising},
              {"cells_per_batch", input.cells_per_batch},
              {"attribution", input.method == runtime::PatchingMethod::kAttribution},
              {"minimum_gap", input.minimum_gap},
              {"only", only}};
}

Json grid_to_json(const std::optional<PatchingGrid>& grid) {
  if (!grid) return nullptr;
  return Json{{"sites", grid->sites},
              {"layers", grid->layers},
              {"positions", grid->positions},
              {"metric", runtime::numbers_to_json(grid->metric)},
              {"identical", grid->identical}};
}

/// The grid `value` holds; throws Error when it is not one (the caller treats that as a miss).
std::optional<PatchingGrid> grid_from_json(const Json& value) {
  if (value.is_null()) return std::nullopt;
  PatchingGrid grid;
  grid.sites = value.at("sites").get<std::int64_t>();
  grid.layers = value.at("layers").get<std::int64_t>();
  grid.positions = value.at("positions").get<std::int64_t>();
  auto metric = runtime::numbers_from_json(value.at("metric"));
  if (!metric) throw Error("a patching grid's metric is not a list of numbers");
  grid.metric = std::move(*metric);
  grid.identical = value.at("identical").get<std::vector<char>>();
  const auto cells = static_cast<std::size_t>(grid.sites * grid.layers * grid.positions);
  if (grid.metric.size() != cells || grid.identical.size() != cells) throw Error("a patching grid of the wrong size");
  return grid;
}

Json patching_result_to_json(const PatchingResult& result) {
  return Json{{"metrics", runtime::numbers_to_json({result.clean_metric, result.corrupted_metric})},
              {"continuation_positions", result.continuation_positions},
              {"denoising", grid_to_json(result.denoising)},
              {"noising", grid_to_json(result.noising)},
              {"forward_passes", result.forward_passes},
              {"cells_run", result.cells_run}};
}

std::optional<PatchingResult> patching_result_from_json(const Json& value) {
  try {
    const auto metrics = runtime::numbers_from_json(value.at("metrics"));
    if (!metrics || metrics->size() != 2) return std::nullopt;
    PatchingResult out;
    out.clean_metric = (*metrics)[0];
    out.corrupted_metric = (*metrics)[1];
    out.continuation_positions = value.at("continuation_positions").get<std::int64_t>();
    out.denoising = grid_from_json(value.at("denoising"));
    out.noising = grid_from_json(value.at("noising"));
    out.forward_passes = value.at("forward_passes").get<std::int64_t>();
    out.cells_run = value.at("cells_run").get<std::int64_t>();
    return out;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged entry: the call runs again
  }
}

/// The journal's cache, after discarding one left under another run key; null (with a warning)
/// when the folder cannot be written.
std::unique_ptr<util::RequestCache> open_journal(const fs::path& directory, const Json& run_key) {
  try {
    std::error_code error;
    const fs::path key_file = directory / kRunKeyFile;
    bool same_run = false;
    if (fs::is_regular_file(key_file, error)) {
      try {
        same_run =
            util::parse_json_strict(util::read_text_file(key_file, kMaxRunKeyBytes), key_file.string()) == run_key;
      } catch (const Error&) {
        same_run = false;
      }
    }
    if (!same_run && fs::exists(directory, error)) {
      fs::remove_all(directory, error);
      if (error) throw Error("cannot clear " + directory.string() + ": " + error.message());
    }
    auto cache = std::make_unique<util::RequestCache>(directory);
    if (!same_run) util::write_file_atomically(key_file, run_key.dump() + "\n");
    return cache;
  } catch (const Error& e) {
    util::log_warning(std::string("journal: ") + e.what() + "; this run goes on without one (it cannot resume)");
    return nullptr;
  }
}

}  // namespace

fs::path journal_path(const fs::path& verdict) {
  const fs::path folder = verdict.has_parent_path() ? verdict.parent_path() : fs::path(".");
  return folder / ("." + verdict.filename().string() + ".journal");
}

void remove_journal(const fs::path& verdict) {
  const fs::path directory = journal_path(verdict);
  std::error_code error;
  fs::remove_all(directory, error);
  if (error) util::log_warning("journal: cannot delete " + directory.string() + ": " + error.message());
}

JournaledRunner::JournaledRunner(const runtime::ModelRunner& inner, fs::path directory, Json run_key)
    : inner_(inner),
      directory_(std::move(directory)),
      run_key_(std::move(run_key)),
      cache_(open_journal(directory_, run_key_)) {}

std::optional<Json> JournaledRunner::load(const Json& call) const {
  ++calls_;
  if (!cache_) return std::nullopt;
  return cache_->load(call);
}

void JournaledRunner::store(const Json& call, const Json& answer) const {
  if (!cache_) return;
  try {
    cache_->store(call, answer);
  } catch (const Error& e) {
    util::log_warning(std::string("journal: ") + e.what() + "; this run goes on without it (it cannot resume)");
    cache_.reset();
  }
}

std::vector<Sample> JournaledRunner::sample(const std::vector<std::int64_t>& prefix, std::int64_t count,
                                            std::uint64_t seed, const runtime::SamplingParams& params,
                                            const runtime::SamplesFinished& on_finished) const {
  const Json call{{"call", "sample"},
                  {"prefix", prefix},
                  {"count", count},
                  {"seed", seed},
                  {"params", runtime::sampling_params_json(params)}};
  if (const auto answer = load(call);
      answer && answer->is_array() && answer->size() == static_cast<std::size_t>(count)) {
    std::vector<Sample> out;
    for (const auto& item : *answer) {
      auto sample = runtime::sample_from_json(item);
      if (!sample) break;
      out.push_back(std::move(*sample));
    }
    if (out.size() == static_cast<std::size_t>(count)) {
      ++resumed_;
      if (on_finished) on_finished(count);
      return out;
    }
  }
  std::vector<Sample> out = inner_.sample(prefix, count, seed, params, on_finished);
  Json answer = Json::array();
  for (const auto& sample : out) answer.push_back(runtime::sample_to_json(sample));
  store(call, answer);
  return out;
}

std::vector<std::vector<double>> JournaledRunner::score(
    const std::vector<std::vector<std::int64_t>>& contexts,
    const std::vector<std::vector<std::int64_t>>& continuations) const {
  const Json call{{"call", "score"}, {"contexts", contexts}, {"continuations", continuations}};
  if (const auto answer = load(call); answer && answer->is_array() && answer->size() == contexts.size()) {
    std::vector<std::vector<double>> out;
    for (std::size_t i = 0; i < answer->size(); ++i) {
      auto numbers = runtime::numbers_from_json((*answer)[i]);
      if (!numbers || numbers->size() != continuations[i].size()) break;
      out.push_back(std::move(*numbers));
    }
    if (out.size() == contexts.size()) {
      ++resumed_;
      return out;
    }
  }
  std::vector<std::vector<double>> out = inner_.score(contexts, continuations);
  Json answer = Json::array();
  for (const auto& numbers : out) answer.push_back(runtime::numbers_to_json(numbers));
  store(call, answer);
  return out;
}

PatchingResult JournaledRunner::patch(const PatchingInput& input) const {
  const Json call = patching_key(input);
  if (const auto answer = load(call)) {
    if (auto result = patching_result_from_json(*answer)) {
      ++resumed_;
      if (input.on_cells_run) input.on_cells_run(result->cells_run);
      return std::move(*result);
    }
  }
  PatchingResult out = inner_.patch(input);
  store(call, patching_result_to_json(out));
  return out;
}

}  // namespace forensics::probes
