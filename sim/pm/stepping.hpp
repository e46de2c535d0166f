// The PM stepping, written once for every backend (ARCHITECTURE §3): FastPM kick-drift-kick
// (Feng et al. 2016, MNRAS 463, 2273, §2.3; kick and drift factors that make linear growth
// exact for any step size) and its discrete adjoint integrated backwards in time (pmwd, Li et
// al. 2022, §3), so that gradient memory does not grow with the number of steps; or, where
// float32 reversal drifts, states stored every k steps and recomputed inside each segment.
// Each operation sits next to its vjp; observers see every grid point and drift.
#pragma once

#include <string>
#include <vector>

#include "sim/core/timer.hpp"
#include "sim/pm/pm_backend.hpp"
#include "sim/pm/step_schedule.hpp"

namespace cosmograd::sim {

/// How the reverse pass recovers the forward trajectory.
enum class GradientMode {
  adjoint,    ///< reverse-time integration from the final state: O(1) memory in steps
  checkpoint  ///< states stored every k steps, recomputed inside each segment
};

/// Parses "adjoint" or "checkpoint"; throws std::invalid_argument naming the key otherwise.
GradientMode parse_gradient_mode(const std::string& name);

/// p += factor * acc for every particle (host arrays).
template <class T>
void kick(Particles<T>& p, const std::vector<T>& acc, double factor);
/// disp += factor * p for every particle (host arrays).
template <class T>
void drift(Particles<T>& p, double factor);

/// Seconds the stepper spent, by phase [s].
struct StepTimings {
  double kick_drift = 0;  ///< kicks, drifts and the adjoint's vector operations
  double migrate = 0;     ///< moving particles between ranks
  double force = 0;       ///< forces and force vjps
  double observers = 0;   ///< observers (outputs, logs) and host copies for them
};

/// Kick-drift-kick over a StepSchedule on a PmBackend: forward with observers, and the
/// reverse pass that returns the parameter gradient with the cotangents of the initial state
/// left in the backend's xi and pi.
template <class T>
class KdkStepper {
 public:
  /// Steps `backend` (not owned; it must outlive the stepper); in checkpoint mode every
  /// `checkpoint_every`-th state (>= 1) is stored on the backend.
  KdkStepper(PmBackend<T>& backend, GradientMode mode = GradientMode::adjoint,
             int checkpoint_every = 1);

  /// Evolves the backend's state from grid point `first_step` (0: s.a(0); later: a resumed
  /// run, whose state there observers are not told of again) to the end of the schedule,
  /// telling observers.
  void forward(const StepSchedule& s, const Observers<T>& observers = {}, int first_step = 0);
  /// Kick(a0 -> ah), drift(a0 -> a1), force at a1, kick(ah -> a1) of step i; expects acc to
  /// hold the force at the current positions and leaves the force at the new ones. A NaN or
  /// Inf met on the way (NonFiniteError) is rethrown with the step named.
  void step(const StepSchedule& s, int i, const Observers<T>& observers = {});

  /// The reverse pass after forward(): with xi, pi the cotangents of the final state (plus
  /// what observers add), runs the state back to a_init and leaves dJ/d(initial disp, mom)
  /// in xi, pi; the steps' parameter gradient accumulates in the backend (take_gradient()).
  void backward(const StepSchedule& s, const Observers<T>& observers = {});
  /// Reverse of step(s, i): on entry the state is the end of step i with acc = force there
  /// and xi, pi its cotangents (the second kick's force vjp done); on exit the same at the
  /// start of step i.
  void step_adjoint(const StepSchedule& s, int i, const Observers<T>& observers = {});

  /// Seconds spent, by phase.
  const StepTimings& timings() const { return timings_; }

 private:
  /// p += f acc and its vjp (the force vjp at the current position, combining the second
  /// kick of step j - 1 and the first of step j, with observers' cotangents at grid point j
  /// in between).
  void kick(double f);
  void kicks_vjp(const StepSchedule& s, int j, const Observers<T>& observers);
  /// x += f p and its vjp (pi += f xi; the parameter gradient gains df (xi . p)).
  void drift(double f);
  void drift_vjp(const CosmoDual& f);
  /// step() and step_adjoint() without the step named in a NonFiniteError.
  void step_unchecked(const StepSchedule& s, int i, const Observers<T>& observers);
  void step_adjoint_unchecked(const StepSchedule& s, int i, const Observers<T>& observers);
  /// Observers' on_state() at grid point `step`.
  void emit_state(const StepSchedule& s, int step, double step_seconds,
                  const Observers<T>& observers);
  /// Observers' cotangents at grid point j added to xi, pi (pi before them kept in extra);
  /// false when none had any. When `state_needed` (mom is the half-step momentum) and an
  /// observer reads the particles, first undoes the kick of factor `kick1`; state_needed
  /// then tells whether it did.
  bool add_state_cotangents(int j, double kick1, const Observers<T>& observers, bool& state_needed);
  /// In checkpoint mode: makes the state of grid point i available on the backend.
  void load_stored(const StepSchedule& s, int i);

  PmBackend<T>& backend_;
  GradientMode mode_;
  int every_;
  StepTimings timings_;
  Stopwatch run_;  // since forward() began
};

}  // namespace cosmograd::sim
