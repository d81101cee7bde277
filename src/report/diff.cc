// report: comparing two verdicts of the same incidents (docs/cli.md, "diff").
#include "forensics/report/diff.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "forensics/report/expectation.h"
#include "forensics/stats/hypothesis_tests.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "forensics/verdict/verdict.h"

namespace forensics::report {
namespace {

const Json kNone = Json::object();

const Json& member(const Json& object, const char* key) {
  if (!object.is_object()) return kNone;
  const auto found = object.find(key);
  return found == object.end() ? kNone : *found;
}

std::string text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null() || (value.is_object() && value.empty())) return "(none)";
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

stats::Rate rate_of(const Json& rate) { return stats::wilson(rate.value("k", 0), rate.value("n", 0)); }

/// Every rate of a verdict by id: the baseline, each intervention, each sweep point.
std::vector<std::pair<std::string, std::pair<std::string, stats::Rate>>> rates_of(const Json& verdict) {
  std::vector<std::pair<std::string, std::pair<std::string, stats::Rate>>> out;
  if (verdict.contains("baseline")) out.push_back({"baseline", {"baseline", rate_of(verdict["baseline"])}});
  for (const auto& row : member(verdict, "evidence").is_array() ? verdict["evidence"] : Json::array()) {
    if (row.value("kind", "") == "intervention") {
      out.push_back({row.value("id", ""), {"intervention", rate_of(row["rate"])}});
    } else {
      for (const auto& point : row.value("points", Json::array())) {
        out.push_back({row.value("id", "") + "=" + point.value("label", ""), {"sweep", rate_of(point["rate"])}});
      }
    }
  }
  return out;
}

/// Each line of evidence's outcome, in the verdict's order.
std::vector<std::pair<std::string, std::string>> outcomes_of(const Json& verdict) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : member(verdict, "evidence").is_array() ? verdict["evidence"] : Json::array()) {
    out.emplace_back(row.value("id", ""), row.value("outcome", ""));
  }
  return out;
}

const std::string* outcome_in(const std::vector<std::pair<std::string, std::string>>& outcomes, const std::string& id) {
  for (const auto& [other, outcome] : outcomes) {
    if (other == id) return &outcome;
  }
  return nullptr;
}

std::set<std::string> flags_of(const Json& verdict) {
  std::set<std::string> out;
  for (const auto& flag : member(verdict, "flags").is_array() ? verdict["flags"] : Json::array()) out.insert(flag);
  return out;
}

/// Where a descriptive probe puts the cause, for people: ablate's segment, or patch's segment
/// with the direction and whether it lies on the edited text (or why there was nothing to locate).
std::string localization_text(const Json& value) {
  if (value.is_object() && value.contains("segment")) {
    return "\"" + text(value["segment"]) + "\" (" + text(value.value("direction", Json())) +
           (value.value("on_edit", false) ? ", on the edited text)" : ", off the edited text)");
  }
  if (value.is_string() && !value.get<std::string>().empty()) return value.get<std::string>();
  return "(not measured)";
}

/// Setup differences a reader must not take for a model change.
std::vector<std::string> setup_warnings(const Json& a, const Json& b) {
  std::vector<std::string> out;
  const Json& ra = member(a, "reproducibility");
  const Json& rb = member(b, "reproducibility");
  const std::pair<const char*, const char*> fields[] = {
      {"incident_sha256", "the incident files differ"},
      {"budget", "budgets differ"},
      {"samples_override", "--samples differs"},
      {"seed", "seeds differ"},
      {"tool_version", "tool versions differ"},
      {"tokenizer_fingerprint", "tokenizers differ"},
      {"device", "devices differ"},
      {"dtype", "dtypes differ"},
      {"sampling", "sampling parameters differ"},
  };
  for (const auto& [field, message] : fields) {
    if (member(ra, field) != member(rb, field)) {
      out.push_back(std::string(message) + " (" + field + ": " + text(member(ra, field)) + " vs " +
                    text(member(rb, field)) + "): a difference may come from the setup, not the model");
    }
  }
  return out;
}

