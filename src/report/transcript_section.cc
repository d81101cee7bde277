// report: the transcript as the model saw it — its chat format's markup greyed, the flagged
// action marked, and the chain of thought's sentences shaded by their resampling importance.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "forensics/report/batch_report.h"
#include "forensics/report/svg.h"
#include "verdict_sections.h"

namespace forensics::report::detail {
namespace {

struct ByteSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool contains(std::size_t at) const { return begin <= at && at < end; }
};

ByteSpan span_of(const Json& value, std::size_t limit) {
  auto offset = [](const Json& v) { return v.is_number_integer() && v.get<long long>() >= 0; };
  if (!value.is_array() || value.size() != 2 || !offset(value[0]) || !offset(value[1])) return {0, 0};
  const auto begin = std::min<std::size_t>(value[0].get<std::size_t>(), limit);
  return {begin, std::clamp<std::size_t>(value[1].get<std::size_t>(), begin, limit)};
}

struct ShadedSentence {
  ByteSpan span;  // in the transcript's text
  double importance = 0;
  std::string tooltip;
};

/// A translucent tint, so that the text keeps its colour in light and dark pages.
std::string tint(double importance) {
  const double alpha = std::min(0.6, std::abs(importance) * 2.0);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, importance >= 0 ? "rgba(178,24,43,%.2f)" : "rgba(33,102,172,%.2f)", alpha);
  return buffer;
}

std::string sentence_tooltip(const Json& sentence) {
  const RatePoint before = rate_point(sentence.value("rate_before", Json::object()));
  const RatePoint after = rate_point(sentence.value("rate_after", Json::object()));
  const Json importance = sentence.value("importance", Json::object());
  const Json ci = importance.value("ci95", Json::array({0, 0}));
  return "resampled from before this sentence: " + count_text(before.k, before.n) +
         "; after it: " + count_text(after.k, after.n) + "; importance " +
         signed_fixed(importance.value("estimate", 0.0), 3) + " " +
         signed_interval(ci.at(0).get<double>(), ci.at(1).get<double>());
}

/// One message as preformatted HTML: bytes outside its content, reasoning and tool calls are the
/// format's markup (greyed); sentences are tinted; the action is marked.
std::string message_html(const std::string& text, ByteSpan message, const std::vector<ByteSpan>& readable,
                         const std::vector<ShadedSentence>& sentences, ByteSpan action) {
  std::set<std::size_t> cuts{message.begin, message.end};
  for (const auto& span : readable) cuts.insert({span.begin, span.end});
  for (const auto& s : sentences) cuts.insert({s.span.begin, s.span.end});
  cuts.insert({action.begin, action.end});
  std::string out;
  for (auto it = cuts.begin(); it != cuts.end() && std::next(it) != cuts.end(); ++it) {
    const std::size_t from = *it;
    const std::size_t to = *std::next(it);
    if (from < message.begin || to > message.end || from == to) continue;
    std::string piece = xml_escape(std::string_view(text).substr(from, to - from));
    const bool markup =
        std::none_of(readable.begin(), readable.end(), [&](const ByteSpan& s) { return s.contains(from); });
    if (markup) piece = "<span class=\"special\">" + piece + "</span>";
    if (action.contains(from)) piece = "<mark class=\"action\">" + piece + "</mark>";
    for (std::size_t i = 0; i < sentences.size(); ++i) {
      const auto& s = sentences[i];
      if (!s.span.contains(from)) continue;
      piece = "<span class=\"sentence\" style=\"background:" + tint(s.importance) + "\" title=\"" +
              xml_escape(s.tooltip) + "\">" + piece + "</span>";
      if (to == s.span.end) piece += "<sup>[" + std::to_string(i + 1) + "]</sup>";
    }
    out += piece;
  }
  return out;
}

std::vector<ShadedSentence> shaded_sentences(const Json* results, std::size_t reasoning_begin, std::size_t limit) {
  std::vector<ShadedSentence> out;
  if (results == nullptr) return out;
  for (const auto& sentence : results->value("sentences", Json::array())) {
    const ByteSpan local = span_of(sentence.value("span", Json(nullptr)), limit);
    out.push_back({{std::min(limit, reasoning_begin + local.begin), std::min(limit, reasoning_begin + local.end)},
                   sentence.value("importance", Json::object()).value("estimate", 0.0),
                   sentence_tooltip(sentence)});
  }
  return out;
}

