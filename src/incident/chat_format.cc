// incident: the renderings of docs/chat-formats.md. One writer per format appends each message to
// the text and records its spans; the prompt and turn functions cut that one rendering, so the
// prompt + turn = rendering invariant holds by construction rather than by keeping code in step.
#include "forensics/incident/chat_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "forensics/incident/template_renderer.h"
#include "forensics/util/error.h"
#include "forensics/util/python_float.h"

namespace forensics::incident {
namespace {

const ChatMarkers kChatmlMarkers{
    /*begin_of_text=*/"",
    /*generation_prompt=*/"<|im_start|>assistant\n",
    /*end_of_turn=*/"<|im_end|>",
    /*turn_separator=*/"\n",
    /*reasoning_start=*/"<think>\n",
    /*reasoning_end=*/"\n</think>\n\n",
    {"<|im_start|>", "<|im_end|>"},
    {"<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"},
};

// <think> is ours: Llama 3 has no reasoning convention; DeepSeek-R1-Distill-Llama writes it so.
const ChatMarkers kLlama3Markers{
    /*begin_of_text=*/"<|begin_of_text|>",
    /*generation_prompt=*/"<|start_header_id|>assistant<|end_header_id|>\n\n",
    /*end_of_turn=*/"<|eot_id|>",
    /*turn_separator=*/"",
    /*reasoning_start=*/"<think>\n",
    /*reasoning_end=*/"\n</think>\n\n",
    {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"},
    {"<think>", "</think>"},
};

// [THINK] … [/THINK] as Magistral (2507 and later) writes reasoning; the rest follows the v0.3
// template (tool calls and results) with v0.1 spacing around [INST].
const ChatMarkers kMistralMarkers{
    /*begin_of_text=*/"<s>",
    /*generation_prompt=*/"",
    /*end_of_turn=*/"</s>",
    /*turn_separator=*/"",
    /*reasoning_start=*/"[THINK]",
    /*reasoning_end=*/"[/THINK]",
    {"<s>", "</s>", "[INST]", "[/INST]", "[TOOL_CALLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[THINK]", "[/THINK]"},
    {},
};

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// Python's json.dumps writes the non-finite floats as NaN, Infinity, -Infinity; the rest as repr.
void append_python_float(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "Infinity" : "-Infinity";
  } else {
    out += util::python_float_repr(value);
  }
}

void append_python_json(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(value.get<std::int64_t>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(value.get<std::uint64_t>()); break;
    case Json::value_t::number_float: append_python_float(out, value.get<double>()); break;
    case Json::value_t::string: append_json_string(out, value.get_ref<const std::string&>()); break;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += ", ";
        first = false;
        append_python_json(out, item);
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ", ";
        first = false;
        append_json_string(out, key);
        out += ": ";
        append_python_json(out, item);
      }
      out += '}';
      break;
    }
    default:
      throw InputError("cannot serialize a JSON value of type " + std::string(value.type_name()) +
                       " into a chat template");
  }
}

