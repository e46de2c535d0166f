// Super-resolution (nn/superres.hpp): the lattice interpolation baseline, space-to-depth round
// trip, interpolation at initialisation, the receptive radius, seamless patches with noise,
// noise injection, save/load, the pair data (shared large scales), halo statistics.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/bridge.hpp"
#include "nn/emulator.hpp"
#include "nn/emulator_train.hpp"
#include "nn/halo_model.hpp"
#include "nn/superres.hpp"
#include "nn/superres_data.hpp"
#include "nn/superres_train.hpp"
#include "sim/core/build_config.hpp"

namespace cnn = cosmograd::nn;
namespace fs = std::filesystem;

namespace {

cnn::SuperResOptions tiny_options(int64_t factor = 2, int64_t depth = 1, int64_t ch = 4) {
  return cnn::SuperResOptions()
      .box_size(32.0)
      .particles(16)
      .factor(factor)
      .disp_scale(3.0)
      .mom_scale(4.0)
      .depth(depth)
      .lr_channels(ch)
      .hr_channels(ch);
}

/// Gives the zero-initialised head and noise weights random values.
void randomise(cnn::SuperRes& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m->named_parameters()) {
    if (p.key().rfind("head.", 0) == 0 || p.key().rfind("noise", 0) == 0) {
      p.value().normal_(0.0, 0.3);
    }
  }
}

}  // namespace

TEST(SuperRes, LatticeInterpolationIsExactOnLinearFieldsAndAtCoarsePoints) {
  const int64_t n = 8, f = 2;
  const torch::Tensor x = torch::randn({1, 2, n, n, n}, torch::kFloat64);
  const torch::Tensor y = cnn::upsample_lattice(x, f);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 2, f * n, f * n, f * n}));
  using torch::indexing::Slice;
  // Coarse point i is fine point f i.
  EXPECT_TRUE(torch::allclose(
      y.index({Slice(), Slice(), Slice(0, f * n, f), Slice(0, f * n, f), Slice(0, f * n, f)}), x));
  // Midpoints along x are the mean of the two neighbours, periodic at the edge.
  const torch::Tensor mid = y.index({0, 0, f * n - 1, 0, 0}).squeeze();
  EXPECT_NEAR(mid.item<double>(), 0.5 * (x[0][0][n - 1][0][0] + x[0][0][0][0][0]).item<double>(),
              1e-12);
  // A periodic plane wave at the lowest frequency is reproduced to second order.
  const double pi = M_PI;
  const torch::Tensor i = torch::arange(n, torch::kFloat64);
  const torch::Tensor wave =
      torch::cos(2 * pi * i / n).view({1, 1, n, 1, 1}).expand({1, 1, n, n, n});
  const torch::Tensor fine = cnn::upsample_lattice(wave.contiguous(), f);
  const torch::Tensor exact = torch::cos(2 * pi * torch::arange(f * n, torch::kFloat64) / (f * n))
                                  .view({1, 1, f * n, 1, 1});
  EXPECT_LT((fine - exact).abs().max().item<double>(), (2 * pi / n) * (2 * pi / n) / 8 * 1.01);
}

TEST(SuperRes, SpaceToDepthRoundTripsAndPlacesSubLattices) {
  const torch::Tensor fine = torch::randn({2, 3, 8, 8, 8});
  const torch::Tensor c = cnn::space_to_depth(fine, 2);
  ASSERT_EQ(c.sizes(), (std::vector<int64_t>{2, 24, 4, 4, 4}));
  EXPECT_TRUE(torch::equal(cnn::depth_to_space(c, 2), fine));
  // Channel c f^3 + (ox f + oy) f + oz holds fine point (f i + ox, f j + oy, f k + oz).
  EXPECT_EQ(c[1][1 * 8 + (1 * 2 + 0) * 2 + 1][2][3][1].item<float>(),
            fine[1][1][2 * 2 + 1][2 * 3 + 0][2 * 1 + 1].item<float>());
}

