// report: the pages over many verdicts — a version-to-version diff and a batch overview.
#include <functional>

#include "forensics/report/figures.h"
#include "forensics/report/report_pages.h"
#include "forensics/report/svg.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "verdict_sections.h"

namespace forensics::report {
namespace {

using detail::muted;
using detail::plain;
using detail::rate_point;
using detail::text_of;

std::string list_text(const Json& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + (item.is_string() ? item.get<std::string>() : item.dump());
  return out.empty() ? "none" : out;
}

Tone label_tone(const std::string& label) {
  if (label == "confused") return Tone::kConfused;
  if (label == "intentional") return Tone::kIntentional;
  return Tone::kInconclusive;
}

Section diff_case_section(const Json& c, std::size_t index) {
  Section section{"case-" + std::to_string(index), text_of(c, "incident_id", "case"), {}};
  const Json label = c.value("label", Json::object());
  const bool changed = c.value("changed", false);
  section.blocks.push_back(
      Paragraph{{{text_of(label, "a", "?"), label_tone(text_of(label, "a"))},
                 {" \u2192 "},
                 {text_of(label, "b", "?"), label_tone(text_of(label, "b"))},
                 {changed ? "  CHANGED" : "  no change beyond noise", changed ? Tone::kWarning : Tone::kMuted}}});
  section.blocks.push_back(plain("A: " + text_of(c, "a") + "   B: " + text_of(c, "b")));
  const Json top = c.value("top_hypothesis", Json::object());
  section.blocks.push_back(plain("Top hypothesis " + text_of(top, "a", "?") + " \u2192 " + text_of(top, "b", "?") +
                                 "; flags gained: " + list_text(c.value("flags_gained", Json::array())) +
                                 "; lost: " + list_text(c.value("flags_lost", Json::array())) + "."));
  Table posterior{{"hypothesis", "posterior A", "posterior B"}, {}, {false, true, true}};
  for (const auto& row : c.value("posterior", Json::array())) {
    posterior.rows.push_back(
        {{{text_of(row, "hypothesis")}}, {{fixed(row.value("a", 0.0), 4)}}, {{fixed(row.value("b", 0.0), 4)}}});
  }
  section.blocks.push_back(posterior);

  std::vector<PairedRate> pairs;
  Table rates{
      {"rate", "A", "B", "B \u2212 A [95% CI]", "p (Holm)", "changed"}, {}, {false, true, true, true, true, false}};
  for (const auto& row : c.value("rates", Json::array())) {
    PairedRate pair{text_of(row, "id"), rate_point(row.value("a", Json::object())),
                    rate_point(row.value("b", Json::object())), row.value("changed", false), ""};
    const Json difference = row.value("difference", Json::object());
    const Json ci = difference.value("ci95", Json::array({0, 0}));
    const std::string delta = signed_fixed(difference.value("estimate", 0.0), 3) + " " +
                              signed_interval(ci.at(0).get<double>(), ci.at(1).get<double>());
    pair.tooltip = pair.id + ": A " + count_text(pair.a.k, pair.a.n) + ", B " + count_text(pair.b.k, pair.b.n) +
                   "; B \u2212 A " + delta + ", p (Holm) " + p_value(row.value("p_holm", 1.0));
    std::string verdict_on_rate = pair.changed ? "yes" : "no";
    if (!pair.changed && row.value("significant", false)) verdict_on_rate = "no (within margin)";
    rates.rows.push_back({{{pair.id, Tone::kCode}},
                          {{count_text(pair.a.k, pair.a.n)}},
                          {{count_text(pair.b.k, pair.b.n)}},
                          {{delta}},
                          {{p_value(row.value("p_holm", 1.0))}},
                          {{verdict_on_rate, pair.changed ? Tone::kWarning : Tone::kPlain}}});
    pairs.push_back(pair);
  }
  if (!pairs.empty()) {
    section.blocks.push_back(paired_rates(pairs, "rates-" + std::to_string(index),
                                          "Every rate measured on both sides: A hollow grey, B filled red, with Wilson "
                                          "95% intervals; * a rate that changed (significant after Holm's correction "
                                          "and beyond the margin)."));
    section.blocks.push_back(rates);
  }
  BulletList moves;
  for (const auto& change : c.value("outcome_changes", Json::array())) {
    moves.items.push_back({{"evidence class " + text_of(change, "what") + ": " + text_of(change, "a") + " \u2192 " +
                            text_of(change, "b")}});
  }
  for (const auto& change : c.value("localization_changes", Json::array())) {
    moves.items.push_back(
        {{text_of(change, "what") + " moved: A " + text_of(change, "a") + "; B " + text_of(change, "b")}});
  }
  for (const char* side : {"evidence_only_in_a", "evidence_only_in_b"}) {
    for (const auto& id : c.value(side, Json::array())) {
      moves.items.push_back({{std::string(side) + ": " + (id.is_string() ? id.get<std::string>() : id.dump())}});
    }
  }
  if (!moves.items.empty()) section.blocks.push_back(moves);
  for (const auto& warning : c.value("warnings", Json::array())) {
    section.blocks.push_back(Paragraph{
        {{"Warning: ", Tone::kWarning}, {warning.is_string() ? warning.get<std::string>() : warning.dump()}}});
  }
  return section;
}

}  // namespace

Page diff_page(const Json& diff) {
  if (!diff.is_object()) throw InputError("a diff must be a JSON object, got " + util::json_type_name(diff));
  Page page;
  page.title = "What changed between two versions";
  const Json cases = diff.value("cases", Json::array());
  std::size_t changed = 0;
  for (const auto& c : cases) changed += c.value("changed", false) ? 1 : 0;
  page.subtitle = {{std::to_string(changed) + " of " + std::to_string(cases.size()) + " case(s) changed (alpha " +
                        fixed(diff.value("alpha", 0.05), 2) + ", Holm over " +
                        std::to_string(diff.value("comparisons", 0)) +
                        " rate comparisons; a rate must also move by more "
                        "than " +
                        fixed(diff.value("min_change", 0.1), 2) +
                        "). Only in A: " + list_text(diff.value("only_in_a", Json::array())) +
                        "; only in B: " + list_text(diff.value("only_in_b", Json::array())) + ".",
                    Tone::kMuted}};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    try {
      page.sections.push_back(diff_case_section(cases[i], i));
    } catch (const std::exception& e) {
      page.sections.push_back({"case-" + std::to_string(i),
                               text_of(cases[i], "incident_id", "case"),
                               {muted(std::string("This case could not be drawn from the diff: ") + e.what())}});
    }
  }
  return page;
}

