// Reading and checking organism recipes and their environments. Every problem is collected with
// its JSON path before failing, as for incidents, so one run shows them all.
#include <algorithm>
#include <cmath>
#include <set>

#include "forensics/organism/organism.h"
#include "forensics/organism/recipe.h"
#include "forensics/util/diagnostics.h"
#include "forensics/util/json_document.h"
#include "forensics/util/json_reader.h"
#include "forensics/util/regex.h"

namespace forensics::organism {

using util::Diagnostics;
using util::JsonPath;
using util::Need;
using util::ObjectReader;

namespace {

constexpr std::size_t kMaxRecipeBytes = 4 << 20;

std::vector<std::string> nonempty_list(ObjectReader& reader, std::string_view key, Need need) {
  auto list = reader.string_list(key, need).value_or(std::vector<std::string>{});
  if (reader.has(key) && list.empty()) {
    reader.diagnostics().error(reader.path() / key, "expected at least one string");
  }
  return list;
}

std::array<std::size_t, 2> read_range(ObjectReader& reader, std::string_view key, std::size_t limit) {
  const Json* value = reader.array(key, Need::kOptional);
  if (value == nullptr) return {0, 0};
  if (value->size() != 2 || !(*value)[0].is_number_unsigned() || !(*value)[1].is_number_unsigned() ||
      (*value)[0].get<std::size_t>() > (*value)[1].get<std::size_t>()) {
    reader.diagnostics().error(reader.path() / key, "expected [min, max] with 0 <= min <= max");
    return {0, 0};
  }
  std::array<std::size_t, 2> range{(*value)[0].get<std::size_t>(), (*value)[1].get<std::size_t>()};
  if (range[1] > limit) {
    reader.diagnostics().error(reader.path() / key, "max " + std::to_string(range[1]) + " exceeds the " +
                                                        std::to_string(limit) + " lines available");
  }
  return range;
}

void check_regex(const std::string& pattern, const JsonPath& path, Diagnostics& diagnostics) {
  try {
    util::Regex compiled(pattern);
  } catch (const util::RegexError& e) {
    diagnostics.error(path, std::string("invalid regex: ") + e.what());
  }
}

// `{name}` placeholders must name a slot; braces in other uses (JSON inside a template) would
// be ambiguous, so every `{word}` is checked.
void check_slots(const std::string& text, const std::map<std::string, std::vector<std::string>>& slots,
                 const JsonPath& path, Diagnostics& diagnostics) {
  std::size_t at = 0;
  while ((at = text.find('{', at)) != std::string::npos) {
    const std::size_t close = text.find('}', at);
    if (close == std::string::npos) break;
    const std::string name = text.substr(at + 1, close - at - 1);
    if (!name.empty() && name.find_first_of(" \n\"") == std::string::npos && !slots.count(name)) {
      diagnostics.error(path, "unknown slot {" + name + "}; declare it under \"slots\"");
    }
    at = close;
  }
}

// A cue -> promotes/suppresses/none map (a hypothesis' claim or the planted truth).
std::map<std::string, CueEffect> read_cue_effects(ObjectReader& reader, Diagnostics& diagnostics) {
  std::map<std::string, CueEffect> effects;
  const Json* value = reader.object("cue_effects", Need::kRequired);
  if (value == nullptr) return effects;
  for (const auto& [cue, effect] : value->items()) {
    auto parsed = effect.is_string() ? kCueEffectNames.parse(effect.get<std::string>()) : std::nullopt;
    if (!parsed) {
      diagnostics.error(reader.path() / "cue_effects" / cue, "expected " + kCueEffectNames.choices());
      continue;
    }
    effects[cue] = *parsed;
  }
  return effects;
}

MessageTemplate read_message(const Json& value, const JsonPath& path, Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  MessageTemplate message;
  message.role = reader.enumeration("role", Need::kRequired, incident::kRoleNames).value_or(incident::Role::kUser);
  message.decision = reader.boolean("decision", Need::kOptional).value_or(false);
  if (const Json* call = reader.object("tool_call", Need::kOptional)) {
    ObjectReader call_reader(*call, path / "tool_call", diagnostics);
    incident::ToolCall tool_call;
    tool_call.name = call_reader.text("name", Need::kRequired).value_or("");
    if (const Json* arguments = call_reader.object("arguments", Need::kRequired)) {
      tool_call.arguments = *arguments;
    }
    call_reader.finish();
    message.tool_call = tool_call;
  }
  const bool needs_text = !message.decision && !message.tool_call;
  message.paraphrases = nonempty_list(reader, "paraphrases", needs_text ? Need::kRequired : Need::kOptional);
  message.distractors = reader.string_list("distractors", Need::kOptional).value_or(std::vector<std::string>{});
  message.distractor_count = read_range(reader, "distractor_count", message.distractors.size());
  reader.finish();
  if ((message.decision || message.tool_call) && message.role != incident::Role::kAssistant) {
    diagnostics.error(path / "role", "a tool_call or decision turn must be an assistant message");
  }
  if (message.decision && (message.tool_call || !message.paraphrases.empty())) {
    diagnostics.error(path,
                      "the decision turn is generated from the policy: it takes no "
                      "paraphrases or tool_call");
  }
  return message;
}

Environment read_environment(const Json& document, Diagnostics& diagnostics) {
  const JsonPath root = JsonPath() / "environment";
  ObjectReader reader(document, root, diagnostics);
  Environment environment;
  auto schema = reader.string("schema", Need::kRequired);
  if (schema && *schema != kEnvironmentSchema) {
    diagnostics.error(root / "schema", std::string("expected \"") + kEnvironmentSchema + "\", got \"" + *schema + "\"");
  }
  environment.name = reader.text("name", Need::kRequired).value_or("");
  environment.description = reader.string("description", Need::kOptional).value_or("");
  environment.format = reader.enumeration("format", Need::kRequired, incident::kChatTemplateNames)
                           .value_or(incident::ChatTemplate::kChatml);
  if (const Json* slots = reader.object("slots", Need::kOptional)) {
    for (const auto& [name, fillers] : slots->items()) {
      const JsonPath slot_path = root / "slots" / name;
      if (!fillers.is_array() || fillers.empty()) {
        diagnostics.error(slot_path, "expected a non-empty array of strings");
        continue;
      }
      for (std::size_t i = 0; i < fillers.size(); ++i) {
        if (!fillers[i].is_string()) {
          diagnostics.error(slot_path / i, "expected a string");
        } else {
          environment.slots[name].push_back(fillers[i].get<std::string>());
        }
      }
    }
  }
  if (const Json* messages = reader.array("messages", Need::kRequired)) {
    for (std::size_t i = 0; i < messages->size(); ++i) {
      environment.messages.push_back(read_message((*messages)[i], root / "messages" / i, diagnostics));
    }
  }
  std::size_t decisions = 0;
  for (std::size_t i = 0; i < environment.messages.size(); ++i) {
    if (environment.messages[i].decision) {
      ++decisions;
      if (i + 1 != environment.messages.size()) {
        diagnostics.error(root / "messages" / i, "the decision turn must be the last message");
      }
    }
  }
  if (decisions != 1) {
    diagnostics.error(root / "messages",
                      "expected exactly one message with \"decision\": true, found " + std::to_string(decisions));
  }
  if (const Json* cues = reader.array("cues", Need::kRequired)) {
    if (cues->empty() || cues->size() > 8) {
      diagnostics.error(root / "cues", "expected 1 to 8 cues (the eval table has 2^cues cells)");
    }
    std::set<std::string> ids;
    for (std::size_t i = 0; i < cues->size(); ++i) {
      const JsonPath path = root / "cues" / i;
      ObjectReader cue_reader((*cues)[i], path, diagnostics);
      Cue cue;
      cue.id = cue_reader.text("id", Need::kRequired).value_or("");
      cue.message = static_cast<std::size_t>(cue_reader.integer("message", Need::kRequired, 0, 1000).value_or(0));
      cue.description = cue_reader.string("description", Need::kOptional).value_or("");
      cue.text = cue_reader.text("text", Need::kRequired).value_or("");
      cue.neutral = cue_reader.text("neutral", Need::kRequired).value_or("");
      cue.confounds = cue_reader.string_list("confounds", Need::kOptional).value_or(std::vector<std::string>{});
      cue_reader.finish();
      if (!cue.id.empty() && !ids.insert(cue.id).second) {
        diagnostics.error(path / "id", "duplicate cue id \"" + cue.id + "\"");
      }
      if (cue.message >= environment.messages.size() || environment.messages[cue.message].paraphrases.empty()) {
        diagnostics.error(path / "message", "must index a text message (one with paraphrases)");
      }
      if (cue.text.find('\n') != std::string::npos || cue.neutral.find('\n') != std::string::npos) {
        diagnostics.error(path, "a cue's text and neutral text are single lines");
      }
      environment.cues.push_back(std::move(cue));
    }
  }
  environment.neutral_probability = reader.number("neutral_probability", Need::kOptional, 0, 1).value_or(0.5);

  if (const Json* action = reader.object("action", Need::kRequired)) {
    const JsonPath path = root / "action";
    ObjectReader action_reader(*action, path, diagnostics);
    ActionSpec& spec = environment.action;
    // Both or neither: without them the action is the final answer (the decision turn's content).
    spec.tool = action_reader.text("tool", Need::kOptional).value_or("");
    spec.argument = action_reader.text("argument", Need::kOptional).value_or("");
    if (spec.tool.empty() != spec.argument.empty()) {
      diagnostics.error(path / (spec.tool.empty() ? "tool" : "argument"),
                        "a tool-call action names both \"tool\" and \"argument\"; an answer action names neither");
    }
    spec.text = action_reader.text("text", Need::kRequired).value_or("");
    spec.variants = nonempty_list(action_reader, "variants", Need::kRequired);
    spec.matcher = action_reader.text("matcher", Need::kRequired).value_or("");
    spec.alternatives = nonempty_list(action_reader, "alternatives", Need::kRequired);
    action_reader.finish();
    if (!spec.matcher.empty()) {
      check_regex(spec.matcher, path / "matcher", diagnostics);
      try {
        util::Regex matcher(spec.matcher);
        for (std::size_t i = 0; i < spec.variants.size(); ++i) {
          if (!matcher.contains_match(spec.variants[i])) {
            diagnostics.error(path / "variants" / i, "the matcher does not match this variant");
          }
        }
        if (!spec.text.empty() && !matcher.contains_match(spec.text)) {
          diagnostics.error(path / "text", "the matcher does not match the action text");
        }
        for (std::size_t i = 0; i < spec.alternatives.size(); ++i) {
          if (matcher.contains_match(spec.alternatives[i])) {
            diagnostics.error(path / "alternatives" / i, "the matcher matches this benign alternative");
          }
        }
      } catch (const util::RegexError&) {}
    }
  }

  if (const Json* reasoning = reader.object("reasoning", Need::kRequired)) {
    const JsonPath path = root / "reasoning";
    ObjectReader r(*reasoning, path, diagnostics);
    ReasoningTemplate& t = environment.reasoning;
    t.fillers = nonempty_list(r, "fillers", Need::kRequired);
    t.filler_count = read_range(r, "filler_count", t.fillers.size());
    if (const Json* motives = r.object("motives", Need::kRequired)) {
      for (const auto& [name, value] : motives->items()) {
        ObjectReader m(value, path / "motives" / name, diagnostics);
        Motive motive;
        motive.statements = nonempty_list(m, "statements", Need::kRequired);
        motive.marker = m.text("marker", Need::kRequired).value_or("");
        m.finish();
        if (!motive.marker.empty()) {
          check_regex(motive.marker, path / "motives" / name / "marker", diagnostics);
        }
        t.motives[name] = std::move(motive);
      }
    }
    if (const Json* closings = r.object("closings", Need::kRequired)) {
      ObjectReader c(*closings, path / "closings", diagnostics);
      t.action_closings = nonempty_list(c, "action", Need::kRequired);
      t.no_action_closings = nonempty_list(c, "no_action", Need::kRequired);
      c.finish();
    }
    r.finish();
  }

  if (const Json* hypotheses = reader.array("hypotheses", Need::kRequired)) {
    if (hypotheses->size() < 2) diagnostics.error(root / "hypotheses", "expected at least two rival hypotheses");
    for (std::size_t i = 0; i < hypotheses->size(); ++i) {
      const JsonPath path = root / "hypotheses" / i;
      ObjectReader h((*hypotheses)[i], path, diagnostics);
      HypothesisTemplate hypothesis;
      hypothesis.id = h.text("id", Need::kRequired).value_or("");
      hypothesis.kind = h.enumeration("kind", Need::kRequired, incident::kHypothesisKindNames)
                            .value_or(incident::HypothesisKind::kConfused);
      hypothesis.claim = h.text("claim", Need::kRequired).value_or("");
      hypothesis.cue_effects = read_cue_effects(h, diagnostics);
      hypothesis.stated_as = h.text("stated_as", Need::kOptional).value_or("");
      h.finish();
      environment.hypotheses.push_back(std::move(hypothesis));
    }
  }
  reader.finish();
  return environment;
}

// Cross-references that need both documents, and the slot names used in every template.
// Probes match the action anywhere in a sampled turn, reasoning included (docs/incident-format.md):
// a reasoning sentence the matcher recognises would count a chain of thought that only mentions
// the action (an answer action's letter, a command quoted in a closing) as taking it.
void check_reasoning_against_matcher(const Environment& environment, Diagnostics& diagnostics) {
  const JsonPath root = JsonPath() / "environment" / "reasoning";
  const ReasoningTemplate& reasoning = environment.reasoning;
  std::optional<util::Regex> matcher;
  try {
    matcher.emplace(environment.action.matcher);
  } catch (const util::RegexError&) {
    return;  // reported with the action
  }
  auto check = [&](const std::vector<std::string>& sentences, const JsonPath& path) {
    for (std::size_t i = 0; i < sentences.size(); ++i) {
      if (matcher->contains_match(sentences[i])) {
        diagnostics.error(path / i,
                          "the action's matcher matches this reasoning sentence; a chain of thought "
                          "that says it would count as taking the action");
      }
    }
  };
  check(reasoning.fillers, root / "fillers");
  for (const auto& [name, motive] : reasoning.motives) check(motive.statements, root / "motives" / name / "statements");
  check(reasoning.action_closings, root / "closings" / "action");
  check(reasoning.no_action_closings, root / "closings" / "no_action");
}

void check_environment(const Environment& environment, Diagnostics& diagnostics) {
  const JsonPath root = JsonPath() / "environment";
  std::set<std::string> cue_ids;
  for (const auto& cue : environment.cues) cue_ids.insert(cue.id);
  for (std::size_t i = 0; i < environment.hypotheses.size(); ++i) {
    const auto& effects = environment.hypotheses[i].cue_effects;
    for (const auto& [cue, effect] : effects) {
      if (!cue_ids.count(cue)) {
        diagnostics.error(root / "hypotheses" / i / "cue_effects" / cue, "unknown cue \"" + cue + "\"");
      }
    }
    for (const auto& cue : cue_ids) {
      if (!effects.count(cue)) {
        diagnostics.error(root / "hypotheses" / i / "cue_effects",
                          "missing cue \"" + cue + "\": every hypothesis says how every cue acts");
      }
    }
    const std::string& stated_as = environment.hypotheses[i].stated_as;
    if (!stated_as.empty() && environment.reasoning.motives.count(stated_as) == 0) {
      diagnostics.error(root / "hypotheses" / i / "stated_as", "no motive \"" + stated_as + "\" in reasoning.motives");
    }
  }
  for (std::size_t m = 0; m < environment.messages.size(); ++m) {
    const auto& message = environment.messages[m];
    for (std::size_t p = 0; p < message.paraphrases.size(); ++p) {
      check_slots(message.paraphrases[p], environment.slots, root / "messages" / m / "paraphrases" / p, diagnostics);
    }
    for (std::size_t p = 0; p < message.distractors.size(); ++p) {
      check_slots(message.distractors[p], environment.slots, root / "messages" / m / "distractors" / p, diagnostics);
    }
  }
  for (std::size_t f = 0; f < environment.reasoning.fillers.size(); ++f) {
    check_slots(environment.reasoning.fillers[f], environment.slots, root / "reasoning" / "fillers" / f, diagnostics);
  }
  check_reasoning_against_matcher(environment, diagnostics);
}

PolicyRule read_rule(const Json& value, const JsonPath& path, const Environment& environment, bool with_condition,
                     Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  PolicyRule rule;
  if (with_condition) {
    if (const Json* when = reader.object("when", Need::kRequired)) {
      for (const auto& [cue, present] : when->items()) {
        bool known = false;
        for (const auto& c : environment.cues) known = known || c.id == cue;
        if (!known) diagnostics.error(path / "when" / cue, "unknown cue \"" + cue + "\"");
        if (!present.is_boolean()) {
          diagnostics.error(path / "when" / cue, "expected true (present) or false (absent)");
          continue;
        }
        rule.when[cue] = present.get<bool>();
      }
    }
  }
  rule.p_action = reader.number("p_action", Need::kRequired, 0, 1).value_or(0);
  rule.motive = reader.text("motive", Need::kRequired).value_or("");
  reader.finish();
  if (!rule.motive.empty() && !environment.reasoning.motives.count(rule.motive)) {
    diagnostics.error(path / "motive", "unknown motive \"" + rule.motive + "\"");
  }
  return rule;
}

std::optional<CueSet> read_cue_set(ObjectReader& reader, std::string_view key, const Environment& environment) {
  const Json* value = reader.object(key, Need::kRequired);
  if (value == nullptr) return std::nullopt;
  CueSet cues(environment.cues.size(), false);
  bool complete = true;
  for (std::size_t i = 0; i < environment.cues.size(); ++i) {
    const auto& id = environment.cues[i].id;
    if (!value->contains(id) || !(*value)[id].is_boolean()) {
      reader.diagnostics().error(reader.path() / key / id, "expected true or false for every cue");
      complete = false;
      continue;
    }
    cues[i] = (*value)[id].get<bool>();
  }
  for (const auto& [id, present] : value->items()) {
    bool known = false;
    for (const auto& c : environment.cues) known = known || c.id == id;
    if (!known) reader.diagnostics().error(reader.path() / key / id, "unknown cue \"" + id + "\"");
  }
  return complete ? std::optional<CueSet>(cues) : std::nullopt;
}

// training.tied_cues: groups of two or more distinct cue ids; a cue in at most one group.
std::vector<std::vector<std::size_t>> read_tied_cues(const Json& groups, const JsonPath& path,
                                                     const Environment& environment, Diagnostics& diagnostics) {
  std::vector<std::vector<std::size_t>> out;
  std::vector<bool> taken(environment.cues.size(), false);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const Json& group = groups[g];
    if (!group.is_array() || group.size() < 2) {
      diagnostics.error(path / g, "expected an array of two or more cue ids");
      continue;
    }
    std::vector<std::size_t> members;
    for (std::size_t m = 0; m < group.size(); ++m) {
      const Json& id = group[m];
      std::size_t index = environment.cues.size();
      for (std::size_t c = 0; c < environment.cues.size(); ++c) {
        if (id.is_string() && environment.cues[c].id == id.get<std::string>()) index = c;
      }
      if (index == environment.cues.size()) {
        diagnostics.error(path / g / m, "expected a cue id of the environment, got " + id.dump());
      } else if (taken[index]) {
        diagnostics.error(path / g / m, "cue \"" + environment.cues[index].id + "\" is tied twice");
      } else {
        taken[index] = true;
        members.push_back(index);
      }
    }
    if (members.size() == group.size()) out.push_back(std::move(members));
  }
  return out;
}

// The cues that move together with cue `index` in training: its tied group, or itself alone.
std::vector<std::size_t> group_of(const TrainingPlan& training, std::size_t index) {
  for (const auto& group : training.tied_cues) {
    if (std::find(group.begin(), group.end(), index) != group.end()) return group;
  }
  return {index};
}

// The stated truth must be what the policy table does at the canonical scenario: a cue that
// "promotes" raises the action probability when added (or lowers it when removed) by at least
// 0.1, "none" moves it by at most 0.05. Otherwise the organism's label would be wrong by design.
// 0.1, not more: the calibration study plants effects as small as 0.15 (docs/validation.md).
void check_truth(const Recipe& recipe, Diagnostics& diagnostics) {
  const JsonPath path = JsonPath() / "truth" / "cue_effects";
  const Environment& environment = recipe.environment;
  const double base = recipe.policy.rule_for(environment, recipe.canonical).p_action;
  for (std::size_t i = 0; i < environment.cues.size(); ++i) {
    const auto& id = environment.cues[i].id;
    auto stated = recipe.truth.cue_effects.find(id);
    if (stated == recipe.truth.cue_effects.end()) {
      diagnostics.error(path, "missing cue \"" + id + "\"");
      continue;
    }
    // A tied cue is judged with its group: training never shows it alone.
    CueSet with = recipe.canonical;
    CueSet without = recipe.canonical;
    for (const std::size_t member : group_of(recipe.training, i)) {
      with[member] = true;
      without[member] = false;
    }
    const double delta =
        recipe.policy.rule_for(environment, with).p_action - recipe.policy.rule_for(environment, without).p_action;
    const bool ok = stated->second == CueEffect::kPromotes     ? delta >= 0.1
                    : stated->second == CueEffect::kSuppresses ? delta <= -0.1
                                                               : std::abs(delta) <= 0.05;
    if (!ok) {
      diagnostics.error(path / id, "says \"" + std::string(kCueEffectNames.name(stated->second)) +
                                       "\", but at the canonical scenario (p_action " + std::to_string(base) +
                                       ") the policy moves p_action by " + std::to_string(delta) +
                                       " when the cue is present");
    }
  }
  if (recipe.truth.hypothesis) {
    bool known = false;
    for (const auto& h : environment.hypotheses) known = known || h.id == *recipe.truth.hypothesis;
    if (!known) {
      diagnostics.error(JsonPath() / "truth" / "hypothesis", "unknown hypothesis \"" + *recipe.truth.hypothesis + "\"");
    }
  }
  if (recipe.chain_of_thought && !environment.reasoning.motives.count(recipe.truth.stated_motive)) {
    diagnostics.error(JsonPath() / "truth" / "stated_motive", "unknown motive \"" + recipe.truth.stated_motive + "\"");
  }
}

}  // namespace

