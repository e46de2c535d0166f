// Tests of the batched LibTorch renderer (surveys/batched/) against the CPU reference
// (surveys/images/): flux, pixel accuracy, moments, gradients, PSF convolution, inputs, timing.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "surveys/batched/batched_render.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/images/sersic.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cosmograd::surveys {
namespace {

using testing::expect_throw;

/// The parameters of profiles as a batch of dtype.
SersicBatch batch_of(const std::vector<SersicProfile>& ps, torch::Dtype dtype = torch::kFloat64) {
  std::vector<double> f, r, n, e1, e2, x, y;
  for (const SersicProfile& p : ps) {
    f.push_back(p.flux);
    r.push_back(p.half_light_radius);
    n.push_back(p.n);
    e1.push_back(p.e1);
    e2.push_back(p.e2);
    x.push_back(p.x0);
    y.push_back(p.y0);
  }
  const auto t = [dtype](const std::vector<double>& v) {
    return torch::tensor(v, torch::kFloat64).to(dtype);
  };
  return {t(f), t(r), t(n), t(e1), t(e2), t(x), t(y)};
}

/// The CPU reference image of p on an nx x ny stamp.
torch::Tensor reference(const SersicProfile& p, int nx, int ny) {
  Image image = Image::zeros(nx, ny);
  add_sersic(image, p);
  return image_to_tensor(image);
}

/// A Sersic profile of flux, R_e [pixels], n, (e1, e2) and centre (x0, y0) [pixels].
SersicProfile profile(double flux, double re, double n, double e1, double e2, double x0,
                      double y0) {
  SersicProfile p;
  p.flux = flux;
  p.half_light_radius = re;
  p.n = n;
  p.e1 = e1;
  p.e2 = e2;
  p.x0 = x0;
  p.y0 = y0;
  return p;
}

/// A (B, ny, nx) float64 tensor of fixed random weights in [-1, 1).
torch::Tensor weights(std::int64_t b, int nx, int ny, std::uint64_t seed) {
  torch::manual_seed(seed);
  return torch::rand({b, ny, nx}, torch::kFloat64) * 2 - 1;
}

using Field = torch::Tensor SersicBatch::*;
const std::vector<std::pair<const char*, Field>> kFields = {
    {"flux", &SersicBatch::flux}, {"half_light_radius", &SersicBatch::half_light_radius},
    {"n", &SersicBatch::n},       {"e1", &SersicBatch::e1},
    {"e2", &SersicBatch::e2},     {"x0", &SersicBatch::x0},
    {"y0", &SersicBatch::y0}};

/// Checks autograd's gradient of loss with respect to every parameter of every profile against
/// central finite differences (step 1e-6 |value| for flux, R_e and n, 1e-6 for e1, e2 and the
/// centre [pixels]) to tol relative; returns the worst relative difference.
double check_gradients(const std::vector<SersicProfile>& ps,
                       const std::function<torch::Tensor(const SersicBatch&)>& loss, double tol) {
  SersicBatch b = batch_of(ps);
  for (const auto& field : kFields) (b.*field.second).requires_grad_(true);
  loss(b).backward();
  const torch::NoGradGuard no_grad;
  double worst = 0;
  for (const auto& [name, field] : kFields) {
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(ps.size()); ++i) {
      SersicBatch plus = batch_of(ps), minus = batch_of(ps);
      const double v = (plus.*field)[i].item<double>();
      const double h = 1e-6 * (field == &SersicBatch::flux || field == &SersicBatch::n ||
                                       field == &SersicBatch::half_light_radius
                                   ? std::abs(v)
                                   : 1.0);
      (plus.*field)[i].fill_(v + h);
      (minus.*field)[i].fill_(v - h);
      const double fd = (loss(plus) - loss(minus)).item<double>() / (2 * h);
      const double ad = (b.*field).grad()[i].item<double>();
      const double err =
          std::abs(ad - fd) / std::max(std::abs(fd), 1e-8);  // smallest |fd| here ~8e-4
      EXPECT_LT(err, tol) << name << "[" << i << "]: autograd " << ad << ", finite difference "
                          << fd;
      worst = std::max(worst, err);
    }
  }
  return worst;
}

