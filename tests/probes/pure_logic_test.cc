// The probes' pure logic, without a model: sentence splitting, context segments, the alignment
// of two prompts, the choice of attribution cells to confirm and normalized effects.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "forensics/probes/patch_map.h"
#include "forensics/probes/segments.h"
#include "forensics/probes/sentences.h"

using namespace forensics;
using namespace forensics::probes;

namespace {

std::string text_of(std::string_view text, const SentenceSpan& span) {
  return std::string(text.substr(span.begin, span.end - span.begin));
}

incident::Message message(incident::Role role, std::string content) {
  incident::Message out;
  out.role = role;
  out.content = std::move(content);
  return out;
}

}  // namespace

TEST_CASE("sentences are cut after .?! before whitespace and at blank lines, keeping byte spans", "[probes]") {
  const std::string text = "The monitor is slow. Should I remove it?\n\nYes! Removing the config now.";
  const auto sentences = split_sentences(text);
  REQUIRE(sentences.size() == 3);
  CHECK(text_of(text, sentences[0]) == "The monitor is slow.");
  CHECK(text_of(text, sentences[1]) == "Should I remove it?");
  // "Yes!" is under 10 characters: merged into the next sentence, whose span starts at "Yes".
  CHECK(text_of(text, sentences[2]) == "Yes! Removing the config now.");
  CHECK(sentences[2].length == std::string("Yes! Removing the config now.").size());
}

TEST_CASE("a short last sentence merges into the previous one; decimals do not end a sentence", "[probes]") {
  const std::string text = "Latency is 3.5 times the budget. Do it.";
  const auto sentences = split_sentences(text);
  REQUIRE(sentences.size() == 1);
  CHECK(text_of(text, sentences[0]) == text);
  CHECK(split_sentences("   ").empty());
  CHECK(split_sentences("Short.").size() == 1);  // a single short chunk stays as it is
}

TEST_CASE("content words are lowercased words of five or more letters without stopwords", "[probes]") {
  const auto words = content_words("The MONITOR adds latency, which would block it.");
  CHECK(words == std::set<std::string>{"monitor", "latency", "block"});
}

TEST_CASE("context segments cover environment messages, coarse to fine, each span once", "[probes]") {
  incident::Transcript transcript;
  transcript.messages.push_back(message(incident::Role::kSystem, "You are an agent."));
  transcript.messages.push_back(
      message(incident::Role::kUser, "Fix the deploy. It is red.\nLatency is over budget.\n\nThanks."));
  transcript.messages.push_back(message(incident::Role::kAssistant, "Looking."));
  transcript.messages.push_back(message(incident::Role::kTool, "ok"));
  transcript.messages.push_back(message(incident::Role::kAssistant, ""));
  const auto segments = context_segments(transcript, 4, Granularity::kSentence);
  std::vector<std::string> described;
  for (const auto& s : segments) {
    described.push_back(std::to_string(s.message) + " " + std::string(kSegmentKindNames.name(s.kind)) + " " +
                        std::string(s.span.of(transcript.messages[s.message].content)));
  }
  CHECK(described == std::vector<std::string>{
                         "0 message You are an agent.",
                         "1 message Fix the deploy. It is red.\nLatency is over budget.\n\nThanks.",
                         "1 paragraph Fix the deploy. It is red.\nLatency is over budget.",
                         "1 line Fix the deploy. It is red.",
                         "1 sentence Fix the deploy.",
                         "1 sentence It is red.",
                         "1 line Latency is over budget.",
                         "1 paragraph Thanks.",
                         "3 message ok",
                     });
  const auto finest = finest_segments(segments);
  CHECK(finest == std::vector<std::size_t>{0, 4, 5, 6, 7, 8});
  CHECK(context_segments(transcript, 4, Granularity::kMessage).size() == 3);
  CHECK(context_segments(transcript, 4, Granularity::kParagraph).size() == 5);
}

TEST_CASE("deleting a segment takes its trailing whitespace, or the leading one at the end", "[probes]") {
  incident::Transcript transcript;
  transcript.messages.push_back(message(incident::Role::kUser, "One.\nTwo.\nThree."));
  const auto segments = context_segments(transcript, 1, Granularity::kSentence);
  REQUIRE(segments.size() == 4);
  CHECK(without_segment(transcript, segments[1]).messages[0].content == "Two.\nThree.");
  CHECK(without_segment(transcript, segments[2]).messages[0].content == "One.\nThree.");
  CHECK(without_segment(transcript, segments[3]).messages[0].content == "One.\nTwo.");
  CHECK(without_segment(transcript, segments[0]).messages[0].content.empty());
}

TEST_CASE("prompts of equal length align position by position; others by shared prefix and suffix", "[probes]") {
  const auto equal = align({1, 2, 3, 4}, {1, 9, 3, 4});
  CHECK(equal.equal_length);
  CHECK(equal.shared_prefix == 1);
  CHECK(equal.shared_suffix == 2);
  CHECK(equal.pairs.size() == 4);
  const auto deletion = align({1, 2, 3, 4, 5}, {1, 4, 5});
  CHECK_FALSE(deletion.equal_length);
  CHECK(deletion.shared_prefix == 1);
  CHECK(deletion.shared_suffix == 2);
  CHECK(deletion.pairs == std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 0}, {3, 1}, {4, 2}});
  // The suffix never overlaps the prefix: [1, 1] vs [1, 1, 1] share a prefix of 2, a suffix of 0.
  const auto repeated = align({1, 1}, {1, 1, 1});
  CHECK(repeated.shared_prefix == 2);
  CHECK(repeated.shared_suffix == 0);
}

