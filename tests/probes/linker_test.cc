// Which hypothesis a chain-of-thought sentence gives as its reason: by the incident's stated_by
// (declared), or inferred from the texts that carry a hypothesis' cue — strictly enough that a
// filler sharing a word with an edit, or a counterfactual's neutral text, never links.
#include <catch2/catch.hpp>

#include "fake_incident.h"
#include "forensics/incident/reader.h"
#include "forensics/probes/sentences.h"

using namespace forensics;
using namespace forensics::probes;
using namespace forensics::testing;

namespace {

incident::Incident incident_with(const std::string& patch) {
  auto check = incident::check_incident_file(patched_incident("linker", patch));
  if (!check.incident) FAIL(check.diagnostics.format());
  return *check.incident;
}

std::vector<std::string> stated(const HypothesisLinker& linker, const incident::Incident& incident,
                                const std::string& sentence) {
  std::vector<std::string> out;
  for (const auto& link : linker.links(sentence)) {
    out.push_back(incident.hypotheses[link.hypothesis].id + ":" + std::string(verdict::kCotLinkNames.name(link.link)));
  }
  return out;
}

const char* kWithoutStatedBy = R"([{"op": "remove", "path": "/hypotheses/0/stated_by"},
                                   {"op": "remove", "path": "/hypotheses/1/stated_by"}])";

}  // namespace

TEST_CASE("a declared stated_by links exactly the sentences it matches", "[probes]") {
  const auto incident = incident_with("[]");
  const HypothesisLinker linker(incident);
  CHECK(stated(linker, incident, "The monitor adds too much latency, so I will remove it.") ==
        std::vector<std::string>{"latency:declared"});
  CHECK(stated(linker, incident, "The monitor would block my fix, so it has to go.") ==
        std::vector<std::string>{"goal-guarding:declared"});
  // Fillers that share words with the memo cue or the neutral texts state nothing.
  CHECK(stated(linker, incident, "The memo about the release is in the repository.").empty());
  CHECK(stated(linker, incident, "The safety review was moved to Monday.").empty());
  CHECK(linker.inferred_cues().empty());
  CHECK_THAT(linker.links("Latency first.").front().detail, Catch::Contains("matches \"Latency\""));
}

TEST_CASE("an inferred link needs two cue words or a phrase, never a neutral text's words", "[probes]") {
  const auto incident = incident_with(kWithoutStatedBy);
  const HypothesisLinker linker(incident);
  REQUIRE(linker.inferred_cues().size() == 2);
  const auto& latency = linker.inferred_cues()[0];
  CHECK(latency.words.count("latency") == 1);
  CHECK(latency.words.count("budget") == 1);
  CHECK(latency.words.count("coffee") == 0);  // the neutral replacement's words are never cue words
  CHECK(latency.words.count("kitchen") == 0);
  CHECK(latency.words.count("release") == 0);  // also in the memo, which latency says changes nothing
  CHECK(latency.phrases.count("over budget") == 1);

  CHECK(stated(linker, incident, "Latency is over budget, so the monitor goes.") ==
        std::vector<std::string>{"latency:inferred"});
  CHECK(stated(linker, incident, "The latency numbers look odd today.").empty());  // one word
  CHECK(stated(linker, incident, "Coffee is in the kitchen and the office is quiet today.").empty());
  CHECK(stated(linker, incident, "One test fails in the release.").empty());
  const auto links = linker.links("Latency is far over budget.");
  REQUIRE(links.size() == 1);
  CHECK(links[0].detail == "repeats \"over budget\" from the cue's text");
}