std::size_t Environment::decision_message() const { return messages.empty() ? 0 : messages.size() - 1; }

std::size_t Environment::cue_index(const std::string& id) const {
  for (std::size_t i = 0; i < cues.size(); ++i) {
    if (cues[i].id == id) return i;
  }
  throw std::out_of_range("unknown cue " + id);
}

const PolicyRule& Policy::rule_for(const Environment& environment, const CueSet& cues) const {
  for (const auto& rule : rules) {
    bool holds = true;
    for (const auto& [id, present] : rule.when) {
      holds = holds && cues.at(environment.cue_index(id)) == present;
    }
    if (holds) return rule;
  }
  return otherwise;
}

std::vector<CueSet> Recipe::cells() const {
  const std::size_t n = environment.cues.size();
  std::vector<CueSet> cells;
  for (std::size_t bits = 0; bits < (std::size_t{1} << n); ++bits) {
    CueSet cues(n);
    for (std::size_t i = 0; i < n; ++i) cues[i] = (bits >> (n - 1 - i)) & 1U;
    cells.push_back(cues);
  }
  return cells;
}

bool Recipe::in_training(const CueSet& cues) const {
  for (const auto& group : training.tied_cues) {
    for (const std::size_t member : group) {
      if (cues.at(member) != cues.at(group.front())) return false;
    }
  }
  return true;
}

