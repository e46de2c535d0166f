// LDL layers (Dai & Seljak 2021): the forward displacement against the analytic result for a
// plane wave, and the gradient of the loss (through the readout, FFT and paint vjps) against
// central finite differences in double precision.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "sim/baryons/ldl.hpp"

namespace cg = cosmograd::sim;

namespace {

/// A lattice of n^3 particles with smooth random displacements of about `spread` cells plus
/// a clump, so that the density has structure and no cell is empty.
cg::Particles<double> clumpy_particles(int n, double box, unsigned seed, double spread) {
  cg::Particles<double> p = cg::Particles<double>::lattice_grid(n, box);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  const double cell = box / n;
  const double kf = 2 * M_PI / box;
  double amp[3][3], phase[3][3];
  for (auto& a : amp) {
    for (double& v : a) v = u(rng);
  }
  for (auto& a : phase) {
    for (double& v : a) v = M_PI * u(rng);
  }
  for (std::size_t j = 0; j < p.size(); ++j) {
    for (int d = 0; d < 3; ++d) {
      const double q = p.lattice(j, d);
      double s = 0;
      for (int m = 0; m < 3; ++m) s += amp[d][m] * std::sin((m + 1) * kf * q + phase[d][m]);
      p.disp[3 * j + d] = spread * cell * (s / 3 + 0.3 * u(rng));
    }
  }
  return p;
}

cg::LdlModel test_model(int mesh) {
  cg::LdlModel m;
  m.mesh = mesh;
  m.layers = {cg::LdlLayer{0.6, 0.8, 0.3, 2.0, -1.0}, cg::LdlLayer{-0.3, 1.2, 0.5, 1.5, -0.5}};
  m.output = true;
  m.out = cg::LdlOutput{1.2, -0.1, 1.1};
  return m;
}

}  // namespace

// A plane-wave density 1 + A cos(k0 x) (a Zel'dovich-displaced lattice) with gamma = 1: the
// layer moves particles by S_x = -alpha k0 O(k0) A sin(k0 x), up to the CIC windows of the
// paint and the readout, sinc(k0 dx / 2)^4, and O(A^2).
TEST(Ldl, PlaneWaveDisplacementMatchesTheAnalyticLayer) {
  const int n = 32;
  const double box = 64, amp = 0.01, kf = 2 * M_PI / box, k0 = 2 * kf;
  cg::Particles<double> p = cg::Particles<double>::lattice_grid(n, box);
  const double half = 0.5 * box / n;
  for (std::size_t j = 0; j < p.size(); ++j) {
    p.disp[3 * j] = half - amp / k0 * std::sin(k0 * (p.lattice(j, 0) + half));
    p.disp[3 * j + 1] = p.disp[3 * j + 2] = half;
  }
  cg::LdlModel model;
  model.mesh = n;
  model.output = false;
  const cg::LdlLayer layer{2.0, 1.0, 0.05, 5.0, -1.5};
  model.layers = {layer};
  const cg::Particles<double> q = cg::ldl_displace(model, p);
  const double o =
      std::exp(-layer.k_l * layer.k_l / (k0 * k0) - k0 * k0 / (layer.k_h * layer.k_h)) *
      std::pow(k0, layer.n);
  const double window = std::pow(std::sin(k0 * box / n / 2) / (k0 * box / n / 2), 4);
  double worst = 0, scale = 0;
  for (std::size_t j = 0; j < p.size(); ++j) {
    const double x = p.lattice(j, 0) + p.disp[3 * j];
    const double expect = -layer.alpha * k0 * o * amp * window * std::sin(k0 * x);
    worst = std::max(worst, std::abs(q.disp[3 * j] - p.disp[3 * j] - expect));
    scale = std::max(scale, std::abs(expect));
    EXPECT_NEAR(q.disp[3 * j + 1], half, 1e-12);
    EXPECT_NEAR(q.disp[3 * j + 2], half, 1e-12);
  }
  EXPECT_GT(scale, 1e-3);
  EXPECT_LT(worst, 0.005 * scale) << "worst deviation " << worst << " of " << scale;
}

