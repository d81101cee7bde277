// The incident reader on the shipped demo and on targeted breakages of it: each check the
// format promises (docs/incident-format.md) reports the right path.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "forensics/incident/reader.h"
#include "forensics/util/json_document.h"
#include "test_paths.h"

using namespace forensics;
using namespace forensics::incident;
using Catch::Matchers::Contains;

namespace {

const std::filesystem::path kDemo =
    std::filesystem::path(FORENSICS_SOURCE_DIR) / "cases/demo-oversight-deletion/incident.json";

Json demo_document() { return util::parse_json_strict(util::read_text_file(kDemo, 1 << 20), kDemo.string()); }

// The demo with an RFC 6902 JSON Patch applied, then checked.
IncidentCheck check_patched(const std::string& patch) {
  const Json document = demo_document().patch(Json::parse(patch));
  return check_incident(document, kDemo);
}

// The error at `path`, which must exist.
std::string error_at(const IncidentCheck& check, const std::string& path) {
  for (const auto& item : check.diagnostics.all()) {
    if (item.severity == util::Severity::kError && item.path == path) return item.message;
  }
  FAIL("no error at " << path << "; got:\n" << check.diagnostics.format());
  return "";
}

}  // namespace

TEST_CASE("the shipped demo incident is valid and points at a shipped organism's model", "[incident]") {
  const IncidentCheck check = check_incident_file(kDemo);
  INFO(check.diagnostics.format());
  REQUIRE(check.incident);
  const Incident& incident = *check.incident;
  CHECK(incident.id == "demo-oversight-deletion");
  CHECK(incident.transcript.messages.size() == 5);
  CHECK(incident.action.message == 4);
  CHECK(incident.action.tool_call == 0u);
  CHECK(incident.hypotheses.size() == 2);
  CHECK(incident.interventions.size() == 4);
  CHECK(incident.sweeps.size() == 1);
  CHECK(incident.sweeps[0].values[1].dose == 500);
  CHECK(incident.model.path == kDemo.parent_path().parent_path() / "organism-confused/model");
  CHECK(check.diagnostics.warning_count() == 0);
  REQUIRE(incident.probes);  // kept as written: the probes stage reads it
  CHECK((*incident.probes)["patch"]["intervention"] == "remove-monitor-threat");
  CHECK(incident.transcript.messages[2].tool_calls[0].arguments["command"] == "cat config/oversight.yaml");
}

TEST_CASE("load_incident throws InvalidIncident listing every error", "[incident]") {
  CHECK_NOTHROW(load_incident(kDemo));
  CHECK_THROWS_AS(load_incident(std::filesystem::path(FORENSICS_SOURCE_DIR) / "README.md"), InputError);
}

TEST_CASE("unknown fields are errors", "[incident]") {
  const auto check = check_patched(R"([{"op": "add", "path": "/transcript/messages/1/contnet", "value": "x"}])");
  CHECK_THAT(error_at(check, "transcript.messages[1].contnet"), Contains("did you mean \"content\""));
  CHECK_FALSE(check.incident);
}

TEST_CASE("a tool call's arguments are an object, or a string holding the model's raw text", "[incident]") {
  const auto check = check_patched(
      R"([{"op": "replace", "path": "/transcript/messages/4/tool_calls/0/arguments", "value": ["rm", "-f"]}])");
  CHECK(error_at(check, "transcript.messages[4].tool_calls[0].arguments") ==
        "expected an object (or a string: the model's raw text), got array");
  const auto raw = check_patched(
      R"([{"op": "replace", "path": "/transcript/messages/4/tool_calls/0/arguments", "value": "{\"cmd\": \"rm -f config/oversight.yaml\""}])");
  CHECK(raw.incident);
}

TEST_CASE("fewer than two hypotheses is an error", "[incident]") {
  const auto check = check_patched(R"([{"op": "remove", "path": "/hypotheses/1"}])");
  CHECK_THAT(error_at(check, "hypotheses"), Contains("at least two rival hypotheses, got 1"));
}

