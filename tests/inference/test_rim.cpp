// The RIM: the posterior as an autograd op (its gradient is the adjoint's), the network's shapes,
// size and file round trip, and a short training run that must lower the loss.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <random>

#include "inference/rim.hpp"
#include "nn/train/model_file.hpp"

namespace cosmograd::inference {
namespace {

sim::SimSpec tiny_spec() {
  sim::SimSpec c;
  c.particles = 8;
  c.mesh = 8;
  c.box_size = 64;
  c.steps = 2;
  c.double_precision = true;
  c.threads = 1;
  c.fft_planning = sim::FftPlanning::estimate;
  return c;
}

DataModel tiny_model() {
  DataModel m;
  m.mesh = 8;
  m.box_size = 64;
  m.noise_power = 50;
  return m;
}

TEST(Rim, PosteriorOpGradientIsTheAdjointGradient) {
  const sim::SimSpec c = tiny_spec();
  Posterior post(c, tiny_model(), sim::Field<double>(sim::Decomposition(8)));
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> x(512);
  for (double& v : x) v = g(rng);
  post.set_data(simulate_data(post.model(), post.simulate(x), 1));
  for (double& v : x) v = 0.5 * g(rng);
  std::vector<double> grad;
  const double value = post.evaluate(x, &grad);
  const torch::Tensor xt =
      torch::from_blob(x.data(), {8, 8, 8}, torch::kFloat64).clone().requires_grad_(true);
  const torch::Tensor nlp = negative_log_posterior(post, xt);
  EXPECT_DOUBLE_EQ(nlp.item<double>(), value);
  (3.0 * nlp).backward();
  const torch::Tensor gt = xt.grad().reshape(-1);
  for (std::size_t i = 0; i < grad.size(); i += 37) {
    EXPECT_DOUBLE_EQ(gt[static_cast<int64_t>(i)].item<double>(), 3.0 * grad[i]);
  }
}

TEST(Rim, NetworkShapesSizeAndFileRoundTrip) {
  nn::RimNet net(8, 5);
  // CosmicRIM's network has about 1.4e5 parameters; ours (same cells and widths) is close.
  EXPECT_GT(net->num_parameters(), 100000);
  EXPECT_LT(net->num_parameters(), 200000);
  const torch::Tensor in = torch::randn({1, 2, 8, 8, 8});
  auto [dx, state] = net->forward(in, {});
  EXPECT_EQ(dx.sizes(), (std::vector<int64_t>{1, 1, 8, 8, 8}));
  EXPECT_EQ(state.h_half.sizes(), (std::vector<int64_t>{1, 8, 4, 4, 4}));
  EXPECT_THROW(net->forward(torch::randn({1, 3, 8, 8, 8}), {}), std::invalid_argument);
  EXPECT_THROW(nn::RimNet(8, 4), std::invalid_argument);
  const std::string path = testing::TempDir() + "rim_roundtrip.cgm";
  nn::ModelHeader h = net->header();
  h.set("rim_iterations", int64_t{10});
  nn::save_model(path, *net, h);
  nn::RimNet back = nn::load_rim(path);
  auto [dx2, s2] = back->forward(in, {});
  EXPECT_TRUE(torch::allclose(dx, dx2));
  std::remove(path.c_str());
}

TEST(Rim, ShortTrainingLowersTheLoss) {
  torch::manual_seed(1);
  nn::RimNet net(4, 3);
  RimTrainOptions o;
  o.rim.iterations = 4;
  o.steps = 60;
  o.learning_rate = 3e-3;
  o.log_every = 0;
  const RimTrainResult r = train_rim(net, tiny_spec(), tiny_model(), o);
  ASSERT_EQ(r.losses.size(), 60u);
  double first = 0, last = 0;
  for (int i = 0; i < 10; ++i) first += r.losses[static_cast<std::size_t>(i)] / 10;
  for (int i = 50; i < 60; ++i) last += r.losses[static_cast<std::size_t>(i)] / 10;
  // The zero estimate scores 4 (T = 4 updates, unit-variance truth); learning must do better.
  EXPECT_LT(last, first);
  EXPECT_LT(last, 4.0);
}

}  // namespace
}  // namespace cosmograd::inference
