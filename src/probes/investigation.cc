// probes: the investigation driver: incident and model in, probes run through the registry,
// evidence weighed by the verdict stage, the verdict document out (docs/probes.md).
#include "forensics/probes/investigation.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "forensics/incident/reader.h"
#include "forensics/probes/probe.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/runtime/model_service.h"
#include "forensics/runtime/torch_info.h"
#include "forensics/util/error.h"
#include "forensics/util/logging.h"
#include "forensics/util/sha256.h"
#include "forensics/util/version.h"

namespace forensics::probes {
namespace fs = std::filesystem;
using incident::ProbeKind;

namespace {

constexpr const char* kNotSelected = "not selected";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

/// The probes to run, in pipeline order: the incident's, or the names given; resample always.
std::vector<ProbeKind> selected_probes(const incident::Incident& incident,
                                       const std::vector<std::string>& names) {
  std::vector<ProbeKind> chosen;
  if (names.empty()) {
    chosen = incident.probes.enabled();
  } else {
    for (const auto& name : names) {
      if (name == "all") {
        for (const auto& entry : incident::kProbeKindNames.entries()) chosen.push_back(entry.value);
        continue;
      }
      const auto kind = incident::kProbeKindNames.parse(name);
      if (!kind) {
        throw InputError("--probes: unknown probe \"" + name + "\"; expected \"all\" or one of " +
                         incident::kProbeKindNames.choices());
      }
      chosen.push_back(*kind);
    }
  }
  if (std::find(chosen.begin(), chosen.end(), ProbeKind::kResample) == chosen.end()) {
    if (!names.empty() || incident.probes.listed) {
      util::log_info("investigate: adding resample: the verdict weighs every rate against its baseline");
    }
    chosen.push_back(ProbeKind::kResample);
  }
  std::vector<ProbeKind> ordered;
  for (const auto& entry : incident::kProbeKindNames.entries()) {
    if (std::find(chosen.begin(), chosen.end(), entry.value) != chosen.end()) ordered.push_back(entry.value);
  }
  return ordered;
}

/// The incident's probe options, with defaults for the probes it did not list.
incident::ProbeConfig effective_config(const incident::ProbeConfig& config) {
  incident::ProbeConfig out = config;
  if (!out.resample) out.resample.emplace();
  if (!out.sentence_resample) out.sentence_resample.emplace();
  if (!out.intervene) out.intervene.emplace();
  if (!out.ablate) out.ablate.emplace();
  if (!out.sweep) out.sweep.emplace();
  return out;
}

/// The incident's per-condition samples for a sampling probe (the `standard` budget).
std::int64_t incident_samples(const incident::ProbeConfig& config, ProbeKind kind) {
  switch (kind) {
    case ProbeKind::kResample: return config.resample->samples;
    case ProbeKind::kSentenceResample: return config.sentence_resample->samples_per_side;
    case ProbeKind::kIntervene: return config.intervene->samples;
    case ProbeKind::kSweep: return config.sweep->samples;
    case ProbeKind::kAblate:
    case ProbeKind::kPatch: break;
  }
  return 0;
}

std::int64_t budget_samples(std::int64_t standard, const InvestigateOptions& options) {
  if (options.samples) return *options.samples;
  switch (options.budget) {
    case Budget::kQuick: return std::min(standard, kQuickSamples);
    case Budget::kStandard: return standard;
    case Budget::kThorough: return std::max(standard, kThoroughSamples);
  }
  return standard;
}

std::string dtype_name(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kFloat: return "float32";
    case c10::kBFloat16: return "bfloat16";
    case c10::kHalf: return "float16";
    default: return c10::toString(dtype);
  }
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Checks the model directory before anything heavy runs; returns the weights' SHA-256.
std::string check_model(const incident::Incident& incident) {
  const auto& model = incident.model;
  const std::string named = "model directory " + model.path.string() + " (model.path \"" +
                            model.path_as_written + "\" in " + incident.source.string() + ")";
  std::error_code error;
  if (!fs::exists(model.path, error)) {
    throw InputError(named + " does not exist; point model.path at the model the incident was captured with");
  }
  if (!fs::is_directory(model.path, error)) throw InputError(named + " is not a directory");
  const std::string sha256 = runtime::hash_checkpoint(model.path, nullptr);
  if (model.weights_sha256 && *model.weights_sha256 != sha256) {
    throw InputError(named + ": its weights hash to " + sha256 + ", but the incident pins " +
                     *model.weights_sha256 + "; this is not the model the incident was captured with");
  }
  return sha256;
}

/// The sampling parameters every probe uses, and the strings that end a turn.
void sampling_setup(const incident::Incident& incident, const InvestigateOptions& options,
                    const runtime::Model& model, const runtime::Tokenizer& tokenizer,
                    runtime::SamplingParams& params, std::vector<std::string>& turn_ends) {
  const auto& sampling = incident.probes.sampling;
  params.temperature = options.temperature.value_or(sampling.temperature);
  params.top_p = options.top_p.value_or(sampling.top_p);
  params.top_k = options.top_k.value_or(sampling.top_k);
  params.max_new_tokens = options.max_new_tokens.value_or(sampling.max_new_tokens);
  params.eos_token_ids = model.config().eos_token_ids;
  params.stop_strings = sampling.stop;
  const std::string end_of_turn(incident::chat_markers(incident.format.chat_template).end_of_turn);
  // A single-token end-of-turn ends a sample by id, which needs no decoding at every step.
  const auto ids = tokenizer.encode(end_of_turn, false).ids;
  if (ids.size() == 1) {
    const std::int64_t id = ids[0];
    if (std::find(params.eos_token_ids.begin(), params.eos_token_ids.end(), id) == params.eos_token_ids.end()) {
      params.eos_token_ids.push_back(id);
    }
  } else {
    params.stop_strings.push_back(end_of_turn);
  }
  turn_ends = sampling.stop;
  turn_ends.push_back(end_of_turn);
}

Json sampling_json(const runtime::SamplingParams& params) {
  Json out = Json::object();
  out["temperature"] = params.temperature;
  out["top_p"] = params.top_p;
  out["top_k"] = params.top_k;
  out["max_new_tokens"] = params.max_new_tokens;
  out["eos_token_ids"] = params.eos_token_ids;
  out["stop_strings"] = params.stop_strings;
  return out;
}

Json record_json(const ProbeRecord& record) {
  Json out = Json::object();
  out["name"] = std::string(incident::kProbeKindNames.name(record.kind));
  out["status"] = std::string(kProbeStatusNames.name(record.status));
  if (record.status == ProbeStatus::kSkipped) {
    out["reason"] = record.reason;
    return out;
  }
  if (record.status == ProbeStatus::kError) out["error"] = record.reason;
  out["samples_per_condition"] =
      record.samples_per_condition ? Json(*record.samples_per_condition) : Json(nullptr);
  out["samples"] = record.samples;
  out["wall_time_s"] = record.wall_time_s;
  out["results"] = record.results;
  return out;
}

}  // namespace

Investigation investigate(const fs::path& incident_path, const InvestigateOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const incident::Incident incident = incident::load_incident(incident_path);
  if (incident.format.chat_template == incident::ChatTemplate::kRaw) {
    throw InputError(incident_path.string() + ": raw format not supported by investigate yet; "
                     "give the transcript in a chat format (chatml, llama3 or mistral)");
  }
  const auto chosen = selected_probes(incident, options.probes);
  const incident::ProbeConfig config = effective_config(incident.probes);

  // A bad --device or --dtype fails before the model is read.
  runtime::DeviceChoice device{options.device, options.dtype};
  if (device.dtype == "auto" && incident.model.dtype) {
    device.dtype = std::string(incident::kComputeDtypeNames.name(*incident.model.dtype));
  }
  const runtime::LoadOptions load = runtime::load_options(device);
  const std::string weights_sha256 = check_model(incident);
  const runtime::Tokenizer tokenizer = runtime::Tokenizer::from_path(incident.model.path);
  const runtime::Model model = runtime::Model::load(incident.model.path, load);

  const std::uint64_t seed = options.seed.value_or(incident.seed);
  ProbeContext context{incident, model, tokenizer, config, {}, incident::ActionMatcher(incident.action.matcher),
                       {}, seed,
                       incident::render_turn(incident.transcript, incident.action.message,
                                             incident.format.chat_template)};
  sampling_setup(incident, options, model, tokenizer, context.sampling, context.turn_ends);

  Investigation out;
  out.incident_id = incident.id;
  verdict::Evidence evidence;
  evidence.baseline = stats::wilson(0, 0);
  Json budgets = Json::object();
  for (const auto& entry : probe_table()) {
    ProbeRecord record;
    record.kind = entry.kind;
    const std::string name(incident::kProbeKindNames.name(entry.kind));
    if (std::find(chosen.begin(), chosen.end(), entry.kind) == chosen.end()) {
      record.reason = kNotSelected;
    } else {
      ProbeBudget budget;
      if (entry.samples) {
        budget.samples = budget_samples(incident_samples(config, entry.kind), options);
        record.samples_per_condition = budget.samples;
      }
      util::log_info("investigate: " + name + ": running" +
                     (entry.samples ? " (" + std::to_string(budget.samples) + " samples per condition)" : ""));
      const auto probe_start = std::chrono::steady_clock::now();
      ProbeOutput output;
      try {
        entry.run(context, budget, output);
        record.status = ProbeStatus::kOk;
        record.samples = output.samples;
        record.results = std::move(output.results);
        if (output.baseline) evidence.baseline = *output.baseline;
        for (auto& line : output.interventions) evidence.interventions.push_back(std::move(line));
        for (auto& line : output.sweeps) evidence.sweeps.push_back(std::move(line));
        if (output.cot) evidence.cot = std::move(output.cot);
      } catch (const std::exception& e) {
        // DESIGN §4: a failed probe is evidence of nothing; the verdict weighs what remains.
        record.status = ProbeStatus::kError;
        record.reason = e.what();
        util::log_error("investigate: " + name + " failed: " + e.what());
      }
      record.wall_time_s = seconds_since(probe_start);
      if (entry.samples) {
        budgets[name] = Json{{"samples_per_condition", budget.samples}, {"samples", record.samples}};
      }
      if (record.status == ProbeStatus::kOk) {
        util::log_info("investigate: " + name + ": done, " + std::to_string(record.samples) + " samples in " +
                       format("%.1f s", record.wall_time_s));
      }
    }
    out.probes.push_back(std::move(record));
  }
  const auto resample = std::find_if(out.probes.begin(), out.probes.end(),
                                     [](const ProbeRecord& r) { return r.kind == ProbeKind::kResample; });
  if (resample == out.probes.end() || resample->status != ProbeStatus::kOk) {
    util::log_warning("investigate: resample did not run, so there is no baseline: the verdict's "
                      "`not-reproduced` reflects a missing measurement, not a measured zero");
  }

  out.verdict = verdict::decide(incident.hypotheses, evidence, options.verdict);
  out.wall_time_s = seconds_since(start);

  Json reproducibility = Json::object();
  reproducibility["tool_version"] = kToolVersion;
  reproducibility["schema_version"] = verdict::kSchema;
  reproducibility["incident_schema_version"] =
      std::string(incident::kSchemaName) + "/v" + std::to_string(incident::kSchemaVersion);
  reproducibility["incident_id"] = incident.id;
  reproducibility["incident_sha256"] = util::sha256_hex(read_bytes(incident_path));
  reproducibility["weights_sha256"] = weights_sha256;
  reproducibility["tokenizer_fingerprint"] = tokenizer.fingerprint();
  reproducibility["seed"] = seed;
  reproducibility["device"] = model.device().str();
  reproducibility["dtype"] = dtype_name(model.dtype());
  reproducibility["libtorch"] = runtime::torch_info().version;
  reproducibility["budget"] = std::string(kBudgetNames.name(options.budget));
  reproducibility["samples_override"] = options.samples ? Json(*options.samples) : Json(nullptr);
  reproducibility["budgets"] = budgets;
  reproducibility["sampling"] = sampling_json(context.sampling);
  reproducibility["wall_time_s"] = out.wall_time_s;

  Json probes = Json::array();
  for (const auto& record : out.probes) probes.push_back(record_json(record));
  // `probes` goes before `reproducibility`, which stays last (docs/probes.md).
  const Json document = verdict::verdict_to_json(out.verdict, reproducibility);
  out.document = Json::object();
  for (const auto& [key, value] : document.items()) {
    if (key == "reproducibility") out.document["probes"] = probes;
    out.document[key] = value;
  }
  return out;
}

namespace {

const Json* ok_results(const std::vector<ProbeRecord>& probes, ProbeKind kind) {
  for (const auto& record : probes) {
    if (record.kind == kind && record.status == ProbeStatus::kOk) return &record.results;
  }
  return nullptr;
}

/// Where in the context the action comes from, by the descriptive probes: ablate's top segment,
/// patch's largest early-layer residual-stream effect.
std::vector<std::string> localization_lines(const std::vector<ProbeRecord>& probes) {
  std::vector<std::string> lines;
  if (const Json* ablate = ok_results(probes, ProbeKind::kAblate)) {
    const auto& ranking = ablate->at("ranking");
    if (!ranking.empty()) {
      const auto& top = ablate->at("segments").at(ranking.front().get<std::size_t>());
      lines.push_back("  ablate    removing \"" + top.at("text").get<std::string>() + "\" moves log P(action) most (" +
                      format("%+.2f nats", top.at("delta").get<double>()) + ")");
    }
  }
  if (const Json* patch = ok_results(probes, ProbeKind::kPatch)) {
    const auto early = patch->find("largest_early_effect");
    if (early == patch->end() || !early->contains("resid_pre")) {
      lines.push_back("  patch     " + patch->value("reason", std::string("no effect to localize")));
    } else {
      const auto& cell = early->at("resid_pre");
      const auto& segment = patch->at("segments").at(cell.at("segment").get<std::size_t>());
      const auto& position = patch->at("positions").at(cell.at("position").get<std::size_t>());
      lines.push_back("  patch     " + patch->at("intervention").get<std::string>() + ": early-layer residual effect largest on " +
                      (cell.at("on_edit").get<bool>() ? "the edited text" : segment.at("kind").get<std::string>()) +
                      " \"" + segment.at("text").get<std::string>() + "\" (" + cell.at("direction").get<std::string>() +
                      " " + format("%+.2f", cell.at("effect").get<double>()) + " at \"" +
                      position.at("token").get<std::string>() + "\", layer " +
                      std::to_string(cell.at("layer").get<int>()) + ")");
    }
  }
  return lines;
}

}  // namespace

std::string summary_text(const Investigation& investigation) {
  const auto& verdict = investigation.verdict;
  const auto& top = verdict.hypotheses[verdict.top];
  std::ostringstream out;
  out << investigation.incident_id << ": " << verdict::kLabelNames.name(verdict.label) << " (top hypothesis "
      << top.id << ", posterior " << format("%.3f", top.posterior) << ")\n";
  const auto& base = verdict.baseline;
  out << "  baseline  " << base.k << "/" << base.n << " = " << format("%.1f%%", 100 * base.estimate) << " ["
      << format("%.1f", 100 * base.ci.low) << ", " << format("%.1f", 100 * base.ci.high) << "]\n";
  const auto strongest = verdict::strongest_evidence(verdict, 3);
  if (!strongest.empty()) out << "  strongest evidence\n";
  for (const auto& line : strongest) out << "    " << line << "\n";
  const auto list = [&](const char* title, const auto& values, const auto& names) {
    if (values.empty()) return;
    out << "  " << title;
    for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : " ") << names.name(values[i]);
    out << "\n";
  };
  for (const auto& line : localization_lines(investigation.probes)) out << line << "\n";
  list("flags    ", verdict.flags, verdict::kFlagNames);
  list("reasons  ", verdict.reasons, verdict::kReasonNames);
  out << "  probes   ";
  bool first = true;
  for (const auto& record : investigation.probes) {
    if (record.status == ProbeStatus::kSkipped && record.reason == kNotSelected) continue;
    out << (first ? "" : "; ") << incident::kProbeKindNames.name(record.kind) << " "
        << kProbeStatusNames.name(record.status);
    if (record.status == ProbeStatus::kOk) {
      out << " (" << record.samples << " samples, " << format("%.1f s", record.wall_time_s) << ")";
    } else {
      out << " (" << record.reason << ")";
    }
    first = false;
  }
  out << "\n  wall time " << format("%.1f s", investigation.wall_time_s) << "\n";
  return out.str();
}

}  // namespace forensics::probes
