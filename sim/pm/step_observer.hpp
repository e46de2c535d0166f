// Observers of the PM stepping (ARCHITECTURE §3): they see the state at every grid point
// and at every drift, and in the reverse pass can add cotangents there. Outputs, progress
// bars, load-balance logs and lightcone crossings subscribe; the stepper knows none of them.
#pragma once

#include <array>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/mesh/particles.hpp"

namespace cosmograd::sim {

/// A grid point the stepper reached (step 0: the initial state).
struct StepInfo {
  int step = 0;              ///< steps done
  int steps = 0;             ///< steps in the run
  double a = 0;              ///< scale factor now
  double step_seconds = 0;   ///< wall time of this step [s]
  double total_seconds = 0;  ///< wall time since the run started [s]
};

/// A drift of step `step`: positions moved from a0 to a1 with the momentum at ah. The
/// particles the observer sees hold x(a1) in disp and p(ah) in mom, so x(a0) = disp - factor
/// * mom (before periodic wrapping).
struct DriftInfo {
  int step = 0;       ///< index of the step (0-based)
  double a0 = 0;      ///< scale factor at the start of the drift
  double a1 = 0;      ///< scale factor at its end
  double ah = 0;      ///< scale factor of the momentum
  double factor = 0;  ///< drift factor D: x(a1) = x(a0) + D p(ah) [dimensionless]
};

/// Cotangents of the particle state at one time: dJ/d disp and dJ/d mom, 3 per particle.
template <class T>
struct StateCotangent {
  std::vector<T> disp;  ///< dJ/d(displacement) [1 / (Mpc/h)]
  std::vector<T> mom;   ///< dJ/d(momentum) [1 / (Mpc/h)]
};

/// Base class of a stepping observer; every hook defaults to doing nothing. The particles
/// passed are host copies in the backend's current order (lattice order on one rank of a
/// device backend; this rank's share on the CPU), valid during the call only.
template <class T>
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  /// Whether on_state() / state_cotangent() want the state at grid point `step` (a device
  /// backend copies the state to the host only for the steps some observer wants).
  virtual bool wants_state(int step) const {
    (void)step;
    return false;
  }
  /// Whether on_drift() / drift_cotangent() want the drifts (every step when true).
  virtual bool wants_drifts() const { return false; }
  /// Whether the hooks read the particles (false: they receive an empty Particles, and a
  /// device backend copies nothing for them; the cotangents must then be sized with the
  /// `particles` count they are given).
  virtual bool reads_particles() const { return true; }
  /// The state at grid point info.step (after the step's second kick).
  virtual void on_state(const StepInfo& info, const Particles<T>& p) {
    (void)info;
    (void)p;
  }
  /// The state right after the drift of step info.step.
  virtual void on_drift(const DriftInfo& info, const Particles<T>& p) {
    (void)info;
    (void)p;
  }
  /// Reverse pass at grid point `step` (state as on_state() saw it): ADD dJ/d disp and dJ/d mom
  /// of this observer's term to `cot` (sized 3 per particle, zero-filled by the caller).
  virtual void state_cotangent(int step, const Particles<T>& p, StateCotangent<T>& cot) {
    (void)step;
    (void)p;
    (void)cot;
  }
  /// Reverse pass at the drift of step info.step (state as on_drift() saw it): ADD the
  /// cotangents of x(a1) and p(ah) to `cot`.
  virtual void drift_cotangent(const DriftInfo& info, const Particles<T>& p,
                               StateCotangent<T>& cot) {
    (void)info;
    (void)p;
    (void)cot;
  }
  /// Whether the reverse pass should call state_cotangent() at `step` (only when
  /// wants_state(step)).
  virtual bool has_state_cotangent(int step) const {
    (void)step;
    return false;
  }
  /// Whether the reverse pass should call drift_cotangent() (only when wants_drifts()).
  virtual bool has_drift_cotangent() const { return false; }
  /// After the reverse pass: adds dJ/d(cosmological parameters) of this observer's own terms
  /// (those not carried by the state's cotangents) to g (collective under MPI).
  virtual void add_parameter_gradient(std::array<double, kNumCosmoParams>& g) const { (void)g; }
};

/// The observers of one run (non-owning).
template <class T>
using Observers = std::vector<StepObserver<T>*>;

}  // namespace cosmograd::sim
