// End-to-end check of the simulation gradients against central finite differences
// (`cosmograd gradcheck` and the tests).
#pragma once

#include <array>
#include <cstdint>
#include <functional>

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

/// J of a double-precision forward run of `sim` from w (its cosmology already set).
using ObjectiveValue =
    std::function<double(DifferentiableSim<double>& sim, const Field<double>& w)>;
/// dJ/dw and dJ/dtheta in precision T: a forward run of `sim` from w, then backward().
template <class T>
using ObjectiveGradient =
    std::function<SimGradients<T>(DifferentiableSim<T>& sim, const Field<T>& w)>;

/// Compares `gradient` (precision T) with central differences of `value` (double) for runs of
/// `c` from its white noise: along `directions` random noise directions (step eps_noise) and
/// in each cosmological parameter (step eps_param max(1, |theta|)); `seed` draws the directions.
template <class T>
GradcheckReport gradient_check(const SimSpec& c, GradientMode mode, int directions,
                               double eps_noise, double eps_param, std::uint32_t seed,
                               const ObjectiveValue& value, const ObjectiveGradient<T>& gradient);

/// Runs `c` forward from its white noise with J = a . disp_final + b . mom_final for random
/// a, b, and compares backward() in precision T (float or double) with central differences
/// of a double-precision forward: of J along `directions` random noise directions (step
/// eps_noise) and of J in each cosmological parameter (step eps_param max(1, |theta|)).
template <class T>
GradcheckReport gradient_check(const SimSpec& c, GradientMode mode, int directions,
                               double eps_noise, double eps_param, std::uint32_t seed = 1);

}  // namespace cosmograd::sim
