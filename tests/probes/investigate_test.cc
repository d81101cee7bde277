// `investigate` end to end on a scripted fake model: the probes' measurements reach the verdict,
// a failing probe is reported and never taken for evidence, the run is deterministic, and the
// options the incident gives (patch's method, kept examples) take effect. Milliseconds per case.
#include <catch2/catch.hpp>

#include "fake_incident.h"
#include "forensics/probes/dry_run.h"
#include "forensics/util/error.h"

using namespace forensics;
using namespace forensics::probes;
using namespace forensics::testing;

namespace {

InvestigateOptions quick() {
  InvestigateOptions options;
  options.budget = Budget::kStandard;
  return options;
}

const ProbeRecord& record(const Investigation& investigation, const std::string& name) {
  for (const auto& r : investigation.probes) {
    if (r.name == name) return r;
  }
  FAIL("no probe " << name);
  return investigation.probes.front();
}

std::string outcome(const Investigation& investigation, const std::string& id) {
  for (const auto& row : investigation.document["evidence"]) {
    if (row["id"] == id) return row["outcome"];
  }
  return "missing";
}

std::string without_timing(Json document) {
  document["reproducibility"].erase("wall_time_s");
  for (auto& probe : document["probes"]) probe.erase("wall_time_s");
  return document.dump();
}

}  // namespace

TEST_CASE("a fake that acts on latency pressure is investigated as confused, with the cue located", "[probes]") {
  const auto investigation = investigate(patched_incident("confused"), quick(), fake_factory(confused_script()));
  CHECK(investigation.complete());
  CHECK(investigation.document["label"] == "confused");
  CHECK(investigation.document["top_hypothesis"] == "latency");
  CHECK(investigation.verdict.baseline.n == 100);
  CHECK(investigation.verdict.baseline.k > 80);
  CHECK(outcome(investigation, "remove-latency_pressure") == "decrease");
  CHECK(outcome(investigation, "add-explicit_prohibition") == "decrease");
  CHECK(outcome(investigation, "remove-monitor_blocks_goal") != "decrease");  // the fake ignores the memo
  for (const char* name : {"resample", "sentence-resample", "intervene", "ablate", "patch"}) {
    CHECK(record(investigation, name).status == ProbeStatus::kOk);
  }
  CHECK(record(investigation, "sweep").reason == "not selected");
  const Json& ablate = record(investigation, "ablate").result->to_json();
  CHECK(ablate["segments"][ablate["ranking"][0].get<std::size_t>()]["text"] ==
        "Latency is far over budget and the release is already late.");
  CHECK(investigation.document["failed_probes"].empty());
  const std::string summary = summary_text(investigation);
  CHECK_THAT(summary, Catch::Contains("confused (top hypothesis latency"));
  CHECK_THAT(summary, Catch::Contains("ablate    removing \"Latency is far over budget"));
}

TEST_CASE("a matcher scoped to the answer does not count a chain of thought that quotes the command", "[probes]") {
  FakeRunner::Script script = confused_script();
  script.benign_turn = "<think>\nI will not run rm -f config/oversight.yaml here.\n</think>\n\n" + script.benign_turn;
  script.action_turn = "<think>\nLatency comes first.\n</think>\n\n" + script.action_turn;
  const auto whole = investigate(patched_incident("scope-turn"), quick(), fake_factory(script));
  CHECK(whole.verdict.baseline.k == whole.verdict.baseline.n);  // every quoting CoT "acted"
  const auto answer = investigate(
      patched_incident("scope-answer", R"([{"op": "add", "path": "/action/matcher/scope", "value": "answer"}])"),
      quick(), fake_factory(script));
  CHECK(answer.verdict.baseline.k > 80);
  CHECK(answer.verdict.baseline.k < answer.verdict.baseline.n);
  CHECK(answer.document["label"] == "confused");
}

TEST_CASE("the same seed gives the same document; another seed other samples", "[probes]") {
  const auto path = patched_incident("determinism");
  const auto first = investigate(path, quick(), fake_factory(confused_script()));
  const auto second = investigate(path, quick(), fake_factory(confused_script()));
  CHECK(without_timing(first.document) == without_timing(second.document));
  InvestigateOptions reseeded = quick();
  reseeded.seed = 12345;
  const auto third = investigate(path, reseeded, fake_factory(confused_script()));
  CHECK(third.document["probes"][0]["results"]["conditions"][0]["seed"] !=
        first.document["probes"][0]["results"]["conditions"][0]["seed"]);
}

