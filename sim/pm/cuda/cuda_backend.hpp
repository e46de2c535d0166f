// The CUDA backend of the PM algorithm (sim/pm/pm_backend.hpp): every particle array, mesh and
// FFT on one device; the host computes only scalars. Plain C++ header (pimpl; implemented in
// sim/pm/cuda/cuda_backend.cu), so any C++ code can include it in a build with CUDA.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/pm/pm_backend.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::sim::cuda {

/// Device time per phase (paint, r2c, force kernels, c2r, readout, kick/drift, lpt, and the
/// gradient's phases), accumulated over calls while timing is on [ms].
struct KernelTimings {
  std::vector<std::pair<std::string, double>> phases;  ///< (phase, ms), in first-seen order
  /// Sum over the phases [ms].
  double total() const;
  /// The time of `phase` [ms] (0 when it never ran).
  double at(const std::string& phase) const;
};

/// PmBackend on a CUDA device for T = float or double: the same formulas as the CPU (same
/// half-cell force-mesh offset and normalisations), particles in lattice order, one rank.
/// Memory: disp, mom, acc; while a gradient runs, four more particle arrays; three force
/// meshes; the white noise and up to seven particle-grid meshes inside the LPT and its vjp.
template <class T>
class CudaBackend final : public PmBackend<T> {
 public:
  /// Buffers, cuFFT plans and tables for c's resolution, force and ICs with the parameters
  /// of `tables` (which must outlive the backend or the next set_cosmology()); throws
  /// std::invalid_argument when no CUDA device is visible.
  CudaBackend(const SimSpec& c, const CosmologyTables& tables);
  ~CudaBackend() override;

  void axpy(Buf out, double f, Buf in) override;
  void axpby(Buf out, double ca, Buf a, double cb, Buf b) override;
  void zero(Buf out) override;
  void add_dot(Buf a, Buf b, const ParamGradient& weight) override;
  ParamGradient take_gradient() override;
  void accelerations() override;
  void accelerations_vjp() override;
  void migrate(bool) override {}  // one rank
  std::size_t particle_count() const override;
  const Particles<T>& host_state() override;
  void set_state(const Particles<T>& p) override;
  void add_cotangent(const StateCotangent<T>& c) override;
  void set_cotangent(const StateCotangent<T>& c) override;
  void store_state(int key) override;
  void load_state(int key) override;
  bool has_state(int key) const override;
  void drop_states(int first) override;
  Field<T> white_noise() override;
  void initial_conditions(const Field<T>& w) override;
  Field<T> initial_conditions_vjp() override;
  void set_cosmology(const CosmologyTables& tables) override;

  /// initial_conditions(white_noise()) without the host round trip of w.
  void initial_conditions_from_seed();
  /// initial_conditions_vjp() leaving dJ/dw on the device (fetch it with noise_gradient()).
  void initial_conditions_vjp_on_device();
  /// dJ/dw of the last initial_conditions_vjp() (real space, particle grid).
  Field<T> noise_gradient() const;
  /// Turns per-phase CUDA-event timing on or off (off by default).
  void enable_timings(bool on);
  /// Accumulated per-phase device times (waits for the device).
  KernelTimings timings() const;
  /// Clears the accumulated timings.
  void reset_timings();
  /// Bytes of device memory held now [bytes].
  std::size_t device_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cosmograd::sim::cuda
