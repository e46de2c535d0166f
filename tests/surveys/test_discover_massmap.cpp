// Mass mapping: tile cutting, Kaiser-Squires against sim/sky/shear.hpp, the Wiener filter against
// its closed forms, conjugate-gradient convergence, the metrics on hand examples, the simulated
// observations (mask fraction, noise level, dihedral transforms with the shear's signs) and the
// U-Net's residual start.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "sim/sky/shear.hpp"
#include "surveys/discovery/mass_map_data.hpp"
#include "surveys/discovery/mass_map_filters.hpp"
#include "surveys/discovery/mass_map_net.hpp"

namespace cs = cosmograd::surveys;

namespace {

/// A random zero-mean field [B, T, T] (double, rms 0.01): white noise smoothed over 1.5 pixels.
torch::Tensor random_kappa(int64_t b, int64_t t, uint64_t seed) {
  torch::manual_seed(seed);
  torch::Tensor x = cs::gaussian_smooth(torch::randn({b, t, t}, torch::kFloat64), 1.5);
  x = x - x.mean({1, 2}, true);
  return x * (0.01 / x.std().item<double>());
}

/// A power-law prior table C = 1e-8 (ell / 100)^-1.2 over a wide ell range.
void power_law(std::vector<double>& ell, std::vector<double>& cl, std::vector<double>& w2) {
  for (double l = 10; l < 1e6; l *= 2) {
    ell.push_back(l);
    cl.push_back(1e-8 * std::pow(l / 100, -1.2));
    w2.push_back(1.0);
  }
}

}  // namespace

TEST(MassMapData, TileOriginsAndCut) {
  const auto o = cs::tile_origins(10, 4);  // 2 x 2 tiles, remainder 2 dropped
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(o[1], std::make_pair(1, 0));
  EXPECT_EQ(o[2], std::make_pair(0, 1));
  std::vector<double> field(100);
  for (int i = 0; i < 100; ++i) field[i] = i;  // value = iy * 10 + ix
  const std::vector<float> t = cs::cut_tile(field, 10, 4, 1, 1);
  EXPECT_EQ(t[0], 44.0f);   // (ix, iy) = (4, 4)
  EXPECT_EQ(t[1], 45.0f);   // ix + 1
  EXPECT_EQ(t[4], 54.0f);   // iy + 1
  EXPECT_EQ(t[15], 77.0f);  // (7, 7)
  EXPECT_THROW(cs::tile_origins(10, 11), std::invalid_argument);
}

TEST(MassMapFilters, KaiserSquiresRoundTripAndConvention) {
  const torch::Tensor k = random_kappa(3, 16, 1);
  const auto [g1, g2] = cs::ks_shear(k);
  // Noiseless, unmasked, periodic: the inverse recovers kappa to rounding.
  EXPECT_LT((cs::ks_kappa(g1, g2) - k).abs().max().item<double>(), 1e-15);
  // Same convention as sim::flat_kappa_to_shear.
  auto m = cosmograd::sim::FlatMap::filled(16, 2.0);
  const torch::Tensor k1 = k[1].contiguous();
  const auto acc = k1.accessor<double, 2>();
  for (int iy = 0; iy < 16; ++iy)
    for (int ix = 0; ix < 16; ++ix) m.values[iy * 16 + ix] = acc[iy][ix];
  const cosmograd::sim::FlatShear s = cosmograd::sim::flat_kappa_to_shear(m);
  double err = 0;
  for (int iy = 0; iy < 16; ++iy)
    for (int ix = 0; ix < 16; ++ix) {
      err = std::max(err, std::abs(s.gamma1.values[iy * 16 + ix] - g1[1][iy][ix].item<double>()));
      err = std::max(err, std::abs(s.gamma2.values[iy * 16 + ix] - g2[1][iy][ix].item<double>()));
    }
  EXPECT_LT(err, 1e-15);
}