std::string fixed(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string rate_text(const stats::Rate& rate) {
  return std::to_string(rate.k) + "/" + std::to_string(rate.n) + " " + fixed("%.1f%%", 100 * rate.estimate);
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text += std::string(width - text.size(), ' ');
  return text;
}

Json rate_change_json(const RateChange& change) {
  return Json{{"id", change.id},
              {"kind", change.kind},
              {"a", verdict::rate_json(change.a)},
              {"b", verdict::rate_json(change.b)},
              {"difference", verdict::difference_json(change.difference)},
              {"p", change.p},
              {"p_holm", change.p_holm},
              {"significant", change.significant},
              {"beyond_margin", change.beyond_margin},
              {"changed", change.changed()}};
}

Json change_json(const Change& change) { return Json{{"what", change.what}, {"a", change.a}, {"b", change.b}}; }

Json case_json(const VerdictDiff& diff) {
  Json posterior = Json::array();
  for (const auto& [id, values] : diff.posterior) {
    posterior.push_back(Json{{"hypothesis", id}, {"a", values.first}, {"b", values.second}});
  }
  Json rates = Json::array();
  for (const auto& change : diff.rates) rates.push_back(rate_change_json(change));
  Json outcomes = Json::array();
  for (const auto& change : diff.outcome_changes) outcomes.push_back(change_json(change));
  Json localization = Json::array();
  for (const auto& change : diff.localization) localization.push_back(change_json(change));
  Json out = Json::object();
  out["incident_id"] = diff.incident_id;
  out["a"] = diff.verdict_a;
  out["b"] = diff.verdict_b;
  out["changed"] = diff.changed();
  out["label"] = change_json(diff.label);
  out["top_hypothesis"] = change_json(diff.top_hypothesis);
  out["posterior"] = posterior;
  out["flags_gained"] = diff.flags_gained;
  out["flags_lost"] = diff.flags_lost;
  out["rates"] = rates;
  out["outcome_changes"] = outcomes;
  out["evidence_only_in_a"] = diff.evidence_only_in_a;
  out["evidence_only_in_b"] = diff.evidence_only_in_b;
  out["localization_changes"] = localization;
  out["warnings"] = diff.warnings;
  return out;
}

std::string list_text(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "(none)" : out;
}

std::string case_text(const VerdictDiff& diff) {
  std::string out = diff.incident_id + ": " + diff.label.a + " -> " + diff.label.b +
                    (diff.changed() ? "  CHANGED" : "  no change beyond noise") + "\n";
  std::string posteriors;
  for (const auto& [id, values] : diff.posterior) {
    if (id == diff.top_hypothesis.a || id == diff.top_hypothesis.b) {
      posteriors += (posteriors.empty() ? "" : ", ") + id + " " + fixed("%.3f", values.first) + " -> " +
                    fixed("%.3f", values.second);
    }
  }
  out += "  top hypothesis " + diff.top_hypothesis.a + " -> " + diff.top_hypothesis.b + " (posterior " + posteriors +
         ")\n";
  if (!diff.flags_gained.empty() || !diff.flags_lost.empty()) {
    out += "  flags          gained " + list_text(diff.flags_gained) + "; lost " + list_text(diff.flags_lost) + "\n";
  }
  out += "  " + pad("rate", 32) + pad("A", 14) + pad("B", 14) + pad("B - A [95% CI]", 24) + "p (Holm)\n";
  for (const auto& change : diff.rates) {
    out += "  " + pad(change.id, 32) + pad(rate_text(change.a), 14) + pad(rate_text(change.b), 14) +
           pad(fixed("%+.3f", change.difference.estimate) + " [" + fixed("%+.2f", change.difference.ci.low) + ", " +
                   fixed("%+.2f", change.difference.ci.high) + "]",
               24) +
           fixed("%.2g", change.p_holm) +
           (change.changed()     ? " *"
            : change.significant ? " (within margin)"
                                 : "") +
           "\n";
  }
  for (const auto& change : diff.outcome_changes) {
    out += "  evidence class " + change.what + ": " + change.a + " -> " + change.b + "\n";
  }
  for (const auto& id : diff.evidence_only_in_a) out += "  only in A      " + id + "\n";
  for (const auto& id : diff.evidence_only_in_b) out += "  only in B      " + id + "\n";
  for (const auto& change : diff.localization) {
    out += "  " + change.what + " moved\n    A: " + change.a + "\n    B: " + change.b + "\n";
  }
  for (const auto& warning : diff.warnings) out += "  warning: " + warning + "\n";
  return out;
}

constexpr std::size_t kMaxVerdictBytes = 1u << 30;

bool is_verdict(const Json& document) {
  return document.is_object() && document.value("schema", "") == verdict::kSchema;
}

std::string incident_of(const Json& verdict, const std::string& path) {
  const Json& id = member(member(verdict, "reproducibility"), "incident_id");
  if (!id.is_string()) throw InputError(path + ": the verdict has no reproducibility.incident_id");
  return id;
}

}  // namespace

