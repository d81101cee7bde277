#include "forensics/stats/hypothesis_tests.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "forensics/stats/normal.h"

namespace forensics::stats {
namespace {

double log_choose(std::int64_t n, std::int64_t k) {
  return std::lgamma(static_cast<double>(n) + 1.0) - std::lgamma(static_cast<double>(k) + 1.0) -
         std::lgamma(static_cast<double>(n - k) + 1.0);
}

ZTest from_z(double z) { return ZTest{z, normal_two_sided_p(z)}; }

}  // namespace

double fisher_exact_two_sided(std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d) {
  if (a < 0 || b < 0 || c < 0 || d < 0) {
    throw std::invalid_argument("fisher_exact_two_sided: counts must be >= 0, got [[" + std::to_string(a) + ", " +
                                std::to_string(b) + "], [" + std::to_string(c) + ", " + std::to_string(d) + "]]");
  }
  // With the margins fixed, the table is determined by its top-left cell x, which is
  // hypergeometric: P(x) ~ C(row1, x) C(row2, col1 - x).
  const std::int64_t row1 = a + b;
  const std::int64_t row2 = c + d;
  const std::int64_t col1 = a + c;
  const std::int64_t lo = std::max<std::int64_t>(0, col1 - row2);
  const std::int64_t hi = std::min(row1, col1);
  std::vector<double> log_p;
  log_p.reserve(static_cast<std::size_t>(hi - lo + 1));
  for (std::int64_t x = lo; x <= hi; ++x) {
    log_p.push_back(log_choose(row1, x) + log_choose(row2, col1 - x));
  }
  // Scale by the most probable table so that no term underflows before the ratio is taken.
  const double log_max = *std::max_element(log_p.begin(), log_p.end());
  const double observed = std::exp(log_p[static_cast<std::size_t>(a - lo)] - log_max);
  // R's fisher.test tolerance: tables as probable as the observed one up to rounding count too.
  const double threshold = observed * (1.0 + 1e-7);
  double total = 0.0;
  double tail = 0.0;
  for (double lp : log_p) {
    const double weight = std::exp(lp - log_max);
    total += weight;
    if (weight <= threshold) tail += weight;
  }
  return std::min(1.0, tail / total);
}

TrendTest cochran_armitage(const std::vector<double>& doses, const std::vector<std::int64_t>& k,
                           const std::vector<std::int64_t>& n) {
  if (doses.empty() || doses.size() != k.size() || doses.size() != n.size()) {
    throw std::invalid_argument(
        "cochran_armitage: doses, k and n must have the same, non-zero "
        "length; got " +
        std::to_string(doses.size()) + ", " + std::to_string(k.size()) + " and " + std::to_string(n.size()));
  }
  double total_k = 0.0;
  double total_n = 0.0;
  for (std::size_t i = 0; i < doses.size(); ++i) {
    if (k[i] < 0 || n[i] < 0 || k[i] > n[i] || !std::isfinite(doses[i])) {
      throw std::invalid_argument("cochran_armitage: group " + std::to_string(i) +
                                  " needs 0 <= k <= n and a finite dose, got k = " + std::to_string(k[i]) +
                                  ", n = " + std::to_string(n[i]) + ", dose = " + std::to_string(doses[i]));
    }
    total_k += static_cast<double>(k[i]);
    total_n += static_cast<double>(n[i]);
  }
  if (total_n == 0.0) return TrendTest{0.0, 1.0};

  // Armitage (1955), "Tests for linear trends in proportions and frequencies", Biometrics 11.
  const double pooled = total_k / total_n;
  double statistic = 0.0;
  double sum_nt = 0.0;
  double sum_nt2 = 0.0;
  for (std::size_t i = 0; i < doses.size(); ++i) {
    const double trials = static_cast<double>(n[i]);
    statistic += doses[i] * (static_cast<double>(k[i]) - trials * pooled);
    sum_nt += trials * doses[i];
    sum_nt2 += trials * doses[i] * doses[i];
  }
  const double variance = pooled * (1.0 - pooled) * (sum_nt2 - sum_nt * sum_nt / total_n);
  // Equal doses leave a variance of rounding noise, not exactly 0; treat that as degenerate too.
  if (!(variance > 1e-12 * pooled * (1.0 - pooled) * sum_nt2)) return TrendTest{0.0, 1.0};
  return from_z(statistic / std::sqrt(variance));
}

ZTest two_proportion_z(const Rate& a, const Rate& b) {
  if (a.n <= 0 || b.n <= 0) return ZTest{0.0, 1.0};
  const double n1 = static_cast<double>(a.n);
  const double n2 = static_cast<double>(b.n);
  const double pooled = static_cast<double>(a.k + b.k) / (n1 + n2);
  const double variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
  if (!(variance > 0.0)) return ZTest{0.0, 1.0};
  const double p1 = static_cast<double>(a.k) / n1;
  const double p2 = static_cast<double>(b.k) / n2;
  return from_z((p1 - p2) / std::sqrt(variance));
}

}  // namespace forensics::stats
