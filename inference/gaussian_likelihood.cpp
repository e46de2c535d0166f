// The Gaussian summary likelihood (see gaussian_likelihood.hpp): the least-squares polynomial
// mean, the Hartlap et al. (2007, eq. 17) debiased precision, and posterior sampling by the
// ensemble sampler (Goodman & Weare 2010).
#include "inference/gaussian_likelihood.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/settings.hpp"

namespace cosmograd::inference {
namespace {

/// Throws std::invalid_argument naming `what` and the first non-finite entry of `m`.
void require_finite(const Eigen::MatrixXd& m, const std::string& what) {
  for (Eigen::Index c = 0; c < m.cols(); ++c) {
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
      if (!std::isfinite(m(r, c))) {
        throw std::invalid_argument(what + " row " + std::to_string(r) + " column " +
                                    std::to_string(c) + " = " + sim::format_setting(m(r, c)) +
                                    " is not allowed (allowed: finite)");
      }
    }
  }
}

/// Throws std::invalid_argument unless [lo, hi] is a finite box with hi > lo in `p` parameters.
void check_box(const Eigen::VectorXd& lo, const Eigen::VectorXd& hi, Eigen::Index p) {
  if (p < 1 || lo.size() != p || hi.size() != p) {
    throw std::invalid_argument("polynomial emulator box has lo size " + std::to_string(lo.size()) +
                                ", hi size " + std::to_string(hi.size()) +
                                " (allowed: both equal to the parameter count " +
                                std::to_string(p) + " >= 1)");
  }
  for (Eigen::Index i = 0; i < p; ++i) {
    if (!(std::isfinite(lo(i)) && std::isfinite(hi(i)) && hi(i) > lo(i))) {
      throw std::invalid_argument("polynomial emulator box [lo, hi][" + std::to_string(i) +
                                  "] = [" + sim::format_setting(lo(i)) + ", " +
                                  sim::format_setting(hi(i)) +
                                  "] is not allowed (allowed: finite, hi > lo)");
    }
  }
}

/// Reflects `x` into [lo, hi] (a point already inside stays; a small overshoot is mirrored).
double reflect_into(double x, double lo, double hi) {
  for (int pass = 0; pass < 4 && (x < lo || x > hi); ++pass) {
    x = x < lo ? 2.0 * lo - x : 2.0 * hi - x;
  }
  return std::min(hi, std::max(lo, x));
}

}  // namespace

int PolynomialEmulator::term_count(int parameters, int degree) {
  if (parameters < 1 || degree < 0) {
    throw std::invalid_argument("polynomial emulator parameters = " + std::to_string(parameters) +
                                ", degree = " + std::to_string(degree) +
                                " is not allowed (allowed: parameters >= 1, degree >= 0)");
  }
  // C(p + k, k) built as a running product of exact binomials.
  long long terms = 1;
  for (int i = 1; i <= degree; ++i) {
    terms = terms * (parameters + i) / i;
    if (terms > std::numeric_limits<int>::max()) {
      throw std::invalid_argument("polynomial emulator degree = " + std::to_string(degree) +
                                  " in " + std::to_string(parameters) +
                                  " parameters has too many terms (allowed: < 2^31)");
    }
  }
  return static_cast<int>(terms);
}

Eigen::VectorXd PolynomialEmulator::features(const Eigen::VectorXd& theta) const {
  const Eigen::Index p = lo.size();
  if (theta.size() != p) {
    throw std::invalid_argument("polynomial emulator theta has " + std::to_string(theta.size()) +
                                " entries (allowed: the parameter count " + std::to_string(p) +
                                ")");
  }
  // pw(i, k) = x_i^k with x = 2 (theta - lo) / (hi - lo) - 1.
  Eigen::MatrixXd pw(p, degree + 1);
  for (Eigen::Index i = 0; i < p; ++i) {
    const double x = 2.0 * (theta(i) - lo(i)) / (hi(i) - lo(i)) - 1.0;
    pw(i, 0) = 1.0;
    for (int k = 1; k <= degree; ++k) pw(i, k) = pw(i, k - 1) * x;
  }
  Eigen::VectorXd f(term_count(static_cast<int>(p), degree));
  std::vector<int> e(static_cast<std::size_t>(p), 0);
  Eigen::Index term = 0;
  for (int total = 0; total <= degree; ++total) {
    // Exponents of total degree `total` in reverse lexicographic order, from (total, 0, ..., 0)
    // to (0, ..., 0, total).
    std::fill(e.begin(), e.end(), 0);
    e[0] = total;
    while (true) {
      double v = 1.0;
      for (Eigen::Index i = 0; i < p; ++i) v *= pw(i, e[static_cast<std::size_t>(i)]);
      f(term++) = v;
      Eigen::Index i = p - 2;
      while (i >= 0 && e[static_cast<std::size_t>(i)] == 0) --i;
      if (i < 0) break;
      int rest = 0;
      for (Eigen::Index r = i + 1; r < p; ++r) {
        rest += e[static_cast<std::size_t>(r)];
        e[static_cast<std::size_t>(r)] = 0;
      }
      --e[static_cast<std::size_t>(i)];
      e[static_cast<std::size_t>(i + 1)] = rest + 1;
    }
  }
  return f;
}

