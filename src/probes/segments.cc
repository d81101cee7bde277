// probes: cutting the context into segments and deleting one (docs/probes.md, `ablate`).
#include "forensics/probes/segments.h"

#include <algorithm>
#include <cctype>

namespace forensics::probes {
namespace {

using incident::TextSpan;

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

}  // namespace

std::vector<Segment> context_segments(const incident::Transcript& transcript, std::size_t action_message,
                                      Granularity granularity) {
  std::vector<Segment> out;
  for (std::size_t m = 0; m < action_message; ++m) {
    // The environment only: the agent's own earlier turns are not context it was given, and
    // deleting one orphans the tool result that answers it (an out-of-distribution transcript
    // whose effect says nothing about what the agent read).
    if (transcript.messages[m].role == incident::Role::kAssistant) continue;
    const std::string& content = transcript.messages[m].content;
    out.push_back({m, SegmentKind::kMessage, {0, content.size()}});
    if (granularity == Granularity::kMessage) continue;
    std::vector<Segment> pieces;
    const auto add_all = [&](const std::vector<TextSpan>& spans, SegmentKind kind) {
      if (spans.size() < 2) return;
      for (const auto& span : spans) pieces.push_back({m, kind, span});
    };
    const auto paras = paragraphs(content, trimmed(content, 0, content.size()));
    add_all(paras, SegmentKind::kParagraph);
    if (granularity == Granularity::kSentence) {
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

incident::Transcript without_segment(const incident::Transcript& transcript, const Segment& segment) {
  incident::Transcript out = transcript;
  auto& message = out.messages[segment.message];
  if (segment.kind == SegmentKind::kMessage) {
    message.content.clear();
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

std::vector<std::size_t> finest_segments(const std::vector<Segment>& segments) {
  const auto inside = [&](std::size_t inner, std::size_t outer) {
    return inner != outer && segments[inner].message == segments[outer].message &&
           segments[inner].span.begin >= segments[outer].span.begin &&
           segments[inner].span.end <= segments[outer].span.end;
  };
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    bool leaf = true;
    for (std::size_t j = 0; j < segments.size() && leaf; ++j) leaf = !inside(j, i);
    if (leaf) out.push_back(i);
  }
  return out;
}

}  // namespace forensics::probes
