// probes: reading the incident's `probes` object through the registry and choosing what runs.
#include "forensics/probes/plan.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "forensics/util/error.h"
#include "forensics/util/json_reader.h"

namespace forensics::probes {
namespace {

using util::JsonPath;
using util::Need;

const JsonPath kProbesPath = JsonPath() / "probes";

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// The probes the command line or the incident chooses, before resample is added.
std::vector<std::string> chosen_names(const std::vector<std::string>& names, const ProbePlan& plan,
                                      const std::map<std::string, const Json*>& configured) {
  std::vector<std::string> out;
  if (!names.empty()) {
    for (const auto& name : names) {
      if (name == "all") {
        for (const auto* probe : probe_table()) out.emplace_back(probe->name);
      } else if (find_probe(name) == nullptr) {
        throw InputError("--probes: unknown probe \"" + name + "\"; expected \"all\" or one of " + probe_choices());
      } else {
        out.push_back(name);
      }
    }
  } else if (plan.listed) {
    for (const auto& [name, value] : configured) out.push_back(name);
  } else {
    for (const auto* probe : probe_table()) {
      if (probe->on_by_default) out.emplace_back(probe->name);
    }
  }
  return out;
}

/// Reads one probe's options: the incident's entry when it has one, else the defaults ({}),
/// whose problems (a required option) say that the incident does not configure the probe.
std::any read_options(const ProbeDescriptor& probe, const Json* configured, const incident::Incident& incident,
                      util::Diagnostics& diagnostics) {
  const JsonPath path = kProbesPath / std::string(probe.name);
  if (configured != nullptr) {
    util::ObjectReader reader(*configured, path, diagnostics);
    std::any options = probe.read(reader, incident);
    reader.finish();
    return options;
  }
  util::Diagnostics defaults;
  const Json empty = Json::object();  // the reader keeps a pointer to it
  util::ObjectReader reader(empty, path, defaults);
  std::any options = probe.read(reader, incident);
  for (const auto& item : defaults.all()) {
    const std::string message = "the incident does not configure " + std::string(probe.name) + ": " + item.message;
    if (item.severity == util::Severity::kError) {
      diagnostics.error(path, message);
    } else {
      diagnostics.warning(path, message);
    }
  }
  return options;
}

/// A probes object that leaves out default probes turns them off: say which, when they would
/// have had something to measure.
void warn_about_defaults_off(const incident::Incident& incident, const std::map<std::string, const Json*>& configured,
                             util::Diagnostics& diagnostics) {
  std::vector<std::string> off;
  for (const auto* probe : probe_table()) {
    if (!probe->on_by_default || probe->name == "resample" || configured.count(std::string(probe->name)) != 0) continue;
    util::Diagnostics scratch;
    const Json empty = Json::object();  // the reader keeps a pointer to it
    util::ObjectReader reader(empty, kProbesPath, scratch);
    const std::any options = probe->read(reader, incident);
    if (!scratch.has_errors() && !probe->nothing_to_do(incident, options)) off.emplace_back(probe->name);
  }
  if (off.empty()) return;
  std::string list;
  for (std::size_t i = 0; i < off.size(); ++i) list += (i ? ", " : "") + off[i];
  diagnostics.warning(kProbesPath, "lists its probes, so these default probes will not run: " + list +
                                       " (list them too, or leave out \"probes\" to run every default probe)");
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

runtime::SamplingParams default_sampling() {
  runtime::SamplingParams params;
  params.temperature = 0.6;     // Thought Anchors' setting
  params.top_p = 0.95;          // idem
  params.top_k = 0;             // no top-k cut
  params.max_new_tokens = 256;  // per regenerated assistant turn
  return params;
}

const PlannedProbe* ProbePlan::find(std::string_view name) const {
  for (const auto& planned : probes) {
    if (planned.probe->name == name) return &planned;
  }
  return nullptr;
}

runtime::SamplingParams read_sampling(const Json& value, const JsonPath& path, runtime::SamplingParams base,
                                      util::Diagnostics& diagnostics) {
  util::ObjectReader reader(value, path, diagnostics);
  base.temperature = reader.number("temperature", Need::kOptional, 0.0, 100.0).value_or(base.temperature);
  // Logits divided by a tiny temperature overflow to infinity and sampling returns junk: 0 is greedy.
  constexpr double kMinTemperature = 0.01;
  if (base.temperature > 0 && base.temperature < kMinTemperature) {
    diagnostics.error(path / "temperature", "a temperature below " + Json(kMinTemperature).dump() +
                                                " overflows the logits; use 0 for greedy decoding");
  }
  base.top_p = reader.number("top_p", Need::kOptional, 1e-9, 1.0).value_or(base.top_p);
  base.top_k = reader.integer("top_k", Need::kOptional, 0, kMaxSamples).value_or(base.top_k);
  base.max_new_tokens = reader.integer("max_new_tokens", Need::kOptional, 1, kMaxSamples).value_or(base.max_new_tokens);
  if (auto stop = reader.string_list("stop", Need::kOptional)) {
    for (std::size_t i = 0; i < stop->size(); ++i) {
      if ((*stop)[i].empty()) diagnostics.error(path / "stop" / i, "expected a non-empty string");
    }
    base.stop_strings = *stop;
  }
  reader.finish();
  return base;
}

ProbePlan plan_probes(const incident::Incident& incident, const std::vector<std::string>& names,
                      util::Diagnostics& diagnostics) {
  ProbePlan plan;
  std::map<std::string, const Json*> configured;
  if (incident.probes) {
    plan.listed = true;
    for (const auto& [key, value] : incident.probes->items()) {
      if (key == "sampling") {
        plan.sampling = read_sampling(value, kProbesPath / key, plan.sampling, diagnostics);
      } else if (find_probe(key) == nullptr) {
        diagnostics.error(kProbesPath / key, "unknown probe; expected \"sampling\" or a probe: " + probe_choices());
      } else {
        configured[key] = &value;
      }
    }
    if (configured.empty()) {
      diagnostics.error(kProbesPath, "lists no probe; expected at least one of " + probe_choices());
    } else if (names.empty()) {
      warn_about_defaults_off(incident, configured, diagnostics);
    }
  }
  auto chosen = chosen_names(names, plan, configured);
  if (!contains(chosen, "resample")) chosen.emplace_back("resample");
  for (const auto* probe : probe_table()) {
    PlannedProbe planned;
    planned.probe = probe;
    const auto entry = configured.find(std::string(probe->name));
    planned.configured = entry != configured.end();
    if (contains(chosen, probe->name)) {
      planned.options = read_options(*probe, planned.configured ? entry->second : nullptr, incident, diagnostics);
      planned.standard_samples = probe->standard_samples(planned.options);
      planned.status = PlanStatus::kRun;
      if (auto why = probe->nothing_to_do(incident, planned.options)) {
        planned.status = PlanStatus::kNothingToDo;
        planned.reason = *why;
        if (planned.configured || !names.empty()) {
          diagnostics.warning(kProbesPath / std::string(probe->name), *why + "; this probe will do nothing");
        }
      }
    }
    plan.probes.push_back(std::move(planned));
  }
  return plan;
}

std::int64_t budget_samples(std::int64_t standard, Budget budget, std::optional<std::int64_t> samples) {
  if (samples) return *samples;
  switch (budget) {
    case Budget::kQuick: return std::min(standard, kQuickSamples);
    case Budget::kStandard: return standard;
    case Budget::kThorough: return std::max(standard, kThoroughSamples);
  }
  return standard;
}

Json plan_json(const ProbePlan& plan) {
  Json probes = Json::object();
  for (const auto& planned : plan.probes) {
    Json entry = Json::object();
    entry["runs"] = planned.runs();
    if (planned.status == PlanStatus::kNothingToDo) entry["reason"] = planned.reason;
    if (planned.runs()) {
      entry["samples_per_condition"] = planned.standard_samples ? Json(*planned.standard_samples) : Json(nullptr);
    }
    probes[std::string(planned.probe->name)] = entry;
  }
  const auto& s = plan.sampling;
  return Json{{"probes", probes},
              {"probes_listed", plan.listed},
              {"sampling",
               {{"temperature", s.temperature},
                {"top_p", s.top_p},
                {"top_k", s.top_k},
                {"max_new_tokens", s.max_new_tokens},
                {"stop", s.stop_strings}}}};
}

std::string plan_text(const ProbePlan& plan) {
  std::string running;
  std::string skipped;
  for (const auto& planned : plan.probes) {
    const std::string name(planned.probe->name);
    if (planned.runs()) {
      running += (running.empty() ? "" : ", ") + name;
      if (planned.standard_samples) running += " (" + std::to_string(*planned.standard_samples) + ")";
    } else if (planned.status == PlanStatus::kNothingToDo) {
      skipped += (skipped.empty() ? "" : "; ") + name + ": " + planned.reason;
    }
  }
  const auto row = [](const char* key, const std::string& value) {
    return "  " + std::string(key) + std::string(13 - std::string(key).size(), ' ') + value + "\n";
  };
  const auto& s = plan.sampling;
  std::string out = row("probes", running + (plan.listed ? "" : "  [defaults]"));
  if (!skipped.empty()) out += row("not run", skipped);
  out += row("sampling", "temperature " + number_text(s.temperature) + ", top_p " + number_text(s.top_p) +
                             (s.top_k > 0 ? ", top_k " + std::to_string(s.top_k) : "") + ", max_new_tokens " +
                             std::to_string(s.max_new_tokens));
  return out;
}

}  // namespace forensics::probes
