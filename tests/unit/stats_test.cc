// Check values are published ones (papers, R) so that the formulas are tested against an
// independent source, not against themselves.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "forensics/stats/hypothesis_tests.h"
#include "forensics/stats/normal.h"
#include "forensics/stats/proportions.h"

using namespace forensics::stats;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

TEST_CASE("normal_quantile matches AS241 reference values in the centre and the tails", "[stats]") {
  CHECK_THAT(normal_quantile(0.975), WithinAbs(1.959963985, 1e-9));
  CHECK(normal_quantile(0.5) == 0.0);
  // Reference values: Python's statistics.NormalDist().inv_cdf, the same as R's qnorm.
  CHECK_THAT(normal_quantile(0.025), WithinRel(-1.9599639845400538, 1e-13));
  CHECK_THAT(normal_quantile(0.3), WithinRel(-0.5244005127080407, 1e-13));
  CHECK_THAT(normal_quantile(0.9), WithinRel(1.2815515655446008, 1e-13));
  CHECK_THAT(normal_quantile(0.01), WithinRel(-2.3263478740408408, 1e-13));
  CHECK_THAT(normal_quantile(1e-5), WithinRel(-4.2648907939228256, 1e-13));
  CHECK_THAT(normal_quantile(1e-10), WithinRel(-6.361340902404056, 1e-13));
  CHECK_THAT(normal_quantile(1e-20), WithinRel(-9.262340089798405, 1e-13));
  CHECK_THAT(normal_quantile(1e-300), WithinRel(-37.0470962993612, 1e-13));
  CHECK(normal_quantile(0.0) == -std::numeric_limits<double>::infinity());
  CHECK(normal_quantile(1.0) == std::numeric_limits<double>::infinity());
  CHECK_THROWS_AS(normal_quantile(-0.1), std::invalid_argument);
  CHECK_THROWS_AS(normal_quantile(std::nan("")), std::invalid_argument);
}

TEST_CASE("normal_cdf inverts normal_quantile", "[stats]") {
  CHECK_THAT(normal_cdf(0.0), WithinAbs(0.5, 1e-15));
  CHECK_THAT(normal_cdf(1.959963984540054), WithinAbs(0.975, 1e-15));
  CHECK_THAT(normal_two_sided_p(-1.959963984540054), WithinAbs(0.05, 1e-15));
  for (double p : {1e-12, 1e-6, 0.001, 0.05, 0.2, 0.45, 0.5, 0.55, 0.8, 0.95, 0.999}) {
    CHECK_THAT(normal_cdf(normal_quantile(p)), WithinRel(p, 1e-12));
  }
}

TEST_CASE("wilson reproduces the published interval for 23 of 175", "[stats]") {
  // 13.1% [8.9%, 18.9%]: the standard worked example of the Wilson score interval.
  const Rate rate = wilson(23, 175);
  CHECK(rate.k == 23);
  CHECK(rate.n == 175);
  CHECK_THAT(rate.estimate, WithinAbs(0.1314, 5e-4));
  CHECK_THAT(rate.ci.low, WithinAbs(0.0892, 5e-4));
  CHECK_THAT(rate.ci.high, WithinAbs(0.1895, 5e-4));
}

TEST_CASE("wilson is exact at the edges and uninformative for no trials", "[stats]") {
  const Rate none = wilson(0, 20);
  CHECK(none.estimate == 0.0);
  CHECK(none.ci.low == 0.0);
  CHECK_THAT(none.ci.high, WithinAbs(0.1611, 5e-4));  // Newcombe (1998) Table II, 0/20

  const Rate all = wilson(20, 20);
  CHECK(all.estimate == 1.0);
  CHECK(all.ci.high == 1.0);
  CHECK_THAT(all.ci.low, WithinAbs(1.0 - 0.1611, 5e-4));

  const Rate empty = wilson(0, 0);
  CHECK(empty.estimate == 0.0);
  CHECK(empty.ci.low == 0.0);
  CHECK(empty.ci.high == 1.0);
}