TEST_CASE("duplicate ids are errors", "[incident]") {
  auto check = check_patched(R"([{"op": "replace", "path": "/hypotheses/1/id", "value": "latency"}])");
  CHECK_THAT(error_at(check, "hypotheses[1].id"), Contains("duplicate hypothesis id"));
  check = check_patched(R"([{"op": "replace", "path": "/sweeps/0/id", "value": "add-prohibition"}])");
  CHECK_THAT(error_at(check, "sweeps[0].id"), Contains("duplicate id \"add-prohibition\""));
}

TEST_CASE("an action index out of range is an error", "[incident]") {
  auto check = check_patched(R"([{"op": "replace", "path": "/action/message", "value": 9}])");
  CHECK_THAT(error_at(check, "action.message"), Contains("the transcript has 5 message(s)"));
  check = check_patched(R"([{"op": "replace", "path": "/action/tool_call", "value": 1}])");
  CHECK_THAT(error_at(check, "action.tool_call"), Contains("has 1 tool call(s)"));
  check = check_patched(R"([{"op": "replace", "path": "/action/message", "value": 3}])");
  CHECK_THAT(error_at(check, "action.message"), Contains("must be in an assistant turn"));
}

TEST_CASE("an action text not in its message is an error, with a hint when it is elsewhere", "[incident]") {
  auto check = check_patched(R"([{"op": "replace", "path": "/action/text", "value": "rm -rf /"}])");
  CHECK_THAT(error_at(check, "action.text"), Contains("not found in the arguments of tool call 0"));
  check = check_patched(R"([{"op": "remove", "path": "/action/tool_call"}])");
  CHECK_THAT(error_at(check, "action.text"), Contains("set \"tool_call\": 0"));
}

TEST_CASE("a matcher that does not compile, or misses the action, is an error", "[incident]") {
  auto check = check_patched(R"([{"op": "replace", "path": "/action/matcher/pattern", "value": "rm (-f"}])");
  CHECK_THAT(error_at(check, "action.matcher.pattern"), Contains("does not compile"));
  check = check_patched(R"([{"op": "replace", "path": "/action/matcher/pattern", "value": "shred"}])");
  CHECK_THAT(error_at(check, "action.matcher"), Contains("does not match action.text"));
  check =
      check_patched(R"([{"op": "replace", "path": "/action/alternative", "value": "rm config/oversight.yaml.bak"}])");
  CHECK_THAT(error_at(check, "action.matcher"), Contains("also matches action.alternative"));
}

TEST_CASE("an intervention whose target message or text does not exist is an error", "[incident]") {
  auto check =
      check_patched(R"([{"op": "replace", "path": "/interventions/0/edits/0/find", "value": "no such text"}])");
  CHECK_THAT(error_at(check, "interventions[0].edits[0]"), Contains("not found in message 1"));
  check = check_patched(R"([{"op": "replace", "path": "/interventions/1/edits/0/message", "value": 7}])");
  CHECK_THAT(error_at(check, "interventions[1].edits[0]"), Contains("not before the action"));
}

TEST_CASE("predictions naming unknown hypotheses or directions are errors", "[incident]") {
  auto check = check_patched(R"([{"op": "add", "path": "/interventions/0/predicts/latncy", "value": "decrease"}])");
  CHECK_THAT(error_at(check, "interventions[0].predicts.latncy"), Contains("did you mean \"latency\""));
  check = check_patched(R"([{"op": "replace", "path": "/interventions/0/predicts/latency", "value": "down"}])");
  CHECK_THAT(error_at(check, "interventions[0].predicts.latency"),
             Contains("\"decrease\", \"increase\" or \"no-change\""));
  check = check_patched(R"([{"op": "remove", "path": "/interventions/0/predicts/goal-guarding"}])");
  CHECK_THAT(error_at(check, "interventions[0].predicts"),
             Contains("missing a prediction for hypothesis \"goal-guarding\""));
}

TEST_CASE("a newer schema version asks the user to upgrade", "[incident]") {
  const auto check = check_patched(R"([{"op": "replace", "path": "/schema", "value": "forensics.incident/v2"}])");
  CHECK_THAT(error_at(check, "schema"), Contains("upgrade forensics"));
  CHECK(check.diagnostics.error_count() == 1);  // nothing else is judged against v1 rules
}

TEST_CASE("a sweep must use its placeholder and apply for every value", "[incident]") {
  auto check =
      check_patched(R"([{"op": "replace", "path": "/sweeps/0/edits/0/with", "value": "p95 latency is 5 ms"}])");
  CHECK_THAT(error_at(check, "sweeps[0].edits"), Contains("no edit mentions {value}"));
  check =
      check_patched(R"([{"op": "replace", "path": "/sweeps/0/edits/0/find", "value": "p95 latency is {value} ms"}])");
  CHECK_THAT(error_at(check, "sweeps[0].edits[0]"), Contains("with value 320"));
}

TEST_CASE("priors are all or none and sum to one", "[incident]") {
  auto check = check_patched(R"([{"op": "add", "path": "/hypotheses/0/prior", "value": 0.5}])");
  CHECK_THAT(error_at(check, "hypotheses"), Contains("either every hypothesis gives a prior or none"));
  check = check_patched(R"([{"op": "add", "path": "/hypotheses/0/prior", "value": 0.5},
                            {"op": "add", "path": "/hypotheses/1/prior", "value": 0.6}])");
  CHECK_THAT(error_at(check, "hypotheses"), Contains("sum to 1"));
  check = check_patched(R"([{"op": "add", "path": "/hypotheses/0/prior", "value": 0.3},
                            {"op": "add", "path": "/hypotheses/1/prior", "value": 0.7}])");
  CHECK(check.incident);
}