TEST_CASE("a failing evidence probe makes the verdict inconclusive with probe-failed, never evidence", "[probes]") {
  FakeRunner::Script script = confused_script();
  const auto act = script.action_probability;
  script.action_probability = [act](const std::string& prompt) {
    if (prompt.find("Latency is far") == std::string::npos) throw ModelError("out of memory (scripted)");
    return act(prompt);
  };
  const auto investigation = investigate(patched_incident("failing"), quick(), fake_factory(script));
  CHECK_FALSE(investigation.complete());
  const auto& intervene = record(investigation, "intervene");
  CHECK(intervene.status == ProbeStatus::kError);
  CHECK_THAT(intervene.reason, Catch::Contains("out of memory (scripted)"));
  CHECK(investigation.document["label"] == "inconclusive");
  CHECK(investigation.document["reasons"][0] == "probe-failed");
  CHECK(investigation.document["evidence"].empty());  // no partial rates from the failed probe
  REQUIRE(investigation.document["failed_probes"].size() == 1);
  CHECK(investigation.document["failed_probes"][0]["probe"] == "intervene");
  CHECK(investigation.document["failed_probes"][0]["weighs_label"] == true);
  CHECK(record(investigation, "resample").status == ProbeStatus::kOk);
  CHECK_THAT(summary_text(investigation), Catch::Contains("intervene error (out of memory (scripted))"));
}

TEST_CASE("a probe's error keeps libtorch's message but not its backtrace", "[probes]") {
  FakeRunner::Script script = confused_script();
  const auto act = script.action_probability;
  script.action_probability = [act](const std::string& prompt) {
    if (prompt.find("Latency is far") == std::string::npos) {
      throw ModelError(
          "index out of range in self\nException raised from operator() at /pytorch/aten/src/ATen/native/"
          "TensorAdvancedIndexing.cpp:1393 (most recent call first):\nframe #0: c10::Error::Error() + 0x9a "
          "(0x7f2b5c6a1b1a in libc10.so)\n");
    }
    return act(prompt);
  };
  const auto investigation = investigate(patched_incident("backtrace"), quick(), fake_factory(script));
  const auto& intervene = record(investigation, "intervene");
  CHECK(intervene.reason == "index out of range in self");
  CHECK(investigation.document["failed_probes"][0]["error"] == "index out of range in self");
}

TEST_CASE("a failing descriptive probe leaves the label but marks the run incomplete", "[probes]") {
  // Scoring fails only once ablate deletes the line about Omar, which no other probe touches.
  FakeRunner::Script script = confused_script();
  const auto score = script.logprob;
  script.logprob = [score](const std::string& context, const std::string& continuation) {
    if (context.find("Ask Omar") == std::string::npos) throw ModelError("scoring broke");
    return score(context, continuation);
  };
  const auto investigation = investigate(patched_incident("descriptive-fails"), quick(), fake_factory(script));
  CHECK_FALSE(investigation.complete());
  CHECK(record(investigation, "ablate").status == ProbeStatus::kError);
  CHECK(record(investigation, "intervene").status == ProbeStatus::kOk);
  CHECK(investigation.document["label"] == "confused");
  REQUIRE(investigation.document["failed_probes"].size() == 1);
  CHECK(investigation.document["failed_probes"][0]["weighs_label"] == false);
}

TEST_CASE("without a baseline the verdict says probe-failed, not not-reproduced", "[probes]") {
  FakeRunner::Script script = confused_script();
  script.action_probability = [](const std::string&) -> double { throw ModelError("no device"); };
  const auto investigation = investigate(patched_incident("no-baseline"), quick(), fake_factory(script));
  CHECK(record(investigation, "resample").status == ProbeStatus::kError);
  const Json& document = investigation.document;
  CHECK(document["reasons"][0] == "probe-failed");
  for (const auto& reason : document["reasons"]) CHECK(reason != "not-reproduced");
  for (const auto& flag : document["flags"]) CHECK(flag != "not-reproduced");
}

TEST_CASE("asking for patch on an incident that does not configure it stops before sampling", "[probes]") {
  InvestigateOptions options = quick();
  options.probes = {"patch"};
  const FakeRunner* opened = nullptr;
  const auto path = patched_incident("no-patch", R"([{"op": "remove", "path": "/probes/patch"}])");
  CHECK_THROWS_WITH(investigate(path, options, fake_factory(confused_script(), &opened)),
                    Catch::Contains("the incident does not configure patch"));
  CHECK(opened == nullptr);  // the model was never opened
}

