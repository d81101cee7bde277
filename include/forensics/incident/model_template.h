// incident: the model's own chat template (the Jinja `chat_template` its tokenizer ships), and
// whether a built-in chat format renders a transcript exactly as that template does. A verdict
// computed on a prompt the model never saw is worthless, so import refuses a mismatch and
// validate warns about one. The template is rendered by forensics_jinja (docs/jinja.md), with
// the messages prepared as transformers' apply_chat_template prepares them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "forensics/incident/incident.h"
#include "forensics/incident/transcript.h"
#include "forensics/util/json.h"

namespace forensics::incident {

struct ModelChatTemplate {
  std::string source;   // the Jinja text
  std::string origin;   // the file it came from, for messages
  Json special_tokens;  // {"bos_token": "...", "eos_token": "...", ...}: variables the template may use
};

/// The directory's chat template: `chat_template.jinja` when present (it wins in transformers),
/// else `chat_template` of tokenizer_config.json (a string, or a list of named templates of which
/// "default" is taken). Absent when the directory has none. Throws InputError for an unreadable
/// tokenizer_config.json.
std::optional<ModelChatTemplate> read_model_chat_template(const std::filesystem::path& model_directory);

/// The first `count` messages as apply_chat_template takes them: OpenAI form (`tool_calls` with
/// `function: {name, arguments}`, role `tool` with `tool_call_id`), reasoning under both
/// `thinking` and `reasoning_content` as transformers copies it.
Json template_messages(const Transcript& transcript, std::size_t count);

/// Where the built-in format and the model's template disagree on the prompt of assistant message
/// `action_message` or on that turn itself: absent when both render byte-identically. Throws
/// jinja::TemplateError when the template cannot be rendered (an unsupported construct, or the
/// template's own raise_exception).
std::optional<std::string> template_mismatch(const Transcript& transcript, std::size_t action_message,
                                             ChatTemplate format, const ModelChatTemplate& model_template);

}  // namespace forensics::incident
