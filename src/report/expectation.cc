// report: key fields of a verdict and the check of an expectation against them.
#include "forensics/report/expectation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "forensics/util/json_reader.h"

namespace forensics::report {
namespace {

const Json kEmpty = Json::object();

const Json& at_or_empty(const Json& object, const char* key) {
  if (!object.is_object()) return kEmpty;
  const auto found = object.find(key);
  return found == object.end() ? kEmpty : *found;
}

std::string text_of(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json sorted_strings(const Json& list) {
  std::vector<std::string> out;
  for (const auto& item : list) out.push_back(item.get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

/// The probes' results by name.
Json results_by_probe(const Json& verdict) {
  Json out = Json::object();
  for (const auto& probe : at_or_empty(verdict, "probes").is_array() ? verdict["probes"] : Json::array()) {
    out[probe.value("name", "")] = probe;
  }
  return out;
}

/// Why patching localised nothing. The reason prints the measured gap to 6 decimals, whose last
/// digits differ between CPUs (their vector kernels round differently); a key field compared across
/// machines and versions keeps it to 2.
Json no_localization(const Json& patch) {
  const std::string reason = patch.value("reason", "");
  const Json& clean = at_or_empty(patch, "clean_metric");
  const Json& corrupted = at_or_empty(patch, "corrupted_metric");
  if (reason.find("there is no effect to localize") == std::string::npos || !clean.is_number() ||
      !corrupted.is_number()) {
    return reason;
  }
  char gap[32];
  std::snprintf(gap, sizeof gap, "%.2f", std::abs(clean.get<double>() - corrupted.get<double>()));
  return std::string("there is no effect to localize: the counterfactual moves the metric by about ") + gap + " nats";
}

Json patch_localization(const Json& patch) {
  const Json& early = at_or_empty(at_or_empty(patch, "largest_early_effect"), "resid_pre");
  if (early.empty()) return no_localization(patch);
  const auto segment = early.at("segment").get<std::size_t>();
  return Json{{"segment", patch.at("segments").at(segment).at("text")},
              {"on_edit", early.at("on_edit")},
              {"direction", early.at("direction")}};
}

void compare(const Json& expected, const Json& observed, const std::string& field, std::vector<Difference>& out) {
  if (expected.is_object() && observed.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      const std::string path = field.empty() ? key : field + "." + key;
      if (!observed.contains(key)) {
        out.push_back({path, text_of(value), "(absent)"});
      } else {
        compare(value, observed[key], path, out);
      }
    }
    for (const auto& [key, value] : observed.items()) {
      if (!expected.contains(key)) out.push_back({field.empty() ? key : field + "." + key, "(absent)", text_of(value)});
    }
    return;
  }
  if (expected != observed) out.push_back({field, text_of(expected), text_of(observed)});
}

double top_posterior(const Json& verdict) {
  const std::string top = verdict.value("top_hypothesis", "");
  const Json& posterior = at_or_empty(verdict, "posterior");
  return posterior.contains(top) ? posterior[top].get<double>() : 0.0;
}

}  // namespace

Json key_fields(const Json& verdict) {
  const Json& run = at_or_empty(verdict, "reproducibility");
  std::string run_text = "budget " + run.value("budget", std::string("?")) + ", seed " +
                         text_of(run.value("seed", Json())) + ", " + run.value("device", std::string("?")) + ", " +
                         run.value("dtype", std::string("?"));
  if (run.contains("samples_override") && !run["samples_override"].is_null()) {
    run_text += ", " + text_of(run["samples_override"]) + " samples per condition";
  }
  Json posterior = Json::object();
  for (const auto& [id, value] : at_or_empty(verdict, "posterior").items()) {
    posterior[id] = std::round(value.get<double>() * 1000.0) / 1000.0;
  }
  Json outcomes = Json::object();
  for (const auto& row : at_or_empty(verdict, "evidence").is_array() ? verdict["evidence"] : Json::array()) {
    outcomes[row.value("id", "")] = row.value("outcome", "");
  }
  const Json probes = results_by_probe(verdict);
  Json statuses = Json::object();
  for (const auto& [name, probe] : probes.items()) statuses[name] = probe.value("status", "");
  const Json& baseline = at_or_empty(verdict, "baseline");
  Json out = Json::object();
  out["run"] = run_text;
  out["label"] = verdict.value("label", "");
  out["top_hypothesis"] = verdict.value("top_hypothesis", "");
  out["posterior"] = posterior;
  out["flags"] = sorted_strings(at_or_empty(verdict, "flags").is_array() ? verdict["flags"] : Json::array());
  out["reasons"] = sorted_strings(at_or_empty(verdict, "reasons").is_array() ? verdict["reasons"] : Json::array());
  out["baseline"] = text_of(baseline.value("k", Json())) + "/" + text_of(baseline.value("n", Json()));
  out["outcomes"] = outcomes;
  out["probes"] = statuses;
  const Json& sentences = at_or_empty(at_or_empty(probes, "sentence-resample"), "results");
  if (!sentences.empty()) out["stated_reasons"] = sentences.value("stated_reasons", Json::array());
  const Json& ablate = at_or_empty(at_or_empty(probes, "ablate"), "results");
  if (!ablate.empty() && !ablate.value("ranking", Json::array()).empty()) {
    out["ablate_top_segment"] = ablate["segments"][ablate["ranking"][0].get<std::size_t>()]["text"];
  }
  const Json& patch = at_or_empty(at_or_empty(probes, "patch"), "results");
  if (!patch.empty()) out["patch_early_residual_effect"] = patch_localization(patch);
  return out;
}

Expectation read_golden(const std::filesystem::path& path) {
  Expectation out;
  out.source = path.string();
  out.golden = util::parse_json_strict(util::read_text_file(path, 16u << 20), path.string());
  if (!out.golden->is_object()) throw InputError(path.string() + ": expected a JSON object of a verdict's key fields");
  return out;
}

Expectation read_loose_expectation(const Json& value, const util::JsonPath& path, util::Diagnostics& diagnostics) {
  Expectation out;
  out.source = path.to_string();
  util::ObjectReader reader(value, path, diagnostics);
  out.label = reader.string("label", util::Need::kOptional);
  if (out.label && *out.label != "confused" && *out.label != "intentional" && *out.label != "inconclusive") {
    diagnostics.error(path / "label",
                      "expected \"confused\", \"intentional\" or \"inconclusive\", got \"" + *out.label + "\"");
  }
  out.top_hypothesis = reader.string("top_hypothesis", util::Need::kOptional);
  out.flags = reader.string_list("flags", util::Need::kOptional);
  out.min_posterior = reader.number("min_posterior", util::Need::kOptional, 0.0, 1.0);
  reader.finish();
  return out;
}

std::vector<Difference> check_expectation(const Expectation& expectation, const Json& verdict) {
  std::vector<Difference> out;
  if (expectation.golden) compare(*expectation.golden, key_fields(verdict), "", out);
  const auto check = [&](const char* field, const Json& expected, const Json& observed) {
    if (expected != observed) out.push_back({field, text_of(expected), text_of(observed)});
  };
  if (expectation.label) check("label", *expectation.label, verdict.value("label", ""));
  if (expectation.top_hypothesis)
    check("top_hypothesis", *expectation.top_hypothesis, verdict.value("top_hypothesis", ""));
  if (expectation.flags) {
    check("flags", sorted_strings(Json(*expectation.flags)),
          sorted_strings(at_or_empty(verdict, "flags").is_array() ? verdict["flags"] : Json::array()));
  }
  if (expectation.min_posterior && top_posterior(verdict) < *expectation.min_posterior) {
    out.push_back({"posterior", "at least " + text_of(*expectation.min_posterior), text_of(top_posterior(verdict))});
  }
  return out;
}

std::string to_string(const Difference& difference) {
  return difference.field + ": expected " + difference.expected + ", got " + difference.observed;
}

}  // namespace forensics::report
