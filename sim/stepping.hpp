// FastPM kick-drift-kick time stepping (Feng et al. 2016, MNRAS 463, 2273, §2.3), whose
// kick and drift factors make linear (Zel'dovich) growth exact for any step size.
#pragma once

#include <functional>
#include <vector>

#include "sim/cosmology.hpp"
#include "sim/gravity.hpp"
#include "sim/particles.hpp"

namespace cosmograd::sim {

/// Kick factor from a to b with the force at c: [G_D(b) - G_D(a)] / G_K(c). S = double, or
/// CosmoDual for its derivatives with respect to the cosmological parameters.
template <class S>
S kick_factor(const CosmologyT<S>& c, double a, double b, double a_force);
/// Drift factor from a to b with the momentum at c: [D1(b) - D1(a)] / G_D(c).
template <class S>
S drift_factor(const CosmologyT<S>& c, double a, double b, double a_momentum);

/// p += factor * acc for every particle.
template <class T>
void kick(Particles<T>& p, const std::vector<T>& acc, double factor);
/// disp += factor * p for every particle.
template <class T>
void drift(Particles<T>& p, double factor);

/// What the integrator reports after each step (step 0: the initial state).
struct StepInfo {
  int step = 0;              ///< steps done
  int steps = 0;             ///< steps in the run
  double a = 0;              ///< scale factor now
  double step_seconds = 0;   ///< wall time of this step [s]
  double total_seconds = 0;  ///< wall time since the run started [s]
};

/// Subscribers to the integrator's events; the integrator knows none of them.
template <class T>
class Events {
 public:
  /// Called with the state and its accelerations (empty at step 0 of a 0-step run).
  using Callback = std::function<void(const StepInfo&, const Particles<T>&)>;
  /// Called after every step, and once for the initial state (step 0).
  void on_step(Callback cb) { step_.push_back(std::move(cb)); }
  /// Called when the state reaches scale factor a (a must lie on the time grid).
  void on_reach(double a, Callback cb) { reach_.push_back({a, std::move(cb)}); }
  /// Delivers one event to the subscribers.
  void emit(const StepInfo& info, const Particles<T>& p) const;

 private:
  struct Reach {
    double a;
    Callback cb;
  };
  std::vector<Callback> step_;
  std::vector<Reach> reach_;
};

/// Kick-drift-kick leapfrog over `a_grid` (first entry: the state's time). Half-step times
/// are geometric means of neighbouring a (FastPM). The force is computed once per step and
/// reused by the next step's first half kick. With a distributed force mesh the particles
/// migrate to the rank of their slab before the first force and after every drift.
template <class T>
class KdkIntegrator {
 public:
  /// Integrates with `gravity` in `cosmology`; `total_particles` (all ranks) sets the mean
  /// density.
  KdkIntegrator(const Cosmology& cosmology, Gravity<T>& gravity, std::size_t total_particles);
  /// Evolves p along a_grid, emitting events.
  void run(Particles<T>& p, const std::vector<double>& a_grid, const Events<T>& events);
  /// Seconds spent in kicks and drifts [s].
  double kick_drift_seconds() const { return kick_drift_seconds_; }
  /// Seconds spent migrating particles between ranks after the drifts [s].
  double migrate_seconds() const { return migrate_seconds_; }

 private:
  const Cosmology& cosmology_;
  Gravity<T>& gravity_;
  std::size_t total_particles_;
  std::vector<T> acc_;
  double kick_drift_seconds_ = 0;
  double migrate_seconds_ = 0;
};

}  // namespace cosmograd::sim
