#include <catch2/catch.hpp>

#include "forensics/util/text.h"

using namespace forensics::util;

TEST_CASE("occurrences are counted without overlap", "[util]") {
  CHECK(count_occurrences("aaaa", "aa") == 2);
  CHECK(count_occurrences("abc", "") == 0);
  CHECK(count_occurrences("rm -f a; rm -f b", "rm -f") == 2);
}

TEST_CASE("closest_match suggests only likely typos", "[util]") {
  const std::vector<std::string> names{"temperature", "top_p", "top_k"};
  CHECK(closest_match("temprature", names) == "temperature");
  CHECK(closest_match("top-p", names) == "top_p");
  CHECK_FALSE(closest_match("seed", names));
}

TEST_CASE("slugs are lowercase ids", "[util]") {
  CHECK(is_slug("goal-guarding"));
  CHECK(is_slug("v1.2_x"));
  CHECK_FALSE(is_slug("Goal"));
  CHECK_FALSE(is_slug("-x"));
  CHECK_FALSE(is_slug(""));
  CHECK_FALSE(is_slug(std::string(65, 'a')));
}

TEST_CASE("abbreviate cuts on a UTF-8 boundary", "[util]") {
  CHECK(abbreviate("short") == "short");
  CHECK(abbreviate("ääää", 3) == "ä...");  // byte 3 is inside the second ä
}

TEST_CASE("valid_utf8 keeps valid text and replaces each bad byte by U+FFFD", "[util]") {
  const std::string replacement = "\xEF\xBF\xBD";
  CHECK(forensics::util::valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(forensics::util::valid_utf8("ab\xE2\x82") == "ab" + replacement + replacement);  // a character cut short
  CHECK(forensics::util::valid_utf8("\xC0\xAF") == replacement + replacement);           // overlong '/'
  CHECK(forensics::util::valid_utf8("\xED\xA0\x80") == replacement + replacement + replacement);  // a surrogate
  CHECK(forensics::util::valid_utf8("\xF4\x90\x80\x80").size() == 4 * replacement.size());        // past U+10FFFF
  CHECK(forensics::util::valid_utf8("\x82x") == replacement + "x");  // a stray continuation byte
}
