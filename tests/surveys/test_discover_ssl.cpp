// surveys/discovery/ssl_*: the NT-Xent loss against hand-computed values, the augmentations
// (symmetries keep the flux, exact integer shifts, size scaling, the requested noise and
// brightness), redshift-bin edges, nested labelled subsets, the linear probe on separable data,
// a few training steps lowering the loss, and the encoder's model file.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include "nn/train/model_file.hpp"
#include "surveys/discovery/ssl_augment.hpp"
#include "surveys/discovery/ssl_encoder.hpp"
#include "surveys/discovery/ssl_probe.hpp"
#include "surveys/vision/stamp_classifier.hpp"

namespace cg = cosmograd::surveys;

namespace {

/// N round Gaussian blobs [N, 1, S, S] of flux `flux` and width sigma_px at the stamp centre.
torch::Tensor blobs(int64_t n, int64_t s, double sigma_px, double flux) {
  const torch::Tensor c = torch::arange(s, torch::kFloat32) + 0.5 - 0.5 * static_cast<double>(s);
  const torch::Tensor r2 = c.view({1, s}).pow(2) + c.view({s, 1}).pow(2);
  const torch::Tensor g = (-r2 / (2 * sigma_px * sigma_px)).exp();
  return (g / g.sum() * flux).expand({n, 1, s, s}).clone();
}

}  // namespace

// Two views of two stamps at tau = 1: u = (1,0), (0,1), (1,0), (0,1). Identical pairs: each
// view's positive has s = 1 and its other two candidates s = 0: loss = log((e + 2) / e).
// Swapped pairs: the positive has s = 0, the others 0 and 1: loss = log(2 + e).
TEST(SslLoss, NtXentHandComputed) {
  const torch::Tensor a = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}});
  const torch::Tensor b = torch::tensor({{0.0f, 1.0f}, {1.0f, 0.0f}});
  EXPECT_NEAR(cg::nt_xent_loss(a, a, 1.0).item<double>(), std::log((M_E + 2) / M_E), 1e-6);
  EXPECT_NEAR(cg::nt_xent_loss(a, b, 1.0).item<double>(), std::log(2 + M_E), 1e-6);
  // Scale invariance (cosine similarity) and tau dividing the similarities.
  EXPECT_NEAR(cg::nt_xent_loss(3 * a, 0.5 * a, 0.5).item<double>(),
              std::log((std::exp(2.0) + 2) / std::exp(2.0)), 1e-6);
  EXPECT_THROW(cg::nt_xent_loss(a, a, 0.0), std::invalid_argument);
  EXPECT_THROW(cg::nt_xent_loss(a.narrow(0, 0, 1), a.narrow(0, 0, 1), 1.0), std::invalid_argument);
}

TEST(SslLoss, IdenticalViewsBeatRandomOnes) {
  torch::manual_seed(3);
  const torch::Tensor z1 = torch::randn({64, 16}), z2 = torch::randn({64, 16});
  const double same = cg::nt_xent_loss(z1, z1 + 0.01 * z2, 0.2).item<double>();
  const double random = cg::nt_xent_loss(z1, z2, 0.2).item<double>();
  EXPECT_LT(same, 0.5 * random);
  // Random views: at least about log(2N - 1) = log(127) = 4.84 (positives no closer than
  // negatives; the spread of the similarities adds about their variance / 2 = 0.8).
  EXPECT_GT(random, std::log(127.0) - 0.3);
  EXPECT_LT(random, std::log(127.0) + 1.5);
}

TEST(SslAugment, SymmetriesKeepFluxAndMatchSquareSymmetry) {
  torch::manual_seed(5);
  const torch::Tensor x = torch::rand({8, 1, 12, 12});
  const torch::Tensor k = torch::arange(8, torch::kLong);
  const torch::Tensor y = cg::apply_square_symmetries(x, k);
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_NEAR(y[i].sum().item<double>(), x[i].sum().item<double>(), 1e-4);
    EXPECT_TRUE(torch::equal(y[i], cg::square_symmetry(x[i].unsqueeze(0), i)[0]));
  }
}