TEST(MassMapFilters, PriorFromPowerLawIsExact) {
  std::vector<double> ell, cl, w2;
  power_law(ell, cl, w2);
  const double d = 1e-3;
  const torch::Tensor p = cs::prior_from_cl(ell, cl, w2, 16, d);
  const torch::Tensor l = cs::mode_ell(16, d);
  EXPECT_EQ(p[0][0].item<double>(), 0.0);
  for (auto [i, j] : {std::pair{0, 1}, std::pair{3, 5}, std::pair{8, 8}}) {
    const double expect = 1e-8 * std::pow(l[i][j].item<double>() / 100, -1.2) / (d * d);
    EXPECT_NEAR(p[i][j].item<double>() / expect, 1.0, 1e-10);
  }
  EXPECT_NEAR(l[0][1].item<double>(), 2 * M_PI / (16 * d), 1e-9);
}

TEST(MassMapFilters, PriorMeasuredOfWhiteNoise) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({400, 16, 16}, torch::kFloat64) * 0.5;
  const torch::Tensor p = cs::prior_measured(x);
  // White noise of variance 0.25: every (ortho) mode has variance 0.25 (ring means of 400 tiles:
  // the smallest rings have 4 modes, 1600 draws: 3.5% rms).
  EXPECT_NEAR(p.index({torch::indexing::Slice(1)}).mean().item<double>(), 0.25, 0.005);
  EXPECT_NEAR(p[0][1].item<double>(), 0.25, 0.25 * 0.15);
}

TEST(MassMapFilters, WienerZeroNoiseRecoversKappa) {
  std::vector<double> ell, cl, w2;
  power_law(ell, cl, w2);
  const torch::Tensor prior = cs::prior_from_cl(ell, cl, w2, 16, 1e-3);
  const torch::Tensor k = random_kappa(2, 16, 2);
  const auto [g1, g2] = cs::ks_shear(k);
  const torch::Tensor ones = torch::ones_like(k);
  // Noise variance 1e-14 against P >= ~1e-3: the filter S / (S + N) is 1 to 1e-10.
  const cs::WienerResult w = cs::wiener_filter(g1, g2, ones, prior, 1e-14, 1e-12, 2000);
  EXPECT_LT((w.kappa - k).abs().max().item<double>() / k.abs().max().item<double>(), 1e-8);
}

TEST(MassMapFilters, WienerUnmaskedEqualsClosedForm) {
  std::vector<double> ell, cl, w2;
  power_law(ell, cl, w2);
  const torch::Tensor prior = cs::prior_from_cl(ell, cl, w2, 16, 1e-3);
  const torch::Tensor k = random_kappa(2, 16, 4);
  auto [g1, g2] = cs::ks_shear(k);
  torch::manual_seed(5);
  const double sigma2 = 1e-2 * prior.index({torch::indexing::Slice(1)}).mean().item<double>();
  g1 = g1 + std::sqrt(sigma2) * torch::randn_like(g1);
  g2 = g2 + std::sqrt(sigma2) * torch::randn_like(g2);
  const cs::WienerResult w =
      cs::wiener_filter(g1, g2, torch::ones_like(k), prior, sigma2, 1e-12, 2000);
  const torch::Tensor closed = cs::wiener_unmasked(g1, g2, prior, sigma2);
  // Per Fourier mode kappa = S / (S + N) KS(gamma); CG tolerance 1e-12.
  EXPECT_LT((w.kappa - closed).abs().max().item<double>() / closed.abs().max().item<double>(),
            1e-9);
}

TEST(MassMapFilters, ConjugateGradientResidualDecreasesWithMask) {
  std::vector<double> ell, cl, w2;
  power_law(ell, cl, w2);
  const torch::Tensor prior = cs::prior_from_cl(ell, cl, w2, 32, 1e-3);
  const torch::Tensor k = random_kappa(2, 32, 6);
  const auto [g1, g2] = cs::ks_shear(k);
  cs::MassMapNoise noise;
  noise.mask_fraction = 0.2;
  std::vector<float> m = cs::random_hole_mask(32, noise, 7),
                     m2 = cs::random_hole_mask(32, noise, 8);
  m.insert(m.end(), m2.begin(), m2.end());
  const torch::Tensor mask =
      torch::from_blob(m.data(), {2, 32, 32}, torch::kFloat32).to(torch::kFloat64);
  const double sigma2 = prior[0][1].item<double>() * 0.1;
  const cs::WienerResult w =
      cs::wiener_filter(g1 * mask, g2 * mask, mask, prior, sigma2, 1e-8, 2000);
  ASSERT_GE(w.residuals.size(), 5u);
  EXPECT_LT(w.residuals.back(), 1e-8);
  EXPECT_LT(w.iterations, 2000);
  // Not monotone step by step in general, but decreasing over every 5 iterations here.
  for (std::size_t i = 5; i < w.residuals.size(); i += 5)
    EXPECT_LT(w.residuals[i], w.residuals[i - 5]);
  // The masked pixels are filled: the estimate correlates with the truth there.
  const torch::Tensor hole = 1 - mask;
  EXPECT_GT(cs::masked_pearson(w.kappa, k, hole), 0.3);
  EXPECT_GT(cs::masked_pearson(w.kappa, k, mask), 0.9);
}

