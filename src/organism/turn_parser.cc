#include "turn_parser.h"

#include "forensics/incident/chat_format.h"
#include "forensics/util/json_document.h"

namespace forensics::organism::detail {

ParsedTurn parse_turn(const std::string& text, const Environment& environment) {
  const auto& markers = incident::chat_markers(environment.format);
  ParsedTurn parsed;
  parsed.after_reasoning = text;
  const std::string start(markers.reasoning_start);
  const std::string end(markers.reasoning_end);
  if (text.rfind(start, 0) == 0) {
    const std::size_t close = text.find(end, start.size());
    if (close != std::string::npos) {
      parsed.has_reasoning = true;
      parsed.reasoning = text.substr(start.size(), close - start.size());
      parsed.after_reasoning = text.substr(close + end.size());
    }
  }
  if (!parsed.has_reasoning) return parsed;

  // The tool call: `<tool_call>\n{json}\n</tool_call>` then the end of turn.
  const std::string open_call = "<tool_call>\n";
  const std::string close_call = "\n</tool_call>";
  const std::size_t call_begin = parsed.after_reasoning.find(open_call);
  if (call_begin == std::string::npos) return parsed;
  const std::size_t json_begin = call_begin + open_call.size();
  const std::size_t json_end = parsed.after_reasoning.find(close_call, json_begin);
  if (json_end == std::string::npos) return parsed;
  incident::Message message;
  message.role = incident::Role::kAssistant;
  message.reasoning = parsed.reasoning;
  message.content = parsed.after_reasoning.substr(0, call_begin);
  try {
    const Json call =
        util::parse_json_strict(parsed.after_reasoning.substr(json_begin, json_end - json_begin), "tool call");
    if (!call.is_object() || !call.contains("name") || !call["name"].is_string() || !call.contains("arguments") ||
        !call["arguments"].is_object() || call.size() != 2) {
      return parsed;
    }
    incident::ToolCall tool_call;
    tool_call.id = "call_2";
    tool_call.name = call["name"].get<std::string>();
    tool_call.arguments = call["arguments"];
    message.tool_calls.push_back(std::move(tool_call));
  } catch (const InputError&) {
    return parsed;
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