Eigen::VectorXd PolynomialEmulator::predict(const Eigen::VectorXd& theta) const {
  return coefficients.transpose() * features(theta);
}

PolynomialEmulator PolynomialEmulator::fit(const Eigen::MatrixXd& theta,
                                           const Eigen::MatrixXd& summaries, int degree,
                                           const Eigen::VectorXd& lo, const Eigen::VectorXd& hi) {
  const Eigen::Index p = theta.cols();
  check_box(lo, hi, p);
  const int terms = term_count(static_cast<int>(p), degree);
  if (summaries.rows() != theta.rows() || summaries.cols() < 1) {
    throw std::invalid_argument(
        "polynomial emulator summaries are " + std::to_string(summaries.rows()) + " x " +
        std::to_string(summaries.cols()) + " (allowed: " + std::to_string(theta.rows()) +
        " rows, one per theta row, and " + ">= 1 column)");
  }
  if (theta.rows() < terms) {
    throw std::invalid_argument(
        "polynomial emulator simulations = " + std::to_string(theta.rows()) +
        " are too few for degree " + std::to_string(degree) + " in " + std::to_string(p) +
        " parameters (needed: >= " + std::to_string(terms) + ", the number of terms)");
  }
  require_finite(theta, "polynomial emulator theta");
  require_finite(summaries, "polynomial emulator summaries");

  PolynomialEmulator em;
  em.degree = degree;
  em.lo = lo;
  em.hi = hi;
  Eigen::MatrixXd design(theta.rows(), terms);
  for (Eigen::Index n = 0; n < theta.rows(); ++n) {
    design.row(n) = em.features(theta.row(n).transpose()).transpose();
  }
  const Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod(design);
  if (cod.rank() < terms) {
    throw std::invalid_argument("polynomial emulator design has rank " +
                                std::to_string(cod.rank()) + " < " + std::to_string(terms) +
                                " terms (allowed: full rank; spread the simulations over the box "
                                "or lower the degree)");
  }
  em.coefficients = cod.solve(summaries);
  return em;
}

double hartlap_factor(int simulations, int dimension) {
  if (dimension < 1 || simulations <= dimension + 2) {
    throw std::invalid_argument("hartlap_factor simulations = " + std::to_string(simulations) +
                                ", dimension = " + std::to_string(dimension) +
                                " is not allowed (allowed: dimension >= 1, simulations > "
                                "dimension + 2 = " +
                                std::to_string(dimension + 2) + ")");
  }
  // Hartlap, Simon & Schneider (2007) eq. 17.
  return static_cast<double>(simulations - dimension - 2) / static_cast<double>(simulations - 1);
}

double GaussianLikelihood::log_likelihood(const Eigen::VectorXd& data,
                                          const Eigen::VectorXd& theta) const {
  if (data.size() != precision.rows()) {
    throw std::invalid_argument("gaussian likelihood data has " + std::to_string(data.size()) +
                                " entries (allowed: the summary dimension " +
                                std::to_string(precision.rows()) + ")");
  }
  const Eigen::VectorXd r = data - mean.predict(theta);
  constexpr double log_two_pi = 1.8378770664093454835606594728112;
  return -0.5 * r.dot(precision * r) - 0.5 * log_det_covariance -
         0.5 * static_cast<double>(r.size()) * log_two_pi;
}

