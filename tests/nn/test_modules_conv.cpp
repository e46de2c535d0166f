// Tests of nn/modules: periodic convolutions, style convolution, U-Net, recurrent cells, MLP.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "nn/modules/conv.hpp"
#include "nn/modules/mlp.hpp"
#include "nn/modules/recurrent.hpp"
#include "nn/modules/resnet.hpp"
#include "nn/modules/unet.hpp"
#include "nn/modules/unet2d.hpp"

namespace cn = cosmograd::nn;

namespace {

const auto kDouble = torch::TensorOptions().dtype(torch::kFloat64);

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// Reference periodic convolution: out[i] = b + sum_a w[a] x[i + a - p], built from torch::roll.
torch::Tensor roll_conv3d(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  const int64_t k = w.size(2);
  const int64_t p = k / 2;
  auto out = b.view({1, -1, 1, 1, 1})
                 .expand({x.size(0), w.size(0), x.size(2), x.size(3), x.size(4)})
                 .clone();
  for (int64_t a = 0; a < k; ++a) {
    for (int64_t bb = 0; bb < k; ++bb) {
      for (int64_t c = 0; c < k; ++c) {
        const auto shifted = torch::roll(x, {p - a, p - bb, p - c}, {2, 3, 4});
        out +=
            torch::einsum("ncdhw,oc->nodhw", {shifted, w.select(4, c).select(3, bb).select(2, a)});
      }
    }
  }
  return out;
}

// Every parameter gets a gradient and at least one is non-zero per parameter tensor.
void expect_all_grads_nonzero(torch::nn::Module& m) {
  for (const auto& p : m.named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

}  // namespace

TEST(NnPeriodicConv, Conv3dMatchesRollReference) {
  torch::manual_seed(1);
  for (const int64_t k : {1, 3, 5}) {
    cn::PeriodicConv3d conv(cn::PeriodicConvOptions(2, 3, k));
    conv->to(torch::kFloat64);
    const auto x = torch::randn({2, 2, 6, 5, 7}, kDouble);
    const auto y = conv(x);
    ASSERT_EQ(y.sizes(), torch::IntArrayRef({2, 3, 6, 5, 7}));
    const auto ref = roll_conv3d(x, conv->conv->weight, conv->conv->bias);
    EXPECT_LT(max_abs_diff(y, ref), 1e-12) << "kernel " << k;
  }
}

TEST(NnPeriodicConv, Stride2IsStride1Subsampled) {
  torch::manual_seed(2);
  cn::PeriodicConv3d down(cn::PeriodicConvOptions(2, 3, 3).stride(2));
  down->to(torch::kFloat64);
  const auto x = torch::randn({1, 2, 8, 6, 4}, kDouble);
  const auto y = down(x);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({1, 3, 4, 3, 2}));
  using torch::indexing::Slice;
  const auto ref =
      roll_conv3d(x, down->conv->weight, down->conv->bias)
          .index({Slice(), Slice(), Slice(0, torch::indexing::None, 2),
                  Slice(0, torch::indexing::None, 2), Slice(0, torch::indexing::None, 2)});
  EXPECT_LT(max_abs_diff(y, ref), 1e-12);
  EXPECT_THROW(down(torch::randn({1, 2, 7, 6, 4}, kDouble)), std::invalid_argument);
}

TEST(NnPeriodicConv, Conv2dMatchesRollReference) {
  torch::manual_seed(3);
  cn::PeriodicConv2d conv(cn::PeriodicConvOptions(2, 4, 3));
  conv->to(torch::kFloat64);
  const auto x = torch::randn({3, 2, 5, 6}, kDouble);
  const auto w = conv->conv->weight;
  auto ref = conv->conv->bias.view({1, -1, 1, 1}).expand({3, 4, 5, 6}).clone();
  for (int64_t a = 0; a < 3; ++a) {
    for (int64_t b = 0; b < 3; ++b) {
      ref += torch::einsum("nchw,oc->nohw",
                           {torch::roll(x, {1 - a, 1 - b}, {2, 3}), w.select(3, b).select(2, a)});
    }
  }
  EXPECT_LT(max_abs_diff(conv(x), ref), 1e-12);
}

TEST(NnPeriodicConv, RejectsEvenKernel) {
  EXPECT_THROW(cn::PeriodicConv3d(cn::PeriodicConvOptions(1, 1, 2)), std::invalid_argument);
  EXPECT_THROW(cn::PeriodicConv3d(cn::PeriodicConvOptions(1, 1, 3).stride(3)),
               std::invalid_argument);
}

TEST(NnStyleConv, DemodulatedWeightsHaveUnitNorm) {
  torch::manual_seed(4);
  cn::StyleConv3d sc(cn::StyleConv3dOptions(3, 5, 4));
  sc->to(torch::kFloat64);
  const auto w = sc->modulated_weight(torch::randn({2, 4}, kDouble));
  ASSERT_EQ(w.sizes(), torch::IntArrayRef({2, 5, 3, 3, 3, 3}));
  const auto norms = w.pow(2).sum({2, 3, 4, 5}).sqrt();
  EXPECT_LT(max_abs_diff(norms, torch::ones_like(norms)), 1e-6);  // eps = 1e-8 in the norm
}

TEST(NnStyleConv, ZeroStyleIsPeriodicConvWithNormalisedWeight) {
  torch::manual_seed(5);
  cn::StyleConv3d sc(cn::StyleConv3dOptions(2, 3, 4));
  sc->to(torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    sc->bias.uniform_(-1, 1);
  }
  const auto x = torch::randn({2, 2, 4, 6, 5}, kDouble);
  const auto y = sc(x, torch::zeros({2, 4}, kDouble));
  const auto w = sc->weight * torch::rsqrt(sc->weight.pow(2).sum({1, 2, 3, 4}, true) + 1e-8);
  EXPECT_LT(max_abs_diff(y, roll_conv3d(x, w, sc->bias)), 1e-12);
  // A different style changes the output, per sample.
  auto style = torch::zeros({2, 4}, kDouble);
  style[1] = torch::randn({4}, kDouble);
  const auto y2 = sc(x, style);
  EXPECT_LT(max_abs_diff(y2[0], y[0]), 1e-12);
  EXPECT_GT(max_abs_diff(y2[1], y[1]), 1e-3);
}

TEST(NnStyleConv, GradientsFlow) {
  torch::manual_seed(6);
  cn::StyleConv3d sc(cn::StyleConv3dOptions(2, 3, 4));
  sc->to(torch::kFloat64);
  const auto x = torch::randn({2, 2, 4, 4, 4}, kDouble).requires_grad_(true);
  const auto s = torch::randn({2, 4}, kDouble).requires_grad_(true);
  sc(x, s).pow(2).sum().backward();
  expect_all_grads_nonzero(*sc);
  EXPECT_GT(s.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(x.grad().abs().sum().item<double>(), 0.0);
}

namespace {

void check_unet_equivariance(const cn::UNet3dOptions& o) {
  cn::UNet3d net(o);
  net->to(torch::kFloat64);
  const int64_t f = int64_t{1} << o.depth();
  const auto x = torch::randn({2, o.in_channels(), 2 * f, 3 * f, 2 * f}, kDouble);
  torch::Tensor style;
  if (o.style_size() > 0) style = torch::randn({2, o.style_size()}, kDouble);
  torch::NoGradGuard no_grad;
  const auto y = net(x, style);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({2, o.out_channels(), 2 * f, 3 * f, 2 * f}));
  const std::vector<int64_t> shift = {f, -2 * f, 3 * f};
  const auto y_shifted = net(torch::roll(x, shift, {2, 3, 4}), style);
  EXPECT_LT(max_abs_diff(y_shifted, torch::roll(y, shift, {2, 3, 4})), 1e-12);
  EXPECT_GT(y.abs().max().item<double>(), 1e-6);  // not trivially zero
  // Sensitivity: a one-cell shift is not a symmetry of the downsampling, so the check can fail.
  const auto y_one = net(torch::roll(x, {1}, {2}), style);
  EXPECT_GT(max_abs_diff(y_one, torch::roll(y, {1}, {2})), 1e-6);
}

}  // namespace

TEST(NnUNet3d, EquivariantUnderShiftsByTwoToTheDepth) {
  torch::manual_seed(7);
  check_unet_equivariance(
      cn::UNet3dOptions().in_channels(2).out_channels(3).depth(2).base_channels(4));
}

TEST(NnUNet3d, EquivariantWithAvgPoolAndStyle) {
  torch::manual_seed(8);
  check_unet_equivariance(cn::UNet3dOptions()
                              .depth(1)
                              .base_channels(3)
                              .channel_multiplier(2)
                              .downsample(cn::UNetDownsample::avg_pool)
                              .style_size(2));
}

TEST(NnUNet3d, GradientsFlowAndBadSizesThrow) {
  torch::manual_seed(9);
  cn::UNet3d net(cn::UNet3dOptions().depth(2).base_channels(2).style_size(3));
  net->to(torch::kFloat64);
  const auto x = torch::randn({1, 1, 8, 8, 8}, kDouble);
  const auto s = torch::randn({1, 3}, kDouble);
  net(x, s).pow(2).sum().backward();
  expect_all_grads_nonzero(*net);
  EXPECT_THROW(net(torch::randn({1, 1, 6, 8, 8}, kDouble), s), std::invalid_argument);
  EXPECT_THROW(net(x), std::invalid_argument);  // style required
}

TEST(NnConvGRU3d, GatesBoundedAndShapePreserved) {
  torch::manual_seed(10);
  cn::ConvGRU3d gru(cn::ConvRecurrentOptions(2, 3));
  gru->to(torch::kFloat64);
  const auto x = 3 * torch::randn({2, 2, 4, 5, 6}, kDouble);
  const auto h = torch::rand({2, 3, 4, 5, 6}, kDouble) * 2 - 1;
  const auto [h1, r, z] = gru->forward_with_gates(x, h);
  EXPECT_EQ(h1.sizes(), h.sizes());
  for (const auto& g : {r, z}) {
    EXPECT_EQ(g.sizes(), h.sizes());
    EXPECT_GE(g.min().item<double>(), 0.0);
    EXPECT_LE(g.max().item<double>(), 1.0);
  }
  // h' is a convex combination of tanh(...) and h, so stays in [-1, 1].
  EXPECT_LE(h1.abs().max().item<double>(), 1.0);
  EXPECT_EQ(gru(x).sizes(), h.sizes());  // zero initial state
}

TEST(NnConvGRU3d, GradientsFlowThroughTwoSteps) {
  torch::manual_seed(11);
  cn::ConvGRU3d gru(cn::ConvRecurrentOptions(1, 2));
  gru->to(torch::kFloat64);
  const auto x = torch::randn({1, 1, 4, 4, 4}, kDouble);
  const auto h0 = torch::rand({1, 2, 4, 4, 4}, kDouble);
  gru(x, gru(x, h0)).sum().backward();
  expect_all_grads_nonzero(*gru);
}

TEST(NnConvLSTM3d, StateShapesAndBounds) {
  torch::manual_seed(12);
  cn::ConvLSTM3d lstm(cn::ConvRecurrentOptions(2, 3));
  lstm->to(torch::kFloat64);
  const auto x = torch::randn({2, 2, 4, 4, 6}, kDouble);
  auto state = lstm->forward(x);
  state = lstm->forward(x, state);
  const auto& [h, c] = state;
  EXPECT_EQ(h.sizes(), torch::IntArrayRef({2, 3, 4, 4, 6}));
  EXPECT_EQ(c.sizes(), h.sizes());
  EXPECT_LT(h.abs().max().item<double>(), 1.0);
  (h.sum() + c.sum()).backward();
  expect_all_grads_nonzero(*lstm);
}

TEST(NnMLP, ShapesAndGradients) {
  torch::manual_seed(13);
  cn::MLP mlp(cn::MLPOptions(5, 2, {8, 7}).activation(cn::parse_activation("tanh")));
  EXPECT_EQ(mlp->layers->size(), 3u);
  const auto x = torch::randn({4, 3, 5});
  const auto y = mlp(x);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({4, 3, 2}));
  y.pow(2).sum().backward();
  expect_all_grads_nonzero(*mlp);
  cn::MLP linear(cn::MLPOptions(5, 2, {}));
  EXPECT_EQ(linear->layers->size(), 1u);
  EXPECT_THROW(mlp(torch::randn({4, 4})), std::invalid_argument);
  EXPECT_THROW(cn::parse_activation("swish"), std::invalid_argument);
}

