// The affine-invariant ensemble sampler: the stretch move of Goodman & Weare (2010, Comm. App.
// Math. Comp. Sci. 5, 65), in the parallel red-blue form of emcee (Foreman-Mackey et al. 2013,
// PASP 125, 306), with the integrated autocorrelation time of Goodman & Weare (2010)
// and Sokal's automatic window (Sokal 1997, "Monte Carlo Methods in Statistical Mechanics").
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace cosmograd::inference {

/// How sample_ensemble runs.
struct EnsembleOptions {
  int walkers = 32;        ///< ensemble size (even, >= 2 x dimension)
  int steps = 2000;        ///< iterations of the whole ensemble (>= 1)
  int burn_in = 500;       ///< iterations discarded at the start (0 <= burn_in < steps)
  int thin = 1;            ///< keep every thin-th iteration after burn-in (>= 1)
  double stretch = 2.0;    ///< the stretch-move scale a > 1 (z ~ g(z) ∝ 1/sqrt(z) on [1/a, a])
  std::uint64_t seed = 1;  ///< random seed (a fixed seed gives bit-identical results)
};

/// What sample_ensemble returns.
struct EnsembleResult {
  /// (kept iterations x walkers, dimension), iteration-major: row t * walkers + k is walker k at
  /// the t-th kept iteration.
  Eigen::MatrixXd samples;
  Eigen::VectorXd log_prob;  ///< log density of each sample (the rows of `samples`)
  double acceptance = 0;     ///< mean acceptance fraction over all proposals (burn-in included)
  /// Integrated autocorrelation time per parameter [iterations] of the kept chain (Goodman &
  /// Weare 2010 / emcee's estimator on the walker-averaged chain, Sokal's automatic window
  /// c = 5); NaN where the kept chain is shorter than 2 iterations or does not move.
  std::vector<double> autocorrelation_time;
};

/// The log density a sampler explores: returns -inf outside the support.
using LogDensity = std::function<double(const Eigen::VectorXd&)>;

/// Samples exp(log_prob) from `initial` (walkers x dimension; every row must have a finite
/// log_prob) by the stretch move on two halves of the ensemble, each moved with the other half's
/// current positions. Throws std::invalid_argument on bad options or initial positions and
/// std::runtime_error when log_prob returns NaN or +inf.
EnsembleResult sample_ensemble(const LogDensity& log_prob, const Eigen::MatrixXd& initial,
                               const EnsembleOptions& options);

/// Throws std::invalid_argument naming the field unless `options` suit an ensemble in
/// `dimension` parameters (walkers even and >= 2 x dimension, 0 <= burn_in < steps, thin >= 1,
/// stretch > 1).
void check_ensemble_options(const EnsembleOptions& options, int dimension);

/// A uniform draw on [0, 1): (x >> 11) 2^-53 of the next 64-bit output (the same on every
/// standard library, unlike std::uniform_real_distribution).
double uniform01(std::mt19937_64& rng);

/// A standard normal draw by Box-Muller (Box & Muller 1958, Ann. Math. Stat. 29, 610) from two
/// uniform01 draws (the cosine branch only).
double standard_normal(std::mt19937_64& rng);

/// `walkers` points (walkers x dimension) drawn from the Gaussian ball centre + scale .* N(0, 1).
Eigen::MatrixXd initial_ball(const Eigen::VectorXd& centre, const Eigen::VectorXd& scale,
                             int walkers, std::uint64_t seed);

/// The integrated autocorrelation time [samples] of `chain` (iterations x parameters) per
/// parameter, tau = 1 + 2 sum_{t=1}^{M} rho(t) with the smallest window M >= c tau(M) (Sokal's
/// automatic window); NaN for a column shorter than 2 or of zero variance.
std::vector<double> integrated_autocorrelation_time(const Eigen::MatrixXd& chain, double c = 5.0);

}  // namespace cosmograd::inference
