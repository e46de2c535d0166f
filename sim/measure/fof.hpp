// Friends-of-friends halo finding on a periodic box (Davis, Efstathiou, Frenk & White 1985,
// ApJ 292, 371): particles closer than the linking length b * (L^3 / N)^(1/3) are friends,
// and halos are the connected components with at least min_members particles.
//
// Parallel (OpenMP) with a cell list (cells >= the linking length) and a lock-free
// union-find with path halving; the groups, their order (member count descending, ties by
// the smallest particle id) and every halo property are independent of the thread count.
// Spherical-overdensity masses M200m / M200c are measured around each group's density peak,
// found with the shrinking-sphere method (Power et al. 2003, MNRAS 338, 14), not around the
// FoF centre of mass (which lies in a sparse place for small or irregular groups).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/mesh/particles.hpp"

namespace cosmograd::sim {

/// How find_halos links particles.
struct FofOptions {
  double linking_length = 0.2;  ///< b, in units of the mean interparticle separation, in (0, 1]
  int min_members = 20;         ///< smallest group kept as a halo, >= 2

  /// Throws std::invalid_argument naming the field, its value and the allowed range.
  void validate() const;
};

/// FoF groups as particle indices: group g holds members[offsets[g] .. offsets[g + 1]),
/// sorted by particle id ascending; groups ordered by size descending, then smallest id.
struct FofGroups {
  std::vector<std::size_t> offsets{0};  ///< group boundaries into members, size() + 1 entries
  std::vector<std::size_t> members;     ///< particle indices (into the input arrays)

  /// Number of groups.
  std::size_t size() const { return offsets.size() - 1; }
};

/// Friends-of-friends groups (Davis et al. 1985) of n = ids.size() particles at positions
/// `pos` (3 per particle, comoving [Mpc/h], any real value: wrapped into [0, L)) in a
/// periodic box of side box_size [Mpc/h]; pairs closer than `link` [Mpc/h] (absolute) are
/// friends; groups with fewer than min_members particles are dropped. T = float or double.
template <class T>
FofGroups fof_groups(const std::vector<T>& pos, const std::vector<std::uint64_t>& ids,
                     double box_size, double link, int min_members);

/// One FoF halo with its spherical-overdensity masses.
struct Halo {
  std::uint64_t num_members = 0;   ///< FoF member count
  double mass = 0;                 ///< FoF mass = members x particle mass [Msun/h]
  std::array<double, 3> pos{};     ///< centre of mass, periodic, in [0, L) [Mpc/h comoving]
  std::array<double, 3> vel{};     ///< mean peculiar velocity v = 100 p / a [km/s]
  double vel_disp = 0;             ///< 1-D velocity dispersion sqrt(<|v - <v>|^2> / 3) [km/s]
  double radius = 0;               ///< distance of the farthest member from pos [Mpc/h]
  std::array<double, 3> so_pos{};  ///< SO centre: shrinking-sphere density peak, in [0, L) [Mpc/h]
  /// SO masses and radii (all particles, members or not, around so_pos); 0 when no sphere
  /// around so_pos reaches the mean density 200 rho_m (resp. 200 rho_crit(a)).
  double m200m = 0;            ///< mass within r200m, mean density 200 rho_m [Msun/h]
  double r200m = 0;            ///< radius enclosing 200 rho_m (comoving) [Mpc/h]
  double m200c = 0;            ///< mass within r200c, mean density 200 rho_crit(a) [Msun/h]
  double r200c = 0;            ///< radius enclosing 200 rho_crit(a) (comoving) [Mpc/h]
  std::uint64_t first_id = 0;  ///< smallest member particle id
};

/// A halo catalogue: halos in FoF order and their member ids.
struct HaloCatalog {
  SnapshotHeader header;               ///< box [Mpc/h], a, cosmology, particle mass [1e10 Msun/h]
  double linking_length = 0.2;         ///< b used (mean interparticle separations)
  int min_members = 20;                ///< smallest halo kept
  std::vector<Halo> halos;             ///< by member count descending, ties by smallest id
  std::vector<std::uint64_t> offsets;  ///< halo g's ids are ids[offsets[g] .. + num_members)
  std::vector<std::uint64_t> ids;      ///< member particle ids, ascending within each halo

  /// Number of halos.
  std::size_t size() const { return halos.size(); }
};

/// Comoving density that encloses `delta` x the mean matter density (delta rho_crit0
/// Omega_m) [(Msun/h) / (Mpc/h)^3].
double mean_overdensity_density(double delta, double Omega_m);
/// Comoving density that encloses `delta` x the critical density at a: the physical
/// rho_crit(a) = rho_crit0 E(a)^2 times a^3, i.e. delta rho_crit0 E(a)^2 a^3
/// [(Msun/h) / (Mpc/h)^3].
double critical_overdensity_density(double delta, const Cosmology& cosmo, double a);

/// The cosmology of a snapshot header: `base` (n_s, sigma8, Omega_b, ...) with Omega_m and h
/// from the header and Omega_k = 1 - Omega0 - OmegaLambda (0 for flat LCDM); a header with
/// every parameter (header.has_cosmology, cosmograd's snapshots) gives its own. Throws
/// std::invalid_argument (naming the field) when the result is not a valid cosmology.
CosmologyParams cosmology_from_header(const SnapshotHeader& header,
                                      const CosmologyParams& base = planck2015());

/// FoF halos (Davis et al. 1985) with their properties (see Halo) from n particles:
/// positions `pos` [Mpc/h] and momenta `mom` (p = a^2 dx/dt / H0 [Mpc/h], sim/core/units.hpp),
/// 3 per particle, and ids. `header` supplies box_size, a, Omega_m, Omega_lambda and
/// particle_mass [1e10 Msun/h]. Throws std::invalid_argument on a bad option, header value
/// or array size.
template <class T>
HaloCatalog find_halos(const std::vector<T>& pos, const std::vector<T>& mom,
                       const std::vector<std::uint64_t>& ids, const SnapshotHeader& header,
                       const FofOptions& options = {});

/// FoF halos of a snapshot read with read_snapshot (ids as stored in the file).
template <class T>
HaloCatalog find_halos(const SnapshotData<T>& snap, const FofOptions& options = {});

/// FoF halos of engine particles; ids are lattice index + 1, as write_snapshot stores them.
/// header.box_size must equal p.box_size.
template <class T>
HaloCatalog find_halos(const Particles<T>& p, const SnapshotHeader& header,
                       const FofOptions& options = {});

}  // namespace cosmograd::sim
