// What a compute backend supplies to the one PM algorithm (sim/pm_algorithm.hpp;
// ARCHITECTURE §3): the particle state and the adjoint's vectors as named buffers, vector
// operations on them, the force and its vjp, migration between ranks, stored states for
// checkpointing, and the initial conditions with their vjp. The CPU backend
// (sim/pm/cpu_backend.hpp: OpenMP, MPI) and the CUDA backend (sim/pm/cuda/cuda_backend.hpp)
// implement it; the stepping loop, the adjoint, checkpointing and observers are written once.
#pragma once

#include <array>
#include <memory>

#include "sim/cosmo/cosmology_tables.hpp"
#include "sim/mesh/field.hpp"
#include "sim/mesh/particles.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/step_observer.hpp"

namespace cosmograd::sim {

/// The per-particle vectors (3 values per particle) a backend holds.
enum class Buf {
  disp,   ///< displacement from the lattice [Mpc/h]
  mom,    ///< momentum [Mpc/h]
  acc,    ///< acceleration at the current positions (the last force computed)
  xi,     ///< adjoint: dJ/d disp
  pi,     ///< adjoint: dJ/d mom
  cot,    ///< adjoint: the cotangent of the force
  extra,  ///< adjoint: scratch (the momentum cotangent before a kick)
};

/// dJ/d(Omega_m, Omega_b, h, n_s, sigma8, w0, wa).
using ParamGradient = std::array<double, kNumCosmoParams>;

/// What a backend's initial conditions are made from.
struct IcSpec {
  int particles = 0;    ///< particles per side of the lattice (= the particle grid)
  double box_size = 0;  ///< box side [Mpc/h]
  int lpt_order = 2;    ///< 1 or 2
  double a_init = 0;    ///< scale factor of the initial conditions
  NoiseOptions noise;   ///< white-noise seed and variance options
};

/// The operators of a particle-mesh backend for T = float or double.
template <class T>
class PmBackend {
 public:
  virtual ~PmBackend() = default;

  // ---- vectors ---------------------------------------------------------------------------
  /// out += f * in.
  virtual void axpy(Buf out, double f, Buf in) = 0;
  /// out = ca * a + cb * b (out may alias a or b).
  virtual void axpby(Buf out, double ca, Buf a, double cb, Buf b) = 0;
  /// out = 0 (sized for the current particles).
  virtual void zero(Buf out) = 0;
  /// The parameter gradient gains weight * (a . b) (summed over ranks by take_gradient()).
  virtual void add_dot(Buf a, Buf b, const ParamGradient& weight) = 0;
  /// The accumulated parameter gradient (all ranks); clears it.
  virtual ParamGradient take_gradient() = 0;

  // ---- force -----------------------------------------------------------------------------
  /// acc = the PM accelerations at disp.
  virtual void accelerations() = 0;
  /// xi += d(cot . acc)/d disp, acc = the accelerations at disp, and the parameter gradient
  /// gains d(cot . acc)/d Omega_m.
  virtual void accelerations_vjp() = 0;
  /// Particles to the rank of their force-mesh slab; with `cotangents` xi and pi travel
  /// along. A no-op on one rank.
  virtual void migrate(bool cotangents) = 0;

  // ---- host access -----------------------------------------------------------------------
  /// Particles held here (this rank's share).
  virtual std::size_t particle_count() const = 0;
  /// The current state on the host (a reference to the state itself on the CPU; a copy on a
  /// device, valid until the state changes).
  virtual const Particles<T>& host_state() = 0;
  /// Replaces the state by a host copy (same particle count and order as host_state()).
  virtual void set_state(const Particles<T>& p) = 0;
  /// xi += c.disp and pi += c.mom (host vectors in host_state()'s order).
  virtual void add_cotangent(const StateCotangent<T>& c) = 0;
  /// Uploads xi = c.disp, pi = c.mom (throws std::invalid_argument on a size mismatch).
  virtual void set_cotangent(const StateCotangent<T>& c) = 0;

  // ---- stored states (checkpointing) -------------------------------------------------------
  /// Stores a copy of (disp, mom) under `key`, replacing an earlier one.
  virtual void store_state(int key) = 0;
  /// Replaces (disp, mom) by the copy stored under `key` (std::out_of_range when absent).
  virtual void load_state(int key) = 0;
  /// Whether a state is stored under `key`.
  virtual bool has_state(int key) const = 0;
  /// Drops the stored states with keys >= `first`.
  virtual void drop_states(int first) = 0;

  // ---- initial conditions ------------------------------------------------------------------
  /// The real-space white noise of the seed (fill_white_noise_real; bitwise equal on every
  /// backend), this rank's slab of the particle grid.
  virtual Field<T> white_noise() = 0;
  /// State = 1LPT/2LPT particles at a_init from real-space noise w (lattice order).
  virtual void initial_conditions(const Field<T>& w) = 0;
  /// With xi, pi the cotangents of the initial state: returns dJ/dw (real space, particle
  /// grid) and adds dJ/dtheta through the LPT to the parameter gradient. Uses the w of the
  /// last initial_conditions().
  virtual Field<T> initial_conditions_vjp() = 0;

  // ---- cosmology ---------------------------------------------------------------------------
  /// Switches to the tables of new cosmological parameters (the LPT amplitudes, the force's
  /// Omega_m), keeping plans and buffers; `tables` must outlive the backend or the next call.
  virtual void set_cosmology(const CosmologyTables& tables) = 0;
};

}  // namespace cosmograd::sim
