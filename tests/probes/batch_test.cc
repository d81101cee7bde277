// `batch` on the fake model: cases from a manifest, expectations checked, a bad case reported
// while the others run, verdicts and summaries written, a model loaded once, --resume keeping
// verdicts of unchanged inputs, and several jobs giving the same verdicts as one.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>

#include "fake_incident.h"
#include "forensics/probes/batch.h"
#include "forensics/util/error.h"

using namespace forensics;
using namespace forensics::probes;
using namespace forensics::testing;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const auto folder = fs::temp_directory_path() / ("forensics-batch-tests-" + std::to_string(::getpid())) / name;
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

fs::path write_manifest(const fs::path& folder, const Json& cases) {
  const auto path = folder / "manifest.json";
  std::ofstream(path) << Json{{"schema", "forensics.batch/v1"}, {"cases", cases}}.dump(2);
  return path;
}

/// The fake confused model, counting how often a model is opened.
ModelOpener counting_opener(std::shared_ptr<std::atomic<int>> opened) {
  const ModelOpener inner = fake_factory(confused_script());
  return [inner, opened](const incident::Incident& incident, const runtime::DeviceChoice& device) {
    ++*opened;
    return inner(incident, device);
  };
}

BatchOptions options_into(const fs::path& out) {
  BatchOptions options;
  options.out = out;
  options.junit = out / "junit.xml";
  options.investigate.probes = {"resample", "intervene"};
  options.investigate.budget = Budget::kQuick;
  return options;
}

std::string without_timing(const fs::path& verdict) {
  Json document = util::parse_json_strict(util::read_text_file(verdict, 1 << 26), verdict.string());
  document["reproducibility"].erase("wall_time_s");
  for (auto& probe : document["probes"]) probe.erase("wall_time_s");
  return document.dump();
}

}  // namespace

TEST_CASE("a batch checks each case, reports a bad one, and still runs the rest", "[probes]") {
  const auto folder = scratch("mixed");
  const Json cases = Json::array({
      {{"incident", patched_incident("batch-a").string()}, {"id", "meets"}, {"expect", {{"label", "confused"}}}},
      {{"incident", patched_incident("batch-b").string()}, {"id", "misses"}, {"expect", {{"label", "intentional"}}}},
      {{"incident", (folder / "absent.json").string()}, {"id", "absent"}},
  });
  const auto opened = std::make_shared<std::atomic<int>>(0);
  const auto outcomes =
      run_batch(read_manifest(write_manifest(folder, cases)), options_into(folder / "out"), counting_opener(opened));
  REQUIRE(outcomes.size() == 3);
  CHECK(outcomes[0].status == report::CaseStatus::kPassed);
  CHECK(outcomes[1].status == report::CaseStatus::kFailed);
  REQUIRE(outcomes[1].differences.size() == 1);
  CHECK(outcomes[1].differences[0].field == "label");
  CHECK(outcomes[2].status == report::CaseStatus::kBadInput);
  CHECK_THAT(outcomes[2].error, Catch::Contains("absent.json"));
  CHECK(report::batch_exit_code(outcomes) == 3);
  CHECK(*opened == 1);  // both cases use the organism's model: loaded once
  CHECK(fs::is_regular_file(folder / "out/verdicts/meets.json"));
  const Json summary = util::parse_json_strict(util::read_text_file(folder / "out/batch.json", 1 << 20), "batch.json");
  CHECK(summary["schema"] == "forensics.batch-result/v1");
  CHECK(summary["cases"].size() == 3);
  CHECK(summary["counts"]["failed"] == 1);
  CHECK_THAT(util::read_text_file(folder / "out/junit.xml", 1 << 20), Catch::Contains("failures=\"1\" errors=\"1\""));
}

TEST_CASE("resume keeps verdicts computed from the same inputs and reruns changed ones", "[probes]") {
  const auto folder = scratch("resume");
  const Json cases = Json::array({{{"incident", patched_incident("resume-a").string()}, {"id", "a"}},
                                  {{"incident", patched_incident("resume-b").string()}, {"id", "b"}}});
  const auto manifest = read_manifest(write_manifest(folder, cases));
  auto options = options_into(folder / "out");
  run_batch(manifest, options, counting_opener(std::make_shared<std::atomic<int>>(0)));
  const std::string first_a = without_timing(folder / "out/verdicts/a.json");

  options.resume = true;
  auto opened = std::make_shared<std::atomic<int>>(0);
  auto outcomes = run_batch(manifest, options, counting_opener(opened));
  CHECK(outcomes[0].resumed);
  CHECK(outcomes[1].resumed);
  CHECK(*opened == 0);
  CHECK(without_timing(folder / "out/verdicts/a.json") == first_a);

  options.investigate.samples = 12;  // a different budget is a different input
  outcomes = run_batch(manifest, options, counting_opener(opened));
  CHECK_FALSE(outcomes[0].resumed);
  CHECK(*opened == 1);
}

TEST_CASE("two jobs give the same verdicts as one", "[probes]") {
  const auto folder = scratch("jobs");
  Json cases = Json::array();
  for (const char* id : {"j1", "j2", "j3"}) {
    cases.push_back({{"incident", patched_incident(std::string("jobs-") + id).string()}, {"id", id}});
  }
  const auto manifest = read_manifest(write_manifest(folder, cases));
  auto one = options_into(folder / "one");
  auto two = options_into(folder / "two");
  two.jobs = 2;
  run_batch(manifest, one, fake_factory(confused_script()));
  run_batch(manifest, two, fake_factory(confused_script()));
  for (const char* id : {"j1", "j2", "j3"}) {
    const fs::path name = fs::path("verdicts") / (std::string(id) + ".json");
    CHECK(without_timing(folder / "one" / name) == without_timing(folder / "two" / name));
  }
}

TEST_CASE("a manifest's problems are listed with their paths", "[probes]") {
  const auto folder = scratch("manifest");
  const Json cases = Json::array({{{"incident", "x.json"}, {"budget", "huge"}, {"colour", 1}},
                                  {{"incident", "y.json"}, {"expected", "e.json"}, {"expect", Json::object()}}});
  try {
    read_manifest(write_manifest(folder, cases));
    FAIL("no error");
  } catch (const InputError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("cases[0].budget"));
    CHECK_THAT(message, Catch::Contains("cases[0].colour"));
    CHECK_THAT(message, Catch::Contains("not both"));
  }
}

TEST_CASE("a folder's cases are its incident.json files with the golden file beside each", "[probes]") {
  const auto cases = cases_in_folder(fs::path(FORENSICS_SOURCE_DIR) / "cases");
  REQUIRE(cases.size() >= 4);
  const auto confused =
      std::find_if(cases.begin(), cases.end(), [](const BatchCase& c) { return c.id == "organism-confused"; });
  REQUIRE(confused != cases.end());
  REQUIRE(confused->expectation);
  CHECK(confused->expectation->golden);
  CHECK_THROWS_AS(cases_in_folder(scratch("empty")), InputError);
}
