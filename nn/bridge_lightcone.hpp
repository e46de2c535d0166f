// Born convergence maps of an on-the-fly lightcone as a LibTorch autograd op: white noise and
// cosmological parameters -> kappa maps, backward through the Born weights, the crossings
// and the simulation's reverse-time adjoint (sim/sky/lightcone.hpp, sim/sky/born.hpp).
#pragma once

#include <torch/types.h>

#include <vector>

#include "sim/pm/sim_spec.hpp"
#include "sim/sky/lightcone.hpp"
#include "sim/sky/source_redshifts.hpp"

namespace cosmograd::nn {

/// The Born convergence of sources `src` from the lightcone `lc` of the differentiable PM
/// simulation of `config` (white_noise and cosmo_params as simulate_particles(); a new engine
/// per call). Returns {flat, healpix}: the flat field's kappa, (P, P) float64 with
/// flat[iy][ix] (sim::FlatMap's pixels), or an empty (0,) tensor without a flat field; the
/// HEALPix kappa, (12 nside^2,) float64 in RING order, or (0,) with nside = 0. Both are
/// differentiable in white_noise and cosmo_params (the crossing set held fixed within a step);
/// HEALPix maps need lc.healpix_bilinear (std::invalid_argument otherwise). CPU only.
std::vector<torch::Tensor> simulate_kappa(const sim::SimSpec& config, const sim::LightconeSpec& lc,
                                          const sim::SourceDistribution& src,
                                          const torch::Tensor& white_noise,
                                          const torch::Tensor& cosmo_params);

}  // namespace cosmograd::nn
