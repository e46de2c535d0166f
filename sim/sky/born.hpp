// Born convergence from the lightcone's onion shells (e.g. Fosalba et al. 2008, eq. 8;
// Bartelmann & Schneider 2001, eq. 6.21): kappa(theta) = sum_s w_s delta_s(theta), with
// delta_s = (particles in the pixel) / (mean particles in the pixel) - 1 the shell's
// overdensity and w_s = int_shell dchi (3/2) Omega_m (H0/c)^2 f_K(chi) g(chi) / a(chi) the
// lensing kernel integrated over the shell (g: the sources' lensing efficiency). Forward and
// vjp side by side; the weights' derivatives with respect to the cosmology come from duals.
#pragma once

#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/sky/sky_map.hpp"
#include "sim/sky/source_redshifts.hpp"

namespace cosmograd::sim {

/// Born weights w_s of the shells between `edges` [Mpc/h] for sources n: the kernel integrated
/// over each shell by 8-point Gauss-Legendre quadrature [dimensionless]. S = double or
/// CosmoDual (then with their parameter derivatives).
template <class S>
std::vector<S> born_weights(const CosmologyT<S>& c, const SourceDistribution& n,
                            const std::vector<double>& edges);

/// kappa = sum_s w_s (count_s / mean_s - 1) on HEALPix shells; mean_per_sr[s] is the mean
/// number of particles per steradian of shell s (the pixel mean is that times 4 pi / npix).
HealpixMap born_kappa(const std::vector<HealpixMap>& shells, const std::vector<double>& mean_per_sr,
                      const std::vector<double>& weights);
/// kappa on flat shells (each pixel's mean from its solid angle, FlatMap::pixel_solid_angle).
FlatMap born_kappa(const std::vector<FlatMap>& shells, const std::vector<double>& mean_per_sr,
                   const std::vector<double>& weights);
/// The vjp of born_kappa: dJ/d(shell counts) given dJ/dkappa, and, when `weights_cot` is not
/// null, dJ/dw_s = sum_pixels dJ/dkappa delta_s in it.
std::vector<FlatMap> born_kappa_vjp(const FlatMap& kappa_cot, const std::vector<FlatMap>& shells,
                                    const std::vector<double>& mean_per_sr,
                                    const std::vector<double>& weights,
                                    std::vector<double>* weights_cot = nullptr);
/// The vjp of the HEALPix born_kappa, as the flat one.
std::vector<HealpixMap> born_kappa_vjp(const HealpixMap& kappa_cot,
                                       const std::vector<HealpixMap>& shells,
                                       const std::vector<double>& mean_per_sr,
                                       const std::vector<double>& weights,
                                       std::vector<double>* weights_cot = nullptr);

}  // namespace cosmograd::sim
