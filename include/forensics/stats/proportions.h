// stats: confidence intervals for binomial proportions and their differences, used to report
// how often a behaviour reproduced (k of n samples) with honest uncertainty. Torch-free.
#pragma once

#include <cstdint>

namespace forensics::stats {

/// A closed interval [low, high].
struct Interval {
  double low;
  double high;
};

/// k successes out of n trials with the point estimate k / n and its confidence interval.
struct Rate {
  std::int64_t k;
  std::int64_t n;
  double estimate;  // k / n; 0 when n == 0
  Interval ci;      // within [0, 1]
};

/// The Wilson score interval for k of n at `confidence` (two-sided, e.g. 0.95). It keeps good
/// coverage for small n and for k near 0 or n, where the Wald interval fails. n == 0 carries no
/// information: estimate 0 and ci [0, 1]. k == 0 gives low exactly 0, k == n high exactly 1.
/// Throws std::invalid_argument unless 0 <= k <= n and 0 < confidence < 1.
Rate wilson(std::int64_t k, std::int64_t n, double confidence = 0.95);

/// A difference of two proportions with its confidence interval.
struct Difference {
  double estimate;  // a.estimate - b.estimate
  Interval ci;      // within [-1, 1]
};

/// a - b with Newcombe's hybrid score interval (Newcombe 1998, method 10), built from each
/// rate's Wilson limits, so the interval has the confidence the two rates were computed at.
Difference newcombe(const Rate& a, const Rate& b);

}  // namespace forensics::stats
