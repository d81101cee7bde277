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
