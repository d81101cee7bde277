// Reading transcript messages and checking how they refer to each other.
#include <set>

#include "forensics/util/json_document.h"
#include "read_parts.h"

namespace forensics::incident::detail {

using util::JsonPath;
using util::Need;
using util::ObjectReader;

namespace {

std::optional<ToolCall> read_tool_call(const Json& value, const JsonPath& path, util::Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  ToolCall call;
  auto id = reader.text("id", Need::kRequired);
  auto name = reader.text("name", Need::kRequired);
  const Json* arguments = reader.any("arguments", Need::kRequired, "object or string");
  if (arguments != nullptr && !arguments->is_object() && !arguments->is_string()) {
    diagnostics.error(path / "arguments", "expected an object (or a string: the model's raw text), got " +
                                              util::json_type_name(*arguments));
    arguments = nullptr;
  }
  reader.finish();
  if (!id || !name || arguments == nullptr) return std::nullopt;
  call.id = *id;
  call.name = *name;
  call.arguments = *arguments;
  return call;
}

}  // namespace

std::optional<Message> read_message(const Json& value, const JsonPath& path, util::Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  if (!reader.is_object()) return std::nullopt;
  const std::size_t errors_before = diagnostics.error_count();
  Message message;
  auto role = reader.enumeration("role", Need::kRequired, kRoleNames);
  message.content = reader.string("content", Need::kOptional).value_or("");

  const bool is_assistant = role == Role::kAssistant;
  const bool is_tool = role == Role::kTool;
  auto only_for = [&](const char* key, bool allowed, const char* which) {
    if (role && !allowed && reader.has(key)) {
      diagnostics.error(path / key, std::string("only ") + which + " messages have \"" + key + "\" (this one is \"" +
                                        std::string(kRoleNames.name(*role)) + "\")");
      return false;
    }
    return true;
  };

  if (only_for("reasoning", is_assistant, "assistant")) {
    message.reasoning = reader.string("reasoning", Need::kOptional);
  }
  if (only_for("tool_calls", is_assistant, "assistant")) {
    if (const Json* calls = reader.array("tool_calls", Need::kOptional)) {
      for (std::size_t i = 0; i < calls->size(); ++i) {
        if (auto call = read_tool_call((*calls)[i], path / "tool_calls" / i, diagnostics)) {
          message.tool_calls.push_back(std::move(*call));
        }
      }
    }
  }
  if (only_for("tool_call_id", is_tool, "tool")) {
    message.tool_call_id = reader.text("tool_call_id", Need::kOptional);
  }
  if (only_for("name", is_tool, "tool")) {
    message.name = reader.text("name", Need::kOptional);
  }
  reader.finish();
  if (!role || diagnostics.error_count() > errors_before) return std::nullopt;
  message.role = *role;
  return message;
}

std::optional<Transcript> read_transcript(const Json& value, const JsonPath& path, util::Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  const Json* messages = reader.array("messages", Need::kRequired);
  reader.finish();
  if (messages == nullptr) return std::nullopt;
  if (messages->empty()) {
    diagnostics.error(path / "messages", "expected at least one message");
    return std::nullopt;
  }

  Transcript transcript;
  bool complete = true;
  std::set<std::string> call_ids;
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const JsonPath message_path = path / "messages" / i;
    auto message = read_message((*messages)[i], message_path, diagnostics);
    if (!message) {
      complete = false;
      transcript.messages.emplace_back();  // keeps later indices aligned for the checks below
      continue;
    }
    for (std::size_t c = 0; c < message->tool_calls.size(); ++c) {
      if (!call_ids.insert(message->tool_calls[c].id).second) {
        diagnostics.error(message_path / "tool_calls" / c / "id",
                          "duplicate tool call id \"" + message->tool_calls[c].id + "\"");
        complete = false;
      }
    }
    // A tool reply must answer a call made before it, or the transcript was captured wrongly.
    if (message->tool_call_id && call_ids.count(*message->tool_call_id) == 0) {
      diagnostics.error(message_path / "tool_call_id",
                        "no earlier assistant tool call has id \"" + *message->tool_call_id + "\"");
      complete = false;
    }
    transcript.messages.push_back(std::move(*message));
  }
  if (!complete) return std::nullopt;
  return transcript;
}

}  // namespace forensics::incident::detail
