// The on-the-fly lightcone: a stepping observer that finds, during every drift, the
// particles whose distance to the observer equals the lightcone's comoving distance chi(a)
// (FastPM, Feng et al. 2016, §2.4), in every periodic replica of the box that the lightcone
// reaches, and deposits their mass into onion shells of comoving distance: full-sky HEALPix
// maps (nearest pixel) and flat-sky maps of a small field (cloud-in-cell in the tangent plane,
// each replica shuffled). The flat maps are differentiable: given dJ/d(shell maps) the reverse
// pass adds dJ/d(positions, momenta) at every drift and dJ/d(cosmology) of the crossing (the
// crossing set is held fixed within a step; the crossing point moves with the state, the drift
// factor and chi(a)), and so are the HEALPix maps with bilinear deposits. Optionally records the
// crossing particles (a sky region, a random fraction) as a catalogue. With MPI each rank deposits
// its particles and the maps are summed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/mpi/comm.hpp"
#include "sim/pm/step_observer.hpp"
#include "sim/pm/step_schedule.hpp"
#include "sim/sky/lightcone_geometry.hpp"
#include "sim/sky/sky_map.hpp"

namespace cosmograd::sim {

/// What the lightcone records and where.
struct LightconeSpec {
  std::array<double, 3> observer{};  ///< observer position in the box [Mpc/h]
  std::vector<double> shell_edges;   ///< comoving distances of the shell edges [Mpc/h], increasing
  int nside = 0;                     ///< HEALPix shells' resolution (0: none)
  bool healpix_bilinear = false;     ///< HEALPix deposit: bilinear weights over the four
                                     ///< surrounding pixel centres (differentiable) instead of
                                     ///< the nearest pixel
  double flat_field_deg = 0;         ///< side of the flat-sky field about +z [deg] (0: none)
  int flat_pixels = 256;             ///< flat maps' pixels per side
  int cells = 16;                    ///< chaining cells per box side (culling only)
  bool shuffle = true;               ///< shuffle the flat field's replicas (shift, axes)
  std::uint64_t seed = 0;            ///< seed of the flat field's replica shuffles
  double particle_fraction = 0;      ///< fraction of crossing particles catalogued (0: none)
  double particle_cone_deg = 180;  ///< catalogue region: half-angle about +z [deg] (180: full sky)
  int healpix_mesh = 0;  ///< > 0: HEALPix shells ray-marched through a CIC density mesh of this
                         ///< many points per side at the steps' grid points (sim/sky/
                         ///< shell_raymarch.hpp; no gradient yet) instead of a deposit
                         ///< per crossing
  double raymarch_step = 1.0;  ///< ray step over the pixel size (healpix_mesh > 0)
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate(double box_size) const;
};

/// Shell edges 0, width, 2 width, ... up to chi_max (the last shell ends at chi_max) [Mpc/h].
std::vector<double> uniform_shell_edges(double chi_max, double width);

/// Catalogue of crossing particles (this rank's), one entry per crossing.
struct LightconeParticles {
  std::vector<std::uint64_t> id;       ///< lattice index of the particle
  std::vector<std::uint32_t> replica;  ///< index into Lightcone::replicas()
  std::vector<double> pos;             ///< position at the crossing, observer frame, 3 each [Mpc/h]
  std::vector<double> vel;             ///< peculiar velocity, observer frame, 3 each [km/s]
  std::vector<double> a;               ///< scale factor at the crossing
  /// Number of entries.
  std::size_t size() const { return id.size(); }
};

/// The lightcone observer (see the file comment). T = float or double (the particles').
template <class T>
class Lightcone final : public StepObserver<T> {
 public:
  /// A lightcone of `spec` over a box of side box_size [Mpc/h] with n_side^3 particles,
  /// distributed over `comm` (every call then collective where stated).
  Lightcone(const LightconeSpec& spec, double box_size, int n_side,
            const Comm& comm = Comm::self());

  /// Binds the run's cosmology and schedule (call before forward(), and again after the
  /// parameters change). `dual` (optional) gives the parameter derivatives of the reverse pass.
  /// Throws std::invalid_argument when the schedule does not end at a = 1 or when the
  /// outermost shell lies beyond chi(a_init).
  void bind(const Cosmology& cosmology, const CosmologyDual* dual, const StepSchedule& schedule);

  bool wants_drifts() const override { return true; }
  /// Step 0 and the last; with healpix_mesh, every grid point whose distances reach a shell.
  bool wants_state(int step) const override;
  /// Step 0: clears the maps; with healpix_mesh, ray-marches the shells through this grid
  /// point's density over the distances it stands for; the last step: sums the maps over
  /// ranks (collective).
  void on_state(const StepInfo& info, const Particles<T>& p) override;
  /// Deposits the particles crossing during this drift.
  void on_drift(const DriftInfo& info, const Particles<T>& p) override;