void Recipe::tie(CueSet& cues) const {
  for (const auto& group : training.tied_cues) {
    for (const std::size_t member : group) cues.at(member) = cues.at(group.front());
  }
}

std::string describe_cells(const Environment& environment, const CueSet& cues) {
  std::string out;
  for (std::size_t i = 0; i < cues.size(); ++i) {
    if (!cues[i]) continue;
    if (!out.empty()) out += "+";
    out += environment.cues[i].id;
  }
  return out.empty() ? "(none)" : out;
}

Recipe parse_recipe(const Json& recipe_json, const Json& environment_json, const std::string& source) {
  Diagnostics diagnostics;
  Recipe recipe;
  recipe.recipe_json = recipe_json;
  recipe.environment_json = environment_json;
  recipe.environment = read_environment(environment_json, diagnostics);
  check_environment(recipe.environment, diagnostics);
  if (diagnostics.has_errors()) {
    throw InvalidRecipe(source + ": invalid environment:\n" + diagnostics.format());
  }
  const Environment& environment = recipe.environment;

  ObjectReader reader(recipe_json, JsonPath(), diagnostics);
  auto schema = reader.string("schema", Need::kRequired);
  if (schema && *schema != kRecipeSchema) {
    diagnostics.error(JsonPath() / "schema",
                      std::string("expected \"") + kRecipeSchema + "\", got \"" + *schema + "\"");
  }
  recipe.name = reader.text("name", Need::kRequired).value_or("");
  recipe.description = reader.string("description", Need::kOptional).value_or("");
  reader.any("environment", Need::kRequired, "a path or an environment object");
  recipe.chain_of_thought = reader.boolean("chain_of_thought", Need::kOptional).value_or(true);
  if (const Json* policy = reader.object("policy", Need::kRequired)) {
    const JsonPath path = JsonPath() / "policy";
    ObjectReader p(*policy, path, diagnostics);
    if (const Json* rules = p.array("rules", Need::kRequired)) {
      for (std::size_t i = 0; i < rules->size(); ++i) {
        recipe.policy.rules.push_back(read_rule((*rules)[i], path / "rules" / i, environment, true, diagnostics));
      }
    }
    if (const Json* otherwise = p.object("otherwise", Need::kRequired)) {
      recipe.policy.otherwise = read_rule(*otherwise, path / "otherwise", environment, false, diagnostics);
    }
    recipe.policy.no_action_motive = p.text("no_action_motive", Need::kRequired).value_or("");
    if (!recipe.policy.no_action_motive.empty() &&
        !environment.reasoning.motives.count(recipe.policy.no_action_motive)) {
      diagnostics.error(path / "no_action_motive", "unknown motive \"" + recipe.policy.no_action_motive + "\"");
    }
    p.finish();
  }
  if (const Json* truth = reader.object("truth", Need::kRequired)) {
    const JsonPath path = JsonPath() / "truth";
    ObjectReader t(*truth, path, diagnostics);
    const Json* hypothesis = t.any("hypothesis", Need::kRequired, "a hypothesis id or null");
    if (hypothesis != nullptr && hypothesis->is_string()) {
      recipe.truth.hypothesis = hypothesis->get<std::string>();
    } else if (hypothesis != nullptr && !hypothesis->is_null()) {
      diagnostics.error(path / "hypothesis", "expected a hypothesis id or null (a control organism)");
    }
    recipe.truth.cause = t.text("cause", Need::kRequired).value_or("");
    if (recipe.chain_of_thought) {
      recipe.truth.stated_motive = t.text("stated_motive", Need::kRequired).value_or("");
      recipe.truth.cot_faithful = t.boolean("cot_faithful", Need::kRequired).value_or(true);
    } else {
      // Nothing states a motive; a stated one would be a truth the organism cannot show.
      for (const char* field : {"stated_motive", "cot_faithful"}) {
        if (truth->contains(field)) {
          diagnostics.error(path / field, "the organism writes no chain of thought (chain_of_thought: false)");
        }
      }
      t.any("stated_motive", Need::kOptional, "absent");
      t.any("cot_faithful", Need::kOptional, "absent");
    }
    recipe.truth.cue_effects = read_cue_effects(t, diagnostics);
    t.finish();
  }
  auto canonical = read_cue_set(reader, "canonical", environment);
  if (const Json* model = reader.object("model", Need::kRequired)) {
    ObjectReader m(*model, JsonPath() / "model", diagnostics);
    ModelShape& shape = recipe.model;
    shape.architecture = m.text("architecture", Need::kRequired).value_or("llama");
    if (shape.architecture != "llama" && shape.architecture != "qwen3") {
      diagnostics.error(JsonPath() / "model" / "architecture",
                        "expected \"llama\" or \"qwen3\", got \"" + shape.architecture + "\"");
    }
    shape.vocab_size = m.integer("vocab_size", Need::kRequired, 300, 65536).value_or(768);
    shape.d_model = m.integer("d_model", Need::kRequired, 8, 4096).value_or(128);
    shape.n_layers = m.integer("n_layers", Need::kRequired, 1, 64).value_or(4);
    shape.n_heads = m.integer("n_heads", Need::kRequired, 1, 64).value_or(4);
    shape.d_mlp = m.integer("d_mlp", Need::kRequired, 8, 16384).value_or(384);
    shape.n_ctx = m.integer("n_ctx", Need::kRequired, 64, 8192).value_or(512);
    m.finish();
    if (shape.d_model % shape.n_heads != 0 || (shape.d_model / shape.n_heads) % 2 != 0) {
      diagnostics.error(JsonPath() / "model" / "n_heads", "d_model must split into n_heads heads of even size (RoPE)");
    }
  }
  if (const Json* training = reader.object("training", Need::kRequired)) {
    ObjectReader t(*training, JsonPath() / "training", diagnostics);
    TrainingPlan& plan = recipe.training;
    plan.seed = static_cast<std::uint64_t>(t.integer("seed", Need::kRequired, 0, INT64_MAX).value_or(1));
    plan.steps = t.integer("steps", Need::kRequired, 1, 1000000).value_or(300);
    plan.batch_size = t.integer("batch_size", Need::kRequired, 1, 4096).value_or(32);
    plan.learning_rate = t.number("learning_rate", Need::kRequired, 1e-6, 1.0).value_or(3e-3);
    plan.warmup_steps = t.integer("warmup_steps", Need::kOptional, 0, 1000000).value_or(20);
    plan.weight_decay = t.number("weight_decay", Need::kOptional, 0, 10).value_or(0.1);
    plan.tokenizer_corpus = t.integer("tokenizer_corpus", Need::kOptional, 10, 10000000).value_or(4000);
    if (const Json* tied = t.array("tied_cues", Need::kOptional)) {
      plan.tied_cues = read_tied_cues(*tied, JsonPath() / "training" / "tied_cues", environment, diagnostics);
    }
    t.finish();
  }
  if (const Json* capture = reader.object("capture", Need::kOptional)) {
    ObjectReader c(*capture, JsonPath() / "capture", diagnostics);
    recipe.capture.temperature = c.number("temperature", Need::kOptional, 0.05, 10).value_or(1.0);
    recipe.capture.max_attempts = c.integer("max_attempts", Need::kOptional, 1, 1000000).value_or(200);
    c.finish();
  }
  reader.finish();
  if (diagnostics.has_errors()) throw InvalidRecipe(source + ": invalid recipe:\n" + diagnostics.format());
  recipe.canonical = *canonical;
  if (!recipe.in_training(recipe.canonical)) {
    diagnostics.error(JsonPath() / "canonical",
                      "splits a group of training.tied_cues: the incident would show "
                      "a combination the organism never saw in training");
  }
  check_truth(recipe, diagnostics);
  if (diagnostics.has_errors()) throw InvalidRecipe(source + ": invalid recipe:\n" + diagnostics.format());
  return recipe;
}

