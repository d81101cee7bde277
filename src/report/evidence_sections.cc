// report: the measured evidence of a verdict report — interventions as a forest plot, sweeps as
// dose-response plots, ablation as a bar chart — each with its table.
#include <algorithm>
#include <cmath>

#include "forensics/report/svg.h"
#include "verdict_sections.h"

namespace forensics::report::detail {
namespace {

std::vector<std::string> column_ids(const Json& verdict) {
  std::vector<std::string> out;
  const Json ach = verdict.value("ach", Json::object());
  for (const auto& id : ach.value("columns", Json::array())) {
    if (id.is_string()) out.push_back(id.get<std::string>());
  }
  return out;
}

/// ACH cells of one line, in column order.
std::vector<std::string> ach_cells(const Json& verdict, const std::string& id,
                                   const std::vector<std::string>& columns) {
  const Json ach = verdict.value("ach", Json::object());
  for (const auto& row : ach.value("rows", Json::array())) {
    if (text_of(row, "evidence") != id) continue;
    std::vector<std::string> out;
    const Json cells = row.value("cells", Json::object());
    for (const auto& column : columns) out.push_back(text_of(cells, column.c_str()));
    return out;
  }
  return std::vector<std::string>(columns.size(), "neutral");
}

std::vector<Json> evidence_of_kind(const Json& verdict, const std::string& kind) {
  std::vector<Json> out;
  for (const auto& line : verdict.value("evidence", Json::array())) {
    if (text_of(line, "kind") == kind) out.push_back(line);
  }
  return out;
}

/// Counted lines in document order, each followed by the lines its confound group counts through it.
std::vector<Json> grouped(const std::vector<Json>& lines) {
  std::vector<Json> out;
  for (const auto& line : lines) {
    if (!line.value("represented_by", Json(nullptr)).is_null()) continue;
    out.push_back(line);
    for (const auto& member : lines) {
      const Json through = member.value("represented_by", Json(nullptr));
      if (through.is_string() && through.get<std::string>() == text_of(line, "id")) out.push_back(member);
    }
  }
  for (const auto& line : lines) {  // a member whose representative is not an intervention (a sweep)
    const Json through = line.value("represented_by", Json(nullptr));
    const bool placed =
        std::any_of(out.begin(), out.end(), [&](const Json& o) { return text_of(o, "id") == text_of(line, "id"); });
    if (through.is_string() && !placed) out.push_back(line);
  }
  return out;
}

std::string predictions_text(const Json& line) {
  std::string out;
  const Json predictions = line.value("predictions", Json::object());
  for (const auto& [hypothesis, prediction] : predictions.items()) {
    out +=
        (out.empty() ? "" : ", ") + hypothesis + " " + (prediction.is_string() ? prediction.get<std::string>() : "?");
  }
  return out;
}

std::string optional_number(const Json& value, int decimals) {
  return value.is_number() ? signed_fixed(value.get<double>(), decimals) : "\u2014";
}

Text not_run(const std::string& what, const std::string& why) { return {{what + ": " + why, Tone::kMuted}}; }

}  // namespace

Section interventions_section(const Json& verdict) {
  Section section{"interventions", "Interventions", {}};
  std::string why;
  const Json* results = probe_results(verdict, "intervene", why);
  const std::vector<Json> lines = grouped(evidence_of_kind(verdict, "intervention"));
  if (lines.empty()) {
    section.blocks.push_back(
        Paragraph{not_run("No intervention was measured", results ? "the incident declares none" : why)});
    return section;
  }
  ForestData data;
  data.hypotheses = column_ids(verdict);
  data.baseline = rate_point(verdict.value("baseline", Json::object()));
  Table table{{"edit", "rate", "effect [95% CI]", "Fisher p", "outcome", "predicted", "\u0394 log P(action)",
               "confounds", "counted"},
              {},
              {false, true, true, true, false, false, true, false, false}};
  std::string previous_group;
  for (const auto& line : lines) {
    ForestRow row;
    row.id = text_of(line, "id");
    row.rate = rate_point(line.value("rate", Json::object()));
    row.outcome = text_of(line, "outcome");
    row.fisher_p = line.value("fisher_p", 1.0);
    row.cells = ach_cells(verdict, row.id, data.hypotheses);
    const Json through = line.value("represented_by", Json(nullptr));
    row.counted_through = through.is_string() ? through.get<std::string>() : "";
    const std::string group = row.counted_through.empty() ? row.id : row.counted_through;
    row.new_group = !data.rows.empty() && group != previous_group;
    previous_group = group;
    data.rows.push_back(row);

    const Json effect = line.value("effect", Json::object());
    const Json ci = effect.value("ci95", Json::array({0, 0}));
    std::string confounds;
    for (const auto& tag : line.value("confounds", Json::array()))
      confounds += (confounds.empty() ? "" : ", ") + tag.get<std::string>();
    table.rows.push_back({{{row.id, Tone::kCode}},
                          {{count_text(row.rate.k, row.rate.n)}},
                          {{signed_fixed(effect.value("estimate", 0.0), 3) + " " +
                            signed_interval(ci.at(0).get<double>(), ci.at(1).get<double>())}},
                          {{p_value(row.fisher_p)}},
                          {{row.outcome, Tone::kStrong}},
                          {{predictions_text(line)}},
                          {{optional_number(line.value("logprob_delta", Json(nullptr)), 3)}},
                          {{confounds.empty() ? "\u2014" : confounds}},
                          {{row.counted_through.empty() ? "yes" : "through " + row.counted_through}}});
  }
  section.blocks.push_back(forest_plot(data));
  section.blocks.push_back(table);
  // Verdicts written before the classes were corrected carry no level: their classes are 95% ones.
  const double level = lines.front().value("simultaneous", Json::object()).value("level", 0.95);
  const std::size_t measured = verdict.value("evidence", Json::array()).size();
  section.blocks.push_back(
      muted("Effect = intervened \u2212 baseline rate with Newcombe's 95% interval. Outcome: from the interval at the "
            "simultaneous level " +
            fixed(100 * level, 2) + "% (Bonferroni over the " + std::to_string(measured) +
            " lines, so every outcome holds at once with 95% confidence): decrease or increase when it excludes 0, "
            "no-change when it lies within \u00b1" +
            fixed(verdict.value("parameters", Json::object()).value("margin", 0.15), 2) +
            ", else unclear; a 95% interval that excludes 0 can still be unclear. \u0394 log P(action): the "
            "teacher-forced log-probability of the captured action, edited \u2212 original (nats; reported, not "
            "weighed)."));
  return section;
}

Section sweeps_section(const Json& verdict) {
  Section section{"sweeps", "Sweeps", {}};
  std::string why;
  const Json* results = probe_results(verdict, "sweep", why);
  const std::vector<Json> sweeps = evidence_of_kind(verdict, "sweep");
  if (sweeps.empty()) {
    section.blocks.push_back(Paragraph{not_run("No sweep was measured", results ? "the incident declares none" : why)});
    return section;
  }
  const RatePoint baseline = rate_point(verdict.value("baseline", Json::object()));
  for (const auto& sweep : sweeps) {
    SweepData data;
    data.id = text_of(sweep, "id");
    data.outcome = text_of(sweep, "outcome");
    const Json trend = sweep.value("trend", Json::object());
    data.trend_z = trend.value("z", 0.0);
    data.trend_p = trend.value("p", 1.0);
    data.baseline = baseline;
    Table table{{"value", "dose", "rate", "Wilson 95%"}, {}, {false, true, true, true}};
    for (const auto& point : sweep.value("points", Json::array())) {
      DosePoint p{text_of(point, "label"), point.value("dose", 0.0), rate_point(point.value("rate", Json::object()))};
      table.rows.push_back({{{p.label}},
                            {{shortest(p.dose)}},
                            {{count_text(p.rate.k, p.rate.n)}},
                            {{percent_interval(p.rate.low, p.rate.high)}}});
      data.points.push_back(p);
    }
    section.blocks.push_back(dose_response(data, "sweep-" + data.id));
    section.blocks.push_back(Paragraph{{{"Predicted trends: "}, {predictions_text(sweep)}}});
    section.blocks.push_back(table);
  }
  return section;
}

Section ablation_section(const Json& verdict) {
  Section section{"ablation", "Ablation", {}};
  std::string why;
  const Json* results = probe_results(verdict, "ablate", why);
  if (results == nullptr) {
    section.blocks.push_back(Paragraph{not_run("Not run", why)});
    return section;
  }
  std::vector<Json> segments;
  for (const auto& segment : results->value("segments", Json::array())) {
    if (segment.value("delta", Json(nullptr)).is_number()) segments.push_back(segment);
  }
  std::stable_sort(segments.begin(), segments.end(),
                   [](const Json& a, const Json& b) { return a["delta"].get<double>() < b["delta"].get<double>(); });
  constexpr std::size_t kShown = 20;
  std::vector<Bar> bars;
  Table table{
      {"segment", "role", "kind", "\u0394 log P(action)", "log P(action)"}, {}, {false, false, false, true, true}};
  for (const auto& segment : segments) {
    const double delta = segment["delta"].get<double>();
    const std::string where = "message " + std::to_string(segment.value("message", 0)) + " (" +
                              text_of(segment, "role") + ", " + text_of(segment, "kind") + ")";
    if (bars.size() < kShown) {
      bars.push_back(
          {text_of(segment, "text"),
           where + ": " + text_of(segment, "text") + "\n\u0394 log P(action) " + signed_fixed(delta, 3) + " nats",
           delta});
    }
    table.rows.push_back({{{text_of(segment, "text")}},
                          {{text_of(segment, "role")}},
                          {{text_of(segment, "kind")}},
                          {{signed_fixed(delta, 3)}},
                          {{optional_number(segment.value("logprob_action", Json(nullptr)), 3)}}});
  }
  const Json original = results->value("original", Json::object());
  section.blocks.push_back(plain("Each segment of the transcript removed in turn (granularity " +
                                 text_of(*results, "granularity", "?") +
                                 "); the bar is the change of the captured "
                                 "action's log-probability (original " +
                                 optional_number(original.value("action_logprob", Json(nullptr)), 3) +
                                 " nats). Negative: the segment supports the action."));
  section.blocks.push_back(bar_chart(bars, "\u0394 log P(action) when the segment is removed (nats)", "ablation",
                                     segments.size() > kShown
                                         ? "The " + std::to_string(kShown) +
                                               " segments whose removal lowers the action "
                                               "most, of " +
                                               std::to_string(segments.size()) + " (all in the table)."
                                         : "Every ablated segment, most supporting first."));
  section.blocks.push_back(table);
  return section;
}

}  // namespace forensics::report::detail
