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

struct MatcherSpec {
  MatcherKind kind = MatcherKind::kLiteral;
  std::string pattern;              // regex: Oniguruma, Perl syntax
  std::vector<std::string> any_of;  // literal: any one of these substrings
  bool case_sensitive = true;
};

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
