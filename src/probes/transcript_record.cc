// probes: the transcript as the model saw it, for the verdict document.
#include "transcript_record.h"

#include "forensics/incident/chat_format.h"

namespace forensics::probes {
namespace {

Json span_json(const incident::TextSpan& span) { return Json::array({span.begin, span.end}); }

/// Where the action's text is in the rendered action message: inside the called tool's arguments
/// (or the content) when it is written there verbatim; else the whole call (or content), since
/// serialization may escape the text (quotes, newlines).
incident::TextSpan action_span(const std::string& text, const incident::MessageSpans& spans,
                               const incident::Action& action) {
  incident::TextSpan where = spans.content;
  if (action.tool_call && *action.tool_call < spans.tool_calls.size()) {
    where = spans.tool_calls[*action.tool_call].arguments;
  }
  if (!action.text.empty()) {
    const std::size_t found = where.of(text).find(action.text);
    if (found != std::string_view::npos) {
      const std::size_t begin = where.begin + found;
      return {begin, begin + action.text.size()};
    }
  }
  if (action.tool_call && *action.tool_call < spans.tool_calls.size()) return spans.tool_calls[*action.tool_call].call;
  return where;
}

}  // namespace

Json transcript_record(const incident::Incident& incident) {
  const auto& messages = incident.transcript.messages;
  const std::size_t count = incident.action.message + 1;
  const incident::RenderedTranscript rendered = incident::render_messages(incident.transcript, count, incident.format);
  Json records = Json::array();
  for (std::size_t i = 0; i < rendered.messages.size(); ++i) {
    const auto& spans = rendered.messages[i];
    Json record{{"role", std::string(incident::kRoleNames.name(messages[i].role))},
                {"span", span_json(spans.message)},
                {"content", span_json(spans.content)},
                {"reasoning", spans.reasoning ? span_json(*spans.reasoning) : Json(nullptr)}};
    Json calls = Json::array();
    for (const auto& call : spans.tool_calls) calls.push_back(span_json(call.call));
    record["tool_calls"] = calls;
    records.push_back(record);
  }
  const auto& action_spans = rendered.messages.at(incident.action.message);
  return Json{{"format", incident::format_name(incident.format)},
              {"text", rendered.text},
              {"messages", records},
              {"action",
               {{"message", incident.action.message},
                {"tool_call", incident.action.tool_call ? Json(*incident.action.tool_call) : Json(nullptr)},
                {"text", incident.action.text},
                {"span", span_json(action_span(rendered.text, action_spans, incident.action))}}}};
}

}  // namespace forensics::probes