// alpha > 0 with n = -2 moves particles towards overdensities (like gravity); without layers
// and without the output layer the model paints the particles' 1 + delta.
TEST(Ldl, PositiveAlphaContractsAClumpAndNoLayersPaintTheDensity) {
  const int n = 16;
  const double box = 32;
  const cg::Particles<double> p = clumpy_particles(n, box, 3, 0.8);
  cg::LdlModel none;
  none.mesh = n;
  none.output = false;
  const cg::Field<double> painted = cg::ldl_paint(none, p);
  const cg::Field<double> rho = cg::ldl_density(p, n);
  double total = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        EXPECT_EQ(painted.at(x, y, z), rho.at(x, y, z));
        total += rho.at(x, y, z);
      }
    }
  }
  EXPECT_NEAR(total / (n * n * n), 1.0, 1e-12);

  // Contrast of the density before and after one gravity-like layer.
  cg::LdlModel pull = none;
  pull.layers = {cg::LdlLayer{0.5, 1.0, 0.01, 10.0, -2.0}};
  const cg::Field<double> after = cg::ldl_paint(pull, p);
  double var_before = 0, var_after = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        var_before += std::pow(rho.at(x, y, z) - 1, 2);
        var_after += std::pow(after.at(x, y, z) - 1, 2);
      }
    }
  }
  EXPECT_GT(var_after, 1.05 * var_before);
  pull.layers[0].alpha = -0.5;
  const cg::Field<double> pushed = cg::ldl_paint(pull, p);
  double var_pushed = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) var_pushed += std::pow(pushed.at(x, y, z) - 1, 2);
    }
  }
  EXPECT_LT(var_pushed, 0.95 * var_before);
}

// The gradient of the loss with respect to all 13 parameters of a two-layer model with the
// output layer, against central differences (double precision, relative step 1e-6).
TEST(Ldl, LossGradientMatchesFiniteDifferences) {
  const int n = 16;
  const double box = 32;
  const cg::Particles<double> p = clumpy_particles(n, box, 5, 0.7);
  const cg::Particles<double> other = clumpy_particles(n, box, 9, 0.9);
  cg::Field<double> target = cg::ldl_density(other, n);
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) target.at(x, y, z) = 0.5 * std::pow(target.at(x, y, z), 1.5);
    }
  }
  for (const bool output : {true, false}) {
    cg::LdlModel model = test_model(n);
    model.output = output;
    cg::LdlLoss loss;
    loss.smoothing = 2.0;
    loss.mse_weight = 1.0;
    loss.power_weight = 0.5;
    std::vector<double> grad;
    const double value = cg::ldl_loss_gradient(model, p, target, loss, &grad);
    ASSERT_EQ(static_cast<int>(grad.size()), model.num_parameters());
    EXPECT_GT(value, 0);
    const std::vector<double> theta = model.parameters();
    for (std::size_t i = 0; i < theta.size(); ++i) {
      const double h = 1e-6 * std::max(1.0, std::abs(theta[i]));
      std::vector<double> up = theta, down = theta;
      up[i] += h;
      down[i] -= h;
      cg::LdlModel mu = model, md = model;
      mu.set_parameters(up);
      md.set_parameters(down);
      const double fd = (cg::ldl_loss_gradient(mu, p, target, loss, nullptr) -
                         cg::ldl_loss_gradient(md, p, target, loss, nullptr)) /
                        (2 * h);
      EXPECT_NEAR(grad[i], fd, 1e-5 * std::max(1e-3, std::abs(fd)))
          << "parameter " << model.named_parameters()[i].first << " output " << output;
    }
  }
}

TEST(Ldl, RejectsBadParameters) {
  cg::LdlModel m = test_model(16);
  std::vector<double> v = m.parameters();
  v[2] = -1;  // layer 1 k_l
  EXPECT_THROW(m.set_parameters(v), std::invalid_argument);
  EXPECT_THROW(m.set_parameters({1.0}), std::invalid_argument);
  m = test_model(15);
  EXPECT_THROW(m.validate(), std::invalid_argument);
}
