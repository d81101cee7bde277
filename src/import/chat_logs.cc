// OpenAI chat-completions and Anthropic Messages logs (docs/import.md): a message list, alone or
// in a request body (`messages`, Anthropic's top-level `system`), optionally followed by the
// response the API returned (`response`), which holds the last assistant turn.
#include <map>

#include "forensics/util/json_document.h"
#include "log_parts.h"

namespace forensics::import::detail {

using incident::Message;
using incident::Role;
using util::JsonPath;

namespace {

struct Conversation {
  std::vector<const Json*> messages;
  std::vector<JsonPath> paths;
  const Json* system = nullptr;  // Anthropic's top-level system prompt
};

// The messages of a bare list, of a request body, and of the response appended to it.
Conversation conversation_of(const Json& document, const std::string& source) {
  Conversation out;
  JsonPath root;
  const Json* request = &document;
  if (document.is_object() && document.contains("request")) {  // {"request": body, "response": reply}
    request = &document["request"];
    root = root / "request";
  }
  const Json* list = request;
  JsonPath list_path = root;
  if (request->is_object()) {
    if (!request->contains("messages")) {
      fail(source, root,
           document.contains("choices") || document.contains("content")
               ? "a response alone holds only the last turn; save the request with it "
                 "({\"request\": {\"messages\": [...]}, \"response\": {...}})"
               : "expected a list of messages or an object with \"messages\"");
    }
    list = &(*request)["messages"];
    list_path = root / "messages";
    if (request->contains("system")) out.system = &(*request)["system"];
  }
  if (!list->is_array() || list->empty()) fail(source, list_path, "expected a non-empty list of messages");
  for (std::size_t i = 0; i < list->size(); ++i) {
    out.messages.push_back(&(*list)[i]);
    out.paths.push_back(list_path / i);
  }
  if (document.is_object() && document.contains("response") && !document["response"].is_null()) {
    const Json& response = document["response"];
    const JsonPath response_path = JsonPath() / "response";
    if (response.contains("choices")) {  // OpenAI ChatCompletion: the first choice's message
      const Json& choices = response["choices"];
      if (!choices.is_array() || choices.empty()) fail(source, response_path / "choices", "expected a choice");
      out.messages.push_back(&required(choices[0], "message", source, response_path / "choices" / 0));
      out.paths.push_back(response_path / "choices" / 0 / "message");
    } else {  // Anthropic Message: the response is itself the assistant message
      out.messages.push_back(&response);
      out.paths.push_back(response_path);
    }
  }
  return out;
}

std::string role_of(const Json& message, const std::string& source, const JsonPath& path) {
  const Json& role = required(message, "role", source, path);
  if (!role.is_string()) fail(source, path / "role", "expected a string, got " + util::json_type_name(role));
  return role.get<std::string>();
}

[[noreturn]] void unknown_role(const std::string& role, const char* known, const std::string& source,
                               const JsonPath& path) {
  fail(source, path / "role", "unknown message role \"" + role + "\" (" + known + " are known)");
}

// Text of a string, null, or a list of {type: "text", text} parts (joined without separator,
// as the APIs concatenate them).
std::string text_of(const Json& content, const std::string& source, const JsonPath& path) {
  if (content.is_null()) return "";
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) fail(source, path, "expected a string or a list of text parts");
  std::string text;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const std::string type = optional_string(content[i], "type", source, path / i);
    if (type != "text")
      fail(source, path / i / "type", "content of type \"" + type + "\" cannot be given to a text model");
    text += optional_string(content[i], "text", source, path / i);
  }
  return text;
}

// The arguments object, or the model's text kept raw (a string) when it is not a JSON object:
// the prompt must hold what the model wrote, and the note says so.
Json parse_arguments(const std::string& arguments, const JsonPath& path, ImportedSample& sample) {
  try {
    Json parsed = util::parse_json_strict(arguments, "arguments");
    if (parsed.is_object()) return parsed;
    sample.notes.push_back(path.to_string() + ": the arguments are JSON but not an object; kept as the raw text");
  } catch (const InputError& e) {
    sample.notes.push_back(path.to_string() + ": the model wrote arguments that are not valid JSON (" + e.what() +
                           "); kept as the raw text the model wrote");
  }
  return Json(arguments);
}

