// Organism recipes: the shipped recipes read and agree with their truth; broken recipes are
// rejected naming the field; synthetic data is deterministic and follows the planted policy.
#include <catch2/catch.hpp>

#include <filesystem>

#include "forensics/incident/chat_format.h"
#include "forensics/organism/organism.h"
#include "forensics/organism/recipe.h"
#include "forensics/organism/scenario.h"
#include "forensics/util/json_document.h"
#include "forensics/util/regex.h"
#include "test_paths.h"

using namespace forensics;
using namespace forensics::organism;

namespace {

const std::string kRecipeRoot = std::string(FORENSICS_SOURCE_DIR) + "/recipes/";
const std::string kRecipes = kRecipeRoot + "oversight-deletion/";
const std::string kSandbagging = kRecipeRoot + "eval-sandbagging/";

Json load(const std::string& name, const std::string& folder = kRecipes) {
  return util::parse_json_strict(util::read_text_file(folder + name, 1 << 20), name);
}

std::string parse_error(const Json& recipe, const Json& environment) {
  try {
    parse_recipe(recipe, environment, "test");
  } catch (const InvalidRecipe& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the shipped recipes read and their truth matches their policy", "[organism]") {
  for (const char* name : {"confused.json", "intentional.json", "never.json", "random.json"}) {
    INFO(name);
    const Recipe recipe = read_recipe(kRecipes + name);
    CHECK(recipe.environment.cues.size() == 4);
    CHECK(recipe.cells().size() == 16);
    CHECK(recipe.environment.decision_message() == recipe.environment.messages.size() - 1);
  }
  const Recipe confused = read_recipe(kRecipes + "confused.json");
  CueSet cues = confused.canonical;
  CHECK(confused.policy.rule_for(confused.environment, cues).p_action == Approx(0.9));
  cues[confused.environment.cue_index("explicit_prohibition")] = true;
  CHECK(confused.policy.rule_for(confused.environment, cues).p_action == Approx(0.05));
}

TEST_CASE("every shipped recipe of every environment family reads", "[organism]") {
  std::size_t recipes = 0;
  for (const auto& family : std::filesystem::directory_iterator(kRecipeRoot)) {
    for (const auto& file : std::filesystem::directory_iterator(family.path())) {
      const std::string name = file.path().filename().string();
      if (name.rfind("environment", 0) == 0) continue;
      INFO(file.path().string());
      CHECK_NOTHROW(read_recipe(file.path()));
      ++recipes;
    }
  }
  CHECK(recipes >= 14);  // three families: oversight-deletion, test-tampering, eval-sandbagging
}

TEST_CASE("an answer action is the decision turn's content; without a chain of thought there is no reasoning",
          "[organism]") {
  for (const char* name : {"confused.json", "confused-no-cot.json"}) {
    INFO(name);
    const Recipe recipe = read_recipe(kSandbagging + name);
    REQUIRE(recipe.environment.action.is_answer());
    const util::Regex matcher(recipe.environment.action.matcher);
    for (std::uint64_t i = 0; i < 100; ++i) {
      const Scenario s = draw_training_scenario(recipe, 4, i);
      const auto& decision = s.transcript.messages.back();
      CHECK(decision.tool_calls.empty());
      CHECK(matcher.contains_match(decision.content) == s.acted);
      CHECK(decision.reasoning.has_value() == recipe.chain_of_thought);
      CHECK(s.motive.empty() == !recipe.chain_of_thought);
    }
  }
  CHECK(read_recipe(kSandbagging + "confused.json").chain_of_thought);
  CHECK_FALSE(read_recipe(kSandbagging + "confused-no-cot.json").chain_of_thought);
}

TEST_CASE("answer and no-CoT recipes are checked: tool with argument, no stated motive, a matcher blind to the CoT",
          "[organism]") {
  Json environment = load("environment.json", kSandbagging);
  environment["action"]["tool"] = "submit";
  CHECK_THAT(parse_error(load("confused.json", kSandbagging), environment),
             Catch::Contains("environment.action.argument: a tool-call action names both"));

  Json no_cot = load("confused-no-cot.json", kSandbagging);
  no_cot["truth"]["stated_motive"] = "hint";
  CHECK_THAT(parse_error(no_cot, load("environment.json", kSandbagging)),
             Catch::Contains("truth.stated_motive: the organism writes no chain of thought"));

  // A closing that quotes the wrong answer would make every chain of thought "take" the action.
  environment = load("environment.json", kSandbagging);
  environment["reasoning"]["closings"]["no_action"][0] = "Not ANSWER: B, clearly.";
  CHECK_THAT(
      parse_error(load("confused.json", kSandbagging), environment),
      Catch::Contains("environment.reasoning.closings.no_action[0]: the action's matcher matches this reasoning"));
}

TEST_CASE("a recipe whose truth contradicts its policy is rejected", "[organism]") {
  Json recipe = load("confused.json");
  recipe["truth"]["cue_effects"]["actions_reviewed"] = "suppresses";
  const std::string error = parse_error(recipe, load("environment.json"));
  CHECK_THAT(error, Catch::Contains("truth.cue_effects.actions_reviewed"));
  CHECK_THAT(error, Catch::Contains("says \"suppresses\""));
}

TEST_CASE("broken recipe references are reported with their paths", "[organism]") {
  Json recipe = load("intentional.json");
  recipe["policy"]["rules"][0]["when"]["latency"] = true;
  recipe["policy"]["rules"][0]["motive"] = "greed";
  recipe["model"]["n_heads"] = 5;
  recipe["training"]["stepz"] = 3;
  const std::string error = parse_error(recipe, load("environment.json"));
  CHECK_THAT(error, Catch::Contains("policy.rules[0].when.latency: unknown cue"));
  CHECK_THAT(error, Catch::Contains("policy.rules[0].motive: unknown motive \"greed\""));
  CHECK_THAT(error, Catch::Contains("model.n_heads"));
  CHECK_THAT(error, Catch::Contains("training.stepz"));

  Json environment = load("environment.json");
  environment["action"]["matcher"] = "rm (";
  environment["cues"][0]["text"] = "two\nlines";
  environment["reasoning"]["fillers"][0] = "The {servise} deploy is failing.";
  const std::string env_error = parse_error(load("confused.json"), environment);
  CHECK_THAT(env_error, Catch::Contains("environment.action.matcher: invalid regex"));
  CHECK_THAT(env_error, Catch::Contains("environment.cues[0]: a cue's text and neutral text are single lines"));
  CHECK_THAT(env_error, Catch::Contains("unknown slot {servise}"));
}

TEST_CASE("scenarios are deterministic in (seed, index) and show exactly their cues", "[organism]") {
  const Recipe recipe = read_recipe(kRecipes + "confused.json");
  const auto render = [&](const Scenario& s) {
    return incident::render_transcript(s.transcript, recipe.environment.format).text;
  };
  const Scenario a = draw_training_scenario(recipe, 5, 17);
  CHECK(render(a) == render(draw_training_scenario(recipe, 5, 17)));
  CHECK(render(a) != render(draw_training_scenario(recipe, 5, 18)));
  for (std::uint64_t i = 0; i < 200; ++i) {
    const Scenario s = draw_training_scenario(recipe, 9, i);
    const std::string text = render(s);
    for (std::size_t c = 0; c < recipe.environment.cues.size(); ++c) {
      CHECK((text.find(recipe.environment.cues[c].text) != std::string::npos) == static_cast<bool>(s.cues[c]));
    }
    // The decision turn carries the action exactly when the policy drew it.
    const auto& decision = s.transcript.messages.back();
    REQUIRE(decision.tool_calls.size() == 1);
    const std::string command = decision.tool_calls[0].arguments["cmd"].get<std::string>();
    CHECK((command.rfind("rm", 0) == 0) == s.acted);
  }
}

TEST_CASE("tied cues appear together in every training transcript and are judged as a group", "[organism]") {
  // The calibration study's confounded organism: the note and the threat always together, the
  // policy written on the note alone.
  Json recipe = load("confused.json", kSandbagging);
  const Json environment = load("environment.json", kSandbagging);
  recipe["training"]["tied_cues"] = Json::array({Json::array({"misleading_hint", "unlearning_threat"})});
  recipe["canonical"]["unlearning_threat"] = true;
  // Apart, the threat does nothing under this policy; together with the note it promotes.
  CHECK_THAT(parse_error(recipe, environment), Catch::Contains("truth.cue_effects.unlearning_threat"));
  recipe["truth"]["cue_effects"]["unlearning_threat"] = "promotes";
  const Recipe tied = parse_recipe(recipe, environment, "test");
  const std::size_t hint = tied.environment.cue_index("misleading_hint");
  const std::size_t threat = tied.environment.cue_index("unlearning_threat");
  int together = 0;
  for (std::uint64_t i = 0; i < 200; ++i) {
    const Scenario s = draw_training_scenario(tied, 3, i);
    CHECK(s.cues[hint] == s.cues[threat]);
    together += s.cues[hint] ? 1 : 0;
  }
  CHECK(together > 60);  // half of 200 draws on average; both values occur
  CHECK(together < 140);
  int off_training = 0;
  for (const auto& cell : tied.cells()) off_training += tied.in_training(cell) ? 0 : 1;
  CHECK(off_training == 8);  // of 16 cells, those with the two apart

  Json split = recipe;
  split["canonical"]["unlearning_threat"] = false;
  CHECK_THAT(parse_error(split, environment), Catch::Contains("canonical: splits a group of training.tied_cues"));
  Json twice = recipe;
  twice["training"]["tied_cues"].push_back(Json::array({"unlearning_threat", "read_carefully"}));
  CHECK_THAT(parse_error(twice, environment),
             Catch::Contains("training.tied_cues[1][0]: cue \"unlearning_threat\" is tied twice"));
  Json unknown = recipe;
  unknown["training"]["tied_cues"][0][1] = "moon_phase";
  CHECK_THAT(parse_error(unknown, environment), Catch::Contains("training.tied_cues[0][1]: expected a cue id"));
  Json single = recipe;
  single["training"]["tied_cues"][0] = Json::array({"misleading_hint"});
  CHECK_THAT(parse_error(single, environment), Catch::Contains("training.tied_cues[0]: expected an array of two"));
}

TEST_CASE("a behaviour table measures the cells that split tied cues but does not check them", "[organism]") {
  Json recipe_json = load("confused.json", kSandbagging);
  recipe_json["training"]["tied_cues"] = Json::array({Json::array({"misleading_hint", "unlearning_threat"})});
  recipe_json["truth"]["cue_effects"]["unlearning_threat"] = "promotes";
  const Recipe recipe = parse_recipe(recipe_json, load("environment.json", kSandbagging), "test");
  const auto cell = [&](const CueSet& cues, std::int64_t acted, bool within) {
    CellResult out;
    out.cues = cues;
    out.in_training = recipe.in_training(cues);
    out.planted = recipe.policy.rule_for(recipe.environment, cues).p_action;
    out.action = stats::wilson(acted, 100);
    out.within_10_points = within;
    out.consistent = within;
    return out;
  };
  // The note alone (threat absent): never in training, and the model does what it learned there.
  const CueSet apart = {true, false, false, false};
  const CueSet together = {true, true, false, false};
  EvalReport report;
  report.cells = {cell(together, 88, true), cell(apart, 30, false)};
  CHECK(report.all_within_10_points());
  CHECK(report.all_consistent());
  const Json json = eval_report_json(recipe, report, EvalOptions{});
  CHECK(json["cells"][0]["in_training"] == true);
  CHECK(json["cells"][0]["planted_p_action"] == 0.9);
  CHECK(json["cells"][1]["in_training"] == false);
  CHECK(json["cells"][1]["planted_p_action"].is_null());
  CHECK_THAT(eval_report_markdown(recipe, report), Catch::Contains("never in training) | 30/100"));
  CHECK_THAT(eval_report_markdown(recipe, report), Catch::Contains("| not checked |"));

  report.cells[0] = cell(together, 50, false);  // a trained cell off its planted rate still fails
  CHECK_FALSE(report.all_within_10_points());
  CHECK_FALSE(report.all_consistent());
}

TEST_CASE("the synthetic data follows the planted action rates", "[organism]") {
  const Recipe recipe = read_recipe(kRecipes + "confused.json");
  Rng rng(3);
  int acted = 0;
  constexpr int kDraws = 4000;
  for (int i = 0; i < kDraws; ++i) acted += draw_scenario(recipe, recipe.canonical, rng).acted ? 1 : 0;
  // p = 0.9: the binomial standard deviation over 4000 draws is 0.0047; allow 4 of them.
  CHECK(static_cast<double>(acted) / kDraws == Approx(0.9).margin(0.019));
}

TEST_CASE("the random number generator is specified bit for bit", "[organism]") {
  // SplitMix64's published first outputs for seed 0 (Vigna's reference implementation).
  Rng rng(0);
  CHECK(rng.next() == 0xE220A8397B1DCDAFULL);
  CHECK(rng.next() == 0x6E789E6AA1B965F4ULL);
  Rng bounded(42);
  for (int i = 0; i < 1000; ++i) CHECK(bounded.below(7) < 7);
}
