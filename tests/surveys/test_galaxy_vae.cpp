// Tests of the PSF-aware galaxy VAE with its latent flow (surveys/batched/galaxy_vae*):
// per-stamp PSF convolution, the decoder's flux, the model file, a short training run that must
// learn (reconstruction near the noise, flow better than N(0, 1)), the scene painter.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "surveys/batched/batched_render.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/images/sersic.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cosmograd::surveys {
namespace {

using testing::expect_throw;

/// n noisy round Gaussian galaxies on size^2 stamps with Gaussian PSFs of 1.2-2 px FWHM:
/// R_e 1-3 px, mag 22-24 (zero point 31.4, sigma 20 nJy: peak S/N ~ 3-30).
StampSet gaussian_stamps(int n, int size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 1);
  StampSet s;
  s.size = size;
  s.psf_size = 7;
  s.band = "i";
  s.source = "test Gaussians";
  for (int k = 0; k < n; ++k) {
    const double re = 1 + 2 * u(rng), mag = 22 + 2 * u(rng), sigma = 20;
    const Image psf = gaussian_psf(1.2 + 0.8 * u(rng), s.psf_size);
    Image img = Image::zeros(size, size);
    SersicProfile p;
    p.flux = std::pow(10.0, -0.4 * (mag - 31.4));
    p.half_light_radius = re;
    p.n = 0.5;
    p.x0 = 0.5 * size + u(rng) - 0.5;
    p.y0 = 0.5 * size + u(rng) - 0.5;
    add_sersic(img, p);
    const Image obs = convolve(img, psf);
    for (double v : obs.values) s.images.push_back(static_cast<float>(v + sigma * g(rng)));
    for (double v : psf.values) s.psfs.push_back(static_cast<float>(v));
    s.noise_sigma.push_back(static_cast<float>(sigma));
    s.half_light_radius.push_back(static_cast<float>(re));
    s.mag.push_back(static_cast<float>(mag));
  }
  return s;
}

TEST(GalaxyVae, ConvolvesEachStampWithItsOwnPsf) {
  torch::manual_seed(3);
  const torch::Tensor images = torch::rand({3, 12, 10}, torch::kFloat64);
  const torch::Tensor psfs = torch::rand({3, 5, 3}, torch::kFloat64);
  const torch::Tensor each = convolve_psf_batch(images, psfs);
  for (int64_t k = 0; k < 3; ++k) {
    const torch::Tensor one = convolve_psf_batch(images.narrow(0, k, 1), psfs[k]);
    EXPECT_LT((each[k] - one[0]).abs().max().item<double>(), 1e-12);
  }
  expect_throw<std::invalid_argument>([&] { convolve_psf_batch(images, psfs.narrow(0, 0, 2)); },
                                      {"psf shape", "(B, h, w)"});
}

TEST(GalaxyVae, DecoderLightIsPositiveWithItsFluxHead) {
  torch::manual_seed(1);
  GalaxyVaeConfig c;
  c.size = 16;
  c.latent = 4;
  c.channels = 4;
  GalaxyVae model(c);
  const torch::Tensor z = torch::randn({5, 4});
  const auto [log_shape, log_flux] = model->decode(z);
  const torch::Tensor light = model->light(z);
  EXPECT_GT(light.min().item<double>(), 0.0);
  EXPECT_LT((light.sum({1, 2}) / log_flux.exp() - 1).abs().max().item<double>(), 1e-5);
  EXPECT_LT((log_shape.exp().sum({1, 2}) - 1).abs().max().item<double>(), 1e-5);
  c.size = 20;
  expect_throw<std::invalid_argument>([&] { GalaxyVae bad(c); }, {"vae size", "20"});
}

