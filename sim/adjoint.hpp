// Gradients of a simulation by the discrete adjoint of its KDK steps, integrated backwards
// in time (pmwd, Li et al. 2022, §3): the trajectory is re-derived by running the steps in
// reverse, so gradient memory does not grow with the number of steps. A checkpointed mode
// (states stored every k steps, recomputed inside each segment) is there for when float32
// reversal drifts.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/gravity.hpp"
#include "sim/linear_power.hpp"
#include "sim/lpt.hpp"

namespace cosmograd::sim {

/// How backward() recovers the forward trajectory.
enum class GradientMode {
  adjoint,    ///< reverse-time integration from the final state: O(1) memory in steps
  checkpoint  ///< states stored every k steps, recomputed inside each segment
};

/// Parses "adjoint" or "checkpoint"; throws std::invalid_argument naming the key otherwise.
GradientMode parse_gradient_mode(const std::string& name);

/// Throws std::invalid_argument for settings no differentiable engine accepts:
/// checkpoint_every < 1, or an ic_linear_field (gradients are taken w.r.t. white noise).
void check_differentiable_config(const SimConfig& c, int checkpoint_every);

/// Gradients of a scalar objective J of the simulation.
template <class T>
struct SimGradients {
  Field<T> noise;  ///< dJ/dw, real space on the particle grid
  std::array<double, kNumCosmoParams>
      cosmology{};  ///< dJ/d(Omega_m, Omega_b, h, n_s, sigma8, w0, wa)
};

/// Cotangents of the particle state at one time: dJ/d disp and dJ/d mom, 3 per particle.
template <class T>
struct StateCotangent {
  std::vector<T> disp;  ///< dJ/d(displacement) [1 / (Mpc/h)]
  std::vector<T> mom;   ///< dJ/d(momentum) [1 / (Mpc/h)]
};

template <class T>
class DeviceSim;

/// The differentiable forward model of `cosmograd run`: real-space white noise w (unit
/// variance, particle grid; sim/lpt.hpp) -> 1LPT/2LPT at a_init -> KDK steps -> final
/// particles; then backward() returns dJ/dw and dJ/dtheta for the 7 cosmological parameters.
/// Memory: the final state, one copy of w and the force meshes (adjoint mode).
template <class T>
class DifferentiableSim {
 public:
  /// Prepares cosmology (values and duals), linear power, FFTs and the force solver for c
  /// (its white-noise, output and I/O keys are ignored), distributed over `comm`: then w,
  /// the particles, cotangents and gradients are this rank's share (noise and initial
  /// particles on FFTW-MPI slabs of the particle grid; evolved particles on the force
  /// mesh's slabs) and every call is collective.
  DifferentiableSim(const SimConfig& c, GradientMode mode = GradientMode::adjoint,
                    int checkpoint_every = 1, const Comm& comm = Comm::self());
  ~DifferentiableSim();
  DifferentiableSim(const DifferentiableSim&) = delete;
  DifferentiableSim& operator=(const DifferentiableSim&) = delete;

  /// The real-space white noise of seed c.seed (fill_white_noise_real).
  Field<T> white_noise() const;
  /// Runs forward from w and keeps what backward() needs; returns the final particles.
  const Particles<T>& forward(const Field<T>& w);
  /// The final particles of the last forward(); backward() runs them back to a_init, after
  /// which this holds recovered_initial().
  const Particles<T>& final_state() const { return state_; }
  /// dJ/dw and dJ/dtheta given cotangents of the final state, plus optional cotangents at
  /// intermediate times on the grid (key: scale factor). Call after forward(); leaves the
  /// recovered initial state in recovered_initial().
  SimGradients<T> backward(const StateCotangent<T>& final_cot,
                           const std::map<double, StateCotangent<T>>& intermediate = {});
  /// The initial state as backward() recovered it (diagnostics of reversal error).
  const Particles<T>& recovered_initial() const { return state_; }
  /// The time grid (scale factors of the steps).
  const std::vector<double>& time_grid() const { return grid_; }
  /// The force solver (timings; its decomp() is the layout the evolved particles follow);
  /// throws std::logic_error with device = cuda, whose solver lives on the device.
  Gravity<T>& gravity();
  /// Particles in the whole simulation (all ranks).
  std::size_t total_particles() const {
    return static_cast<std::size_t>(config_.particles) * config_.particles * config_.particles;
  }

 private:
  struct Impl;
  SimConfig config_;
  GradientMode mode_;
  int checkpoint_every_;
  Comm comm_;
  std::vector<double> grid_;
  std::unique_ptr<Impl> impl_;                // device = cpu
  std::unique_ptr<Gravity<T>> gravity_;       // device = cpu
  std::unique_ptr<DeviceSim<T>> device_sim_;  // device = cuda
  Particles<T> state_;
};

/// A Gaussian log-likelihood of the final density against data, the usual field-level
/// objective: J = sum_c (delta_c - data_c)^2 / (2 sigma^2) with delta the density contrast
/// of `p` painted with `kernel` on the mesh of `data` (mesh point i at i L / n). Returns J
/// and, when `cot` is not null, adds dJ/d disp to cot->disp (chained through paint_vjp).
/// With distributed `data`, `particles_mesh` is the layout the particles were migrated for
/// (DifferentiableSim::gravity().decomp()); J is then summed over ranks (collective).
template <class T>
double density_chi2(const Particles<T>& p, const Field<T>& data, double sigma, PaintKernel kernel,
                    StateCotangent<T>* cot = nullptr,
                    const Decomposition* particles_mesh = nullptr);

}  // namespace cosmograd::sim
