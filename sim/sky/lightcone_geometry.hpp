// The geometry of an on-the-fly lightcone: the observer, the periodic replicas of the box
// that the past lightcone reaches, chaining cells that cull particles far from the lightcone,
// and the crossing of one particle during one drift (FastPM, Feng et al. 2016, §2.4: the
// position is interpolated along the drift with the drift factor, and the crossing is where
// the distance to the observer equals the comoving distance chi(a) of the lightcone).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/cosmo/cosmology.hpp"

namespace cosmograd::sim {

/// chi along one drift a0 -> a1 as a function of the drift fraction u = [D1(a) - D1(a0)] /
/// [D1(a1) - D1(a0)] (a particle is at x(a0) + u D p during the drift): the cubic Hermite
/// polynomial through chi and dchi/du at both ends [Mpc/h]. S = double or CosmoDual.
template <class S>
struct DriftChi {
  S chi0 = 0, chi1 = 0;      ///< chi(a0), chi(a1) [Mpc/h]
  S slope0 = 0, slope1 = 0;  ///< dchi/du at u = 0 and u = 1 [Mpc/h]
  /// The four Hermite basis functions h00, h10, h01, h11 at u (coefficients of chi0, slope0,
  /// chi1, slope1).
  static std::array<double, 4> basis(double u) {
    const double u2 = u * u, u3 = u2 * u;
    return {2 * u3 - 3 * u2 + 1, u3 - 2 * u2 + u, -2 * u3 + 3 * u2, u3 - u2};
  }
  /// d/du of the basis functions.
  static std::array<double, 4> basis_derivative(double u) {
    const double u2 = u * u;
    return {6 * u2 - 6 * u, 3 * u2 - 4 * u + 1, -6 * u2 + 6 * u, 3 * u2 - 2 * u};
  }
  /// chi(u) [Mpc/h].
  S operator()(double u) const {
    const auto h = basis(u);
    return chi0 * h[0] + slope0 * h[1] + chi1 * h[2] + slope1 * h[3];
  }
  /// dchi/du at u [Mpc/h].
  S derivative(double u) const {
    const auto h = basis_derivative(u);
    return chi0 * h[0] + slope0 * h[1] + chi1 * h[2] + slope1 * h[3];
  }
};

/// DriftChi of the drift a0 -> a1 for cosmology c: dchi/du = (dchi/da) / (du/da) with
/// dchi/da = -(c/H0) / (a^2 E(a)) and du/da = (f1 D1 / a) / [D1(a1) - D1(a0)].
template <class S>
DriftChi<S> drift_chi(const CosmologyT<S>& c, double a0, double a1);
/// The scale factor along the drift a0 -> a1 as a cubic Hermite polynomial in u (the same
/// form as DriftChi, its "chi" members holding a): a at both ends and da/du = 1 / (du/da).
DriftChi<double> drift_scale_factor(const Cosmology& c, double a0, double a1);

/// One periodic copy of the box on the lightcone. A particle at x in [0, L)^3 sits at
/// perm(wrap(x + shift)) + n L - observer in the observer's frame. Full-sky lightcones use the
/// plain replicas (shift 0, identity); flat-sky fields shuffle each replica (a random shift in
/// whole chaining cells and a random permutation of the axes) so that structures do not repeat
/// along the line of sight.
struct Replica {
  std::array<int, 3> n{};            ///< replica index: the copy at n L
  std::array<int, 3> shift{};        ///< periodic shift [chaining cells], 0 <= shift < cells
  std::array<int, 3> perm{0, 1, 2};  ///< axis k of the copy is axis perm[k] of the box
};

/// A cone about the +z axis of the observer's frame: every direction with angle <= half_angle
/// from +z. half_angle >= pi is the full sky.
struct SkyCone {
  double half_angle = 4.0;  ///< [rad]
  /// True for the full sky.
  bool full_sky() const { return half_angle >= 3.14159265358979; }
};

/// Smallest and largest distance [Mpc/h] from the origin to the axis-aligned box lo..hi.
std::array<double, 2> box_distance_range(const std::array<double, 3>& lo,
                                         const std::array<double, 3>& hi);
/// Whether the box lo..hi (observer frame) may intersect `cone` (conservative: it can answer
/// true for a box just outside).
bool box_may_meet_cone(const std::array<double, 3>& lo, const std::array<double, 3>& hi,
                       const SkyCone& cone);

/// Every replica of the box of side L with a point at distance <= chi_max from the observer
/// and inside `cone`, ordered by n; `shuffle` draws each one's shift (in cells of L / cells)
/// and permutation from `seed` and its n (the same on every rank and every run).
std::vector<Replica> lightcone_replicas(double box_size, const std::array<double, 3>& observer,
                                        double chi_max, const SkyCone& cone, bool shuffle,
                                        int cells, std::uint64_t seed);

/// Particles binned by chaining cell of their (wrapped) position: cell (i, j, k) of side
/// L / cells holds start[c] .. start[c + 1] of `order`, c = (i cells + j) cells + k.
struct ChainingCells {
  int cells = 0;                     ///< cells per side
  std::vector<std::uint32_t> start;  ///< cells^3 + 1 offsets into order
  std::vector<std::uint32_t> order;  ///< particle indices, by cell
};

/// The crossing of one trajectory r(u) = q + u v (observer frame, u in [0, 1]) with the
/// lightcone chi(u): |r(u)| = chi(u).
struct Crossing {
  double u = 0;               ///< drift fraction at the crossing
  std::array<double, 3> r{};  ///< position at the crossing, observer frame [Mpc/h]
  double chi = 0;             ///< |r| [Mpc/h]
  double dF_du = 0;           ///< d(|r| - chi)/du at the crossing (> 0) [Mpc/h]
};

/// Whether the trajectory q + u v crosses the lightcone during the drift (|q| < chi(0) and
/// |q + v| >= chi(1): exactly one of consecutive drifts claims a particle) and where: Newton
/// iterations on F(u) = |q + u v| - chi(u) from the linear estimate, to ~1e-12 in u.
bool find_crossing(const std::array<double, 3>& q, const std::array<double, 3>& v,
                   const DriftChi<double>& chi, Crossing& out);

}  // namespace cosmograd::sim
