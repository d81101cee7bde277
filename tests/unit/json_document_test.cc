#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include "forensics/util/error.h"
#include "forensics/util/json_document.h"

using Catch::Matchers::Contains;
using forensics::InputError;
using forensics::util::parse_json_strict;
using forensics::util::read_text_file;

TEST_CASE("a JSON syntax error names the line and column", "[util]") {
  const std::string text = "{\n  \"a\": 1,\n  \"b\": ]\n}";
  CHECK_THROWS_WITH(parse_json_strict(text, "x.json"), Contains("x.json:3:8: invalid JSON"));
}

TEST_CASE("a truncated document is a syntax error, not a crash", "[util]") {
  CHECK_THROWS_AS(parse_json_strict("{\"a\": [1, 2", "x.json"), InputError);
  CHECK_THROWS_AS(parse_json_strict("", "x.json"), InputError);
}

TEST_CASE("duplicate keys are rejected with their path", "[util]") {
  const std::string text = R"({"a": [{"b": 1}, {"c": 1, "c": 2}]})";
  CHECK_THROWS_WITH(parse_json_strict(text, "x.json"), Contains("duplicate key \"c\" at a[1].c"));
}

TEST_CASE("the same key in sibling objects is fine", "[util]") {
  const auto value = parse_json_strict(R"([{"id": 1}, {"id": 2}, {"x": {"id": 3}}])", "x.json");
  CHECK(value[1]["id"] == 2);
}

TEST_CASE("invalid UTF-8 inside a string is a syntax error", "[util]") {
  const std::string text = "{\"a\": \"\xff\xfe\"}";
  CHECK_THROWS_WITH(parse_json_strict(text, "x.json"), Contains("x.json:1:"));
}

TEST_CASE("object keys keep the order they were written in", "[util]") {
  const auto value = parse_json_strict(R"({"z": 1, "a": 2, "m": 3})", "x.json");
  CHECK(value.dump() == R"({"z":1,"a":2,"m":3})");
}

TEST_CASE("reading a missing file names the file and the reason", "[util]") {
  CHECK_THROWS_WITH(forensics::util::read_text_file("/nonexistent/dir/f.json", 1024),
                    Contains("/nonexistent/dir/f.json") && Contains("No such file"));
}

TEST_CASE("hostile JSON is refused with a message, not a crash", "[util]") {
  const std::string deep = "{\"a\": " + std::string(70000, '[') + std::string(70000, ']') + "}";
  CHECK_THROWS_WITH(parse_json_strict(deep, "d.json"), Catch::Contains("nesting deeper than 512 levels"));
  const std::string ok = std::string(500, '[') + std::string(500, ']');
  CHECK_NOTHROW(parse_json_strict(ok, "ok.json"));
  CHECK_THROWS_WITH(parse_json_strict("{\"a\": 1e400}", "n.json"),
                    Catch::Contains("n.json:1:11: invalid JSON: number overflow"));
}

TEST_CASE("a large object keeps its keys in order and still refuses a repeated one", "[util]") {
  // 200k keys, as a real vocabulary has: built by appending (nlohmann's own parser searched the
  // ordered object for every key, n^2 / 2 comparisons), duplicates still found.
  std::string text = "{";
  for (int i = 0; i < 200000; ++i) text += (i > 0 ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  const forensics::Json parsed = parse_json_strict(text + "}", "big.json");
  REQUIRE(parsed.size() == 200000);
  CHECK(parsed.begin().key() == "k0");
  CHECK((--parsed.end()).key() == "k199999");
  CHECK(parsed["k123456"] == 123456);
  CHECK_THROWS_WITH(parse_json_strict(text + ",\"k7\":1}", "big.json"), Contains("duplicate key \"k7\""));
}

TEST_CASE("a NUL byte is an error, not the end of the document", "[util]") {
  // nlohmann's lexer stops at a NUL: "1\0..." read as 1 (found by fuzzing the report).
  CHECK_THROWS_WITH(parse_json_strict(std::string("1\0sch\"[", 6), "n.json"),
                    Contains("n.json:1:2: invalid JSON: a NUL byte"));
  CHECK_THROWS_WITH(parse_json_strict(std::string("{\"a\": 1}\0{", 10), "n.json"), Contains("a NUL byte"));
}

TEST_CASE("only regular files are read: a FIFO is refused instead of blocking", "[util]") {
  const auto fifo = std::filesystem::temp_directory_path() / ("forensics-test-fifo-" + std::to_string(::getpid()));
  std::filesystem::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(read_text_file(fifo, 1024), Catch::Contains("FIFO"));
  std::filesystem::remove(fifo);
}