Table sentence_table(const Json& results) {
  Table table{{"#", "sentence", "before", "after", "importance [95% CI]", "states"},
              {},
              {true, false, true, true, true, false}};
  std::size_t number = 0;
  for (const auto& sentence : results.value("sentences", Json::array())) {
    const RatePoint before = rate_point(sentence.value("rate_before", Json::object()));
    const RatePoint after = rate_point(sentence.value("rate_after", Json::object()));
    const Json importance = sentence.value("importance", Json::object());
    const Json ci = importance.value("ci95", Json::array({0, 0}));
    std::string states;
    for (const auto& s : sentence.value("states", Json::array()))
      states += (states.empty() ? "" : ", ") + s.get<std::string>();
    table.rows.push_back({{{std::to_string(++number)}},
                          {{text_of(sentence, "text")}},
                          {{count_text(before.k, before.n)}},
                          {{count_text(after.k, after.n)}},
                          {{signed_fixed(importance.value("estimate", 0.0), 3) + " " +
                            signed_interval(ci.at(0).get<double>(), ci.at(1).get<double>())}},
                          {{states.empty() ? "\u2014" : states}}});
  }
  return table;
}

}  // namespace

Section transcript_section(const Json& verdict) {
  Section section{"transcript", "Transcript as the model saw it", {}};
  std::string why;
  const Json* sentences = probe_results(verdict, "sentence-resample", why);
  const Json transcript = verdict.value("transcript", Json(nullptr));
  if (!transcript.is_object()) {
    section.blocks.push_back(
        muted("This verdict does not record the transcript (it was written by an older forensics); "
              "re-run the investigation to see it here."));
  } else {
    const std::string text = text_of(transcript, "text");
    const Json action = transcript.value("action", Json::object());
    const std::size_t action_message = action.value("message", std::size_t{0});
    const ByteSpan action_span = span_of(action.value("span", Json(nullptr)), text.size());
    std::string html;
    const Json messages = transcript.value("messages", Json::array());
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const Json& m = messages[i];
      std::vector<ByteSpan> readable{span_of(m.value("content", Json(nullptr)), text.size())};
      const Json reasoning = m.value("reasoning", Json(nullptr));
      if (!reasoning.is_null()) readable.push_back(span_of(reasoning, text.size()));
      for (const auto& call : m.value("tool_calls", Json::array())) readable.push_back(span_of(call, text.size()));
      const bool is_action = i == action_message;
      const std::vector<ShadedSentence> shaded =
          is_action && !reasoning.is_null()
              ? shaded_sentences(sentences, span_of(reasoning, text.size()).begin, text.size())
              : std::vector<ShadedSentence>{};
      html += std::string("<div class=\"turn") + (is_action ? " action" : "") + "\"><div class=\"role\">" +
              xml_escape(text_of(m, "role")) + (is_action ? " \u2014 the flagged turn" : "") + "</div><pre>" +
              message_html(text, span_of(m.value("span", Json(nullptr)), text.size()), readable, shaded,
                           is_action ? action_span : ByteSpan{}) +
              "</pre></div>\n";
    }
    const std::string legend =
        "Chat format " + text_of(transcript, "format", "?") +
        "; its markup is greyed. The flagged action is marked; the chain of thought's sentences are tinted by their "
        "resampling importance (red: the action became likelier after the sentence, blue: less likely; hover for the "
        "rates).";
    section.blocks.push_back(muted(legend));
    section.blocks.push_back(HtmlFragment{
        html, {Paragraph{{{"The flagged action: "}, {text_of(action, "text"), Tone::kCode}}}, Code{text}}});
  }
  if (sentences != nullptr) {
    section.blocks.push_back(Paragraph{{{"Chain-of-thought sentences", Tone::kStrong},
                                        {": the action's rate when resampled from just before and just after each "
                                         "sentence (importance = after \u2212 before, Newcombe 95%)."}}});
    section.blocks.push_back(sentence_table(*sentences));
  } else {
    section.blocks.push_back(muted("Sentence resampling: " + why + "."));
  }
  return section;
}

}  // namespace forensics::report::detail