TEST(BatchedRender, ProfilesInsideTheStampSumToTheirFlux) {
  const std::vector<SersicProfile> ps = {
      profile(1.0, 1.5, 0.5, 0.0, 0.0, 32.0, 32.0),   profile(2.5, 2.0, 1.0, 0.2, -0.1, 30.3, 33.7),
      profile(0.7, 1.2, 4.0, -0.1, 0.25, 33.1, 31.4), profile(4.0, 2.5, 2.2, 0.0, 0.3, 31.6, 32.9),
      profile(1.3, 0.8, 6.2, 0.1, 0.1, 32.5, 32.5),   profile(2.0, 0.3, 0.3, 0.5, 0.5, 32.1, 31.9)};
  const torch::Tensor images = render_sersic_batch(batch_of(ps), 64, 64);
  ASSERT_EQ(images.sizes(), (std::vector<int64_t>{6, 64, 64}));
  for (std::size_t i = 0; i < ps.size(); ++i)
    EXPECT_NEAR(images[i].sum().item<double>(), ps[i].flux, 1e-12 * ps[i].flux) << i;
  // A profile crossing the edge keeps only the flux inside the stamp, as in the reference.
  const SersicProfile edge = profile(1.0, 3.0, 1.0, 0.1, 0.0, 4.3, 40.2);
  const double kept = render_sersic_batch(batch_of({edge}), 64, 64)[0].sum().item<double>();
  EXPECT_NEAR(kept, reference(edge, 64, 64).sum().item<double>(), 1e-4);
  EXPECT_LT(kept, 0.95);
  // One entirely off the stamp renders as zeros.
  const SersicProfile off = profile(1.0, 2.0, 1.0, 0.0, 0.0, 200.0, -90.0);
  EXPECT_EQ(render_sersic_batch(batch_of({off}), 64, 64).abs().max().item<double>(), 0.0);
}

TEST(BatchedRender, MatchesTheCpuReference) {
  // Measured (oversample 5): rel. L1 <= 1.03e-3 and max |diff| / peak <= 1.6e-3 for all n and R_e
  // below; the thresholds leave ~30% margin. At R_e = 6 the truncation (48 px) crosses the stamp's
  // edges, which also checks the normalisation over the grown canvas.
  std::printf(
      "  n    R_e   max|diff|/peak  rel. L1   (oversample 5, truncation 8, e = (0.12, -0.07))\n");
  for (const double n : {0.5, 1.0, 2.0, 4.0}) {
    for (const double re : {1.5, 3.0, 6.0}) {
      const SersicProfile p = profile(1.0, re, n, 0.12, -0.07, 32.37, 31.81);
      const torch::Tensor ref = reference(p, 64, 64);
      const torch::Tensor img = render_sersic_batch(batch_of({p}), 64, 64)[0];
      const double peak = ref.max().item<double>();
      const double max_rel = (img - ref).abs().max().item<double>() / peak;
      const double l1 = (img - ref).abs().sum().item<double>() / ref.abs().sum().item<double>();
      std::printf("  %.1f  %.1f  %.3e       %.3e\n", n, re, max_rel, l1);
      EXPECT_LT(l1, 1.4e-3) << "n " << n << " R_e " << re;
      EXPECT_LT(max_rel, 2.2e-3) << "n " << n << " R_e " << re;
    }
  }
  // float32 renders the same images to float32 rounding.
  const std::vector<SersicProfile> ps = {profile(1.0, 2.0, 1.0, 0.1, 0.2, 31.3, 32.6),
                                         profile(1.0, 1.5, 4.0, -0.3, 0.1, 30.8, 33.2)};
  const torch::Tensor f64 = render_sersic_batch(batch_of(ps), 64, 64);
  const torch::Tensor f32 = render_sersic_batch(batch_of(ps, torch::kFloat32), 64, 64);
  EXPECT_EQ(f32.scalar_type(), torch::kFloat32);
  EXPECT_LT((f32.to(torch::kFloat64) - f64).abs().max().item<double>(),
            1e-5 * f64.max().item<double>());
}

