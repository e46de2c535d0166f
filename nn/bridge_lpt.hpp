// Lagrangian perturbation theory (sim/pm/lpt.hpp) as a LibTorch autograd op: white noise and
// cosmological parameters -> 1LPT/2LPT displacements and momenta at a chosen scale factor, with
// gradients by the engine's hand-written lpt_vjp. The input of the emulators (nn/emulator.hpp).
#pragma once

#include <torch/types.h>

#include "sim/pm/sim_spec.hpp"

namespace cosmograd::nn {

/// The LPT particles of `config` (box_size, particles, lpt_order, transfer, threads) at scale
/// factor `a`, with config.cosmology's Omega_m, Omega_b, h, n_s, sigma8, w0, wa replaced by
/// `cosmo_params` ((7,) float64, CosmoParam order). `white_noise`: (N, N, N) real-space unit
/// white noise, N = config.particles, float32 or float64. Returns an (N^3, 6) tensor of
/// white_noise's dtype, row j = (ix N + iy) N + iz: displacement from the lattice [Mpc/h] and
/// momentum p = a^2 dx/dt / H0 [Mpc/h] (sim/core/units.hpp), the same layout as
/// simulate_particles(). Differentiable in white_noise and cosmo_params (sim::lpt_vjp). CPU.
torch::Tensor lpt_particles(const sim::SimSpec& config, const torch::Tensor& white_noise,
                            const torch::Tensor& cosmo_params, double a);

/// The (7,) float64 cosmo_params tensor of `params` (CosmoParam order).
torch::Tensor cosmo_params_tensor(const sim::CosmologyParams& params);

}  // namespace cosmograd::nn
