// The differentiable simulation of `cosmograd run`: white noise -> LPT -> KDK steps, and its
// gradients by the discrete adjoint integrated backwards in time (pmwd, Li et al. 2022, §3;
// sim/pm/stepping.hpp), on the CPU (OpenMP, MPI) or a CUDA device through one PM algorithm.
// The object is a reusable engine: plans, tables and buffers persist across forward and
// backward calls, and set_cosmology() switches parameters without re-planning.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/pm/gravity.hpp"
#include "sim/pm/pm_backend.hpp"
#include "sim/pm/sim_spec.hpp"
#include "sim/pm/stepping.hpp"

namespace cosmograd::sim {

/// Throws std::invalid_argument for an invalid spec (SimSpec::validate) or settings no
/// differentiable engine accepts:
/// checkpoint_every < 1, or an ic_linear_field (gradients are taken w.r.t. white noise).
void check_differentiable_config(const SimSpec& c, int checkpoint_every);

/// Gradients of a scalar objective J of the simulation.
template <class T>
struct SimGradients {
  Field<T> noise;  ///< dJ/dw, real space on the particle grid
  std::array<double, kNumCosmoParams>
      cosmology{};  ///< dJ/d(Omega_m, Omega_b, h, n_s, sigma8, w0, wa)
};

/// The backend of `device = cuda` for c (sim/pm/cuda/cuda_backend.cu); throws
/// std::invalid_argument when this build has no CUDA backend or no GPU is visible.
template <class T>
std::unique_ptr<PmBackend<T>> make_cuda_backend(const SimSpec& c, const CosmologyTables& tables);

/// The differentiable forward model of `cosmograd run`: real-space white noise w (unit
/// variance, particle grid; sim/pm/lpt.hpp) -> 1LPT/2LPT at a_init -> KDK steps -> final
/// particles; then backward() returns dJ/dw and dJ/dtheta for the 7 cosmological parameters.
/// Memory: the final state, one copy of w and the force meshes (adjoint mode).
template <class T>
class DifferentiableSim {
 public:
  /// Prepares cosmology (values and duals), linear power, FFTs and the force solver for c
  /// (its white-noise, output and I/O keys are ignored), on c.device, distributed over
  /// `comm` (CPU only): then w, the particles, cotangents and gradients are this rank's
  /// share (noise and initial particles on FFTW-MPI slabs of the particle grid; evolved
  /// particles on the force mesh's slabs) and every call is collective.
  DifferentiableSim(const SimSpec& c, GradientMode mode = GradientMode::adjoint,
                    int checkpoint_every = 1, const Comm& comm = Comm::self());
  ~DifferentiableSim();
  DifferentiableSim(const DifferentiableSim&) = delete;
  DifferentiableSim& operator=(const DifferentiableSim&) = delete;

  /// Switches to new cosmological parameters (tables and step factors are rebuilt; FFT
  /// plans, the force solver and buffers are kept). A no-op when they are unchanged.
  void set_cosmology(const CosmologyParams& params);
  /// The parameters in use.
  const CosmologyParams& cosmology() const { return config_.cosmology; }

  /// The real-space white noise of seed c.seed (fill_white_noise_real).
  Field<T> white_noise() const;
  /// Runs forward from w, telling `observers`, and keeps what backward() needs; returns the
  /// final particles.
  const Particles<T>& forward(const Field<T>& w, const Observers<T>& observers = {});
  /// The final particles of the last forward(); backward() runs them back to a_init, after
  /// which this holds recovered_initial(). Throws std::logic_error before the first forward().
  const Particles<T>& final_state() const;
  /// dJ/dw and dJ/dtheta given cotangents of the final state, plus optional cotangents of
  /// the state at intermediate grid points (key: the step index, 0 = the ICs; see
  /// schedule().step_at()) and observers' cotangents (their add_parameter_gradient() joins
  /// the cosmology gradient). Call after forward(); leaves the
  /// recovered initial state in recovered_initial().
  SimGradients<T> backward(const StateCotangent<T>& final_cot,
                           const std::map<int, StateCotangent<T>>& intermediate = {},
                           const Observers<T>& observers = {});
  /// The initial state as backward() recovered it (diagnostics of reversal error).
  const Particles<T>& recovered_initial() const { return final_state(); }
  /// The time grid (scale factors of the steps).
  const std::vector<double>& time_grid() const { return schedule_->grid(); }
  /// Every step's scale factors and kick/drift factors.
  const StepSchedule& schedule() const { return *schedule_; }
  /// The force solver (timings; its decomp() is the layout the evolved particles follow);
  /// throws std::logic_error with device = cuda, whose solver lives on the device.
  Gravity<T>& gravity();
  /// The backend the steps run on.
  PmBackend<T>& backend() { return *backend_; }
  /// Seconds the stepper spent, by phase, over all calls.
  const StepTimings& timings() const { return stepper_->timings(); }
  /// Particles in the whole simulation (all ranks).
  std::size_t total_particles() const {
    return static_cast<std::size_t>(config_.particles) * config_.particles * config_.particles;
  }

 private:
  SimSpec config_;
  GradientMode mode_;
  Comm comm_;
  std::unique_ptr<CosmologyTables> tables_;
  std::unique_ptr<StepSchedule> schedule_;
  std::unique_ptr<Gravity<T>> gravity_;  // device = cpu
  std::unique_ptr<PmBackend<T>> backend_;
  std::unique_ptr<KdkStepper<T>> stepper_;
  const Particles<T>* state_ = nullptr;
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
