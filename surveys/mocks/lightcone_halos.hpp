// Halos on the past lightcone from snapshot catalogues: the box is replicated about the
// observer as far as z_max (the lightcone's replicas, sim/sky/lightcone_geometry.hpp), and every
// copy of a halo at comoving distance chi is taken from the snapshot whose scale factor is
// nearest a(chi) (shells bounded at the midpoints in chi between the snapshots' distances),
// so each place on the lightcone is filled exactly once. Halo positions and velocities are
// those of that snapshot (not interpolated to a(chi)); with outputs every dz ~ 0.1 the halos'
// motion between outputs (~1 Mpc/h) is below the mesh scale of the runs that made them.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "surveys/mocks/hod.hpp"

namespace cosmograd::surveys {

/// The halos of one snapshot.
struct SnapshotHalos {
  double a = 1;                ///< scale factor of the snapshot, in (0, 1]
  std::vector<HodHalo> halos;  ///< positions in [0, box) [Mpc/h]
};

/// Where the lightcone is and how far it reaches.
/// The most halo copies a lightcone may hold (about 10 GB); more is refused before allocating.
inline constexpr double kMaxLightconeHalos = 5e7;

struct LightconeHaloOptions {
  std::array<double, 3> observer{};  ///< observer in box coordinates [Mpc/h]
  double z_min = 0.0;                ///< nearest redshift kept, >= 0
  double z_max = 1.0;                ///< farthest redshift kept, > z_min
  double half_angle_deg = 180.0;     ///< cone about the +z axis [deg]; 180 = full sky
  /// Shuffle each replica (a shift in whole cells of L / cells and an axis permutation, drawn
  /// from `seed` and the replica) as the run's flat-sky lightcone does (sim::LightconeSpec:
  /// cells 16, seed = the run's seed), so that galaxies sit in the structures of its maps.
  bool shuffle = false;
  int cells = 16;          ///< shuffle shifts in units of L / cells
  std::uint64_t seed = 0;  ///< shuffle seed (the run's seed)
};

/// A halo copy on the lightcone; `halo` holds its observer-frame position (observer at 0) and
/// a unique id (replica, snapshot, halo index), and `halo.a` its own scale factor a(chi).
struct LightconeHalo {
  HodHalo halo;                  ///< observer-frame position [Mpc/h], velocity [km/s]
  int snapshot = 0;              ///< index of the snapshot it comes from
  std::int64_t source_id = 0;    ///< HodHalo::id in that snapshot
  std::array<int, 3> replica{};  ///< box copy n
  double chi = 0;                ///< comoving distance [Mpc/h]
  double redshift = 0;           ///< cosmological redshift 1/a(chi) - 1
};

/// Scale factor as a function of comoving distance: chi(a) tabulated on 4096 points in ln a
/// between a_min and 1 and inverted by monotone interpolation (relative error < 1e-7).
class ScaleFactorOfChi {
 public:
  /// The table for `cosmo` down to a_min in (0, 1).
  ScaleFactorOfChi(const sim::Cosmology& cosmo, double a_min);
  /// a(chi) for 0 <= chi <= chi(a_min) [Mpc/h]; throws std::invalid_argument outside.
  double operator()(double chi) const;

 private:
  std::vector<double> chi_, ln_a_;
};

/// The halos on the lightcone: every replica copy within [chi(z_min), chi(z_max)] and inside
/// the cone, each taken from its nearest snapshot. Throws std::invalid_argument naming the
/// field for a bad option, an empty snapshot list or snapshots with equal scale factors.
std::vector<LightconeHalo> lightcone_halos(const std::vector<SnapshotHalos>& snapshots,
                                           double box_size, const sim::Cosmology& cosmo,
                                           const LightconeHaloOptions& options);

/// Right ascension and declination [deg] of an observer-frame position (RA = atan2(y, x) in
/// [0, 360), Dec = asin(z / |r|)), the lightcone catalogue's convention.
std::array<double, 2> ra_dec_deg(const std::array<double, 3>& r);

}  // namespace cosmograd::surveys
