// verdict: from rates to outcome classes and likelihoods (docs/verdict.md §2-§3).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "forensics/stats/hypothesis_tests.h"
#include "forensics/util/error.h"
#include "forensics/verdict/verdict.h"
#include "verdict_internal.h"

namespace forensics::verdict {

using incident::Direction;

Outcome classify_effect(const stats::Difference& effect, double margin) {
  if (effect.ci.high < 0) return Outcome::kDecrease;
  if (effect.ci.low > 0) return Outcome::kIncrease;
  // An equivalence test (TOST at the same 95%): only an interval that excludes every
  // difference larger than the margin is evidence of no change; a wide one is not.
  if (effect.ci.low >= -margin && effect.ci.high <= margin) return Outcome::kNoChange;
  return Outcome::kUnclear;
}

Outcome classify_trend(const stats::TrendTest& trend, const stats::Difference& span, double alpha, double margin) {
  if (trend.p_two_sided < alpha && trend.z != 0) {
    return trend.z > 0 ? Outcome::kIncrease : Outcome::kDecrease;
  }
  // A non-significant trend is only `no-change` when the ends of the sweep are equivalent; a
  // trend test has no interval of its own to bound the change with.
  if (span.ci.low >= -margin && span.ci.high <= margin) return Outcome::kNoChange;
  return Outcome::kUnclear;
}

namespace detail {

bool matches(Outcome outcome, Direction predicted) {
  return (outcome == Outcome::kDecrease && predicted == Direction::kDecrease) ||
         (outcome == Outcome::kIncrease && predicted == Direction::kIncrease) ||
         (outcome == Outcome::kNoChange && predicted == Direction::kNoChange);
}

}  // namespace detail

double likelihood(Outcome outcome, Direction predicted, double epsilon) {
  if (outcome == Outcome::kUnclear) return 1.0;
  // The two wrong classes share epsilon, so the likelihoods of the three classes sum to 1.
  return detail::matches(outcome, predicted) ? 1.0 - epsilon : epsilon / 2.0;
}

namespace detail {
namespace {

void check_rate(const stats::Rate& rate, const std::string& what) {
  if (rate.k < 0 || rate.n < 0 || rate.k > rate.n) {
    throw InputError(what + ": need 0 <= k <= n, got k = " + std::to_string(rate.k) +
                     ", n = " + std::to_string(rate.n));
  }
  if (!std::isfinite(rate.estimate) || !std::isfinite(rate.ci.low) || !std::isfinite(rate.ci.high)) {
    throw InputError(what + ": the rate and its interval must be finite numbers");
  }
}

void check_finite(const std::optional<double>& value, const std::string& what) {
  if (value && !std::isfinite(*value)) {
    throw InputError(what + " must be a finite number of nats, got " + std::to_string(*value));
  }
}

/// One direction per column: the declared hypotheses' in column order, then the null's.
std::vector<Direction> predictions_for(const std::vector<HypothesisColumn>& columns,
                                       const std::vector<incident::Prediction>& predicts, const std::string& id) {
  const std::size_t declared = columns.size() - 1;
  std::vector<Direction> out(columns.size(), Direction::kNoChange);
  std::vector<bool> seen(declared, false);
  for (const auto& prediction : predicts) {
    std::size_t column = declared;
    for (std::size_t h = 0; h < declared; ++h) {
      if (columns[h].id == prediction.hypothesis) column = h;
    }
    if (column == declared) {
      throw InputError("evidence `" + id + "` has a prediction for `" + prediction.hypothesis +
                       "`, which is not a declared hypothesis");
    }
    if (seen[column]) {
      throw InputError("evidence `" + id + "` predicts twice for `" + prediction.hypothesis +
                       "`; give one direction per hypothesis");
    }
    seen[column] = true;
    out[column] = prediction.direction;
  }
  for (std::size_t h = 0; h < declared; ++h) {
    if (!seen[h]) {
      throw InputError("evidence `" + id + "` has no prediction for hypothesis `" + columns[h].id +
                       "`; every hypothesis must predict every edit");
    }
  }
  return out;
}

void weigh(EvidenceRow& row, const std::vector<HypothesisColumn>& columns,
           const std::vector<incident::Prediction>& predicts, const VerdictOptions& options) {
  row.predictions = predictions_for(columns, predicts, row.id);
  double low = 0;
  double high = 0;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const double l = likelihood(row.outcome, row.predictions[c], options.epsilon);
    row.likelihoods.push_back(l);
    row.fits.push_back(row.outcome == Outcome::kUnclear           ? Fit::kNeutral
                       : matches(row.outcome, row.predictions[c]) ? Fit::kConsistent
                                                                  : Fit::kInconsistent);
    const double log_l = std::log(l);
    low = c == 0 ? log_l : std::min(low, log_l);
    high = c == 0 ? log_l : std::max(high, log_l);
  }
  row.spread = high - low;
}

/// a - b with Newcombe's interval built from Wilson intervals at `level` (the 95% ones the rates
/// carry are for reading; the class needs the simultaneous level).
stats::Difference difference_at(const stats::Rate& a, const stats::Rate& b, double level) {
  return stats::newcombe(stats::wilson(a.k, a.n, level), stats::wilson(b.k, b.n, level));
}

}  // namespace

Outcome outcome_at(const EvidenceRow& row, const stats::Rate& baseline, double level, double margin) {
  if (row.kind == EvidenceKind::kIntervention) {
    return classify_effect(difference_at(*row.rate, baseline, level), margin);
  }
  const stats::TrendTest trend{*row.trend_z, row.p_value};
  const auto span = difference_at(row.points[row.span_to].rate, row.points[row.span_from].rate, level);
  return classify_trend(trend, span, 1.0 - level, margin);
}

namespace {

EvidenceRow measure_intervention(const InterventionEvidence& in, const stats::Rate& baseline,
                                 const std::vector<HypothesisColumn>& columns, const VerdictOptions& options,
                                 double level) {
  check_rate(in.rate, "intervention `" + in.id + "`");
  check_finite(in.logprob_delta, "intervention `" + in.id + "`: logprob_delta");
  check_finite(in.alternative_logprob_delta, "intervention `" + in.id + "`: alternative_logprob_delta");
  EvidenceRow row;
  row.kind = EvidenceKind::kIntervention;
  row.id = in.id;
  row.confounds = in.confounds;
  row.rate = in.rate;
  row.effect = stats::newcombe(in.rate, baseline);
  row.p_value = stats::fisher_exact_two_sided(in.rate.k, in.rate.n - in.rate.k, baseline.k, baseline.n - baseline.k);
  row.logprob_delta = in.logprob_delta;
  row.alternative_logprob_delta = in.alternative_logprob_delta;
  const stats::Difference simultaneous = difference_at(in.rate, baseline, level);
  row.simultaneous_ci = simultaneous.ci;
  row.simultaneous_level = level;
  row.outcome = classify_effect(simultaneous, options.margin);
  row.unadjusted_outcome = classify_effect(row.effect, options.margin);
  weigh(row, columns, in.predicts, options);
  return row;
}

EvidenceRow measure_sweep(const SweepEvidence& in, const std::vector<HypothesisColumn>& columns,
                          const VerdictOptions& options, double level) {
  const std::string what = "sweep `" + in.id + "`";
  if (in.points.size() < 2) {
    throw InputError(what + ": needs at least two doses, got " + std::to_string(in.points.size()));
  }
  EvidenceRow row;
  row.kind = EvidenceKind::kSweep;
  row.id = in.id;
  row.confounds = in.confounds;
  row.points = in.points;
  std::vector<double> doses;
  std::vector<std::int64_t> k;
  std::vector<std::int64_t> n;
  for (std::size_t i = 0; i < in.points.size(); ++i) {
    const SweepPoint& point = in.points[i];
    check_rate(point.rate, what + " at `" + point.label + "`");
    if (!std::isfinite(point.dose)) {
      throw InputError(what + " at `" + point.label + "`: the dose must be a finite number");
    }
    // Strict comparisons keep the first of equal doses, so the span does not depend on ties.
    if (point.dose < in.points[row.span_from].dose) row.span_from = i;
    if (point.dose > in.points[row.span_to].dose) row.span_to = i;
    doses.push_back(point.dose);
    k.push_back(point.rate.k);
    n.push_back(point.rate.n);
  }
  if (row.span_from == row.span_to) {
    throw InputError(what + ": every dose is " + std::to_string(in.points[0].dose) +
                     "; a trend needs at least two distinct doses");
  }
  const stats::TrendTest trend = stats::cochran_armitage(doses, k, n);
  row.trend_z = trend.z;
  row.p_value = trend.p_two_sided;
  const stats::Rate& high = in.points[row.span_to].rate;
  const stats::Rate& low = in.points[row.span_from].rate;
  row.effect = stats::newcombe(high, low);
  const stats::Difference simultaneous = difference_at(high, low, level);
  row.simultaneous_ci = simultaneous.ci;
  row.simultaneous_level = level;
  row.outcome = classify_trend(trend, simultaneous, 1.0 - level, options.margin);
  row.unadjusted_outcome = classify_trend(trend, row.effect, options.alpha, options.margin);
  weigh(row, columns, in.predicts, options);
  return row;
}

}  // namespace

std::vector<EvidenceRow> measure_rows(const std::vector<HypothesisColumn>& columns, const Evidence& evidence,
                                      const VerdictOptions& options) {
  check_rate(evidence.baseline, "the baseline");
  std::vector<EvidenceRow> rows;
  std::unordered_set<std::string> ids;
  const auto claim = [&](const std::string& id) {
    if (id.empty()) throw InputError("an intervention or sweep has an empty id");
    if (!ids.insert(id).second) {
      throw InputError("evidence id `" + id + "` appears twice; interventions and sweeps share one id namespace");
    }
  };
  // Bonferroni over every line: seven lines at 95% each would show a spurious change in about
  // one run in three on a model that ignores every cue.
  const std::size_t lines = std::max<std::size_t>(1, evidence.interventions.size() + evidence.sweeps.size());
  const double level = 1.0 - options.alpha / static_cast<double>(lines);
  for (const auto& in : evidence.interventions) {
    claim(in.id);
    rows.push_back(measure_intervention(in, evidence.baseline, columns, options, level));
  }
  for (const auto& in : evidence.sweeps) {
    claim(in.id);
    rows.push_back(measure_sweep(in, columns, options, level));
  }
  return rows;
}

}  // namespace detail
}  // namespace forensics::verdict
