// The Recurrent Inference Machine for initial conditions (Putzky & Welling 2017; CosmicRIM,
// Modi et al. 2021): from x_0 = 0, T updates x_{t+1} = x_t + net(x_t, g_t, state),
// g_t the gradient of ln p(x_t | d) from the engine's adjoint, preconditioned by Adam's moment
// estimates. The posterior enters LibTorch's graph as an autograd op (negative_log_posterior);
// training on simulations drawn from the prior minimises sum_t mean (x_t - w_true)^2.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inference/posterior.hpp"
#include "nn/rim_net.hpp"

namespace cosmograd::inference {

/// -ln p(x | d) of `posterior` as a differentiable scalar (float64) of x (the posterior's
/// variables as a float64 CPU tensor of any shape with dimension() elements); its backward
/// runs the engine's adjoint. `smoothing`: likelihood smoothing radius [Mpc/h].
torch::Tensor negative_log_posterior(Posterior& posterior, const torch::Tensor& x,
                                     double smoothing = 0);

/// How the RIM iterates.
struct RimOptions {
  int iterations = 10;   ///< T, the updates
  double beta1 = 0.9;    ///< Adam's first-moment decay of the gradient preconditioner
  double beta2 = 0.999;  ///< Adam's second-moment decay
  double eps = 1e-8;     ///< Adam's epsilon
};

/// The T estimates x_1 .. x_T ([1, 1, n, n, n] float32, n = particles; with a graph to the
/// network's parameters when gradients are enabled) of the white noise of posterior's data.
/// The posterior must have no free cosmological parameters.
std::vector<torch::Tensor> rim_iterate(nn::RimNet& net, Posterior& posterior,
                                       const RimOptions& options);

/// How train_rim runs.
struct RimTrainOptions {
  RimOptions rim;                 ///< the iterations
  int64_t steps = 500;            ///< optimiser steps, one simulation each
  double learning_rate = 1e-3;    ///< Adam's learning rate (cosine decay to 1/10 of it)
  uint64_t seed = 1;              ///< seeds of the prior draws, data noise and weights
  int64_t log_every = 10;         ///< progress line every this many steps (0: never)
  std::string checkpoint_path;    ///< resumable training state ("" : none)
  int64_t checkpoint_every = 50;  ///< checkpoint period in steps
};

/// What train_rim did.
struct RimTrainResult {
  int64_t steps = 0;           ///< steps done (including those before a resume)
  std::vector<double> losses;  ///< sum_t mean (x_t - w)^2 of each step of this call
  double seconds = 0;          ///< wall time of this call [s]
};

/// Trains `net` on simulations of `spec` drawn from the prior (white noise of seed `seed` and
/// the step) seen through `model` (noise drawn per step), one simulation per step.
RimTrainResult train_rim(nn::RimNet& net, const sim::SimSpec& spec, const DataModel& model,
                         const RimTrainOptions& options);

}  // namespace cosmograd::inference