TEST(SslAugment, WarpIsExactForIntegerShiftsAndScalesSizes) {
  torch::Tensor x = torch::zeros({1, 1, 16, 16});
  x[0][0][5][7] = 1;  // (row iy = 5, column ix = 7)
  const torch::Tensor one = torch::ones({1}), zero = torch::zeros({1});
  EXPECT_TRUE(torch::allclose(cg::warp_stamps(x, one, zero, zero), x, 0, 1e-6));
  const torch::Tensor moved =
      cg::warp_stamps(x, one, torch::full({1}, 2.0), torch::full({1}, -1.0));
  EXPECT_NEAR(moved[0][0][4][9].item<double>(), 1.0, 1e-6);  // dx = +2 along W, dy = -1 along H
  EXPECT_NEAR(moved.sum().item<double>(), 1.0, 1e-6);
  // Enlarging a well-sampled Gaussian (sigma 3 px) by s multiplies its flux by s^2 (surface
  // brightness is kept) and its second moment by s^2, within 1% for the flux and 2% for the
  // moment (bilinear interpolation broadens it by ~0.3 px^2 of its ~26 px^2).
  const torch::Tensor g = blobs(1, 40, 3.0, 1.0);
  const double s = 1.2;
  const torch::Tensor w = cg::warp_stamps(g, torch::full({1}, s), zero, zero);
  EXPECT_NEAR(w.sum().item<double>(), s * s, 0.01 * s * s);
  const torch::Tensor c = torch::arange(40, torch::kFloat32) + 0.5 - 20;
  const torch::Tensor r2 = c.view({1, 40}).pow(2) + c.view({40, 1}).pow(2);
  const double m0 = (g[0][0] * r2).sum().item<double>() / g.sum().item<double>();
  const double m1 = (w[0][0] * r2).sum().item<double>() / w.sum().item<double>();
  EXPECT_NEAR(m1 / m0, s * s, 0.02 * s * s);
}

TEST(SslAugment, NoiseAndBrightnessAsRequested) {
  cg::SslAugmentOptions o;
  o.symmetries = false;
  o.jitter_px = 0;
  o.warp_probability = 0;
  o.flux_min = o.flux_max = 1;
  o.noise_max = 2;
  o.soften = 3;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  const int64_t n = 10000;
  const torch::Tensor sigma = torch::full({n}, 5.0f);
  const torch::Tensor v = cg::ssl_augment(torch::zeros({n, 1, 16, 16}), sigma, o, gen);
  // Undo the asinh scaling; the added sigma is u sigma with u ~ U(0, 2): variance 4/3 sigma^2.
  const torch::Tensor raw = torch::sinh(v) * 3 * 5;
  EXPECT_NEAR(raw.var().item<double>() / (4.0 / 3.0 * 25.0), 1.0, 0.03);
  // Brightness: noise off, factor fixed at 2.
  o.noise_max = 0;
  o.flux_min = o.flux_max = 2;
  const torch::Tensor x = blobs(3, 16, 2.0, 100.0);
  const torch::Tensor b = cg::ssl_augment(x, torch::full({3}, 1.0f), o, gen);
  EXPECT_TRUE(torch::allclose(torch::sinh(b) * 3, 2 * x, 1e-4, 1e-5));
  o.noise_max = -1;
  EXPECT_THROW(o.validate(), std::invalid_argument);
}

TEST(SslProbe, QuantileEdgesAndBins) {
  std::vector<double> z;
  for (int i = 0; i < 100; ++i) z.push_back(i);
  const std::vector<double> e = cg::quantile_bin_edges(z, 4);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_DOUBLE_EQ(e[0], 0);
  EXPECT_DOUBLE_EQ(e[1], 24.75);
  EXPECT_DOUBLE_EQ(e[2], 49.5);
  EXPECT_DOUBLE_EQ(e[4], 99);
  std::vector<int> counts(4, 0);
  for (double v : z) ++counts[static_cast<std::size_t>(cg::bin_of(v, e))];
  for (int c : counts) EXPECT_EQ(c, 25);
  EXPECT_EQ(cg::bin_of(-5, e), 0);
  EXPECT_EQ(cg::bin_of(1000, e), 3);
  EXPECT_EQ(cg::bin_of(NAN, e), -1);
  EXPECT_EQ(cg::redshift_bin_names({0, 0.5, 1.25})[1], "z0.50-1.25");
  EXPECT_THROW(cg::quantile_bin_edges({1, 1, 1}, 2), std::invalid_argument);
}

