#include <catch2/catch.hpp>

#include "forensics/util/json_path.h"

using forensics::util::JsonPath;

TEST_CASE("a JSON path prints as users write it", "[util]") {
  const JsonPath root;
  CHECK(root.to_string() == "(root)");
  CHECK((root / "transcript" / "messages" / 4 / "tool_calls" / 0 / "arguments").to_string() ==
        "transcript.messages[4].tool_calls[0].arguments");
}

TEST_CASE("a JSON path quotes keys that are not identifiers", "[util]") {
  const JsonPath root;
  CHECK((root / "predicts" / "odd key").to_string() == "predicts[\"odd key\"]");
  CHECK((root / "a.b").to_string() == "[\"a.b\"]");
  CHECK((root / "say \"hi\"").to_string() == "[\"say \\\"hi\\\"\"]");
  CHECK((root / "sentence-resample").to_string() == "sentence-resample");
}