TEST(NnResNet2d, ShapesAndGradients) {
  torch::manual_seed(14);
  cn::ResNet2d net(
      cn::ResNet2dOptions().in_channels(2).out_features(3).stage_channels({4, 8}).blocks_per_stage(
          1));
  const auto x = torch::randn({3, 2, 16, 12});
  const auto y = net(x);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({3, 3}));
  y.pow(2).sum().backward();
  expect_all_grads_nonzero(*net);
  net->eval();
  EXPECT_EQ(net(torch::randn({1, 2, 8, 8})).sizes(), torch::IntArrayRef({1, 3}));
  EXPECT_THROW(net(torch::randn({1, 3, 8, 8})), std::invalid_argument);
}

TEST(NnUNet2d, ShapesGradientsDropoutAndErrors) {
  torch::manual_seed(15);
  cn::UNet2d net(cn::UNet2dOptions()
                     .in_channels(2)
                     .out_channels(3)
                     .depth(2)
                     .base_channels(4)
                     .norm_groups(2)
                     .dropout(0.3));
  EXPECT_EQ(net->channels(2), 16);
  const auto x = torch::randn({2, 2, 16, 12});
  const auto y = net(x);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 3, 16, 12}));
  y.pow(2).sum().backward();
  expect_all_grads_nonzero(*net);
  // Dropout is random in training mode and off in eval mode.
  EXPECT_FALSE(torch::equal(net(x), net(x)));
  net->eval();
  EXPECT_TRUE(torch::equal(net(x), net(x)));
  // Samples are independent (group norm, not batch norm): a sample's output ignores the batch.
  const double batch_diff =
      (net(x).slice(0, 0, 1) - net(x.slice(0, 0, 1))).abs().max().item<double>();
  EXPECT_LT(batch_diff, 1e-4 * net(x).abs().max().item<double>());
  EXPECT_THROW(net(torch::randn({1, 2, 10, 12})), std::invalid_argument);  // 10 % 4 != 0
  EXPECT_THROW(net(torch::randn({1, 3, 16, 16})), std::invalid_argument);
  EXPECT_THROW(cn::UNet2d(cn::UNet2dOptions().base_channels(6).norm_groups(4)),
               std::invalid_argument);
  EXPECT_THROW(cn::UNet2d(cn::UNet2dOptions().dropout(1.0)), std::invalid_argument);
}
