#include "forensics/incident/reader.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "forensics/incident/chat_format.h"
#include "forensics/incident/model_template.h"
#include "forensics/incident/template_renderer.h"
#include "forensics/util/json_document.h"
#include "forensics/util/text.h"
#include "read_parts.h"

namespace forensics::incident {

using util::JsonPath;
using util::Need;
using util::ObjectReader;
using namespace detail;
namespace fs = std::filesystem;

namespace {

const JsonPath kRoot;

// Returns false when the document is not v1, in which case nothing else is worth checking:
// a newer file's fields are not errors, only unknown to this build.
bool check_schema(ObjectReader& reader) {
  auto schema = reader.string("schema", Need::kRequired);
  if (!schema) return false;
  const std::string prefix = std::string(kSchemaName) + "/v";
  if (schema->rfind(prefix, 0) != 0) {
    reader.diagnostics().error(kRoot / "schema",
                               "expected \"" + prefix + "1\", got \"" + *schema + "\"; is this an incident file?");
    return false;
  }
  const std::string version = schema->substr(prefix.size());
  const bool numeric = !version.empty() && version.size() < 9 && version[0] != '0' &&
                       version.find_first_not_of("0123456789") == std::string::npos;
  if (!numeric) {
    reader.diagnostics().error(kRoot / "schema",
                               "malformed version in \"" + *schema + "\"; expected \"" + prefix + "1\"");
    return false;
  }
  if (std::stoi(version) > kSchemaVersion) {
    reader.diagnostics().error(kRoot / "schema", "this file uses schema v" + version + ", newer than the v" +
                                                     std::to_string(kSchemaVersion) +
                                                     " this build of forensics reads; upgrade forensics to read it");
    return false;
  }
  return true;
}

// "model" (the model directory's own chat template) or the name of a built-in format.
std::optional<Format> format_named(const Json& value, const JsonPath& path, util::Diagnostics& diagnostics) {
  Format format;
  if (value == "model") {
    format.model = true;
    return format;
  }
  const auto parsed = value.is_string() ? kChatTemplateNames.parse(value.get<std::string>()) : std::nullopt;
  if (!parsed) {
    diagnostics.error(path, "expected \"model\" (the model's own chat template) or " + kChatTemplateNames.choices() +
                                ", got " + value.dump());
    return std::nullopt;
  }
  format.chat_template = *parsed;
  return format;
}

std::optional<Format> read_format(const Json& value, const JsonPath& path, util::Diagnostics& diagnostics) {
  if (value.is_string()) return format_named(value, path, diagnostics);  // shorthand: "format": "chatml"
  ObjectReader reader(value, path, diagnostics);
  if (!reader.is_object()) return std::nullopt;
  const Json* name = reader.any("template", Need::kRequired, "string");
  reader.finish();
  if (name == nullptr) return std::nullopt;
  return format_named(*name, path / "template", diagnostics);
}

// `"template": "model"`: the model directory's chat template, parsed now so that an unsupported
// construct is reported by validate, not halfway through a run.
void load_model_template(Format& format, const ModelRef& model, util::Diagnostics& diagnostics) {
  try {
    auto chat_template = read_model_chat_template(model.path);
    if (!chat_template) {
      diagnostics.error(kRoot / "format", "\"model\": " + model.path_as_written +
                                              " has no chat template (chat_template.jinja, or chat_template in "
                                              "tokenizer_config.json); name a built-in format instead");
      return;
    }
    format.model_template = std::make_shared<const TemplateRenderer>(std::move(*chat_template));
  } catch (const Error& e) {
    diagnostics.error(kRoot / "format", std::string("\"model\": ") + e.what());
  }
}

// The probes cut the action's prompt and turn out of the template's rendering: check they can.
void check_template_cuts(const Incident& incident, util::Diagnostics& diagnostics) {
  try {
    render_prompt(incident.transcript, incident.action.message, incident.format);
    render_turn(incident.transcript, incident.action.message, incident.format);
  } catch (const Error& e) {
    diagnostics.error(kRoot / "format", std::string("the model's chat template, on this transcript: ") + e.what());
  }
}

// `forensics import` writes {"fill_in": "what to write"} where only a person can write the value;
// such a field is one clear error, not a type error.
bool is_fill_in(ObjectReader& top, const Json& document, const char* key, util::Diagnostics& diagnostics) {
  if (!top.has(key)) return false;
  const Json& value = document[key];
  if (!value.is_object() || !value.contains("fill_in")) return false;
  const Json& hint = value["fill_in"];
  diagnostics.error(kRoot / key, "to fill in: " + (hint.is_string() ? hint.get<std::string>() : hint.dump()));
  return true;
}

std::vector<Hypothesis> read_hypotheses(ObjectReader& top, util::Diagnostics& diagnostics) {
  std::vector<Hypothesis> hypotheses;
  const Json* list = top.array("hypotheses", Need::kRequired);
  if (list == nullptr) return hypotheses;
  const JsonPath path = kRoot / "hypotheses";
  std::set<std::string> ids;
  std::size_t with_prior = 0;
  double prior_sum = 0;
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader reader((*list)[i], path / i, diagnostics);
    if (!reader.is_object()) continue;
    Hypothesis hypothesis;
    auto id = reader.text("id", Need::kRequired);
    auto kind = reader.enumeration("kind", Need::kRequired, kHypothesisKindNames);
    auto claim = reader.text("claim", Need::kRequired);
    hypothesis.prior = reader.number("prior", Need::kOptional, 0.0, 1.0);
    if (const Json* stated_by = reader.object("stated_by", Need::kOptional)) {
      hypothesis.stated_by = read_matcher(*stated_by, path / i / "stated_by", diagnostics);
    }
    reader.finish();
    if (id && !util::is_slug(*id)) {
      diagnostics.error(path / i / "id",
                        "expected lowercase letters, digits, '.', '_' or '-' "
                        "(at most 64), got \"" +
                            util::abbreviate(*id) + "\"");
      id.reset();
    }
    if (id && !ids.insert(*id).second) {
      diagnostics.error(path / i / "id", "duplicate hypothesis id \"" + *id + "\"");
      id.reset();
    }
    if (hypothesis.prior) {
      if (*hypothesis.prior <= 0.0 || *hypothesis.prior >= 1.0) {
        diagnostics.error(path / i / "prior", "expected a prior strictly between 0 and 1");
      }
      ++with_prior;
      prior_sum += *hypothesis.prior;
    }
    if (!id || !kind || !claim) continue;
    hypothesis.id = *id;
    hypothesis.kind = *kind;
    hypothesis.claim = *claim;
    hypotheses.push_back(std::move(hypothesis));
  }
  if (list->size() < 2) {
    diagnostics.error(path, "expected at least two rival hypotheses, got " + std::to_string(list->size()));
  }
  if (with_prior != 0 && with_prior != list->size()) {
    diagnostics.error(path, "either every hypothesis gives a prior or none does (" + std::to_string(with_prior) +
                                " of " + std::to_string(list->size()) + " do)");
  } else if (with_prior != 0 && std::abs(prior_sum - 1.0) > 1e-6) {
    diagnostics.error(path, "priors must sum to 1, they sum to " + Json(prior_sum).dump());
  }
  for (const auto& entry : kHypothesisKindNames.entries()) {
    bool present = false;
    for (const auto& hypothesis : hypotheses) present = present || hypothesis.kind == entry.value;
    if (!present && hypotheses.size() == list->size()) {
      diagnostics.warning(path, "no hypothesis of kind \"" + std::string(entry.name) +
                                    "\": the verdict can never be \"" + std::string(entry.name) + "\"");
    }
  }
  return hypotheses;
}

bool all_same(const std::vector<Prediction>& predictions) {
  for (const auto& prediction : predictions) {
    if (prediction.direction != predictions.front().direction) return false;
  }
  return true;
}

// Applies edits to the transcript now, so an edit that would fail at investigation time fails
// at validation time instead, with its path.
void check_edits_apply(const std::vector<Edit>& edits, const Incident& incident, const JsonPath& edits_path,
                       util::Diagnostics& diagnostics, const std::string& context = "") {
  try {
    apply_edits(incident.transcript, incident.action.message, edits);
  } catch (const EditError& e) {
    diagnostics.error(edits_path / e.edit_index(), context + e.what());
  }
}

void check_unique_id(const std::string& id, const JsonPath& path, std::set<std::string>& ids,
                     util::Diagnostics& diagnostics) {
  if (!util::is_slug(id)) {
    diagnostics.error(path,
                      "expected lowercase letters, digits, '.', '_' or '-' (at most 64), "
                      "got \"" +
                          util::abbreviate(id) + "\"");
  } else if (!ids.insert(id).second) {
    diagnostics.error(path, "duplicate id \"" + id +
                                "\" (interventions and sweeps share one "
                                "namespace: each is one row of evidence)");
  }
}

/// What interventions and sweeps share: one row of evidence each, in one id namespace.
struct EvidenceFields {
  std::optional<std::string> id;
  std::string description;
  std::optional<std::vector<Edit>> edits;
  std::optional<std::vector<Prediction>> predicts;
  std::vector<std::string> confounds;
};

EvidenceFields read_evidence_fields(ObjectReader& reader, const Incident& incident) {
  EvidenceFields out;
  out.id = reader.text("id", Need::kRequired);
  out.description = reader.string("description", Need::kOptional).value_or("");
  out.edits = read_edits(reader, "edits");
  out.predicts = read_predictions(reader, incident.hypotheses);
  out.confounds = read_confounds(reader);
  return out;
}

/// Calls `read(reader, path)` for every object of the array `key` (absent: none).
template <class Read>
void for_each_object(ObjectReader& top, const char* key, util::Diagnostics& diagnostics, Read&& read) {
  const Json* list = top.array(key, Need::kOptional);
  if (list == nullptr) return;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const JsonPath path = kRoot / key / i;
    ObjectReader reader((*list)[i], path, diagnostics);
    if (reader.is_object()) read(reader, path);
  }
}