TEST(SuperRes, StartsAsInterpolationAndKeepsShapes) {
  torch::manual_seed(1);
  for (int64_t f : {2, 4}) {
    cnn::SuperRes m(tiny_options(f));
    const torch::Tensor x = torch::randn({2, 6, 8, 8, 8});
    const torch::Tensor noise = m->make_noise(2, 8, 3);
    EXPECT_EQ(m->noise_channels(), 2);
    const torch::Tensor y = m->forward(x, noise);
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 6, 8 * f, 8 * f, 8 * f}));
    EXPECT_TRUE(torch::allclose(y, cnn::upsample_lattice(x, f)));
  }
  EXPECT_THROW(cnn::SuperRes(tiny_options(3)), std::invalid_argument);
  cnn::SuperRes m(tiny_options());
  EXPECT_THROW(m->forward(torch::randn({1, 5, 8, 8, 8})), std::invalid_argument);
  EXPECT_THROW(m->forward(torch::randn({1, 6, 8, 8, 8}), torch::randn({1, 2, 8, 8, 8})),
               std::invalid_argument);
}

TEST(SuperRes, ReceptiveRadiusBoundsTheDependence) {
  torch::manual_seed(2);
  cnn::SuperRes m(tiny_options(2, 1, 2));
  randomise(m);
  const int64_t n = 32, r = m->receptive_radius();
  ASSERT_LT(2 * r + 1, n);
  const torch::Tensor x = torch::randn({1, 6, n, n, n}, torch::kFloat64);
  m->to(torch::kFloat64);
  const torch::Tensor base = m->forward(x);
  torch::Tensor x2 = x.clone();
  x2[0][0][n / 2][0][0] += 1.0;  // perturb one coarse particle
  const torch::Tensor diff = (m->forward(x2) - base).abs().amax({0, 1, 3, 4});  // per fine x plane
  // Fine plane I depends on coarse plane n/2 only if |I / 2 - n/2| <= r (periodic).
  for (int64_t I = 0; I < 2 * n; ++I) {
    double d = std::abs(static_cast<double>(I) / 2 - static_cast<double>(n / 2));
    d = std::min(d, static_cast<double>(n) - d);
    if (d > static_cast<double>(r)) {
      EXPECT_EQ(diff[I].item<double>(), 0.0) << "plane " << I;
    }
  }
  EXPECT_GT(diff[n].item<double>(), 0.0);                // the perturbed point itself moves
  EXPECT_GT(diff[n + 2 * (r - 2)].item<double>(), 0.0);  // the bound is not loose by much
}

TEST(SuperRes, PatchesWithNoiseJoinWithoutSeamsAndShiftsCommute) {
  torch::manual_seed(4);
  cnn::SuperRes m(tiny_options(2, 1, 1));
  randomise(m);
  torch::NoGradGuard no_grad;
  const int64_t n = 48;  // > patch + 2 pad, so patches are used
  const torch::Tensor x = torch::randn({6, n, n, n});
  const torch::Tensor noise = m->make_noise(1, n, 7)[0];
  const torch::Tensor whole = m->forward(x.unsqueeze(0), noise.unsqueeze(0)).squeeze(0);
  int64_t calls = 0;
  const torch::Tensor patched =
      cnn::superres_patched(m, x, noise, 16, -1, [&](int64_t, int64_t) { ++calls; });
  ASSERT_GT(n, 16 + 2 * ((m->receptive_radius() + 1) / 2 * 2));
  EXPECT_EQ(calls, 27);
  EXPECT_LT((patched - whole).abs().max().item<double>(), 1e-4);
  // Shifting the box (and its noise) by a patch origin shifts the super-resolved box.
  const torch::Tensor shifted = cnn::superres_patched(
      m, torch::roll(x, {16, 0, 32}, {1, 2, 3}), torch::roll(noise, {32, 0, 64}, {1, 2, 3}), 16);
  EXPECT_LT((shifted - torch::roll(patched, {32, 0, 64}, {1, 2, 3})).abs().max().item<double>(),
            1e-4);
  // Too little padding shows seams; other noise changes the output (the test can fail).
  EXPECT_GT((cnn::superres_patched(m, x, noise, 16, 0) - whole).abs().max().item<double>(), 1e-2);
  EXPECT_GT((cnn::superres_patched(m, x, m->make_noise(1, n, 8)[0], 16) - whole)
                .abs()
                .max()
                .item<double>(),
            1e-2);
}

