// The classical baseline: the stretch-move ensemble sampler (moments of a correlated Gaussian
// within Monte Carlo tolerances set by the effective sample size, a truncated box target,
// determinism, refusals, the autocorrelation time of an AR(1) chain) and the Gaussian summary
// likelihood (exact polynomial recovery, the Hartlap factor, the log-likelihood formula and a
// linear-Gaussian end-to-end posterior against the analytic one).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "inference/ensemble_mcmc.hpp"
#include "inference/gaussian_likelihood.hpp"

namespace cosmograd::inference {
namespace {

/// The message of the std::invalid_argument `f` throws ("" when it throws none).
template <class F>
std::string invalid_argument_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

/// True when `text` contains `part`.
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Sample mean (columns) of the rows of `x`.
Eigen::VectorXd sample_mean(const Eigen::MatrixXd& x) { return x.colwise().mean().transpose(); }

/// Sample covariance (divided by rows - 1) of the rows of `x`.
Eigen::MatrixXd sample_covariance(const Eigen::MatrixXd& x) {
  const Eigen::MatrixXd c = x.rowwise() - x.colwise().mean();
  return c.transpose() * c / static_cast<double>(x.rows() - 1);
}

/// Effective number of independent samples: kept iterations x walkers / the largest tau
/// (the walker-averaged chain's tau, in iterations; thin = 1 here).
double effective_samples(const EnsembleResult& r) {
  double tau = 1.0;
  for (double t : r.autocorrelation_time) tau = std::max(tau, t);
  return static_cast<double>(r.samples.rows()) / tau;
}

/// Expects the moments of `r` to match mean `mu` and covariance `cov` within 5 Monte Carlo
/// standard errors: sigma_i / sqrt(N_eff) for the mean, sqrt((S_ii S_jj + S_ij^2) / N_eff) for
/// covariance entry (i, j) (the Gaussian sampling error of a covariance estimate).
void expect_moments(const EnsembleResult& r, const Eigen::VectorXd& mu,
                    const Eigen::MatrixXd& cov) {
  const double n_eff = effective_samples(r);
  const Eigen::VectorXd m = sample_mean(r.samples);
  const Eigen::MatrixXd s = sample_covariance(r.samples);
  for (Eigen::Index i = 0; i < mu.size(); ++i) {
    EXPECT_NEAR(m(i), mu(i), 5.0 * std::sqrt(cov(i, i) / n_eff)) << "mean " << i;
    for (Eigen::Index j = 0; j < mu.size(); ++j) {
      const double se = std::sqrt((cov(i, i) * cov(j, j) + cov(i, j) * cov(i, j)) / n_eff);
      EXPECT_NEAR(s(i, j), cov(i, j), 5.0 * se) << "covariance " << i << "," << j;
    }
  }
}

/// log N(x; mu, cov) up to a constant, through the inverse `prec`.
LogDensity gaussian(const Eigen::VectorXd& mu, const Eigen::MatrixXd& cov) {
  const Eigen::MatrixXd prec = cov.inverse();
  return [mu, prec](const Eigen::VectorXd& x) {
    const Eigen::VectorXd r = x - mu;
    return -0.5 * r.dot(prec * r);
  };
}

/// The 2-D target: means (1, -2), standard deviations (1, 3), correlation 0.8.
Eigen::MatrixXd correlated_covariance() {
  Eigen::MatrixXd cov(2, 2);
  cov << 1.0, 0.8 * 3.0, 0.8 * 3.0, 9.0;
  return cov;
}

TEST(EnsembleMcmc, CorrelatedGaussianMomentsAcceptanceAndAutocorrelation) {
  const Eigen::Vector2d mu(1.0, -2.0);
  const Eigen::MatrixXd cov = correlated_covariance();
  EnsembleOptions o;
  o.walkers = 32;
  o.steps = 4000;
  o.burn_in = 500;
  o.seed = 7;
  const Eigen::MatrixXd init =
      initial_ball(Eigen::Vector2d(0.0, 0.0), Eigen::Vector2d(0.1, 0.1), o.walkers, 3);
  const EnsembleResult r = sample_ensemble(gaussian(mu, cov), init, o);
  ASSERT_EQ(r.samples.rows(), 3500 * 32);
  ASSERT_EQ(r.samples.cols(), 2);
  ASSERT_EQ(r.log_prob.size(), r.samples.rows());
  // The log density stored beside each sample is that of the sample.
  const LogDensity lp = gaussian(mu, cov);
  EXPECT_DOUBLE_EQ(r.log_prob(12345), lp(r.samples.row(12345).transpose()));
  // Goodman & Weare's a = 2 accepts ~0.5-0.7 of proposals on a 2-D Gaussian.
  EXPECT_GT(r.acceptance, 0.2);
  EXPECT_LT(r.acceptance, 0.9);
  ASSERT_EQ(r.autocorrelation_time.size(), 2u);
  for (double tau : r.autocorrelation_time) {
    EXPECT_TRUE(std::isfinite(tau));
    EXPECT_GT(tau, 1.0);
    EXPECT_LT(tau, 100.0);  // iterations; the chain is > 35 tau long
  }
  // Mean within 5 sigma_i / sqrt(N_eff), covariance within 5 Gaussian standard errors,
  // N_eff = kept iterations x walkers / max tau (~ 1e4 here).
  expect_moments(r, mu, cov);
}

TEST(EnsembleMcmc, AffineInvarianceAcrossScalesInFourDimensions) {
  // Standard deviations 1e-3, 1, 1e3, 10 (a badly scaled target for Metropolis, not for the
  // stretch move) with a correlation 0.5 between the first two; the z^(d-1) factor of the
  // acceptance matters here. Moments within 5 Monte Carlo standard errors.
  Eigen::Vector4d sd(1e-3, 1.0, 1e3, 10.0);
  Eigen::MatrixXd cov = sd.cwiseProduct(sd).asDiagonal();
  cov(0, 1) = cov(1, 0) = 0.5 * sd(0) * sd(1);
  const Eigen::Vector4d mu(0.01, -3.0, 500.0, 2.0);
  EnsembleOptions o;
  o.walkers = 16;
  o.steps = 5000;
  o.burn_in = 1000;
  o.seed = 17;
  const EnsembleResult r =
      sample_ensemble(gaussian(mu, cov), initial_ball(mu, 0.1 * sd, o.walkers, 4), o);
  EXPECT_GT(r.acceptance, 0.2);
  EXPECT_LT(r.acceptance, 0.9);
  for (double tau : r.autocorrelation_time) EXPECT_LT(tau, 400.0);  // chain > 10 tau
  expect_moments(r, mu, cov);
}

TEST(EnsembleMcmc, TruncatedBoxTargetStaysInsideAndCentres) {
  const Eigen::Vector2d lo(0.0, -1.0), hi(2.0, 3.0);
  const LogDensity box = [&](const Eigen::VectorXd& x) {
    const bool inside = x(0) >= lo(0) && x(0) <= hi(0) && x(1) >= lo(1) && x(1) <= hi(1);
    return inside ? 0.0 : -std::numeric_limits<double>::infinity();
  };
  EnsembleOptions o;
  o.walkers = 16;
  o.steps = 3000;
  o.burn_in = 300;
  o.seed = 5;
  const Eigen::MatrixXd init =
      initial_ball(Eigen::Vector2d(0.5, 0.0), Eigen::Vector2d(0.05, 0.05), o.walkers, 9);
  const EnsembleResult r = sample_ensemble(box, init, o);
  for (Eigen::Index n = 0; n < r.samples.rows(); ++n) {
    ASSERT_TRUE(r.samples(n, 0) >= lo(0) && r.samples(n, 0) <= hi(0)) << "sample " << n;
    ASSERT_TRUE(r.samples(n, 1) >= lo(1) && r.samples(n, 1) <= hi(1)) << "sample " << n;
  }
  EXPECT_EQ(r.log_prob.cwiseAbs().maxCoeff(), 0.0);
  // Uniform on the box: mean at the centre, variance width^2 / 12; 5 standard errors.
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(2, 2);
  cov(0, 0) = 4.0 / 12.0;
  cov(1, 1) = 16.0 / 12.0;
  const double n_eff = effective_samples(r);
  const Eigen::VectorXd m = sample_mean(r.samples);
  EXPECT_NEAR(m(0), 1.0, 5.0 * std::sqrt(cov(0, 0) / n_eff));
  EXPECT_NEAR(m(1), 1.0, 5.0 * std::sqrt(cov(1, 1) / n_eff));
  EXPECT_GT(r.acceptance, 0.2);
}

TEST(EnsembleMcmc, SameSeedIsBitIdenticalAnotherSeedDiffers) {
  const LogDensity lp = gaussian(Eigen::Vector2d(1.0, -2.0), correlated_covariance());
  EnsembleOptions o;
  o.walkers = 8;
  o.steps = 300;
  o.burn_in = 100;
  o.thin = 3;
  o.seed = 11;
  const Eigen::MatrixXd init = initial_ball(Eigen::Vector2d(0.0, 0.0), Eigen::Vector2d(1, 1), 8, 2);
  EXPECT_TRUE(init == initial_ball(Eigen::Vector2d(0.0, 0.0), Eigen::Vector2d(1, 1), 8, 2));
  const EnsembleResult a = sample_ensemble(lp, init, o);
  const EnsembleResult b = sample_ensemble(lp, init, o);
  EXPECT_EQ(a.samples.rows(), 67 * 8);  // iterations 100, 103, ..., 298
  EXPECT_TRUE(a.samples == b.samples);
  EXPECT_TRUE(a.log_prob == b.log_prob);
  EXPECT_EQ(a.acceptance, b.acceptance);
  EXPECT_EQ(a.autocorrelation_time, b.autocorrelation_time);
  o.seed = 12;
  const EnsembleResult c = sample_ensemble(lp, init, o);
  EXPECT_FALSE(a.samples == c.samples);
}

TEST(EnsembleMcmc, RefusesBadOptionsAndInitialNamingTheField) {
  const LogDensity lp = [](const Eigen::VectorXd& x) {
    return x(0) > 10.0 ? -std::numeric_limits<double>::infinity() : -0.5 * x.squaredNorm();
  };
  const Eigen::MatrixXd init =
      initial_ball(Eigen::Vector2d(0.0, 0.0), Eigen::Vector2d(1.0, 1.0), 8, 1);
  EnsembleOptions good;
  good.walkers = 8;
  good.steps = 20;
  good.burn_in = 5;
  EXPECT_NO_THROW(sample_ensemble(lp, init, good));

  auto refused = [&](const EnsembleOptions& opt, const Eigen::MatrixXd& x) {
    return invalid_argument_of([&] { sample_ensemble(lp, x, opt); });
  };
  EnsembleOptions o = good;
  o.walkers = 7;
  std::string msg = refused(o, init.topRows(7));
  EXPECT_TRUE(contains(msg, "walkers = 7") && contains(msg, "even")) << msg;
  o.walkers = 2;
  msg = refused(o, init.topRows(2));
  EXPECT_TRUE(contains(msg, "walkers = 2") && contains(msg, ">= 2 x dimension = 4")) << msg;
  o = good;
  o.burn_in = 20;
  msg = refused(o, init);
  EXPECT_TRUE(contains(msg, "burn_in = 20") && contains(msg, "steps = 20")) << msg;
  o = good;
  o.steps = 0;
  EXPECT_TRUE(contains(refused(o, init), "steps = 0"));
  o = good;
  o.thin = 0;
  EXPECT_TRUE(contains(refused(o, init), "thin = 0"));
  o = good;
  o.stretch = 1.0;
  EXPECT_TRUE(contains(refused(o, init), "stretch = 1"));
  // Shape: one row per walker.
  EXPECT_TRUE(contains(refused(good, init.topRows(6)), "6 rows"));
  // Row 3 outside the support: the message names the row.
  Eigen::MatrixXd outside = init;
  outside(3, 0) = 20.0;
  msg = refused(good, outside);
  EXPECT_TRUE(contains(msg, "row 3") && contains(msg, "-inf")) << msg;
  Eigen::MatrixXd nan_row = init;
  nan_row(5, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(contains(refused(good, nan_row), "row 5")) << refused(good, nan_row);
  // A collapsed ensemble can never move.
  Eigen::MatrixXd flat = init;
  flat.col(1).setConstant(0.5);
  EXPECT_TRUE(contains(refused(good, flat), "column 1"));
  // A NaN log density during the run is a runtime error, not a silent rejection.
  const LogDensity nan_lp = [](const Eigen::VectorXd& x) {
    return x(0) > 0.5 ? std::numeric_limits<double>::quiet_NaN() : -0.5 * x.squaredNorm();
  };
  Eigen::MatrixXd left = init;
  left.col(0) = -left.col(0).cwiseAbs();
  EXPECT_THROW(sample_ensemble(nan_lp, left, good), std::runtime_error);
  // initial_ball refuses a bad scale.
  EXPECT_TRUE(contains(invalid_argument_of([] {
                         initial_ball(Eigen::Vector2d(0, 0), Eigen::Vector2d(1, -1), 4, 1);
                       }),
                       "scale[1] = -1"));
}

TEST(EnsembleMcmc, AutocorrelationTimeOfAnAr1Chain) {
  // x_t = phi x_{t-1} + e_t has tau = (1 + phi) / (1 - phi) = 19 for phi = 0.9; with n = 2e5
  // the estimator's standard error is tau sqrt(2 (2M + 1) / n) ~ 4% (M ~ 5 tau), so 15%.
  const int n = 200000;
  const double phi = 0.9;
  std::mt19937_64 rng(4);
  Eigen::MatrixXd chain(n, 3);
  double x = 0.0;
  for (int t = 0; t < n; ++t) {
    x = phi * x + standard_normal(rng);
    chain(t, 0) = x;
    chain(t, 1) = standard_normal(rng);  // white noise: tau = 1
    chain(t, 2) = 2.5;                   // constant: no tau
  }
  const std::vector<double> tau = integrated_autocorrelation_time(chain);
  EXPECT_NEAR(tau[0], 19.0, 0.15 * 19.0);
  EXPECT_NEAR(tau[1], 1.0, 0.05);
  EXPECT_TRUE(std::isnan(tau[2]));
}

TEST(EnsembleMcmc, UniformAndNormalDrawsHaveTheRightMoments) {
  // 1e5 draws: mean within 5 / sqrt(n) = 0.016 of 0 and variance within 5 sqrt(2 / n) = 0.022
  // of 1; uniforms within [0, 1) with mean 1/2.
  std::mt19937_64 rng(21);
  const int n = 100000;
  double s = 0, s2 = 0, su = 0, umin = 1, umax = 0;
  for (int i = 0; i < n; ++i) {
    const double g = standard_normal(rng);
    s += g;
    s2 += g * g;
    const double u = uniform01(rng);
    su += u;
    umin = std::min(umin, u);
    umax = std::max(umax, u);
  }
  EXPECT_NEAR(s / n, 0.0, 0.016);
  EXPECT_NEAR(s2 / n, 1.0, 0.022);
  EXPECT_NEAR(su / n, 0.5, 5.0 * std::sqrt(1.0 / 12.0 / n));
  EXPECT_GE(umin, 0.0);
  EXPECT_LT(umax, 1.0);
}

TEST(PolynomialEmulator, RecoversAnExactQuadraticAndRefusesTooFewPoints) {
  EXPECT_EQ(PolynomialEmulator::term_count(2, 2), 6);
  EXPECT_EQ(PolynomialEmulator::term_count(3, 3), 20);
  EXPECT_EQ(PolynomialEmulator::term_count(4, 0), 1);
  const Eigen::Vector2d lo(1.0, -2.0), hi(3.0, 5.0);
  auto f = [](const Eigen::VectorXd& t) {
    Eigen::Vector3d y;
    y << 0.3 + 2.0 * t(0) - t(1) + 0.5 * t(0) * t(0) - 0.7 * t(0) * t(1) + 0.2 * t(1) * t(1),
        -1.0 + t(1) * t(1), 4.0 * t(0) * t(1);
    return y;
  };
  std::mt19937_64 rng(8);
  auto draw = [&] {
    Eigen::Vector2d t;
    for (int i = 0; i < 2; ++i) t(i) = lo(i) + (hi(i) - lo(i)) * uniform01(rng);
    return t;
  };
  const int n = 30;
  Eigen::MatrixXd theta(n, 2), y(n, 3);
  for (int i = 0; i < n; ++i) {
    theta.row(i) = draw().transpose();
    y.row(i) = f(theta.row(i).transpose()).transpose();
  }
  const PolynomialEmulator em = PolynomialEmulator::fit(theta, y, 2, lo, hi);
  EXPECT_EQ(em.coefficients.rows(), 6);
  EXPECT_EQ(em.coefficients.cols(), 3);
  for (int k = 0; k < 20; ++k) {
    const Eigen::Vector2d t = draw();
    EXPECT_LT((em.predict(t) - f(t)).cwiseAbs().maxCoeff(), 1e-10);
  }
  // Exactly as many points as terms still interpolates (a looser 1e-8: a square system).
  const PolynomialEmulator six = PolynomialEmulator::fit(theta.topRows(6), y.topRows(6), 2, lo, hi);
  const Eigen::Vector2d t_new = draw();
  EXPECT_LT((six.predict(t_new) - f(t_new)).cwiseAbs().maxCoeff(), 1e-8);
  const std::string msg = invalid_argument_of(
      [&] { PolynomialEmulator::fit(theta.topRows(5), y.topRows(5), 2, lo, hi); });
  EXPECT_TRUE(contains(msg, "simulations = 5") && contains(msg, "needed: >= 6")) << msg;
  EXPECT_TRUE(contains(invalid_argument_of([&] { PolynomialEmulator::fit(theta, y, 2, hi, lo); }),
                       "hi > lo"));
  // A design with every simulation at one point has rank 1.
  const Eigen::MatrixXd same = theta.row(0).replicate(n, 1);
  EXPECT_TRUE(
      contains(invalid_argument_of([&] { PolynomialEmulator::fit(same, y, 2, lo, hi); }), "rank"));
}

TEST(HartlapFactor, ValueAndRefusals) {
  EXPECT_EQ(hartlap_factor(100, 10), 88.0 / 99.0);  // (100 - 10 - 2) / (100 - 1)
  EXPECT_EQ(hartlap_factor(13, 10), 1.0 / 12.0);
  const std::string msg = invalid_argument_of([] { hartlap_factor(12, 10); });
  EXPECT_TRUE(contains(msg, "simulations = 12") && contains(msg, "dimension + 2 = 12")) << msg;
  EXPECT_THROW(hartlap_factor(3, 1), std::invalid_argument);
  EXPECT_THROW(hartlap_factor(100, 0), std::invalid_argument);
}

/// The linear-Gaussian problem: summaries = A theta + b + noise, noise ~ N(0, C), d = 4, p = 2.
struct LinearProblem {
  Eigen::MatrixXd a{4, 2};
  Eigen::VectorXd b{4};
  Eigen::MatrixXd c{4, 4};
  Eigen::MatrixXd chol;  ///< lower Cholesky factor of c
  LinearProblem() {
    a << 1.0, 0.5, -0.3, 2.0, 0.8, -0.6, 0.2, 1.2;
    b << 0.1, -0.4, 2.0, 0.7;
    Eigen::MatrixXd l(4, 4);
    l << 0.3, 0, 0, 0, 0.1, 0.4, 0, 0, -0.05, 0.1, 0.25, 0, 0.02, -0.1, 0.05, 0.35;
    c = l * l.transpose();
    chol = l;
  }
  /// One noisy summary at `theta`.
  Eigen::VectorXd draw(const Eigen::VectorXd& theta, std::mt19937_64& rng) const {
    Eigen::VectorXd e(4);
    for (int i = 0; i < 4; ++i) e(i) = standard_normal(rng);
    return a * theta + b + chol * e;
  }
};

/// Fits the likelihood of `lp` from `n` design simulations uniform on [-4, 4]^2 and `m` fiducial
/// ones at theta = 0.
GaussianLikelihood fit_linear(const LinearProblem& lp, int n, int m, std::mt19937_64& rng) {
  const Eigen::Vector2d lo(-4.0, -4.0), hi(4.0, 4.0);
  Eigen::MatrixXd theta(n, 2), y(n, 4), fid(m, 4);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 2; ++k) theta(i, k) = lo(k) + (hi(k) - lo(k)) * uniform01(rng);
    y.row(i) = lp.draw(theta.row(i).transpose(), rng).transpose();
  }
  for (int i = 0; i < m; ++i) fid.row(i) = lp.draw(Eigen::Vector2d::Zero(), rng).transpose();
  return fit_gaussian_likelihood(theta, y, fid, 1, lo, hi);
}

TEST(GaussianLikelihood, LogLikelihoodFormulaAndRefusals) {
  const LinearProblem lp;
  std::mt19937_64 rng(31);
  const GaussianLikelihood like = fit_linear(lp, 300, 50, rng);
  EXPECT_EQ(like.hartlap, 44.0 / 49.0);
  // Against the formula with a general inverse and determinant.
  const Eigen::Vector2d theta(0.3, -0.2);
  const Eigen::VectorXd data = lp.draw(Eigen::Vector2d(0.5, 0.1), rng);
  const Eigen::VectorXd r = data - like.mean.predict(theta);
  const double expected = -0.5 * like.hartlap * r.dot(like.covariance.inverse() * r) -
                          0.5 * std::log(like.covariance.determinant()) -
                          2.0 * std::log(2.0 * std::acos(-1.0));
  EXPECT_NEAR(like.log_likelihood(data, theta), expected, 1e-10 * std::abs(expected));
  EXPECT_NEAR(like.log_det_covariance, std::log(like.covariance.determinant()), 1e-10);
  EXPECT_THROW(like.log_likelihood(data.head(3), theta), std::invalid_argument);
  EXPECT_THROW(like.log_likelihood(data, Eigen::Vector3d::Zero()), std::invalid_argument);

  // A constant summary makes the covariance singular: refused, suggesting more simulations.
  const Eigen::Vector2d lo(-1, -1), hi(1, 1);
  Eigen::MatrixXd theta_d(10, 2), y(10, 4), fid(20, 4);
  for (int i = 0; i < 10; ++i) {
    theta_d.row(i) << uniform01(rng), uniform01(rng);
    y.row(i) = lp.draw(theta_d.row(i).transpose(), rng).transpose();
  }
  for (int i = 0; i < 20; ++i) fid.row(i) = lp.draw(Eigen::Vector2d::Zero(), rng).transpose();
  fid.col(2).setConstant(1.5);
  const std::string msg =
      invalid_argument_of([&] { fit_gaussian_likelihood(theta_d, y, fid, 1, lo, hi); });
  EXPECT_TRUE(contains(msg, "not positive definite") && contains(msg, "more fiducial")) << msg;
  // Too few fiducial simulations for the Hartlap factor.
  EXPECT_TRUE(contains(
      invalid_argument_of([&] { fit_gaussian_likelihood(theta_d, y, fid.topRows(6), 1, lo, hi); }),
      "simulations = 6"));
}

TEST(GaussianLikelihood, LinearGaussianPosteriorMatchesTheAnalyticOne) {
  const LinearProblem lp;
  std::mt19937_64 rng(2024);
  const int n = 1000, m = 4000;
  const GaussianLikelihood like = fit_linear(lp, n, m, rng);
  // Covariance: entry (i, j) has sampling variance (C_ii C_jj + C_ij^2) / (m - 1), so the rms
  // Frobenius error is sqrt(((tr C)^2 + |C|_F^2) / (m - 1)) (~ 0.035 relative); allow 3x.
  const double rms = std::sqrt((lp.c.trace() * lp.c.trace() + lp.c.squaredNorm()) / (m - 1.0));
  EXPECT_LT((like.covariance - lp.c).norm(), 3.0 * rms);
  EXPECT_NEAR(like.hartlap, (m - 6.0) / (m - 1.0), 1e-15);

  const Eigen::Vector2d truth(0.5, -1.0);
  const Eigen::VectorXd data = lp.draw(truth, rng);
  EnsembleOptions o;
  o.walkers = 24;
  o.steps = 3000;
  o.burn_in = 600;
  o.seed = 3;
  const EnsembleResult r = sample_gaussian_posterior(like, data, o);
  EXPECT_GT(r.acceptance, 0.2);
  // Finite, and the kept chain (2400 iterations) is more than 10 tau long.
  for (double tau : r.autocorrelation_time) EXPECT_LT(tau, 240.0);

  // (1) The sampler against the analytic posterior of the fitted likelihood (linear mean
  // mu = A_hat theta + b_hat, precision P): N(S A_hat^T P (data - b_hat), S),
  // S = (A_hat^T P A_hat)^-1; 5 Monte Carlo standard errors.
  const Eigen::VectorXd b_hat = like.mean.predict(Eigen::Vector2d::Zero());
  Eigen::MatrixXd a_hat(4, 2);
  for (int k = 0; k < 2; ++k) {
    a_hat.col(k) = like.mean.predict(Eigen::Vector2d::Unit(k)) - b_hat;
  }
  const Eigen::MatrixXd s_fit = (a_hat.transpose() * like.precision * a_hat).inverse();
  const Eigen::VectorXd mu_fit = s_fit * a_hat.transpose() * like.precision * (data - b_hat);
  expect_moments(r, mu_fit, s_fit);

  // (2) Against the analytic posterior of the true model, N(S A^T C^-1 (data - b), S),
  // S = (A^T C^-1 A)^-1: the fitted mean and covariance add ~ 1 / sqrt(n) = 0.03 posterior
  // standard deviations to the mean and a few percent to the covariance, Monte Carlo ~ 0.03 sd;
  // allow 0.3 sd for the mean and 0.12 sqrt(S_ii S_jj) for the covariance.
  const Eigen::MatrixXd cinv = lp.c.inverse();
  const Eigen::MatrixXd s_true = (lp.a.transpose() * cinv * lp.a).inverse();
  const Eigen::VectorXd mu_true = s_true * lp.a.transpose() * cinv * (data - lp.b);
  const Eigen::VectorXd mean = sample_mean(r.samples);
  const Eigen::MatrixXd cov = sample_covariance(r.samples);
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(mean(i), mu_true(i), 0.3 * std::sqrt(s_true(i, i))) << i;
    for (int j = 0; j < 2; ++j) {
      EXPECT_NEAR(cov(i, j), s_true(i, j), 0.12 * std::sqrt(s_true(i, i) * s_true(j, j)))
          << i << "," << j;
    }
  }
  // The truth lies within 4 posterior standard deviations.
  for (int i = 0; i < 2; ++i) EXPECT_LT(std::abs(mean(i) - truth(i)), 4.0 * std::sqrt(cov(i, i)));

  // Started around a given point, the same posterior comes out.
  const EnsembleResult from_truth = sample_gaussian_posterior(like, data, o, truth);
  expect_moments(from_truth, mu_fit, s_fit);
  EXPECT_THROW(sample_gaussian_posterior(like, data, o, Eigen::Vector2d(9.0, 0.0)),
               std::invalid_argument);
  EXPECT_THROW(sample_gaussian_posterior(like, data.head(3), o), std::invalid_argument);
}

}  // namespace
}  // namespace cosmograd::inference
