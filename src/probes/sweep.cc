// probes: `sweep` (DESIGN §4): a parametrised edit applied at every declared value and the
// action's rate measured at each; the verdict tests the dose-response trend (Cochran-Armitage).
#include "forensics/probes/probe.h"

namespace forensics::probes {

void run_sweep(const ProbeContext& context, const ProbeBudget& budget, ProbeOutput& output) {
  const auto& incident = context.incident;
  Json sweeps = Json::array();
  for (const auto& sweep : incident.sweeps) {
    verdict::SweepEvidence evidence;
    evidence.id = sweep.id;
    evidence.confounds = sweep.confounds;
    evidence.predicts = sweep.predicts;
    Json points = Json::array();
    for (const auto& value : sweep.values) {
      const auto edited = incident::apply_edits(incident.transcript, incident.action.message,
                                                incident::sweep_edits_for(sweep, value));
      const std::string prompt = action_prompt(context, edited.transcript, edited.action_message);
      // The condition is (sweep id, value label) joined by a byte no id contains, so distinct
      // points hash distinct strings.
      const ConditionRate rate = sample_action_rate(
          context, prompt, budget.samples,
          condition_seed(context.seed, "sweep", sweep.id + std::string(1, '\0') + value.label));
      evidence.points.push_back({value.label, value.dose, rate.rate});
      output.samples += rate.rate.n;
      Json point = condition_json(value.label, rate);
      point["dose"] = value.dose;
      points.push_back(point);
    }
    output.sweeps.push_back(evidence);
    sweeps.push_back(Json{{"id", sweep.id}, {"points", points}});
  }
  output.results["sweeps"] = sweeps;
}

}  // namespace forensics::probes
