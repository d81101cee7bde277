// probes: the probe framework. What every probe reads (ProbeContext: the incident, the model as a
// runtime::ModelRunner, the sampling parameters, the matcher), what it hands back (a ProbeResult
// of its own type), and how it is described (ProbeDescriptor: name, options, budget, cost, run),
// with the one registry table. Torch-free: a probe sees the model only through the runner.
// Adding a probe is one file and one registry row (docs/probes.md, "Adding a probe").
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forensics/incident/chat_format.h"
#include "forensics/incident/incident.h"
#include "forensics/incident/matcher.h"
#include "forensics/probes/progress.h"
#include "forensics/runtime/runner.h"
#include "forensics/runtime/tokenizer.h"
#include "forensics/util/json.h"
#include "forensics/util/json_reader.h"
#include "forensics/util/name_table.h"
#include "forensics/verdict/evidence.h"

namespace forensics::probes {

/// Everything the probes share, built once per investigation.
struct ProbeContext {
  const incident::Incident& incident;
  const runtime::ModelRunner& runner;
  const runtime::Tokenizer& tokenizer;
  runtime::SamplingParams sampling;  // the incident's, command-line overrides, end-of-turn stop
  incident::ActionMatcher matcher;
  // Strings that end a turn in decoded text (the format's end-of-turn and the stop strings):
  // a sampled turn is cut at the first one before matching.
  std::vector<std::string> turn_ends;
  std::uint64_t seed = 0;
  // What the model wrote as the action's turn: render_turn(transcript, action.message).
  incident::RenderedTurn action_turn;
  // Sampled turns kept per condition as examples in the results (the first ones, in order).
  std::int64_t keep_examples = 0;
  // Where the running probe reports its work (never null; it may have no listener).
  ProgressMeter* progress = nullptr;
  // With a matcher scoped to the answer, the action turn's reasoning markers: a sampled turn is
  // searched after them (incident::answer_of). Empty for the whole turn.
  incident::ReasoningMarkers answer_markers{};
};

/// The most samples per condition an incident or the command line may ask for.
inline constexpr std::int64_t kMaxSamples = 1'000'000;

/// What the verdict loses when a probe fails.
enum class ProbeRole {
  kBaseline,     // every rate is compared with its rate (resample)
  kEvidence,     // lines of evidence the label weighs (intervene, sweep)
  kFlags,        // evidence for a flag only (sentence-resample: cot-unfaithful)
  kDescriptive,  // says where the cause sits; the verdict does not weigh it (ablate, patch)
};
inline constexpr util::NameTable kProbeRoleNames{std::array{
    util::NameEntry<ProbeRole>{ProbeRole::kBaseline, "baseline"},
    util::NameEntry<ProbeRole>{ProbeRole::kEvidence, "evidence"},
    util::NameEntry<ProbeRole>{ProbeRole::kFlags, "flags"},
    util::NameEntry<ProbeRole>{ProbeRole::kDescriptive, "descriptive"},
}};

/// A probe's typed result. Each probe defines its own struct in its file and says here what the
/// verdict (add_evidence), the stderr summary (summary_lines) and the document (to_json) read
/// of it.
class ProbeResult {
 public:
  virtual ~ProbeResult() = default;
  /// The `results` object of the probe's entry in the verdict document (docs/probes.md).
  virtual Json to_json() const = 0;
  /// The measurements the verdict weighs; descriptive probes add none.
  virtual void add_evidence(verdict::Evidence& /*evidence*/) const {}
  /// Lines for the stderr summary saying where the probe locates the cause (none by default).
  virtual std::vector<std::string> summary_lines() const { return {}; }