Page batch_page(const Json& batch, const std::map<std::string, std::string>& case_reports) {
  if (!batch.is_object()) throw InputError("a batch summary must be a JSON object, got " + util::json_type_name(batch));
  Page page;
  page.title = "Batch overview";
  std::string counts;
  const Json counts_by_status = batch.value("counts", Json::object());
  for (const auto& [status, count] : counts_by_status.items()) {
    if (count.is_number() && count.get<long long>() > 0)
      counts += (counts.empty() ? "" : ", ") + count.dump() + " " + status;
  }
  page.subtitle = {{"Exit code " + std::to_string(batch.value("exit_code", 0)) + "; " +
                        (counts.empty() ? "no cases" : counts) + ". Each case's id links to its report.",
                    Tone::kMuted}};
  Section section{"cases", "Cases", {}};
  Table table{{"case", "status", "label", "top hypothesis", "posterior", "flags", "differs from expectation", "time"},
              {},
              {false, false, false, false, true, false, false, true}};
  for (const auto& c : batch.value("cases", Json::array())) {
    const std::string id = text_of(c, "id", "?");
    const auto link = case_reports.find(id);
    std::string differences;
    for (const auto& d : c.value("differences", Json::array())) {
      differences += (differences.empty() ? "" : "; ") + text_of(d, "field") + ": expected " +
                     d.value("expected", Json(nullptr)).dump() + ", got " + d.value("observed", Json(nullptr)).dump();
    }
    if (differences.empty()) differences = text_of(c, "error", "\u2014");
    const std::string status = text_of(c, "status", "?");
    const std::string label = text_of(c, "label", "\u2014");
    const Json posterior = c.value("posterior", Json(nullptr));
    table.rows.push_back({{{id, Tone::kCode, link == case_reports.end() ? "" : link->second}},
                          {{status, status == "passed" || status == "unchecked" ? Tone::kPlain : Tone::kWarning}},
                          {{label, c.value("label", Json(nullptr)).is_string() ? label_tone(label) : Tone::kMuted}},
                          {{text_of(c, "top_hypothesis", "\u2014")}},
                          {{posterior.is_number() ? fixed(posterior.get<double>(), 3) : "\u2014"}},
                          {{list_text(c.value("flags", Json::array()))}},
                          {{differences}},
                          {{fixed(c.value("wall_time_s", 0.0), 1) + " s"}}});
  }
  section.blocks.push_back(table);
  page.sections.push_back(section);
  Section run{"run", "Run", {}};
  run.blocks.push_back(Code{batch.value("run", Json::object()).dump(2)});
  page.sections.push_back(run);
  return page;
}

}  // namespace forensics::report