void read_interventions(ObjectReader& top, Incident& incident, bool context_ok, std::set<std::string>& ids,
                        util::Diagnostics& diagnostics) {
  for_each_object(top, "interventions", diagnostics, [&](ObjectReader& reader, const JsonPath& path) {
    EvidenceFields fields = read_evidence_fields(reader, incident);
    reader.finish();
    if (fields.id) check_unique_id(*fields.id, path / "id", ids, diagnostics);
    if (fields.edits && context_ok) check_edits_apply(*fields.edits, incident, path / "edits", diagnostics);
    if (fields.predicts && !fields.predicts->empty() && all_same(*fields.predicts)) {
      diagnostics.warning(path / "predicts",
                          "every hypothesis predicts the same; this "
                          "intervention cannot tell them apart");
    }
    if (!fields.id || !fields.edits || !fields.predicts) return;
    incident.interventions.push_back(
        {*fields.id, fields.description, std::move(*fields.edits), std::move(*fields.predicts), fields.confounds});
  });
}

bool mentions_placeholder(const Edit& edit) {
  auto has = [](const std::string& text) { return text.find(kSweepPlaceholder) != std::string::npos; };
  return has(edit.find) || has(edit.text) || (edit.new_message && has(edit.new_message->content));
}

std::optional<std::vector<SweepValue>> read_sweep_values(ObjectReader& reader) {
  util::Diagnostics& diagnostics = reader.diagnostics();
  const Json* values = reader.array("values", Need::kRequired);
  auto doses = reader.array("doses", Need::kOptional);
  if (values == nullptr) return std::nullopt;
  if (values->size() < 2) {
    diagnostics.error(reader.path() / "values", "expected at least two values for a trend");
    return std::nullopt;
  }
  if (doses != nullptr && doses->size() != values->size()) {
    diagnostics.error(reader.path() / "doses", "expected one dose per value (" + std::to_string(values->size()) +
                                                   "), got " + std::to_string(doses->size()));
    return std::nullopt;
  }
  std::vector<SweepValue> out;
  std::set<std::string> labels;
  bool ok = true;
  for (std::size_t k = 0; k < values->size(); ++k) {
    const Json& value = (*values)[k];
    SweepValue sweep_value;
    if (value.is_number()) {
      // Integral numbers print without a fraction, so 1e3 and 1000 both read "1000" in the text.
      const double number = value.get<double>();
      const bool integral = std::isfinite(number) && std::floor(number) == number && std::abs(number) < 1e15;
      sweep_value.label = integral ? std::to_string(static_cast<long long>(number)) : value.dump();
      sweep_value.dose = number;
    } else if (value.is_string()) {
      sweep_value.label = value.get<std::string>();
      sweep_value.dose = static_cast<double>(k);
    } else {
      diagnostics.error(reader.path() / "values" / k, "expected number or string, got " + util::json_type_name(value));
      ok = false;
      continue;
    }
    if (doses != nullptr) {
      const Json& dose = (*doses)[k];
      if (!dose.is_number() || !std::isfinite(dose.get<double>())) {
        diagnostics.error(reader.path() / "doses" / k, "expected a finite number, got " + dose.dump());
        ok = false;
      } else {
        sweep_value.dose = dose.get<double>();
      }
    }
    if (!labels.insert(sweep_value.label).second) {
      diagnostics.error(reader.path() / "values" / k, "value listed twice: " + sweep_value.label);
      ok = false;
    }
    out.push_back(sweep_value);
  }
  if (!ok) return std::nullopt;
  return out;
}