TEST(GalaxyVae, SplitIsDisjointAndReproducible) {
  const StampSplit a = split_stamps(100, 0.1, 0.2, 5), b = split_stamps(100, 0.1, 0.2, 5);
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(a.test.size(), 20u);
  EXPECT_EQ(a.validation.size(), 10u);
  EXPECT_EQ(a.train.size(), 70u);
  std::vector<int> seen(100, 0);
  for (const auto* v : {&a.train, &a.validation, &a.test})
    for (std::size_t i : *v) ++seen[i];
  for (int s : seen) EXPECT_EQ(s, 1);
  EXPECT_NE(split_stamps(100, 0.1, 0.2, 6).test, a.test);
}

// A short run on Gaussian galaxies learns: the held-out reconstruction chi^2 per pixel comes
// within a factor 2 of the noise (1), the flow's latent density beats N(0, 1), samples have the
// conditioned flux, and the model file round-trips.
TEST(GalaxyVae, ShortTrainingLearnsAndRoundTrips) {
  const StampSet set = gaussian_stamps(240, 16, 11);
  GalaxyVaeTrainOptions o;
  o.latent = 4;
  o.channels = 8;
  o.flow_layers = 2;
  o.flow_hidden = 32;
  o.steps = 300;
  o.flow_steps = 300;
  o.batch = 32;
  o.lr = 3e-3;
  o.log_every = 0;
  o.validate_every = 50;
  GalaxyVaeTrainReport rep;
  GalaxyVae model = train_galaxy_vae(set, o, &rep);
  EXPECT_EQ(rep.train + rep.validation + rep.test, 240u);
  const StampSplit split = split_stamps(240, o.validation_fraction, o.test_fraction, o.seed);
  const StampTensors test = stamp_tensors(set, split.test, model->config().flux_scale);
  const auto [chi2, kl] = reconstruction_losses(model, test);
  EXPECT_LT(chi2, 2.0) << "held-out reconstruction chi^2 per pixel";
  EXPECT_GT(kl, 0.0);
  EXPECT_LT(rep.validation_flow_nll, rep.validation_normal_nll);
  // Noiseless samples carry the conditioned magnitude (the flux head learned F(mag)).
  const torch::Tensor obs = sample_observations(model, test, false, 3);
  const torch::Tensor mag = 31.4 - 2.5 * torch::log10(obs.sum({1, 2}) * model->config().flux_scale);
  EXPECT_LT((mag - test.conditions.select(1, 1)).abs().median().item<double>(), 0.3);

  const std::string path = ::testing::TempDir() + "/galaxy_vae_test.pt";
  nn::save_model(path, *model, model->header());
  GalaxyVae back = load_galaxy_vae(path);
  const torch::Tensor z = torch::randn({3, 4});
  EXPECT_TRUE(torch::equal(model->light(z), back->light(z)));
  std::filesystem::remove(path);
}

TEST(GalaxyVae, PainterDrawsUnitFluxReproduciblyAtTheModelScale) {
  torch::manual_seed(2);
  GalaxyVaeConfig c;
  c.size = 16;
  c.latent = 4;
  c.channels = 4;
  c.pixel_scale = 0.1;
  c.band = "i";
  GalaxyVae model(c);
  const GalaxyPainter paint = vae_painter(model, 9);
  GalaxyDraw g;
  g.galaxy_id = 42;
  g.morph.re_arcsec = 0.2;
  g.mag = 22;
  g.pixel_scale = 0.1;
  Image a = Image::zeros(41, 41), b = Image::zeros(41, 41), other = Image::zeros(41, 41);
  paint(a, g, 20.3, 19.8);
  paint(b, g, 20.3, 19.8);
  EXPECT_NEAR(a.sum(), 1.0, 1e-5);
  EXPECT_EQ(a.values, b.values);
  g.galaxy_id = 43;
  paint(other, g, 20.3, 19.8);
  EXPECT_NE(a.values, other.values);
  g.pixel_scale = 0.2;
  expect_throw<std::invalid_argument>([&] { paint(a, g, 20, 20); }, {"pixel_scale", "0.2"});
}

}  // namespace
}  // namespace cosmograd::surveys
