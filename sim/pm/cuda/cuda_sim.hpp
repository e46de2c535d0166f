// The differentiable PM simulation on one CUDA device: DifferentiableSim's model (white noise ->
// 1LPT/2LPT -> FastPM KDK steps -> final particles, and the reverse-time adjoint for dJ/dw and
// dJ/dtheta; Feng et al. 2016; Li et al. 2022) with every array on the device for the whole
// run: the CUDA backend (sim/pm/cuda/cuda_backend.hpp) stepped by the one PM algorithm of
// sim/pm/stepping.hpp, plus device-side entry points for benchmarks.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "sim/pm/adjoint.hpp"
#include "sim/pm/cuda/cuda_backend.hpp"

namespace cosmograd::sim::cuda {

/// DifferentiableSim<T> on a CUDA device (T = float or double), with access to the device
/// state without host copies.
template <class T>
class CudaSim {
 public:
  /// Prepares tables, schedule, cuFFT plans and device buffers for c (its output and I/O keys
  /// are ignored); throws std::invalid_argument for ic_linear_field, checkpoint_every < 1, or
  /// when no CUDA device is visible.
  explicit CudaSim(const SimSpec& c, GradientMode mode = GradientMode::adjoint,
                   int checkpoint_every = 1);
  ~CudaSim();
  CudaSim(const CudaSim&) = delete;
  CudaSim& operator=(const CudaSim&) = delete;

  /// The real-space white noise of seed c.seed (as fill_white_noise_real), made on the device.
  Field<T> white_noise() const;
  /// Runs forward from the real-space noise w (particle grid) and keeps what backward() needs.
  void forward(const Field<T>& w);
  /// forward(white_noise()) without the host round trip of w.
  void forward_white_noise();
  /// Runs only the initial conditions (LPT at a_init) from the real-space noise w; the state
  /// then holds the ICs (as lpt_particles_from_noise).
  void initial_conditions(const Field<T>& w);
  /// lpt_vjp of the last initial_conditions() or forward() noise: dJ/dw and dJ/dtheta given
  /// dJ/d(initial disp, mom) (3 per particle, lattice order) [1/(Mpc/h)].
  SimGradients<T> initial_conditions_vjp(const StateCotangent<T>& ic_cot);
  /// Copies the current particle state (lattice order; ids, disp [Mpc/h], mom [Mpc/h]) to host.
  void final_state(Particles<T>& host) const;
  /// dJ/dw (real space, particle grid) and dJ/dtheta given dJ/d(final disp, mom) (3 per
  /// particle, lattice order) [1/(Mpc/h)]; call after forward(). Runs the state back to a_init.
  SimGradients<T> backward(const StateCotangent<T>& final_cot);
  /// Uploads dJ/d(final disp, mom) (3 per particle) for backward_on_device().
  void set_final_cotangent(const StateCotangent<T>& final_cot);
  /// The device part of backward() from the cotangent of the last set_final_cotangent()
  /// (which it consumes): returns dJ/dtheta and keeps dJ/dw on the device.
  std::array<double, kNumCosmoParams> backward_on_device();
  /// dJ/dw of the last backward_on_device() (real space, particle grid).
  Field<T> noise_gradient() const;
  /// The scale factors of the time grid.
  const std::vector<double>& time_grid() const;
  /// Turns per-phase CUDA-event timing on or off (off by default; on adds events per phase).
  void enable_timings(bool on);
  /// Accumulated per-phase device times (waits for the device).
  KernelTimings timings() const;
  /// Clears the accumulated timings.
  void reset_timings();
  /// Bytes of device memory this object holds now [bytes].
  std::size_t device_bytes() const;

 private:
  std::unique_ptr<CosmologyTables> tables_;
  std::unique_ptr<StepSchedule> schedule_;
  std::unique_ptr<CudaBackend<T>> backend_;
  std::unique_ptr<KdkStepper<T>> stepper_;
  bool cotangent_set_ = false;
};

}  // namespace cosmograd::sim::cuda
