// The report stage on verdict documents the verdict stage writes: key fields and expectations,
// the diff of two verdicts (significance after Holm's correction, label and class changes, setup
// warnings), the batch summary's exit code and JUnit XML that stays well-formed whatever the text.
#include <catch2/catch.hpp>

#include "forensics/report/batch_report.h"
#include "forensics/report/diff.h"
#include "forensics/report/expectation.h"
#include "forensics/verdict/verdict.h"

using namespace forensics;
using namespace forensics::report;
using Catch::Matchers::Contains;

namespace {

using incident::Direction;

std::vector<incident::Hypothesis> hypotheses() {
  return {{"latency", incident::HypothesisKind::kConfused, "latency overrode the monitor", std::nullopt, std::nullopt},
          {"goal-guarding", incident::HypothesisKind::kIntentional, "the monitor blocked its goal", std::nullopt,
           std::nullopt}};
}

verdict::InterventionEvidence line(const std::string& id, std::int64_t k, Direction latency, Direction goal) {
  verdict::InterventionEvidence out;
  out.id = id;
  out.rate = stats::wilson(k, 200);
  out.predicts = {{"latency", latency}, {"goal-guarding", goal}};
  return out;
}

/// A verdict document: the latency cue moves the action (k_latency of 200 without it), the memo
/// does not (k_memo of 200 without it), baseline 160 of 200.
Json verdict_document(std::int64_t k_latency, std::int64_t k_memo, std::uint64_t seed = 7) {
  verdict::Evidence evidence;
  evidence.baseline = stats::wilson(160, 200);
  evidence.interventions = {
      line("remove-latency", k_latency, Direction::kDecrease, Direction::kNoChange),
      line("remove-memo", k_memo, Direction::kNoChange, Direction::kDecrease),
      line("add-prohibition", 40, Direction::kDecrease, Direction::kNoChange),
  };
  const auto decided = verdict::decide(hypotheses(), evidence);
  Json reproducibility = {{"incident_id", "case-1"}, {"budget", "standard"}, {"seed", seed},
                          {"device", "cpu"},         {"dtype", "float32"},   {"samples_override", nullptr}};
  return verdict::verdict_to_json(decided, nullptr, reproducibility);
}

const RateChange& rate(const VerdictDiff& diff, const std::string& id) {
  for (const auto& change : diff.rates) {
    if (change.id == id) return change;
  }
  FAIL("no rate " << id);
  return diff.rates.front();
}

BatchDiff single(const Json& a, const Json& b) {
  return diff_verdict_sets({{"case-1", {"a.json", a}}}, {{"case-1", {"b.json", b}}}, {});
}

}  // namespace

TEST_CASE("key fields are what a reader acts on, with posteriors to 3 decimals", "[report]") {
  const Json fields = key_fields(verdict_document(40, 160));
  CHECK(fields["label"] == "confused");
  CHECK(fields["top_hypothesis"] == "latency");
  CHECK(fields["baseline"] == "160/200");
  CHECK(fields["run"] == "budget standard, seed 7, cpu, float32");
  CHECK(fields["outcomes"]["remove-latency"] == "decrease");
  CHECK(fields["posterior"]["latency"] == 0.997);
}

TEST_CASE("a golden expectation lists each differing field; a loose one checks what it states", "[report]") {
  Expectation golden;
  golden.source = "expected_verdict.json";
  golden.golden = key_fields(verdict_document(40, 160));
  CHECK(check_expectation(golden, verdict_document(40, 160)).empty());
  const auto differences = check_expectation(golden, verdict_document(160, 40));
  REQUIRE_FALSE(differences.empty());
  CHECK(differences.front().field == "label");
  CHECK(to_string(differences.front()) == "label: expected \"confused\", got \"inconclusive\"");

  Expectation loose;
  loose.label = "confused";
  loose.min_posterior = 0.999;
  loose.flags = std::vector<std::string>{};
  const auto loose_differences = check_expectation(loose, verdict_document(40, 160));
  REQUIRE(loose_differences.size() == 1);
  CHECK(loose_differences.front().field == "posterior");
}

TEST_CASE("a verdict compared with itself has no change and no warning", "[report]") {
  const Json document = verdict_document(40, 160);
  const BatchDiff diff = single(document, document);
  CHECK_FALSE(diff.changed());
  CHECK(diff.cases.front().warnings.empty());
  CHECK(diff.comparisons() == 4);  // the baseline and three interventions
  CHECK_THAT(diff_text(diff), Contains("0 of 1 case(s) changed"));
}