void read_sweeps(ObjectReader& top, Incident& incident, bool context_ok, std::set<std::string>& ids,
                 util::Diagnostics& diagnostics) {
  for_each_object(top, "sweeps", diagnostics, [&](ObjectReader& reader, const JsonPath& path) {
    EvidenceFields fields = read_evidence_fields(reader, incident);
    auto values = read_sweep_values(reader);
    reader.finish();
    if (fields.id) check_unique_id(*fields.id, path / "id", ids, diagnostics);
    auto& edits = fields.edits;
    if (edits && std::none_of(edits->begin(), edits->end(), mentions_placeholder)) {
      diagnostics.error(path / "edits", std::string("no edit mentions ") + kSweepPlaceholder +
                                            "; a sweep substitutes each value there");
      edits.reset();
    }
    Sweep sweep;
    if (edits && values && context_ok) {
      sweep.edits = *edits;
      for (const auto& value : *values) {
        check_edits_apply(sweep_edits_for(sweep, value), incident, path / "edits", diagnostics,
                          "with value " + value.label + ": ");
      }
    }
    if (!fields.id || !edits || !values || !fields.predicts) return;
    sweep.id = *fields.id;
    sweep.description = fields.description;
    sweep.edits = std::move(*edits);
    sweep.values = std::move(*values);
    sweep.predicts = std::move(*fields.predicts);
    sweep.confounds = fields.confounds;
    incident.sweeps.push_back(std::move(sweep));
  });
}

