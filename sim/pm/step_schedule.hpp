// The time-step schedule of FastPM kick-drift-kick (Feng et al. 2016, MNRAS 463, 2273, §2.3):
// every step's scale factors and its kick and drift factors, values and derivatives with
// respect to the cosmological parameters, computed once and read by the forward pass and the
// adjoint alike.
#pragma once

#include <array>
#include <vector>

#include "sim/cosmo/cosmology.hpp"

namespace cosmograd::sim {

/// Scale factors and factors of one KDK step a0 -> a1 (half step ah = sqrt(a0 a1)). Factor
/// values come from the double cosmology; derivative parts from the dual one (zero when the
/// schedule was built without it).
struct StepFactors {
  double a0 = 0, ah = 0, a1 = 0;  ///< start, half step (geometric mean), end
  CosmoDual kick1;                ///< first half kick a0 -> ah, force at a0
  CosmoDual drift;                ///< drift a0 -> a1, momentum at ah
  CosmoDual kick2;                ///< second half kick ah -> a1, force at a1
};

/// Kick factor from a to b with the force at c: [G_D(b) - G_D(a)] / G_K(c). S = double, or
/// CosmoDual for its derivatives with respect to the cosmological parameters.
template <class S>
S kick_factor(const CosmologyT<S>& c, double a, double b, double a_force);
/// Drift factor from a to b with the momentum at c: [D1(b) - D1(a)] / G_D(c).
template <class S>
S drift_factor(const CosmologyT<S>& c, double a, double b, double a_momentum);

/// Every step's factors over a time grid (scale factors, increasing; first = the ICs).
class StepSchedule {
 public:
  /// Values only (derivative parts zero): for forward runs.
  StepSchedule(const Cosmology& cosmology, std::vector<double> grid);
  /// Values from `cosmology`, derivatives from `dual` (the same parameters, seeded).
  StepSchedule(const Cosmology& cosmology, const CosmologyDual& dual, std::vector<double> grid);
  /// Number of steps (grid points - 1; 0 for a grid of one point).
  int steps() const { return static_cast<int>(factors_.size()); }
  /// The scale factors of the grid.
  const std::vector<double>& grid() const { return grid_; }
  /// Scale factor after `step` steps (0 = the initial state).
  double a(int step) const { return grid_.at(static_cast<std::size_t>(step)); }
  /// Factors of step i (0 <= i < steps()).
  const StepFactors& operator[](int i) const { return factors_[static_cast<std::size_t>(i)]; }
  /// The grid index of scale factor a (relative match 1e-9); throws std::invalid_argument
  /// naming `what` and the grid's range when a is not on the grid.
  int step_at(double a, const char* what) const;

 private:
  std::vector<double> grid_;
  std::vector<StepFactors> factors_;
};

}  // namespace cosmograd::sim