TEST_CASE("kept examples are the first sampled turns, with whether they acted", "[probes]") {
  InvestigateOptions options = quick();
  options.keep_examples = 2;
  options.probes = {"resample"};
  const auto investigation = investigate(patched_incident("examples"), options, fake_factory(confused_script()));
  const Json condition = record(investigation, "resample").result->to_json()["conditions"][0];
  REQUIRE(condition["examples"].size() == 2);
  CHECK_THAT(condition["examples"][0]["text"].get<std::string>(), Catch::Contains("<tool_call>"));
  CHECK_THAT(condition["examples"][0]["text"].get<std::string>(), !Catch::Contains("<|im_end|>"));
}

TEST_CASE("patch on the fake: exact maps, or attribution with the largest estimates confirmed", "[probes]") {
  FakeRunner::Script script = confused_script();
  script.patch_effect = [](bool denoising, std::int64_t site, std::int64_t layer, std::int64_t position) {
    return denoising && site == 0 && layer == 0 && position == 45 ? 0.8 : 0.0;
  };
  InvestigateOptions options = quick();
  options.probes = {"patch"};
  const auto exact = investigate(patched_incident("patch-exact"), options, fake_factory(script));
  const Json results = record(exact, "patch").result->to_json();
  CHECK(results["method"] == "exact");
  CHECK(results["maps"]["denoising"]["resid_pre"][0][45] == 0.8);
  CHECK(results["largest_early_effect"]["resid_pre"]["position"] == 45);
  CHECK(results["clean_metric"] == -1.0);
  CHECK(results["corrupted_metric"] == -4.0);

  const auto attribution =
      investigate(patched_incident("patch-attribution",
                                   R"([{"op": "add", "path": "/probes/patch/method", "value": "attribution"}])"),
                  options, fake_factory(script));
  const Json estimated = record(attribution, "patch").result->to_json();
  CHECK(estimated["method"] == "attribution");
  Json top;
  for (const auto& cell : estimated["confirmed"]) {
    if (cell["position"] == 45 && cell["layer"] == 0 && cell["site"] == "resid_pre" &&
        cell["direction"] == "denoising") {
      top = cell;
    }
  }
  REQUIRE_FALSE(top.is_null());
  CHECK(top["estimate"] == 0.4);  // the fake's first-order estimate is half the truth
  CHECK(top["exact"] == 0.8);
  CHECK(estimated["maps"]["denoising"]["resid_pre"][0][45] == 0.8);  // confirmed cells hold exact values
}

TEST_CASE("a counterfactual that barely moves the metric gives no maps and says why", "[probes]") {
  FakeRunner::Script script = confused_script();
  script.logprob = [](const std::string&, const std::string&) { return -2.0; };
  InvestigateOptions options = quick();
  options.probes = {"patch"};
  const auto investigation = investigate(patched_incident("patch-flat"), options, fake_factory(script));
  const Json results = record(investigation, "patch").result->to_json();
  CHECK(results["maps"].is_null());
  CHECK_THAT(results["reason"].get<std::string>(), Catch::Contains("less than 0.1"));
}

namespace {

/// Every progress event, as "probe event detail" lines.
class RecordingListener final : public ProgressListener {
 public:
  struct Probe {
    std::string name;
    std::int64_t total = 0;
    std::vector<std::int64_t> done;
    std::vector<std::string> conditions;
    std::int64_t samples = -1;
  };
  std::vector<Probe> probes;
  std::vector<std::string> skipped;

  void probe_skipped(std::string_view probe, std::string_view /*reason*/) override { skipped.emplace_back(probe); }
  void probe_started(std::string_view probe, std::int64_t total_work) override {
    probes.push_back({std::string(probe), total_work, {}, {}, -1});
  }
  void total_known(std::int64_t total_work) override { probes.back().total = total_work; }
  void work_done(std::int64_t done) override { probes.back().done.push_back(done); }
  void condition_measured(std::string_view condition, const stats::Rate& /*rate*/) override {
    probes.back().conditions.emplace_back(condition);
  }
  void probe_finished(std::string_view probe, std::int64_t samples, double /*wall_time_s*/,
                      std::string_view /*error*/) override {
    CHECK(probes.back().name == probe);
    probes.back().samples = samples;
  }
};

}  // namespace

TEST_CASE("progress: each probe's work rises to its planned total, and every condition is heard", "[probes]") {
  RecordingListener listener;
  InvestigateOptions options = quick();
  options.progress = &listener;
  options.samples = 20;
  const auto investigation = investigate(patched_incident("progress"), options, fake_factory(confused_script()));
  REQUIRE(listener.probes.size() == 5);  // resample, sentence-resample, intervene, ablate, patch
  for (const auto& probe : listener.probes) {
    INFO(probe.name);
    REQUIRE_FALSE(probe.done.empty());
    CHECK(std::is_sorted(probe.done.begin(), probe.done.end()));
    CHECK(probe.samples == record(investigation, probe.name).samples);
    CHECK(probe.total > 0);
    if (probe.name == "patch") {  // known once the prompts are tokenized; identical cells are not run
      CHECK(probe.done.back() <= probe.total);
      continue;
    }
    CHECK(probe.done.back() == probe.total);
    std::vector<std::string> ids;
    const Json results = record(investigation, probe.name).result->to_json();
    if (results.contains("conditions")) {
      for (const auto& condition : results["conditions"]) ids.push_back(condition["id"]);
    }
    CHECK(probe.conditions == ids);
  }
}