TEST(SuperRes, DensityLossGradientThroughThePainterMatchesFiniteDifferences) {
  // The training's density term: generated fine particles painted by the engine (CIC, vjp by
  // sim::paint_vjp) against a target density; d loss / d (coarse input) by autograd against
  // central differences, double, tiny model.
  torch::manual_seed(6);
  cnn::SuperRes m(tiny_options(2, 1, 2));
  randomise(m);
  m->to(torch::kFloat64);
  const int64_t n = 4;
  const double box = 8.0;  // spacing 2 Mpc/h, fine 1 Mpc/h
  const torch::Tensor x0 = 0.3 * torch::randn({1, 6, n, n, n}, torch::kFloat64);
  const torch::Tensor noise = m->make_noise(1, n, 2).to(torch::kFloat64);
  const torch::Tensor target = torch::randn({2 * n, 2 * n, 2 * n}, torch::kFloat64);
  auto loss = [&](const torch::Tensor& x) {
    const torch::Tensor y = m->forward(x, noise)[0];
    const torch::Tensor pos = cnn::displaced_positions(y.slice(0, 0, 3), box);
    const torch::Tensor delta = cnn::paint(pos, static_cast<int>(2 * n), box) - 1.0;
    return (delta - target).square().mean();
  };
  const torch::Tensor x = x0.clone().requires_grad_(true);
  loss(x).backward();
  const torch::Tensor g = x.grad();
  const double h = 1e-6;
  for (const auto& idx : {std::vector<int64_t>{0, 0, 1, 2, 3}, {0, 2, 0, 0, 1}, {0, 4, 3, 1, 2}}) {
    torch::Tensor xp = x0.clone(), xm = x0.clone();
    xp.index_put_({idx[0], idx[1], idx[2], idx[3], idx[4]},
                  x0.index({idx[0], idx[1], idx[2], idx[3], idx[4]}) + h);
    xm.index_put_({idx[0], idx[1], idx[2], idx[3], idx[4]},
                  x0.index({idx[0], idx[1], idx[2], idx[3], idx[4]}) - h);
    torch::NoGradGuard no_grad;
    const double fd = (loss(xp) - loss(xm)).item<double>() / (2 * h);
    const double ad = g.index({idx[0], idx[1], idx[2], idx[3], idx[4]}).item<double>();
    EXPECT_NEAR(ad, fd, 1e-5 * std::max(1.0, std::abs(fd))) << "component " << idx[1];
    EXPECT_GT(std::abs(fd), 1e-6);  // the term depends on this input
  }
}

TEST(SuperRes, BinnedLogPowerPutsAPlaneWaveInItsShell) {
  const int64_t m = 16;
  const torch::Tensor x = torch::arange(m, torch::kFloat64) / m;
  // cos(2 pi 3 x) along the first axis: all power at |k| = 3 fundamentals.
  const torch::Tensor wave = torch::cos(2 * M_PI * 3 * x).view({m, 1, 1}).expand({m, m, m});
  const torch::Tensor lp = cnn::binned_log_power(wave.contiguous());
  ASSERT_EQ(lp.size(0), m / 2);  // bins 1 .. m / 2
  EXPECT_TRUE(std::isfinite(lp[2].item<double>()));
  for (int64_t b = 0; b < m / 2; ++b) {
    if (b != 2) {
      EXPECT_FALSE(lp[b].item<double>() > lp[2].item<double>() - 20) << b;
    }
  }
  // Doubling the field adds ln 4 to every bin; the gradient flows.
  const torch::Tensor d = torch::randn({m, m, m}, torch::kFloat64).requires_grad_(true);
  const torch::Tensor l1 = cnn::binned_log_power(d);
  EXPECT_LT((cnn::binned_log_power(2 * d) - l1 - std::log(4.0)).abs().max().item<double>(), 1e-12);
  l1.sum().backward();
  EXPECT_GT(d.grad().abs().sum().item<double>(), 0.0);
}