Message read_openai_message(const Json& value, ImportedSample& sample, std::map<std::string, std::string>& call_names,
                            const std::string& source, const JsonPath& path) {
  Message message;
  const std::string role = role_of(value, source, path);
  if (role == "developer") {
    message.role = Role::kSystem;
    sample.notes.push_back(path.to_string() + ": a \"developer\" message is imported as a system message");
  } else if (const auto parsed = incident::kRoleNames.parse(role)) {
    message.role = *parsed;
  } else {
    unknown_role(role, "system, developer, user, assistant and tool", source, path);
  }
  message.content = text_of(value.contains("content") ? value["content"] : Json(), source, path / "content");
  if (message.role == Role::kAssistant) {
    const std::string refusal = optional_string(value, "refusal", source, path);
    if (message.content.empty() && !refusal.empty()) message.content = refusal;
    // Reasoning is not part of the official API: DeepSeek and older vLLM write reasoning_content,
    // newer vLLM and OpenRouter write reasoning.
    std::string reasoning = optional_string(value, "reasoning_content", source, path);
    if (reasoning.empty()) reasoning = optional_string(value, "reasoning", source, path);
    if (!reasoning.empty()) message.reasoning = reasoning;
    if (value.contains("tool_calls") && value["tool_calls"].is_array()) {
      const Json& calls = value["tool_calls"];
      for (std::size_t i = 0; i < calls.size(); ++i) {
        const JsonPath call_path = path / "tool_calls" / i;
        const Json& function = required(calls[i], "function", source, call_path);
        incident::ToolCall call;
        call.id = optional_string(calls[i], "id", source, call_path);
        call.name = optional_string(function, "name", source, call_path / "function");
        call.arguments = parse_arguments(optional_string(function, "arguments", source, call_path / "function"),
                                         call_path / "function" / "arguments", sample);
        call_names[call.id] = call.name;
        message.tool_calls.push_back(std::move(call));
      }
    }
  } else if (message.role == Role::kTool) {
    message.tool_call_id = optional_string(value, "tool_call_id", source, path);
    const std::string name = optional_string(value, "name", source, path);
    const auto called = call_names.find(message.tool_call_id.value_or(""));
    if (!name.empty()) {
      message.name = name;
    } else if (called != call_names.end()) {
      message.name = called->second;
    }
  }
  return message;
}

