// probes: `sweep`: a parametrised edit applied at every declared value and the action's rate
// measured at each; the verdict tests the dose-response trend (Cochran-Armitage; docs/probes.md).
#include "forensics/probes/steps.h"

namespace forensics::probes {
namespace {

struct SweepOptions {
  std::int64_t samples = 100;  // per value at the standard budget
};

struct Point {
  incident::SweepValue value;
  ConditionRate rate;
};

struct Measured {
  incident::Sweep sweep;  // a copy: a result outlives the incident it came from
  std::vector<Point> points;
};

struct SweepResult final : ProbeResult {
  std::vector<Measured> sweeps;

  Json to_json() const override {
    Json rows = Json::array();
    for (const auto& measured : sweeps) {
      Json points = Json::array();
      for (const auto& point : measured.points) {
        Json entry = condition_json(point.value.label, point.rate);
        entry["dose"] = point.value.dose;
        points.push_back(entry);
      }
      rows.push_back(Json{{"id", measured.sweep.id}, {"points", points}});
    }
    return Json{{"sweeps", rows}};
  }

  void add_evidence(verdict::Evidence& evidence) const override {
    for (const auto& measured : sweeps) {
      verdict::SweepEvidence line;
      line.id = measured.sweep.id;
      line.confounds = measured.sweep.confounds;
      line.predicts = measured.sweep.predicts;
      for (const auto& point : measured.points)
        line.points.push_back({point.value.label, point.value.dose, point.rate.rate});
      evidence.sweeps.push_back(std::move(line));
    }
  }
};

SweepOptions read(util::ObjectReader& reader, const incident::Incident& /*incident*/) {
  SweepOptions options;
  options.samples = reader.integer("samples", util::Need::kOptional, 1, kMaxSamples).value_or(options.samples);
  return options;
}

std::optional<std::string> nothing_to_do(const incident::Incident& incident, const SweepOptions& /*options*/) {
  if (incident.sweeps.empty()) return "the incident declares no sweeps";
  return std::nullopt;
}

std::int64_t standard_samples(const SweepOptions& options) { return options.samples; }

ProbeCost cost(const incident::Incident& incident, const SweepOptions& /*options*/, std::int64_t samples,
               const CostBasis& /*basis*/) {
  std::int64_t conditions = 0;
  for (const auto& sweep : incident.sweeps) conditions += static_cast<std::int64_t>(sweep.values.size());
  return {.conditions = conditions, .samples = conditions * samples};
}

std::unique_ptr<ProbeResult> run(const ProbeContext& context, const SweepOptions& /*options*/, std::int64_t samples) {
  const auto& incident = context.incident;
  auto result = std::make_unique<SweepResult>();
  for (const auto& sweep : incident.sweeps) {
    Measured measured{sweep, {}};
    for (const auto& value : sweep.values) {
      const auto edited =
          incident::apply_edits(incident.transcript, incident.action.message, incident::sweep_edits_for(sweep, value));
      const std::string prompt = action_prompt(context, edited.transcript, edited.action_message);
      // The condition is (sweep id, value label) joined by a byte no id contains, so distinct
      // points hash distinct strings.
      const std::string condition = sweep.id + std::string(1, '\0') + value.label;
      Point point{value, sample_action_rate(context, prompt, samples, "sweep", condition)};
      result->samples += point.rate.rate.n;
      measured.points.push_back(std::move(point));
    }
    result->sweeps.push_back(std::move(measured));
  }
  return result;
}

}  // namespace

const ProbeDescriptor& sweep_probe() {
  static const ProbeDescriptor probe = describe_probe<SweepOptions>({
      .name = "sweep",
      .summary = "the action's rate at each value of a parametrised edit (dose-response)",
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
