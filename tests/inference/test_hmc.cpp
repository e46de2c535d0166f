// HMC against analytic posteriors: a diagonal Gaussian, and a 16^3 Gaussian random field
// observed with white noise whose amplitude is free (the modes' posterior means and variances
// and the amplitude's marginal by quadrature); bit-identical resumption; Stan's warm-up windows;
// the bounded-parameter transform of the field-level posterior against finite differences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <iostream>
#include <numeric>
#include <random>
#include <vector>

#include "inference/ensemble_mcmc.hpp"
#include "inference/field_target.hpp"
#include "inference/hmc.hpp"
#include "inference/mcmc_diagnostics.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/mesh/field.hpp"

namespace ci = cosmograd::inference;
namespace cs = cosmograd::sim;

namespace {

// Batch-means z-score of the mean of `x` against `truth` (20 batches; Flegal & Jones 2010).
double batch_z(const std::vector<double>& x, double truth, int batches = 20) {
  const std::size_t b = x.size() / static_cast<std::size_t>(batches);
  std::vector<double> means(static_cast<std::size_t>(batches), 0.0);
  double total = 0;
  for (int j = 0; j < batches; ++j) {
    for (std::size_t t = 0; t < b; ++t) means[j] += x[j * b + t] / static_cast<double>(b);
    total += means[j] / batches;
  }
  double var = 0;
  for (double m : means) var += (m - total) * (m - total) / (batches - 1);
  return (total - truth) / std::sqrt(var / batches);
}

ci::GradLogDensity diagonal_gaussian(const std::vector<double>& mean,
                                     const std::vector<double>& sd) {
  return [mean, sd](const std::vector<double>& q, std::vector<double>* g) {
    double lp = 0;
    if (g) g->resize(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) {
      const double z = (q[i] - mean[i]) / sd[i];
      lp -= 0.5 * z * z;
      if (g) (*g)[i] = -z / sd[i];
    }
    return lp;
  };
}

}  // namespace

TEST(Hmc, WarmupWindowsAreStans) {
  const ci::WarmupSchedule s = ci::warmup_schedule(1000);
  EXPECT_EQ(s.slow_begin, 75);
  EXPECT_EQ(s.slow_end, 950);
  EXPECT_EQ(s.window_ends, (std::vector<int>{99, 149, 249, 449, 949}));
  const ci::WarmupSchedule small = ci::warmup_schedule(100);  // 15 / 25 + 50 / 10
  EXPECT_EQ(small.slow_begin, 15);
  EXPECT_EQ(small.slow_end, 90);
  EXPECT_EQ(small.window_ends, (std::vector<int>{39, 89}));
  EXPECT_TRUE(ci::warmup_schedule(10).window_ends.empty());
}

TEST(Hmc, DiagonalGaussianMomentsBothAlgorithms) {
  const std::vector<double> mean{1, -2, 0, 3, 0.5, -1};
  const std::vector<double> sd{0.05, 0.3, 1, 2, 5, 0.8};
  for (ci::HmcAlgorithm alg : {ci::HmcAlgorithm::nuts, ci::HmcAlgorithm::static_hmc}) {
    ci::HmcOptions o;
    o.algorithm = alg;
    o.warmup = 500;
    o.samples = 4000;
    o.trajectory_length = 3;
    o.seed = 11;
    ci::HmcSampler s(diagonal_gaussian(mean, sd), std::vector<double>(6, 0.0), o);
    std::vector<std::vector<double>> draws(6), squares(6);
    double accept = 0;
    while (!s.done()) {
      const ci::HmcTransition t = s.iterate();
      if (t.warmup) continue;
      EXPECT_FALSE(t.divergent);
      accept += t.accept_stat / o.samples;
      for (int i = 0; i < 6; ++i) {
        const double x = s.state().q[i];
        draws[i].push_back(x);
        squares[i].push_back((x - mean[i]) * (x - mean[i]));
      }
    }
    // NUTS reaches its target; a static trajectory's acceptance is not monotone in the step, so
    // dual averaging lands only near it.
    const bool nuts = alg == ci::HmcAlgorithm::nuts;
    EXPECT_NEAR(accept, o.target_accept, nuts ? 0.1 : 0.17) << ci::hmc_algorithm_name(alg);
    for (int i = 0; i < 6; ++i) {
      EXPECT_LT(std::abs(batch_z(draws[i], mean[i])), 4.0) << ci::hmc_algorithm_name(alg) << i;
      EXPECT_LT(std::abs(batch_z(squares[i], sd[i] * sd[i])), 4.0)
          << ci::hmc_algorithm_name(alg) << i;
      // The adapted inverse mass approaches the variance (NUTS; a static trajectory near half
      // a period anticorrelates successive draws, which the window estimate does not average).
      const double ratio = s.state().inv_mass[i] / (sd[i] * sd[i]);
      EXPECT_NEAR(nuts ? ratio : std::log(ratio), nuts ? 1.0 : 0.0, nuts ? 0.35 : 1.2) << i;
    }
  }
}

