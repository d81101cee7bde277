// probes: `ablate` (DESIGN §4, issue 6): leave-one-segment-out over the context before the
// action. Every earlier message as a whole, and (by granularity) each paragraph, line and sentence
// of a message's content, is deleted in turn; the action's turn (and the alternative's) is scored
// by teacher forcing after the re-rendered prompt. Deterministic: no sampling. Descriptive: it adds
// no evidence to the verdict, only a ranked list of the parts of the context that move the action.
#include <algorithm>
#include <cctype>
#include <numeric>
#include <string>
#include <vector>

#include "forensics/probes/probe.h"
#include "forensics/util/error.h"

namespace forensics::probes {

namespace {

using incident::AblateGranularity;
using incident::TextSpan;

// Kinds from coarse to fine; a finer piece with the span of a coarser one is the same deletion.
enum class SegmentKind { kMessage, kParagraph, kLine, kSentence };

const char* kind_name(SegmentKind kind) {
  switch (kind) {
    case SegmentKind::kMessage: return "message";
    case SegmentKind::kParagraph: return "paragraph";
    case SegmentKind::kLine: return "line";
    case SegmentKind::kSentence: return "sentence";
  }
  return "message";
}

struct Segment {
  std::size_t message = 0;
  SegmentKind kind = SegmentKind::kMessage;
  TextSpan span;  // in the message's content (a whole message: all of it)
};

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

/// [begin, end) without leading and trailing whitespace; empty when only whitespace.
TextSpan trimmed(const std::string& text, std::size_t begin, std::size_t end) {
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return {begin, end};
}

/// The non-blank pieces of text[begin, end) cut at each position `cut_after` reports: a piece
/// ends where it says, the next starts after it.
template <typename Cut>
std::vector<TextSpan> split(const std::string& text, TextSpan range, Cut cut_after) {
  std::vector<TextSpan> out;
  std::size_t start = range.begin;
  std::size_t at = range.begin;
  while (at < range.end) {
    const std::size_t next = cut_after(at, range.end);  // end of this piece, or npos
    if (next == std::string::npos) break;
    const TextSpan piece = trimmed(text, start, next);
    if (!piece.empty()) out.push_back(piece);
    start = at = std::max(next, at + 1);
  }
  const TextSpan last = trimmed(text, start, range.end);
  if (!last.empty()) out.push_back(last);
  return out;
}

std::vector<TextSpan> paragraphs(const std::string& text, TextSpan range) {
  // A blank line (a newline, optional spaces or tabs, another newline) separates paragraphs.
  return split(text, range, [&](std::size_t at, std::size_t end) -> std::size_t {
    for (std::size_t i = at; i < end; ++i) {
      if (text[i] != '\n') continue;
      std::size_t j = i + 1;
      while (j < end && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r')) ++j;
      if (j < end && text[j] == '\n') return j + 1;
    }
    return std::string::npos;
  });
}

std::vector<TextSpan> lines(const std::string& text, TextSpan range) {
  return split(text, range, [&](std::size_t at, std::size_t end) -> std::size_t {
    const std::size_t i = text.find('\n', at);
    return i == std::string::npos || i >= end ? std::string::npos : i + 1;
  });
}

std::vector<TextSpan> sentences(const std::string& text, TextSpan range) {
  // A sentence ends at `.`, `?` or `!` followed by whitespace (the line is already cut at newlines).
  return split(text, range, [&](std::size_t at, std::size_t end) -> std::size_t {
    for (std::size_t i = at; i + 1 < end; ++i) {
      if ((text[i] == '.' || text[i] == '?' || text[i] == '!') && is_space(text[i + 1])) return i + 1;
    }
    return std::string::npos;
  });
}

/// Every segment of the messages before the action, in position order (message, then offset,
/// coarser first). A piece is listed only when its parent has at least two pieces.
std::vector<Segment> segments_of(const incident::Transcript& transcript, std::size_t action_message,
                                 AblateGranularity granularity) {
  std::vector<Segment> out;
  for (std::size_t m = 0; m < action_message; ++m) {
    // The environment only: the agent's own earlier turns are not context it was given, and
    // deleting one orphans the tool result that answers it (an out-of-distribution transcript
    // whose effect says nothing about what the agent read).
    if (transcript.messages[m].role == incident::Role::kAssistant) continue;
    const std::string& content = transcript.messages[m].content;
    out.push_back({m, SegmentKind::kMessage, {0, content.size()}});
    if (granularity == AblateGranularity::kMessage) continue;
    std::vector<Segment> pieces;
    const auto add_all = [&](const std::vector<TextSpan>& spans, SegmentKind kind) {
      if (spans.size() < 2) return;
      for (const auto& span : spans) pieces.push_back({m, kind, span});
    };
    const auto paras = paragraphs(content, trimmed(content, 0, content.size()));
    add_all(paras, SegmentKind::kParagraph);
    if (granularity == AblateGranularity::kSentence) {
      for (const auto& paragraph : paras) {
        const auto paragraph_lines = lines(content, paragraph);
        add_all(paragraph_lines, SegmentKind::kLine);
        for (const auto& line : paragraph_lines) add_all(sentences(content, line), SegmentKind::kSentence);
      }
    }
    std::stable_sort(pieces.begin(), pieces.end(), [](const Segment& a, const Segment& b) {
      if (a.span.begin != b.span.begin) return a.span.begin < b.span.begin;
      return a.kind < b.kind;
    });
    // Drop a piece whose span a coarser piece already covers exactly (same deletion).
    for (const auto& piece : pieces) {
      const bool seen = std::any_of(out.begin(), out.end(), [&](const Segment& s) {
        return s.message == piece.message && s.span.begin == piece.span.begin && s.span.end == piece.span.end;
      });
      if (!seen) out.push_back(piece);
    }
  }
  return out;
}

/// The transcript with `segment` deleted. A piece takes the whitespace after it (or, at the end of
/// the content, before it) along, so no blank line is left where it was. A whole message keeps
/// its place (indices and the tool results that answer it stay): its content is emptied; an
/// assistant turn also loses its reasoning and tool calls, so that it says nothing at all.
incident::Transcript ablated(const incident::Transcript& transcript, const Segment& segment) {
  incident::Transcript out = transcript;
  auto& message = out.messages[segment.message];
  if (segment.kind == SegmentKind::kMessage) {
    message.content.clear();
    if (message.role == incident::Role::kAssistant) {
      message.reasoning.reset();
      message.tool_calls.clear();
    }
    return out;
  }
  std::string& content = message.content;
  std::size_t begin = segment.span.begin;
  std::size_t end = segment.span.end;
  if (trimmed(content, end, content.size()).empty()) {
    while (begin > 0 && is_space(content[begin - 1])) --begin;
  } else {
    while (end < content.size() && is_space(content[end])) ++end;
  }
  content.erase(begin, end - begin);
  return out;
}

/// What a segment deletes: its bytes of the content; for a whole assistant turn also its
/// reasoning and tool calls, written `[reasoning] …` and `[tool call NAME ARGUMENTS]`.
std::string segment_text(const incident::Message& message, const Segment& segment) {
  std::string out(segment.span.of(message.content));
  if (segment.kind != SegmentKind::kMessage || message.role != incident::Role::kAssistant) return out;
  const auto append = [&](const std::string& part) {
    if (!out.empty()) out += ' ';
    out += part;
  };
  if (message.reasoning && !message.reasoning->empty()) append("[reasoning] " + *message.reasoning);
  for (const auto& call : message.tool_calls) {
    append("[tool call " + call.name + " " + incident::python_json_dumps(call.arguments) + "]");
  }
  return out;
}

/// Teacher-forced log P(turn | prompt) for every (prompt, turn) pair, summed over the turn's
/// tokens, in batches of a fixed size (the result does not depend on anything but the inputs).
std::vector<double> score_all(const ProbeContext& context, const std::vector<std::string>& prompts,
                              const std::vector<std::string>& turns) {
  constexpr std::size_t kBatch = 16;
  std::vector<std::vector<std::int64_t>> turn_ids;
  for (const auto& turn : turns) {
    turn_ids.push_back(encode(context, turn));
    if (turn_ids.back().empty()) throw InputError("the action's turn tokenizes to nothing");
  }
  std::vector<std::vector<std::int64_t>> contexts;
  std::vector<std::vector<std::int64_t>> continuations;
  for (const auto& prompt : prompts) {
    const auto ids = encode(context, prompt);
    if (ids.empty()) throw InputError("the prompt before the action tokenizes to nothing");
    for (const auto& turn : turn_ids) {
      contexts.push_back(ids);
      continuations.push_back(turn);
    }
  }
  std::vector<double> out;
  for (std::size_t first = 0; first < contexts.size(); first += kBatch) {
    const std::size_t last = std::min(contexts.size(), first + kBatch);
    const std::vector<std::vector<std::int64_t>> batch_contexts(contexts.begin() + first, contexts.begin() + last);
    const std::vector<std::vector<std::int64_t>> batch_turns(continuations.begin() + first,
                                                             continuations.begin() + last);
    for (const auto& tokens : runtime::score_continuations(context.model, batch_contexts, batch_turns)) {
      out.push_back(std::accumulate(tokens.begin(), tokens.end(), 0.0));
    }
  }
  return out;
}

}  // namespace

void run_ablate(const ProbeContext& context, const ProbeBudget& /*budget*/, ProbeOutput& output) {
  const auto& incident = context.incident;
  const auto& transcript = incident.transcript;
  const std::size_t action_message = incident.action.message;
  const AblateGranularity granularity = context.config.ablate->granularity;

  std::vector<std::string> turns = {context.action_turn.text};
  const auto alternative = alternative_turn(context);
  if (alternative) turns.push_back(*alternative);
  const std::size_t width = turns.size();

  const auto segments = segments_of(transcript, action_message, granularity);
  std::vector<std::string> prompts = {action_prompt(context, transcript, action_message)};
  for (const auto& segment : segments) {
    prompts.push_back(action_prompt(context, ablated(transcript, segment), action_message));
  }
  const auto scores = score_all(context, prompts, turns);
  const double base_action = scores[0];
  const double base_metric = alternative ? scores[0] - scores[1] : 0.0;

  std::vector<double> deltas;
  Json rows = Json::array();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& segment = segments[i];
    const double action = scores[(i + 1) * width];
    const double delta = action - base_action;
    deltas.push_back(delta);
    Json row = Json::object();
    row["index"] = i;
    row["message"] = segment.message;
    row["role"] = std::string(incident::kRoleNames.name(transcript.messages[segment.message].role));
    row["kind"] = kind_name(segment.kind);
    row["span"] = Json::array({segment.span.begin, segment.span.end});
    row["text"] = display_text(segment_text(transcript.messages[segment.message], segment));
    row["logprob_action"] = action;
    row["delta"] = delta;
    if (alternative) {
      const double alt = scores[(i + 1) * width + 1];
      row["logprob_alternative"] = alt;
      row["metric_delta"] = (action - alt) - base_metric;
    }
    rows.push_back(row);
  }

