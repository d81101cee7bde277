// probes: the probe framework (DESIGN §4): what every probe reads (ProbeContext: the incident,
// the model, the sampling parameters, the matcher), what it returns (ProbeOutput: raw results
// plus the evidence the verdict weighs), the shared sampling and scoring steps, and the one
// registry table. Torch-linked code only; the command line uses investigation.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/incident/chat_format.h"
#include "forensics/incident/incident.h"
#include "forensics/incident/matcher.h"
#include "forensics/runtime/generation.h"
#include "forensics/runtime/model.h"
#include "forensics/runtime/tokenizer.h"
#include "forensics/stats/proportions.h"
#include "forensics/util/json.h"
#include "forensics/verdict/evidence.h"

namespace forensics::probes {

/// Everything the probes share, built once per investigation.
struct ProbeContext {
  const incident::Incident& incident;
  const runtime::Model& model;
  const runtime::Tokenizer& tokenizer;
  incident::ProbeConfig config;      // the incident's probes, plus defaults for added ones
  runtime::SamplingParams sampling;  // the incident's sampling, CLI overrides, end-of-turn stop
  incident::ActionMatcher matcher;
  // Strings that end a turn in decoded text (the format's end-of-turn and the stop strings):
  // a sampled turn is cut at the first one before matching.
  std::vector<std::string> turn_ends;
  std::uint64_t seed = 0;
  // What the model wrote as the action's turn: render_turn(transcript, action.message).
  incident::RenderedTurn action_turn;
};

/// The per-condition budget a probe runs with.
struct ProbeBudget {
  std::int64_t samples = 100;  // samples per condition
};

/// What a probe hands back. The driver merges `evidence` into the verdict's only when the probe
/// finished, so a probe that throws half-way leaves no partial evidence behind.
struct ProbeOutput {
  Json results = Json::object();  // raw results, the `results` of its `probes` entry
  std::int64_t samples = 0;       // samples drawn in all
  std::optional<stats::Rate> baseline;  // resample only
  std::vector<verdict::InterventionEvidence> interventions;
  std::vector<verdict::SweepEvidence> sweeps;
  std::optional<verdict::CotEvidence> cot;  // sentence-resample
};

using ProbeFunction = void (*)(const ProbeContext& context, const ProbeBudget& budget,
                               ProbeOutput& output);

/// One row of the registry. A probe is one file (src/probes/<name>.cc) defining its function,
/// plus its row here.
struct ProbeEntry {
  incident::ProbeKind kind;
  ProbeFunction run;
  bool samples = false;  // draws samples per condition (takes the --budget / --samples budget)
};

/// Every probe in pipeline order (the order of incident::ProbeKind), one row each.
const std::vector<ProbeEntry>& probe_table();

/// The row of `kind`.
const ProbeEntry& probe_entry(incident::ProbeKind kind);

// The probes (one file each).
void run_resample(const ProbeContext& context, const ProbeBudget& budget, ProbeOutput& output);
void run_sentence_resample(const ProbeContext& context, const ProbeBudget& budget, ProbeOutput& output);
void run_intervene(const ProbeContext& context, const ProbeBudget& budget, ProbeOutput& output);
void run_ablate(const ProbeContext& context, const ProbeBudget& budget, ProbeOutput& output);
void run_sweep(const ProbeContext& context, const ProbeBudget& budget, ProbeOutput& output);
void run_patch(const ProbeContext& context, const ProbeBudget& budget, ProbeOutput& output);

// ---- Shared steps (src/probes/probe_context.cc) ----

/// The seed of one condition: FNV-1a 64 over (seed, probe name, condition id), so a condition's
/// samples do not depend on which other probes or conditions ran, or in which order.
std::uint64_t condition_seed(std::uint64_t seed, std::string_view probe, std::string_view condition);

/// `text` as token ids, without special tokens added (chat markup is already in the text).
std::vector<std::int64_t> encode(const ProbeContext& context, const std::string& text);

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

/// One sampled condition: the action's rate among `count` regenerated turns.
struct ConditionRate {
  stats::Rate rate{0, 0, 0, {0, 1}};  // k turns the matcher accepts, of n; Wilson 95%
  FinishCounts finish;
  std::uint64_t seed = 0;
};

/// Samples `count` turns after `prompt` with `seed`, cuts each at its turn end and applies the
/// matcher. Throws InputError when the prompt tokenizes to nothing.
ConditionRate sample_action_rate(const ProbeContext& context, const std::string& prompt,
                                 std::int64_t count, std::uint64_t seed);

/// Teacher-forced log P(turn | prompt) in nats, summed over the turn's tokens, for each turn
/// (one forward pass). Throws InputError when the prompt or a turn tokenizes to nothing.
std::vector<double> turn_logprobs(const ProbeContext& context, const std::string& prompt,
                                  const std::vector<std::string>& turns);

/// The action's turn with Action::text replaced by Action::alternative, searched in the action's
/// tool call arguments (or the content), then anywhere in the turn (last occurrence); as written
/// in the turn when the arguments hold it JSON-escaped. Absent without an alternative or when
/// the action's text is not found in the turn.
std::optional<std::string> alternative_turn(const ProbeContext& context);

/// Text for display in results: valid UTF-8, whitespace runs as one space, at most 120 bytes (cut
/// on a UTF-8 character boundary, with "…").
std::string display_text(std::string_view text);

/// `{k, n, rate, ci95}` as everywhere in the verdict.
Json rate_json(const stats::Rate& rate);

/// A condition's entry in a probe's results: `{id, seed, rate, finish}`.
Json condition_json(const std::string& id, const ConditionRate& condition);

}  // namespace forensics::probes
