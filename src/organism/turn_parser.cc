#include "turn_parser.h"

#include "forensics/incident/chat_format.h"
#include "forensics/util/json_document.h"

namespace forensics::organism::detail {

namespace {

// The call in `<tool_call>\n{json}\n</tool_call>`, or nothing when the text has no well-formed one.
std::optional<incident::ToolCall> parse_tool_call(const std::string& text, std::size_t& call_begin) {
  const std::string open_call = "<tool_call>\n";
  const std::string close_call = "\n</tool_call>";
  call_begin = text.find(open_call);
  if (call_begin == std::string::npos) return std::nullopt;
  const std::size_t json_begin = call_begin + open_call.size();
  const std::size_t json_end = text.find(close_call, json_begin);
  if (json_end == std::string::npos) return std::nullopt;
  try {
    const Json call = util::parse_json_strict(text.substr(json_begin, json_end - json_begin), "tool call");
    if (!call.is_object() || !call.contains("name") || !call["name"].is_string() || !call.contains("arguments") ||
        !call["arguments"].is_object() || call.size() != 2) {
      return std::nullopt;
    }
    incident::ToolCall tool_call;
    tool_call.id = "call_2";
    tool_call.name = call["name"].get<std::string>();
    tool_call.arguments = call["arguments"];
    return tool_call;
  } catch (const InputError&) {
    return std::nullopt;
  }
}

}  // namespace

ParsedTurn parse_turn(const std::string& text, const Environment& environment, bool chain_of_thought) {
  const auto& markers = incident::chat_markers(environment.format);
  ParsedTurn parsed;
  std::string after_reasoning = text;  // content and tool calls, as text
  const std::string start(markers.reasoning_start);
  const std::string end(markers.reasoning_end);
  if (text.rfind(start, 0) == 0) {
    const std::size_t close = text.find(end, start.size());
    if (close != std::string::npos) {
      parsed.has_reasoning = true;
      parsed.reasoning = text.substr(start.size(), close - start.size());
      after_reasoning = text.substr(close + end.size());
    }
  }
  if (parsed.has_reasoning != chain_of_thought) return parsed;

  incident::Message message;
  message.role = incident::Role::kAssistant;
  if (parsed.has_reasoning) message.reasoning = parsed.reasoning;
  if (environment.action.is_answer()) {
    // The answer is the content, up to the end-of-turn marker.
    message.content = after_reasoning.substr(0, after_reasoning.find(markers.end_of_turn));
  } else {
    std::size_t call_begin = 0;
    auto call = parse_tool_call(after_reasoning, call_begin);
    if (!call) return parsed;
    message.content = after_reasoning.substr(0, call_begin);
    message.tool_calls.push_back(std::move(*call));
  }
  incident::Transcript alone;
  alone.messages.push_back(message);
  // Sampling stops at the end-of-turn token; the rendering also writes the separator after it.
  const std::string rendered = incident::render_turn(alone, 0, environment.format).text;
  if (rendered == text || rendered == text + std::string(markers.turn_separator)) {
    parsed.message = std::move(message);
  }
  return parsed;
}

}  // namespace forensics::organism::detail
