// Maximum a posteriori reconstruction of the initial white noise: L-BFGS (LBFGSpp, Nocedal &
// Wright 2006, alg. 7.5) or Adam (Kingma & Ba 2015) on -ln p(w | d) through the adjoint, with
// optional annealing of the likelihood's smoothing scale from coarse to fine (Modi et al. 2018,
// the baseline of CosmicRIM, Modi et al. 2021).
#pragma once

#include <string>
#include <vector>

#include "inference/posterior.hpp"

namespace cosmograd::inference {

/// The optimiser of a MAP reconstruction.
enum class MapMethod { lbfgs, adam };

/// "lbfgs" or "adam".
const char* map_method_name(MapMethod m);

/// How map_estimate runs.
struct MapOptions {
  MapMethod method = MapMethod::lbfgs;  ///< optimiser
  int iterations = 100;                 ///< iterations in all (split evenly over the stages)
  double learning_rate = 0.1;           ///< Adam step size (in white-noise units)
  std::vector<double> anneal;  ///< likelihood smoothing radii [Mpc/h], one stage each, coarse to
                               ///< fine (empty: one stage without smoothing)
  bool verbose = false;        ///< print each iteration's loss (stderr)
};

/// One evaluation of -ln p and its gradient (Adam: one per iteration; L-BFGS: one or more per
/// iteration, its line search).
struct MapStep {
  int evaluation = 0;    ///< 1-based, over all stages
  double smoothing = 0;  ///< the stage's smoothing radius [Mpc/h]
  double loss = 0;       ///< -ln p at the evaluated point (with the stage's smoothing)
  double seconds = 0;    ///< wall time since the start [s]
};

/// What map_estimate found.
struct MapResult {
  std::vector<double> x;       ///< the estimate (white noise, then free parameters)
  std::vector<MapStep> trace;  ///< one entry per evaluation
  int iterations = 0;      ///< optimiser iterations done (L-BFGS: an upper bound after restarts)
  int lbfgs_restarts = 0;  ///< L-BFGS restarts after a failed line search
  double seconds = 0;      ///< wall time [s]
};

/// Minimises posterior.evaluate() from x0 with `options`; an L-BFGS stage whose line search
/// fails restarts from the best point it saw (see map_estimate.cpp). Throws std::invalid_argument
/// for iterations < 1, a learning rate <= 0 or a negative smoothing radius.
MapResult map_estimate(Posterior& posterior, std::vector<double> x0, const MapOptions& options);

}  // namespace cosmograd::inference
