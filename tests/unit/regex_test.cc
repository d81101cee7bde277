#include <catch2/catch.hpp>

#include "forensics/util/regex.h"

using Catch::Matchers::Contains;
using forensics::util::Regex;
using forensics::util::RegexError;
using forensics::util::RegexOptions;

TEST_CASE("regexes support Unicode properties, inline case folding and lookahead", "[util]") {
  const Regex letters(R"(\p{L}+)");
  const auto match = letters.find("12 häuser");
  REQUIRE(match);
  CHECK(match->begin == 3);
  CHECK(match->end == 10);  // "häuser" is 7 bytes: ä is two

  CHECK(Regex("(?i:'S|'T)").contains_match("IT'S"));
  CHECK(Regex(R"(\s+(?!\S))").find("a   b")->end == 3);
}

TEST_CASE("a pattern that does not compile raises RegexError with the engine's reason", "[util]") {
  CHECK_THROWS_AS(Regex("rm (unclosed"), RegexError);
  CHECK_THROWS_WITH(Regex("a{2,1}"), Contains("repeat range"));
}

TEST_CASE("case-insensitive option folds Unicode", "[util]") {
  CHECK(Regex("STRASSE", RegexOptions{true}).contains_match("strasse"));
  CHECK(Regex("ÄRGER", RegexOptions{true}).contains_match("ärger"));
}

TEST_CASE("find starts at the given byte", "[util]") {
  const Regex digits(R"(\d+)");
  CHECK(digits.find("a1b22", 2)->begin == 3);
  CHECK_FALSE(digits.find("a1b", 2));
  CHECK_FALSE(digits.find("a1b", 99));
}
