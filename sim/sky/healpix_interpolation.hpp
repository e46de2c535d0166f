// Bilinear interpolation weights on a HEALPix map (RING scheme) with their derivatives: the
// four pixels whose centres surround a direction on the two rings above and below it, linear
// in phi along each ring and in theta between the rings (HEALPix's get_interpol, Gorski et al.
// 2005, with its treatment of the poles). Depositing a mass with these weights conserves it
// and is differentiable in the direction, which the lightcone's reverse pass needs.
#pragma once

#include <array>

namespace cosmograd::sim {

/// The four pixels (RING indices) and weights of a direction, with d(weight)/d(theta) and
/// d(weight)/d(phi) [1/rad]. The weights sum to 1; a pixel may appear twice near the poles.
struct HealpixBilinear {
  std::array<int, 4> pixel{};       ///< RING pixel indices
  std::array<double, 4> weight{};   ///< interpolation weights
  std::array<double, 4> d_theta{};  ///< d(weight)/d(theta)
  std::array<double, 4> d_phi{};    ///< d(weight)/d(phi)
};

/// Weights of direction (theta, phi) [rad] (0 <= theta <= pi, any phi) on a map of `nside`
/// (a power of 2); the same pixels and weights as healpix_cxx's get_interpol.
HealpixBilinear healpix_bilinear(int nside, double theta, double phi);

}  // namespace cosmograd::sim
