// probes: the steps the probes share: condition seeds, prompts, sampling the action's turn and
// matching it, teacher-forced scoring of turns (the one place scoring is batched), the
// alternative turn, and display text for results.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/probes/probe.h"
#include "forensics/stats/proportions.h"

namespace forensics::probes {

/// The seed of one condition: FNV-1a 64 over (seed, probe name, condition id), so a condition's
/// samples do not depend on which other probes or conditions ran, or in which order.
std::uint64_t condition_seed(std::uint64_t seed, std::string_view probe, std::string_view condition);

/// `text` as model ids. Throws InputError when it tokenizes to nothing (`what` names it).
std::vector<std::int64_t> token_ids(const ProbeContext& context, const std::string& text, std::string_view what);

/// The prompt the model continues to regenerate the action's turn in `transcript`, where the
/// action is message `action_message`: render_prompt's text.
std::string action_prompt(const ProbeContext& context, const incident::Transcript& transcript,
                          std::size_t action_message);

/// How many samples finished on an end-of-sequence token, a stop string, or the length limit.
struct FinishCounts {
  std::int64_t eos = 0;
  std::int64_t stop = 0;
  std::int64_t length = 0;
};

/// One sampled turn kept for a person to read: its text (cut at the turn's end) and whether the
/// matcher took it for the action.
struct ExampleTurn {
  std::string text;
  bool acted = false;
};

/// One sampled condition: the action's rate among `count` regenerated turns.
struct ConditionRate {
  stats::Rate rate{0, 0, 0, {0, 1}};  // k turns the matcher accepts, of n; Wilson 95%
  FinishCounts finish;
  std::uint64_t seed = 0;
  std::vector<ExampleTurn> examples;  // the first context.keep_examples turns
};

/// Samples `count` turns after `prompt`, seeded by condition_seed(context.seed, probe,
/// condition), cuts each at its turn end and applies the matcher; reports the samples and the
/// rate to the progress meter. Throws InputError when the prompt tokenizes to nothing.
ConditionRate sample_action_rate(const ProbeContext& context, const std::string& prompt, std::int64_t count,
                                 std::string_view probe, std::string_view condition);

/// Teacher-forced log P(turn | prompt) in nats, summed over the turn's tokens, for every prompt
/// and turn: out[p][t]. (prompt, turn) pairs go to the runner 16 at a time, prompts in order,
/// so a result depends only on the inputs. Throws InputError when a prompt or a turn tokenizes
/// to nothing.
std::vector<std::vector<double>> score_turns(const ProbeContext& context, const std::vector<std::string>& prompts,
                                             const std::vector<std::string>& turns);

/// The action's turn with Action::text replaced by Action::alternative, searched in the action's
/// tool call arguments (or the content), then anywhere in the turn (last occurrence); as written
/// in the turn when the arguments hold it JSON-escaped. Absent without an alternative or when
/// the action's text is not found in the turn.
std::optional<std::string> alternative_turn(const ProbeContext& context);

/// The action's turn, then the alternative turn when there is one: what intervene, ablate and
/// patch score.
std::vector<std::string> scored_turns(const ProbeContext& context);

/// Text for display in results: valid UTF-8, whitespace runs as one space, at most 120 bytes (cut
/// on a UTF-8 character boundary, with "…").
std::string display_text(std::string_view text);

/// A condition's entry in a probe's results: `{id, seed, rate, finish}` (and `examples` when
/// kept).
Json condition_json(const std::string& id, const ConditionRate& condition);

}  // namespace forensics::probes
