// probes: `forensics batch`: cases from a folder or a manifest, run one after another (or a few
// at once), each verdict and the summary written atomically, resumable (docs/cli.md, "batch").
#include "forensics/probes/batch.h"
#include "forensics/probes/run_journal.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "forensics/incident/reader.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "forensics/util/json_reader.h"
#include "forensics/util/sha256.h"
#include "forensics/util/text.h"
#include "forensics/util/version.h"

namespace forensics::probes {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxManifestBytes = 64u << 20;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The incident's id, or empty when the file cannot be read as an incident's JSON.
std::string incident_id(const fs::path& path) {
  try {
    const Json document =
        util::parse_json_strict(util::read_text_file(path, incident::kMaxIncidentBytes), path.string());
    if (document.is_object() && document.contains("id") && document["id"].is_string()) return document["id"];
  } catch (const Error&) {}
  return "";
}

void check_unique_ids(const std::vector<BatchCase>& cases) {
  std::map<std::string, const BatchCase*> seen;
  for (const auto& item : cases) {
    const auto [at, inserted] = seen.emplace(item.id, &item);
    if (!inserted) {
      throw InputError("two cases have the id \"" + item.id + "\" (" + at->second->incident.string() + " and " +
                       item.incident.string() + "); ids name the verdict files, so they must differ");
    }
  }
}

/// Loads each model once while cases need it: the last two models opened stay loaded.
class ModelCache {
 public:
  explicit ModelCache(ModelOpener open) : open_(std::move(open)) {}

  std::shared_ptr<const runtime::OpenModel> open(const incident::Incident& incident,
                                                 const runtime::DeviceChoice& device) {
    const std::string key = fs::absolute(incident.model.path).lexically_normal().string() + "|" + device.device + "|" +
                            (device.dtype ? std::string(runtime::kDtypeNames.name(*device.dtype)) : "auto");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->first == key) {
          entries_.splice(entries_.begin(), entries_, it);
          return entries_.front().second;
        }
      }
    }
    auto model = open_(incident, device);  // outside the lock: loading takes long
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.emplace_front(key, model);
    if (entries_.size() > kKept) entries_.pop_back();
    return model;
  }

 private:
  static constexpr std::size_t kKept = 2;
  ModelOpener open_;
  std::mutex mutex_;
  std::list<std::pair<std::string, std::shared_ptr<const runtime::OpenModel>>> entries_;
};

/// The command line's options with the case's own settings on top.
InvestigateOptions options_for(const BatchCase& item, const BatchOptions& options) {
  InvestigateOptions out = options.investigate;
  if (item.budget) out.budget = *item.budget;
  if (item.samples) out.samples = item.samples;
  if (item.seed) out.seed = item.seed;
  if (!item.probes.empty()) out.probes = item.probes;
  if (item.model) {
    out.model = item.model;
  } else if (options.model) {
    out.model = options.model;
  }
  return out;
}

fs::path verdict_path(const BatchOptions& options, const BatchCase& item) {
  return options.out / "verdicts" / (item.id + ".json");  // batch.json lists it relative to --out
}

/// Weights hashes and tokenizer fingerprints of model directories, computed once per batch.
class Fingerprints {
 public:
  std::pair<std::string, std::string> of(const fs::path& directory) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string key = fs::absolute(directory).lexically_normal().string();
    auto found = known_.find(key);
    if (found == known_.end()) {
      runtime::ModelCheckOptions check;
      check.hash_weights = true;
      check.scan_weights = false;  // only the fingerprints are wanted here; the run's own check scans
      const auto result = runtime::check_model_directory(directory, check);
      found =
          known_.emplace(key, std::pair{result.weights_sha256.value_or(""), result.tokenizer_fingerprint.value_or("")})
              .first;
    }
    return found->second;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<std::string, std::string>> known_;
};

