// The posterior through the adjoint (gradient against finite differences, with a free
// cosmological parameter too), MAP reconstructions that must improve on the prior mean, and
// r(k) / T(k) on fields with known answers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "inference/map_estimate.hpp"
#include "inference/posterior.hpp"
#include "inference/reconstruction_metrics.hpp"

namespace cosmograd::inference {
namespace {

sim::SimSpec tiny_spec() {
  sim::SimSpec c;
  c.particles = 8;
  c.mesh = 16;
  c.box_size = 64;
  c.steps = 3;
  c.a_init = 0.1;
  c.double_precision = true;
  c.threads = 1;
  c.painter = sim::PaintKernel::tsc;
  c.fft_planning = sim::FftPlanning::estimate;
  return c;
}

DataModel tiny_model(const sim::SimSpec& c) {
  DataModel m;
  m.mesh = 8;
  m.box_size = c.box_size;
  m.painter = sim::PaintKernel::tsc;
  m.noise_power = 50;
  return m;
}

std::vector<double> gaussian(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> v(n);
  for (double& x : v) x = g(rng);
  return v;
}

/// Data of white noise `w` for the tiny problem.
sim::Field<double> tiny_data(const sim::SimSpec& c, const DataModel& m,
                             const std::vector<double>& w) {
  Posterior truth(c, m, sim::Field<double>(sim::Decomposition(m.mesh)));
  return simulate_data(truth.model(), truth.simulate(w), 17);
}

double directional_error(Posterior& post, const std::vector<double>& x, double eps) {
  std::vector<double> grad;
  post.evaluate(x, &grad);
  const std::vector<double> dir = gaussian(x.size(), 23);
  double analytic = 0;
  for (std::size_t i = 0; i < x.size(); ++i) analytic += grad[i] * dir[i];
  std::vector<double> a = x, b = x;
  for (std::size_t i = 0; i < x.size(); ++i) a[i] += eps * dir[i], b[i] -= eps * dir[i];
  const double fd = (post.evaluate(a, nullptr) - post.evaluate(b, nullptr)) / (2 * eps);
  return std::abs(fd - analytic) / std::abs(analytic);
}

TEST(Posterior, GradientThroughTheAdjointMatchesFiniteDifferences) {
  const sim::SimSpec c = tiny_spec();
  const DataModel m = tiny_model(c);
  const std::vector<double> w_true = gaussian(512, 1);
  Posterior post(c, m, tiny_data(c, m, w_true));
  const std::vector<double> x = gaussian(512, 2);
  EXPECT_LT(directional_error(post, x, 1e-5), 1e-6);
  // Redshift space along z.
  DataModel rsd = m;
  rsd.rsd_axis = 2;
  Posterior post_rsd(c, rsd, tiny_data(c, m, w_true));
  EXPECT_LT(directional_error(post_rsd, x, 1e-5), 1e-6);
}

TEST(Posterior, FreeOmegaMGradientMatchesFiniteDifferences) {
  const sim::SimSpec c = tiny_spec();
  const DataModel m = tiny_model(c);
  Posterior post(c, m, tiny_data(c, m, gaussian(512, 3)), {sim::CosmoParam::Omega_m});
  ASSERT_EQ(post.dimension(), 513u);
  std::vector<double> x = gaussian(512, 4);
  x.push_back(0.29);
  std::vector<double> grad;
  post.evaluate(x, &grad);
  const double eps = 1e-6;
  std::vector<double> a = x, b = x;
  a.back() += eps, b.back() -= eps;
  const double fd = (post.evaluate(a, nullptr) - post.evaluate(b, nullptr)) / (2 * eps);
  EXPECT_NEAR(grad.back(), fd, 1e-5 * std::abs(fd));
  DataModel rsd = m;
  rsd.rsd_axis = 0;
  EXPECT_THROW(Posterior(c, rsd, tiny_data(c, m, gaussian(512, 3)), {sim::CosmoParam::Omega_m}),
               std::invalid_argument);
}

TEST(Posterior, MapReconstructionsBeatThePriorMeanOnLargeScales) {
  sim::SimSpec c = tiny_spec();
  c.particles = 16;
  c.mesh = 16;
  c.box_size = 128;
  c.painter = sim::PaintKernel::cic;
  DataModel m = tiny_model(c);
  m.mesh = 16;
  m.painter = sim::PaintKernel::cic;
  m.noise_power = 20;
  const std::vector<double> w_true = gaussian(4096, 5);
  Posterior post(c, m, tiny_data(c, m, w_true));
  const sim::Field<double> truth = linear_field(c, noise_field(w_true, 16), 1);
  for (const MapMethod method : {MapMethod::lbfgs, MapMethod::adam}) {
    MapOptions o;
    o.method = method;
    o.iterations = 40;
    o.anneal = {16, 0};
    const MapResult r = map_estimate(post, post.start(), o);
    ASSERT_FALSE(r.trace.empty());
    EXPECT_EQ(r.trace.front().smoothing, 16.0);
    EXPECT_EQ(r.trace.back().smoothing, 0.0);
    const double start = post.evaluate(post.start(), nullptr);
    EXPECT_LT(post.evaluate(r.x, nullptr), 0.5 * start) << map_method_name(method);
    const TransferComparison tc =
        compare_fields(linear_field(c, noise_field(r.x, 16), 1), truth, c.box_size, 1);
    // The two largest-scale bins are well measured at this noise: r > 0.9.
    EXPECT_GT(tc.r[0], 0.9) << map_method_name(method);
    EXPECT_GT(tc.r[1], 0.9) << map_method_name(method);
  }
}

TEST(ReconstructionMetrics, KnownAnswers) {
  const int n = 16;
  sim::Field<double> a = noise_field(gaussian(4096, 8), n), b = a.clone(), c = a.clone();
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) b.at(x, y, z) *= 2;
  const TransferComparison same = compare_fields(b, a, 100, 1);
  for (std::size_t i = 0; i < same.k.size(); ++i) {
    EXPECT_NEAR(same.r[i], 1.0, 1e-12);
    EXPECT_NEAR(same.transfer[i], 2.0, 1e-12);
  }
  const TransferComparison indep = compare_fields(noise_field(gaussian(4096, 9), n), a, 100, 1);
  double mean_r = 0;
  for (double r : indep.r) mean_r += r / static_cast<double>(indep.r.size());
  EXPECT_LT(std::abs(mean_r), 0.1);
}

}  // namespace
}  // namespace cosmograd::inference