TEST(Hmc, ResumedChainIsBitIdentical) {
  const std::vector<double> mean{0, 1, 2, 3}, sd{1, 0.1, 2, 0.5};
  ci::HmcOptions o;
  o.warmup = 60;
  o.samples = 40;
  o.seed = 5;
  o.chain = 3;
  o.adapt_from = 2;
  for (ci::HmcAlgorithm alg : {ci::HmcAlgorithm::nuts, ci::HmcAlgorithm::static_hmc}) {
    o.algorithm = alg;
    ci::HmcSampler whole(diagonal_gaussian(mean, sd), std::vector<double>(4, 0.5), o);
    std::vector<ci::HmcTransition> a;
    while (!whole.done()) a.push_back(whole.iterate());
    for (int stop : {1, 37, 61}) {  // inside the first window, at its end, after warm-up
      ci::HmcSampler first(diagonal_gaussian(mean, sd), std::vector<double>(4, 0.5), o);
      for (int i = 0; i < stop; ++i) first.iterate();
      ci::HmcSampler resumed(diagonal_gaussian(mean, sd), first.state(), o);
      for (int i = stop; i < o.warmup + o.samples; ++i) {
        const ci::HmcTransition t = resumed.iterate();
        ASSERT_EQ(t.log_density, a[i].log_density) << stop << " " << i;
        ASSERT_EQ(t.step_size, a[i].step_size) << stop << " " << i;
        ASSERT_EQ(t.leapfrog_steps, a[i].leapfrog_steps);
      }
      EXPECT_EQ(resumed.state().q, whole.state().q);
      EXPECT_EQ(resumed.state().inv_mass, whole.state().inv_mass);
      EXPECT_EQ(resumed.state().gradient_evaluations, whole.state().gradient_evaluations);
    }
    // Unit mass below adapt_from.
    EXPECT_EQ(whole.state().inv_mass[0], 1.0);
    EXPECT_EQ(whole.state().inv_mass[1], 1.0);
    EXPECT_NE(whole.state().inv_mass[2], 1.0);
  }
}

TEST(Hmc, BadOptionsAndStartsAreRefused) {
  const auto f = diagonal_gaussian({0}, {1});
  ci::HmcOptions o;
  o.target_accept = 1.2;
  EXPECT_THROW(ci::HmcSampler(f, std::vector<double>{0.0}, o), std::invalid_argument);
  o = {};
  o.samples = 0;
  EXPECT_THROW(ci::HmcSampler(f, std::vector<double>{0.0}, o), std::invalid_argument);
  o = {};
  o.adapt_from = 2;
  EXPECT_THROW(ci::HmcSampler(f, std::vector<double>{0.0}, o), std::invalid_argument);
  o = {};
  const ci::GradLogDensity bad = [](const std::vector<double>& q, std::vector<double>* g) {
    if (g) g->assign(q.size(), 0.0);
    return -std::numeric_limits<double>::infinity();
  };
  EXPECT_THROW(ci::HmcSampler(bad, std::vector<double>{0.0}, o), std::invalid_argument);
  EXPECT_THROW(ci::parse_hmc_algorithm("slice"), std::invalid_argument);
}

// d = A T w + sigma e on a 16^3 grid with T(k) = 3 / (1 + (k / 4)^2) (k in grid units), w white,
// A uniform on [0.2, 3] sampled as u = logit((A - 0.2) / 2.8).
namespace {

constexpr int kN = 16;
constexpr double kSigma = 1, kLo = 0.2, kHi = 3, kTrueA = 1.1;

double transfer(int x, int y, int z) {
  const auto f = [](int i) { return i <= kN / 2 ? i : i - kN; };
  const double k2 = f(x) * f(x) + f(y) * f(y) + f(z) * f(z);
  return 3 / (1 + k2 / 16);
}

// T applied to a real-space field (the filter is real and even, so T^T = T).
void apply_transfer(cs::Field<double>& f, const cs::Fft<double>& fft) {
  fft.forward(f);
  for (int x = 0; x < kN; ++x) {
    for (int y = 0; y < kN; ++y) {
      for (int z = 0; z <= kN / 2; ++z) f.mode(x, y, z) *= transfer(x, y, z) / (kN * kN * kN);
    }
  }
  fft.backward(f);
}

struct GaussianField {
  cs::Decomposition decomp{kN};
  cs::Fft<double> fft{decomp, 1};
  cs::Field<double> data{decomp};

