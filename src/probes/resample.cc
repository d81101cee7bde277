// probes: `resample`: the flagged turn regenerated N times from the transcript before it; the
// share that repeats the action is the baseline every other rate is compared with
// (docs/probes.md). A whole probe in one file: options, result, run, and its descriptor.
#include "forensics/probes/steps.h"
#include "forensics/verdict/verdict.h"

namespace forensics::probes {
namespace {

struct ResampleOptions {
  std::int64_t samples = 100;  // per condition at the standard budget (50-200 in published studies)
};

struct ResampleResult final : ProbeResult {
  ConditionRate baseline;

  Json to_json() const override { return Json{{"conditions", Json::array({condition_json("baseline", baseline)})}}; }
  void add_evidence(verdict::Evidence& evidence) const override { evidence.baseline = baseline.rate; }
};

ResampleOptions read(util::ObjectReader& reader, const incident::Incident& /*incident*/) {
  ResampleOptions options;
  options.samples = reader.integer("samples", util::Need::kOptional, 1, kMaxSamples).value_or(options.samples);
  return options;
}

std::int64_t standard_samples(const ResampleOptions& options) { return options.samples; }

ProbeCost cost(const incident::Incident& /*incident*/, const ResampleOptions& /*options*/, std::int64_t samples,
               const CostBasis& /*basis*/) {
  return {.conditions = 1, .samples = samples};
}

std::unique_ptr<ProbeResult> run(const ProbeContext& context, const ResampleOptions& /*options*/,
                                 std::int64_t samples) {
  const auto& incident = context.incident;
  auto result = std::make_unique<ResampleResult>();
  result->baseline = sample_action_rate(context, action_prompt(context, incident.transcript, incident.action.message),
                                        samples, "resample", "baseline");
  result->samples = result->baseline.rate.n;
  return result;
}

}  // namespace

const ProbeDescriptor& resample_probe() {
  static const ProbeDescriptor probe = describe_probe<ResampleOptions>({
      .name = "resample",
      .summary = "the baseline: N regenerations of the flagged turn",
      .role = ProbeRole::kBaseline,
      .read = read,
      .standard_samples = standard_samples,
      .cost = cost,
      .run = run,
  });
  return probe;
}

}  // namespace forensics::probes