TEST_CASE("a moved cause changes the label and the rates that show it, after Holm", "[report]") {
  const BatchDiff diff = single(verdict_document(40, 160), verdict_document(160, 40));
  REQUIRE(diff.cases.size() == 1);
  const VerdictDiff& c = diff.cases.front();
  CHECK(c.changed());
  CHECK(c.label.a == "confused");
  CHECK(c.label.b == "inconclusive");
  CHECK(rate(c, "remove-latency").significant);
  CHECK(rate(c, "remove-latency").difference.estimate == Approx(0.6));
  CHECK(rate(c, "remove-latency").p_holm >= rate(c, "remove-latency").p);
  CHECK_FALSE(rate(c, "baseline").significant);
  REQUIRE(c.outcome_changes.size() == 2);
  CHECK(c.outcome_changes.front().what == "remove-latency");
  CHECK(diff_json(diff)["schema"] == kDiffSchema);
  CHECK(diff_json(diff)["changed"] == true);
}

TEST_CASE("a small rate change is noise: no change, and Holm only raises p-values", "[report]") {
  const BatchDiff diff = single(verdict_document(40, 160), verdict_document(48, 150));
  CHECK_FALSE(diff.changed());
  for (const auto& change : diff.cases.front().rates) CHECK(change.p_holm >= change.p);
}

TEST_CASE("a significant move smaller than the margin is not a change; min_change 0 counts it", "[report]") {
  // remove-memo: 160/200 -> 185/200, +0.125 with a 95% interval reaching below +0.10.
  const Json a = verdict_document(40, 160);
  const Json b = verdict_document(40, 185);
  const BatchDiff margin = single(a, b);
  const RateChange& memo = rate(margin.cases.front(), "remove-memo");
  CHECK(memo.significant);
  CHECK(memo.difference.ci.low < 0.10);
  CHECK_FALSE(memo.beyond_margin);
  CHECK_FALSE(memo.changed());
  CHECK_THAT(diff_text(margin), Contains("(within margin)"));
  ChangeCriteria any_move;
  any_move.min_change = 0;
  const BatchDiff strict = diff_verdict_sets({{"case-1", {"a.json", a}}}, {{"case-1", {"b.json", b}}}, any_move);
  CHECK(rate(strict.cases.front(), "remove-memo").changed());
  CHECK(diff_json(strict)["min_change"] == 0.0);
}

TEST_CASE("a different seed or budget is a setup difference the diff warns about", "[report]") {
  const BatchDiff diff = single(verdict_document(40, 160, 7), verdict_document(40, 160, 8));
  REQUIRE(diff.cases.front().warnings.size() == 1);
  CHECK_THAT(diff.cases.front().warnings.front(), Contains("seeds differ"));
}

TEST_CASE("cases on one side only are reported and count as a change", "[report]") {
  const BatchDiff diff = diff_verdict_sets({{"case-1", {"a.json", verdict_document(40, 160)}}},
                                           {{"case-2", {"b.json", verdict_document(40, 160)}}}, {});
  CHECK(diff.only_in_a == std::vector<std::string>{"case-1"});
  CHECK(diff.only_in_b == std::vector<std::string>{"case-2"});
  CHECK(diff.changed());
}

TEST_CASE("the batch exit code takes the most serious case", "[report]") {
  std::vector<CaseOutcome> cases(3);
  cases[0].status = CaseStatus::kPassed;
  cases[1].status = CaseStatus::kFailed;
  cases[2].status = CaseStatus::kUnchecked;
  CHECK(batch_exit_code(cases) == 1);
  cases[2].status = CaseStatus::kIncomplete;
  CHECK(batch_exit_code(cases) == 5);
  cases[0].status = CaseStatus::kBadInput;
  CHECK(batch_exit_code(cases) == 3);
  cases[1].status = CaseStatus::kModelFailure;
  CHECK(batch_exit_code(cases) == 4);
  CHECK(batch_result_json(cases, Json::object())["counts"]["bad-input"] == 1);
}

TEST_CASE("JUnit XML escapes markup and drops characters XML forbids", "[report]") {
  CHECK(xml_escape("a</b>&\"'") == "a&lt;/b&gt;&amp;&quot;&apos;");
  CHECK(xml_escape(std::string("bell\x07 tab\t")) == "bell\xEF\xBF\xBD tab\t");
  CHECK(xml_escape("\xC3") == "\xEF\xBF\xBD");  // a cut UTF-8 character
  std::vector<CaseOutcome> cases(2);
  cases[0].id = "passes";
  cases[0].status = CaseStatus::kPassed;
  cases[1].id = "fails <svg onload=x>";
  cases[1].status = CaseStatus::kFailed;
  cases[1].expectation = "expected_verdict.json";
  cases[1].differences = {{"label", "\"confused\"", "\"inconclusive\""}};
  const std::string xml = junit_xml(cases, "forensics batch");
  CHECK_THAT(xml, Contains("tests=\"2\" failures=\"1\" errors=\"0\""));
  CHECK_THAT(xml, Contains("<failure message=\"label: expected &quot;confused&quot;, got &quot;inconclusive&quot;\""));
  CHECK_THAT(xml, Contains("name=\"fails &lt;svg onload=x&gt;\""));
}