  double operator()(const std::vector<double>& q, std::vector<double>* g) const {
    const double s = 1 / (1 + std::exp(-q.back()));
    const double a = kLo + (kHi - kLo) * s;
    cs::Field<double> tw{decomp};
    std::size_t c = 0;
    for (int x = 0; x < kN; ++x)
      for (int y = 0; y < kN; ++y)
        for (int z = 0; z < kN; ++z) tw.at(x, y, z) = q[c++];
    apply_transfer(tw, fft);
    cs::Field<double> r{decomp};
    double lp = std::log(s) + std::log(1 - s), dlda = 0;
    c = 0;
    for (int x = 0; x < kN; ++x)
      for (int y = 0; y < kN; ++y)
        for (int z = 0; z < kN; ++z, ++c) {
          const double res = (data.at(x, y, z) - a * tw.at(x, y, z)) / (kSigma * kSigma);
          r.at(x, y, z) = res;
          lp -= 0.5 * res * res * kSigma * kSigma + 0.5 * q[c] * q[c];
          dlda += res * tw.at(x, y, z);
        }
    if (g) {
      apply_transfer(r, fft);
      g->resize(q.size());
      c = 0;
      for (int x = 0; x < kN; ++x)
        for (int y = 0; y < kN; ++y)
          for (int z = 0; z < kN; ++z, ++c) (*g)[c] = a * r.at(x, y, z) - q[c];
      g->back() = dlda * (kHi - kLo) * s * (1 - s) + (1 - 2 * s);
    }
    return lp;
  }
};

}  // namespace

