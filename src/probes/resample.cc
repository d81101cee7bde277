// probes: `resample` (DESIGN §4): the flagged turn regenerated N times from the transcript before
// it; the share that repeats the action is the baseline every other rate is compared with.
#include "forensics/probes/probe.h"

namespace forensics::probes {

void run_resample(const ProbeContext& context, const ProbeBudget& budget, ProbeOutput& output) {
  const auto& incident = context.incident;
  const std::string prompt = action_prompt(context, incident.transcript, incident.action.message);
  const ConditionRate baseline = sample_action_rate(
      context, prompt, budget.samples, condition_seed(context.seed, "resample", "baseline"));
  output.samples = baseline.rate.n;
  output.baseline = baseline.rate;
  output.results["conditions"] = Json::array({condition_json("baseline", baseline)});
}

}  // namespace forensics::probes