  /// Sets dJ/d(flat shell map) for the reverse pass, one map per shell in particle-mass units
  /// (the same values on every rank); an empty vector switches it off.
  void set_flat_cotangent(std::vector<FlatMap> cot);
  /// Sets dJ/d(HEALPix shell map) for the reverse pass (needs healpix_bilinear), as
  /// set_flat_cotangent().
  void set_healpix_cotangent(std::vector<HealpixMap> cot);
  bool has_drift_cotangent() const override { return !flat_cot_.empty() || !healpix_cot_.empty(); }
  /// Adds dJ/d x(a1), dJ/d p(ah) of the crossings in this drift to `cot` (and keeps their
  /// dJ/d(cosmology) for add_parameter_gradient()).
  void drift_cotangent(const DriftInfo& info, const Particles<T>& p,
                       StateCotangent<T>& cot) override;
  /// Adds dJ/d(Omega_m, ..., wa) through the crossing points (drift factors and chi(a)) of
  /// the last reverse pass, summed over ranks, to g (collective; zero without bind()'s dual).
  void add_parameter_gradient(std::array<double, kNumCosmoParams>& g) const override;

  /// Shell edges [Mpc/h].
  const std::vector<double>& shell_edges() const { return spec_.shell_edges; }
  /// HEALPix shell maps: particles per pixel (empty without nside; filled at the last step).
  const std::vector<HealpixMap>& healpix_shells() const { return healpix_; }
  /// Flat shell maps: particles per pixel, cloud-in-cell (empty without flat_field_deg).
  const std::vector<FlatMap>& flat_shells() const { return flat_; }
  /// Mean particles per unit solid angle in shell s for a uniform box [1/sr]:
  /// nbar (chi_hi^3 - chi_lo^3) / 3 with nbar = n_side^3 / L^3.
  double mean_particles_per_sr(int shell) const;
  /// This rank's catalogued crossings (particle_fraction > 0).
  const LightconeParticles& particles() const { return catalogue_; }
  /// The replicas of the full-sky maps and the catalogue (plain periodic copies).
  const std::vector<Replica>& replicas() const { return sky_replicas_; }
  /// Crossings deposited into the maps by this rank since the last clear.
  std::uint64_t crossings() const { return crossings_; }
  /// Ray samples of the ray-marched HEALPix shells since the last clear (healpix_mesh > 0).
  std::uint64_t ray_samples() const { return ray_samples_; }
  /// Seconds spent in on_drift(), drift_cotangent() and the ray-marching of on_state() [s].
  double seconds() const { return seconds_; }

 private:
  /// Calls fn(thread, j, replica, q, v, crossing) for every particle j of `p` crossing the
  /// lightcone inside [first edge, last edge) during `info` in one of `replicas` within `cone`,
  /// (replica, cell) pairs in parallel with a static schedule; `exclusive`: replicas one after
  /// another, so that fn may write to per-particle data of j.
  template <class Fn>
  void for_each_crossing(const DriftInfo& info, const Particles<T>& p,
                         const std::vector<Replica>& replicas, const SkyCone& cone, bool exclusive,
                         Fn&& fn);
  int shell_of(double chi) const;
  /// Whether the HEALPix shells are ray-marched (healpix_mesh > 0).
  bool raymarched() const { return spec_.nside > 0 && spec_.healpix_mesh > 0; }
  /// Whether grid point `step` is ray-marched (its slab of distances reaches a shell).
  bool slab_reaches_shells(int step) const;
  /// Ray-marches the HEALPix shells through the CIC density of `p` over [chi_lo, chi_hi).
  void raymarch(const Particles<T>& p, double chi_lo, double chi_hi);

  LightconeSpec spec_;
  double box_;
  int n_side_;
  Comm comm_;
  int steps_ = 0;
  std::vector<DriftChi<double>> chi_;          // per step
  std::vector<DriftChi<CosmoDual>> chi_dual_;  // per step (with bind's dual)
  std::vector<CosmoDual> drift_dual_;          // per step: the drift factor with derivatives
  std::vector<DriftChi<double>> a_;            // per step: a(u)
  std::vector<Replica> sky_replicas_, flat_replicas_;
  SkyCone flat_cone_;
  ChainingCells cells_;
  std::vector<T> moved_;  // per drift, in cell order: wrapped x(a1) and D p, 6 per particle
  std::vector<HealpixMap> healpix_;                 // filled from counts_ at the end
  std::vector<std::vector<std::uint32_t>> counts_;  // HEALPix shells during the run
  std::vector<FlatMap> flat_;
  std::vector<FlatMap> flat_cot_;
  std::vector<HealpixMap> healpix_cot_;
  LightconeParticles catalogue_;
  std::array<double, kNumCosmoParams> param_grad_{};
  std::vector<double> state_chi_lo_, state_chi_hi_;  // per grid point: the distances it stands for
  std::uint64_t crossings_ = 0;
  std::uint64_t ray_samples_ = 0;
  double seconds_ = 0;
};

}  // namespace cosmograd::sim