TEST(Hmc, GaussianField16MatchesAnalyticPosterior) {
  GaussianField model;
  const std::size_t cells = kN * kN * kN;
  // The truth and its data.
  std::mt19937_64 rng(2024);
  cs::Field<double> w{model.decomp};
  for (int x = 0; x < kN; ++x)
    for (int y = 0; y < kN; ++y)
      for (int z = 0; z < kN; ++z) w.at(x, y, z) = ci::standard_normal(rng);
  model.data = w.clone();
  apply_transfer(model.data, model.fft);
  for (int x = 0; x < kN; ++x)
    for (int y = 0; y < kN; ++y)
      for (int z = 0; z < kN; ++z)
        model.data.at(x, y, z) =
            kTrueA * model.data.at(x, y, z) + kSigma * ci::standard_normal(rng);
  cs::Field<double> dk = model.data.clone();
  model.fft.forward(dk);

  // Analytic marginal of A on a grid (uniform prior): ln p(d | A) = -1/2 sum_k [ln(A^2 T^2 +
  // s^2) + |d_k|^2 / (N (A^2 T^2 + s^2))] over every mode of the full grid.
  const int grid = 3000;
  std::vector<double> agrid(grid), logp(grid);
  for (int i = 0; i < grid; ++i) {
    const double a = 0.9 + 0.4 * (i + 0.5) / grid;  // the posterior lies well inside
    agrid[i] = a;
    double l = 0;
    for (int x = 0; x < kN; ++x)
      for (int y = 0; y < kN; ++y)
        for (int z = 0; z <= kN / 2; ++z) {
          const double weight = (z == 0 || z == kN / 2) ? 1 : 2;
          const double t = transfer(x, y, z), v = a * a * t * t + kSigma * kSigma;
          l -= 0.5 * weight * (std::log(v) + std::norm(dk.mode(x, y, z)) / (cells * v));
        }
    logp[i] = l;
  }
  const double lmax = *std::max_element(logp.begin(), logp.end());
  std::vector<double> pa(grid);
  double norm = 0, mean_a = 0, var_a = 0;
  for (int i = 0; i < grid; ++i) norm += pa[i] = std::exp(logp[i] - lmax);
  for (int i = 0; i < grid; ++i) mean_a += (pa[i] /= norm) * agrid[i];
  for (int i = 0; i < grid; ++i) var_a += pa[i] * (agrid[i] - mean_a) * (agrid[i] - mean_a);
  ASSERT_LT(pa.front() + pa.back(), 1e-8);  // the grid covers the posterior

  // Modes 0 < kz < n/2: real and imaginary parts of w_k / sqrt(N / 2), prior N(0, 1).
  struct Mode {
    int x, y, z;
    double mean_re = 0, mean_im = 0, second = 0;  // E[Re], E[Im], E[Re^2 + Im^2] / 2 terms
  };
  std::vector<Mode> modes;
  const double scale = std::sqrt(cells / 2.0);
  for (int x = 0; x < kN; ++x)
    for (int y = 0; y < kN; ++y)
      for (int z = 1; z < kN / 2; ++z) modes.push_back({x, y, z});
  std::vector<double> var_re(modes.size()), var_im(modes.size());
  for (std::size_t m = 0; m < modes.size(); ++m) {
    Mode& md = modes[m];
    const double t = transfer(md.x, md.y, md.z);
    const std::complex<double> d = dk.mode(md.x, md.y, md.z) / scale;
    double e2re = 0, e2im = 0;
    for (int i = 0; i < grid; ++i) {
      const double a = agrid[i], v = a * a * t * t + kSigma * kSigma;
      const std::complex<double> mk = a * t * d / v;
      const double cond_var = kSigma * kSigma / v;
      md.mean_re += pa[i] * mk.real();
      md.mean_im += pa[i] * mk.imag();
      e2re += pa[i] * (cond_var + mk.real() * mk.real());
      e2im += pa[i] * (cond_var + mk.imag() * mk.imag());
    }
    var_re[m] = e2re - md.mean_re * md.mean_re;
    var_im[m] = e2im - md.mean_im * md.mean_im;
  }

  ci::HmcOptions o;
  o.warmup = 300;
  o.samples = 2000;
  o.seed = 3;
  o.adapt_from = cells;  // unit mass for the white noise, adapted for u
  std::vector<double> q0(cells + 1, 0.0);
  q0.back() = std::log((1.0 - kLo) / (kHi - 1.0));  // A = 1
  ci::HmcSampler sampler(
      [&](const std::vector<double>& q, std::vector<double>* g) { return model(q, g); }, q0, o);
  std::vector<double> a_draws;
  std::vector<std::vector<double>> re(modes.size()), im(modes.size());
  cs::Field<double> f{model.decomp};
  int divergent = 0;
  while (!sampler.done()) {
    const ci::HmcTransition t = sampler.iterate();
    if (t.warmup) continue;
    divergent += t.divergent;
    const std::vector<double>& q = sampler.state().q;
    a_draws.push_back(kLo + (kHi - kLo) / (1 + std::exp(-q.back())));
    std::size_t c = 0;
    for (int x = 0; x < kN; ++x)
      for (int y = 0; y < kN; ++y)
        for (int z = 0; z < kN; ++z) f.at(x, y, z) = q[c++];
    model.fft.forward(f);
    for (std::size_t m = 0; m < modes.size(); ++m) {
      const std::complex<double> v = f.mode(modes[m].x, modes[m].y, modes[m].z) / scale;
      re[m].push_back(v.real());
      im[m].push_back(v.imag());
    }
  }
  EXPECT_EQ(divergent, 0);
  // The amplitude: mean and variance within their batch-means errors.
  std::vector<double> a_sq;
  for (double a : a_draws) a_sq.push_back((a - mean_a) * (a - mean_a));
  EXPECT_LT(std::abs(batch_z(a_draws, mean_a)), 4.0) << "analytic mean of A " << mean_a;
  EXPECT_LT(std::abs(batch_z(a_sq, var_a)), 4.0) << "analytic sd of A " << std::sqrt(var_a);
  // Every mode: z-scores of the mean and variance, their mean square near 1 (20 batches give a
  // t-like spread, E z^2 = 19 / 17) and few beyond 3.5.
  double z2_mean = 0, z2_var = 0;
  int beyond = 0;
  const std::size_t comps = 2 * modes.size();
  for (std::size_t m = 0; m < modes.size(); ++m) {
    for (int part = 0; part < 2; ++part) {
      const std::vector<double>& x = part == 0 ? re[m] : im[m];
      const double mu = part == 0 ? modes[m].mean_re : modes[m].mean_im;
      const double var = part == 0 ? var_re[m] : var_im[m];
      std::vector<double> sq;
      for (double v : x) sq.push_back((v - mu) * (v - mu));
      const double zm = batch_z(x, mu), zv = batch_z(sq, var);
      z2_mean += zm * zm / comps;
      z2_var += zv * zv / comps;
      beyond += (std::abs(zm) > 3.5) + (std::abs(zv) > 3.5);
    }
  }
  EXPECT_GT(z2_mean, 0.8);
  EXPECT_LT(z2_mean, 1.5);
  EXPECT_GT(z2_var, 0.8);
  EXPECT_LT(z2_var, 1.5);
  EXPECT_LT(beyond, static_cast<int>(0.01 * 2 * comps)) << "of " << 2 * comps;
  // The efficiency quoted in benchmarks/results/hmc.md.
  const double grads = static_cast<double>(sampler.state().gradient_evaluations);
  double ess_modes = 0;
  for (std::size_t m = 0; m < modes.size(); ++m) ess_modes += ci::bulk_ess({re[m]}) / modes.size();
  std::cout << "16^3 Gaussian field: A = " << mean_a << " +- " << std::sqrt(var_a)
            << " (analytic); sampled "
            << std::accumulate(a_draws.begin(), a_draws.end(), 0.0) / a_draws.size()
            << "; bulk ESS of A " << ci::bulk_ess({a_draws}) << ", mean over the modes (Re) "
            << ess_modes << " of " << o.samples << " draws; " << grads
            << " gradient evaluations in all; mean z^2 of the means " << z2_mean
            << ", of the variances " << z2_var << "\n";
}