// Appends to the text and hands back the span of what was appended.
class Writer {
 public:
  std::size_t position() const { return text_.size(); }
  TextSpan write(std::string_view piece) {
    const std::size_t begin = text_.size();
    text_ += piece;
    return {begin, text_.size()};
  }
  TextSpan write_json(const Json& value) {
    const std::size_t begin = text_.size();
    append_python_json(text_, value);
    return {begin, text_.size()};
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

// The messages being rendered and their neighbours: a message's markup may depend on the role
// of the one before or after it (chatml groups tool replies, mistral merges system into user).
struct Context {
  const std::vector<Message>& messages;
  std::size_t count;

  std::optional<Role> role_before(std::size_t index) const {
    if (index == 0) return std::nullopt;
    return messages[index - 1].role;
  }
  std::optional<Role> role_after(std::size_t index) const {
    if (index + 1 >= count) return std::nullopt;
    return messages[index + 1].role;
  }
};

// The reasoning and content of an assistant turn, which every format writes the same way up to
// its markers.
void write_reasoning_and_content(Writer& out, const Message& message, const ChatMarkers& markers, MessageSpans& spans) {
  if (message.reasoning) {
    out.write(markers.reasoning_start);
    spans.reasoning = out.write(*message.reasoning);
    out.write(markers.reasoning_end);
  }
  spans.content = out.write(message.content);
}

/// How a format writes one tool call: the text before the name, between the name and the
/// arguments, and after the arguments.
struct ToolCallMarkup {
  std::string_view open;
  std::string_view arguments_key;
  std::string_view close;
};

// Tool calls follow the content, one per line (chatml and llama3).
void write_tool_calls(Writer& out, const Message& message, const ToolCallMarkup& markup, MessageSpans& spans) {
  for (std::size_t i = 0; i < message.tool_calls.size(); ++i) {
    const ToolCall& call = message.tool_calls[i];
    if (i > 0 || !message.content.empty()) out.write("\n");
    ToolCallSpans call_spans;
    call_spans.call.begin = out.write(markup.open).begin;
    out.write_json(call.name);
    out.write(markup.arguments_key);
    call_spans.arguments = out.write(arguments_text(call));
    call_spans.call.end = out.write(markup.close).end;
    spans.tool_calls.push_back(call_spans);
  }
}

// An assistant turn of chatml or llama3: the generation prompt, then the body the model wrote
// (reasoning, content, tool calls), then `end` (the end-of-turn marker and separator).
void write_assistant_turn(Writer& out, const Message& message, const ChatMarkers& markers,
                          const ToolCallMarkup& tool_call, std::string_view end, MessageSpans& spans) {
  out.write(markers.generation_prompt);
  spans.body.begin = out.position();
  write_reasoning_and_content(out, message, markers, spans);
  write_tool_calls(out, message, tool_call, spans);
  out.write(end);
}

// Qwen3's template: tool calls follow the content, each on its own lines; replies from
// consecutive tool messages share one user turn.
void write_chatml(Writer& out, const Context& context, std::size_t index, MessageSpans& spans) {
  const Message& message = context.messages[index];
  switch (message.role) {
    case Role::kSystem:
    case Role::kUser:
      out.write("<|im_start|>");
      out.write(kRoleNames.name(message.role));
      out.write("\n");
      spans.content = out.write(message.content);
      out.write("<|im_end|>\n");
      break;
    case Role::kAssistant:
      write_assistant_turn(out, message, kChatmlMarkers,
                           {"<tool_call>\n{\"name\": ", ", \"arguments\": ", "}\n</tool_call>"}, "<|im_end|>\n", spans);
      break;
    case Role::kTool:
      if (context.role_before(index) != Role::kTool) out.write("<|im_start|>user");
      out.write("\n<tool_response>\n");
      spans.content = out.write(message.content);
      out.write("\n</tool_response>");
      if (context.role_after(index) != Role::kTool) out.write("<|im_end|>\n");
      break;
  }
}

// Meta's Llama 3 template, with tool results in the `ipython` role as Llama 3.1 has them. Ours:
// content is not trimmed, reasoning is written, and tool calls follow the content as Llama 3.1's
// JSON calls (`{"name": …, "parameters": …}`), one per line, where Meta's allows a single call.
void write_llama3(Writer& out, const Context& context, std::size_t index, MessageSpans& spans) {
  const Message& message = context.messages[index];
  if (message.role == Role::kAssistant) {
    write_assistant_turn(out, message, kLlama3Markers, {"{\"name\": ", ", \"parameters\": ", "}"}, "<|eot_id|>", spans);
    return;
  }
  out.write("<|start_header_id|>");
  out.write(message.role == Role::kTool ? "ipython" : kRoleNames.name(message.role));
  out.write("<|end_header_id|>\n\n");
  spans.content = out.write(message.content);
  out.write("<|eot_id|>");
}

// Mistral's v0.1 instruction format with v0.3's tool calls and results. A system message is
// prepended to the user message that follows it (Mistral's templates do this, to the first or
// last user message by version); with no user message right after it, it is a turn of its own.
void write_mistral(Writer& out, const Context& context, std::size_t index, MessageSpans& spans) {
  const Message& message = context.messages[index];
  switch (message.role) {
    case Role::kSystem:
      out.write("[INST] ");
      spans.content = out.write(message.content);
      out.write(context.role_after(index) == Role::kUser ? "\n\n" : " [/INST]");
      break;
    case Role::kUser:
      if (context.role_before(index) != Role::kSystem) out.write("[INST] ");
      spans.content = out.write(message.content);
      out.write(" [/INST]");
      break;
    case Role::kAssistant:
      spans.body.begin = out.position();
      write_reasoning_and_content(out, message, kMistralMarkers, spans);
      if (!message.tool_calls.empty()) {
        out.write("[TOOL_CALLS] [");
        for (std::size_t i = 0; i < message.tool_calls.size(); ++i) {
          const ToolCall& call = message.tool_calls[i];
          if (i > 0) out.write(", ");
          ToolCallSpans call_spans;
          call_spans.call.begin = out.write("{\"name\": ").begin;
          out.write_json(call.name);
          out.write(", \"arguments\": ");
          call_spans.arguments = out.write(arguments_text(call));
          out.write(", \"id\": ");
          out.write_json(call.id);
          call_spans.call.end = out.write("}").end;
          spans.tool_calls.push_back(call_spans);
        }
        out.write("]");
      }
      out.write("</s>");
      break;
    case Role::kTool:
      // The content goes in unquoted, as v0.3's template writes it, so it stays verbatim.
      out.write("[TOOL_RESULTS] {\"content\": ");
      spans.content = out.write(message.content);
      out.write(", \"call_id\": ");
      out.write_json(message.tool_call_id.value_or(""));
      out.write("}[/TOOL_RESULTS]");
      break;
  }
}

// Only a value outside the enumeration (a bug, not user input) gets past the switches below.
[[noreturn]] void throw_unknown_template(ChatTemplate chat_template) {
  throw Error("chat format " + std::to_string(static_cast<int>(chat_template)) + " has no renderer");
}

using MessageWriter = void (*)(Writer&, const Context&, std::size_t, MessageSpans&);

MessageWriter writer_for(ChatTemplate chat_template) {
  switch (chat_template) {
    case ChatTemplate::kChatml: return write_chatml;
    case ChatTemplate::kLlama3: return write_llama3;
    case ChatTemplate::kMistral: return write_mistral;
  }
  throw_unknown_template(chat_template);
}

void check_assistant_index(const Transcript& transcript, std::size_t index) {
  if (index >= transcript.messages.size()) {
    throw InputError("message " + std::to_string(index) + " is past the end of the transcript (" +
                     std::to_string(transcript.messages.size()) + " messages)");
  }
  if (transcript.messages[index].role != Role::kAssistant) {
    throw InputError("message " + std::to_string(index) + " is a " +
                     std::string(kRoleNames.name(transcript.messages[index].role)) +
                     " message; only an assistant turn has a prompt and a generated body");
  }
}

TextSpan shifted(TextSpan span, std::size_t offset) { return {span.begin - offset, span.end - offset}; }

}  // namespace

const ChatMarkers& chat_markers(ChatTemplate chat_template) {
  switch (chat_template) {
    case ChatTemplate::kChatml: return kChatmlMarkers;
    case ChatTemplate::kLlama3: return kLlama3Markers;
    case ChatTemplate::kMistral: return kMistralMarkers;
  }
  throw_unknown_template(chat_template);
}

RenderedTranscript render_messages(const Transcript& transcript, std::size_t count, ChatTemplate chat_template,
                                   const RenderOptions& options) {
  const MessageWriter write_message = writer_for(chat_template);
  if (count > transcript.messages.size()) {
    throw InputError("cannot render " + std::to_string(count) + " messages of a transcript of " +
                     std::to_string(transcript.messages.size()));
  }
  const ChatMarkers& markers = chat_markers(chat_template);
  const Context context{transcript.messages, count};
  Writer out;
  RenderedTranscript rendered;
  rendered.messages.reserve(count);
  out.write(markers.begin_of_text);
  for (std::size_t i = 0; i < count; ++i) {
    MessageSpans spans;
    spans.message.begin = out.position();
    spans.body.begin = spans.message.begin;
    spans.content = {out.position(), out.position()};
    write_message(out, context, i, spans);
    spans.message.end = out.position();
    spans.body.end = spans.message.end;
    rendered.messages.push_back(std::move(spans));
  }
  if (options.add_generation_prompt) out.write(markers.generation_prompt);
  rendered.text = out.take();
  return rendered;
}

RenderedTranscript render_transcript(const Transcript& transcript, ChatTemplate chat_template,
                                     const RenderOptions& options) {
  return render_messages(transcript, transcript.messages.size(), chat_template, options);
}

RenderedTranscript render_prompt(const Transcript& transcript, std::size_t index, ChatTemplate chat_template) {
  check_assistant_index(transcript, index);
  return render_messages(transcript, index, chat_template, {/*add_generation_prompt=*/true});
}

namespace {

// The last message of `upto` from where its body begins: the turn the model generated.
RenderedTurn cut_turn(const RenderedTranscript& upto) {
  const MessageSpans& spans = upto.messages.back();
  const std::size_t begin = spans.body.begin;
  RenderedTurn turn;
  turn.text = upto.text.substr(begin);
  turn.spans.message = shifted(spans.body, begin);
  turn.spans.body = turn.spans.message;
  turn.spans.content = shifted(spans.content, begin);
  if (spans.reasoning) turn.spans.reasoning = shifted(*spans.reasoning, begin);
  for (const ToolCallSpans& call : spans.tool_calls) {
    turn.spans.tool_calls.push_back({shifted(call.call, begin), shifted(call.arguments, begin)});
  }
  return turn;
}

const TemplateRenderer& model_template_of(const Format& format) {
  if (!format.model_template) {
    throw InputError("format \"model\": the model's chat template is not loaded (its directory was not checked)");
  }
  return *format.model_template;
}

}  // namespace

RenderedTurn render_turn(const Transcript& transcript, std::size_t index, ChatTemplate chat_template) {
  check_assistant_index(transcript, index);
  return cut_turn(render_messages(transcript, index + 1, chat_template));
}

RenderedTranscript render_messages(const Transcript& transcript, std::size_t count, const Format& format,
                                   const RenderOptions& options) {
  if (!format.model) return render_messages(transcript, count, format.chat_template, options);
  return model_template_of(format).render_messages(transcript, count, options.add_generation_prompt);
}

RenderedTranscript render_prompt(const Transcript& transcript, std::size_t index, const Format& format) {
  check_assistant_index(transcript, index);
  return render_messages(transcript, index, format, {/*add_generation_prompt=*/true});
}

RenderedTurn render_turn(const Transcript& transcript, std::size_t index, const Format& format) {
  check_assistant_index(transcript, index);
  return cut_turn(render_messages(transcript, index + 1, format));
}

std::string end_of_turn(const Format& format) {
  if (!format.model) return std::string(chat_markers(format.chat_template).end_of_turn);
  return model_template_of(format).end_of_turn();
}

std::string format_name(const Format& format) {
  if (!format.model) return std::string(kChatTemplateNames.name(format.chat_template));
  return format.model_template ? "model (" + format.model_template->chat_template().origin + ")" : "model";
}

std::string arguments_text(const ToolCall& call) {
  return call.arguments.is_string() ? call.arguments.get<std::string>() : python_json_dumps(call.arguments);
}

std::string python_json_dumps(const Json& value) {
  std::string out;
  append_python_json(out, value);
  return out;
}

// Kept in step with write_chatml by tests/parity/chat_template_parity.py. `{% generation %}`
// marks each assistant body up to <|im_end|> for transformers' return_assistant_tokens_mask, so
// fine-tuning can train on what the model generates only; it does not change the text.
const std::string_view kChatmlJinjaTemplate = R"jinja({#- forensics chatml: docs/chat-formats.md -#}
{%- for message in messages %}
  {%- set content = message.content if message.content is string else '' %}
  {%- if message.role == 'assistant' %}
    {{- '<|im_start|>assistant\n' }}
    {%- generation %}
      {%- if message.reasoning_content is string %}
        {{- '<think>\n' + message.reasoning_content + '\n</think>\n\n' }}
      {%- endif %}
      {{- content }}
      {%- if message.tool_calls %}
        {%- for tool_call in message.tool_calls %}
          {%- if content or not loop.first %}
            {{- '\n' }}
          {%- endif %}
          {%- set call = tool_call.function if tool_call.function is defined else tool_call %}
          {{- '<tool_call>\n{"name": ' + (call.name | tojson) + ', "arguments": ' }}
          {%- if call.arguments is string %}
            {{- call.arguments }}
          {%- else %}
            {{- call.arguments | tojson }}
          {%- endif %}
          {{- '}\n</tool_call>' }}
        {%- endfor %}
      {%- endif %}
      {{- '<|im_end|>' }}
    {%- endgeneration %}
    {{- '\n' }}
  {%- elif message.role == 'tool' %}
    {%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}
      {{- '<|im_start|>user' }}
    {%- endif %}
    {{- '\n<tool_response>\n' + content + '\n</tool_response>' }}
    {%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}
      {{- '<|im_end|>\n' }}
    {%- endif %}
  {%- else %}
    {{- '<|im_start|>' + message.role + '\n' + content + '<|im_end|>\n' }}
  {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
  {{- '<|im_start|>assistant\n' }}
{%- endif %}
)jinja";

ReasoningMarkers reasoning_markers(const RenderedTurn& turn) {
  const auto& reasoning = turn.spans.reasoning;
  if (!reasoning || turn.spans.content.begin < reasoning->end) return {};
  const auto trimmed = [](std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return std::string();
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
  };
  const std::string_view text = turn.text;
  return {trimmed(text.substr(0, reasoning->begin)),
          trimmed(text.substr(reasoning->end, turn.spans.content.begin - reasoning->end))};
}

}  // namespace forensics::incident
