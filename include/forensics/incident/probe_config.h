// incident: which probes an incident asks for and their budgets (docs/incident-format.md,
// "probes"). Defaults here are the `standard` budget; the probes themselves live in probes/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "forensics/util/name_table.h"

namespace forensics::incident {

enum class ProbeKind { kResample, kSentenceResample, kIntervene, kAblate, kSweep, kPatch };
inline constexpr util::NameTable kProbeKindNames{std::array{
    util::NameEntry<ProbeKind>{ProbeKind::kResample, "resample"},
    util::NameEntry<ProbeKind>{ProbeKind::kSentenceResample, "sentence-resample"},
    util::NameEntry<ProbeKind>{ProbeKind::kIntervene, "intervene"},
    util::NameEntry<ProbeKind>{ProbeKind::kAblate, "ablate"},
    util::NameEntry<ProbeKind>{ProbeKind::kSweep, "sweep"},
    util::NameEntry<ProbeKind>{ProbeKind::kPatch, "patch"},
}};

/// How every sampling probe draws continuations.
struct SamplingOptions {
  double temperature = 0.6;   // Thought Anchors' setting (PRIMER.md)
  double top_p = 0.95;        // idem
  int top_k = 0;              // 0: no top-k cut
  int max_new_tokens = 256;   // per regenerated assistant turn
  std::vector<std::string> stop;  // extra stop strings besides the model's end-of-turn token
};

struct ResampleOptions {
  int samples = 100;  // the paper's rollouts per condition are 50-200
};

struct SentenceResampleOptions {
  int samples_per_side = 50;  // k before and k after each sentence, as in the pre-commit study
  int max_sentences = 0;      // 0: every sentence of the chain of thought
};

struct InterveneOptions {
  int samples = 100;
  std::vector<std::string> interventions;  // ids to run; empty: all declared interventions
};

enum class AblateGranularity { kMessage, kParagraph, kSentence };
inline constexpr util::NameTable kAblateGranularityNames{std::array{
    util::NameEntry<AblateGranularity>{AblateGranularity::kMessage, "message"},
    util::NameEntry<AblateGranularity>{AblateGranularity::kParagraph, "paragraph"},
    util::NameEntry<AblateGranularity>{AblateGranularity::kSentence, "sentence"},
}};

struct AblateOptions {
  AblateGranularity granularity = AblateGranularity::kSentence;
};

struct SweepOptions {
  int samples = 100;  // per value of the sweep
};

/// Activation sites patched, named after their TransformerLens hooks (`blocks.{l}.hook_<site>`).
enum class PatchSite { kResidPre, kAttnOut, kMlpOut };
inline constexpr util::NameTable kPatchSiteNames{std::array{
    util::NameEntry<PatchSite>{PatchSite::kResidPre, "resid_pre"},
    util::NameEntry<PatchSite>{PatchSite::kAttnOut, "attn_out"},
    util::NameEntry<PatchSite>{PatchSite::kMlpOut, "mlp_out"},
}};

/// Denoising patches clean activations into the corrupted run (sufficiency); noising the
/// reverse (necessity). REFERENCE.md §5.
enum class PatchDirection { kDenoising, kNoising, kBoth };
inline constexpr util::NameTable kPatchDirectionNames{std::array{
    util::NameEntry<PatchDirection>{PatchDirection::kDenoising, "denoising"},
    util::NameEntry<PatchDirection>{PatchDirection::kNoising, "noising"},
    util::NameEntry<PatchDirection>{PatchDirection::kBoth, "both"},
}};

/// What a patched run measures (REFERENCE §5), teacher-forcing the action's turn as written:
/// log P(action turn) - log P(alternative turn), which isolates the choice between the two
/// commands given the reasoning (the turns differ only there); or log P(action turn) alone, which
/// also counts the reasoning that leads to the action.
enum class PatchMetric { kLogprobDifference, kActionLogprob };
inline constexpr util::NameTable kPatchMetricNames{std::array{
    util::NameEntry<PatchMetric>{PatchMetric::kLogprobDifference, "logprob-difference"},
    util::NameEntry<PatchMetric>{PatchMetric::kActionLogprob, "action-logprob"},
}};

/// How the cells are measured: exact (a patched run per cell), attribution (a gradient estimate of
/// every cell from two forward and two backward passes, the top cells then patched exactly), or
/// auto: exact when it costs at most kPatchExactBudgetFlops, else attribution.
enum class PatchMethod { kAuto, kExact, kAttribution };
inline constexpr util::NameTable kPatchMethodNames{std::array{
    util::NameEntry<PatchMethod>{PatchMethod::kAuto, "auto"},
    util::NameEntry<PatchMethod>{PatchMethod::kExact, "exact"},
    util::NameEntry<PatchMethod>{PatchMethod::kAttribution, "attribution"},
}};

struct PatchOptions {
  std::string intervention;  // the counterfactual: an intervention id
  // Absent: logprob-difference when the action has an alternative, else action-logprob.
  std::optional<PatchMetric> metric;
  PatchMethod method = PatchMethod::kAuto;
  std::vector<PatchSite> sites{PatchSite::kResidPre, PatchSite::kAttnOut, PatchSite::kMlpOut};
  PatchDirection direction = PatchDirection::kBoth;
};

/// The probes an incident runs. When the incident has no `probes` object, every probe but
/// `patch` runs with its defaults (`patch` needs a counterfactual named by the author).
struct ProbeConfig {
  SamplingOptions sampling;
  bool listed = false;  // true: the incident named its probes explicitly
  std::optional<ResampleOptions> resample = ResampleOptions{};
  std::optional<SentenceResampleOptions> sentence_resample = SentenceResampleOptions{};
  std::optional<InterveneOptions> intervene = InterveneOptions{};
  std::optional<AblateOptions> ablate = AblateOptions{};
  std::optional<SweepOptions> sweep = SweepOptions{};
  std::optional<PatchOptions> patch;

  /// The probes that will run, in pipeline order.
  std::vector<ProbeKind> enabled() const;
};

}  // namespace forensics::incident