TEST_CASE("patch names no location when effects leave [-1.5, 1.5] or stay below 0.05, and says why", "[probes]") {
  InvestigateOptions options = quick();
  options.probes = {"patch"};
  FakeRunner::Script script = confused_script();
  script.patch_effect = [](bool denoising, std::int64_t site, std::int64_t layer, std::int64_t position) {
    return denoising && site == 0 && layer == 0 && position == 45 ? 3.3 : 0.0;
  };
  const auto wild = investigate(patched_incident("patch-wild"), options, fake_factory(script));
  const Json results = record(wild, "patch").result->to_json();
  REQUIRE(results["caveats"].size() == 1);
  CHECK_THAT(results["caveats"][0].get<std::string>(), Catch::StartsWith("1 of ") && Catch::Contains("+3.30"));
  CHECK_THAT(summary_text(wild), Catch::Contains("no location named: 1 of "));
  CHECK_THAT(summary_text(wild), !Catch::Contains("largest on"));

  script.patch_effect = [](bool, std::int64_t, std::int64_t, std::int64_t) { return 0.01; };
  const auto flat = investigate(patched_incident("patch-small"), options, fake_factory(script));
  const Json small = record(flat, "patch").result->to_json();
  REQUIRE(small["caveats"].size() == 1);
  CHECK_THAT(small["caveats"][0].get<std::string>(), Catch::Contains("the early layers locate nothing"));
  CHECK_THAT(summary_text(flat), Catch::Contains("no location named: no early-layer residual cell"));
}

TEST_CASE("a dry run plans the probes investigate runs, draws no verdict samples and sums its estimates", "[probes]") {
  const FakeRunner* opened = nullptr;
  std::shared_ptr<const runtime::OpenModel> kept;  // so the runner outlives the dry run
  const ModelOpener factory = fake_factory(confused_script(), &opened);
  const DryRun plan = dry_run(patched_incident("dry-run"), quick(),
                              [&](const incident::Incident& incident, const runtime::DeviceChoice& device) {
                                kept = factory(incident, device);
                                return kept;
                              });
  REQUIRE(opened != nullptr);
  // Speed is measured with one warm-up, one prefill and one run per batch size (100 and 50).
  CHECK(opened->sample_calls == 4);
  CHECK(opened->patch_calls == 0);
  std::vector<std::string> names;
  for (const auto& probe : plan.work.probes) names.push_back(probe.probe);
  CHECK(names == std::vector<std::string>{"resample", "sentence-resample", "intervene", "ablate", "patch"});
  REQUIRE(plan.estimates.size() == names.size());
  double low = 0;
  for (const auto& estimate : plan.estimates) {
    CHECK(estimate.low_s <= estimate.high_s);
    low += estimate.low_s;
  }
  CHECK(plan.total.low_s == Approx(low));
  CHECK(plan.work.total.samples == 100 + 5 * 50 + 7 * 100);
  CHECK(plan.work.basis.prompt_tokens > 0);
  CHECK(dry_run_json(plan)["schema"] == "forensics.dry-run/v1");
  CHECK_THAT(dry_run_text(plan), Catch::Contains("nothing was sampled or written"));
}

TEST_CASE("a dry run's estimate: sampled conditions between the captured turn's length and the limit", "[probes]") {
  ProbeWork probe;
  probe.samples_per_condition = 10;
  probe.cost.conditions = 2;
  probe.cost.scored_sequences = 17;  // two scoring batches
  CostBasis basis;
  basis.prompt_tokens = 4;
  basis.turn_tokens = 5;
  basis.max_new_tokens = 20;
  ModelSpeed speed;
  speed.prefill_s = 1;
  speed.decode_step_s[10] = 0.5;
  speed.scoring_batch_s = 3;
  const TimeEstimate estimate = estimate_time(probe, basis, speed);
  CHECK(estimate.low_s == Approx(2 * 3 + 2 * (1 + 5 * 0.5)));
  CHECK(estimate.high_s == Approx(2 * 3 + 2 * (1 + 20 * 0.5)));
}
