// stats: the standard normal distribution, which the interval and test code in this folder
// builds on. Torch-free, part of forensics_core.
#pragma once

namespace forensics::stats {

/// P(Z <= z) for a standard normal Z; accurate in both tails (via std::erfc).
double normal_cdf(double z);

/// Two-sided p-value of a standard normal statistic: P(|Z| >= |z|).
double normal_two_sided_p(double z);

/// The z with P(Z <= z) = p (Wichura's AS241, relative error ~1e-16). p = 0 gives -inf and
/// p = 1 gives +inf. Throws std::invalid_argument for p outside [0, 1] or NaN.
double normal_quantile(double p);

}  // namespace forensics::stats
