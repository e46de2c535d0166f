// HEALPix onion shells by ray-marching a density mesh: the particles in each pixel and shell,
// integrated along the pixel's central ray through the periodic box, on mesh levels whose cells
// grow with distance like the pixels (a pyramid of [1 2 1]-smoothed, 2x coarser meshes). This
// is the snapshot-based construction of BornRaytrace / UFalcon (Sgier et al. 2019) evaluated
// at the run's own steps: its cost is pixels x samples per ray, independent of the number of
// box replicas the lightcone spans, where a per-particle deposit costs one crossing per
// particle and replica. Forward and vjp side by side.
#pragma once

#include <array>
#include <vector>

#include "sim/sky/sky_map.hpp"

namespace cosmograd::sim {

/// Number densities on periodic meshes of a box: level 0 holds the mesh it was built from
/// (point i at i L / n), level l + 1 the [1 2 1] / 4 per axis smoothing of level l sampled at
/// its even points (2x coarser, still centred on the points i L / n_l).
struct DensityPyramid {
  double box = 0;                       ///< box side [Mpc/h]
  std::vector<int> n;                   ///< points per side of each level
  std::vector<std::vector<float>> rho;  ///< per level, rho[(i n + j) n + k] [particles/(Mpc/h)^3]

  /// Levels from `counts` (particles per cell of an n^3 mesh, compact row-major) down to
  /// cells no coarser than max_cell [Mpc/h] and no fewer than 4 points per side.
  static DensityPyramid from_counts(const std::vector<double>& counts, int n, double box,
                                    double max_cell);
  /// Cell side of `level` [Mpc/h].
  double cell(int level) const { return box / n[level]; }
  /// The transpose of the levels' construction: level-0 cotangent of per-level cotangents
  /// `cot` (consumed), as dJ/d(counts) [per particle].
  std::vector<double> counts_vjp(std::vector<std::vector<double>> cot) const;
};

/// How the rays sample a shell: a step of max(cell of level 0, step_factor x pixel size x chi)
/// on the finest level whose cell is not larger than the step.
struct RaymarchOptions {
  double step_factor = 1.0;  ///< ray step over the pixel's transverse size [dimensionless]
  int part = 0;              ///< march only the pixel blocks b with b % parts == part
  int parts = 1;             ///< (MPI ranks share the pixels)
};

/// Adds to shells[s] (HEALPix, RING, one per shell between `edges` [Mpc/h]) the particles
/// of `pyr` whose distance from `observer` [Mpc/h] lies in [chi_lo, chi_hi): per pixel,
/// sum over ray samples of rho(x) (chi_1^3 - chi_0^3) / 3 x 4 pi / npix. Parallel over
/// pixels, each summed in a fixed order (the same bits for any thread count). Returns the
/// number of samples.
std::size_t raymarch_healpix_shells(const DensityPyramid& pyr,
                                    const std::array<double, 3>& observer,
                                    const std::vector<double>& edges, double chi_lo, double chi_hi,
                                    const RaymarchOptions& options,
                                    std::vector<HealpixMap>& shells);

/// The vjp of raymarch_healpix_shells() with respect to the pyramid: adds dJ/d rho of every
/// level to `cot` (shaped like pyr.rho) given dJ/d(shell maps) `shells_cot`.
void raymarch_healpix_shells_vjp(const DensityPyramid& pyr, const std::array<double, 3>& observer,
                                 const std::vector<double>& edges, double chi_lo, double chi_hi,
                                 const RaymarchOptions& options,
                                 const std::vector<HealpixMap>& shells_cot,
                                 std::vector<std::vector<double>>& cot);

}  // namespace cosmograd::sim
