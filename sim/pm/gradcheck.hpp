// End-to-end check of the simulation gradients against central finite differences
// (`cosmograd gradcheck` and the tests).
#pragma once

#include <array>
#include <cstdint>

#include "sim/pm/adjoint.hpp"

namespace cosmograd::sim {

/// Relative errors |fd - adjoint| / max(|fd|, |adjoint|) of one gradient check.
struct GradcheckReport {
  double noise_error = 0;                             ///< worst over the noise directions
  std::array<double, kNumCosmoParams> fd{};           ///< dJ/dtheta by central differences
  std::array<double, kNumCosmoParams> adjoint{};      ///< dJ/dtheta from backward()
  std::array<double, kNumCosmoParams> param_error{};  ///< relative error per parameter
  /// The worst of all relative errors.
  double worst() const;
};

/// Runs `c` forward from its white noise with J = a . disp_final + b . mom_final for random
/// a, b, and compares backward() in precision T (float or double) with central differences
/// of a double-precision forward: of J along `directions` random noise directions (step
/// eps_noise) and of J in each cosmological parameter (step eps_param max(1, |theta|)).
template <class T>
GradcheckReport gradient_check(const SimSpec& c, GradientMode mode, int directions,
                               double eps_noise, double eps_param, std::uint32_t seed = 1);

}  // namespace cosmograd::sim
