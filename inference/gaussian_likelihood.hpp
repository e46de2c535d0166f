// The classical Gaussian likelihood of a summary vector: a mean emulated by a least-squares
// polynomial fitted to simulations, a covariance estimated from fiducial simulations with the
// Hartlap, Simon & Schneider (2007, A&A 464, 399) debiasing of its inverse, and posterior
// sampling under a uniform prior box by the ensemble sampler (Goodman & Weare 2010).
#pragma once

#include <Eigen/Dense>

#include "inference/ensemble_mcmc.hpp"

namespace cosmograd::inference {

/// Mean of a summary vector as a polynomial of total degree <= `degree` in the parameters scaled
/// to [-1, 1] over the prior box [lo, hi] (monomial basis, graded order: 1, x0, x1, ..., x0^2,
/// x0 x1, ...), fitted by least squares (complete orthogonal decomposition) to simulations.
struct PolynomialEmulator {
  int degree = 2;                ///< total degree of the polynomial (>= 0)
  Eigen::VectorXd lo;            ///< lower corner of the prior box used for scaling (parameters)
  Eigen::VectorXd hi;            ///< upper corner of the prior box used for scaling (parameters)
  Eigen::MatrixXd coefficients;  ///< (terms, summary dimension)

  /// The emulated mean summary (summary dimension) at `theta` (parameters; may leave the box).
  Eigen::VectorXd predict(const Eigen::VectorXd& theta) const;

  /// The monomials (terms) of `theta` in the scaled coordinates, in coefficient order.
  Eigen::VectorXd features(const Eigen::VectorXd& theta) const;

  /// Number of monomials of total degree <= `degree` in `parameters` variables, C(p + k, k).
  static int term_count(int parameters, int degree);

  /// Least-squares fit to `theta` (n, p) and `summaries` (n, d); throws std::invalid_argument when
  /// n < number of terms (saying how many are needed), on a bad box or shape, non-finite input
  /// or a rank-deficient design.
  static PolynomialEmulator fit(const Eigen::MatrixXd& theta, const Eigen::MatrixXd& summaries,
                                int degree, const Eigen::VectorXd& lo, const Eigen::VectorXd& hi);
};

/// The Hartlap, Simon & Schneider (2007, A&A 464, 399, eq. 17) factor (n - d - 2)/(n - 1) that
/// debiases the inverse of a covariance estimated from n simulations of a d-vector; throws
/// std::invalid_argument unless d >= 1 and n > d + 2.
double hartlap_factor(int simulations, int dimension);

/// A Gaussian likelihood of a summary vector with an emulated mean and a fixed covariance.
struct GaussianLikelihood {
  PolynomialEmulator mean;        ///< mu(theta)
  Eigen::MatrixXd covariance;     ///< sample covariance of the fiducial simulations (d, d)
  Eigen::MatrixXd precision;      ///< hartlap * covariance^{-1} (d, d)
  double hartlap = 1;             ///< the factor applied (Hartlap et al. 2007)
  double log_det_covariance = 0;  ///< natural log of det `covariance`

  /// ln L(data | theta) = -1/2 r^T precision r - 1/2 log det C - d/2 ln 2 pi with
  /// r = data - mu(theta).
  double log_likelihood(const Eigen::VectorXd& data, const Eigen::VectorXd& theta) const;
};

/// Fits the mean (polynomial of `degree` over the box [lo, hi]) on `theta` (n, p) and
/// `summaries` (n, d) of the design simulations and the covariance on the `fiducial` simulations
/// (m, d; m > d + 2). Throws std::invalid_argument on bad shapes or a covariance that is not
/// positive definite.
GaussianLikelihood fit_gaussian_likelihood(const Eigen::MatrixXd& theta,
                                           const Eigen::MatrixXd& summaries,
                                           const Eigen::MatrixXd& fiducial, int degree,
                                           const Eigen::VectorXd& lo, const Eigen::VectorXd& hi);

/// Posterior samples of theta under a uniform prior on [like.mean.lo, like.mean.hi] with this
/// likelihood, by sample_ensemble (walkers started in a ball of 1e-3 of the box width around the
/// best of 256 prior draws, or around `start` when it is not empty, reflected into the box).
EnsembleResult sample_gaussian_posterior(const GaussianLikelihood& like,
                                         const Eigen::VectorXd& data,
                                         const EnsembleOptions& options,
                                         const Eigen::VectorXd& start = Eigen::VectorXd());

}  // namespace cosmograd::inference