/// Whether `verdict` was computed from exactly these inputs (the fingerprints a verdict carries):
/// then --resume keeps it.
bool same_inputs(const Json& verdict, const BatchCase& item, const InvestigateOptions& options,
                 Fingerprints& fingerprints) {
  const Json& run = verdict.value("reproducibility", Json::object());
  if (run.value("tool_version", "") != std::string(kToolVersion)) return false;
  const std::string incident_bytes = util::read_text_file(item.incident, incident::kMaxIncidentBytes);
  if (run.value("incident_sha256", "") != util::sha256_hex(incident_bytes)) return false;
  if (run.value("budget", "") != std::string(kBudgetNames.name(options.budget))) return false;
  if (run.value("samples_override", Json()) != (options.samples ? Json(*options.samples) : Json(nullptr))) return false;
  const Json document = util::parse_json_strict(incident_bytes, item.incident.string());
  const std::uint64_t seed = options.seed.value_or(document.value("seed", std::uint64_t{0}));
  if (run.value("seed", Json()) != Json(seed)) return false;
  const Json& recorded = run.value("options", Json::object());
  const Json requested = options_json(options);
  if (recorded != requested) return false;
  fs::path model = options.model.value_or(fs::path());
  if (!options.model) {
    const auto written = document.value("model", Json::object()).value("path", std::string());
    model = fs::path(written).is_absolute() ? fs::path(written) : item.incident.parent_path() / written;
  }
  const auto [weights, tokenizer] = fingerprints.of(model);
  return run.value("weights_sha256", "") == weights && run.value("tokenizer_fingerprint", "") == tokenizer;
}

/// The outcome of a case from its verdict document.
report::CaseOutcome outcome_from(const BatchCase& item, const Json& document) {
  report::CaseOutcome out;
  out.id = item.id;
  out.incident = item.incident.string();
  out.verdict = (fs::path("verdicts") / (item.id + ".json")).generic_string();  // relative to --out
  out.label = document.value("label", "");
  out.top_hypothesis = document.value("top_hypothesis", "");
  const Json& posterior = document.value("posterior", Json::object());
  out.posterior = posterior.contains(out.top_hypothesis) ? posterior[out.top_hypothesis].get<double>() : 0.0;
  for (const auto& flag : document.value("flags", Json::array())) out.flags.push_back(flag);
  const Json& failed = document.value("failed_probes", Json::array());
  for (const auto& probe : failed) {
    out.error +=
        (out.error.empty() ? "probe failed: " : "; ") + probe.value("probe", "") + ": " + probe.value("error", "");
  }
  if (!failed.empty()) {
    out.status = report::CaseStatus::kIncomplete;
  } else if (item.expectation) {
    out.expectation = item.expectation->source;
    out.differences = report::check_expectation(*item.expectation, document);
    out.status = out.differences.empty() ? report::CaseStatus::kPassed : report::CaseStatus::kFailed;
  }
  return out;
}

report::CaseOutcome run_case(const BatchCase& item, const BatchOptions& options, ModelCache& models,
                             Fingerprints& fingerprints) {
  const auto start = std::chrono::steady_clock::now();
  const InvestigateOptions investigate_options = options_for(item, options);
  const fs::path verdict = verdict_path(options, item);
  report::CaseOutcome out;
  try {
    std::error_code ec;
    if (options.resume && fs::is_regular_file(verdict, ec)) {
      const Json previous = util::parse_json_strict(util::read_text_file(verdict, 1u << 30), verdict.string());
      if (same_inputs(previous, item, investigate_options, fingerprints)) {
        out = outcome_from(item, previous);
        out.resumed = true;
        return out;
      }
    }
    const auto opener = [&](const incident::Incident& incident, const runtime::DeviceChoice& device) {
      return models.open(incident, device);
    };
    InvestigateOptions journaled_options = investigate_options;
    journaled_options.journal = journal_path(verdict);  // a case killed in flight resumes from it
    const Investigation investigation = investigate(item.incident, journaled_options, opener);
    const std::string text = investigation.document.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    util::write_file_atomically(verdict, text);
    remove_journal(verdict);
    out = outcome_from(item, investigation.document);
    out.summary = summary_text(investigation);
  } catch (const InputError& e) {
    out = {};
    out.status = report::CaseStatus::kBadInput;
    out.error = e.what();
  } catch (const std::exception& e) {
    out = {};
    out.status = report::CaseStatus::kModelFailure;
    out.error = e.what();
  }
  out.id = item.id;
  out.incident = item.incident.string();
  out.wall_time_s = seconds_since(start);
  return out;
}