TEST_CASE("the position map groups positions by place and marks the edited tokens", "[probes]") {
  incident::RenderedTranscript prompt;
  prompt.text = "<s>AB|CD|";
  prompt.messages.resize(2);
  prompt.messages[0].message = {3, 6};
  prompt.messages[1].message = {6, 9};
  const std::vector<std::pair<std::size_t, std::size_t>> offsets = {{0, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7}, {7, 9}};
  Alignment alignment;
  alignment.shared_prefix = 2;
  alignment.shared_suffix = 3;
  for (std::int64_t p = 0; p < 6; ++p) alignment.pairs.emplace_back(p, p);
  PositionMap map = prompt_positions(prompt, offsets, alignment);
  add_turn_positions(map, "xy", {{0, 1}, {1, 2}}, 3);
  std::vector<std::string> kinds;
  for (const auto& segment : map.segments) kinds.emplace_back(kPlaceKindNames.name(segment.kind));
  CHECK(kinds == std::vector<std::string>{"begin", "message", "edit", "message", "message", "turn"});
  CHECK(map.on_edit(2));
  CHECK_FALSE(map.on_edit(3));
  CHECK(map.positions[2].token == "B");
  CHECK(map.positions.back().token.empty());  // past the turn's own tokens
  CHECK(map.segments[1].message == 0u);
  CHECK(map.segments[3].message == 0u);  // after the edit, still message 0
  CHECK(map.segments[4].message == 1u);
}

TEST_CASE("attribution confirms the largest estimates per direction, never identical cells", "[probes]") {
  runtime::PatchingResult estimates;
  estimates.clean_metric = 1.0;
  estimates.corrupted_metric = 0.0;
  runtime::PatchingGrid grid;
  grid.sites = 1;
  grid.layers = 2;
  grid.positions = 3;
  grid.metric = {0.9, 0.1, 0.5, -0.8, 0.2, 0.0};  // denoising: distance from the corrupted metric 0
  grid.identical = {1, 0, 0, 0, 0, 0};
  estimates.denoising = grid;
  const auto cells = top_cells(estimates, 2);
  CHECK(cells == std::vector<runtime::PatchingCell>{{0, 0, 2}, {0, 1, 0}});

  runtime::PatchingResult exact = estimates;
  exact.denoising->metric = std::vector<double>(6, std::numeric_limits<double>::quiet_NaN());
  exact.denoising->metric[2] = 0.25;
  exact.denoising->metric[3] = -0.5;
  adopt_exact_cells(estimates, exact, cells);
  CHECK(estimates.denoising->metric[2] == 0.25);
  CHECK(estimates.denoising->metric[3] == -0.5);
  CHECK(estimates.denoising->metric[1] == 0.1);
}

TEST_CASE("effects are normalized by the gap, identical cells are exactly zero, the early cell is kept", "[probes]") {
  runtime::PatchingGrid grid;
  grid.sites = 1;
  grid.layers = 4;
  grid.positions = 2;
  grid.metric = {3.0, 2.5, 2.0, 4.0, 2.0, 2.0, 2.0, 2.0};
  grid.identical = {1, 0, 0, 0, 0, 0, 0, 0};
  const auto effects = normalized_effects(grid, 2.0, 2.0, early_layer_count(4));
  REQUIRE(effects.size() == 1);
  CHECK(effects[0].effects[0] == std::vector<double>{0.0, 0.25});
  CHECK(effects[0].effects[1] == std::vector<double>{0.0, 1.0});
  CHECK(effects[0].strongest[1].position == 1);
  CHECK(early_layer_count(4) == 1);
  CHECK(early_layer_count(12) == 3);
  CHECK(effects[0].early.layer == 0);  // layer 1's larger effect is not early for 4 layers
  CHECK(effects[0].early.effect == 0.25);
  CHECK(rounded_effect(0.123456) == 0.1235);
}

TEST_CASE("exact patching's cost counts the recomputed tokens of every non-identical cell", "[probes]") {
  runtime::PatchingInput input;
  input.clean_prompt = {1, 2, 3, 4};
  input.continuations = {{7, 8, 9}};
  input.sites = {runtime::HookSite::kResidPre};
  input.denoising = true;
  input.noising = false;
  Alignment alignment = align({1, 2, 3, 4}, {1, 5, 3, 4});
  // Prompt positions 1..3 recompute (4 - p) prompt tokens and 3 turn tokens each; turn tokens 0
  // and 1 recompute 3 and 2: (3 + 3) + (2 + 3) + (1 + 3) + 3 + 2 = 20 tokens; of 2 layers, the
  // layer-0 cell runs both and the layer-1 cell resumes there: 1.5 passes per position.
  CHECK(exact_cost_flops(10, 2, input, alignment) == 2.0 * 10 * 20 * 1.5);
}
