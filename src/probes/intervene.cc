// probes: `intervene`: each declared intervention's edits applied, the action's rate re-measured
// by sampling, and the teacher-forced log-probability of the action's turn (and of the
// alternative's) compared with the unedited prompt: cheap and low-variance where sampling is not
// (docs/probes.md).
#include <algorithm>
#include <set>

#include "forensics/incident/shared_text.h"
#include "forensics/probes/steps.h"

namespace forensics::probes {
namespace {

struct InterveneOptions {
  std::int64_t samples = 100;              // per intervention at the standard budget
  std::vector<std::string> interventions;  // ids to run, in the incident's order; empty: all
};

struct Condition {
  incident::Intervention intervention;  // a copy: a result outlives the incident it came from
  ConditionRate rate;
  std::vector<double> logprobs;  // the action's turn, then the alternative's
};

struct InterveneResult final : ProbeResult {
  std::vector<double> original;  // log P of the action's (and alternative's) turn, unedited prompt
  std::vector<Condition> conditions;

  bool has_alternative() const { return original.size() > 1; }
  Json optional_at(const std::vector<double>& values, std::size_t i) const {
    return i < values.size() ? Json(values[i]) : Json(nullptr);
  }

  Json to_json() const override {
    Json rows = Json::array();
    for (const auto& condition : conditions) {
      Json entry = condition_json(condition.intervention.id, condition.rate);
      entry["action_logprob"] = condition.logprobs[0];
      entry["alternative_logprob"] = optional_at(condition.logprobs, 1);
      entry["logprob_delta"] = condition.logprobs[0] - original[0];
      entry["alternative_logprob_delta"] =
          has_alternative() ? Json(condition.logprobs[1] - original[1]) : Json(nullptr);
      rows.push_back(entry);
    }
    return Json{{"original", {{"action_logprob", original[0]}, {"alternative_logprob", optional_at(original, 1)}}},
                {"conditions", rows}};
  }

  void add_evidence(verdict::Evidence& evidence) const override {
    for (const auto& condition : conditions) {
      verdict::InterventionEvidence line;
      line.id = condition.intervention.id;
      line.confounds = condition.intervention.confounds;
      line.rate = condition.rate.rate;
      line.logprob_delta = condition.logprobs[0] - original[0];
      if (has_alternative()) line.alternative_logprob_delta = condition.logprobs[1] - original[1];
      line.predicts = condition.intervention.predicts;
      evidence.interventions.push_back(std::move(line));
    }
  }
};

InterveneOptions read(util::ObjectReader& reader, const incident::Incident& incident) {
  InterveneOptions options;
  options.samples = reader.integer("samples", util::Need::kOptional, 1, kMaxSamples).value_or(options.samples);
  options.interventions = reader.string_list("interventions", util::Need::kOptional).value_or(options.interventions);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < options.interventions.size(); ++i) {
    const std::string& id = options.interventions[i];
    const bool declared =
        std::any_of(incident.interventions.begin(), incident.interventions.end(),
                    [&](const incident::Intervention& intervention) { return intervention.id == id; });
    if (!declared) {
      reader.diagnostics().error(reader.path() / "interventions" / i, "no intervention has id \"" + id + "\"");
    } else if (!seen.insert(id).second) {
      reader.diagnostics().error(reader.path() / "interventions" / i, "intervention \"" + id + "\" listed twice");
    }
  }
  return options;
}

/// The interventions to run, in the incident's order.
std::vector<const incident::Intervention*> chosen(const incident::Incident& incident, const InterveneOptions& options) {
  std::vector<const incident::Intervention*> out;
  for (const auto& intervention : incident.interventions) {
    const auto& ids = options.interventions;
    if (ids.empty() || std::find(ids.begin(), ids.end(), intervention.id) != ids.end()) out.push_back(&intervention);
  }
  return out;
}

std::int64_t standard_samples(const InterveneOptions& options) { return options.samples; }

std::optional<std::string> nothing_to_do(const incident::Incident& incident, const InterveneOptions& /*options*/) {
  if (incident.interventions.empty()) return "the incident declares no interventions";
  return std::nullopt;
}

ProbeCost cost(const incident::Incident& incident, const InterveneOptions& options, std::int64_t samples,
               const CostBasis& /*basis*/) {
  const auto conditions = static_cast<std::int64_t>(chosen(incident, options).size());
  const std::int64_t turns = incident.action.alternative ? 2 : 1;
  return {.conditions = conditions, .samples = conditions * samples, .scored_sequences = (conditions + 1) * turns};
}

std::unique_ptr<ProbeResult> run(const ProbeContext& context, const InterveneOptions& options, std::int64_t samples) {
  const auto& incident = context.incident;
  const auto turns = scored_turns(context);
  auto result = std::make_unique<InterveneResult>();
  result->original =
      score_turns(context, {action_prompt(context, incident.transcript, incident.action.message)}, turns)[0];
  const auto implied = incident::implied_confounds(incident);
  for (const auto* intervention : chosen(incident, options)) {
    const auto edited = incident::apply_edits(incident.transcript, incident.action.message, intervention->edits);
    const std::string prompt = action_prompt(context, edited.transcript, edited.action_message);
    Condition condition;
    condition.intervention = *intervention;
    // Edits that change the same text measure one cue even without a shared tag.
    auto& confounds = condition.intervention.confounds;
    for (const auto& tag : implied[static_cast<std::size_t>(intervention - incident.interventions.data())]) {
      if (std::find(confounds.begin(), confounds.end(), tag) == confounds.end()) confounds.push_back(tag);
    }
    condition.rate = sample_action_rate(context, prompt, samples, "intervene", intervention->id);
    condition.logprobs = score_turns(context, {prompt}, turns)[0];
    result->samples += condition.rate.rate.n;
    result->conditions.push_back(std::move(condition));
  }
  return result;
}

}  // namespace

const ProbeDescriptor& intervene_probe() {
  static const ProbeDescriptor probe = describe_probe<InterveneOptions>({
      .name = "intervene",
      .summary = "the action's rate and log-probability under each declared intervention",
      .role = ProbeRole::kEvidence,
      .read = read,
      .standard_samples = standard_samples,
      .cost = cost,
      .nothing_to_do = nothing_to_do,
      .run = run,
  });
  return probe;
}

}  // namespace forensics::probes
