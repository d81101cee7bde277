#include "forensics/stats/normal.h"

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace forensics::stats {
namespace {

// Coefficients of Wichura (1988), "Algorithm AS241: The percentage points of the normal
// distribution", Applied Statistics 37(3), 477-484 (PPND16), highest degree first. The same
// algorithm backs R's qnorm and Python's statistics.NormalDist.inv_cdf.
constexpr std::array<double, 8> kCentralNum{
    2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4, 4.5921953931549871457e+4,
    1.3731693765509461125e+4, 1.9715909503065514427e+3, 1.3314166789178437745e+2, 3.3871328727963666080e+0};
constexpr std::array<double, 8> kCentralDen{
    5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4, 2.1213794301586595867e+4,
    5.3941960214247511077e+3, 6.8718700749205790830e+2, 4.2313330701600911252e+1, 1.0};
constexpr std::array<double, 8> kNearNum{7.7454501427834140764e-4, 2.2723844989269184583e-2, 2.4178072517745061177e-1,
                                         1.2704582524523683826e+0, 3.6478483247632046050e+0, 5.7694972214606914055e+0,
                                         4.6303378461565452959e+0, 1.4234371107496835773e+0};
constexpr std::array<double, 8> kNearDen{
    1.0507500716444168432e-9, 5.4759380849953449460e-4, 1.5198666563616457197e-2, 1.4810397642748007459e-1,
    6.8976733498510000455e-1, 1.6763848301838038494e+0, 2.0531916266377588219e+0, 1.0};
constexpr std::array<double, 8> kFarNum{2.0103343992922881327e-7, 2.7115555687434875782e-5, 1.2426609473880784386e-3,
                                        2.6532189526576123093e-2, 2.9656057182850489123e-1, 1.7848265399172913358e+0,
                                        5.4637849111641143699e+0, 6.6579046435011037772e+0};
constexpr std::array<double, 8> kFarDen{
    2.0442631033899397856e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5, 7.8686913114561325910e-4,
    1.4875361290850614853e-2,  1.3692988092273580531e-1, 5.9983220655588793769e-1, 1.0};

double horner(const std::array<double, 8>& coefficients, double x) {
  double value = 0.0;
  for (double c : coefficients) value = value * x + c;
  return value;
}

}  // namespace

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double normal_quantile(double p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw std::invalid_argument("normal_quantile: p must be in [0, 1], got " + std::to_string(p));
  }
  if (p == 0.0) return -std::numeric_limits<double>::infinity();
  if (p == 1.0) return std::numeric_limits<double>::infinity();
  const double q = p - 0.5;
  if (std::fabs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q * horner(kCentralNum, r) / horner(kCentralDen, r);
  }
  // Work with the smaller tail so that 1 - p never loses the digits that matter.
  double r = std::sqrt(-std::log(q < 0.0 ? p : 1.0 - p));
  double value;
  if (r <= 5.0) {
    r -= 1.6;
    value = horner(kNearNum, r) / horner(kNearDen, r);
  } else {
    r -= 5.0;
    value = horner(kFarNum, r) / horner(kFarDen, r);
  }
  return q < 0.0 ? -value : value;
}

}  // namespace forensics::stats
