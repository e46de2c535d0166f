#include "sim/pm/step_schedule.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace cosmograd::sim {

template <class S>
S kick_factor(const CosmologyT<S>& c, double a, double b, double a_force) {
  return (c.G_D(b) - c.G_D(a)) / c.G_K(a_force);
}

template <class S>
S drift_factor(const CosmologyT<S>& c, double a, double b, double a_momentum) {
  return (c.D1(b) - c.D1(a)) / c.G_D(a_momentum);
}

template double kick_factor<double>(const Cosmology&, double, double, double);
template CosmoDual kick_factor<CosmoDual>(const CosmologyDual&, double, double, double);
template double drift_factor<double>(const Cosmology&, double, double, double);
template CosmoDual drift_factor<CosmoDual>(const CosmologyDual&, double, double, double);

namespace {

/// Factors of the step a0 -> a1: values from c, derivative parts from dual when given.
StepFactors step_factors(const Cosmology& c, const CosmologyDual* dual, double a0, double a1) {
  StepFactors f;
  f.a0 = a0;
  f.a1 = a1;
  f.ah = std::sqrt(a0 * a1);
  if (dual != nullptr) {
    f.kick1 = kick_factor(*dual, a0, f.ah, a0);
    f.drift = drift_factor(*dual, a0, a1, f.ah);
    f.kick2 = kick_factor(*dual, f.ah, a1, a1);
  }
  f.kick1.v = kick_factor(c, a0, f.ah, a0);
  f.drift.v = drift_factor(c, a0, a1, f.ah);
  f.kick2.v = kick_factor(c, f.ah, a1, a1);
  return f;
}

}  // namespace

StepSchedule::StepSchedule(const Cosmology& cosmology, std::vector<double> grid)
    : grid_(std::move(grid)) {
  for (std::size_t i = 0; i + 1 < grid_.size(); ++i) {
    factors_.push_back(step_factors(cosmology, nullptr, grid_[i], grid_[i + 1]));
  }
}

StepSchedule::StepSchedule(const Cosmology& cosmology, const CosmologyDual& dual,
                           std::vector<double> grid)
    : grid_(std::move(grid)) {
  for (std::size_t i = 0; i + 1 < grid_.size(); ++i) {
    factors_.push_back(step_factors(cosmology, &dual, grid_[i], grid_[i + 1]));
  }
}

int StepSchedule::step_at(double a, const char* what) const {
  for (std::size_t i = 0; i < grid_.size(); ++i) {
    if (std::abs(grid_[i] - a) <= 1e-9 * grid_[i]) return static_cast<int>(i);
  }
  std::ostringstream msg;
  msg << what << " at a = " << a << " is not on the time grid (" << grid_.size()
      << " points from a = " << grid_.front() << " to " << grid_.back()
      << "; allowed: a grid point, e.g. an output redshift)";
  throw std::invalid_argument(msg.str());
}

}  // namespace cosmograd::sim
