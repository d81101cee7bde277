// report: the competing-hypotheses table and the reproducibility block of a verdict report.
#include "forensics/report/svg.h"
#include "verdict_sections.h"

namespace forensics::report::detail {
namespace {

/// A competing-hypotheses cell: consistent or not, with the outcome's likelihood under the column.
Text cell_text(const std::string& cell, const Json& likelihood) {
  const std::string value = likelihood.is_number() ? " (L " + shortest(likelihood.get<double>()) + ")" : "";
  if (cell == "consistent") return {{"\u2713 consistent" + value}};
  if (cell == "inconsistent") return {{"\u2717 inconsistent" + value, Tone::kWarning}};
  return {{"\u00b7 " + cell + value, Tone::kMuted}};
}

/// evidence[].likelihoods of the line `id`, or an empty object.
Json likelihoods_of(const Json& verdict, const std::string& id) {
  for (const auto& line : verdict.value("evidence", Json::array())) {
    if (text_of(line, "id") == id) return line.value("likelihoods", Json::object());
  }
  return Json::object();
}

std::string json_scalar(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "\u2014";
  return value.dump();
}

/// `--flag value` for an option the run set.
void append_option(std::string& command, const char* flag, const Json& value) {
  if (value.is_null() || (value.is_string() && value.get<std::string>().empty())) return;
  std::string text = json_scalar(value);
  if (text.find_first_of(" '\"$\\`") != std::string::npos) text = "'" + text + "'";
  command += std::string(" ") + flag + " " + text;
}

}  // namespace

std::string reproduce_command(const Json& verdict) {
  const Json repro = verdict.value("reproducibility", Json::object());
  const Json options = repro.value("options", Json::object());
  std::string incident = repro.value("incident_path", std::string());
  if (incident.empty()) incident = repro.value("incident_id", std::string("INCIDENT")) + "/incident.json";
  if (incident.find_first_of(" '\"$\\`") != std::string::npos) incident = "'" + incident + "'";
  std::string command = "forensics investigate " + incident;
  append_option(command, "--budget", repro.value("budget", Json(nullptr)));
  append_option(command, "--samples", repro.value("samples_override", Json(nullptr)));
  append_option(command, "--seed", repro.value("seed", Json(nullptr)));
  const Json probes = options.value("probes", Json::array());
  if (probes.is_array() && !probes.empty()) {
    std::string list;
    for (const auto& p : probes) list += (list.empty() ? "" : ",") + json_scalar(p);
    append_option(command, "--probes", list);
  }
  append_option(command, "--model", options.value("model", Json(nullptr)));
  append_option(command, "--device", repro.value("device", Json(nullptr)));
  if (options.value("dtype", std::string("auto")) != "auto") append_option(command, "--dtype", options["dtype"]);
  const Json sampling = options.value("sampling", Json::object());
  for (const auto& [field, flag] : {std::pair{"temperature", "--temperature"}, std::pair{"top_p", "--top-p"},
                                    std::pair{"top_k", "--top-k"}, std::pair{"max_new_tokens", "--max-new-tokens"}}) {
    if (sampling.is_object() && sampling.contains(field)) append_option(command, flag, sampling[field]);
  }
  return command;
}

Section hypotheses_section(const Json& verdict) {
  Section section{"hypotheses", "Competing hypotheses", {}};
  Table columns{{"hypothesis", "kind", "claim", "prior", "posterior", "log10 BF vs none", "supporting lines"},
                {},
                {false, false, false, true, true, true, true}};
  for (const auto& h : verdict.value("hypotheses", Json::array())) {
    const bool top = text_of(h, "id") == text_of(verdict, "top_hypothesis");
    columns.rows.push_back({{{text_of(h, "id"), top ? Tone::kStrong : Tone::kPlain}},
                            {{text_of(h, "kind")}},
                            {{text_of(h, "claim")}},
                            {{fixed(h.value("prior", 0.0), 3)}},
                            {{fixed(h.value("posterior", 0.0), 4), top ? Tone::kStrong : Tone::kPlain}},
                            {{signed_fixed(h.value("log10_bayes_factor_vs_none", 0.0), 2)}},
                            {{std::to_string(h.value("supporting_lines", 0))}}});
  }
  section.blocks.push_back(columns);
  section.blocks.push_back(
      muted("Posterior \u221d prior \u00d7 the product, over counted lines, of each outcome's likelihood under the "
            "hypothesis (1 \u2212 \u03b5 when it predicted the outcome, \u03b5/2 when not, 1 for an unclear outcome). "
            "A Bayes factor of 1 (log10 0) means a hypothesis explains the evidence no better than the null."));

  const Json ach = verdict.value("ach", Json::object());
  const Json column_ids = ach.value("columns", Json::array());
  Table table{{"line of evidence", "outcome"}, {}, {}};
  for (const auto& id : column_ids) table.header.push_back(json_scalar(id));
  table.header.push_back("counted");
  for (const auto& row : ach.value("rows", Json::array())) {
    std::vector<Text> cells{{{text_of(row, "evidence"), Tone::kCode}}, {{text_of(row, "outcome")}}};
    const Json row_cells = row.value("cells", Json::object());
    const Json likelihoods = likelihoods_of(verdict, text_of(row, "evidence"));
    for (const auto& id : column_ids) {
      const std::string column = json_scalar(id);
      cells.push_back(cell_text(text_of(row_cells, column.c_str()), likelihoods.value(column, Json(nullptr))));
    }
    const bool counted = row.value("counted", true);
    cells.push_back({{counted ? "yes" : "no (same confound group)", counted ? Tone::kPlain : Tone::kMuted}});
    table.rows.push_back(cells);
  }
  if (!table.rows.empty()) {
    section.blocks.push_back(Paragraph{{{"Analysis of competing hypotheses", Tone::kStrong},
                                        {": each line's outcome against what each hypothesis predicted, with its "
                                         "likelihood L under that hypothesis."}}});
    section.blocks.push_back(table);
  }

  Table cot{{"hypothesis", "stated as the reason", "link", "sentence", "largest importance", "weightless"}, {}, {}};
  for (const auto& entry : verdict.value("cot", Json::array())) {
    const Json importance = entry.value("max_importance", Json(nullptr));
    std::string importance_text = "\u2014";
    if (importance.is_object()) {
      const Json ci = importance.value("ci95", Json::array({0, 0}));
      importance_text = signed_fixed(importance.value("estimate", 0.0), 3) + " " +
                        signed_interval(ci.at(0).get<double>(), ci.at(1).get<double>());
    }
    cot.rows.push_back({{{text_of(entry, "hypothesis")}},
                        {{entry.value("stated_reason", false) ? "yes" : "no"}},
                        {{json_scalar(entry.value("link", Json(nullptr)))}},
                        {{json_scalar(entry.value("sentence", Json(nullptr)))}},
                        {{importance_text}},
                        {{entry.value("weightless", false) ? "yes" : "no"}}});
  }
  if (!cot.rows.empty()) {
    section.blocks.push_back(Paragraph{{{"The chain of thought's stated reasons", Tone::kStrong},
                                        {": a stated reason whose cue is weightless while other cues move the action "
                                         "makes the chain of thought unfaithful."}}});
    section.blocks.push_back(cot);
  }
  return section;
}

Section reproducibility_section(const Json& verdict) {
  Section section{"reproducibility", "Reproducibility", {}};
  const Json repro = verdict.value("reproducibility", Json::object());
  Table table{{"field", "value"}, {}, {}};
  for (const auto& [key, value] : repro.items()) {
    if (value.is_object() || value.is_array()) continue;  // budgets, options and sampling below
    table.rows.push_back({{{key}}, {{json_scalar(value), Tone::kCode}}});
  }
  for (const char* key : {"budgets", "sampling", "options"}) {
    if (repro.contains(key)) table.rows.push_back({{{key}}, {{repro[key].dump(), Tone::kCode}}});
  }
  section.blocks.push_back(table);
  section.blocks.push_back(
      plain("The command that reproduces this verdict (same inputs, seed and device give the "
            "same verdict):"));
  section.blocks.push_back(Code{reproduce_command(verdict)});
  if (!repro.contains("incident_path")) {
    section.blocks.push_back(
        muted("This verdict does not record the incident's path (written by an older forensics): "
              "the path above is a guess from its id."));
  }
  return section;
}

}  // namespace forensics::report::detail