void check_has_evidence(const Incident& incident, util::Diagnostics& diagnostics) {
  if (incident.interventions.empty() && incident.sweeps.empty()) {
    diagnostics.warning(kRoot,
                        "no interventions or sweeps: without them the verdict can only "
                        "be \"inconclusive\"");
  }
}

/// Everything a counterfactual writes (replacement and inserted texts, added messages): a
/// hypothesis' stated_by that matches one of them would take a CoT sentence repeating a neutral
/// or added text for a statement of that hypothesis.
std::vector<std::pair<std::string, std::string>> written_texts(const Incident& incident) {
  std::vector<std::pair<std::string, std::string>> out;  // (where, text)
  const auto add = [&](const std::string& where, const std::vector<Edit>& edits) {
    for (std::size_t e = 0; e < edits.size(); ++e) {
      const Edit& edit = edits[e];
      if (!edit.text.empty()) out.emplace_back(where + ".edits[" + std::to_string(e) + "]", edit.text);
      if (edit.new_message) out.emplace_back(where + ".edits[" + std::to_string(e) + "]", edit.new_message->content);
    }
  };
  for (std::size_t i = 0; i < incident.interventions.size(); ++i) {
    add("interventions[" + std::to_string(i) + "]", incident.interventions[i].edits);
  }
  return out;
}

/// A stated_by that also matches a counterfactual's text or the task's own words would link
/// sentences that give no reason (docs/verdict.md §8): say so.
void check_stated_by(const Incident& incident, util::Diagnostics& diagnostics) {
  const auto written = written_texts(incident);
  const std::string task = task_text(incident);
  for (std::size_t h = 0; h < incident.hypotheses.size(); ++h) {
    const auto& spec = incident.hypotheses[h].stated_by;
    if (!spec) continue;
    const ActionMatcher matcher(*spec);
    const JsonPath path = kRoot / "hypotheses" / h / "stated_by";
    for (const auto& [where, text] : written) {
      if (const auto match = matcher.find(text)) {
        diagnostics.warning(path, "matches \"" +
                                      util::abbreviate(text.substr(match->begin, match->end - match->begin)) +
                                      "\" in " + where +
                                      ", a text a counterfactual writes: a chain of thought "
                                      "repeating it would be taken to give this hypothesis as its reason");
      }
    }
    if (const auto match = matcher.find(task)) {
      diagnostics.warning(path,
                          "matches \"" + util::abbreviate(task.substr(match->begin, match->end - match->begin)) +
                              "\" in the task itself (the context outside the interventions' texts): a chain "
                              "of thought restating the task would be taken to give this hypothesis as its reason");
    }
  }
}

