// report: a verdict report page, section by section, and what the sections share.
#include <functional>

#include "forensics/report/report_pages.h"
#include "forensics/report/svg.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "verdict_sections.h"

namespace forensics::report {
namespace detail {

RatePoint rate_point(const Json& rate) {
  RatePoint out;
  if (!rate.is_object()) return out;
  out.k = rate.value("k", 0LL);
  out.n = rate.value("n", 0LL);
  out.rate = rate.value("rate", 0.0);
  const Json ci = rate.value("ci95", Json::array({0.0, 1.0}));
  if (ci.is_array() && ci.size() == 2 && ci[0].is_number() && ci[1].is_number()) {
    out.low = ci[0].get<double>();
    out.high = ci[1].get<double>();
  }
  return out;
}

const Json* probe_results(const Json& verdict, const std::string& name, std::string& why) {
  const auto probes = verdict.find("probes");
  if (probes == verdict.end() || !probes->is_array()) {
    why = "this verdict has no record of the " + name + " probe";
    return nullptr;
  }
  for (const auto& record : *probes) {
    if (text_of(record, "name") != name) continue;
    const std::string status = text_of(record, "status");
    if (status == "ok" && record.contains("results") && record["results"].is_object()) return &record["results"];
    why = status == "error" ? "failed: " + text_of(record, "error", text_of(record, "reason"))
                            : "not run (" + text_of(record, "reason", status) + ")";
    return nullptr;
  }
  why = "not run (the " + name + " probe is not in this verdict)";
  return nullptr;
}

std::string text_of(const Json& object, const char* key, const std::string& fallback) {
  if (!object.is_object()) return fallback;
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : fallback;
}

Paragraph plain(std::string text) { return Paragraph{{{std::move(text)}}}; }
Paragraph muted(std::string text) { return Paragraph{{{std::move(text), Tone::kMuted}}}; }

}  // namespace detail

namespace {

/// A section the document cannot fill says why, and the rest of the page still renders.
Section guarded(const char* id, const char* title, const std::function<Section(const Json&)>& build,
                const Json& verdict) {
  try {
    return build(verdict);
  } catch (const std::exception& e) {
    return Section{
        id, title, {detail::muted(std::string("This section could not be drawn from the verdict: ") + e.what())}};
  }
}

}  // namespace

Page verdict_page(const Json& verdict) {
  using namespace detail;
  // Found by fuzzing: a document that is not an object (a bare number) threw nlohmann's type_error.
  if (!verdict.is_object()) throw InputError("a verdict must be a JSON object, got " + util::json_type_name(verdict));
  const Json repro = verdict.value("reproducibility", Json::object());
  const std::string id = repro.is_object() ? repro.value("incident_id", std::string("incident")) : "incident";
  Page page;
  page.title = "Why did the agent do it? \u2014 " + id;
  page.subtitle = {{"forensics report of a " + text_of(verdict, "schema", "verdict") + " document; forensics " +
                        text_of(repro, "tool_version", "?") + ", " + text_of(repro, "device", "?") + ", budget " +
                        text_of(repro, "budget", "?") + ". Every number comes from the verdict; nothing was re-run.",
                    Tone::kMuted}};
  page.sections = {
      guarded("verdict", "Verdict", summary_section, verdict),
      guarded("transcript", "Transcript as the model saw it", transcript_section, verdict),
      guarded("interventions", "Interventions", interventions_section, verdict),
      guarded("sweeps", "Sweeps", sweeps_section, verdict),
      guarded("ablation", "Ablation", ablation_section, verdict),
      guarded("patching", "Activation patching", patching_section, verdict),
      guarded("hypotheses", "Competing hypotheses", hypotheses_section, verdict),
      guarded("reproducibility", "Reproducibility", reproducibility_section, verdict),
  };
  return page;
}

}  // namespace forensics::report
