// Detecting a log's format and the checks every reader shares.
#include <fstream>
#include <map>

#include "forensics/import/lenient_json.h"
#include "forensics/util/json_document.h"
#include "log_parts.h"

namespace forensics::import {

namespace detail {

void fail(const std::string& source, const util::JsonPath& path, const std::string& message) {
  throw InputError(source + ": " + (path.is_root() ? std::string() : path.to_string() + ": ") + message);
}

std::string optional_string(const Json& value, const char* key, const std::string& source, const util::JsonPath& path) {
  const auto found = value.find(key);
  if (found == value.end() || found->is_null()) return "";
  if (!found->is_string()) {
    fail(source, path / key, "expected a string, got " + util::json_type_name(*found));
  }
  return found->get<std::string>();
}

const Json& required(const Json& value, const char* key, const std::string& source, const util::JsonPath& path) {
  if (!value.is_object()) fail(source, path, "expected an object, got " + util::json_type_name(value));
  const auto found = value.find(key);
  if (found == value.end()) fail(source, path, std::string("has no \"") + key + "\"");
  return *found;
}

void check_tool_links(const incident::Transcript& transcript, const std::vector<util::JsonPath>& paths,
                      const std::string& source, const char* id_field) {
  std::map<std::string, std::size_t> calls;
  for (std::size_t i = 0; i < transcript.messages.size(); ++i) {
    const auto& message = transcript.messages[i];
    for (const auto& call : message.tool_calls) {
      if (!calls.emplace(call.id, i).second) {
        fail(source, paths[i], "tool call id \"" + call.id + "\" is used twice in one conversation");
      }
    }
    if (message.role == incident::Role::kTool && (!message.tool_call_id || calls.count(*message.tool_call_id) == 0)) {
      fail(source, paths[i] / id_field,
           "a tool result with no matching call: no earlier assistant turn made a tool call with id \"" +
               message.tool_call_id.value_or("") + "\"");
    }
  }
}

}  // namespace detail

namespace {

bool starts_with_zip_magic(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  char magic[4] = {};
  file.read(magic, 4);
  return file.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

bool has_block_of_type(const Json& messages, std::initializer_list<const char*> types) {
  if (!messages.is_array()) return false;
  for (const auto& message : messages) {
    const auto content = message.is_object() ? message.find("content") : message.end();
    if (!message.is_object() || content == message.end() || !content->is_array()) continue;
    for (const auto& block : *content) {
      if (!block.is_object() || !block.contains("type") || !block["type"].is_string()) continue;
      for (const char* type : types) {
        if (block["type"] == type) return true;
      }
    }
  }
  return false;
}

// Inspect logs carry `eval` and `version`; Anthropic's top-level `system` or its content blocks
// give it away; anything else with messages is taken as OpenAI chat.
LogFormat sniff(const Json& document) {
  if (document.is_object() && document.contains("eval") && document.contains("version")) return LogFormat::kInspect;
  const Json& request = document.is_object() && document.contains("request") ? document["request"] : document;
  const Json* messages = &request;
  if (request.is_object() && request.contains("messages")) messages = &request["messages"];
  if (document.is_object() && document.contains("response") && document["response"].is_object()) {
    const Json& response = document["response"];
    if (response.contains("choices")) return LogFormat::kOpenai;
    if (response.value("type", "") == "message") return LogFormat::kAnthropic;
  }
  const bool anthropic_system = request.is_object() && request.contains("system");
  if (anthropic_system || has_block_of_type(*messages, {"tool_use", "tool_result", "thinking", "redacted_thinking"})) {
    return LogFormat::kAnthropic;
  }
  return LogFormat::kOpenai;
}

void check_selection_found(const ImportedLog& log, const LogSelection& selection) {
  if (!log.samples.empty() || !log.unreadable.empty()) return;
  std::string wanted = selection.sample ? "sample \"" + *selection.sample + "\"" : std::string("any sample");
  if (selection.epoch) wanted += " in epoch " + std::to_string(*selection.epoch);
  throw InputError(log.source.string() + ": holds no " + wanted + " (forensics import " + log.source.string() +
                   " --list shows what it holds)");
}

}  // namespace

ImportedLog read_log(const std::filesystem::path& path, std::optional<LogFormat> format,
                     const LogSelection& selection) {
  util::require_regular_file(path);
  ImportedLog log;
  if (starts_with_zip_magic(path)) {
    if (format && *format != LogFormat::kInspect) {
      throw InputError(path.string() + ": is a ZIP file; only Inspect's .eval logs are ZIP files");
    }
    log = detail::read_inspect_eval(path, selection);
  } else {
    const Json document = parse_python_json(util::read_text_file(path, kMaxLogBytes), path.string());
    switch (format.value_or(sniff(document))) {
      case LogFormat::kInspect: log = detail::read_inspect_json(document, path, selection); break;
      case LogFormat::kOpenai: log = detail::read_openai(document, path, selection); break;
      case LogFormat::kAnthropic: log = detail::read_anthropic(document, path, selection); break;
    }
  }
  check_selection_found(log, selection);
  return log;
}

}  // namespace forensics::import