TEST_CASE("wilson rejects impossible counts and confidences", "[stats]") {
  CHECK_THROWS_AS(wilson(5, 4), std::invalid_argument);
  CHECK_THROWS_AS(wilson(-1, 4), std::invalid_argument);
  CHECK_THROWS_AS(wilson(0, -1), std::invalid_argument);
  CHECK_THROWS_AS(wilson(1, 4, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(wilson(1, 4, 0.0), std::invalid_argument);
}

TEST_CASE("wilson intervals contain the estimate, move up with k and widen with confidence", "[stats]") {
  for (std::int64_t n : {1, 2, 7, 30, 1000}) {
    Rate previous = wilson(0, n);
    for (std::int64_t k = 0; k <= n; ++k) {
      const Rate rate = wilson(k, n);
      CHECK(rate.ci.low >= 0.0);
      CHECK(rate.ci.high <= 1.0);
      CHECK(rate.ci.low <= rate.estimate);
      CHECK(rate.estimate <= rate.ci.high);
      if (k > 0) {
        CHECK(rate.ci.low > previous.ci.low);
        CHECK(rate.ci.high > previous.ci.high);
      }
      const Rate wider = wilson(k, n, 0.99);
      CHECK(wider.ci.low <= rate.ci.low);
      CHECK(wider.ci.high >= rate.ci.high);
      previous = rate;
    }
  }
}

TEST_CASE("newcombe reproduces Newcombe (1998) Table II", "[stats]") {
  const Difference extreme = newcombe(wilson(16, 20), wilson(0, 20));
  CHECK_THAT(extreme.estimate, WithinAbs(0.8, 1e-12));
  CHECK_THAT(extreme.ci.low, WithinAbs(0.5305, 5e-4));
  CHECK_THAT(extreme.ci.high, WithinAbs(0.9193, 5e-4));

  const Difference typical = newcombe(wilson(56, 70), wilson(48, 80));
  CHECK_THAT(typical.estimate, WithinAbs(0.2, 1e-12));
  CHECK_THAT(typical.ci.low, WithinAbs(0.0524, 5e-4));
  CHECK_THAT(typical.ci.high, WithinAbs(0.3339, 5e-4));
}

TEST_CASE("newcombe is antisymmetric and contains the estimate", "[stats]") {
  for (std::int64_t k1 : {0, 3, 10}) {
    for (std::int64_t k2 : {0, 5, 10}) {
      const Rate a = wilson(k1, 10);
      const Rate b = wilson(k2, 10);
      const Difference ab = newcombe(a, b);
      const Difference ba = newcombe(b, a);
      CHECK(ab.ci.low <= ab.estimate);
      CHECK(ab.estimate <= ab.ci.high);
      CHECK(ab.ci.low >= -1.0);
      CHECK(ab.ci.high <= 1.0);
      CHECK_THAT(ab.ci.low, WithinAbs(-ba.ci.high, 1e-12));
      CHECK_THAT(ab.ci.high, WithinAbs(-ba.ci.low, 1e-12));
    }
  }
}

TEST_CASE("fisher_exact_two_sided matches R's fisher.test", "[stats]") {
  CHECK_THAT(fisher_exact_two_sided(3, 1, 1, 3), WithinAbs(0.4857, 5e-5));
  CHECK_THAT(fisher_exact_two_sided(1, 9, 11, 3), WithinAbs(0.002759, 5e-7));
  // The p-value depends on the table, not on which row or column comes first.
  CHECK_THAT(fisher_exact_two_sided(11, 3, 1, 9), WithinAbs(0.002759, 5e-7));
  CHECK_THAT(fisher_exact_two_sided(9, 1, 3, 11), WithinAbs(0.002759, 5e-7));
}

TEST_CASE("fisher_exact_two_sided handles ties, empty margins and bad counts", "[stats]") {
  // Symmetric margins make the observed table tie with its mirror: both must count.
  CHECK_THAT(fisher_exact_two_sided(2, 2, 2, 2), WithinAbs(1.0, 1e-12));
  CHECK(fisher_exact_two_sided(0, 0, 0, 0) == 1.0);
  CHECK(fisher_exact_two_sided(5, 0, 3, 0) == 1.0);
  CHECK_THROWS_AS(fisher_exact_two_sided(-1, 0, 0, 0), std::invalid_argument);
  const double p = fisher_exact_two_sided(500, 500, 400, 600);
  CHECK(p > 0.0);
  CHECK(p < 1e-5);
}

TEST_CASE("cochran_armitage reproduces the reference trend statistic", "[stats]") {
  // docs/method.md (the pre-commit case): doses 10/51/77/224 with 0/183, 0/162, 2/169, 16/163 -> Z = 6.40.
  const TrendTest trend = cochran_armitage({10, 51, 77, 224}, {0, 0, 2, 16}, {183, 162, 169, 163});
  CHECK_THAT(trend.z, WithinAbs(6.40, 5e-3));
  CHECK(trend.p_two_sided < 1e-9);
  CHECK_THAT(trend.p_two_sided, WithinRel(normal_two_sided_p(trend.z), 1e-12));

  // Negating the doses turns a rising trend into a falling one of the same size.
  const TrendTest falling = cochran_armitage({-10, -51, -77, -224}, {0, 0, 2, 16}, {183, 162, 169, 163});
  CHECK_THAT(falling.z, WithinAbs(-6.40, 5e-3));
}

TEST_CASE("cochran_armitage on two groups is the pooled two-proportion z-test", "[stats]") {
  // The dose-1 group has the lower rate (15/50 against 25/50): both statistics are negative.
  const TrendTest trend = cochran_armitage({0, 1}, {25, 15}, {50, 50});
  const ZTest z = two_proportion_z(wilson(15, 50), wilson(25, 50));
  CHECK(trend.z < 0.0);
  CHECK_THAT(trend.z, WithinAbs(z.z, 1e-12));
}

TEST_CASE("cochran_armitage gives z 0 and p 1 when there is nothing to test", "[stats]") {
  const TrendTest flat = cochran_armitage({1, 2, 3}, {0, 0, 0}, {10, 10, 10});
  CHECK(flat.z == 0.0);
  CHECK(flat.p_two_sided == 1.0);
  const TrendTest one_dose = cochran_armitage({0.1, 0.1}, {1, 5}, {10, 10});
  CHECK(one_dose.z == 0.0);
  CHECK(one_dose.p_two_sided == 1.0);
  CHECK(cochran_armitage({1, 2}, {0, 0}, {0, 0}).p_two_sided == 1.0);
  CHECK_THROWS_AS(cochran_armitage({1, 2}, {0}, {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(cochran_armitage({}, {}, {}), std::invalid_argument);
  CHECK_THROWS_AS(cochran_armitage({1, 2}, {2, 0}, {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(cochran_armitage({1, std::nan("")}, {0, 0}, {1, 1}), std::invalid_argument);
}

TEST_CASE("two_proportion_z matches R's prop.test without continuity correction", "[stats]") {
  // prop.test(c(15, 25), c(50, 50), correct = FALSE): X-squared = 4.1667, p-value = 0.04123.
  const ZTest test = two_proportion_z(wilson(15, 50), wilson(25, 50));
  CHECK_THAT(test.z * test.z, WithinAbs(4.1667, 5e-4));
  CHECK(test.z < 0.0);
  CHECK_THAT(test.p_two_sided, WithinAbs(0.04123, 5e-6));
  const ZTest degenerate = two_proportion_z(wilson(0, 10), wilson(0, 0));
  CHECK(degenerate.z == 0.0);
  CHECK(degenerate.p_two_sided == 1.0);
}
