#include <catch2/catch.hpp>

#include "forensics/util/json_reader.h"

using Catch::Matchers::Contains;
using forensics::Json;
using forensics::util::Diagnostics;
using forensics::util::JsonPath;
using forensics::util::Need;
using forensics::util::ObjectReader;

namespace {

std::string only_error(const Diagnostics& diagnostics) {
  REQUIRE(diagnostics.error_count() == 1);
  return to_string(diagnostics.all().front());
}

}  // namespace

TEST_CASE("an unknown field is reported with a did-you-mean for typos", "[util]") {
  const Json value = Json::parse(R"({"samples": 3, "temprature": 0.5})");
  Diagnostics diagnostics;
  ObjectReader reader(value, JsonPath() / "probes", diagnostics);
  reader.integer("samples", Need::kOptional, 1, 10);
  reader.number("temperature", Need::kOptional, 0, 2);
  reader.finish();
  CHECK_THAT(only_error(diagnostics), Contains("probes.temprature: unknown field (did you mean \"temperature\"?)"));
}

TEST_CASE("an unknown field far from any known one lists the allowed fields", "[util]") {
  const Json value = Json::parse(R"({"zzzzzz": 1})");
  Diagnostics diagnostics;
  ObjectReader reader(value, JsonPath(), diagnostics);
  reader.string("id", Need::kOptional);
  reader.string("title", Need::kOptional);
  reader.finish();
  CHECK_THAT(only_error(diagnostics), Contains("allowed here: id, title"));
}

TEST_CASE("a missing required field names what was expected", "[util]") {
  Diagnostics diagnostics;
  ObjectReader reader(Json::object(), JsonPath() / "action", diagnostics);
  CHECK_FALSE(reader.string("text", Need::kRequired));
  CHECK_THAT(only_error(diagnostics), Contains("action.text: missing required field (expected string)"));
}

TEST_CASE("a wrong type names the expected and the actual type", "[util]") {
  const Json value = Json::parse(R"({"arguments": "rm -rf /", "n": 1.5, "flag": "yes"})");
  Diagnostics diagnostics;
  ObjectReader reader(value, JsonPath() / "call", diagnostics);
  CHECK(reader.object("arguments", Need::kRequired) == nullptr);
  CHECK_FALSE(reader.integer("n", Need::kRequired, 0, 10));
  CHECK_FALSE(reader.boolean("flag", Need::kRequired));
  REQUIRE(diagnostics.error_count() == 3);
  CHECK(to_string(diagnostics.all()[0]) == "call.arguments: expected object, got string");
  CHECK(to_string(diagnostics.all()[1]) == "call.n: expected integer, got number");
  CHECK(to_string(diagnostics.all()[2]) == "call.flag: expected boolean, got string");
}

TEST_CASE("numbers outside their range are rejected with the range", "[util]") {
  const Json value = Json::parse(R"({"samples": 0, "top_p": 1.5, "big": 18446744073709551615})");
  Diagnostics diagnostics;
  ObjectReader reader(value, JsonPath(), diagnostics);
  CHECK_FALSE(reader.integer("samples", Need::kRequired, 1, 100));
  CHECK_FALSE(reader.number("top_p", Need::kRequired, 0.0, 1.0));
  CHECK_FALSE(reader.integer("big", Need::kRequired, 0, 1000));
  REQUIRE(diagnostics.error_count() == 3);
  CHECK_THAT(to_string(diagnostics.all()[0]), Contains("samples: expected an integer in [1, 100], got 0"));
  CHECK_THAT(to_string(diagnostics.all()[1]), Contains("top_p: expected a number in [0.0, 1.0], got 1.5"));
  CHECK_THAT(to_string(diagnostics.all()[2]), Contains("big: expected an integer in [0, 1000]"));
}

TEST_CASE("a non-object where an object belongs is one error, and reads return nothing", "[util]") {
  Diagnostics diagnostics;
  ObjectReader reader(Json::array(), JsonPath() / "model", diagnostics);
  CHECK_FALSE(reader.string("path", Need::kRequired));
  reader.finish();
  CHECK(only_error(diagnostics) == "model: expected object, got array");
}

TEST_CASE("an empty string where text is required is an error", "[util]") {
  const Json value = Json::parse(R"({"claim": ""})");
  Diagnostics diagnostics;
  ObjectReader reader(value, JsonPath(), diagnostics);
  CHECK_FALSE(reader.text("claim", Need::kRequired));
  CHECK_THAT(only_error(diagnostics), Contains("claim: expected a non-empty string"));
}
