// verdict: the `forensics.verdict/v1` document (docs/schemas/verdict.schema.json) and the
// one-line summaries for the terminal. Every object is built in a fixed key order, so the same
// verdict always dumps to the same bytes.
#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/util/error.h"
#include "forensics/verdict/verdict.h"

namespace forensics::verdict {
namespace {

std::string name_of(std::string_view name) { return std::string(name); }

Json interval_json(const stats::Interval& ci) { return Json::array({ci.low, ci.high}); }

Json optional_number(const std::optional<double>& value) { return value ? Json(*value) : Json(nullptr); }

/// {hypothesis id: f(column)} in column order.
template <class F>
Json per_column(const Verdict& verdict, F&& f) {
  Json out = Json::object();
  for (std::size_t c = 0; c < verdict.hypotheses.size(); ++c) {
    out[verdict.hypotheses[c].id] = f(c);
  }
  return out;
}

Json row_json(const Verdict& verdict, const EvidenceRow& row) {
  Json out = Json::object();
  out["id"] = row.id;
  out["kind"] = name_of(kEvidenceKindNames.name(row.kind));
  out["confounds"] = row.confounds;
  if (row.kind == EvidenceKind::kIntervention) {
    out["rate"] = rate_json(*row.rate);
    out["effect"] = difference_json(row.effect);
    out["fisher_p"] = row.p_value;
    out["logprob_delta"] = optional_number(row.logprob_delta);
    out["alternative_logprob_delta"] = optional_number(row.alternative_logprob_delta);
  } else {
    Json points = Json::array();
    for (const auto& point : row.points) {
      Json p = Json::object();
      p["label"] = point.label;
      p["dose"] = point.dose;
      p["rate"] = rate_json(point.rate);
      points.push_back(p);
    }
    out["points"] = points;
    out["trend"] = Json{{"z", *row.trend_z}, {"p", row.p_value}};
    Json span = difference_json(row.effect);
    span["from"] = row.points[row.span_from].label;
    span["to"] = row.points[row.span_to].label;
    out["effect"] = span;
  }
  out["simultaneous"] = Json{{"level", row.simultaneous_level}, {"ci", interval_json(row.simultaneous_ci)}};
  out["unadjusted_outcome"] = name_of(kOutcomeNames.name(row.unadjusted_outcome));
  out["outcome"] = name_of(kOutcomeNames.name(row.outcome));
  out["predictions"] =
      per_column(verdict, [&](std::size_t c) { return name_of(incident::kDirectionNames.name(row.predictions[c])); });
  out["likelihoods"] = per_column(verdict, [&](std::size_t c) { return row.likelihoods[c]; });
  out["log_likelihood_spread"] = row.spread;
  out["counted"] = row.counted;
  out["represented_by"] = row.represented_by ? Json(*row.represented_by) : Json(nullptr);
  out["conflicting"] = row.conflicting;
  return out;
}

Json ach_json(const Verdict& verdict) {
  Json columns = Json::array();
  for (const auto& h : verdict.hypotheses) columns.push_back(h.id);
  Json rows = Json::array();
  for (const auto& row : verdict.rows) {
    Json r = Json::object();
    r["evidence"] = row.id;
    r["outcome"] = name_of(kOutcomeNames.name(row.outcome));
    r["cells"] = per_column(verdict, [&](std::size_t c) { return name_of(kFitNames.name(row.fits[c])); });
    r["confounds"] = row.confounds;
    r["counted"] = row.counted;
    rows.push_back(r);
  }
  return Json{{"columns", columns}, {"rows", rows}};
}

__attribute__((format(printf, 1, 2))) std::string format(const char* pattern, ...) {
  char buffer[256];
  va_list args;
  va_start(args, pattern);
  std::vsnprintf(buffer, sizeof buffer, pattern, args);
  va_end(args);
  return buffer;
}

std::string percent(const stats::Rate& rate) { return format("%.1f%%", 100.0 * rate.estimate); }

std::string summary(const Verdict& verdict, const EvidenceRow& row) {
  std::string line = row.id + ": ";
  const stats::Difference& d = row.effect;
  if (row.kind == EvidenceKind::kIntervention) {
    line += percent(verdict.baseline) + " -> " + percent(*row.rate) +
            format(" (%+.3f [%+.2f, %+.2f], Fisher p %.2g)", d.estimate, d.ci.low, d.ci.high, row.p_value);
  } else {
    const SweepPoint& from = row.points[row.span_from];
    const SweepPoint& to = row.points[row.span_to];
    line += percent(from.rate) + " at " + from.label + " -> " + percent(to.rate) + " at " + to.label +
            format(" (trend z %+.2f, p %.2g)", *row.trend_z, row.p_value);
  }
  line += ", " + name_of(kOutcomeNames.name(row.outcome)) + "; ";
  std::vector<std::string> consistent;
  for (std::size_t c = 0; c < verdict.hypotheses.size(); ++c) {
    if (row.fits[c] == Fit::kConsistent) consistent.push_back(verdict.hypotheses[c].id);
  }
  if (row.outcome == Outcome::kUnclear) {
    line += "neutral";
  } else if (consistent.empty()) {
    line += "consistent with no hypothesis";
  } else {
    line += "consistent with ";
    for (std::size_t i = 0; i < consistent.size(); ++i) {
      line += (i > 0 ? ", " : "") + consistent[i];
      if (consistent[i] == kNullHypothesisId) line += " (null)";
    }
  }
  if (row.represented_by) line += "; counted through " + *row.represented_by;
  if (row.conflicting) line += "; not counted: its confound group points different ways";
  return line;
}

Json missing_json(const std::vector<MissingEvidence>& missing) {
  Json out = Json::array();
  for (const auto& probe : missing) {
    out.push_back(Json{{"probe", probe.probe}, {"error", probe.error}, {"weighs_label", probe.weighs_label}});
  }
  return out;
}

}  // namespace

Json rate_json(const stats::Rate& rate) {
  Json out = Json::object();
  out["k"] = rate.k;
  out["n"] = rate.n;
  out["rate"] = rate.estimate;
  out["ci95"] = interval_json(rate.ci);
  return out;
}

Json difference_json(const stats::Difference& difference) {
  Json out = Json::object();
  out["estimate"] = difference.estimate;
  out["ci95"] = interval_json(difference.ci);
  return out;
}

Json verdict_to_json(const Verdict& verdict, const Json& probes, const Json& reproducibility) {
  if (!reproducibility.is_object()) {
    throw InputError("verdict: the reproducibility fingerprint must be a JSON object, got " +
                     std::string(reproducibility.type_name()));
  }
  Json out = Json::object();
  out["schema"] = kSchema;
  out["label"] = name_of(kLabelNames.name(verdict.label));
  out["top_hypothesis"] = verdict.hypotheses[verdict.top].id;
  out["posterior"] = per_column(verdict, [&](std::size_t c) { return verdict.hypotheses[c].posterior; });
  out["threshold"] = verdict.options.threshold;
  Json flags = Json::array();
  for (Flag flag : verdict.flags) flags.push_back(name_of(kFlagNames.name(flag)));
  out["flags"] = flags;
  Json reasons = Json::array();
  for (Reason reason : verdict.reasons) reasons.push_back(name_of(kReasonNames.name(reason)));
  out["reasons"] = reasons;
  out["failed_probes"] = missing_json(verdict.missing);
  Json explanations = Json::object();
  for (const auto& explanation : verdict.explanations) {
    explanations[name_of(kFlagNames.name(explanation.flag))] = explanation.text;
  }
  out["flag_explanations"] = explanations;
  Json notes = Json::array();
  for (const auto& note : verdict.notes) notes.push_back(Json{{"id", note.id}, {"text", note.text}});
  out["notes"] = notes;
  out["parameters"] = Json{{"margin", verdict.options.margin},
                           {"epsilon", verdict.options.epsilon},
                           {"alpha", verdict.options.alpha},
                           {"fragile_below", verdict.options.fragile_below},
                           {"min_supporting_lines", kMinSupportingLines}};
  out["baseline"] = rate_json(verdict.baseline);

  Json hypotheses = Json::array();
  for (const auto& h : verdict.hypotheses) {
    Json column = Json::object();
    column["id"] = h.id;
    column["kind"] = h.kind ? name_of(incident::kHypothesisKindNames.name(*h.kind)) : "none";
    column["claim"] = h.claim;
    column["prior"] = h.prior;
    column["posterior"] = h.posterior;
    column["log10_bayes_factor_vs_none"] = h.log10_bayes_factor;
    column["supporting_lines"] = h.supporting_lines;
    hypotheses.push_back(column);
  }
  out["hypotheses"] = hypotheses;

  Json evidence = Json::array();
  for (const auto& row : verdict.rows) evidence.push_back(row_json(verdict, row));
  out["evidence"] = evidence;
  out["ach"] = ach_json(verdict);

  Json cot = Json::array();
  for (const auto& row : verdict.cot) {
    Json c = Json::object();
    c["hypothesis"] = row.statement.hypothesis;
    c["stated_reason"] = row.statement.stated_reason;
    c["max_importance"] = row.statement.max_importance ? difference_json(*row.statement.max_importance) : Json(nullptr);
    c["weightless"] = row.weightless;
    c["link"] = row.statement.stated_reason ? Json(name_of(kCotLinkNames.name(row.statement.link))) : Json(nullptr);
    c["sentence"] = row.statement.stated_reason ? Json(row.statement.sentence) : Json(nullptr);
    cot.push_back(c);
  }
  out["cot"] = cot;
  if (!probes.is_null()) out["probes"] = probes;
  out["reproducibility"] = reproducibility;
  return out;
}

std::vector<std::string> strongest_evidence(const Verdict& verdict, std::size_t count) {
  std::vector<const EvidenceRow*> order;
  for (const auto& row : verdict.rows) order.push_back(&row);
  std::sort(order.begin(), order.end(), [](const EvidenceRow* a, const EvidenceRow* b) {
    if (a->counted != b->counted) return a->counted;
    if (a->spread != b->spread) return a->spread > b->spread;
    if (a->p_value != b->p_value) return a->p_value < b->p_value;
    return a->id < b->id;
  });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < order.size() && i < count; ++i) {
    out.push_back(summary(verdict, *order[i]));
  }
  return out;
}

}  // namespace forensics::verdict