/// Looks inside the model directory (runtime::check_model_directory) and reports its problems
/// at `model.path`, or at `model.weights_sha256` for a hash mismatch. A directory that does not
/// exist yet is only a warning unless the caller needs the model.
std::optional<runtime::ModelDirectoryCheck> check_model(const ModelRef& model, const IncidentCheckOptions& options,
                                                        util::Diagnostics& diagnostics) {
  runtime::ModelCheckOptions model_options;
  model_options.expected_sha256 = model.weights_sha256;
  model_options.hash_weights = options.hash_weights;
  model_options.scan_weights = options.scan_weights;
  model_options.weights_optional = options.weights_optional;
  runtime::ModelDirectoryCheck check = runtime::check_model_directory(model.path, model_options);
  const JsonPath path = kRoot / "model" / "path";
  const std::string named = " (model.path \"" + model.path_as_written + "\")";
  for (const auto& problem : check.problems) {
    switch (problem.kind) {
      case runtime::ModelProblemKind::kMissing:
        if (options.model_must_exist) {
          diagnostics.error(path,
                            problem.message + named + "; point model.path at the model the incident was captured with");
        } else {
          diagnostics.warning(
              path, problem.message + named + " (yet); validation went on without it, but investigate needs it");
        }
        break;
      case runtime::ModelProblemKind::kUnusable: diagnostics.error(path, problem.message); break;
      case runtime::ModelProblemKind::kHashMismatch:
        diagnostics.error(kRoot / "model" / "weights_sha256", problem.message);
        break;
    }
  }
  return check;
}

/// The format's special tokens (role headers, end of turn) must be single tokens of the model's
/// tokenizer: otherwise the rendered prompts are text the model never saw as markup, and the run
/// measures nothing (e.g. "llama3" on a ChatML model reproduces no action).
void check_format_markers(const Format& format, const runtime::Tokenizer& tokenizer, util::Diagnostics& diagnostics) {
  const auto missing = [&](ChatTemplate chat_template) { return missing_markers(chat_template, tokenizer); };
  const auto absent = missing(format.chat_template);
  if (absent.empty()) return;
  std::string list;
  for (const auto& token : absent) list += (list.empty() ? "\"" : ", \"") + token + "\"";
  std::string message = "format \"" + std::string(kChatTemplateNames.name(format.chat_template)) + "\" writes " + list +
                        ", which the model's tokenizer does not have as single tokens: the prompts would " +
                        "not be the markup the model was trained on, and the run would measure little";
  for (const auto& entry : kChatTemplateNames.entries()) {
    if (entry.value != format.chat_template && missing(entry.value).empty()) {
      message += "; the tokenizer has the markers of \"" + std::string(entry.name) + "\": set \"format\": \"" +
                 std::string(entry.name) + "\"";
      break;
    }
  }
  diagnostics.warning(kRoot / "format", message);
}

// The built-in format against the model's own chat template, on the action's prompt and turn
// (model_template.h): a difference means the probes would ask about a prompt the model never saw.
void check_model_template(const Transcript& transcript, std::size_t action_message, const Format& format,
                          const ModelRef& model, util::Diagnostics& diagnostics) {
  try {
    const auto model_template = read_model_chat_template(model.path);
    if (!model_template) return;
    const auto mismatch = template_mismatch(transcript, action_message, format.chat_template, *model_template);
    if (!mismatch) return;
    diagnostics.warning(kRoot / "format", "the model's own chat template (" + model_template->origin +
                                              ") renders this transcript differently: " + *mismatch +
                                              "; the probes would ask about a prompt the model never saw");
  } catch (const Error& e) {  // an unreadable config or a template the engine cannot render
    diagnostics.warning(kRoot / "format",
                        std::string("the model's chat template could not be checked against the format: ") + e.what());
  }
}

}  // namespace

