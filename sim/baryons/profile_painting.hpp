// Painting spherically symmetric profiles (halo gas, pressure, HI) onto a periodic mesh so
// that each cell receives the integral of the profile over its volume, with the halo's total
// made exact by rescaling to the analytic radial integral.
#pragma once

#include <array>
#include <functional>

#include "sim/mesh/field.hpp"

namespace cosmograd::sim {

/// A spherically symmetric profile: quantity per comoving (Mpc/h)^3 at comoving radius
/// r > 0 [Mpc/h]; called concurrently from several threads, so it must be pure.
using RadialProfile = std::function<double(double)>;

/// How paint_profile integrates a profile over cells.
struct ProfilePaintOptions {
  int min_subsamples = 4;        ///< sub-samples per axis in every cell reached, >= 1
  int max_subsamples = 16;       ///< cap on sub-samples per axis, in [min_subsamples, 256]
  double samples_per_scale = 4;  ///< near the centre: sub-samples per profile scale radius, > 0
  double near_scales = 3;        ///< cells nearer than this many scale radii are "near", >= 0

  /// Throws std::invalid_argument naming the field, its value and the allowed range.
  void validate() const;
  /// Sub-samples per axis for a cell of side `cell` whose nearest point lies `distance` from
  /// the centre of a profile with scale radius `scale` (all comoving Mpc/h).
  int subsamples(double cell, double distance, double scale) const;
};

/// Adds a profile f centred at `centre` [Mpc/h] (any real value; the box is periodic with side
/// box_size [Mpc/h]) and truncated at r_max [Mpc/h] to `mesh`: cell (i, j, k) spans
/// [(i - 1/2) L/n, (i + 1/2) L/n) around its mesh point x = i L/n and receives the sub-sampled
/// integral of f over its volume (midpoint rule; sub-samples within half a sub-cell of the
/// centre are evaluated at that distance, which keeps cusps finite), counted once per periodic
/// image of the centre within r_max, so r_max may exceed half the box. The halo's painted
/// total is then rescaled to spherical_integral(f, r_max); a profile so small that no
/// sub-sample falls inside r_max puts that total into the cell of the mesh point nearest the
/// centre. `r_scale` [Mpc/h] > 0 is the profile's inner scale (sets the sub-sampling).
/// Deposits into this rank's planes only (on a distributed decomposition every rank paints
/// the same halos). The result is the integrated quantity per cell (f x (Mpc/h)^3),
/// independent of the thread count (OpenMP over the cells of the halo). Returns the halo's
/// total over the whole box, spherical_integral(f, r_max). Work and memory grow as
/// (2 r_max / cell)^3 cells (x sub-samples^3 evaluations of f).
double paint_profile(Field<double>& mesh, double box_size, const std::array<double, 3>& centre,
                     double r_max, double r_scale, const RadialProfile& f,
                     const ProfilePaintOptions& options = {});

}  // namespace cosmograd::sim