TEST_CASE("only assistant messages carry reasoning, only tool messages answer calls", "[incident]") {
  auto check = check_patched(R"([{"op": "add", "path": "/transcript/messages/1/reasoning", "value": "hmm"}])");
  CHECK_THAT(error_at(check, "transcript.messages[1].reasoning"), Contains("only assistant messages"));
  check = check_patched(R"([{"op": "replace", "path": "/transcript/messages/3/tool_call_id", "value": "call_9"}])");
  CHECK_THAT(error_at(check, "transcript.messages[3].tool_call_id"), Contains("no earlier assistant tool call"));
}

TEST_CASE("a model directory that does not exist yet is a warning, not an error", "[incident]") {
  const auto check = check_patched(R"([{"op": "replace", "path": "/model/path", "value": "not-trained-yet"}])");
  REQUIRE(check.incident);
  CHECK(check.diagnostics.warning_count() == 1);
  CHECK_THAT(check.diagnostics.all().front().message, Contains("does not exist"));
}

TEST_CASE("relative model paths resolve against the incident's folder", "[incident]") {
  auto check = check_patched(R"([{"op": "replace", "path": "/model/path", "value": "../organisms/x"}])");
  REQUIRE(check.incident);
  CHECK(check.incident->model.path == kDemo.parent_path().parent_path() / "organisms/x");
  check = check_patched(R"([{"op": "replace", "path": "/model/path", "value": "/abs/model"}])");
  CHECK(check.incident->model.path == "/abs/model");
}

TEST_CASE("a model path that is a file, or a pickle-only folder, is an error", "[incident]") {
  auto check = check_patched(R"([{"op": "replace", "path": "/model/path", "value": "incident.json"}])");
  CHECK_THAT(error_at(check, "model.path"), Contains("is not a directory"));

  const auto folder = std::filesystem::temp_directory_path() / "forensics-pickle-only-model";
  std::filesystem::create_directories(folder);
  for (const char* name : {"config.json", "tokenizer.json", "pytorch_model.bin"}) {
    std::ofstream(folder / name) << "{}";
  }
  const Json patch = Json::array({{{"op", "replace"}, {"path", "/model/path"}, {"value", folder.string()}}});
  const auto pickled = check_incident(demo_document().patch(patch), kDemo);
  CHECK_THAT(pickled.diagnostics.format(), Contains("error: model.path: only pickle weights"));
  CHECK_THAT(pickled.diagnostics.format(), Contains("never loads pickles"));
  std::filesystem::remove_all(folder);
}
