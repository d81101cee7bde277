#include "forensics/stats/proportions.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "forensics/stats/normal.h"

namespace forensics::stats {

Rate wilson(std::int64_t k, std::int64_t n, double confidence) {
  if (k < 0 || n < 0 || k > n) {
    throw std::invalid_argument("wilson: need 0 <= k <= n, got k = " + std::to_string(k) +
                                ", n = " + std::to_string(n));
  }
  if (!(confidence > 0.0 && confidence < 1.0)) {
    throw std::invalid_argument("wilson: confidence must be in (0, 1), got " + std::to_string(confidence));
  }
  if (n == 0) return Rate{k, n, 0.0, Interval{0.0, 1.0}};

  // Wilson (1927), as written in Newcombe (1998) method 3, without continuity correction.
  const double z = normal_quantile(1.0 - (1.0 - confidence) / 2.0);
  const double trials = static_cast<double>(n);
  const double p = static_cast<double>(k) / trials;
  const double z2 = z * z;
  const double denominator = 1.0 + z2 / trials;
  const double center = (p + z2 / (2.0 * trials)) / denominator;
  const double half = z / denominator * std::sqrt(p * (1.0 - p) / trials + z2 / (4.0 * trials * trials));
  // At k == 0 (k == n) the bound is 0 (1) in exact arithmetic; rounding would leave ~1e-17.
  const double low = k == 0 ? 0.0 : std::max(0.0, center - half);
  const double high = k == n ? 1.0 : std::min(1.0, center + half);
  return Rate{k, n, p, Interval{low, high}};
}

Difference newcombe(const Rate& a, const Rate& b) {
  // Newcombe (1998), "Interval estimation for the difference between independent proportions",
  // Statistics in Medicine 17, 873-890, method 10: combine each rate's distance to its own
  // Wilson limits on the side that bounds the difference.
  const double d = a.estimate - b.estimate;
  const double below = std::hypot(a.estimate - a.ci.low, b.ci.high - b.estimate);
  const double above = std::hypot(a.ci.high - a.estimate, b.estimate - b.ci.low);
  return Difference{d, Interval{std::max(-1.0, d - below), std::min(1.0, d + above)}};
}

}  // namespace forensics::stats