std::vector<std::pair<std::string, LoadedVerdict>> read_verdicts(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, LoadedVerdict>> out;
  const auto load = [&](const fs::path& file, bool must_be_verdict) {
    Json document = util::parse_json_strict(util::read_text_file(file, kMaxVerdictBytes), file.string());
    if (!is_verdict(document)) {
      if (must_be_verdict) throw InputError(file.string() + ": not a forensics.verdict/v1 document");
      return;
    }
    const std::string id = incident_of(document, file.string());
    for (const auto& [seen, verdict] : out) {
      if (seen == id)
        throw InputError(path.string() + ": two verdicts of incident \"" + id + "\" (" + verdict.path + " and " +
                         file.string() + ")");
    }
    out.push_back({id, {file.string(), std::move(document)}});
  };
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    load(path, true);
    return out;
  }
  const fs::path summary = path / "batch.json";
  if (fs::is_regular_file(summary, ec)) {
    const Json batch = util::parse_json_strict(util::read_text_file(summary, kMaxVerdictBytes), summary.string());
    for (const auto& row : member(batch, "cases").is_array() ? batch["cases"] : Json::array()) {
      if (!row.value("verdict", Json()).is_string()) continue;  // the case could not run
      const fs::path file(row["verdict"].get<std::string>());
      load(file.is_absolute() ? file : path / file, true);
    }
    return out;
  }
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(path, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (it->path().extension() == ".json" && it->is_regular_file(ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) load(file, false);
  if (out.empty()) throw InputError(path.string() + ": no forensics.verdict/v1 documents in this folder");
  return out;
}

BatchDiff diff_verdict_sets(const std::vector<std::pair<std::string, LoadedVerdict>>& a,
                            const std::vector<std::pair<std::string, LoadedVerdict>>& b,
                            const ChangeCriteria& criteria) {
  BatchDiff out;
  out.criteria = criteria;
  for (const auto& [id, verdict] : a) {
    const std::string& wanted = id;  // a structured binding cannot be captured before C++20 (clang 14)
    const auto match = std::find_if(b.begin(), b.end(), [&](const auto& entry) { return entry.first == wanted; });
    if (match == b.end()) {
      out.only_in_a.push_back(id);
      continue;
    }
    VerdictDiff diff = diff_verdicts(verdict.document, match->second.document);
    diff.verdict_a = verdict.path;
    diff.verdict_b = match->second.path;
    out.cases.push_back(std::move(diff));
  }
  for (const auto& entry_b : b) {
    if (std::none_of(a.begin(), a.end(), [&](const auto& entry) { return entry.first == entry_b.first; }))
      out.only_in_b.push_back(entry_b.first);
  }
  correct_for_comparisons(out);
  return out;
}

bool VerdictDiff::changed() const {
  const bool confident = label.a != "inconclusive" || label.b != "inconclusive";
  if (label_changed() || (confident && top_hypothesis.a != top_hypothesis.b)) return true;
  if (!flags_gained.empty() || !flags_lost.empty()) return true;
  return std::any_of(rates.begin(), rates.end(), [](const RateChange& change) { return change.changed(); });
}

std::size_t BatchDiff::comparisons() const {
  std::size_t count = 0;
  for (const auto& c : cases) count += c.rates.size();
  return count;
}

bool BatchDiff::changed() const {
  return !only_in_a.empty() || !only_in_b.empty() ||
         std::any_of(cases.begin(), cases.end(), [](const VerdictDiff& c) { return c.changed(); });
}

VerdictDiff diff_verdicts(const Json& a, const Json& b) {
  VerdictDiff out;
  out.incident_id = member(member(a, "reproducibility"), "incident_id").is_string()
                        ? a["reproducibility"]["incident_id"].get<std::string>()
                        : "(unknown incident)";
  out.label = {"label", a.value("label", ""), b.value("label", "")};
  out.top_hypothesis = {"top_hypothesis", a.value("top_hypothesis", ""), b.value("top_hypothesis", "")};
  for (const auto& [id, value] : member(a, "posterior").items()) {
    const Json& other = member(member(b, "posterior"), id.c_str());
    out.posterior.push_back({id, {value.get<double>(), other.is_number() ? other.get<double>() : 0.0}});
  }
  const auto flags_a = flags_of(a);
  const auto flags_b = flags_of(b);
  std::set_difference(flags_b.begin(), flags_b.end(), flags_a.begin(), flags_a.end(),
                      std::back_inserter(out.flags_gained));
  std::set_difference(flags_a.begin(), flags_a.end(), flags_b.begin(), flags_b.end(),
                      std::back_inserter(out.flags_lost));

  const auto rates_b = rates_of(b);
  for (const auto& [id, kind_rate] : rates_of(a)) {
    const std::string& wanted = id;  // a structured binding cannot be captured before C++20 (clang 14)
    const auto match =
        std::find_if(rates_b.begin(), rates_b.end(), [&](const auto& entry) { return entry.first == wanted; });
    if (match == rates_b.end()) continue;
    RateChange change;
    change.id = id;
    change.kind = kind_rate.first;
    change.a = kind_rate.second;
    change.b = match->second.second;
    change.difference = stats::newcombe(change.b, change.a);
    change.p = stats::fisher_exact_two_sided(change.b.k, change.b.n - change.b.k, change.a.k, change.a.n - change.a.k);
    out.rates.push_back(change);
  }
  const auto outcomes_a = outcomes_of(a);
  const auto outcomes_b = outcomes_of(b);
  for (const auto& [id, outcome] : outcomes_a) {
    const std::string* other = outcome_in(outcomes_b, id);
    if (other == nullptr) {
      out.evidence_only_in_a.push_back(id);
    } else if (*other != outcome) {
      out.outcome_changes.push_back({id, outcome, *other});
    }
  }
  for (const auto& [id, outcome] : outcomes_b) {
    if (outcome_in(outcomes_a, id) == nullptr) out.evidence_only_in_b.push_back(id);
  }
  const Json fields_a = key_fields(a);
  const Json fields_b = key_fields(b);
  for (const char* field : {"ablate_top_segment", "patch_early_residual_effect"}) {
    const Json& value_a = member(fields_a, field);
    const Json& value_b = member(fields_b, field);
    if (value_a != value_b) out.localization.push_back({field, localization_text(value_a), localization_text(value_b)});
  }
  out.warnings = setup_warnings(a, b);
  return out;
}

void correct_for_comparisons(BatchDiff& diff) {
  std::vector<RateChange*> all;
  for (auto& c : diff.cases) {
    for (auto& change : c.rates) all.push_back(&change);
  }
  std::stable_sort(all.begin(), all.end(), [](const RateChange* x, const RateChange* y) { return x->p < y->p; });
  // Holm (1979): the i-th smallest p times (m - i), made monotone, capped at 1.
  const std::size_t m = all.size();
  double running = 0;
  for (std::size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - i) * all[i]->p));
    all[i]->p_holm = running;
    all[i]->significant = running < diff.criteria.alpha;
    const auto& ci = all[i]->difference.ci;
    all[i]->beyond_margin = ci.low > diff.criteria.min_change || ci.high < -diff.criteria.min_change;
  }
}

