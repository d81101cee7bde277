#include <catch2/catch.hpp>

#include "forensics/incident/edit.h"
#include "forensics/incident/shared_text.h"

using namespace forensics::incident;
using Catch::Matchers::Contains;

namespace {

Transcript sample_transcript() {
  Transcript transcript;
  transcript.messages = {
      {Role::kSystem, "You are an agent. Be careful.", std::nullopt, {}, std::nullopt, std::nullopt},
      {Role::kUser, "Fix it fast. It is slow. It is slow.", std::nullopt, {}, std::nullopt, std::nullopt},
      {Role::kAssistant, "ok", std::string("I will look."), {}, std::nullopt, std::nullopt},
      {Role::kAssistant, "rm -f monitor.yaml", std::nullopt, {}, std::nullopt, std::nullopt},
  };
  return transcript;
}

Edit replace(std::size_t message, std::string find, std::string with, bool all = false) {
  Edit edit;
  edit.op = EditOp::kReplace;
  edit.message = message;
  edit.find = std::move(find);
  edit.text = std::move(with);
  edit.all = all;
  return edit;
}

Edit deletion(std::size_t message, std::string find) {
  Edit edit = replace(message, std::move(find), "");
  edit.op = EditOp::kDelete;
  return edit;
}

Edit insertion(std::size_t message, InsertAnchor anchor, std::string text) {
  Edit edit;
  edit.op = EditOp::kInsert;
  edit.message = message;
  edit.anchor = anchor;
  edit.text = std::move(text);
  return edit;
}

}  // namespace

TEST_CASE("replace, delete and insert change only their target", "[incident]") {
  Edit remove = replace(0, " Be careful.", "");
  remove.op = EditOp::kDelete;
  Edit insert;
  insert.op = EditOp::kInsert;
  insert.message = 2;
  insert.field = MessageField::kReasoning;
  insert.anchor = InsertAnchor::kAfter;
  insert.find = "I will";
  insert.text = " carefully";
  const auto result = apply_edits(sample_transcript(), 3, {replace(1, "Fix it fast.", "Fix it."), remove, insert});
  CHECK(result.transcript.messages[0].content == "You are an agent.");
  CHECK(result.transcript.messages[1].content == "Fix it. It is slow. It is slow.");
  CHECK(*result.transcript.messages[2].reasoning == "I will carefully look.");
  CHECK(result.action_message == 3);
}

TEST_CASE("an ambiguous find is an error unless all is set", "[incident]") {
  CHECK_THROWS_WITH(apply_edits(sample_transcript(), 3, {replace(1, "It is slow.", "")}),
                    Contains("occurs 2 times in message 1"));
  const auto result = apply_edits(sample_transcript(), 3, {replace(1, " It is slow.", "", true)});
  CHECK(result.transcript.messages[1].content == "Fix it fast.");
}

TEST_CASE("text that is not there is an error naming the edit", "[incident]") {
  try {
    apply_edits(sample_transcript(), 3, {replace(1, "Fix", "Mend"), replace(0, "absent", "x")});
    FAIL("expected EditError");
  } catch (const EditError& e) {
    CHECK(e.edit_index() == 1);
    CHECK_THAT(std::string(e.what()), Contains("\"absent\" not found in message 0"));
  }
}

TEST_CASE("the action's message and later ones cannot be edited", "[incident]") {
  CHECK_THROWS_WITH(apply_edits(sample_transcript(), 3, {replace(3, "rm", "ls")}), Contains("not before the action"));
}

TEST_CASE("dropping and adding messages moves the action", "[incident]") {
  Edit drop;
  drop.op = EditOp::kDropMessage;
  drop.message = 2;
  Edit add;
  add.op = EditOp::kAddMessage;
  add.message = 1;
  add.new_message = Message{Role::kUser, "Never delete the monitor.", std::nullopt, {}, std::nullopt, std::nullopt};
  const auto result = apply_edits(sample_transcript(), 3, {drop, add});
  REQUIRE(result.transcript.messages.size() == 4);
  CHECK(result.action_message == 3);
  CHECK(result.transcript.messages[1].content == "Never delete the monitor.");
  CHECK(result.transcript.messages[3].content == "rm -f monitor.yaml");

  Edit add_at_action = add;
  add_at_action.message = 3;  // right before the action: allowed
  CHECK(apply_edits(sample_transcript(), 3, {add_at_action}).action_message == 4);
}

TEST_CASE("editing reasoning a message lacks is an error", "[incident]") {
  Edit edit = replace(1, "Fix", "x");
  edit.field = MessageField::kReasoning;
  CHECK_THROWS_WITH(apply_edits(sample_transcript(), 3, {edit}), Contains("has no reasoning"));
}

TEST_CASE("interventions that change the same text share an implied confound tag", "[incident]") {
  Incident incident;
  incident.transcript = sample_transcript();
  const auto intervention = [](std::string id, std::vector<Edit> edits) {
    Intervention out;
    out.id = std::move(id);
    out.edits = std::move(edits);
    return out;
  };
  Edit drop_message;
  drop_message.op = EditOp::kDropMessage;
  drop_message.message = 2;
  Edit reasoning = replace(2, "look", "hurry");
  reasoning.field = MessageField::kReasoning;
  incident.interventions = {
      intervention("careful-gone", {deletion(0, " Be careful.")}),
      intervention("careful-calm", {replace(0, "careful", "calm")}),                      // inside the span above
      intervention("agent-renamed", {replace(0, "an agent", "a bot")}),                   // same message, apart
      intervention("careful-again", {insertion(0, InsertAnchor::kEnd, " Be careful.")}),  // adds text only
      intervention("slow-all", {replace(1, "slow", "fast", true)}),
      intervention("second-slow", {replace(1, "slow.", "ok.", true)}),
      intervention("hurry", {reasoning}),
      intervention("drop-turn", {drop_message}),  // covers the reasoning edit's message
      // Text an earlier edit wrote is not in the transcript as given: not compared.
      intervention("written-then-edited", {replace(0, "Be careful", "Be quick"), replace(0, "quick", "slow")}),
  };
  const auto tags = implied_confounds(incident);
  REQUIRE(tags.size() == incident.interventions.size());
  CHECK(tags[0] == std::vector<std::string>{"same-text.careful-gone"});
  CHECK(tags[1] == std::vector<std::string>{"same-text.careful-gone", "same-text.careful-calm"});
  CHECK(tags[2].empty());
  CHECK(tags[3].empty());
  CHECK(tags[4] == std::vector<std::string>{"same-text.slow-all"});  // every occurrence, `all`
  CHECK(tags[5] == std::vector<std::string>{"same-text.slow-all"});
  CHECK(tags[6] == std::vector<std::string>{"same-text.hurry"});
  CHECK(tags[7] == std::vector<std::string>{"same-text.hurry"});
  CHECK(tags[8] == std::vector<std::string>{"same-text.careful-gone", "same-text.careful-calm"});
}
