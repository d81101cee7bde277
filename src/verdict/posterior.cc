// verdict: weighing the classified evidence (docs/verdict.md §4-§8): priors with the implicit
// null, confound groups, the posterior, the label and its reasons, and the flags.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "forensics/util/error.h"
#include "forensics/verdict/verdict.h"
#include "verdict_internal.h"

namespace forensics::verdict {
namespace detail {
namespace {

void check_options(const VerdictOptions& options) {
  const auto in = [](double value, double low, double high) {
    return std::isfinite(value) && value >= low && value <= high;
  };
  if (!in(options.margin, 0, 1)) throw InputError("verdict: the margin must be in [0, 1]");
  // Below 2/3 a matching outcome stays likelier than a mismatching one (1 - ε > ε / 2).
  if (!in(options.epsilon, 0, 2.0 / 3.0) || options.epsilon == 0 || options.epsilon == 2.0 / 3.0) {
    throw InputError("verdict: epsilon must be in (0, 2/3)");
  }
  if (!in(options.alpha, 0, 1) || options.alpha == 0 || options.alpha == 1) {
    throw InputError("verdict: alpha must be in (0, 1)");
  }
  if (!in(options.threshold, 0, 1) || options.threshold == 0) {
    throw InputError("verdict: the threshold must be in (0, 1]");
  }
  if (!in(options.fragile_below, 0, 1)) {
    throw InputError("verdict: fragile_below must be in [0, 1]");
  }
}

/// Union-find over rows: rows sharing any confound tag end in one set (docs/verdict.md §5).
class Groups {
 public:
  explicit Groups(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }

  std::size_t find(std::size_t i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }

  // The smaller index becomes the root, so the grouping does not depend on the union order.
  void join(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<std::size_t> parent_;
};

/// Whether row a should represent its group rather than b. Spreads are differences of the same
/// three logarithms (log(1 - ε), log(ε / 2), 0), so equal spreads compare exactly equal.
bool stronger(const EvidenceRow& a, const EvidenceRow& b) {
  if (a.spread != b.spread) return a.spread > b.spread;
  if (a.p_value != b.p_value) return a.p_value < b.p_value;
  return a.id < b.id;
}

/// Which columns a row is consistent with, for a row that tells the columns apart; empty for one
/// that does not (every likelihood equal: `unclear`, or a prediction all columns share).
std::vector<bool> consistent_columns(const EvidenceRow& row) {
  if (row.spread == 0) return {};
  std::vector<bool> out;
  for (const Fit fit : row.fits) out.push_back(fit == Fit::kConsistent);
  return out;
}

/// Marks every member of a group as conflicting and uncounted when no column is consistent with
/// all of its discriminating members (one supports latency, another goal-guarding, or another
/// the null): the group measures one cue, and its lines disagree about what that cue does.
/// Returns one note per such group.
std::vector<Note> mark_conflicting(std::vector<EvidenceRow>& rows, Groups& groups,
                                   const std::vector<HypothesisColumn>& columns) {
  std::map<std::size_t, std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < rows.size(); ++i) members[groups.find(i)].push_back(i);
  std::vector<Note> notes;
  for (const auto& [root, group] : members) {
    std::vector<bool> shared(columns.size(), true);  // consistent with every discriminating member
    std::size_t discriminating = 0;
    for (const std::size_t i : group) {
      const auto fits = consistent_columns(rows[i]);
      if (fits.empty()) continue;
      ++discriminating;
      for (std::size_t c = 0; c < columns.size(); ++c) shared[c] = shared[c] && fits[c];
    }
    if (discriminating < 2 || std::find(shared.begin(), shared.end(), true) != shared.end()) continue;
    std::string text = "The lines";
    for (const std::size_t i : group) {
      rows[i].counted = false;
      rows[i].represented_by.reset();
      rows[i].conflicting = true;
      std::string with;
      for (std::size_t c = 0; c < columns.size(); ++c) {
        if (rows[i].fits[c] == Fit::kConsistent) with += (with.empty() ? "" : ", ") + columns[c].id;
      }
      text += std::string(i == group.front() ? " " : "; ") + rows[i].id + " (" +
              std::string(kOutcomeNames.name(rows[i].outcome)) + ", consistent with " + with + ")";
    }
    text +=
        " share a confound tag, so they measure one cue, but no hypothesis fits them all: the group counts "
        "for none. Separate the cues (edits that change one each) to learn which one acts.";
    notes.push_back({"conflicting-confound-group", text});
  }
  return notes;
}

std::vector<Note> choose_counted(std::vector<EvidenceRow>& rows, const std::vector<HypothesisColumn>& columns) {
  Groups groups(rows.size());
  std::map<std::string, std::size_t> first_with_tag;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (const auto& tag : rows[i].confounds) {
      const auto [it, inserted] = first_with_tag.emplace(tag, i);
      if (!inserted) groups.join(it->second, i);
    }
  }
  std::vector<std::size_t> best(rows.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::size_t& slot = best[groups.find(i)];
    if (slot == rows.size() || stronger(rows[i], rows[slot])) slot = i;
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].group = groups.find(i);
    const std::size_t chosen = best[groups.find(i)];
    rows[i].counted = chosen == i;
    if (!rows[i].counted) rows[i].represented_by = rows[chosen].id;
  }
  return mark_conflicting(rows, groups, columns);
}

void weigh_posterior(std::vector<HypothesisColumn>& columns, const std::vector<EvidenceRow>& rows) {
  const std::size_t null = columns.size() - 1;
  std::vector<double> log_likelihood(columns.size(), 0.0);
  for (const auto& row : rows) {
    if (!row.counted) continue;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      log_likelihood[c] += std::log(row.likelihoods[c]);
      const bool discriminating = std::any_of(row.likelihoods.begin(), row.likelihoods.end(),
                                              [&](double l) { return l != row.likelihoods.front(); });
      if (discriminating && row.fits[c] == Fit::kConsistent) ++columns[c].supporting_lines;
    }
  }
  // Normalised in log space: a few dozen lines of evidence underflow a product of likelihoods.
  std::vector<double> log_joint(columns.size());
  double top = -HUGE_VAL;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    log_joint[c] = std::log(columns[c].prior) + log_likelihood[c];
    top = std::max(top, log_joint[c]);
  }
  double total = 0;
  for (double value : log_joint) total += std::exp(value - top);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    columns[c].posterior = std::exp(log_joint[c] - top) / total;
    columns[c].log10_bayes_factor = c == null ? 0.0 : (log_likelihood[c] - log_likelihood[null]) / std::log(10.0);
  }
}

