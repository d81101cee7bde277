// Reading an incident's `probes` object through the registry: which probes run, with which
// budget, and every problem at its JSON path.
#include <catch2/catch.hpp>

#include "fake_incident.h"
#include "forensics/incident/reader.h"
#include "forensics/probes/plan.h"
#include "forensics/util/error.h"

using namespace forensics;
using namespace forensics::probes;
using namespace forensics::testing;

namespace {

struct Planned {
  std::optional<ProbePlan> plan;
  util::Diagnostics diagnostics;
};

Planned plan_of(const std::string& patch, const std::vector<std::string>& names = {}) {
  auto check = incident::check_incident_file(patched_incident("plan", patch));
  Planned out;
  out.diagnostics = check.diagnostics;
  if (!check.incident) {
    FAIL("the incident itself is invalid:\n" << check.diagnostics.format());
  }
  out.plan = plan_probes(*check.incident, names, out.diagnostics);
  return out;
}

std::string message_at(const util::Diagnostics& diagnostics, const std::string& path, util::Severity severity) {
  for (const auto& item : diagnostics.all()) {
    if (item.severity == severity && item.path == path) return item.message;
  }
  FAIL("nothing at " << path << "; got:\n" << diagnostics.format());
  return "";
}

std::vector<std::string> running(const ProbePlan& plan) {
  std::vector<std::string> out;
  for (const auto& planned : plan.probes) {
    if (planned.runs()) out.emplace_back(planned.probe->name);
  }
  return out;
}

}  // namespace

TEST_CASE("the registry lists every probe once, in pipeline order", "[probes]") {
  std::vector<std::string> names;
  for (const auto* probe : probe_table()) names.emplace_back(probe->name);
  CHECK(names == std::vector<std::string>{"resample", "sentence-resample", "intervene", "ablate", "sweep", "patch"});
  CHECK(find_probe("ablate") == probe_table()[3]);
  CHECK(find_probe("ablation") == nullptr);
}

TEST_CASE("the incident's probes run with its budgets; defaults it leaves out are named in a warning", "[probes]") {
  const auto planned = plan_of("[]");
  CHECK(running(*planned.plan) ==
        std::vector<std::string>{"resample", "sentence-resample", "intervene", "ablate", "patch"});
  CHECK(planned.plan->find("resample")->standard_samples == 100);
  CHECK_FALSE(planned.plan->find("ablate")->standard_samples);
  CHECK(planned.plan->sampling.temperature == 1.0);
  CHECK(planned.plan->sampling.max_new_tokens == 192);
  CHECK_FALSE(planned.diagnostics.has_errors());  // sweep is left out, but the incident has no sweep to run

  const auto patch_only = plan_of(R"([{"op": "replace", "path": "/probes", "value": {"patch": {"intervention":
      "neutralize-latency_pressure"}}}])");
  CHECK(running(*patch_only.plan) == std::vector<std::string>{"resample", "patch"});
  CHECK_THAT(message_at(patch_only.diagnostics, "probes", util::Severity::kWarning),
             Catch::Contains("sentence-resample, intervene, ablate"));
}

TEST_CASE("without a probes object every default probe runs, and one with nothing to do is skipped", "[probes]") {
  const auto planned = plan_of(R"([{"op": "remove", "path": "/probes"}])");
  CHECK_FALSE(planned.plan->listed);
  CHECK(running(*planned.plan) == std::vector<std::string>{"resample", "sentence-resample", "intervene", "ablate"});
  CHECK(planned.plan->find("sweep")->status == PlanStatus::kNothingToDo);
  CHECK(planned.plan->find("sweep")->reason == "the incident declares no sweeps");
  CHECK(planned.plan->find("patch")->status == PlanStatus::kNotSelected);
  CHECK(planned.plan->sampling.temperature == 0.6);
  CHECK(planned.diagnostics.warning_count() == 0);
}

