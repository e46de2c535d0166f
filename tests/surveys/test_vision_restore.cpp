// Tests of the restoration module (surveys/vision/deconvolution.* and restorer.*): the PSF
// padding, Wiener deconvolution against exact and hand-computed cases, its prior, Richardson-
// Lucy's flux conservation and convergence, the metrics on hand-made arrays, the network input
// and a short training run with its model file.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/images/sersic.hpp"
#include "surveys/vision/deconvolution.hpp"
#include "surveys/vision/restorer.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cosmograd::surveys {
namespace {

using testing::expect_throw;

/// A Gaussian PSF of the given FWHM [pixels] as a float64 [P, P] tensor (sums to 1).
torch::Tensor gauss_psf(double fwhm, int p) {
  const Image psf = gaussian_psf(fwhm, p);
  return torch::tensor(psf.values, torch::kFloat64).view({p, p});
}

TEST(VisionRestore, PsfPaddingPutsTheCentreAtTheOrigin) {
  // A delta PSF is the identity of circular convolution.
  torch::Tensor delta = torch::zeros({5, 5}, torch::kFloat64);
  delta[2][2] = 1.0;
  const torch::Tensor at0 = psf_at_origin(delta, 8);
  EXPECT_EQ(at0[0][0].item<double>(), 1.0);
  EXPECT_EQ(at0.sum().item<double>(), 1.0);
  torch::manual_seed(1);
  const torch::Tensor img = torch::randn({2, 8, 8}, torch::kFloat64);
  EXPECT_LT((convolve_circular(img, delta) - img).abs().max().item<double>(), 1e-12);
  // A PSF one pixel right of (and two below) its centre shifts the image by (+1, +2), wrapped;
  // its transpose shifts back.
  torch::Tensor shift = torch::zeros({5, 5}, torch::kFloat64);
  shift[4][3] = 1.0;  // row 2 + 2, column 2 + 1
  const torch::Tensor moved = convolve_circular(img, shift);
  EXPECT_LT((moved - torch::roll(img, {2, 1}, {1, 2})).abs().max().item<double>(), 1e-12);
  EXPECT_LT((convolve_circular(moved, shift, true) - img).abs().max().item<double>(), 1e-12);
  EXPECT_EQ(psf_at_origin(shift, 8)[2][1].item<double>(), 1.0);
  // The network's PSF channel: the centre at (S/2, S/2).
  const torch::Tensor centred = psf_centred(delta, 8);
  EXPECT_EQ(centred[4][4].item<double>(), 1.0);
  EXPECT_EQ(centred.sum().item<double>(), 1.0);
  expect_throw<std::invalid_argument>(
      [&] {
        psf_at_origin(torch::zeros({4, 4}), 8);
      },
      {"psfs", "odd P"});
  expect_throw<std::invalid_argument>(
      [&] {
        psf_at_origin(torch::zeros({9, 9}), 8);
      },
      {"psfs", "<= stamp side 8"});
}

TEST(VisionRestore, WienerWithoutNoiseRecoversTheTruth) {
  torch::manual_seed(2);
  const torch::Tensor truth = torch::rand({3, 32, 32}, torch::kFloat64);
  const torch::Tensor psf = gauss_psf(1.5, 7);  // |H| >= 0.01 up to the Nyquist corner
  const torch::Tensor y = convolve_circular(truth, psf);
  EXPECT_GT((y - truth).abs().max().item<double>(), 0.05);  // the blur is not negligible
  const WienerPrior prior = fit_wiener_prior(truth);
  const torch::Tensor x =
      wiener_deconvolve(y, psf.expand({3, 7, 7}), torch::zeros({3}), wiener_prior_grid(prior));
  EXPECT_LT((x - truth).abs().max().item<double>(), 1e-10);
}

TEST(VisionRestore, WienerShrinksByTheSignalToNoiseRatio) {
  // A delta PSF (H = 1) and a flat prior P0: X = Y P0 / (P0 + sigma^2 S^2), a pure scaling.
  torch::manual_seed(3);
  const int64_t s = 16;
  const torch::Tensor y = torch::randn({2, s, s}, torch::kFloat64);
  torch::Tensor delta = torch::zeros({2, 3, 3}, torch::kFloat64);
  delta.select(1, 1).select(1, 1).fill_(1.0);
  const double p0 = 768.0, sigma = 2.0;  // sigma^2 S^2 = 1024: factor 768 / 1792 = 3/7
  const torch::Tensor x = wiener_deconvolve(y, delta, torch::full({2}, sigma, torch::kFloat64),
                                            torch::full({s, s / 2 + 1}, p0, torch::kFloat64));
  EXPECT_LT((x - y * (3.0 / 7.0)).abs().max().item<double>(), 1e-12);
  expect_throw<std::invalid_argument>(
      [&] {
        wiener_deconvolve(y, delta, torch::full({2}, sigma), torch::ones({s, s}));
      },
      {"signal_power", "[S, S/2 + 1]"});
  expect_throw<std::invalid_argument>(
      [&] {
        wiener_deconvolve(y, delta, torch::full({2}, -1.0), torch::ones({s, s / 2 + 1}));
      },
      {"sigma", ">= 0"});
}

TEST(VisionRestore, WienerPriorAveragesAnnuliAndInterpolatesLogPower) {
  // A delta image has |X(k)|^2 = A^2 at every k: every annulus holds A^2.
  torch::Tensor img = torch::zeros({1, 8, 8}, torch::kFloat64);
  img[0][3][5] = 2.0;
  const WienerPrior flat = fit_wiener_prior(img);
  ASSERT_EQ(flat.k.size(), 7u);  // |k| up to sqrt(4^2 + 4^2) = 5.66: annuli 0 .. 6
  for (std::size_t j = 0; j < flat.k.size(); ++j) {
    EXPECT_NEAR(flat.power[j], 4.0, 1e-12);
    if (j > 0) {
      EXPECT_GT(flat.k[j], flat.k[j - 1]);
    }
  }
  EXPECT_EQ(flat.k[0], 0.0);
  EXPECT_DOUBLE_EQ(flat.k[1], (4 * 1.0 + 4 * std::sqrt(2.0)) / 8);  // 4 axis + 4 diagonal modes
  // Interpolation: power 1 at |k| = 1 and 4 at |k| = 2, so 2^(|k| - 1) in between.
  WienerPrior p;
  p.size = 8;
  p.k = {1.0, 2.0};
  p.power = {1.0, 4.0};
  const torch::Tensor g = wiener_prior_grid(p);
  ASSERT_EQ(g.sizes(), (torch::IntArrayRef{8, 5}));
  EXPECT_NEAR(g[0][0].item<double>(), 1.0, 1e-12);  // |k| = 0: held at the first annulus
  EXPECT_NEAR(g[0][1].item<double>(), 1.0, 1e-12);  // |k| = 1
  EXPECT_NEAR(g[1][1].item<double>(), std::pow(2.0, std::sqrt(2.0) * 2 - 2), 1e-12);
  EXPECT_NEAR(g[7][1].item<double>(), g[1][1].item<double>(), 1e-12);  // row 7: ky = -1
  EXPECT_NEAR(g[0][2].item<double>(), 4.0, 1e-12);                     // |k| = 2
  EXPECT_NEAR(g[4][4].item<double>(), 4.0, 1e-12);  // |k| = 5.66: held at the last
  p.power[1] = -1;
  expect_throw<std::invalid_argument>([&] { p.validate(); }, {"WienerPrior.power[1]"});
}

TEST(VisionRestore, RichardsonLucyConservesFlux) {
  // Noisy data with negative pixels: the pedestal (5 sigma here, no pixel clipped) keeps every
  // value positive, and every iteration conserves sum(y).
  torch::manual_seed(4);
  torch::Tensor truth = torch::zeros({2, 16, 16}, torch::kFloat64);
  truth[0][8][8] = 50.0;
  truth[1][5][9] = 20.0;
  truth[1][10][4] = 30.0;
  const torch::Tensor psf = gauss_psf(2.0, 7).expand({2, 7, 7});
  const torch::Tensor sigma = torch::ones({2}, torch::kFloat64);
  const torch::Tensor y =
      convolve_circular(truth, psf) + 0.5 * torch::randn({2, 16, 16}, torch::kFloat64);
  ASSERT_LT(y.min().item<double>(), 0.0);
  ASSERT_GT(y.min().item<double>(), -5.0);
  int64_t calls = 0;
  const torch::Tensor u =
      richardson_lucy(y, psf, sigma, 30, 5.0, [&](int64_t it, const torch::Tensor& est) {
        EXPECT_EQ(it, ++calls);
        EXPECT_LT((est.sum({1, 2}) - y.sum({1, 2})).abs().max().item<double>(), 1e-9);
      });
  EXPECT_EQ(calls, 30);
  EXPECT_LT((u.sum({1, 2}) - y.sum({1, 2})).abs().max().item<double>(), 1e-9);
  EXPECT_GE(u.min().item<double>(), -5.0 - 1e-12);  // positivity of u + pedestal
}

TEST(VisionRestore, RichardsonLucyConvergesOnAPointSource) {
  // A noiseless point source: the light gathers into its pixel as the iterations go on.
  torch::Tensor truth = torch::zeros({1, 16, 16}, torch::kFloat64);
  truth[0][7][9] = 1000.0;
  const torch::Tensor psf = gauss_psf(2.5, 9).unsqueeze(0);
  const torch::Tensor y = convolve_circular(truth, psf);
  EXPECT_LT(y[0][7][9].item<double>(), 200.0);
  std::vector<double> peak;
  richardson_lucy(y, psf, torch::zeros({1}), 400, 0.0, [&](int64_t, const torch::Tensor& u) {
    peak.push_back(u[0][7][9].item<double>());
  });
  for (std::size_t i = 1; i < peak.size(); ++i) EXPECT_GE(peak[i], peak[i - 1] - 1e-9);
  EXPECT_GT(peak.back(), 900.0);
  EXPECT_GT(peak[49], 500.0);
}

TEST(VisionRestore, MetricsOnHandMadeArrays) {
  const torch::Tensor truth = torch::tensor({1.0, 2.0, 3.0, 4.0}, torch::kFloat64).view({1, 2, 2});
  const torch::Tensor restored = truth + 1.0;
  EXPECT_DOUBLE_EQ(mse_over_sigma2(restored, truth, torch::tensor({2.0})).item<double>(), 0.25);
  EXPECT_DOUBLE_EQ(relative_mse(restored, truth).item<double>(), 4.0 / 30.0);
  EXPECT_DOUBLE_EQ(flux_error(restored, truth).item<double>(), 0.4);
  const RobustStats odd = robust_stats({1, 2, 3, 4, 100, std::nan("")});
  EXPECT_EQ(odd.count, 5u);
  EXPECT_DOUBLE_EQ(odd.median, 3.0);
  EXPECT_DOUBLE_EQ(odd.scatter, 1.4826);  // |deviations| 2 1 0 1 97: median 1
  const RobustStats even = robust_stats({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(even.median, 2.5);
  EXPECT_DOUBLE_EQ(even.scatter, 1.4826);  // |deviations| 1.5 .5 .5 1.5
  EXPECT_TRUE(std::isnan(robust_stats({}).median));
  // Half-light radius of a noiseless round exponential against its profile's R_e.
  Image img = Image::zeros(32, 32);
  SersicProfile p;
  p.flux = 1000;
  p.half_light_radius = 3;
  p.n = 1;
  p.x0 = p.y0 = 16;
  add_sersic(img, p);
  const torch::Tensor t = torch::tensor(img.values, torch::kFloat64).view({1, 32, 32});
  EXPECT_NEAR(half_light_radii(t, {1e-6})[0], 3.0, 0.1);
}

TEST(VisionRestore, NetworkInputScalesTheStampAndThePsf) {
  const int64_t s = 8;
  const torch::Tensor sigma = torch::tensor({2.0f});
  const torch::Tensor img = torch::full({1, s, s}, 3 * 2 * std::sinh(1.0f));
  torch::Tensor psf = torch::zeros({1, 3, 3});
  psf[0][1][1] = 0.5;
  psf[0][0][1] = 0.25;
  psf[0][2][1] = 0.25;
  const torch::Tensor in = restorer_input(img, psf, sigma, 3.0);
  ASSERT_EQ(in.sizes(), (torch::IntArrayRef{1, 2, s, s}));
  EXPECT_NEAR((in[0][0] - 1).abs().max().item<double>(), 0.0, 1e-6);
  EXPECT_EQ(in[0][1][4][4].item<float>(), 1.0f);
  EXPECT_EQ(in[0][1][3][4].item<float>(), 0.5f);
  EXPECT_EQ(in[0][1].sum().item<float>(), 2.0f);
  expect_throw<std::invalid_argument>([&] { restorer_input(img, psf, torch::zeros({1}), 3); },
                                      {"sigma", "> 0"});
  // The output scalings and their inverse: asinh(x / (3 sigma)) or x / (3 sigma).
  torch::manual_seed(6);
  const torch::Tensor x = 50 * torch::randn({2, s, s});
  const torch::Tensor sig2 = torch::tensor({2.0f, 5.0f});
  RestorerConfig cfg;
  cfg.size = s;
  for (const char* kind : {"asinh", "linear"}) {
    cfg.output = kind;
    const torch::Tensor t = restorer_target(x, sig2, cfg);
    ASSERT_EQ(t.sizes(), (torch::IntArrayRef{2, 1, s, s}));
    const float expect = cfg.output == "linear" ? x[1][2][3].item<float>() / 15.0f
                                                : std::asinh(x[1][2][3].item<float>() / 15.0f);
    EXPECT_NEAR(t[1][0][2][3].item<float>(), expect, 1e-5) << kind;
    EXPECT_LT((restorer_decode(t, sig2, cfg) - x).abs().max().item<double>(), 1e-3) << kind;
  }
}

/// n stamps of side `size`: round Gaussians (R_e 1-2.5 px) with Gaussian PSFs of 1.5-2.5 px
/// FWHM and noise sigma 1, peak S/N ~ 5-50; /intrinsic holds the light before the PSF.
StampSet blurred_stamps(int n, int size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 1);
  StampSet s;
  s.size = size;
  s.psf_size = 7;
  s.band = "i";
  s.pixel_scale = 0.1;
  s.source = "test Gaussians";
  for (int k = 0; k < n; ++k) {
    const double re = 1 + 1.5 * u(rng);
    const Image psf = gaussian_psf(1.5 + u(rng), s.psf_size);
    Image img = Image::zeros(size, size);
    SersicProfile p;
    p.flux = 100 + 400 * u(rng);
    p.half_light_radius = re;
    p.n = 0.5;
    p.x0 = 0.5 * size + u(rng) - 0.5;
    p.y0 = 0.5 * size + u(rng) - 0.5;
    add_sersic(img, p);
    const Image obs = convolve(img, psf);
    for (double v : obs.values) s.images.push_back(static_cast<float>(v + g(rng)));
    for (double v : img.values) s.intrinsic.push_back(static_cast<float>(v));
    for (double v : psf.values) s.psfs.push_back(static_cast<float>(v));
    s.noise_sigma.push_back(1.0f);
    s.half_light_radius.push_back(static_cast<float>(re));
    s.mag.push_back(static_cast<float>(31.4 - 2.5 * std::log10(p.flux)));
  }
  return s;
}

// A short run learns (the kept model's validation MSE is below the noisy input's) and the model
// file round-trips the network and the baselines' tuning.
TEST(VisionRestore, ShortTrainingLearnsAndRoundTrips) {
  const StampSet set = blurred_stamps(100, 16, 5);
  RestorerTrainOptions o;
  o.depth = 2;
  o.base_channels = 4;
  o.norm_groups = 2;
  o.residual = true;
  o.linear_weight = 1.0;
  o.steps = 100;
  o.batch = 8;
  o.lr = 3e-3;
  o.validate_every = 25;
  o.rl_max_iterations = 30;
  o.log_every = 0;
  RestorerTrainReport rep;
  Restorer model = train_restorer(set, o, &rep);
  EXPECT_EQ(rep.train + rep.validation + rep.test, 100u);
  const StampSplit split = split_stamps(100, o.validation_fraction, o.test_fraction, o.seed);
  const RestoreRows val = restore_rows(set, split.validation);
  const double noisy = mse_over_sigma2(val.images, val.intrinsic, val.sigma).mean().item<double>();
  EXPECT_LT(rep.validation_mse_sigma2, noisy);
  EXPECT_LT(rep.validation_rl_mse_sigma2, noisy);
  EXPECT_GE(model->config().rl_iterations, 1);
  EXPECT_LE(model->config().rl_iterations, 30);

  nn::ModelHeader h = model->header();
  add_restorer_training_header(h, set, o, rep);
  const std::string path = ::testing::TempDir() + "/vision_restorer_test.cgm";
  nn::save_model(path, *model, h);
  nn::ModelHeader back_h;
  Restorer back = load_restorer(path, &back_h);
  EXPECT_EQ(back_h.get_int("restore_train_stamps"), 100);
  EXPECT_EQ(back->config().wiener.power, model->config().wiener.power);
  EXPECT_EQ(back->config().wiener.k, model->config().wiener.k);
  EXPECT_EQ(back->config().rl_iterations, model->config().rl_iterations);
  EXPECT_TRUE(back->config().residual);
  EXPECT_EQ(back->config().output, "asinh");
  EXPECT_TRUE(torch::equal(model->restore(val.images, val.psfs, val.sigma),
                           back->restore(val.images, val.psfs, val.sigma)));
  std::filesystem::remove(path);
  expect_throw<std::runtime_error>([&] { load_restorer(path); }, {path});
  o.output = "log";
  expect_throw<std::invalid_argument>([&] { o.validate(); }, {"output = 'log'", "asinh or linear"});
}

}  // namespace
}  // namespace cosmograd::surveys