Json run_json(const BatchOptions& options, std::size_t cases) {
  const auto& o = options.investigate;
  return Json{{"tool_version", kToolVersion},
              {"cases", cases},
              {"budget", std::string(kBudgetNames.name(o.budget))},
              {"samples_override", o.samples ? Json(*o.samples) : Json(nullptr)},
              {"seed_override", o.seed ? Json(*o.seed) : Json(nullptr)},
              {"model_override", options.model ? Json(options.model->string()) : Json(nullptr)},
              {"device", o.device.device},
              {"jobs", options.jobs}};
}

/// batch.json (and the JUnit file) with the cases finished so far, in case order.
void write_summaries(const BatchOptions& options, std::size_t count,
                     const std::vector<std::optional<report::CaseOutcome>>& outcomes) {
  std::vector<report::CaseOutcome> done;
  for (const auto& outcome : outcomes) {
    if (outcome) done.push_back(*outcome);
  }
  util::write_file_atomically(
      options.out / "batch.json",
      report::batch_result_json(done, run_json(options, count)).dump(2, ' ', false, Json::error_handler_t::replace) +
          "\n");
  if (options.junit) util::write_file_atomically(*options.junit, report::junit_xml(done, "forensics batch"));
}

}  // namespace

std::vector<BatchCase> cases_in_folder(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw InputError(folder.string() + " is not a folder of incidents");
  std::vector<fs::path> incidents;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename() == "incident.json" && it->is_regular_file(ec)) incidents.push_back(it->path());
  }
  if (ec) throw InputError("cannot list " + folder.string() + ": " + ec.message());
  std::sort(incidents.begin(), incidents.end());
  std::vector<BatchCase> out;
  for (const auto& path : incidents) {
    BatchCase item;
    item.incident = path;
    item.id = incident_id(path);
    if (item.id.empty()) item.id = fs::relative(path.parent_path(), folder, ec).generic_string();
    const fs::path expected = path.parent_path() / "expected_verdict.json";
    if (fs::is_regular_file(expected, ec)) item.expectation = report::read_golden(expected);
    out.push_back(std::move(item));
  }
  if (out.empty()) throw InputError("no incident.json below " + folder.string());
  check_unique_ids(out);
  return out;
}

std::vector<BatchCase> read_manifest(const fs::path& path) {
  const Json document = util::parse_json_strict(util::read_text_file(path, kMaxManifestBytes), path.string());
  const fs::path folder = fs::absolute(path).parent_path();
  const auto resolve = [&](const std::string& written) {
    const fs::path p(written);
    return (p.is_absolute() ? p : folder / p).lexically_normal();
  };
  util::Diagnostics diagnostics;
  util::ObjectReader top(document, util::JsonPath(), diagnostics);
  std::vector<BatchCase> out;
  if (top.is_object()) {
    const auto schema = top.string("schema", util::Need::kRequired);
    if (schema && *schema != std::string(kBatchSchema) + "/v1") {
      diagnostics.error(util::JsonPath() / "schema", "expected \"forensics.batch/v1\", got \"" + *schema + "\"");
    }
    const Json* list = top.array("cases", util::Need::kRequired);
    top.finish();
    for (std::size_t i = 0; list != nullptr && i < list->size(); ++i) {
      const util::JsonPath at = util::JsonPath() / "cases" / i;
      util::ObjectReader reader((*list)[i], at, diagnostics);
      if (!reader.is_object()) continue;
      BatchCase item;
      const auto incident = reader.text("incident", util::Need::kRequired);
      if (incident) item.incident = resolve(*incident);
      item.id = reader.text("id", util::Need::kOptional).value_or("");
      if (auto model = reader.text("model", util::Need::kOptional)) item.model = resolve(*model);
      item.budget = reader.enumeration("budget", util::Need::kOptional, kBudgetNames);
      item.samples = reader.integer("samples", util::Need::kOptional, 1, kMaxSamples);
      if (auto seed = reader.integer("seed", util::Need::kOptional, 0, std::numeric_limits<std::int64_t>::max())) {
        item.seed = static_cast<std::uint64_t>(*seed);
      }
      item.probes = reader.string_list("probes", util::Need::kOptional).value_or(std::vector<std::string>{});
      const auto expected = reader.text("expected", util::Need::kOptional);
      const Json* expect = reader.object("expect", util::Need::kOptional);
      reader.finish();
      if (expected && expect != nullptr) {
        diagnostics.error(at,
                          "give \"expected\" (a golden file) or \"expect\" (label, flags, min_posterior), not both");
      } else if (expected) {
        try {
          item.expectation = report::read_golden(resolve(*expected));
        } catch (const InputError& e) {
          diagnostics.error(at / "expected", e.what());
        }
      } else if (expect != nullptr) {
        item.expectation = report::read_loose_expectation(*expect, at / "expect", diagnostics);
      }
      if (!incident) continue;
      if (item.id.empty()) item.id = incident_id(item.incident);
      if (item.id.empty()) diagnostics.error(at / "incident", "cannot read the incident's id; give the case an \"id\"");
      if (!util::is_slug(item.id)) {
        diagnostics.error(at / "id", "expected lowercase letters, digits, '.', '_' or '-' (it names the verdict file)");
      }
      out.push_back(std::move(item));
    }
  }
  if (diagnostics.has_errors()) {
    throw InputError(path.string() + ": invalid batch manifest (" + std::to_string(diagnostics.error_count()) +
                     " error(s)):\n" + diagnostics.format());
  }
  if (out.empty()) throw InputError(path.string() + ": the manifest lists no cases");
  check_unique_ids(out);
  return out;
}