TEST(SuperRes, SaveLoadRoundTripAndTypeCheck) {
  torch::manual_seed(5);
  cnn::SuperRes m(tiny_options(2, 1, 3));
  randomise(m);
  m->eval();
  const std::string path = testing::TempDir() + "superres_" + std::to_string(getpid()) + ".cgm";
  cnn::save_superres(path, m);
  cnn::ModelHeader h;
  cnn::SuperRes back = cnn::load_superres(path, &h);
  EXPECT_EQ(h.get("model"), "superres");
  EXPECT_EQ(back->options.factor(), 2);
  const torch::Tensor x = torch::randn({1, 6, 8, 8, 8});
  const torch::Tensor nz = m->make_noise(1, 8, 1);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(back->forward(x, nz), m->forward(x, nz)));
  EXPECT_THROW(cnn::load_emulator(path), std::runtime_error);
  fs::remove(path);
}

#if COSMOGRAD_HAVE_HDF5
TEST(SuperRes, PairsShareLargeScalesAndRoundTripThroughTheFile) {
  cnn::SuperResDataOptions o;
  o.box_size = 128;
  o.particles = 8;
  o.steps = 4;
  o.threads = 1;
  const cnn::SuperResPair p = cnn::make_superres_pair(o, 11);
  ASSERT_EQ(p.input.sizes(), (std::vector<int64_t>{6, 8, 8, 8}));
  ASSERT_EQ(p.target.sizes(), (std::vector<int64_t>{6, 16, 16, 16}));
  // One white noise: the interpolated low-resolution displacement is close to the
  // high-resolution one (same large-scale modes); another seed is not.
  const torch::Tensor interp = cnn::upsample_lattice(p.input.unsqueeze(0), 2)[0];
  const cnn::SuperResPair other = cnn::make_superres_pair(o, 12);
  const double same = (interp - p.target).slice(0, 0, 3).square().mean().item<double>();
  const double diff = (interp - other.target).slice(0, 0, 3).square().mean().item<double>();
  const double power = p.target.slice(0, 0, 3).square().mean().item<double>();
  EXPECT_LT(same, 0.3 * power);
  EXPECT_GT(diff, 1.0 * power);
  const std::string path = testing::TempDir() + "srpairs_" + std::to_string(getpid()) + ".h5";
  cnn::write_superres_data(path, {p, other}, {11, 12}, o);
  EXPECT_TRUE(cnn::is_superres_data(path));
  const cnn::SuperResDataInfo info = cnn::read_superres_data_info(path);
  EXPECT_EQ(info.options.factor, 2);
  EXPECT_EQ(info.options.particles, 8);
  cnn::Hdf5FieldDatasetOptions dopt;
  dopt.shuffle = false;
  dopt.batch_size = 1;
  const cnn::Hdf5FieldDataset data(path, dopt);
  const torch::Tensor f = data.read({1}).fields;
  EXPECT_TRUE(torch::equal(cnn::depth_to_space(f.slice(1, 6), 2)[0], other.target));
  fs::remove(path);
}
#endif

TEST(SuperRes, HaloStatsFindAnInsertedClumpWithItsProfile) {
  // A lattice at rest with one clump: 125 particles of a 5^3 block moved into a uniform ball.
  const int64_t n = 32;
  const double box = 32.0;
  torch::Tensor f = torch::zeros({6, n, n, n}, torch::kFloat64);
  const double centre = 16.0, radius = 0.4;
  torch::manual_seed(9);
  for (int64_t i = 0; i < 5; ++i) {
    for (int64_t j = 0; j < 5; ++j) {
      for (int64_t k = 0; k < 5; ++k) {
        const torch::Tensor u = torch::rand({3}, torch::kFloat64) * 2 - 1;
        const int64_t q[3] = {14 + i, 14 + j, 14 + k};
        for (int d = 0; d < 3; ++d) {
          f[d][q[0]][q[1]][q[2]] =
              centre + radius * u[d].item<double>() * 0.55 - static_cast<double>(q[d]);
        }
      }
    }
  }
  const cnn::HaloStats s = cnn::halo_stats(f, box, 0.3, {50, 100, 200}, {0.2, 0.6, 1.0}, 20);
  ASSERT_EQ(s.counts.size(), 3u);
  EXPECT_EQ(s.counts[1], 1);  // 125 members in [100, 200)
  EXPECT_EQ(s.counts[0] + s.counts[2], 0);
  EXPECT_EQ(s.profiled, 1);
  EXPECT_GT(s.profile[0], 200.0);  // far above the mean density inside r200m
}