  // Two rankings, most negative first (removing the segment lowers the action's log-probability
  // the most): the finest parts of the context (segments with no finer segment inside them), so
  // that a message never outranks the line inside it that does the work; and whole messages.
  const auto inside = [&](const Segment& inner, const Segment& outer) {
    return &inner != &outer && inner.message == outer.message && inner.span.begin >= outer.span.begin &&
           inner.span.end <= outer.span.end;
  };
  std::vector<std::size_t> order;
  std::vector<std::size_t> message_order;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].kind == SegmentKind::kMessage) message_order.push_back(i);
    const bool leaf = std::none_of(segments.begin(), segments.end(),
                                   [&](const Segment& other) { return inside(other, segments[i]); });
    if (leaf) order.push_back(i);
  }
  const auto by_delta = [&](std::size_t a, std::size_t b) { return deltas[a] < deltas[b]; };
  std::stable_sort(order.begin(), order.end(), by_delta);
  std::stable_sort(message_order.begin(), message_order.end(), by_delta);

  // Per message: its whole-message delta and its strongest piece.
  Json messages = Json::array();
  for (std::size_t m = 0; m < action_message; ++m) {
    Json summary = Json::object();
    summary["message"] = m;
    summary["role"] = std::string(incident::kRoleNames.name(transcript.messages[m].role));
    std::optional<std::size_t> whole;
    std::optional<std::size_t> strongest;
    std::int64_t pieces = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (segments[i].message != m) continue;
      if (segments[i].kind == SegmentKind::kMessage) {
        whole = i;
        continue;
      }
      ++pieces;
      if (!strongest || deltas[i] < deltas[*strongest]) strongest = i;
    }
    summary["segment"] = whole ? Json(*whole) : Json(nullptr);
    summary["delta"] = whole ? Json(deltas[*whole]) : Json(nullptr);
    summary["metric_delta"] = whole && alternative ? rows[*whole]["metric_delta"] : Json(nullptr);
    summary["pieces"] = pieces;
    summary["strongest_piece"] = strongest ? Json(*strongest) : Json(nullptr);
    summary["strongest_piece_delta"] = strongest ? Json(deltas[*strongest]) : Json(nullptr);
    messages.push_back(summary);
  }

  output.results["granularity"] = std::string(incident::kAblateGranularityNames.name(granularity));
  output.results["original"] =
      Json{{"action_logprob", base_action},
           {"alternative_logprob", alternative ? Json(scores[1]) : Json(nullptr)},
           {"metric", alternative ? Json(base_metric) : Json(nullptr)}};
  output.results["segments"] = rows;
  output.results["ranking"] = order;
  output.results["message_ranking"] = message_order;
  output.results["messages"] = messages;
}

}  // namespace forensics::probes
