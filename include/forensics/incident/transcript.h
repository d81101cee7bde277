// incident: the captured conversation: system, user, assistant and tool messages, with the
// assistant's chain of thought and tool calls kept apart from its visible text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "forensics/util/json.h"

#include "forensics/util/name_table.h"

namespace forensics::incident {

enum class Role { kSystem, kUser, kAssistant, kTool };
inline constexpr util::NameTable kRoleNames{std::array{
    util::NameEntry<Role>{Role::kSystem, "system"},
    util::NameEntry<Role>{Role::kUser, "user"},
    util::NameEntry<Role>{Role::kAssistant, "assistant"},
    util::NameEntry<Role>{Role::kTool, "tool"},
}};

struct ToolCall {
  std::string id;
  std::string name;
  // A JSON object; or a string: the model's own text, kept as written, when it was not a valid
  // JSON object (an OpenAI log's arguments string that does not parse). Rendered verbatim.
  Json arguments = Json::object();
};

struct Message {
  Role role = Role::kUser;
  std::string content;
  std::optional<std::string> reasoning;     // assistant only: the chain of thought
  std::vector<ToolCall> tool_calls;         // assistant only
  std::optional<std::string> tool_call_id;  // tool only: the call this message answers
  std::optional<std::string> name;          // tool only: the tool's name
};

/// The editable text fields of a message.
enum class MessageField { kContent, kReasoning };
inline constexpr util::NameTable kMessageFieldNames{std::array{
    util::NameEntry<MessageField>{MessageField::kContent, "content"},
    util::NameEntry<MessageField>{MessageField::kReasoning, "reasoning"},
}};

struct Transcript {
  std::vector<Message> messages;
};

/// Every string value inside a tool call's arguments, depth first, in document order (insertion order is kept).
std::vector<std::string> argument_strings(const ToolCall& call);

}  // namespace forensics::incident
