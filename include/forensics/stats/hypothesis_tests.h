// stats: significance tests on counts (2x2 tables, trends across doses), used to say whether a
// behaviour's rate really changes between conditions of an experiment. Torch-free.
#pragma once

#include <cstdint>
#include <vector>

#include "forensics/stats/proportions.h"

namespace forensics::stats {

/// A statistic that is standard normal under the null hypothesis, with its two-sided p-value.
struct ZTest {
  double z;
  double p_two_sided;
};

/// The Cochran-Armitage test's result: z > 0 when the rate rises with the dose.
using TrendTest = ZTest;

/// Two-sided p-value of Fisher's exact test for the table [[a, b], [c, d]], conditional on its
/// margins. As R's fisher.test, it sums every table no more probable than the observed one, with
/// a relative tolerance of 1e-7 so that ties are not lost to rounding.
/// Throws std::invalid_argument for a negative count.
double fisher_exact_two_sided(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d);

/// The Cochran-Armitage test for a linear trend in proportions: group i got dose `doses[i]` and
/// showed k[i] successes in n[i] trials. Z = T / sqrt(Var) with T = sum t_i (k_i - n_i p) and
/// Var = p (1 - p) [sum n_i t_i^2 - (sum n_i t_i)^2 / N], p the pooled rate (no N / (N - 1)
/// factor, as Armitage 1955). A degenerate table (Var == 0: every rate 0 or 1, or one dose)
/// gives z 0 and p 1. Throws std::invalid_argument for vectors of different or zero length,
/// a count outside 0 <= k <= n, or a dose that is not finite.
TrendTest cochran_armitage(const std::vector<double>& doses, const std::vector<std::int64_t>& k,
                           const std::vector<std::int64_t>& n);

/// The pooled two-proportion z-test of a.k / a.n against b.k / b.n (z > 0 when a's rate is the
/// higher); z^2 is the uncorrected chi-square of the 2x2 table. Degenerate input (either n == 0,
/// or a pooled rate of 0 or 1) gives z 0 and p 1.
ZTest two_proportion_z(const Rate& a, const Rate& b);

}  // namespace forensics::stats
