// The model's own chat template against the built-in formats (model_template.h).
#include "forensics/incident/model_template.h"

#include <algorithm>

#include "forensics/incident/chat_format.h"
#include "forensics/jinja/template.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "forensics/util/text.h"

namespace forensics::incident {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxTemplateFileBytes = 16u << 20;

// tokenizer_config.json writes a special token as a string or as an AddedToken object.
std::optional<std::string> token_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  return std::nullopt;
}

Json special_tokens_of(const Json& config) {
  Json out = Json::object();
  for (const char* name :
       {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
    if (!config.contains(name)) continue;
    if (const auto text = token_text(config[name])) out[name] = *text;
  }
  return out;
}

std::optional<std::string> template_in_config(const Json& config) {
  const auto found = config.find("chat_template");
  if (found == config.end() || found->is_null()) return std::nullopt;
  if (found->is_string()) return found->get<std::string>();
  if (found->is_array()) {  // [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]
    for (const auto& entry : *found) {
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
          entry["template"].is_string()) {
        return entry["template"].get<std::string>();
      }
    }
  }
  return std::nullopt;
}

Json tool_call_json(const ToolCall& call) {
  return {{"id", call.id}, {"type", "function"}, {"function", {{"name", call.name}, {"arguments", call.arguments}}}};
}

std::string first_difference(const std::string& ours, const std::string& theirs, const char* what) {
  const auto at = static_cast<std::size_t>(
      std::mismatch(ours.begin(), ours.begin() + static_cast<std::ptrdiff_t>(std::min(ours.size(), theirs.size())),
                    theirs.begin())
          .first -
      ours.begin());
  const std::size_t from = at > 20 ? at - 20 : 0;
  return std::string(what) + " differs at byte " + std::to_string(at) + ": the built-in format writes " +
         Json(ours.substr(from, 60)).dump() + ", the model's template " + Json(theirs.substr(from, 60)).dump();
}

}  // namespace

std::optional<ModelChatTemplate> read_model_chat_template(const fs::path& model_directory) {
  ModelChatTemplate out;
  const fs::path config_path = model_directory / "tokenizer_config.json";
  std::error_code ec;
  Json config = Json::object();
  if (fs::exists(config_path, ec)) {
    config = util::parse_json_strict(util::read_text_file(config_path, kMaxTemplateFileBytes), config_path.string());
    if (!config.is_object()) throw InputError(config_path.string() + ": expected a JSON object");
  }
  out.special_tokens = special_tokens_of(config);
  const fs::path jinja_path = model_directory / "chat_template.jinja";
  if (fs::exists(jinja_path, ec)) {
    out.source = util::read_text_file(jinja_path, kMaxTemplateFileBytes);
    out.origin = jinja_path.string();
    return out;
  }
  auto source = template_in_config(config);
  if (!source) return std::nullopt;
  out.source = std::move(*source);
  out.origin = config_path.string() + " (chat_template)";
  return out;
}

Json template_messages(const Transcript& transcript, std::size_t count) {
  Json messages = Json::array();
  for (std::size_t i = 0; i < count && i < transcript.messages.size(); ++i) {
    const Message& message = transcript.messages[i];
    Json out = Json::object();
    if (message.reasoning) out["thinking"] = *message.reasoning;  // transformers puts it first
    out["role"] = std::string(kRoleNames.name(message.role));
    out["content"] = message.content;
    if (message.reasoning) out["reasoning_content"] = *message.reasoning;
    if (!message.tool_calls.empty()) {
      out["tool_calls"] = Json::array();
      for (const auto& call : message.tool_calls) out["tool_calls"].push_back(tool_call_json(call));
    }
    if (message.tool_call_id) out["tool_call_id"] = *message.tool_call_id;
    if (message.name) out["name"] = *message.name;
    messages.push_back(std::move(out));
  }
  return messages;
}

std::optional<std::string> template_mismatch(const Transcript& transcript, std::size_t action_message,
                                             ChatTemplate format, const ModelChatTemplate& model_template) {
  const auto parsed = jinja::Template::parse(model_template.source);
  auto render = [&](std::size_t count, bool generation_prompt) {
    Json context = model_template.special_tokens;
    context["messages"] = template_messages(transcript, count);
    context["add_generation_prompt"] = generation_prompt;
    return parsed.render(context);
  };
  const std::string prompt = render_prompt(transcript, action_message, format).text;
  const std::string theirs_prompt = render(action_message, true);
  if (prompt != theirs_prompt) return first_difference(prompt, theirs_prompt, "the prompt of the action's turn");
  const std::string through_turn = render_messages(transcript, action_message + 1, format).text;
  const std::string theirs_turn = render(action_message + 1, false);
  if (through_turn != theirs_turn) return first_difference(through_turn, theirs_turn, "the action's turn");
  return std::nullopt;
}

}  // namespace forensics::incident