TEST(MassMapFilters, MetricsOnHandExamples) {
  const torch::Tensor a = torch::tensor({1.0, 2.0, 3.0, 4.0}, torch::kFloat64);
  const torch::Tensor b = torch::tensor({2.0, 4.0, 6.0, 8.0}, torch::kFloat64);
  EXPECT_DOUBLE_EQ(cs::masked_mse(a, b), 7.5);
  EXPECT_DOUBLE_EQ(cs::masked_mse(a, b, torch::tensor({1.0, 1.0, 0.0, 0.0})), 2.5);
  EXPECT_NEAR(cs::masked_pearson(a, b), 1.0, 1e-15);
  EXPECT_NEAR(cs::masked_pearson(a, -a), -1.0, 1e-15);
  EXPECT_NEAR(cs::masked_pearson(torch::tensor({1.0, 2.0, 3.0}), torch::tensor({1.0, 3.0, 2.0})),
              0.5, 1e-15);
  EXPECT_TRUE(std::isnan(cs::masked_pearson(a, torch::ones_like(a))));
}

TEST(MassMapFilters, SmoothingKeepsMeanAndDampsNoise) {
  torch::manual_seed(9);
  const torch::Tensor x = torch::randn({4, 32, 32}, torch::kFloat64);
  const torch::Tensor y = cs::gaussian_smooth(x, 2.0);
  EXPECT_NEAR(y.mean().item<double>(), x.mean().item<double>(), 1e-12);
  // White noise smoothed by a Gaussian of rms s pixels keeps variance 1 / (4 pi s^2) = 0.0199.
  EXPECT_NEAR(y.var().item<double>(), 1.0 / (4 * M_PI * 4), 0.004);
  EXPECT_TRUE(torch::equal(cs::gaussian_smooth(x, 0.0), x));
}

