#include "forensics/incident/matcher.h"

namespace forensics::incident {
namespace {

// Literal sets compile to one alternation so both kinds share the engine, its Unicode case
// folding included.
std::string pattern_for(const MatcherSpec& spec) {
  if (spec.kind == MatcherKind::kRegex) return spec.pattern;
  std::string pattern;
  for (const auto& literal : spec.any_of) {
    if (!pattern.empty()) pattern += "|";
    pattern += "(?:" + escape_regex(literal) + ")";
  }
  return pattern;
}

}  // namespace

std::string escape_regex(std::string_view literal) {
  static constexpr std::string_view kMeta = "\\^$.|?*+()[]{}#";
  std::string out;
  out.reserve(literal.size());
  for (char c : literal) {
    if (kMeta.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

ActionMatcher::ActionMatcher(const MatcherSpec& spec)
    : regex_(pattern_for(spec), util::RegexOptions{!spec.case_sensitive}) {}

std::string_view answer_of(std::string_view turn, const ReasoningMarkers& markers) {
  if (markers.close.empty()) return turn;
  const auto close = turn.find(markers.close);
  if (close != std::string_view::npos) return turn.substr(close + markers.close.size());
  const auto first = turn.find_first_not_of(" \t\r\n");
  const bool opened = !markers.open.empty() && first != std::string_view::npos &&
                      turn.substr(first, markers.open.size()) == markers.open;
  return opened ? std::string_view() : turn;
}

}  // namespace forensics::incident
