// One shared check of a vector-Jacobian product against central finite differences
// (ARCHITECTURE §2: every vjp has a gradient test through this helper).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace cosmograd::testing {

/// Result of check_vjp: worst relative error over the random directions.
struct VjpCheck {
  double max_rel_error = 0;  ///< max over directions of |fd - vjp| / max(|fd|, |vjp|, floor)
  double typical_scale = 0;  ///< mean |<cot, J v>| over the directions
};

/// Checks vjp(x, cot) = J(x)^T cot for f: R^n -> R^m along `directions` random unit-variance
/// Gaussian directions v: compares <cot, (f(x + eps v) - f(x - eps v)) / 2 eps> with
/// <vjp(x, cot), v>, cot a fixed random cotangent. `floor` guards against tiny products.
inline VjpCheck check_vjp(const std::function<std::vector<double>(const std::vector<double>&)>& f,
                          const std::function<std::vector<double>(const std::vector<double>&,
                                                                  const std::vector<double>&)>& vjp,
                          const std::vector<double>& x, int directions = 4, double eps = 1e-6,
                          std::uint32_t seed = 1234, double floor = 1e-300) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss;
  const std::vector<double> y = f(x);
  std::vector<double> cot(y.size());
  for (double& c : cot) c = gauss(rng);
  const std::vector<double> g = vjp(x, cot);
  VjpCheck out;
  for (int i = 0; i < directions; ++i) {
    std::vector<double> v(x.size()), xp(x), xm(x);
    for (std::size_t k = 0; k < x.size(); ++k) {
      v[k] = gauss(rng);
      xp[k] += eps * v[k];
      xm[k] -= eps * v[k];
    }
    const std::vector<double> yp = f(xp), ym = f(xm);
    double fd = 0, an = 0;
    for (std::size_t k = 0; k < y.size(); ++k) fd += cot[k] * (yp[k] - ym[k]) / (2 * eps);
    for (std::size_t k = 0; k < x.size(); ++k) an += g[k] * v[k];
    const double scale = std::max({std::abs(fd), std::abs(an), floor});
    out.max_rel_error = std::max(out.max_rel_error, std::abs(fd - an) / scale);
    out.typical_scale += std::abs(fd) / directions;
  }
  return out;
}

}  // namespace cosmograd::testing
