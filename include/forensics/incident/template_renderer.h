// incident: a transcript rendered with the model's own chat template (`"format": {"template":
// "model"}`), with the spans the probes cut it by. The text is exactly what the template writes
// (forensics_jinja, equal to transformers' apply_chat_template: docs/jinja.md); the spans are
// found in it: message boundaries from renderings of the first messages (each must be a prefix of
// the whole), contents, reasoning and tool-call arguments by their verbatim text. A template that
// rewrites earlier turns (e.g. drops their reasoning once a later user turn exists) is cut by
// finding each message's texts in order instead; the assistant turn being generated is always cut
// exactly after the generation prompt.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "forensics/incident/chat_format.h"
#include "forensics/incident/model_template.h"
#include "forensics/incident/transcript.h"
#include "forensics/jinja/template.h"

namespace forensics::incident {

class TemplateRenderer {
 public:
  /// Parses the template. Throws jinja::TemplateError naming an unsupported construct.
  explicit TemplateRenderer(ModelChatTemplate chat_template);

  const ModelChatTemplate& chat_template() const { return source_; }

  /// The first `count` messages, as render_messages of chat_format.h gives them. Throws
  /// InputError when the template cannot be cut into these messages, jinja::TemplateError when it
  /// refuses the conversation (its raise_exception) or fails.
  RenderedTranscript render_messages(const Transcript& transcript, std::size_t count, bool add_generation_prompt) const;

  /// What ends an assistant turn: the tokenizer's eos_token (generation stops there).
  const std::string& end_of_turn() const { return end_of_turn_; }

 private:
  std::string render_text(const Transcript& transcript, std::size_t count, bool add_generation_prompt) const;
  // The spans of message `index` searched in `message_span` (bounded: the span is the message's
  // own, so an assistant's content is its last occurrence there).
  MessageSpans find_spans(const Message& message, const std::string& text, TextSpan message_span,
                          std::size_t body_begin, std::size_t index, bool bounded) const;
  RenderedTranscript cut_messages(const Transcript& transcript, std::size_t count, bool add_generation_prompt) const;
  std::optional<std::size_t> empty_content_position(const Transcript& transcript, std::size_t count,
                                                    bool add_generation_prompt, std::size_t m,
                                                    const std::string& text) const;
  std::optional<std::vector<std::size_t>> prefix_ends(const Transcript& transcript, std::size_t count,
                                                      const std::string& whole) const;
  std::size_t body_begin(const Transcript& transcript, std::size_t m, const std::string& text,
                         TextSpan message_span) const;

  ModelChatTemplate source_;
  jinja::Template template_;
  std::string end_of_turn_;
};

}  // namespace forensics::incident
