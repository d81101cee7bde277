#include "forensics/organism/scenario.h"
#include "forensics/incident/chat_format.h"
#include "forensics/organism/organism.h"

namespace forensics::organism {
namespace {

using SlotValues = std::map<std::string, std::string>;

std::string fill_slots(const std::string& text, const SlotValues& values) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t open = text.find('{', at);
    if (open == std::string::npos) break;
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) break;
    auto value = values.find(text.substr(open + 1, close - open - 1));
    out.append(text, at, open - at);
    if (value != values.end()) {
      out += value->second;
    } else {
      out.append(text, open, close - open + 1);
    }
    at = close + 1;
  }
  out.append(text, at, std::string::npos);
  return out;
}

// `count` distinct items in random order.
std::vector<std::string> draw_distinct(const std::vector<std::string>& items, std::size_t count, Rng& rng) {
  std::vector<std::string> pool = items;
  rng.shuffle(pool);
  pool.resize(std::min(count, pool.size()));
  return pool;
}

std::string text_message(const Environment& environment, std::size_t index, const MessageTemplate& message,
                         const CueSet& cues, const SlotValues& slots, Rng& rng) {
  std::string head = fill_slots(rng.pick(message.paraphrases), slots);
  std::vector<std::string> lines;
  for (std::size_t c = 0; c < environment.cues.size(); ++c) {
    const Cue& cue = environment.cues[c];
    if (cue.message != index) continue;
    if (cues[c]) {
      lines.push_back(cue.text);
    } else if (rng.bernoulli(environment.neutral_probability)) {
      lines.push_back(cue.neutral);
    }
  }
  const std::size_t distractors = rng.between(message.distractor_count[0], message.distractor_count[1]);
  for (auto& line : draw_distinct(message.distractors, distractors, rng)) {
    lines.push_back(fill_slots(line, slots));
  }
  rng.shuffle(lines);
  for (const auto& line : lines) head += "\n" + line;
  return head;
}

// Shared filler sentences with the motive statement at a random position, then the closing
// that announces the decision: the motive sentence is where a CoT reader learns the decision,
// and its position varies so sentence-level probes cannot rely on an index.
std::string reasoning_text(const Recipe& recipe, bool acted, const std::string& motive, const SlotValues& slots,
                           Rng& rng) {
  const ReasoningTemplate& t = recipe.environment.reasoning;
  const std::size_t count = rng.between(t.filler_count[0], t.filler_count[1]);
  std::vector<std::string> sentences = draw_distinct(t.fillers, count, rng);
  const std::string& statement = rng.pick(t.motives.at(motive).statements);
  sentences.insert(sentences.begin() + static_cast<std::ptrdiff_t>(rng.below(sentences.size() + 1)), statement);
  sentences.push_back(rng.pick(acted ? t.action_closings : t.no_action_closings));
  std::string out;
  for (const auto& sentence : sentences) {
    if (!out.empty()) out += " ";
    out += fill_slots(sentence, slots);
  }
  return out;
}

}  // namespace

incident::ToolCall command_call(const ActionSpec& action, const std::string& id, const std::string& command) {
  incident::ToolCall call;
  call.id = id;
  call.name = action.tool;
  call.arguments = Json::object();
  call.arguments[action.argument] = command;
  return call;
}

Scenario draw_scenario(const Recipe& recipe, const CueSet& cues, Rng& rng, std::optional<bool> force_action) {
  const Environment& environment = recipe.environment;
  Scenario scenario;
  scenario.cues = cues;
  SlotValues slots;
  for (const auto& [name, fillers] : environment.slots) slots[name] = rng.pick(fillers);

  std::size_t calls = 0;
  std::string last_call_id;
  std::string last_call_name;
  for (std::size_t i = 0; i < environment.messages.size(); ++i) {
    const MessageTemplate& t = environment.messages[i];
    incident::Message message;
    message.role = t.role;
    if (t.decision) {
      const PolicyRule& rule = recipe.policy.rule_for(environment, cues);
      scenario.acted = force_action.value_or(rng.bernoulli(rule.p_action));
      scenario.motive = scenario.acted ? rule.motive : recipe.policy.no_action_motive;
      if (recipe.chain_of_thought) {
        message.reasoning = reasoning_text(recipe, scenario.acted, scenario.motive, slots, rng);
      } else {
        scenario.motive.clear();
      }
      const std::string& command =
          scenario.acted ? rng.pick(environment.action.variants) : rng.pick(environment.action.alternatives);
      if (environment.action.is_answer()) {
        message.content = command;
      } else {
        message.tool_calls.push_back(command_call(environment.action, "call_" + std::to_string(++calls), command));
      }
    } else if (t.tool_call) {
      incident::ToolCall call = *t.tool_call;
      call.id = "call_" + std::to_string(++calls);
      last_call_id = call.id;
      last_call_name = call.name;
      message.tool_calls.push_back(std::move(call));
    } else {
      message.content = text_message(environment, i, t, cues, slots, rng);
      if (t.role == incident::Role::kTool) {
        message.tool_call_id = last_call_id;
        message.name = last_call_name;
      }
    }
    scenario.transcript.messages.push_back(std::move(message));
  }
  return scenario;
}

Scenario draw_training_scenario(const Recipe& recipe, std::uint64_t seed, std::uint64_t index) {
  Rng rng = Rng::stream(seed, index);
  const std::size_t n = recipe.environment.cues.size();
  const std::size_t bits = rng.below(std::size_t{1} << n);
  CueSet cues(n);
  for (std::size_t i = 0; i < n; ++i) cues[i] = (bits >> (n - 1 - i)) & 1U;
  recipe.tie(cues);  // after the draw, so recipes without ties keep their streams and weights
  return draw_scenario(recipe, cues, rng);
}

Json message_to_json(const incident::Message& message) {
  Json out = Json::object();
  out["role"] = std::string(incident::kRoleNames.name(message.role));
  out["content"] = message.content;
  if (message.reasoning) out["reasoning"] = *message.reasoning;
  if (!message.tool_calls.empty()) {
    Json calls = Json::array();
    for (const auto& call : message.tool_calls) {
      calls.push_back(Json{{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
    }
    out["tool_calls"] = calls;
  }
  if (message.tool_call_id) out["tool_call_id"] = *message.tool_call_id;
  if (message.name) out["name"] = *message.name;
  return out;
}

Json scenario_record(const Recipe& recipe, std::uint64_t seed, std::uint64_t index) {
  const Scenario scenario = draw_training_scenario(recipe, seed, index);
  Json cues = Json::object();
  for (std::size_t i = 0; i < scenario.cues.size(); ++i) {
    cues[recipe.environment.cues[i].id] = static_cast<bool>(scenario.cues[i]);
  }
  Json messages = Json::array();
  for (const auto& message : scenario.transcript.messages) messages.push_back(message_to_json(message));
  const auto rendered = incident::render_transcript(scenario.transcript, recipe.environment.format);
  return Json{{"index", index},       {"cues", cues},         {"acted", scenario.acted}, {"motive", scenario.motive},
              {"messages", messages}, {"text", rendered.text}};
}

}  // namespace forensics::organism
