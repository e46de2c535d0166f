// Data models: likelihood vjps against central finite differences (double, 1e-6), the noise
// and mask, Gaussian smoothing of a plane wave, the halo bias fit on an exact bias field.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "inference/data_model.hpp"
#include "inference/halo_data.hpp"

namespace cosmograd::inference {
namespace {

/// Lattice particles of an n^3 grid with random displacements (rms `amp` cells) and momenta.
sim::Particles<double> random_particles(int n, double box, double amp, unsigned seed) {
  sim::Particles<double> p = sim::Particles<double>::lattice_grid(n, box);
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, amp * box / n);
  for (double& d : p.disp) d = g(rng);
  for (double& m : p.mom) m = g(rng);
  return p;
}

DataModel small_model(Tracer tracer) {
  DataModel m;
  m.tracer = tracer;
  m.mesh = 8;
  m.box_size = 40;
  m.painter = sim::PaintKernel::tsc;  // smooth weights: central differences converge
  m.noise_power = 20;
  m.bias_b1 = 1.7;
  m.bias_b2 = 0.6;
  m.bias_smoothing = 6;
  return m;
}

/// Relative error of the vjp against a central difference along a random direction.
double vjp_error(const DataModel& m, const sim::Particles<double>& p,
                 const sim::Field<double>& data, double smoothing) {
  sim::StateCotangent<double> cot;
  data_likelihood(m, p, data, smoothing, &cot);
  std::mt19937 rng(7);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> dd(p.disp.size()), dm(p.mom.size());
  double analytic = 0;
  for (std::size_t i = 0; i < dd.size(); ++i) {
    dd[i] = g(rng), dm[i] = g(rng);
    analytic += cot.disp[i] * dd[i] + cot.mom[i] * dm[i];
  }
  const double eps = 1e-6;
  sim::Particles<double> a = p, b = p;
  for (std::size_t i = 0; i < dd.size(); ++i) {
    a.disp[i] += eps * dd[i], a.mom[i] += eps * dm[i];
    b.disp[i] -= eps * dd[i], b.mom[i] -= eps * dm[i];
  }
  const double fd =
      (data_likelihood(m, a, data, smoothing) - data_likelihood(m, b, data, smoothing)) / (2 * eps);
  return std::abs(fd - analytic) / std::abs(analytic);
}

TEST(DataModel, MatterLikelihoodVjpMatchesFiniteDifferences) {
  const DataModel m = small_model(Tracer::matter);
  const sim::Particles<double> truth = random_particles(8, 40, 0.3, 1);
  const sim::Field<double> data = simulate_data(m, truth, 3);
  const sim::Particles<double> p = random_particles(8, 40, 0.3, 2);
  EXPECT_LT(vjp_error(m, p, data, 0.0), 1e-6);
  EXPECT_LT(vjp_error(m, p, data, 8.0), 1e-6);  // annealing smoothing
}

TEST(DataModel, HaloMaskedRedshiftSpaceLikelihoodVjpMatchesFiniteDifferences) {
  DataModel m = small_model(Tracer::halos);
  m.mask = slab_mask(m.mesh, 0.25);
  m.rsd_axis = 2;
  m.rsd_factor = 0.8;
  const sim::Particles<double> truth = random_particles(8, 40, 0.3, 4);
  const sim::Field<double> data = simulate_data(m, truth, 5);
  const sim::Particles<double> p = random_particles(8, 40, 0.3, 6);
  EXPECT_LT(vjp_error(m, p, data, 0.0), 1e-6);
  EXPECT_LT(vjp_error(m, p, data, 5.0), 1e-6);
  // The momenta enter only through the line of sight: their cotangent vanishes off it.
  sim::StateCotangent<double> cot;
  data_likelihood(m, p, data, 0.0, &cot);
  double off = 0, on = 0;
  for (std::size_t j = 0; j < p.size(); ++j) {
    off += std::abs(cot.mom[3 * j]) + std::abs(cot.mom[3 * j + 1]);
    on += std::abs(cot.mom[3 * j + 2]);
  }
  EXPECT_EQ(off, 0.0);
  EXPECT_GT(on, 0.0);
}

TEST(DataModel, UniformLatticeIsObservedAsZeroAndNoiseHasItsPower) {
  DataModel m = small_model(Tracer::matter);
  m.mesh = 16;
  m.painter = sim::PaintKernel::cic;
  const sim::Particles<double> lattice = sim::Particles<double>::lattice_grid(16, 40);
  const sim::Field<double> obs = observe(m, lattice);
  double max_abs = 0;
  for (int x = 0; x < 16; ++x)
    for (int y = 0; y < 16; ++y)
      for (int z = 0; z < 16; ++z) max_abs = std::max(max_abs, std::abs(obs.at(x, y, z)));
  EXPECT_LT(max_abs, 1e-12);
  m.mask = slab_mask(16, 0.5);
  const sim::Field<double> data = simulate_data(m, lattice, 11);
  double ss = 0, masked = 0;
  for (int x = 0; x < 16; ++x)
    for (int y = 0; y < 16; ++y)
      for (int z = 0; z < 16; ++z) {
        if (x < 8)
          masked += std::abs(data.at(x, y, z));
        else
          ss += data.at(x, y, z) * data.at(x, y, z);
      }
  EXPECT_EQ(masked, 0.0);
  // 2048 unmasked cells: the sample variance is within 4 standard errors (sqrt(2/2048) = 3%).
  const double var = ss / 2048, expected = m.noise_power / m.cell_volume();
  EXPECT_NEAR(var / expected, 1.0, 4 * std::sqrt(2.0 / 2048));
}

TEST(DataModel, GaussianSmoothingScalesAPlaneWave) {
  const int n = 16;
  const double box = 100, radius = 7;
  sim::Field<double> f{sim::Decomposition(n)};
  const double k = 2 * M_PI * 3 / box;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) f.at(x, y, z) = std::cos(k * x * box / n);
  gaussian_smooth(f, box, radius, 1);
  const double factor = std::exp(-0.5 * k * k * radius * radius);
  for (int x = 0; x < n; ++x) EXPECT_NEAR(f.at(x, 5, 9), factor * std::cos(k * x * box / n), 1e-12);
}

TEST(DataModel, BiasFitRecoversAnExactBiasField) {
  DataModel m = small_model(Tracer::halos);
  m.painter = sim::PaintKernel::cic;
  const sim::Particles<double> p = random_particles(8, 40, 0.4, 9);
  const sim::Field<double> halos = observe(m, p);  // exactly b1 s + b2 (s^2 - <s^2>)
  const BiasFit fit = fit_halo_bias(m, p, halos);
  EXPECT_NEAR(fit.b1, 1.7, 1e-9);
  EXPECT_NEAR(fit.b2, 0.6, 1e-9);
  EXPECT_LT(fit.noise_power, 1e-12);
}

TEST(DataModel, BadSettingsNameTheField) {
  DataModel m = small_model(Tracer::matter);
  m.noise_power = 0;
  try {
    m.validate();
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("noise_power"), std::string::npos) << e.what();
  }
  EXPECT_THROW(slab_mask(8, 1.0), std::invalid_argument);
  EXPECT_THROW(parse_tracer("galaxies"), std::invalid_argument);
  m = small_model(Tracer::matter);
  m.mask.assign(7, 1.0);
  EXPECT_THROW(m.validate(), std::invalid_argument);
}

}  // namespace
}  // namespace cosmograd::inference