TEST(BatchedRender, CentroidMomentsAndEllipticity) {
  const int size = 96, os = 5;
  const torch::Tensor x = torch::arange(size, torch::kFloat64) + 0.5;  // pixel centres
  // Centroid and the second moments [pixel^2] of an image.
  struct Moments {
    double x, y, qxx, qyy, qxy;
  };
  const auto moments = [&](const torch::Tensor& img) {
    const double total = img.sum().item<double>();
    const auto mean = [&](const torch::Tensor& f) {
      return (img * f).sum().item<double>() / total;
    };
    Moments m{mean(x.view({1, -1})), mean(x.view({-1, 1})), 0, 0, 0};
    const torch::Tensor dx = x.view({1, -1}) - m.x, dy = x.view({-1, 1}) - m.y;
    m.qxx = mean(dx * dx);
    m.qyy = mean(dy * dy);
    m.qxy = mean(dx * dy);
    return m;
  };
  // The centroid of pixel values at pixel centres is (x0, y0) for n <= 1; a cusp inside one
  // pixel biases it towards that pixel's centre (by (+0.001, -0.004) px for n = 2 and (+0.004,
  // -0.013) px for n = 4 here, as much in the exactly integrated reference).
  for (const double n : {0.5, 1.0, 2.0, 4.0}) {
    const SersicProfile p = profile(1.0, 3.0, n, 0.2, 0.1, 48.37, 47.81);
    const Moments m = moments(render_sersic_batch(batch_of({p}), size, size, os)[0]);
    const Moments ref = moments(reference(p, size, size));
    std::printf("  n = %.1f: centroid - (x0, y0) = (%+.1e, %+.1e), reference (%+.1e, %+.1e) px\n",
                n, m.x - p.x0, m.y - p.y0, ref.x - p.x0, ref.y - p.y0);
    EXPECT_NEAR(m.x, ref.x, 1e-4) << "n " << n;
    EXPECT_NEAR(m.y, ref.y, 1e-4) << "n " << n;
    if (n <= 1) {
      EXPECT_NEAR(m.x, p.x0, 1e-3) << "n " << n;
      EXPECT_NEAR(m.y, p.y0, 1e-3) << "n " << n;
    }
  }
  // n = 0.5 is a Gaussian of sigma^2 = R_e^2 / (2 k); pixels add 1/12 (less 1 / (12 os^2) for
  // point sampling outside the finer core block).
  for (const double re : {2.0, 3.0, 5.0}) {
    const SersicProfile p = profile(1.0, re, 0.5, 0.0, 0.0, 48.37, 47.81);
    const Moments m = moments(render_sersic_batch(batch_of({p}), size, size, os)[0]);
    const double expected = re * re / (2 * sersic_k(0.5, 8)) + 1.0 / 12;
    std::printf("  n = 0.5, R_e = %.0f: Q_xx / (sigma^2 + 1/12) - 1 = %.2e, Q_yy: %.2e\n", re,
                m.qxx / expected - 1, m.qyy / expected - 1);
    EXPECT_NEAR(m.qxx / expected, 1, 1e-3);
    EXPECT_NEAR(m.qyy / expected, 1, 1e-3);
    EXPECT_NEAR(m.qxy / expected, 0, 1e-5);
  }
  // The shear turns (Q11 - Q22, 2 Q12) / (Q11 + Q22) into 2 e / (1 + |e|^2) (Bartelmann &
  // Schneider 2001, sec. 4.2), once the isotropic pixel 1/12 is removed.
  for (const double n : {0.5, 1.0}) {
    const double e1 = 0.3, e2 = -0.2, g2 = e1 * e1 + e2 * e2;
    const SersicProfile p = profile(1.0, 3.0, n, e1, e2, 48.37, 47.81);
    const Moments m = moments(render_sersic_batch(batch_of({p}), size, size, os)[0]);
    const double qxx = m.qxx - 1.0 / 12, qyy = m.qyy - 1.0 / 12;
    std::printf("  n = %.1f, e = (%.1f, %.1f): distortion - 2 e / (1 + |e|^2) = (%+.1e, %+.1e)\n",
                n, e1, e2, (qxx - qyy) / (qxx + qyy) - 2 * e1 / (1 + g2),
                2 * m.qxy / (qxx + qyy) - 2 * e2 / (1 + g2));
    EXPECT_NEAR((qxx - qyy) / (qxx + qyy), 2 * e1 / (1 + g2), 1e-3) << "n " << n;
    EXPECT_NEAR(2 * m.qxy / (qxx + qyy), 2 * e2 / (1 + g2), 1e-3) << "n " << n;
  }
}