namespace {
/// Tiles whose shear is the periodic Kaiser-Squires shear of their kappa.
cs::MassMapTiles periodic_tiles(int n, int t) {
  cs::MassMapTiles tiles;
  tiles.size = t;
  tiles.pixel_rad = 2.0 / 60 * M_PI / 180;  // 2 arcmin
  tiles.source_z = 1;
  const torch::Tensor k = random_kappa(n, t, 11).to(torch::kFloat32);
  const auto [g1, g2] = cs::ks_shear(k);
  const auto vec = [](const torch::Tensor& x) {
    const torch::Tensor c = x.to(torch::kFloat32).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  tiles.kappa = vec(k);
  tiles.gamma1 = vec(g1);
  tiles.gamma2 = vec(g2);
  for (int i = 0; i < n; ++i) {
    tiles.split.push_back(i % 3);
    tiles.run.push_back(0);
    tiles.tile_x.push_back(i);
    tiles.tile_y.push_back(0);
  }
  tiles.runs = {"synthetic"};
  std::vector<double> ell, cl, w2;
  power_law(ell, cl, w2);
  tiles.cl_ell = ell;
  tiles.cl_theory = cl;
  tiles.cl_pixwin2 = w2;
  return tiles;
}
}  // namespace

TEST(MassMapData, ObservationNoiseMaskAndTransforms) {
  const cs::MassMapTiles tiles = periodic_tiles(3, 32);
  cs::MassMapNoise noise;
  // The masked fraction reaches the target, deterministically.
  const std::vector<float> m = cs::random_hole_mask(64, noise, 5);
  double masked = 0;
  for (float v : m) masked += v == 0;
  EXPECT_GE(masked / m.size(), 0.15);
  EXPECT_LT(masked / m.size(), 0.25);
  EXPECT_EQ(m, cs::random_hole_mask(64, noise, 5));
  // sigma per pixel: 0.26 / sqrt(30 * 4) = 0.02373.
  EXPECT_NEAR(noise.sigma_pixel(tiles.pixel_rad), 0.26 / std::sqrt(120.0), 1e-12);
  // Noise rms on the unmasked pixels (no signal: zero the shear).
  cs::MassMapTiles blank = tiles;
  std::fill(blank.gamma1.begin(), blank.gamma1.end(), 0.0f);
  const cs::MassMapObservation o = cs::observe_tiles(blank, {0, 1, 2}, noise, 1);
  double s2 = 0, cnt = 0;
  for (std::size_t i = 0; i < o.mask.size(); ++i)
    if (o.mask[i] > 0) {
      s2 += o.gamma1[i] * o.gamma1[i];
      ++cnt;
    } else {
      EXPECT_EQ(o.gamma2[i], 0.0f);
    }
  EXPECT_NEAR(std::sqrt(s2 / cnt), noise.sigma_pixel(tiles.pixel_rad), 0.002);
  // Without noise and mask, every dihedral transform keeps kappa = KS(gamma).
  cs::MassMapNoise clean;
  clean.sigma_e = 0;
  clean.mask_fraction = 0;
  for (int f = 0; f < 8; ++f) {
    std::vector<int> flips{f, f};
    std::vector<float> kappa;
    const cs::MassMapObservation c = cs::observe_tiles(tiles, {1, 2}, clean, 3, 0, &flips, &kappa);
    const auto tt = cs::observation_tensors(c, 32);
    const torch::Tensor k =
        torch::from_blob(kappa.data(), {2, 32, 32}, torch::kFloat32).to(torch::kFloat64);
    // float32 tiles (kappa up to ~0.04): rounding ~1e-7; a wrong shear sign would give ~1e-2.
    EXPECT_LT((cs::ks_kappa(tt[0], tt[1]) - k).abs().max().item<double>(), 1e-6) << "flip " << f;
    if (f == 5) {  // mirror ix then transpose: kappa'(x, y) = kappa(T-1-y, x)
      EXPECT_EQ(kappa[3 * 32 + 4], tiles.kappa[32 * 32 + 4 * 32 + (31 - 3)]);
    }
  }
}

TEST(MassMapNet, StartsAtTheInputFilterAndRoundTrips) {
  const cs::MassMapTiles tiles = periodic_tiles(6, 16);
  cs::MassMapNetConfig c;
  c.size = 16;
  c.depth = 2;
  c.base_channels = 4;
  c.norm_groups = 2;
  c.kappa_scale = 0.01;
  c.pixel_rad = tiles.pixel_rad;
  c.cl_ell = tiles.cl_ell;
  c.cl_theory = tiles.cl_theory;
  c.cl_pixwin2 = tiles.cl_pixwin2;
  cs::MassMapNet net(c);
  const cs::MassMapObservation o = cs::observe_tiles(tiles, {0, 1}, c.noise, 1);
  const auto t = cs::observation_tensors(o, 16);
  const torch::Tensor x = net->input(t[0], t[1], t[2]);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 2, 16, 16}));
  const torch::Tensor k = net->predict(t[0], t[1], t[2]);
  EXPECT_LT((k / 0.01 - x.select(1, 0).to(torch::kFloat64)).abs().max().item<double>(), 1e-5);
  // Training a few steps changes the output; the saved model reproduces it.
  cs::MassMapTrainOptions opt;
  opt.steps = 4;
  opt.batch = 2;
  opt.validate_every = 2;
  cs::MassMapTrainReport rep;
  cs::MassMapNet trained = cs::train_mass_map_net(tiles, c, opt, &rep);
  EXPECT_EQ(rep.steps_done, 4);
  EXPECT_LE(rep.validation_mse, rep.input_mse);
  const std::string path =
      (std::filesystem::temp_directory_path() / "test_massmap_unet.cgm").string();
  cosmograd::nn::save_model(path, *trained, trained->header());
  cs::MassMapNet loaded = cs::load_mass_map_net(path);
  EXPECT_LT((loaded->predict(t[0], t[1], t[2]) - trained->predict(t[0], t[1], t[2]))
                .abs()
                .max()
                .item<double>(),
            1e-12);
  std::filesystem::remove(path);
}