  std::int64_t samples = 0;  // samples drawn in all
};

/// What a probe will cost, before it runs (validate, investigate --dry-run, progress).
struct ProbeCost {
  std::int64_t conditions = 0;        // sampled conditions
  std::int64_t samples = 0;           // sampled turns in all
  std::int64_t scored_sequences = 0;  // teacher-forced (prompt, turn) pairs
  std::int64_t patched_runs = 0;      // patched cells (at most: identical ones are not run)
  std::int64_t patched_tokens = 0;    // tokens the patched runs recompute (at most)
};

/// The sizes costs depend on, from the incident rendered with the model's tokenizer and the
/// model's config (plan.h, cost_basis). Zero where unknown (no model yet): costs that need them
/// come out 0.
struct CostBasis {
  std::int64_t prompt_tokens = 0;   // the prompt before the action's turn
  std::int64_t turn_tokens = 0;     // the action's turn as written
  std::int64_t n_layers = 0;        // the model's
  std::int64_t max_new_tokens = 0;  // per sampled turn
};

/// A probe, type-erased. Make one with describe_probe from a ProbeDefinition.
struct ProbeDescriptor {
  std::string_view name;
  std::string_view summary;  // one line, for help and docs
  ProbeRole role = ProbeRole::kDescriptive;
  bool on_by_default = true;  // runs when the incident has no `probes` object
  // Reads the model's activations (runner.patch): skipped, with the runner's reason, where the
  // runner cannot reach them (a model on a serving engine without local weights).
  bool needs_activations = false;
  // Reads probes.<name> (an object; {} for the defaults) and checks it against the incident;
  // problems go to the reader's diagnostics.
  std::function<std::any(util::ObjectReader& reader, const incident::Incident& incident)> read;
  // Samples per condition at the standard budget; absent for probes that draw none.
  std::function<std::optional<std::int64_t>(const std::any& options)> standard_samples;
  std::function<ProbeCost(const incident::Incident& incident, const std::any& options, std::int64_t samples,
                          const CostBasis& basis)>
      cost;
  // Why the probe has nothing to measure on this incident (no sweep declared, no reasoning to
  // split), or absent when it has work to do. Such a probe is skipped with that reason.
  std::function<std::optional<std::string>(const incident::Incident& incident, const std::any& options)> nothing_to_do;
  std::function<std::unique_ptr<ProbeResult>(const ProbeContext& context, const std::any& options,
                                             std::int64_t samples)>
      run;
};

/// A probe with its options type; describe_probe erases the type.
template <class Options>
struct ProbeDefinition {
  std::string_view name;
  std::string_view summary;
  ProbeRole role = ProbeRole::kDescriptive;
  bool on_by_default = true;
  bool needs_activations = false;
  Options (*read)(util::ObjectReader& reader, const incident::Incident& incident) = nullptr;
  // nullptr: the probe draws no samples.
  std::int64_t (*standard_samples)(const Options& options) = nullptr;
  ProbeCost (*cost)(const incident::Incident& incident, const Options& options, std::int64_t samples,
                    const CostBasis& basis) = nullptr;
  // nullptr: the probe always has work to do.
  std::optional<std::string> (*nothing_to_do)(const incident::Incident& incident, const Options& options) = nullptr;
  std::unique_ptr<ProbeResult> (*run)(const ProbeContext& context, const Options& options,
                                      std::int64_t samples) = nullptr;
};

template <class Options>
ProbeDescriptor describe_probe(const ProbeDefinition<Options>& probe) {
  ProbeDescriptor out;
  out.name = probe.name;
  out.summary = probe.summary;
  out.role = probe.role;
  out.on_by_default = probe.on_by_default;
  out.needs_activations = probe.needs_activations;
  out.read = [read = probe.read](util::ObjectReader& reader, const incident::Incident& incident) {
    return std::any(read(reader, incident));
  };
  out.standard_samples = [samples = probe.standard_samples](const std::any& options) -> std::optional<std::int64_t> {
    if (samples == nullptr) return std::nullopt;
    return samples(std::any_cast<const Options&>(options));
  };
  out.cost = [cost = probe.cost](const incident::Incident& incident, const std::any& options, std::int64_t samples,
                                 const CostBasis& basis) {
    return cost(incident, std::any_cast<const Options&>(options), samples, basis);
  };
  out.nothing_to_do = [idle = probe.nothing_to_do](const incident::Incident& incident,
                                                   const std::any& options) -> std::optional<std::string> {
    if (idle == nullptr) return std::nullopt;
    return idle(incident, std::any_cast<const Options&>(options));
  };
  out.run = [run = probe.run](const ProbeContext& context, const std::any& options, std::int64_t samples) {
    return run(context, std::any_cast<const Options&>(options), samples);
  };
  return out;
}

/// Every probe, in pipeline order (src/probes/registry.cc).
const std::vector<const ProbeDescriptor*>& probe_table();

/// The probe named `name`, or nullptr.
const ProbeDescriptor* find_probe(std::string_view name);

/// `"resample", ... or "patch"`, for messages.
std::string probe_choices();

}  // namespace forensics::probes