// The field-level target: log pi of the unconstrained q against central differences along a
// random direction, with and without the Fourier preconditioning, Omega_m and sigma8 free.
TEST(FieldTarget, GradientMatchesFiniteDifferencesAndTransformsRoundTrip) {
  cs::SimSpec c;
  c.particles = 8;
  c.mesh = 16;
  c.box_size = 64;
  c.steps = 2;
  c.double_precision = true;
  c.threads = 1;
  c.fft_planning = cs::FftPlanning::estimate;
  ci::DataModel m;
  m.mesh = 8;
  m.box_size = c.box_size;
  m.noise_power = 50;
  std::mt19937_64 rng(9);
  std::vector<double> w(512);
  for (double& v : w) v = ci::standard_normal(rng);
  ci::Posterior truth(c, m, cs::Field<double>(cs::Decomposition(8)));
  const cs::Field<double> data = ci::simulate_data(truth.model(), truth.simulate(w), 3);
  const std::vector<cosmograd::driver::ParameterRange> priors{{cs::CosmoParam::Omega_m, 0.1, 0.5},
                                                              {cs::CosmoParam::sigma8, 0.6, 1.0}};
  ci::Posterior post(c, m, data.clone(), {cs::CosmoParam::Omega_m, cs::CosmoParam::sigma8});
  for (bool precondition : {false, true}) {
    const std::vector<double> scale =
        precondition ? ci::linear_posterior_scale(c, m, c.cosmology) : std::vector<double>{};
    if (precondition) {
      // Well-measured large scales are narrower than the prior; the data's k = 0 mode is not.
      EXPECT_EQ(scale[0], 1.0);
      EXPECT_LT(scale[1], 0.9);
      EXPECT_GT(scale[1], 0.0);
    }
    ci::FieldTarget target(post, priors, scale);
    std::vector<double> x = w;
    x.push_back(0.27);
    x.push_back(0.85);
    const std::vector<double> q = target.to_unconstrained(x);
    const std::vector<double> back = target.to_constrained(q);
    for (std::size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(back[i], x[i], 1e-12) << i;
    EXPECT_NEAR(target.parameters(q)[1], 0.85, 1e-12);
    std::vector<double> grad, dir(q.size());
    target(q, &grad);
    for (double& v : dir) v = ci::standard_normal(rng);
    double analytic = 0;
    for (std::size_t i = 0; i < q.size(); ++i) analytic += grad[i] * dir[i];
    const double eps = 1e-5;
    std::vector<double> a = q, b = q;
    for (std::size_t i = 0; i < q.size(); ++i) a[i] += eps * dir[i], b[i] -= eps * dir[i];
    const double fd = (target(a, nullptr) - target(b, nullptr)) / (2 * eps);
    EXPECT_NEAR(fd / analytic, 1.0, 1e-6) << "preconditioned " << precondition;
    // Only the parameter directions (the Jacobian term of the transform included).
    for (std::size_t p = 512; p < 514; ++p) {
      std::vector<double> ap = q, bp = q;
      ap[p] += 1e-5;
      bp[p] -= 1e-5;
      const double fdp = (target(ap, nullptr) - target(bp, nullptr)) / 2e-5;
      EXPECT_NEAR(fdp / grad[p], 1.0, 1e-5) << p;
    }
  }
  EXPECT_THROW(ci::FieldTarget(post, {priors[1], priors[0]}), std::invalid_argument);
  EXPECT_THROW(ci::FieldTarget(post, priors, std::vector<double>(3, 1.0)), std::invalid_argument);
  ci::FieldTarget target(post, priors);
  std::vector<double> outside = w;
  outside.push_back(0.6);
  outside.push_back(0.8);
  EXPECT_THROW(target.to_unconstrained(outside), std::invalid_argument);
}
