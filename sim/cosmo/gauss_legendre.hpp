// Gauss-Legendre quadrature nodes and weights on [-1, 1] (Abramowitz & Stegun 25.4.29),
// computed once by Newton iterations on the Legendre recurrence.
#pragma once

#include <array>
#include <cmath>

namespace cosmograd::sim {

/// The N-point Gauss-Legendre rule on [-1, 1]: nodes x (decreasing) and weights w.
template <int N>
struct GaussLegendre {
  std::array<double, N> x{};  ///< nodes
  std::array<double, N> w{};  ///< weights (sum 2)
  GaussLegendre() {
    constexpr double kPi = 3.14159265358979323846;
    for (int i = 0; i < N; ++i) {
      double z = std::cos(kPi * (i + 0.75) / (N + 0.5));
      double dp = 1.0;
      for (int it = 0; it < 100; ++it) {
        double p0 = 1.0;
        double p1 = z;
        for (int n = 2; n <= N; ++n) {
          const double p2 = ((2.0 * n - 1.0) * z * p1 - (n - 1.0) * p0) / n;
          p0 = p1;
          p1 = p2;
        }
        dp = N * (z * p1 - p0) / (z * z - 1.0);
        const double dz = p1 / dp;
        z -= dz;
        if (std::fabs(dz) < 1e-16) break;
      }
      x[i] = z;
      w[i] = 2.0 / ((1.0 - z * z) * dp * dp);
    }
  }
  /// The rule, built once.
  static const GaussLegendre& get() {
    static const GaussLegendre rule;
    return rule;
  }
};

}  // namespace cosmograd::sim
