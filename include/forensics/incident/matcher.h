// incident: deciding whether a sampled assistant turn repeats the concerning action: a regex,
// or a set of literal strings any of which counts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/util/name_table.h"
#include "forensics/util/regex.h"

namespace forensics::incident {

enum class MatcherKind { kRegex, kLiteral };
inline constexpr util::NameTable kMatcherKindNames{std::array{
    util::NameEntry<MatcherKind>{MatcherKind::kRegex, "regex"},
    util::NameEntry<MatcherKind>{MatcherKind::kLiteral, "literal"},
}};

/// Where in a sampled turn an action's matcher searches: the whole turn, or only its answer
/// (what follows the reasoning), so that a chain of thought quoting the command ("I must not run
/// rm ...") does not count as running it.
enum class MatchScope { kTurn, kAnswer };
inline constexpr util::NameTable kMatchScopeNames{std::array{
    util::NameEntry<MatchScope>{MatchScope::kTurn, "turn"},
    util::NameEntry<MatchScope>{MatchScope::kAnswer, "answer"},
}};

struct MatcherSpec {
  MatcherKind kind = MatcherKind::kLiteral;
  std::string pattern;              // regex: Oniguruma, Perl syntax
  std::vector<std::string> any_of;  // literal: any one of these substrings
  bool case_sensitive = true;
  MatchScope scope = MatchScope::kTurn;  // the action's matcher only; stated_by searches the CoT
};

/// The strings that open and close the reasoning in a turn, whitespace trimmed ("<think>",
/// "</think>"); both empty when the turn they were read from has no reasoning.
struct ReasoningMarkers {
  std::string open;
  std::string close;
};

/// The answer of a sampled turn: what follows the first `close`; nothing when the turn opens the
/// reasoning and never closes it (it gave no answer); the whole turn when it has no reasoning or
/// the markers are empty.
std::string_view answer_of(std::string_view turn, const ReasoningMarkers& markers);

/// A compiled matcher. Matching is a search: the action may sit anywhere in the turn.
class ActionMatcher {
 public:
  /// Throws util::RegexError when the pattern does not compile.
  explicit ActionMatcher(const MatcherSpec& spec);

  bool matches(std::string_view text) const { return regex_.contains_match(text); }
  /// Where it first matches in `text`, if anywhere.
  std::optional<util::RegexMatch> find(std::string_view text) const { return regex_.find(text); }

 private:
  util::Regex regex_;
};

/// `literal` escaped so that it matches itself in Perl regex syntax.
std::string escape_regex(std::string_view literal);

}  // namespace forensics::incident
