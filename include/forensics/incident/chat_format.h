// incident: the built-in chat formats (chatml, llama3, mistral): a transcript rendered into the
// exact text a chat model sees, with the byte offsets of every message and of its parts, so the
// probes can cut, blank and regenerate pieces of it. docs/chat-formats.md gives each rendering.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/incident/incident.h"
#include "forensics/incident/matcher.h"
#include "forensics/incident/transcript.h"
#include "forensics/util/json.h"

namespace forensics::incident {

/// A half-open range [begin, end) of byte offsets into a rendered text.
struct TextSpan {
  std::size_t begin = 0;
  std::size_t end = 0;

  std::size_t size() const { return end - begin; }
  bool empty() const { return begin == end; }
  /// The spanned bytes of `text` (which must be the text the span was computed for).
  std::string_view of(std::string_view text) const { return text.substr(begin, end - begin); }
};

/// Where one tool call is in the rendered text.
struct ToolCallSpans {
  TextSpan call;       // the whole call with its markup, e.g. `<tool_call>\n{…}\n</tool_call>`
  TextSpan arguments;  // the arguments object as serialized (python_json_dumps)
};

/// Where one message is in the rendered text. Message spans tile the text in order: each starts
/// where the previous one ended; only the format's begin-of-text string precedes the first.
struct MessageSpans {
  TextSpan message;  // everything the message added: role header, parts, end-of-turn marker
  // Assistant messages: what the model generated, i.e. `message` without the generation prompt
  // that opens it (through the end-of-turn marker and turn separator). Other roles: `message`.
  TextSpan body;
  // The content verbatim: `content.of(text) == message.content`. Empty content gets an empty span
  // where it would have been.
  TextSpan content;
  // Assistant messages with reasoning: the reasoning verbatim, without its delimiters
  // (`reasoning_start` before it, `reasoning_end` after it).
  std::optional<TextSpan> reasoning;
  std::vector<ToolCallSpans> tool_calls;  // one per tool call, in order
};

/// A rendered transcript (or part of one) and where each message is in it.
struct RenderedTranscript {
  std::string text;
  std::vector<MessageSpans> messages;  // one per rendered message, in transcript order
};

/// One assistant turn as the model generates it, with spans relative to `text`.
struct RenderedTurn {
  // From after the generation prompt to the end-of-turn marker and turn separator, inclusive.
  std::string text;
  MessageSpans spans;  // `message` and `body` both cover the whole of `text`
};

/// The fixed strings of a built-in format.
struct ChatMarkers {
  std::string_view begin_of_text;      // written once before the first message ("" if none)
  std::string_view generation_prompt;  // opens an assistant turn; every prompt ends with it
  std::string_view end_of_turn;        // ends every assistant turn: the stop string for sampling
  std::string_view turn_separator;     // written after end_of_turn to close a turn (chatml: "\n")
  std::string_view reasoning_start;    // opens the reasoning: the body starts with it
  std::string_view reasoning_end;      // closes the reasoning, with what separates the content
  // Control tokens the format writes that a tokenizer holds as special tokens (skipped when
  // decoding with skip_special_tokens).
  std::vector<std::string_view> special_tokens;
  // Markup the format writes that a tokenizer should hold as single, non-special added tokens
  // (they stay in decoded text, as in Qwen3's tokenizer).
  std::vector<std::string_view> markup_tokens;
};

/// The markers around the reasoning of a rendered turn (what precedes the reasoning and what lies
/// between it and the content, whitespace trimmed), read from the rendering itself, so they hold
/// for a model's own template as for the built-in formats. Empty when the turn has no reasoning.
ReasoningMarkers reasoning_markers(const RenderedTurn& turn);

/// The markers of `chat_template`.
const ChatMarkers& chat_markers(ChatTemplate chat_template);

struct RenderOptions {
  bool add_generation_prompt = false;  // append the generation prompt after the last message
};

/// The whole transcript as the model sees it.
RenderedTranscript render_transcript(const Transcript& transcript, ChatTemplate chat_template,
                                     const RenderOptions& options = {});

/// The first `count` messages rendered as if the transcript ended there (count <= size).
/// Throws InputError for a count past the end.
RenderedTranscript render_messages(const Transcript& transcript, std::size_t count, ChatTemplate chat_template,
                                   const RenderOptions& options = {});

/// The prompt the model continued to write assistant message `index`: messages [0, index) and
/// the generation prompt. Throws InputError when `index` is out of range or not an
/// assistant message.
RenderedTranscript render_prompt(const Transcript& transcript, std::size_t index, ChatTemplate chat_template);

/// What the model generated as assistant message `index`, so that
/// `render_prompt(t, i).text + render_turn(t, i).text == render_messages(t, i + 1).text`.
/// A prefix to sample from inside the reasoning is
/// `prompt.text + turn.text.substr(0, turn.spans.reasoning->begin + cut)`.
/// Throws as render_prompt.
RenderedTurn render_turn(const Transcript& transcript, std::size_t index, ChatTemplate chat_template);

/// The same four renderings for an incident's format: a built-in one, or the model's own chat
/// template (template_renderer.h). Throw InputError when a `model` format has no template loaded
/// (the model directory was not checked) or cannot be cut, as TemplateRenderer says.
RenderedTranscript render_messages(const Transcript& transcript, std::size_t count, const Format& format,
                                   const RenderOptions& options = {});
RenderedTranscript render_prompt(const Transcript& transcript, std::size_t index, const Format& format);
RenderedTurn render_turn(const Transcript& transcript, std::size_t index, const Format& format);
/// What ends an assistant turn: the built-in format's end-of-turn marker, or the template's eos_token.
std::string end_of_turn(const Format& format);
/// "chatml", or "model (<where the template came from>)", for summaries and verdicts.
std::string format_name(const Format& format);

/// A tool call's arguments as the formats write them: the object as python_json_dumps writes
/// it, or raw arguments (a string) verbatim.
std::string arguments_text(const ToolCall& call);

/// `value` serialized as Python's `json.dumps(value, ensure_ascii=False)` does (what Jinja's
/// `tojson` writes in transformers' chat templates): separators ", " and ": ", keys in stored
/// order, non-ASCII kept, control characters escaped, floats as Python's repr.
std::string python_json_dumps(const Json& value);

/// The chatml rendering as a Jinja chat template for Hugging Face transformers, to be written
/// into the `chat_template` of tokenizer_config.json. `apply_chat_template(messages,
/// tokenize=False, add_generation_prompt=...)` then gives render_transcript's text, with messages
/// in OpenAI form: `role`, `content`, `reasoning_content`, `tool_calls` as
/// `{"id", "type": "function", "function": {"name", "arguments": <object>}}`, and role `tool`.
/// Checked against transformers by tests/parity/chat_template_parity.py.
extern const std::string_view kChatmlJinjaTemplate;

}  // namespace forensics::incident