TEST(SslProbe, LabelledSubsetsAreNestedAndSized) {
  const auto a = cg::labelled_subset(1000, 0.1, 4), b = cg::labelled_subset(1000, 0.3, 4);
  EXPECT_EQ(a.size(), 100u);
  EXPECT_EQ(b.size(), 300u);
  const std::set<std::size_t> sb(b.begin(), b.end());
  for (std::size_t r : a) EXPECT_TRUE(sb.count(r));
  EXPECT_EQ(cg::labelled_subset(1000, 1.0, 4).size(), 1000u);
  EXPECT_EQ(cg::labelled_subset(5, 0.01, 1).size(), 1u);
  EXPECT_THROW(cg::labelled_subset(10, 0.0, 1), std::invalid_argument);
}

TEST(SslProbe, SeparableEmbeddingsGiveFullAccuracy) {
  torch::manual_seed(11);
  const int64_t n = 600, k = 3;
  const torch::Tensor y = torch::arange(n, torch::kLong) % k;
  const torch::Tensor centres = torch::randn({k, 8}) * 5;
  const torch::Tensor x = centres.index_select(0, y) + 0.3 * torch::randn({n, 8});
  const double acc =
      cg::linear_probe_accuracy(x.narrow(0, 0, 300), y.narrow(0, 0, 300), x.narrow(0, 300, 300),
                                y.narrow(0, 300, 300), k, 1e-3);
  EXPECT_GE(acc, 0.99);
  // Labels independent of the features: near chance (1/3) on the test half.
  const torch::Tensor noise = torch::randn({n, 8});
  const double chance =
      cg::linear_probe_accuracy(noise.narrow(0, 0, 300), y.narrow(0, 0, 300),
                                noise.narrow(0, 300, 300), y.narrow(0, 300, 300), k, 1e-3);
  EXPECT_LT(chance, 0.5);
}

TEST(SslEncoder, FewStepsLowerTheLossAndModelFileRoundTrips) {
  at::set_num_threads(1);
  torch::manual_seed(2);
  // 96 blobs of 3 widths with noise sigma 1 (flux 300).
  std::vector<torch::Tensor> parts;
  for (double w : {1.0, 2.0, 3.5}) parts.push_back(blobs(32, 16, w, 300.0));
  const torch::Tensor x = torch::cat(parts, 0) + torch::randn({96, 1, 16, 16});
  const torch::Tensor sigma = torch::ones({96});
  cg::SslEncoderConfig c;
  c.size = 16;
  c.stage_channels = {4, 8};
  c.blocks_per_stage = 1;
  c.embedding_dim = 8;
  c.projection_dim = 8;
  cg::SslEncoder model(c);
  cg::SslTrainOptions o;
  o.epochs = 12;
  o.batch = 32;
  o.lr = 1e-2;
  o.log = false;
  cg::SslTrainReport rep;
  cg::train_ssl_encoder(model, x, sigma, x.narrow(0, 0, 16), sigma.narrow(0, 0, 16), o, &rep);
  ASSERT_EQ(rep.train_loss.size(), 12u);
  EXPECT_EQ(rep.steps, 36);
  const double first = (rep.train_loss[0] + rep.train_loss[1]) / 2;
  const double last = (rep.train_loss[10] + rep.train_loss[11]) / 2;
  EXPECT_LT(last, first - 0.1);
  // Model file: header and weights give the same embeddings.
  const std::string path =
      (std::filesystem::temp_directory_path() / "cosmograd_test_ssl_encoder.cgm").string();
  cosmograd::nn::save_model(path, *model, model->header());
  cosmograd::nn::ModelHeader h;
  cg::SslEncoder back = cg::load_ssl_encoder(path, &h);
  EXPECT_EQ(h.get("model"), cg::kSslModelType);
  EXPECT_EQ(back->config().stage_channels, c.stage_channels);
  const torch::Tensor in = cg::ssl_scale(x.narrow(0, 0, 10), sigma.narrow(0, 0, 10), 3.0);
  const torch::Tensor e0 = model->embed(in), e1 = back->embed(in);
  EXPECT_EQ(e0.size(0), 10);
  EXPECT_EQ(e0.size(1), 8);
  EXPECT_TRUE(torch::allclose(e0, e1, 1e-5, 1e-6));
  std::filesystem::remove(path);
  c.embedding_dim = 1;
  EXPECT_THROW(c.validate(), std::invalid_argument);
}
