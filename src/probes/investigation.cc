// probes: the investigation driver: incident and plan in, the model opened as a runner, the
// planned probes run, their evidence weighed by the verdict stage, the verdict document out
// (docs/probes.md).
#include "forensics/probes/investigation.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "forensics/incident/reader.h"
#include "forensics/probes/run_journal.h"
#include "forensics/probes/steps.h"
#include "forensics/probes/work.h"
#include "forensics/runtime/sample_json.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "forensics/util/logging.h"
#include "forensics/util/sha256.h"
#include "forensics/util/text.h"
#include "forensics/util/version.h"
#include "investigation_inputs.h"
#include "transcript_record.h"

namespace forensics::probes {
namespace fs = std::filesystem;

namespace {

constexpr const char* kNotSelected = "not selected";

/// An exception's message for the verdict: libtorch's errors carry a C++ backtrace with memory
/// addresses after the message ("Exception raised from ... (most recent call first): frame #0 ..."),
/// which means nothing to a reader and differs between runs; keep the message.
std::string error_message(std::string text) {
  for (const char* marker : {"Exception raised from ", "(most recent call first)"}) {
    const std::size_t at = text.find(marker);
    if (at != std::string::npos) text.resize(at);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The sampling parameters every probe uses, and the strings that end a turn.
void sampling_setup(const incident::Incident& incident, const runtime::ModelRunner& runner,
                    const runtime::Tokenizer& tokenizer, ProbeContext& context) {
  auto& params = context.sampling;
  params.eos_token_ids = runner.shape().eos_token_ids;
  const std::string end_of_turn = incident::end_of_turn(incident.format);
  // A single-token end-of-turn ends a sample by id, which needs no decoding at every step.
  const auto ids = tokenizer.model_ids(end_of_turn);
  const std::vector<std::string> stop = params.stop_strings;
  if (ids.size() == 1) {
    if (std::find(params.eos_token_ids.begin(), params.eos_token_ids.end(), ids[0]) == params.eos_token_ids.end()) {
      params.eos_token_ids.push_back(ids[0]);
    }
  } else {
    params.stop_strings.push_back(end_of_turn);
  }
  context.turn_ends = stop;
  context.turn_ends.push_back(end_of_turn);
}

Json record_json(const ProbeRecord& record) {
  Json out = Json::object();
  out["name"] = record.name;
  out["status"] = std::string(kProbeStatusNames.name(record.status));
  if (record.status == ProbeStatus::kSkipped) {
    out["reason"] = record.reason;
    return out;
  }
  if (record.status == ProbeStatus::kError) out["error"] = record.reason;
  out["samples_per_condition"] = record.samples_per_condition ? Json(*record.samples_per_condition) : Json(nullptr);
  out["samples"] = record.samples;
  out["wall_time_s"] = record.wall_time_s;
  out["results"] = record.result ? record.result->to_json() : Json::object();
  return out;
}

/// The work a planned probe will do, in progress units (0 when known only once it runs).
std::int64_t planned_work(const PlannedProbe& planned, const ProbeContext& context, std::int64_t samples) {
  const CostBasis basis =
      cost_basis(context.incident, context.tokenizer, context.runner.shape().n_layers, context.sampling);
  const ProbeCost cost = planned.probe->cost(context.incident, planned.options, samples, basis);
  return cost.samples + cost.scored_sequences + cost.patched_runs;
}

/// Runs one planned probe; a failure is recorded, never thrown: the verdict says what is missing.
ProbeRecord run_probe(const PlannedProbe& planned, const ProbeContext& context, const InvestigateOptions& options,
                      verdict::Evidence& evidence) {
  ProbeRecord record;
  record.name = std::string(planned.probe->name);
  record.role = planned.probe->role;
  if (planned.status == PlanStatus::kNotSelected) {
    record.reason = kNotSelected;
    return record;
  }
  ProgressListener* listener = context.progress->listener();
  if (planned.status == PlanStatus::kNothingToDo) {
    record.reason = planned.reason;
    if (listener != nullptr) listener->probe_skipped(record.name, planned.reason);
    return record;
  }
  if (const auto unreachable = context.runner.why_no_activations(); unreachable && planned.probe->needs_activations) {
    record.reason = *unreachable;
    if (listener != nullptr) listener->probe_skipped(record.name, record.reason);
    return record;
  }
  std::int64_t samples = 0;
  if (planned.standard_samples) {
    samples = budget_samples(*planned.standard_samples, options.budget, options.samples);
    record.samples_per_condition = samples;
  }
  context.progress->restart();
  if (listener != nullptr) listener->probe_started(record.name, planned_work(planned, context, samples));
  const auto start = std::chrono::steady_clock::now();
  try {
    std::shared_ptr<const ProbeResult> result = planned.probe->run(context, planned.options, samples);
    record.status = ProbeStatus::kOk;
    record.samples = result->samples;
    result->add_evidence(evidence);
    record.result = std::move(result);
  } catch (const EngineError&) {
    throw;  // the run stops (exit 4); a re-run resumes from the request cache
  } catch (const std::exception& e) {
    // A failed probe is evidence of nothing: the verdict says what it lacks (docs/probes.md).
    record.status = ProbeStatus::kError;
    record.reason = error_message(e.what());
    const bool weighs_label = record.role == ProbeRole::kBaseline || record.role == ProbeRole::kEvidence;
    evidence.missing.push_back({record.name, record.reason, weighs_label});
  }
  record.wall_time_s = seconds_since(start);
  if (listener != nullptr) {
    listener->probe_finished(record.name, record.samples, record.wall_time_s,
                             record.status == ProbeStatus::kError ? record.reason : "");
  }
  if (record.status == ProbeStatus::kError)
    util::log_error("investigate: " + record.name + " failed: " + record.reason);
  return record;
}

Json reproducibility_json(const fs::path& incident_path, const Inputs& inputs, const InvestigateOptions& options,
                          const ProbeContext& context, const std::vector<ProbeRecord>& records, double wall_time_s) {
  const auto& runner = context.runner;
  Json budgets = Json::object();
  for (const auto& record : records) {
    if (record.samples_per_condition) {
      budgets[record.name] =
          Json{{"samples_per_condition", *record.samples_per_condition}, {"samples", record.samples}};
    }
  }
  Json out = Json::object();
  out["tool_version"] = kToolVersion;
  out["schema_version"] = verdict::kSchema;
  out["incident_schema_version"] = std::string(incident::kSchemaName) + "/v" + std::to_string(incident::kSchemaVersion);
  out["incident_id"] = inputs.incident.id;
  out["incident_path"] = incident_path.string();
  out["incident_sha256"] = util::sha256_hex(util::read_text_file(incident_path, incident::kMaxIncidentBytes));
  out["weights_sha256"] = inputs.weights_sha256;
  out["tokenizer_fingerprint"] = context.tokenizer.fingerprint();
  out["seed"] = context.seed;
  out["device"] = runner.device();
  out["dtype"] = std::string(runtime::kDtypeNames.name(runner.dtype()));
  for (const auto& [name, version] : runner.backend()) out[name] = version;
  out["options"] = options_json(options);
  out["budget"] = std::string(kBudgetNames.name(options.budget));
  out["samples_override"] = options.samples ? Json(*options.samples) : Json(nullptr);
  out["budgets"] = budgets;
  out["sampling"] = runtime::sampling_params_json(context.sampling);
  out["wall_time_s"] = wall_time_s;
  return out;
}

/// What a journal's answers depend on beyond each call's own inputs.
Json journal_key(const Inputs& inputs, const runtime::ModelRunner& runner, const runtime::Tokenizer& tokenizer) {
  Json backend = Json::object();
  for (const auto& [name, version] : runner.backend()) backend[name] = version;
  return Json{{"tool_version", kToolVersion},
              {"weights_sha256", inputs.weights_sha256},
              {"tokenizer_fingerprint", tokenizer.fingerprint()},
              {"device", runner.device()},
              {"dtype", std::string(runtime::kDtypeNames.name(runner.dtype()))},
              {"backend", backend}};
}

}  // namespace

Json options_json(const InvestigateOptions& options) {
  return Json{{"probes", options.probes},
              {"sampling", options.sampling_overrides},
              {"model", options.model ? Json(options.model->string()) : Json(nullptr)},
              {"device", options.device.device},
              {"dtype", options.device.dtype ? Json(runtime::kDtypeNames.name(*options.device.dtype)) : Json("auto")},
              {"keep_examples", options.keep_examples},
              {"engine", options.engine ? Json(*options.engine) : Json(nullptr)}};
}

bool Investigation::complete() const {
  return std::none_of(probes.begin(), probes.end(),
                      [](const ProbeRecord& r) { return r.status == ProbeStatus::kError; });
}

Investigation investigate(const fs::path& incident_path, const InvestigateOptions& options,
                          const ModelOpener& open_model) {
  const auto start = std::chrono::steady_clock::now();
  runtime::check_device_spelling(options.device.device);  // a bad --device fails before any reading
  const Inputs inputs = read_inputs(incident_path, options);
  const auto& incident = inputs.incident;
  const std::shared_ptr<const runtime::OpenModel> model = open_model(incident, device_for(incident, options));
  const runtime::Tokenizer& tokenizer = model->tokenizer;
  const runtime::ModelRunner* runner = model->runner.get();
  std::unique_ptr<JournaledRunner> journaled;
  if (options.journal && !options.engine) {
    journaled = std::make_unique<JournaledRunner>(*runner, *options.journal, journal_key(inputs, *runner, tokenizer));
    runner = journaled.get();
  }

  ProbeContext context{incident,
                       *runner,
                       tokenizer,
                       inputs.plan.sampling,
                       incident::ActionMatcher(incident.action.matcher),
                       {},
                       options.seed.value_or(incident.seed),
                       incident::render_turn(incident.transcript, incident.action.message, incident.format),
                       options.keep_examples};
  ProgressMeter meter(options.progress);
  context.progress = &meter;
  sampling_setup(incident, *runner, tokenizer, context);
  if (incident.action.matcher.scope == incident::MatchScope::kAnswer) {
    context.answer_markers = incident::reasoning_markers(context.action_turn);
  }
  const auto* resample = inputs.plan.find("resample");
  if (!resample->configured && (inputs.plan.listed || !options.probes.empty())) {
    util::log_info("investigate: adding resample: the verdict weighs every rate against its baseline");
  }

  Investigation out;
  out.incident_id = incident.id;
  verdict::Evidence evidence;
  evidence.baseline = stats::wilson(0, 0);
  for (const auto& planned : inputs.plan.probes) out.probes.push_back(run_probe(planned, context, options, evidence));
  out.verdict = verdict::decide(incident.hypotheses, evidence, options.verdict);
  if (journaled && journaled->resumed_calls() > 0) {
    util::log_info("investigate: resumed: " + std::to_string(journaled->resumed_calls()) + " of " +
                   std::to_string(journaled->calls()) + " model calls were answered from the journal " +
                   options.journal->string() + " that a stopped run left");
  }
  out.wall_time_s = seconds_since(start);

  Json probes = Json::array();
  for (const auto& record : out.probes) probes.push_back(record_json(record));
  out.document = verdict::verdict_to_json(
      out.verdict, probes, reproducibility_json(incident_path, inputs, options, context, out.probes, out.wall_time_s));
  out.document["transcript"] = transcript_record(incident);
  return out;
}

std::string summary_text(const Investigation& investigation) {
  const auto& verdict = investigation.verdict;
  const auto& top = verdict.hypotheses[verdict.top];
  std::string out;
  char number[64];
  std::snprintf(number, sizeof number, "%.3f", top.posterior);
  out += investigation.incident_id + ": " + std::string(verdict::kLabelNames.name(verdict.label)) +
         " (top hypothesis " + top.id + ", posterior " + number + ")\n";
  const auto& base = verdict.baseline;
  std::snprintf(number, sizeof number, "%.1f%% [%.1f, %.1f]", 100 * base.estimate, 100 * base.ci.low,
                100 * base.ci.high);
  out += "  baseline  " + std::to_string(base.k) + "/" + std::to_string(base.n) + " = " + number + "\n";
  const auto strongest = verdict::strongest_evidence(verdict, 3);
  if (!strongest.empty()) out += "  strongest evidence\n";
  for (const auto& line : strongest) out += "    " + line + "\n";
  for (const auto& record : investigation.probes) {
    if (!record.result) continue;
    for (const auto& line : record.result->summary_lines()) {
      out += "  " + record.name + std::string(record.name.size() < 10 ? 10 - record.name.size() : 1, ' ') + line + "\n";
    }
  }
  const auto list = [&](const char* title, const auto& values, const auto& names) {
    if (values.empty()) return;
    out += std::string("  ") + title;
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : " ") + std::string(names.name(values[i]));
    out += "\n";
  };
  list("flags    ", verdict.flags, verdict::kFlagNames);
  list("reasons  ", verdict.reasons, verdict::kReasonNames);
  out += "  probes   ";
  bool first = true;
  for (const auto& record : investigation.probes) {
    if (record.status == ProbeStatus::kSkipped && record.reason == kNotSelected) continue;
    out += std::string(first ? "" : "; ") + record.name + " " + std::string(kProbeStatusNames.name(record.status));
    if (record.status == ProbeStatus::kOk) {
      // Scoring probes (ablate, patch) draw no samples: their count would read as "did nothing".
      const std::string samples = record.samples > 0 ? std::to_string(record.samples) + " samples, " : "";
      out += " (" + samples + util::duration_text(record.wall_time_s) + ")";
    } else {
      out += " (" + record.reason + ")";
    }
    first = false;
  }
  out += "\n  wall time " + util::duration_text(investigation.wall_time_s) + "\n";
  return out;
}

}  // namespace forensics::probes
