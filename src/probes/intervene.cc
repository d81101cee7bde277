// probes: `intervene` (DESIGN §4): each declared intervention's edits applied, the action's rate
// re-measured by sampling, and the teacher-forced log-probability of the action's turn (and of
// the alternative's) compared with the unedited prompt: cheap and low-variance where sampling is
// not.
#include <algorithm>

#include "forensics/probes/probe.h"

namespace forensics::probes {

void run_intervene(const ProbeContext& context, const ProbeBudget& budget, ProbeOutput& output) {
  const auto& incident = context.incident;
  const auto& chosen = context.config.intervene->interventions;  // empty: every intervention
  std::vector<std::string> turns = {context.action_turn.text};
  const auto alternative = alternative_turn(context);
  if (alternative) turns.push_back(*alternative);
  const auto original = turn_logprobs(
      context, action_prompt(context, incident.transcript, incident.action.message), turns);

  Json conditions = Json::array();
  for (const auto& intervention : incident.interventions) {
    if (!chosen.empty() && std::find(chosen.begin(), chosen.end(), intervention.id) == chosen.end()) {
      continue;
    }
    const auto edited = incident::apply_edits(incident.transcript, incident.action.message, intervention.edits);
    const std::string prompt = action_prompt(context, edited.transcript, edited.action_message);
    const ConditionRate rate = sample_action_rate(
        context, prompt, budget.samples, condition_seed(context.seed, "intervene", intervention.id));
    const auto scores = turn_logprobs(context, prompt, turns);

    verdict::InterventionEvidence evidence;
    evidence.id = intervention.id;
    evidence.confounds = intervention.confounds;
    evidence.rate = rate.rate;
    evidence.logprob_delta = scores[0] - original[0];
    if (alternative) evidence.alternative_logprob_delta = scores[1] - original[1];
    evidence.predicts = intervention.predicts;
    output.interventions.push_back(evidence);
    output.samples += rate.rate.n;

    Json entry = condition_json(intervention.id, rate);
    entry["action_logprob"] = scores[0];
    entry["alternative_logprob"] = alternative ? Json(scores[1]) : Json(nullptr);
    entry["logprob_delta"] = *evidence.logprob_delta;
    entry["alternative_logprob_delta"] =
        alternative ? Json(*evidence.alternative_logprob_delta) : Json(nullptr);
    conditions.push_back(entry);
  }
  output.results["original"] = Json{{"action_logprob", original[0]},
                                    {"alternative_logprob", alternative ? Json(original[1]) : Json(nullptr)}};
  output.results["conditions"] = conditions;
}

}  // namespace forensics::probes
