// Fitting an LDL model (Dai & Seljak 2021) to target fields with L-BFGS (LBFGSpp, Nocedal &
// Wright 2006, alg. 7.5) on the loss of sim/baryons/ldl.hpp, its gradient through the engine's
// vjps. Built when Eigen and LBFGSpp are found (COSMOGRAD_HAVE_LBFGSPP).
#pragma once

#include <vector>

#include "sim/baryons/ldl.hpp"

namespace cosmograd::sim {

/// How fit_ldl runs.
struct LdlFitOptions {
  LdlLoss loss;             ///< what is minimised
  int max_iterations = 60;  ///< L-BFGS iterations, >= 1
  int threads = 1;          ///< threads of the FFTs, paints and readouts
  bool verbose = false;     ///< print the loss after every evaluation (stderr)
};

/// What fit_ldl found.
struct LdlFitResult {
  LdlModel model;           ///< the best parameters seen
  double initial_loss = 0;  ///< mean loss over the boxes at the starting point
  double final_loss = 0;    ///< mean loss at `model`
  int iterations = 0;       ///< L-BFGS iterations done (-1 when a failed line search ended it)
  int evaluations = 0;      ///< loss-and-gradient evaluations
  double seconds = 0;       ///< wall time [s]
};

/// A starting point for fit_ldl: `layers` displacement layers with gamma = 1, n = -2 (a
/// gravity-like filter), k_l = the fundamental mode, k_h = half the mesh Nyquist and alpha the
/// best of a small scan (moves of 0 to 0.3 cells, either sign) on the first box; the output
/// layer (when `output`) from a least-squares fit of the targets against the dark-matter
/// density (linear, and a power law in log space; the better of the two).
LdlModel ldl_initial_model(int mesh, int layers, bool output,
                           const std::vector<Particles<double>>& boxes,
                           const std::vector<Field<double>>& targets, const LdlFitOptions& options);

/// Minimises the mean LDL loss over the (particles, target) pairs from `start` with L-BFGS in
/// the variables (alpha, gamma, ln k_l, ln k_h, n, b1, b0, mu); keeps the best point seen
/// (also when a line search fails). Throws std::invalid_argument on mismatched inputs.
LdlFitResult fit_ldl(const LdlModel& start, const std::vector<Particles<double>>& boxes,
                     const std::vector<Field<double>>& targets, const LdlFitOptions& options);

}  // namespace cosmograd::sim
