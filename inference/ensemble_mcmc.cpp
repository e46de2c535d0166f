// The stretch-move ensemble sampler (see ensemble_mcmc.hpp): Goodman & Weare (2010) for the move
// and its acceptance, emcee's red-blue split of the ensemble (Foreman-Mackey et al. 2013), and
// the integrated autocorrelation time (Goodman & Weare 2010; Sokal 1997).
#include "inference/ensemble_mcmc.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sim/core/settings.hpp"

namespace cosmograd::inference {
namespace {

/// Throws std::invalid_argument unless the options and the initial ensemble are usable.
void validate(const EnsembleOptions& o, const Eigen::MatrixXd& initial) {
  const Eigen::Index dim = initial.cols();
  if (dim < 1) {
    throw std::invalid_argument("ensemble initial has " + std::to_string(dim) +
                                " columns (allowed: dimension >= 1)");
  }
  check_ensemble_options(o, static_cast<int>(dim));
  if (initial.rows() != o.walkers) {
    throw std::invalid_argument(
        "ensemble initial has " + std::to_string(initial.rows()) +
        " rows (allowed: one per walker, walkers = " + std::to_string(o.walkers) + ")");
  }
  for (Eigen::Index r = 0; r < initial.rows(); ++r) {
    for (Eigen::Index c = 0; c < dim; ++c) {
      if (!std::isfinite(initial(r, c))) {
        throw std::invalid_argument("ensemble initial row " + std::to_string(r) + " column " +
                                    std::to_string(c) + " = " + sim::format_setting(initial(r, c)) +
                                    " is not allowed (allowed: finite)");
      }
    }
  }
  for (Eigen::Index c = 0; c < dim; ++c) {
    if (initial.col(c).maxCoeff() == initial.col(c).minCoeff()) {
      throw std::invalid_argument(
          "ensemble initial column " + std::to_string(c) + " has every walker at " +
          sim::format_setting(initial(0, c)) +
          " (allowed: a spread; stretch moves never leave that value, start from initial_ball)");
    }
  }
}

/// Throws std::runtime_error when `lp` (the log density at walker `walker`) is NaN or +inf.
void check_log_prob(double lp, int step, Eigen::Index walker) {
  if (std::isnan(lp) || lp == std::numeric_limits<double>::infinity()) {
    throw std::runtime_error("ensemble log_prob = " + sim::format_setting(lp) + " at step " +
                             std::to_string(step) + " for walker " + std::to_string(walker) +
                             " (allowed: finite, or -inf outside the support)");
  }
}

}  // namespace

void check_ensemble_options(const EnsembleOptions& o, int dimension) {
  if (dimension < 1) {
    throw std::invalid_argument("ensemble dimension = " + std::to_string(dimension) +
                                " is not allowed (allowed: >= 1)");
  }
  if (o.walkers < 2 * dimension || o.walkers % 2 != 0) {
    throw std::invalid_argument("ensemble walkers = " + std::to_string(o.walkers) +
                                " is not allowed (allowed: even, >= 2 x dimension = " +
                                std::to_string(2 * dimension) + ")");
  }
  if (o.steps < 1) {
    throw std::invalid_argument("ensemble steps = " + std::to_string(o.steps) +
                                " is not allowed (allowed: >= 1)");
  }
  if (o.burn_in < 0 || o.burn_in >= o.steps) {
    throw std::invalid_argument(
        "ensemble burn_in = " + std::to_string(o.burn_in) +
        " is not allowed (allowed: 0 <= burn_in < steps = " + std::to_string(o.steps) + ")");
  }
  if (o.thin < 1) {
    throw std::invalid_argument("ensemble thin = " + std::to_string(o.thin) +
                                " is not allowed (allowed: >= 1)");
  }
  if (!(std::isfinite(o.stretch) && o.stretch > 1.0)) {
    throw std::invalid_argument("ensemble stretch = " + sim::format_setting(o.stretch) +
                                " is not allowed (allowed: finite, > 1)");
  }
}

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng);  // (0, 1]: the logarithm stays finite
  const double u2 = uniform01(rng);
  constexpr double two_pi = 6.283185307179586476925286766559;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
}

Eigen::MatrixXd initial_ball(const Eigen::VectorXd& centre, const Eigen::VectorXd& scale,
                             int walkers, std::uint64_t seed) {
  if (centre.size() < 1 || scale.size() != centre.size()) {
    throw std::invalid_argument("initial_ball scale has " + std::to_string(scale.size()) +
                                " entries (allowed: as many as centre, " +
                                std::to_string(centre.size()) + ", at least 1)");
  }
  if (walkers < 1) {
    throw std::invalid_argument("initial_ball walkers = " + std::to_string(walkers) +
                                " is not allowed (allowed: >= 1)");
  }
  for (Eigen::Index i = 0; i < centre.size(); ++i) {
    if (!std::isfinite(centre(i))) {
      throw std::invalid_argument("initial_ball centre[" + std::to_string(i) +
                                  "] = " + sim::format_setting(centre(i)) +
                                  " is not allowed (allowed: finite)");
    }
    if (!(std::isfinite(scale(i)) && scale(i) > 0.0)) {
      throw std::invalid_argument("initial_ball scale[" + std::to_string(i) +
                                  "] = " + sim::format_setting(scale(i)) +
                                  " is not allowed (allowed: finite, > 0)");
    }
  }
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd ball(walkers, centre.size());
  for (int w = 0; w < walkers; ++w) {
    for (Eigen::Index i = 0; i < centre.size(); ++i) {
      ball(w, i) = centre(i) + scale(i) * standard_normal(rng);
    }
  }
  return ball;
}