TEST(BatchedRender, GradientsMatchFiniteDifferences) {
  const int size = 48;
  const std::vector<SersicProfile> ps = {
      profile(2.5, 2.3, 1.0, 0.15, -0.1, 24.37, 23.81),
      profile(1.7, 1.8, 4.0, -0.2, 0.25, 22.63, 25.22),
      profile(3.1, 3.1, 2.37, 0.05, 0.3, 20.13, 27.71),
      profile(0.9, 2.7, 0.5, 0.3, 0.0, 26.41, 21.09),
      profile(1.2, 4.0, 1.5, -0.1, -0.1, 5.33, 40.27),  // crosses the stamp's edge
      profile(1.1, 1.2, 6.0, 0.0, 0.1, 23.91, 24.43)};
  const torch::Tensor w = weights(static_cast<std::int64_t>(ps.size()), size, size, 11);
  const double render = check_gradients(
      ps, [&](const SersicBatch& b) { return (w * render_sersic_batch(b, size, size)).sum(); },
      1e-5);
  const torch::Tensor psf = image_to_tensor(moffat_psf(3.0, 3.5, 15));
  const double convolved = check_gradients(
      ps,
      [&](const SersicBatch& b) {
        return (w * convolve_psf_batch(render_sersic_batch(b, size, size), psf)).sum();
      },
      1e-5);
  std::printf("  worst relative gradient error: %.2e (render), %.2e (render + PSF)\n", render,
              convolved);

  // Centres exactly on a coarse or a fine sample, and a profile off the stamp, give finite
  // gradients in both precisions.
  for (const torch::Dtype dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const double n : {1.0, 4.0}) {
      SersicBatch b = batch_of({profile(1.0, 2.0, n, 0.0, 0.0, 24.5, 24.5),
                                profile(1.0, 2.0, n, 0.1, 0.0, 24.025, 24.025),
                                profile(1.0, 2.0, n, 0.1, 0.0, 300.0, 24.0)},
                               dtype);
      for (const auto& field : kFields) (b.*field.second).requires_grad_(true);
      (weights(3, size, size, 3).to(dtype) * render_sersic_batch(b, size, size)).sum().backward();
      for (const auto& [name, field] : kFields)
        EXPECT_TRUE((b.*field).grad().isfinite().all().item<bool>()) << name << " n " << n;
    }
  }
}

TEST(BatchedRender, ConvolutionMatchesTheCpuReference) {
  torch::manual_seed(5);
  const torch::Tensor images = torch::rand({2, 37, 45}, torch::kFloat64);
  const torch::Tensor odd = torch::rand({9, 13}, torch::kFloat64);
  for (const torch::Tensor& psf : {image_to_tensor(moffat_psf(3.2, 3.5, 15)), odd}) {
    const torch::Tensor out = convolve_psf_batch(images, psf);
    ASSERT_EQ(out.sizes(), images.sizes());
    for (int i = 0; i < 2; ++i) {
      const torch::Tensor ref =
          image_to_tensor(convolve(tensor_to_image(images[i]), tensor_to_image(psf)));
      EXPECT_LT((out[i] - ref).abs().max().item<double>(), 1e-12 * ref.abs().max().item<double>());
    }
  }
  // A point source at pixel (20, 17) comes out as the PSF centred on it.
  const torch::Tensor psf = image_to_tensor(moffat_psf(3.2, 3.5, 15));
  torch::Tensor point = torch::zeros({1, 35, 41}, torch::kFloat64);
  point[0][17][20] = 1.0;
  const torch::Tensor out = convolve_psf_batch(point, psf)[0];
  EXPECT_LT((out.narrow(0, 10, 15).narrow(1, 13, 15) - psf).abs().max().item<double>(), 1e-15);
  EXPECT_NEAR(out.sum().item<double>(), psf.sum().item<double>(), 1e-14);
}

TEST(BatchedRender, BatchEqualsElementsAlone) {
  const std::vector<SersicProfile> ps = {
      profile(1.0, 2.0, 1.0, 0.1, 0.2, 31.3, 32.6),  profile(2.0, 1.5, 4.0, -0.3, 0.1, 30.8, 33.2),
      profile(0.5, 3.0, 0.5, 0.0, -0.4, 10.2, 50.9), profile(1.5, 5.0, 2.0, 0.2, 0.2, 60.1, 2.3),
      profile(1.0, 2.0, 1.0, 0.0, 0.0, 300.0, 32.0), profile(3.0, 0.7, 3.3, 0.4, 0.0, 32.0, 32.0)};
  const torch::Tensor all = render_sersic_batch(batch_of(ps), 64, 48, 4);
  ASSERT_EQ(all.sizes(), (std::vector<int64_t>{6, 48, 64}));
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const torch::Tensor alone = render_sersic_batch(batch_of({ps[i]}), 64, 48, 4)[0];
    EXPECT_LE((all[i] - alone).abs().max().item<double>(),
              1e-13 * std::max(alone.abs().max().item<double>(), 1e-300))
        << i;
  }
  EXPECT_EQ(render_sersic_batch(batch_of({}), 8, 8).sizes(), (std::vector<int64_t>{0, 8, 8}));
}