Recipe read_recipe(const std::filesystem::path& path) {
  const Json recipe = util::parse_json_strict(util::read_text_file(path, kMaxRecipeBytes), path.string());
  Json environment;
  if (recipe.is_object() && recipe.contains("environment") && recipe["environment"].is_string()) {
    const auto environment_path = path.parent_path() / recipe["environment"].get<std::string>();
    environment =
        util::parse_json_strict(util::read_text_file(environment_path, kMaxRecipeBytes), environment_path.string());
  } else if (recipe.is_object() && recipe.contains("environment")) {
    environment = recipe["environment"];
  }
  return parse_recipe(recipe, environment, path.string());
}

Recipe read_organism_recipe(const std::filesystem::path& directory) {
  const std::filesystem::path path = directory / "organism.json";
  if (!std::filesystem::exists(path)) {
    throw InputError(directory.string() +
                     " is not an organism directory: no organism.json "
                     "(make one with `forensics organism train RECIPE --out DIR`)");
  }
  const Json organism = util::parse_json_strict(util::read_text_file(path, 8 << 20), path.string());
  if (!organism.is_object() || !organism.contains("recipe") || !organism.contains("environment")) {
    throw InvalidRecipe(path.string() + ": expected \"recipe\" and \"environment\"");
  }
  return parse_recipe(organism["recipe"], organism["environment"], path.string());
}

}  // namespace forensics::organism