TEST_CASE("a turn without reasoning has no chain of thought to resample", "[probes]") {
  const auto planned = plan_of(R"([{"op": "remove", "path": "/transcript/messages/4/reasoning"}])");
  CHECK(planned.plan->find("sentence-resample")->status == PlanStatus::kNothingToDo);
  CHECK_THAT(message_at(planned.diagnostics, "probes.sentence-resample", util::Severity::kWarning),
             Catch::Contains("no reasoning"));
}

TEST_CASE("probe options are checked at their paths", "[probes]") {
  auto planned = plan_of(R"([{"op": "add", "path": "/probes/resampel", "value": {}}])");
  CHECK_THAT(message_at(planned.diagnostics, "probes.resampel", util::Severity::kError),
             Catch::Contains("unknown probe"));
  planned = plan_of(R"([{"op": "replace", "path": "/probes/patch/intervention", "value": "nope"}])");
  CHECK_THAT(message_at(planned.diagnostics, "probes.patch.intervention", util::Severity::kError),
             Catch::Contains("no intervention has id \"nope\""));
  planned = plan_of(R"([{"op": "replace", "path": "/probes/sampling/top_p", "value": 0}])");
  CHECK_THAT(message_at(planned.diagnostics, "probes.sampling.top_p", util::Severity::kError),
             Catch::Contains("expected a number in"));
  planned = plan_of(R"([{"op": "replace", "path": "/probes/sampling/temperature", "value": 1e-320}])");
  CHECK_THAT(message_at(planned.diagnostics, "probes.sampling.temperature", util::Severity::kError),
             Catch::Contains("use 0 for greedy"));
  planned = plan_of(R"([{"op": "add", "path": "/probes/patch/method", "value": "gradient"}])");
  CHECK_THAT(message_at(planned.diagnostics, "probes.patch.method", util::Severity::kError),
             Catch::Contains("attribution"));
  planned = plan_of(R"([{"op": "replace", "path": "/probes/patch/metric", "value": "logprob-difference"},
                        {"op": "remove", "path": "/action/alternative"}])");
  CHECK_THAT(message_at(planned.diagnostics, "probes.patch.metric", util::Severity::kError),
             Catch::Contains("needs action.alternative"));
  planned = plan_of(R"([{"op": "add", "path": "/probes/intervene/interventions", "value": ["x", "x"]}])");
  CHECK_THAT(message_at(planned.diagnostics, "probes.intervene.interventions[0]", util::Severity::kError),
             Catch::Contains("no intervention has id \"x\""));
  planned = plan_of(R"([{"op": "add", "path": "/probes/ablate/depth", "value": 2}])");
  CHECK_THAT(message_at(planned.diagnostics, "probes.ablate.depth", util::Severity::kError),
             Catch::Contains("unknown"));
  planned = plan_of(R"([{"op": "replace", "path": "/probes", "value": {"sampling": {}}}])");
  CHECK_THAT(message_at(planned.diagnostics, "probes", util::Severity::kError), Catch::Contains("lists no probe"));
}

TEST_CASE("the command line chooses probes, adds resample, and refuses an unknown name", "[probes]") {
  const auto planned = plan_of("[]", {"ablate"});
  CHECK(running(*planned.plan) == std::vector<std::string>{"resample", "ablate"});
  CHECK(running(*plan_of("[]", {"all"}).plan).size() == 5);  // sweep has nothing to do
  CHECK_THROWS_WITH(plan_of("[]", {"ablation"}), Catch::Contains("unknown probe \"ablation\""));
}

TEST_CASE("budgets: quick caps, thorough raises, --samples overrides", "[probes]") {
  CHECK(budget_samples(100, Budget::kQuick, std::nullopt) == 30);
  CHECK(budget_samples(20, Budget::kQuick, std::nullopt) == 20);
  CHECK(budget_samples(100, Budget::kStandard, std::nullopt) == 100);
  CHECK(budget_samples(100, Budget::kThorough, std::nullopt) == 300);
  CHECK(budget_samples(500, Budget::kThorough, std::nullopt) == 500);
  CHECK(budget_samples(100, Budget::kQuick, 7) == 7);
}
