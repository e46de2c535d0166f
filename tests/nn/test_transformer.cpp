#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nn/modules/transformer.hpp"

namespace cn = cosmograd::nn;

TEST(SequenceTransformer, ShapesAndGradients) {
  torch::manual_seed(1);
  cn::SequenceTransformer net(cn::SequenceTransformerOptions(3, 2).d_model(16).heads(4));
  const auto x = torch::randn({5, 12, 3});
  const auto y = net(x);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{5, 2}));
  EXPECT_EQ(net->encode(x).sizes(), (std::vector<int64_t>{5, 12, 16}));
  y.pow(2).sum().backward();
  for (const auto& p : net->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0);
  }
}

TEST(SequenceTransformer, PaddedStepsDoNotChangeThePrediction) {
  // Appending padded steps (masked) leaves the pooled output unchanged.
  torch::manual_seed(2);
  cn::SequenceTransformer net(cn::SequenceTransformerOptions(2, 1).d_model(8).heads(2));
  net->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({1, 6, 2}, torch::kFloat64);
  net->to(torch::kFloat64);
  const auto t = torch::arange(6, torch::kFloat64).unsqueeze(0);
  const auto short_out = net(x, t);
  const auto x_long = torch::cat({x, torch::randn({1, 3, 2}, torch::kFloat64)}, 1);
  const auto t_long = torch::arange(9, torch::kFloat64).unsqueeze(0);
  auto pad = torch::zeros({1, 9}, torch::kBool);
  pad.index_put_({0, torch::indexing::Slice(6, 9)}, true);
  const auto long_out = net(x_long, t_long, pad);
  EXPECT_NEAR((short_out - long_out).abs().max().item<double>(), 0.0, 1e-10);
}

TEST(SequenceTransformer, TimeEncodingAndBadOptions) {
  const auto enc = cn::time_encoding(torch::zeros({1, 2}, torch::kFloat64), 6, 100.0);
  EXPECT_EQ(enc.sizes(), (std::vector<int64_t>{1, 2, 6}));
  // t = 0: sin terms 0, cos terms 1
  EXPECT_DOUBLE_EQ(enc.index({0, 0, 0}).item<double>(), 0.0);
  EXPECT_DOUBLE_EQ(enc.index({0, 0, 3}).item<double>(), 1.0);
  EXPECT_THROW(cn::SequenceTransformer(cn::SequenceTransformerOptions(2, 1).d_model(10).heads(4)),
               std::invalid_argument);
}
