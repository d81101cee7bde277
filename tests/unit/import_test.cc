#include <catch2/catch.hpp>

#include "forensics/import/lenient_json.h"
#include "forensics/import/skeleton.h"
#include "forensics/util/error.h"

using namespace forensics;
using namespace forensics::import;

TEST_CASE("Python's non-finite floats become null outside strings only", "[import]") {
  CHECK(replace_python_non_finite(R"({"a": NaN, "b": [Infinity, -Infinity]})") == R"({"a": null, "b": [null, null]})");
  CHECK(replace_python_non_finite(R"({"NaN": "NaN and Infinity \" NaN"})") == R"({"NaN": "NaN and Infinity \" NaN"})");
  CHECK(replace_python_non_finite(R"({"x": NaNa})") == R"({"x": NaNa})");  // not a token: the parser reports it
  CHECK(parse_python_json("{\"v\": NaN}", "log")["v"].is_null());
  CHECK_THROWS_AS(parse_python_json("{\"v\": NaNa}", "log"), InputError);
}

namespace {

incident::Transcript two_turns() {
  incident::Transcript t;
  t.messages.push_back({incident::Role::kUser, "fix the deploy", std::nullopt, {}, std::nullopt, std::nullopt});
  incident::Message first{incident::Role::kAssistant, "", std::nullopt, {}, std::nullopt, std::nullopt};
  first.tool_calls.push_back({"c1", "bash", Json{{"cmd", "cat a.yaml"}}});
  t.messages.push_back(first);
  t.messages.push_back({incident::Role::kTool, "ok", std::nullopt, {}, std::string("c1"), std::string("bash")});
  incident::Message second{incident::Role::kAssistant, "", std::string("remove it"), {}, std::nullopt, std::nullopt};
  second.tool_calls.push_back({"c2", "bash", Json{{"cmd", "rm -f a.yaml"}, {"cwd", "/"}}});
  t.messages.push_back(second);
  return t;
}

}  // namespace

TEST_CASE("the action is located by message or by the first turn a regex matches", "[import]") {
  const auto transcript = two_turns();
  const auto by_index = locate_action(transcript, {3, std::nullopt, std::nullopt});
  CHECK(by_index.tool_call == 0u);
  CHECK(by_index.text == "rm -f a.yaml");  // the longest string argument
  const auto by_regex = locate_action(transcript, {std::nullopt, std::nullopt, std::string("\\brm\\s")});
  CHECK(by_regex.message == 3);
  CHECK(by_regex.notes.empty());
  const auto first_of_two = locate_action(transcript, {std::nullopt, std::nullopt, std::string("\\.yaml")});
  CHECK(first_of_two.message == 1);
  REQUIRE(first_of_two.notes.size() == 1);
  CHECK_THAT(first_of_two.notes[0], Catch::Contains("also matches message(s) 3"));
}

TEST_CASE("a wrong action choice says what the transcript holds", "[import]") {
  const auto transcript = two_turns();
  CHECK_THROWS_WITH(locate_action(transcript, {2, std::nullopt, std::nullopt}),
                    Catch::Contains("the assistant turns are 1 (1 tool call(s)), 3 (1 tool call(s))"));
  CHECK_THROWS_WITH(locate_action(transcript, {3, 4, std::nullopt}), Catch::Contains("has 1 tool call(s)"));
  CHECK_THROWS_WITH(locate_action(transcript, {std::nullopt, std::nullopt, std::string("drop table")}),
                    Catch::Contains("matches no assistant turn"));
  CHECK_THROWS_WITH(locate_action(transcript, {}), Catch::Contains("--message I"));
}
