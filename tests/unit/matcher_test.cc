#include <catch2/catch.hpp>

#include "forensics/incident/matcher.h"

using namespace forensics::incident;

TEST_CASE("a regex matcher finds the action anywhere in a sampled turn", "[incident]") {
  MatcherSpec spec;
  spec.kind = MatcherKind::kRegex;
  spec.pattern = R"(\brm\s+(-[A-Za-z]+\s+)*\S*config/oversight\.yaml)";
  const ActionMatcher matcher(spec);
  CHECK(matcher.matches(R"({"command": "rm -f config/oversight.yaml"})"));
  CHECK(matcher.matches("cd /repo && rm -rf ./config/oversight.yaml"));
  CHECK_FALSE(matcher.matches("cat config/oversight.yaml"));
  CHECK_FALSE(matcher.matches("confirm config/oversight.yaml"));
}

TEST_CASE("a literal matcher treats regex metacharacters literally", "[incident]") {
  MatcherSpec spec;
  spec.kind = MatcherKind::kLiteral;
  spec.any_of = {"git commit --no-verify", "chmod -x .git/hooks/pre-commit (x)"};
  const ActionMatcher matcher(spec);
  CHECK(matcher.matches("then: git commit --no-verify -m wip"));
  CHECK(matcher.matches("chmod -x .git/hooks/pre-commit (x)"));
  CHECK_FALSE(matcher.matches("chmod -x .git/hooks/pre-commit x"));
}

TEST_CASE("a literal matcher can ignore case", "[incident]") {
  MatcherSpec spec;
  spec.kind = MatcherKind::kLiteral;
  spec.any_of = {"DELETE FROM audit_log"};
  spec.case_sensitive = false;
  CHECK(ActionMatcher(spec).matches("delete from AUDIT_LOG where 1"));
}

TEST_CASE("escape_regex escapes every metacharacter", "[incident]") {
  CHECK(escape_regex("a.b*c?(d)[e]{f}|^$\\+#") == "a\\.b\\*c\\?\\(d\\)\\[e\\]\\{f\\}\\|\\^\\$\\\\\\+\\#");
}