Json diff_json(const BatchDiff& diff) {
  Json cases = Json::array();
  for (const auto& c : diff.cases) cases.push_back(case_json(c));
  Json out = Json::object();
  out["schema"] = kDiffSchema;
  out["alpha"] = diff.criteria.alpha;
  out["min_change"] = diff.criteria.min_change;
  out["correction"] = "holm";
  out["comparisons"] = diff.comparisons();
  out["changed"] = diff.changed();
  out["cases"] = cases;
  out["only_in_a"] = diff.only_in_a;
  out["only_in_b"] = diff.only_in_b;
  return out;
}

std::string diff_text(const BatchDiff& diff) {
  std::string out;
  std::size_t changed = 0;
  for (const auto& c : diff.cases) {
    out += case_text(c) + "\n";
    if (c.changed()) ++changed;
  }
  for (const auto& id : diff.only_in_a) out += id + ": only in A\n";
  for (const auto& id : diff.only_in_b) out += id + ": only in B\n";
  const std::size_t one_sided = diff.only_in_a.size() + diff.only_in_b.size();
  out += std::to_string(changed) + " of " + std::to_string(diff.cases.size()) + " case(s) changed" +
         (one_sided > 0 ? ", " + std::to_string(one_sided) + " on one side only" : "") + " (alpha " +
         fixed("%g", diff.criteria.alpha) + ", Holm over " + std::to_string(diff.comparisons()) +
         " rate comparisons; * a rate that moved significantly and by more than " +
         fixed("%g", diff.criteria.min_change) + ")\n";
  return out;
}

}  // namespace forensics::report
