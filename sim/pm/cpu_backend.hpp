// The CPU backend of the PM algorithm (sim/pm/pm_backend.hpp): host vectors with OpenMP, the
// FFTW force of sim/pm/gravity.hpp, MPI slabs with particle migration, LPT of sim/pm/lpt.hpp.
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <vector>

#include "sim/mesh/fft.hpp"
#include "sim/mpi/comm.hpp"
#include "sim/pm/gravity.hpp"
#include "sim/pm/pm_backend.hpp"
#include "sim/pm/stepping.hpp"

namespace cosmograd::sim {

template <class T>
class CpuBackend final : public PmBackend<T> {
 public:
  /// Stepping only, with the force of `gravity` (not owned) for a run of `total_particles`
  /// (all ranks) at Omega_m; the state comes from state() or set_state().
  CpuBackend(Gravity<T>& gravity, std::size_t total_particles, double Omega_m);
  /// Stepping and initial conditions from white noise on the particle grid of `ic` over
  /// `comm` (FFTW plans with `threads` and `planning`); `tables` must outlive the backend or
  /// the next set_cosmology().
  CpuBackend(Gravity<T>& gravity, const IcSpec& ic, const CosmologyTables& tables, int threads,
             FftPlanning planning, const Comm& comm);

  /// The state itself (this rank's particles).
  Particles<T>& state() { return state_; }
  /// The force solver.
  Gravity<T>& gravity() { return gravity_; }

  void axpy(Buf out, double f, Buf in) override;
  void axpby(Buf out, double ca, Buf a, double cb, Buf b) override;
  void zero(Buf out) override;
  void add_dot(Buf a, Buf b, const ParamGradient& weight) override;
  ParamGradient take_gradient() override;
  void accelerations() override;
  void accelerations_vjp() override;
  void migrate(bool cotangents) override;
  std::size_t particle_count() const override { return state_.size(); }
  const Particles<T>& host_state() override { return state_; }
  void set_state(const Particles<T>& p) override { state_ = p; }
  void add_cotangent(const StateCotangent<T>& c) override;
  void set_cotangent(const StateCotangent<T>& c) override;
  void store_state(int key) override { stored_[key] = state_; }
  void load_state(int key) override { state_ = stored_.at(key); }
  bool has_state(int key) const override { return stored_.count(key) != 0; }
  void drop_states(int first) override { stored_.erase(stored_.lower_bound(first), stored_.end()); }
  Field<T> white_noise() override;
  void initial_conditions(const Field<T>& w) override;
  Field<T> initial_conditions_vjp() override;
  void set_cosmology(const CosmologyTables& tables) override;

 private:
  /// The vector behind a buffer name (disp and mom are the state's).
  std::vector<T>& vec(Buf b);
  /// Throws std::invalid_argument naming `what` unless c holds 3 values per particle.
  void check_cotangent(const StateCotangent<T>& c, const char* what) const;
  /// Throws NonFiniteError naming the first NaN or Inf in `bufs` (a dot product of them was not
  /// finite).
  [[noreturn]] void report_non_finite(std::initializer_list<Buf> bufs);
  /// Throws std::logic_error when the backend was made without initial conditions.
  void require_ic(const char* what) const;

  Gravity<T>& gravity_;
  std::size_t total_;
  double omega_m_;
  Particles<T> state_;
  std::vector<T> acc_, xi_, pi_, cot_, extra_;
  ParamGradient grad_{};
  std::map<int, Particles<T>> stored_;
  IcSpec ic_;
  const CosmologyTables* tables_ = nullptr;
  std::unique_ptr<Fft<T>> fft_;      // particle grid
  std::unique_ptr<Field<T>> noise_;  // w of the last initial_conditions()
  Comm comm_;
};

/// Evolves host particles `p` (lattice n_side^3 over all ranks) along schedule `s` with the
/// force of `gravity` at Omega_m, telling `observers`; returns the stepper's timings. With
/// `first_step` > 0, `p` is the state at grid point first_step of a resumed run.
template <class T>
StepTimings evolve(Particles<T>& p, Gravity<T>& gravity, const StepSchedule& s, double Omega_m,
                   const Observers<T>& observers = {}, int first_step = 0);

}  // namespace cosmograd::sim