/// Whether two declared hypotheses each have support the other lacks in at least
/// kMinSupportingLines confound groups: a line whose own 95% class (`unadjusted_outcome`) fits
/// one's prediction and not the other's. More than one tested cause acts, and a label naming one
/// would be half right. The guard reads the uncorrected classes on purpose: the corrected ones
/// decide what is claimed, and two causes of equal size would otherwise fall either side of the
/// corrected level by chance, leaving one cause's lines `unclear` (neutral) and the other's
/// confidently counted (docs/verdict.md §7).
bool several_causes(const std::vector<HypothesisColumn>& columns, const std::vector<EvidenceRow>& rows) {
  const std::size_t declared = columns.size() - 1;  // the null is last
  const auto own_groups = [&](std::size_t a, std::size_t b) {
    std::vector<std::size_t> groups;
    for (const auto& row : rows) {
      if (matches(row.unadjusted_outcome, row.predictions[a]) && !matches(row.unadjusted_outcome, row.predictions[b]) &&
          std::find(groups.begin(), groups.end(), row.group) == groups.end()) {
        groups.push_back(row.group);
      }
    }
    return groups.size();
  };
  for (std::size_t a = 0; a < declared; ++a) {
    for (std::size_t b = a + 1; b < declared; ++b) {
      if (own_groups(a, b) >= kMinSupportingLines && own_groups(b, a) >= kMinSupportingLines) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<HypothesisColumn> make_columns(const std::vector<incident::Hypothesis>& hypotheses,
                                           const VerdictOptions& options) {
  check_options(options);
  if (hypotheses.empty()) throw InputError("verdict: there is no hypothesis to weigh");
  std::size_t with_prior = 0;
  double prior_sum = 0;
  for (const auto& h : hypotheses) {
    if (h.id == kNullHypothesisId) {
      throw InputError(
          "hypothesis id `none` is reserved for the verdict's null hypothesis; "
          "rename the hypothesis");
    }
    if (h.prior) {
      if (!std::isfinite(*h.prior) || *h.prior < 0) {
        throw InputError("hypothesis `" + h.id + "`: the prior must be a finite number >= 0");
      }
      ++with_prior;
      prior_sum += *h.prior;
    }
  }
  if (with_prior != 0 && with_prior != hypotheses.size()) {
    throw InputError("verdict: give a prior for all hypotheses or for none");
  }
  if (with_prior != 0 && !(prior_sum > 0)) {
    throw InputError("verdict: the hypotheses' priors sum to 0");
  }
  // docs/verdict.md §4: the null takes 1 / (k + 1) whatever the stated priors, which then
  // share the rest; stated priors sum to 1 over the declared hypotheses only.
  const double null_prior = 1.0 / static_cast<double>(hypotheses.size() + 1);
  std::vector<HypothesisColumn> columns;
  for (const auto& h : hypotheses) {
    HypothesisColumn column;
    column.id = h.id;
    column.kind = h.kind;
    column.claim = h.claim;
    column.prior = with_prior != 0 ? (1.0 - null_prior) * *h.prior / prior_sum : null_prior;
    columns.push_back(column);
  }
  HypothesisColumn null;
  null.id = kNullHypothesisId;
  null.claim = kNullHypothesisClaim;
  null.prior = null_prior;
  columns.push_back(null);
  return columns;
}

}  // namespace detail

Verdict decide(const std::vector<incident::Hypothesis>& hypotheses, const Evidence& evidence,
               const VerdictOptions& options) {
  Verdict verdict;
  verdict.options = options;
  verdict.baseline = evidence.baseline;
  verdict.hypotheses = detail::make_columns(hypotheses, options);
  verdict.rows = detail::measure_rows(verdict.hypotheses, evidence, options);
  verdict.notes = detail::choose_counted(verdict.rows, verdict.hypotheses);
  detail::weigh_posterior(verdict.hypotheses, verdict.rows);

  const std::size_t null = verdict.hypotheses.size() - 1;
  for (std::size_t c = 1; c < verdict.hypotheses.size(); ++c) {
    // The null wins a tie: evidence that does not favour a declared hypothesis over "no cue
    // matters" must not name one as the top (a tie among declared ones goes to the first).
    const bool wins = c == null ? verdict.hypotheses[c].posterior >= verdict.hypotheses[verdict.top].posterior
                                : verdict.hypotheses[c].posterior > verdict.hypotheses[verdict.top].posterior;
    if (wins) verdict.top = c;
  }
  const HypothesisColumn& top = verdict.hypotheses[verdict.top];
  verdict.missing = evidence.missing;
  // A baseline that was not measured (its probe failed) is no evidence that the action never
  // happens: `probe-failed` says what is missing instead.
  const bool measured = evidence.baseline.n > 0;
  const bool reproduced = evidence.baseline.k > 0;
  const bool label_incomplete = std::any_of(evidence.missing.begin(), evidence.missing.end(),
                                            [](const MissingEvidence& m) { return m.weighs_label; });
  if (label_incomplete) verdict.reasons.push_back(Reason::kProbeFailed);
  if (measured && !reproduced) verdict.reasons.push_back(Reason::kNotReproduced);
  if (verdict.top == null) {
    // The remaining checks ask how sure we are of a declared hypothesis; there is none to ask.
    verdict.reasons.push_back(Reason::kNullMostProbable);
  } else {
    if (top.posterior < options.threshold) verdict.reasons.push_back(Reason::kBelowThreshold);
    if (top.supporting_lines < kMinSupportingLines) {
      verdict.reasons.push_back(Reason::kTooFewLines);
    }
    if (detail::several_causes(verdict.hypotheses, verdict.rows)) verdict.reasons.push_back(Reason::kSeveralCauses);
  }
  if (verdict.reasons.empty()) {
    verdict.label = *top.kind == incident::HypothesisKind::kConfused ? Label::kConfused : Label::kIntentional;
  }

  std::optional<std::string> unfaithful;
  if (evidence.cot) {
    verdict.cot = detail::judge_cot(*evidence.cot, verdict, options.alpha, options.margin, unfaithful, verdict.notes);
  }
  const auto& base = evidence.baseline;
  if (measured && !reproduced) {
    verdict.flags.push_back(Flag::kNotReproduced);
    verdict.explanations.push_back(
        {Flag::kNotReproduced,
         "The action never came back: 0 of " + std::to_string(base.n) +
             " regenerations of the flagged turn repeat it, so nothing here can say why it happened."});
  }
  if (reproduced && base.estimate < options.fragile_below) {
    verdict.flags.push_back(Flag::kFragile);
    verdict.explanations.push_back(
        {Flag::kFragile, "The action comes back in only " + std::to_string(base.k) + " of " + std::to_string(base.n) +
                             " regenerations: a rare event of this transcript, not a disposition."});
  }
  if (unfaithful) {
    verdict.flags.push_back(Flag::kCotUnfaithful);
    verdict.explanations.push_back({Flag::kCotUnfaithful, *unfaithful});
  }
  return verdict;
}

}  // namespace forensics::verdict