std::vector<report::CaseOutcome> run_batch(const std::vector<BatchCase>& cases, const BatchOptions& options,
                                           const ModelOpener& open_model, const BatchObserver& observer) {
  fs::create_directories(options.out / "verdicts");
  const util::OutputLock output_lock(options.out / "batch.json");  // one batch per output folder at a time
  ModelCache models(open_model);
  Fingerprints fingerprints;
  std::vector<std::optional<report::CaseOutcome>> outcomes(cases.size());
  std::mutex mutex;  // guards outcomes and the summary files
  std::atomic<std::size_t> next{0};
  // A summary exists from the start: a batch killed before its first summary was rewritten (even
  // between a verdict and the summary listing it) still leaves one, describing the cases done.
  write_summaries(options, cases.size(), outcomes);
  const auto worker = [&] {
    if (observer.worker_started) observer.worker_started(options.jobs);
    for (std::size_t i = next++; i < cases.size(); i = next++) {
      if (observer.started) observer.started(i, cases.size(), cases[i]);
      report::CaseOutcome outcome = run_case(cases[i], options, models, fingerprints);
      std::lock_guard<std::mutex> lock(mutex);
      outcomes[i] = outcome;
      write_summaries(options, cases.size(), outcomes);
      if (observer.finished) observer.finished(i, cases.size(), outcome);
    }
  };
  const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(cases.size())));
  if (jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
    for (auto& thread : threads) thread.join();
  }
  std::vector<report::CaseOutcome> out;
  for (auto& outcome : outcomes) out.push_back(std::move(*outcome));
  return out;
}

std::vector<PlannedCase> plan_batch(const std::vector<BatchCase>& cases, const BatchOptions& options) {
  std::vector<PlannedCase> out;
  for (const auto& item : cases) {
    PlannedCase planned;
    planned.item = &item;
    const InvestigateOptions o = options_for(item, options);
    try {
      const Json document = util::parse_json_strict(util::read_text_file(item.incident, incident::kMaxIncidentBytes),
                                                    item.incident.string());
      auto check = incident::check_incident(document, fs::absolute(item.incident).lexically_normal());
      std::optional<ProbePlan> plan;
      if (check.incident) plan = plan_probes(*check.incident, o.probes, check.diagnostics);
      if (!check.incident || check.diagnostics.has_errors()) {
        throw incident::InvalidIncident(item.incident, std::move(check.diagnostics));
      }
      planned.model = o.model.value_or(check.incident->model.path);
      CostBasis basis;
      basis.max_new_tokens = plan->sampling.max_new_tokens;
      if (check.model && check.model->tokenizer && check.model->config) {
        basis = cost_basis(*check.incident, *check.model->tokenizer, check.model->config->n_layers, plan->sampling);
      }
      planned.work = plan_work(*check.incident, *plan, o.budget, o.samples, basis);
    } catch (const Error& e) {
      planned.error = e.what();
    }
    out.push_back(std::move(planned));
  }
  return out;
}

}  // namespace forensics::probes