GaussianLikelihood fit_gaussian_likelihood(const Eigen::MatrixXd& theta,
                                           const Eigen::MatrixXd& summaries,
                                           const Eigen::MatrixXd& fiducial, int degree,
                                           const Eigen::VectorXd& lo, const Eigen::VectorXd& hi) {
  GaussianLikelihood like;
  like.mean = PolynomialEmulator::fit(theta, summaries, degree, lo, hi);
  const Eigen::Index d = summaries.cols();
  if (fiducial.cols() != d) {
    throw std::invalid_argument(
        "gaussian likelihood fiducial has " + std::to_string(fiducial.cols()) +
        " columns (allowed: the summary dimension " + std::to_string(d) + ")");
  }
  require_finite(fiducial, "gaussian likelihood fiducial");
  const int m = static_cast<int>(fiducial.rows());
  like.hartlap = hartlap_factor(m, static_cast<int>(d));

  const Eigen::MatrixXd centred = fiducial.rowwise() - fiducial.colwise().mean();
  like.covariance = centred.transpose() * centred / static_cast<double>(m - 1);
  const Eigen::LLT<Eigen::MatrixXd> llt(like.covariance);
  const Eigen::MatrixXd l = llt.matrixL();
  // A pivot that keeps less than 1e-12 of its component's variance counts as singular.
  bool singular = llt.info() != Eigen::Success;
  for (Eigen::Index i = 0; i < d && !singular; ++i) {
    singular = !(l(i, i) * l(i, i) > 1e-12 * like.covariance(i, i));
  }
  if (singular) {
    throw std::invalid_argument(
        "gaussian likelihood covariance of " + std::to_string(m) + " fiducial simulations of " +
        std::to_string(d) +
        " summaries is not positive definite (allowed: positive definite; use more fiducial "
        "simulations, or drop summaries that are constant or combinations of others)");
  }
  like.log_det_covariance = 2.0 * l.diagonal().array().log().sum();
  const Eigen::MatrixXd inverse = llt.solve(Eigen::MatrixXd::Identity(d, d));
  like.precision = like.hartlap * 0.5 * (inverse + inverse.transpose());
  return like;
}

EnsembleResult sample_gaussian_posterior(const GaussianLikelihood& like,
                                         const Eigen::VectorXd& data,
                                         const EnsembleOptions& options,
                                         const Eigen::VectorXd& start) {
  const Eigen::VectorXd& lo = like.mean.lo;
  const Eigen::VectorXd& hi = like.mean.hi;
  const Eigen::Index p = lo.size();
  check_box(lo, hi, p);
  check_ensemble_options(options, static_cast<int>(p));
  if (data.size() != like.precision.rows()) {
    throw std::invalid_argument("gaussian posterior data has " + std::to_string(data.size()) +
                                " entries (allowed: the summary dimension " +
                                std::to_string(like.precision.rows()) + ")");
  }
  // Uniform prior on the box: its constant log density is dropped.
  const LogDensity log_post = [&](const Eigen::VectorXd& theta) {
    for (Eigen::Index i = 0; i < p; ++i) {
      if (!(theta(i) >= lo(i) && theta(i) <= hi(i))) {
        return -std::numeric_limits<double>::infinity();
      }
    }
    return like.log_likelihood(data, theta);
  };

  Eigen::VectorXd centre(p);
  if (start.size() > 0) {
    if (start.size() != p) {
      throw std::invalid_argument("gaussian posterior start has " + std::to_string(start.size()) +
                                  " entries (allowed: the parameter count " + std::to_string(p) +
                                  ")");
    }
    for (Eigen::Index i = 0; i < p; ++i) {
      if (!(start(i) >= lo(i) && start(i) <= hi(i))) {
        throw std::invalid_argument(
            "gaussian posterior start[" + std::to_string(i) +
            "] = " + sim::format_setting(start(i)) + " is not allowed (allowed: inside [" +
            sim::format_setting(lo(i)) + ", " + sim::format_setting(hi(i)) + "])");
      }
    }
    centre = start;
  } else {
    // The best of 256 prior draws (a seed of its own, derived from options.seed).
    std::mt19937_64 rng(options.seed ^ 0x9E3779B97F4A7C15ULL);
    double best = -std::numeric_limits<double>::infinity();
    Eigen::VectorXd draw(p);
    for (int n = 0; n < 256; ++n) {
      for (Eigen::Index i = 0; i < p; ++i) draw(i) = lo(i) + (hi(i) - lo(i)) * uniform01(rng);
      const double lp = log_post(draw);
      if (n == 0 || lp > best) {
        best = lp;
        centre = draw;
      }
    }
  }
  const Eigen::VectorXd scale = 1e-3 * (hi - lo);
  Eigen::MatrixXd initial =
      initial_ball(centre, scale, options.walkers, options.seed ^ 0xD1B54A32D192ED03ULL);
  for (Eigen::Index w = 0; w < initial.rows(); ++w) {
    for (Eigen::Index i = 0; i < p; ++i) initial(w, i) = reflect_into(initial(w, i), lo(i), hi(i));
  }
  return sample_ensemble(log_post, initial, options);
}

}  // namespace cosmograd::inference