// One Anthropic message can become several: tool_result blocks in a user turn are the tools'
// replies (one tool message each), and any text in it is then a user message after them.
void read_anthropic_message(const Json& value, ImportedSample& sample, std::map<std::string, std::string>& call_names,
                            const std::string& source, const JsonPath& path, std::vector<Message>& out,
                            std::vector<JsonPath>& out_paths) {
  const std::string role = role_of(value, source, path);
  if (role != "user" && role != "assistant") unknown_role(role, "user and assistant", source, path);
  const Json content = value.contains("content") ? value["content"] : Json("");
  Message message;
  message.role = role == "user" ? Role::kUser : Role::kAssistant;
  if (content.is_string()) {
    message.content = content.get<std::string>();
    out.push_back(std::move(message));
    out_paths.push_back(path);
    return;
  }
  if (!content.is_array()) fail(source, path / "content", "expected a string or a list of content blocks");
  std::string reasoning;
  bool had_tool_results = false;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const Json& block = content[i];
    const JsonPath block_path = path / "content" / i;
    const std::string type = optional_string(block, "type", source, block_path);
    if (type == "text") {
      message.content += optional_string(block, "text", source, block_path);
    } else if (type == "thinking" && message.role == Role::kAssistant) {
      reasoning += optional_string(block, "thinking", source, block_path);
    } else if (type == "redacted_thinking") {
      fail(source, block_path,
           "redacted_thinking holds the model's reasoning encrypted: the model saw text this log does not "
           "hold, so its prompt cannot be re-rendered; export the conversation with thinking not redacted");
    } else if (type == "tool_use" && message.role == Role::kAssistant) {
      incident::ToolCall call;
      call.id = optional_string(block, "id", source, block_path);
      call.name = optional_string(block, "name", source, block_path);
      call.arguments = required(block, "input", source, block_path);
      if (!call.arguments.is_object()) fail(source, block_path / "input", "expected an object");
      call_names[call.id] = call.name;
      message.tool_calls.push_back(std::move(call));
    } else if (type == "tool_result" && message.role == Role::kUser) {
      Message result;
      result.role = Role::kTool;
      result.tool_call_id = optional_string(block, "tool_use_id", source, block_path);
      result.content = text_of(block.contains("content") ? block["content"] : Json(), source, block_path / "content");
      const auto called = call_names.find(*result.tool_call_id);
      if (called != call_names.end()) result.name = called->second;
      if (block.value("is_error", false))
        sample.notes.push_back(block_path.to_string() + ": the tool reported an error");
      out.push_back(std::move(result));
      out_paths.push_back(block_path);
      had_tool_results = true;
    } else {
      fail(
          source, block_path / "type",
          "a \"" + type + "\" block in a" + (role == "user" ? " user" : "n assistant") + " message cannot be imported");
    }
  }
  if (!reasoning.empty()) message.reasoning = reasoning;
  if (!(had_tool_results && message.content.empty())) {
    out.push_back(std::move(message));
    out_paths.push_back(path);
  }
}

ImportedLog single_sample_log(LogFormat format, const std::filesystem::path& path, ImportedSample sample,
                              const LogSelection& selection) {
  ImportedLog log;
  log.format = format;
  log.source = path;
  if ((!selection.sample || *selection.sample == sample.id) && (!selection.epoch || *selection.epoch == sample.epoch)) {
    log.samples.push_back(std::move(sample));
  }
  return log;
}

ImportedSample new_sample(const Json& document, const std::filesystem::path& path) {
  ImportedSample sample;
  sample.id = "1";
  sample.origin = path.string();
  if (document.is_object() && document.contains("model") && document["model"].is_string()) {
    sample.model = document["model"].get<std::string>();
  }
  return sample;
}

}  // namespace

ImportedLog read_openai(const Json& document, const std::filesystem::path& path, const LogSelection& selection) {
  const std::string source = path.string();
  const Conversation conversation = conversation_of(document, source);
  ImportedSample sample = new_sample(document, path);
  std::map<std::string, std::string> call_names;
  for (std::size_t i = 0; i < conversation.messages.size(); ++i) {
    sample.transcript.messages.push_back(
        read_openai_message(*conversation.messages[i], sample, call_names, source, conversation.paths[i]));
  }
  check_tool_links(sample.transcript, conversation.paths, source, "tool_call_id");
  return single_sample_log(LogFormat::kOpenai, path, std::move(sample), selection);
}

ImportedLog read_anthropic(const Json& document, const std::filesystem::path& path, const LogSelection& selection) {
  const std::string source = path.string();
  const Conversation conversation = conversation_of(document, source);
  ImportedSample sample = new_sample(document, path);
  std::vector<JsonPath> paths;
  if (conversation.system != nullptr) {
    Message system;
    system.role = Role::kSystem;
    system.content = text_of(*conversation.system, source, JsonPath() / "system");
    sample.transcript.messages.push_back(std::move(system));
    paths.push_back(JsonPath() / "system");
  }
  std::map<std::string, std::string> call_names;
  for (std::size_t i = 0; i < conversation.messages.size(); ++i) {
    read_anthropic_message(*conversation.messages[i], sample, call_names, source, conversation.paths[i],
                           sample.transcript.messages, paths);
  }
  check_tool_links(sample.transcript, paths, source, "tool_use_id");
  return single_sample_log(LogFormat::kAnthropic, path, std::move(sample), selection);
}

}  // namespace forensics::import::detail