IncidentCheck check_incident(const Json& document, const fs::path& source, const IncidentCheckOptions& options) {
  IncidentCheck check;
  util::Diagnostics& diagnostics = check.diagnostics;
  ObjectReader top(document, kRoot, diagnostics);
  if (!top.is_object()) return check;
  top.string("$schema", Need::kOptional);  // editors' schema hint; carries no meaning here
  if (!check_schema(top)) return check;

  Incident incident;
  incident.source = source;
  auto id = top.text("id", Need::kRequired);
  if (id && !util::is_slug(*id)) {
    diagnostics.error(kRoot / "id",
                      "expected lowercase letters, digits, '.', '_' or '-' (at "
                      "most 64), got \"" +
                          util::abbreviate(*id) + "\"");
  }
  incident.title = top.string("title", Need::kOptional).value_or("");
  incident.notes = top.string("notes", Need::kOptional).value_or("");
  incident.seed = static_cast<std::uint64_t>(
      top.integer("seed", Need::kOptional, 0, std::numeric_limits<std::int64_t>::max()).value_or(0));

  std::optional<Format> format;
  if (const Json* value = top.any("format", Need::kRequired, "string or object")) {
    format = read_format(*value, kRoot / "format", diagnostics);
  }
  std::optional<ModelRef> model;
  if (const Json* value = top.any("model", Need::kRequired, "object")) {
    model = read_model(*value, kRoot / "model", source.parent_path(), diagnostics);
    if (model) check.model = check_model(*model, options, diagnostics);
  }
  if (format && format->model && model && check.model && check.model->usable()) {
    load_model_template(*format, *model, diagnostics);
  } else if (format && !format->model && check.model && check.model->tokenizer) {
    check_format_markers(*format, *check.model->tokenizer, diagnostics);
  }
  std::optional<Transcript> transcript;
  if (const Json* value = top.any("transcript", Need::kRequired, "object")) {
    transcript = read_transcript(*value, kRoot / "transcript", diagnostics);
  }
  std::optional<Action> action;
  if (const Json* value = top.any("action", Need::kRequired, "object")) {
    action = read_action(*value, kRoot / "action", transcript, diagnostics);
  }
  if (!is_fill_in(top, document, "hypotheses", diagnostics)) incident.hypotheses = read_hypotheses(top, diagnostics);

  // Edits are checked against the transcript only when the transcript and the action are sound;
  // otherwise their failures would repeat errors already reported.
  const bool context_ok = transcript && action;
  if (context_ok) {
    incident.transcript = *transcript;
    incident.action = *action;
  }
  std::set<std::string> evidence_ids;
  const bool interventions_to_fill = is_fill_in(top, document, "interventions", diagnostics);
  if (!interventions_to_fill) read_interventions(top, incident, context_ok, evidence_ids, diagnostics);
  read_sweeps(top, incident, context_ok, evidence_ids, diagnostics);
  if (const Json* value = top.object("probes", Need::kOptional)) incident.probes = *value;
  top.finish();

  if (context_ok) {
    if (!interventions_to_fill) check_has_evidence(incident, diagnostics);
    check_stated_by(incident, diagnostics);
    if (format && !format->model && model && check.model && check.model->usable()) {
      check_model_template(incident.transcript, incident.action.message, *format, *model, diagnostics);
    }
    if (format && format->model_template) {
      incident.format = *format;
      check_template_cuts(incident, diagnostics);
    }
  }
  if (diagnostics.has_errors() || !id || !model || !format || !context_ok) return check;
  incident.id = *id;
  incident.model = *model;
  incident.format = *format;
  check.incident = std::move(incident);
  return check;
}

IncidentCheck check_incident_file(const fs::path& path, const IncidentCheckOptions& options) {
  const std::string text = util::read_text_file(path, kMaxIncidentBytes);
  const Json document = util::parse_json_strict(text, path.string());
  const fs::path absolute = fs::absolute(path).lexically_normal();
  return check_incident(document, absolute, options);
}

InvalidIncident::InvalidIncident(const fs::path& path, util::Diagnostics diagnostics)
    : InputError(path.string() + ": invalid incident (" + std::to_string(diagnostics.error_count()) + " error(s)):\n" +
                 diagnostics.format()),
      diagnostics_(std::move(diagnostics)) {}

Incident load_incident(const fs::path& path, const IncidentCheckOptions& options) {
  IncidentCheck check = check_incident_file(path, options);
  if (!check.incident) throw InvalidIncident(path, std::move(check.diagnostics));
  return std::move(*check.incident);
}

std::vector<std::string> missing_markers(ChatTemplate chat_template, const runtime::Tokenizer& tokenizer) {
  std::vector<std::string> out;
  for (const auto token : chat_markers(chat_template).special_tokens) {
    if (!tokenizer.token_to_id(token)) out.emplace_back(token);
  }
  return out;
}

std::optional<ChatTemplate> chat_format_of(const runtime::Tokenizer& tokenizer) {
  for (const auto& entry : kChatTemplateNames.entries()) {
    if (missing_markers(entry.value, tokenizer).empty()) return entry.value;
  }
  return std::nullopt;
}

}  // namespace forensics::incident