TEST(BatchedRender, ImagesRoundTripThroughTensors) {
  Image image = Image::zeros(5, 3);
  for (std::size_t i = 0; i < image.values.size(); ++i) image.values[i] = 0.25 * i - 1;
  const torch::Tensor t = image_to_tensor(image);
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(t[2][4].item<double>(), image.at(4, 2));
  const Image back = tensor_to_image(t.to(torch::kFloat32));
  EXPECT_EQ(back.nx, 5);
  EXPECT_EQ(back.ny, 3);
  EXPECT_EQ(back.values, image.values);
}

TEST(BatchedRender, BadInputsThrowNamingTheField) {
  const SersicProfile good = profile(1.0, 2.0, 1.0, 0.0, 0.0, 8.0, 8.0);
  const auto render = [](SersicProfile p) {
    return [p] { render_sersic_batch(batch_of({p}), 16, 16); };
  };
  SersicProfile p = good;
  p.n = 7;
  expect_throw<std::invalid_argument>(render(p), {"SersicBatch.n[0]", "7", "0.3 <= n <= 6.2"});
  p = good;
  p.n = 0.2;
  expect_throw<std::invalid_argument>(render(p), {"SersicBatch.n[0]", "0.2"});
  p = good;
  p.half_light_radius = 0;
  expect_throw<std::invalid_argument>(render(p), {"half_light_radius", "> 0"});
  p = good;
  p.e1 = 0.8;
  p.e2 = 0.6;
  expect_throw<std::invalid_argument>(render(p), {"e1, e2", "|e|", "< 1"});
  p = good;
  p.x0 = NAN;
  expect_throw<std::invalid_argument>(render(p), {"SersicBatch.x0[0]", "finite"});
  SersicBatch b = batch_of({good, good});
  b.y0 = torch::zeros({3}, torch::kFloat64);
  expect_throw<std::invalid_argument>([&] { render_sersic_batch(b, 16, 16); },
                                      {"SersicBatch.y0 shape", "[3]", "(B,)", "[2]"});
  b = batch_of({good, good});
  b.e2 = b.e2.to(torch::kFloat32);
  expect_throw<std::invalid_argument>([&] { render_sersic_batch(b, 16, 16); },
                                      {"SersicBatch.e2 dtype/device"});
  b = batch_of({good});
  expect_throw<std::invalid_argument>([&] { render_sersic_batch(b, 16, 16, 0); },
                                      {"oversample", "0", ">= 1"});
  expect_throw<std::invalid_argument>([&] { render_sersic_batch(b, 0, 16); }, {"nx"});
  expect_throw<std::invalid_argument>([&] { render_sersic_batch(b, 16, 16, 5, 1.0); },
                                      {"truncation", ">= 1.5"});
  const torch::Tensor images = torch::zeros({1, 16, 16}, torch::kFloat64);
  expect_throw<std::invalid_argument>(
      [&] {
        convolve_psf_batch(images, torch::ones({4, 5}, torch::kFloat64));
      },
      {"psf shape", "[4, 5]", "odd"});
  expect_throw<std::invalid_argument>(
      [&] {
        convolve_psf_batch(images[0], torch::ones({5, 5}, torch::kFloat64));
      },
      {"images shape", "(B, ny, nx)"});
  expect_throw<std::invalid_argument>(
      [&] {
        convolve_psf_batch(images, torch::ones({5, 5}, torch::kFloat32));
      },
      {"psf dtype/device"});
  expect_throw<std::invalid_argument>(
      [] {
        tensor_to_image(torch::zeros({2, 2, 2}));
      },
      {"tensor_to_image", "(ny, nx)"});
}

}  // namespace
}  // namespace cosmograd::surveys