std::vector<double> integrated_autocorrelation_time(const Eigen::MatrixXd& chain, double c) {
  if (!(std::isfinite(c) && c > 0.0)) {
    throw std::invalid_argument("autocorrelation window constant c = " + sim::format_setting(c) +
                                " is not allowed (allowed: finite, > 0)");
  }
  const Eigen::Index n = chain.rows();
  std::vector<double> taus(static_cast<std::size_t>(chain.cols()),
                           std::numeric_limits<double>::quiet_NaN());
  if (n < 2) return taus;
  for (Eigen::Index p = 0; p < chain.cols(); ++p) {
    const Eigen::VectorXd x = chain.col(p).array() - chain.col(p).mean();
    const double c0 = x.squaredNorm() / static_cast<double>(n);
    if (!(c0 > 0.0) || !std::isfinite(c0)) continue;
    // tau(M) = 1 + 2 sum_{t=1}^{M} rho(t), rho(t) = C(t) / C(0) with the biased C(t) (divided
    // by n); stop at the first M >= c tau(M) (Sokal's window), else use every lag.
    double tau = 1.0;
    for (Eigen::Index lag = 1; lag < n; ++lag) {
      const double ct = x.head(n - lag).dot(x.tail(n - lag)) / static_cast<double>(n);
      tau += 2.0 * ct / c0;
      if (static_cast<double>(lag) >= c * tau) break;
    }
    taus[static_cast<std::size_t>(p)] = tau;
  }
  return taus;
}

EnsembleResult sample_ensemble(const LogDensity& log_prob, const Eigen::MatrixXd& initial,
                               const EnsembleOptions& options) {
  validate(options, initial);
  const int walkers = options.walkers;
  const int half = walkers / 2;
  const Eigen::Index dim = initial.cols();
  const double a = options.stretch;

  Eigen::MatrixXd x = initial;
  Eigen::VectorXd lp(walkers);
  for (int k = 0; k < walkers; ++k) {
    lp(k) = log_prob(x.row(k).transpose());
    if (!std::isfinite(lp(k))) {
      throw std::invalid_argument("ensemble initial row " + std::to_string(k) +
                                  " has log_prob = " + sim::format_setting(lp(k)) +
                                  " (allowed: finite; start every walker inside the support)");
    }
  }

  const int kept = (options.steps - options.burn_in + options.thin - 1) / options.thin;
  EnsembleResult out;
  out.samples.resize(static_cast<Eigen::Index>(kept) * walkers, dim);
  out.log_prob.resize(static_cast<Eigen::Index>(kept) * walkers);

  std::mt19937_64 rng(options.seed);
  Eigen::VectorXd y(dim);
  long long accepted = 0;
  int stored = 0;
  for (int step = 0; step < options.steps; ++step) {
    // Red-blue split: half s moves against the other half's current positions, so no walker of
    // half s sees another walker of half s and the update order within a half does not matter.
    for (int s = 0; s < 2; ++s) {
      const int first = s * half;
      const int other = (1 - s) * half;
      for (int i = 0; i < half; ++i) {
        const int k = first + i;
        // z ~ g(z) ∝ 1/sqrt(z) on [1/a, a] by inversion (Goodman & Weare 2010).
        const double root = (a - 1.0) * uniform01(rng) + 1.0;
        const double z = root * root / a;
        const int j =
            other +
            std::min(half - 1, static_cast<int>(uniform01(rng) * static_cast<double>(half)));
        // Y = X_j + z (X_k - X_j) (Goodman & Weare 2010).
        y = x.row(j).transpose() + z * (x.row(k) - x.row(j)).transpose();
        const double lp_y = log_prob(y);
        check_log_prob(lp_y, step, k);
        // Accept with probability min(1, z^(d-1) p(Y) / p(X_k)) (Goodman & Weare 2010).
        const double log_ratio = static_cast<double>(dim - 1) * std::log(z) + lp_y - lp(k);
        const double u = uniform01(rng);
        if (lp_y > -std::numeric_limits<double>::infinity() && std::log(u) < log_ratio) {
          x.row(k) = y.transpose();
          lp(k) = lp_y;
          ++accepted;
        }
      }
    }
    if (step >= options.burn_in && (step - options.burn_in) % options.thin == 0) {
      const Eigen::Index row = static_cast<Eigen::Index>(stored) * walkers;
      out.samples.block(row, 0, walkers, dim) = x;
      out.log_prob.segment(row, walkers) = lp;
      ++stored;
    }
  }
  out.acceptance = static_cast<double>(accepted) /
                   (static_cast<double>(options.steps) * static_cast<double>(walkers));

  // The walker-averaged chain (Goodman & Weare 2010), its tau in iterations.
  Eigen::MatrixXd mean_chain(kept, dim);
  for (int t = 0; t < kept; ++t) {
    mean_chain.row(t) =
        out.samples.block(static_cast<Eigen::Index>(t) * walkers, 0, walkers, dim).colwise().mean();
  }
  out.autocorrelation_time = integrated_autocorrelation_time(mean_chain);
  for (double& tau : out.autocorrelation_time) tau *= options.thin;
  return out;
}

}  // namespace cosmograd::inference
