// The model's own chat template with spans (template_renderer.h).
#include "forensics/incident/template_renderer.h"

#include <algorithm>

#include "forensics/util/error.h"

namespace forensics::incident {

namespace {

// A fixed date for templates that print today's date (Llama 3.x): a verdict must not depend on
// the day it was computed. The date the model saw is not in the transcript; an incident that
// needs it passes it in the template's own variable (e.g. date_string) — not supported yet.
std::tm fixed_date() {
  std::tm date{};
  date.tm_year = 2026 - 1900;
  date.tm_mon = 0;
  date.tm_mday = 1;
  return date;
}

bool is_prefix(const std::string& prefix, const std::string& text) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// `needle` in text[begin, end), searching from the back when `last` (an assistant's content
// follows its reasoning and may repeat a phrase of it).
std::optional<TextSpan> find_in(const std::string& text, const std::string& needle, std::size_t begin, std::size_t end,
                                bool last) {
  if (needle.empty() || end < begin || needle.size() > end - begin) return std::nullopt;
  const std::string_view range(text.data() + begin, end - begin);
  const std::size_t at = last ? range.rfind(needle) : range.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  return TextSpan{begin + at, begin + at + needle.size()};
}

}  // namespace

TemplateRenderer::TemplateRenderer(ModelChatTemplate chat_template)
    : source_(std::move(chat_template)), template_(jinja::Template::parse(source_.source)) {
  if (source_.special_tokens.contains("eos_token"))
    end_of_turn_ = source_.special_tokens["eos_token"].get<std::string>();
}

std::string TemplateRenderer::render_text(const Transcript& transcript, std::size_t count,
                                          bool add_generation_prompt) const {
  Json context = source_.special_tokens;
  context["messages"] = template_messages(transcript, count);
  context["add_generation_prompt"] = add_generation_prompt;
  jinja::RenderOptions options;
  options.now = fixed_date();
  return template_.render(context, options);
}

MessageSpans TemplateRenderer::find_spans(const Message& message, const std::string& text, TextSpan message_span,
                                          std::size_t body_begin, std::size_t index, bool bounded) const {
  MessageSpans spans;
  spans.message = message_span;
  spans.body = {body_begin, message_span.end};
  std::size_t cursor = body_begin;
  if (message.reasoning) {
    spans.reasoning = find_in(text, *message.reasoning, cursor, message_span.end, false);
    if (spans.reasoning) cursor = spans.reasoning->end;  // absent: the template does not show it
  }
  const bool is_assistant = message.role == Role::kAssistant;
  if (message.content.empty()) {
    spans.content = {cursor, cursor};
  } else if (auto content = find_in(text, message.content, cursor, message_span.end, is_assistant && bounded)) {
    spans.content = *content;
    cursor = content->end;
  } else {
    throw InputError("the model's chat template does not write the content of message " + std::to_string(index) +
                     " verbatim, so the probes cannot find it in the prompt");
  }
  for (const auto& call : message.tool_calls) {
    const auto arguments = find_in(text, arguments_text(call), cursor, message_span.end, false);
    // A template that writes arguments otherwise (other spacing): the call is somewhere in the body.
    const TextSpan span = arguments.value_or(spans.body);
    spans.tool_calls.push_back({span, span});
    if (arguments) cursor = arguments->end;
  }
  return spans;
}

// Where the first m + 1 messages end, for each m, when rendering the first messages gives a
// prefix of the whole; absent when the template rewrites an earlier turn once later ones follow.
std::optional<std::vector<std::size_t>> TemplateRenderer::prefix_ends(const Transcript& transcript, std::size_t count,
                                                                      const std::string& whole) const {
  std::vector<std::size_t> ends;
  for (std::size_t m = 1; m < count; ++m) {
    const std::string upto = render_text(transcript, m, false);
    if (!is_prefix(upto, whole)) return std::nullopt;
    ends.push_back(upto.size());
  }
  ends.push_back(whole.size());
  return ends;
}

std::size_t TemplateRenderer::body_begin(const Transcript& transcript, std::size_t m, const std::string& text,
                                         TextSpan message_span) const {
  if (transcript.messages[m].role != Role::kAssistant) return message_span.begin;
  // What the model generated starts after the generation prompt the template writes.
  const std::string prompt = render_text(transcript, m, true);
  if (is_prefix(prompt, text) && prompt.size() <= message_span.end) return std::max(prompt.size(), message_span.begin);
  return message_span.begin;
}

// Where message m's empty content would have been: rendered once with a sentinel in its place;
// the text before the sentinel must be the same as without it. Absent otherwise.
std::optional<std::size_t> TemplateRenderer::empty_content_position(const Transcript& transcript, std::size_t count,
                                                                    bool add_generation_prompt, std::size_t m,
                                                                    const std::string& text) const {
  static const std::string kSentinel =
      "\x1e"
      "forensics-empty-content"
      "\x1e";
  Transcript probe = transcript;
  probe.messages[m].content = kSentinel;
  const std::string with_sentinel = render_text(probe, count, add_generation_prompt);
  const std::size_t at = with_sentinel.find(kSentinel);
  if (at == std::string::npos || at > text.size() || with_sentinel.compare(0, at, text, 0, at) != 0)
    return std::nullopt;
  return at;
}

RenderedTranscript TemplateRenderer::render_messages(const Transcript& transcript, std::size_t count,
                                                     bool add_generation_prompt) const {
  RenderedTranscript rendered = cut_messages(transcript, count, add_generation_prompt);
  for (std::size_t m = 0; m < count; ++m) {
    MessageSpans& spans = rendered.messages[m];
    if (!transcript.messages[m].content.empty()) continue;
    const auto at = empty_content_position(transcript, count, add_generation_prompt, m, rendered.text);
    if (at && *at >= spans.message.begin && *at <= spans.message.end) spans.content = {*at, *at};
  }
  return rendered;
}

RenderedTranscript TemplateRenderer::cut_messages(const Transcript& transcript, std::size_t count,
                                                  bool add_generation_prompt) const {
  if (count > transcript.messages.size()) {
    throw InputError("cannot render " + std::to_string(count) + " messages of a transcript of " +
                     std::to_string(transcript.messages.size()));
  }
  RenderedTranscript rendered;
  rendered.text = render_text(transcript, count, add_generation_prompt);
  const std::string without_prompt = add_generation_prompt ? render_text(transcript, count, false) : rendered.text;
  if (!is_prefix(without_prompt, rendered.text)) {
    throw InputError(
        "the model's chat template writes the messages differently when a generation prompt follows, "
        "so the probes cannot tell the prompt from the turn");
  }
  const std::string& messages_text = without_prompt;
  if (const auto ends = prefix_ends(transcript, count, messages_text)) {
    for (std::size_t m = 0; m < count; ++m) {
      const TextSpan message_span{m == 0 ? 0 : (*ends)[m - 1], (*ends)[m]};
      rendered.messages.push_back(find_spans(transcript.messages[m], rendered.text, message_span,
                                             body_begin(transcript, m, rendered.text, message_span), m, true));
    }
    return rendered;
  }
  // The template rewrites earlier turns (Qwen3 drops the reasoning of turns before the last user
  // message): each message is found in order, and runs to the end of its last piece of text, so
  // the markup between two messages counts to the second.
  std::size_t begin = 0;
  for (std::size_t m = 0; m < count; ++m) {
    const TextSpan search{begin, messages_text.size()};
    MessageSpans spans = find_spans(transcript.messages[m], rendered.text, search, begin, m, false);
    std::size_t end = std::max({spans.content.end, spans.reasoning ? spans.reasoning->end : begin, begin});
    for (const auto& call : spans.tool_calls) {
      if (call.arguments.end != search.end) end = std::max(end, call.arguments.end);
    }
    if (m + 1 == count) end = messages_text.size();
    spans.message = {begin, end};
    spans.body = {body_begin(transcript, m, rendered.text, spans.message), end};
    for (auto& call : spans.tool_calls) {
      if (call.arguments.end == search.end && call.arguments.begin == search.begin) call = {spans.body, spans.body};
    }
    rendered.messages.push_back(std::move(spans));
    begin = end;
  }
  return rendered;
}

}  // namespace forensics::incident
