// Numerical checks of the grid modules of nn/modules, each with a stated tolerance and, where a
// symmetry is tested, a negative control showing the check can fail: shift equivariance of the
// periodic convolutions and of the U-Net, the style convolution against its equations, the
// ConvGRU / ConvLSTM cells against hand-unrolled steps, and batch independence of the ResNet.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "nn/modules/conv.hpp"
#include "nn/modules/recurrent.hpp"
#include "nn/modules/resnet.hpp"
#include "nn/modules/unet.hpp"
#include "tests/nn/numerics_check.hpp"

namespace cn = cosmograd::nn;
using cosmograd::nn::numerics_test::expect_above;
using cosmograd::nn::numerics_test::expect_below;
using cosmograd::nn::numerics_test::kF64;
using cosmograd::nn::numerics_test::max_abs_diff;
using cosmograd::nn::numerics_test::periodic_conv3d_reference;

namespace {

// Largest deviation from equivariance, max |f(roll(x, s)) - roll(f(x), s / out_stride)|, over
// the single-axis shifts s = step, 2 step, ... < size of each spatial axis, plus one shift by
// +-step along all axes at once. out_stride is the down-sampling factor of f's output.
template <typename Fn>
double worst_shift_error(const Fn& f, const torch::Tensor& x, int64_t step, int64_t out_stride) {
  const torch::Tensor y = f(x);
  double worst = 0.0;
  std::vector<int64_t> axes, shifts, out_shifts;
  for (int64_t d = 2; d < x.dim(); ++d) {
    for (int64_t s = step; s < x.size(d); s += step) {
      worst = std::max(
          worst, max_abs_diff(f(torch::roll(x, {s}, {d})), torch::roll(y, {s / out_stride}, {d})));
    }
    axes.push_back(d);
    shifts.push_back(d % 2 == 0 ? step : -step);
    out_shifts.push_back(shifts.back() / out_stride);
  }
  return std::max(worst,
                  max_abs_diff(f(torch::roll(x, shifts, axes)), torch::roll(y, out_shifts, axes)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST(NumericsPeriodicConv, CommutesWithEveryShift) {
  torch::manual_seed(101);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 2, 5, 6, 7}, kF64);
  for (const int64_t k : {3, 5}) {
    cn::PeriodicConv3d conv(cn::PeriodicConvOptions(2, 3, k));
    conv->to(torch::kFloat64);
    const auto f = [&](const torch::Tensor& v) { return conv(v); };
    // tol 1e-12: the shifted sums hold the same products (double round-off only).
    expect_below("PeriodicConv3d k=" + std::to_string(k) + ", all shifts",
                 worst_shift_error(f, x, 1, 1), 1e-12);
  }
  cn::PeriodicConv2d conv2(cn::PeriodicConvOptions(3, 2, 3));
  conv2->to(torch::kFloat64);
  const auto f2 = [&](const torch::Tensor& v) { return conv2(v); };
  // tol 1e-12: as above.
  expect_below("PeriodicConv2d k=3, all shifts",
               worst_shift_error(f2, torch::randn({2, 3, 5, 4}, kF64), 1, 1), 1e-12);
}

TEST(NumericsPeriodicConv, StridedCommutesWithEvenShiftsOnly) {
  torch::manual_seed(102);
  torch::NoGradGuard no_grad;
  cn::PeriodicConv3d down(cn::PeriodicConvOptions(2, 3, 3).stride(2));
  down->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({1, 2, 6, 8, 4}, kF64);
  const auto f = [&](const torch::Tensor& v) { return down(v); };
  // tol 1e-12: a shift by 2m cells of the input is a shift by m cells of the output.
  expect_below("PeriodicConv3d stride 2, even shifts", worst_shift_error(f, x, 2, 2), 1e-12);
  // Control: an odd shift moves the sampling grid, so the output is not a rolled copy.
  const torch::Tensor y = down(x);
  double best_odd = 1e300;
  for (int64_t d = 2; d < 5; ++d) {
    for (const int64_t m : {0, 1}) {
      best_odd = std::min(best_odd,
                          max_abs_diff(down(torch::roll(x, {1}, {d})), torch::roll(y, {m}, {d})));
    }
  }
  expect_above("PeriodicConv3d stride 2, one-cell shift (any output roll)", best_odd, 1e-2);
}

TEST(NumericsPeriodicConv, ZeroPaddedConvBreaksTheSameCheck) {
  // Negative control of the equivariance check: the same weights with zero padding.
  torch::manual_seed(103);
  torch::NoGradGuard no_grad;
  cn::PeriodicConv3d periodic(cn::PeriodicConvOptions(2, 3, 3));
  periodic->to(torch::kFloat64);
  torch::nn::Conv3d zero_padded(torch::nn::Conv3dOptions(2, 3, 3).padding(1));
  zero_padded->to(torch::kFloat64);
  zero_padded->weight.copy_(periodic->conv->weight);
  zero_padded->bias.copy_(periodic->conv->bias);
  const torch::Tensor x = torch::randn({1, 2, 6, 6, 6}, kF64);
  // The interior agrees (tol 1e-12), so the two differ only by the boundary condition.
  using torch::indexing::Slice;
  const auto interior = [](const torch::Tensor& t) {
    return t.index({Slice(), Slice(), Slice(1, -1), Slice(1, -1), Slice(1, -1)});
  };
  expect_below("zero-padded vs periodic conv, interior cells",
               max_abs_diff(interior(zero_padded(x)), interior(periodic(x))), 1e-12);
  const auto f = [&](const torch::Tensor& v) { return zero_padded(v); };
  expect_above("zero-padded Conv3d, all shifts", worst_shift_error(f, x, 1, 1), 1e-2);
}

// ---------------------------------------------------------------------------------------------
namespace {

// Equivariance of a U-Net in eval mode and double precision under shifts by multiples of
// f = 2^depth; control: shifts by f / 2 (and by one cell) break it.
void check_unet(const cn::UNet3dOptions& o, const std::string& name) {
  cn::UNet3d net(o);
  net->to(torch::kFloat64);
  net->eval();
  torch::NoGradGuard no_grad;
  const int64_t f = int64_t{1} << o.depth();
  const torch::Tensor x = torch::randn({2, o.in_channels(), 2 * f, 2 * f, 3 * f}, kF64);
  torch::Tensor style;
  if (o.style_size() > 0) style = torch::randn({2, o.style_size()}, kF64);
  const auto net_fn = [&](const torch::Tensor& v) { return net(v, style); };
  const torch::Tensor y = net_fn(x);
  // tol 1e-10 relative to max |y|: exact symmetry, double round-off only.
  expect_below(name + ", shifts by multiples of 2^depth (relative)",
               worst_shift_error(net_fn, x, f, 1) / y.abs().max().item<double>(), 1e-10);
  double half = 1e300;
  double one = 1e300;
  for (int64_t d = 2; d < 5; ++d) {
    half = std::min(
        half, max_abs_diff(net_fn(torch::roll(x, {f / 2}, {d})), torch::roll(y, {f / 2}, {d})));
    one = std::min(one, max_abs_diff(net_fn(torch::roll(x, {1}, {d})), torch::roll(y, {1}, {d})));
  }
  const double scale = y.abs().max().item<double>();
  // A shift by 2^depth / 2 is a symmetry of every level but the coarsest, whose contribution to a
  // freshly initialised network's output is small (1e-5 to 1e-4 relative), hence the lower floor:
  // still 100 times the tolerance above. A one-cell shift breaks the finest level.
  expect_above(name + ", shift by 2^depth / 2 (relative)", half / scale, 1e-8);
  expect_above(name + ", shift by one cell (relative)", one / scale, 1e-4);
}

}  // namespace

TEST(NumericsUNet3d, EquivariantStridedDepth2) {
  torch::manual_seed(111);
  check_unet(cn::UNet3dOptions().in_channels(2).out_channels(3).depth(2).base_channels(4),
             "UNet3d strided depth 2");
}

TEST(NumericsUNet3d, EquivariantStridedDepth3WithStyle) {
  torch::manual_seed(112);
  check_unet(cn::UNet3dOptions().depth(3).base_channels(2).style_size(3),
             "UNet3d strided depth 3 + style");
}

TEST(NumericsUNet3d, EquivariantAvgPoolDepth2Kernel5) {
  torch::manual_seed(113);
  check_unet(cn::UNet3dOptions()
                 .depth(2)
                 .base_channels(3)
                 .kernel_size(5)
                 .downsample(cn::UNetDownsample::avg_pool)
                 .style_size(2),
             "UNet3d avg-pool depth 2 k=5 + style");
}

TEST(NumericsUNet3d, UniformInputGivesUniformOutput) {
  // Every layer is periodic, so a spatially constant field stays constant (per channel), down to
  // a coarsest grid of one cell; a zero-padded layer would change the cells near the faces.
  torch::manual_seed(114);
  torch::NoGradGuard no_grad;
  for (const auto mode : {cn::UNetDownsample::strided_conv, cn::UNetDownsample::avg_pool}) {
    cn::UNet3d net(cn::UNet3dOptions()
                       .in_channels(2)
                       .out_channels(2)
                       .depth(2)
                       .base_channels(3)
                       .downsample(mode)
                       .style_size(2));
    net->to(torch::kFloat64);
    net->eval();
    const torch::Tensor level = torch::randn({1, 2, 1, 1, 1}, kF64);
    for (const int64_t n : {4, 8}) {
      const torch::Tensor y =
          net(level.expand({1, 2, n, n, n}).contiguous(), torch::randn({1, 2}, kF64));
      const torch::Tensor spread = y - y.mean({2, 3, 4}, /*keepdim=*/true);
      // tol 1e-12: exact property, round-off only.
      expect_below(std::string(mode == cn::UNetDownsample::avg_pool ? "avg-pool" : "strided") +
                       " UNet3d, uniform input on " + std::to_string(n) + "^3",
                   spread.abs().max().item<double>(), 1e-12);
    }
  }
}

TEST(NumericsUNet3d, GradientsAreEquivariantAndMatchFiniteDifferences) {
  torch::manual_seed(115);
  cn::UNet3d net(cn::UNet3dOptions().in_channels(2).depth(2).base_channels(3).style_size(2));
  net->to(torch::kFloat64);
  net->eval();
  const torch::Tensor x0 = torch::randn({1, 2, 8, 4, 8}, kF64);
  const torch::Tensor s0 = torch::randn({1, 2}, kF64);
  // A shift-invariant loss, so its input gradient must be shift-equivariant.
  const auto loss = [&](const torch::Tensor& x, const torch::Tensor& s) {
    return net(x, s).pow(2).sum();
  };
  const auto grads = [&](const torch::Tensor& x) {
    const torch::Tensor xg = x.clone().requires_grad_(true);
    const torch::Tensor sg = s0.clone().requires_grad_(true);
    const auto g = torch::autograd::grad({loss(xg, sg)}, {xg, sg});
    return std::vector<torch::Tensor>{g[0], g[1]};
  };
  const auto g = grads(x0);
  const auto g_shifted = grads(torch::roll(x0, {4, -4}, {2, 4}));
  // tol 1e-10 relative: exact symmetry of the backward pass (periodic padding's adjoint wraps).
  expect_below("UNet3d input gradient, shift by 4 cells (relative)",
               max_abs_diff(g_shifted[0], torch::roll(g[0], {4, -4}, {2, 4})) /
                   g[0].abs().max().item<double>(),
               1e-10);
  // Directional derivative along (v, w) in (input, style) by central differences.
  const torch::Tensor v = torch::randn_like(x0), w = torch::randn_like(s0);
  const double eps = 1e-5;
  torch::NoGradGuard no_grad;
  const double fd =
      (loss(x0 + eps * v, s0 + eps * w) - loss(x0 - eps * v, s0 - eps * w)).item<double>() /
      (2 * eps);
  const double ad = ((g[0] * v).sum() + (g[1] * w).sum()).item<double>();
  // tol 1e-6 relative: central differences, O(eps^2) truncation and leaky-ReLU kinks.
  expect_below("UNet3d gradient vs central differences (relative)",
               std::abs(fd - ad) / std::abs(ad), 1e-6);
}

// ---------------------------------------------------------------------------------------------
TEST(NumericsStyleConv, MatchesModulationEquationsPerSample) {
  torch::manual_seed(121);
  const int64_t ci = 3, co = 4, ns = 5, n = 3;
  cn::StyleConv3d sc(cn::StyleConv3dOptions(ci, co, ns));
  sc->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  sc->bias.uniform_(-1.0, 1.0);
  const torch::Tensor style = torch::randn({n, ns}, kF64);
  // Karras et al. 2020, eqs. 1-3: s = A style + b, w' = w s_i, w'' = w' / sqrt(sum w'^2 + eps).
  const torch::Tensor s = style.matmul(sc->affine->weight.t()) + sc->affine->bias;
  const torch::Tensor w1 = sc->weight.unsqueeze(0) * s.view({n, 1, ci, 1, 1, 1});
  const torch::Tensor w2 = w1 / torch::sqrt(w1.pow(2).sum({2, 3, 4, 5}, true) + 1e-8);
  // tol 1e-14: same formula, round-off only.
  expect_below("StyleConv3d modulated_weight vs eqs. 1-3",
               max_abs_diff(sc->modulated_weight(style), w2), 1e-14);
  const torch::Tensor x = torch::randn({n, ci, 4, 5, 6}, kF64);
  std::vector<torch::Tensor> ref;
  for (int64_t i = 0; i < n; ++i) {
    ref.push_back(periodic_conv3d_reference(x.narrow(0, i, 1), w2[i], sc->bias));
  }
  // tol 1e-12: grouped per-sample convolution vs one plain conv per sample.
  expect_below("StyleConv3d forward vs per-sample periodic conv",
               max_abs_diff(sc(x, style), torch::cat(ref, 0)), 1e-12);
}

TEST(NumericsStyleConv, UnitModulationWithoutDemodulationIsPlainConv) {
  torch::manual_seed(122);
  torch::NoGradGuard no_grad;
  const auto base = cn::StyleConv3dOptions(2, 3, 4);
  cn::StyleConv3d plain_style(cn::StyleConv3dOptions(base).demodulate(false));
  cn::StyleConv3d demod_style(base);
  cn::PeriodicConv3d plain(cn::PeriodicConvOptions(2, 3, 3));
  for (auto* m :
       std::vector<torch::nn::Module*>{plain_style.get(), demod_style.get(), plain.get()}) {
    m->to(torch::kFloat64);
  }
  plain_style->bias.uniform_(-1.0, 1.0);
  demod_style->weight.copy_(plain_style->weight);
  demod_style->bias.copy_(plain_style->bias);
  plain->conv->weight.copy_(plain_style->weight);
  plain->conv->bias.copy_(plain_style->bias);
  const torch::Tensor x = torch::randn({2, 2, 4, 6, 5}, kF64);
  const torch::Tensor zero_style = torch::zeros({2, 4}, kF64);  // s = affine bias = 1
  // tol 1e-12: identical convolutions up to summation order.
  expect_below("StyleConv3d(no demod, zero style) vs PeriodicConv3d",
               max_abs_diff(plain_style(x, zero_style), plain(x)), 1e-12);
  expect_above("StyleConv3d(demod, zero style) vs PeriodicConv3d",
               max_abs_diff(demod_style(x, zero_style), plain(x)), 1e-3);
}

TEST(NumericsStyleConv, DemodulationRemovesTheStyleScale) {
  torch::manual_seed(123);
  torch::NoGradGuard no_grad;
  for (const bool demod : {true, false}) {
    cn::StyleConv3d sc(cn::StyleConv3dOptions(3, 2, 2).demodulate(demod));
    sc->to(torch::kFloat64);
    sc->bias.uniform_(-1.0, 1.0);
    const torch::Tensor x = torch::randn({2, 3, 4, 4, 4}, kF64);
    const torch::Tensor style = torch::randn({2, 2}, kF64);
    const torch::Tensor y = sc(x, style) - sc->bias.view({1, -1, 1, 1, 1});
    sc->affine->weight.mul_(3.0);  // s -> 3 s
    sc->affine->bias.mul_(3.0);
    const torch::Tensor y3 = sc(x, style) - sc->bias.view({1, -1, 1, 1, 1});
    if (demod) {
      // tol 1e-6 relative: invariant up to the eps = 1e-8 in the norm.
      expect_below("StyleConv3d demodulated, s -> 3 s (relative change)",
                   max_abs_diff(y3, y) / y.abs().max().item<double>(), 1e-6);
    } else {
      // tol 1e-12 relative: linear in s without demodulation.
      expect_below("StyleConv3d not demodulated, s -> 3 s gives 3 y (relative)",
                   max_abs_diff(y3, 3.0 * y) / y.abs().max().item<double>(), 1e-12);
    }
  }
}

TEST(NumericsStyleConv, CommutesWithEveryShift) {
  torch::manual_seed(124);
  torch::NoGradGuard no_grad;
  cn::StyleConv3d sc(cn::StyleConv3dOptions(2, 2, 3));
  sc->to(torch::kFloat64);
  const torch::Tensor style = torch::randn({2, 3}, kF64);
  const auto f = [&](const torch::Tensor& v) { return sc(v, style); };
  // tol 1e-12: round-off only.
  expect_below("StyleConv3d, all shifts",
               worst_shift_error(f, torch::randn({2, 2, 4, 5, 3}, kF64), 1, 1), 1e-12);
}

// ---------------------------------------------------------------------------------------------
namespace {

// One ConvGRU step written out (Ballas et al. 2016 with the module's documented convention):
// r, z = sigmoid(W_g * [x, h]) split in this order, n = tanh(W_n * [x, r h]),
// h' = (1 - z) n + z h. With swap_rz the roles of the two gate halves are exchanged.
struct GruReference {
  torch::Tensor wg, bg, wn, bn;
  bool swap_rz = false;
  std::vector<torch::Tensor> step(const torch::Tensor& x, const torch::Tensor& h) const {
    const int64_t c = h.size(1);
    const torch::Tensor g =
        torch::sigmoid(periodic_conv3d_reference(torch::cat({x, h}, 1), wg, bg));
    const torch::Tensor r = g.narrow(1, swap_rz ? c : 0, c);
    const torch::Tensor z = g.narrow(1, swap_rz ? 0 : c, c);
    const torch::Tensor n =
        torch::tanh(periodic_conv3d_reference(torch::cat({x, r * h}, 1), wn, bn));
    return {(1 - z) * n + z * h, r, z};
  }
};

// One ConvLSTM step written out (Shi et al. 2015, eq. 3 without peepholes): i, f, o, g are the
// four channel blocks of W * [x, h] in this order; c' = f c + i tanh(g), h' = o tanh(c').
// With swap_if the input and forget blocks are exchanged.
std::vector<torch::Tensor> lstm_reference_step(const torch::Tensor& w, const torch::Tensor& b,
                                               const torch::Tensor& x, const torch::Tensor& h,
                                               const torch::Tensor& c, bool swap_if = false) {
  const int64_t ch = h.size(1);
  const torch::Tensor a = periodic_conv3d_reference(torch::cat({x, h}, 1), w, b);
  const torch::Tensor i = torch::sigmoid(a.narrow(1, swap_if ? ch : 0, ch));
  const torch::Tensor f = torch::sigmoid(a.narrow(1, swap_if ? 0 : ch, ch));
  const torch::Tensor o = torch::sigmoid(a.narrow(1, 2 * ch, ch));
  const torch::Tensor g = torch::tanh(a.narrow(1, 3 * ch, ch));
  const torch::Tensor c_next = f * c + i * g;
  return {o * torch::tanh(c_next), c_next};
}

}  // namespace

TEST(NumericsConvGRU3d, MatchesHandUnrolledSteps) {
  torch::manual_seed(131);
  torch::NoGradGuard no_grad;
  cn::ConvGRU3d gru(cn::ConvRecurrentOptions(2, 3));
  gru->to(torch::kFloat64);
  auto params = gru->named_parameters();
  GruReference ref{params["gates.conv.weight"], params["gates.conv.bias"],
                   params["candidate.conv.weight"], params["candidate.conv.bias"]};
  torch::Tensor h_mod = 0.8 * torch::randn({2, 3, 4, 5, 6}, kF64);
  torch::Tensor h_ref = h_mod.clone();
  double err_h = 0.0, err_gates = 0.0;
  for (int step = 0; step < 3; ++step) {
    const torch::Tensor x = 2.0 * torch::randn({2, 2, 4, 5, 6}, kF64);
    const auto [h_next, r, z] = gru->forward_with_gates(x, h_mod);
    const auto expected = ref.step(x, h_ref);
    err_h = std::max(err_h, max_abs_diff(h_next, expected[0]));
    err_gates = std::max({err_gates, max_abs_diff(r, expected[1]), max_abs_diff(z, expected[2])});
    if (step == 0) {
      // Control: the reference with the gate halves swapped disagrees.
      GruReference swapped = ref;
      swapped.swap_rz = true;
      expect_above("ConvGRU3d vs reference with r, z swapped",
                   max_abs_diff(h_next, swapped.step(x, h_ref)[0]), 1e-3);
    }
    h_mod = h_next;
    h_ref = expected[0];
  }
  // tol 1e-10: same operations in double, 3 chained steps.
  expect_below("ConvGRU3d h after 1..3 steps vs hand-unrolled", err_h, 1e-10);
  expect_below("ConvGRU3d gates r, z vs hand-unrolled", err_gates, 1e-10);
  const torch::Tensor x = torch::randn({2, 2, 4, 5, 6}, kF64);
  // tol 1e-10: the undefined state means zeros.
  expect_below("ConvGRU3d from the zero state",
               max_abs_diff(gru(x), ref.step(x, torch::zeros({2, 3, 4, 5, 6}, kF64))[0]), 1e-10);
}

TEST(NumericsConvLSTM3d, MatchesHandUnrolledSteps) {
  torch::manual_seed(132);
  torch::NoGradGuard no_grad;
  const int64_t ch = 2;
  cn::ConvLSTM3d lstm(cn::ConvRecurrentOptions(3, ch).kernel_size(5));
  auto params = lstm->named_parameters();
  // Forget-gate bias (second block) starts at one; tol 0: it is set exactly.
  expect_below("ConvLSTM3d forget-gate bias at init, |b - 1|",
               max_abs_diff(params["gates.conv.bias"].narrow(0, ch, ch), torch::ones({ch})),
               1e-300);
  lstm->to(torch::kFloat64);
  params = lstm->named_parameters();
  const torch::Tensor w = params["gates.conv.weight"], b = params["gates.conv.bias"];
  torch::Tensor h = 0.8 * torch::randn({1, ch, 6, 5, 4}, kF64), c = torch::randn_like(h);
  std::tuple<torch::Tensor, torch::Tensor> state{h.clone(), c.clone()};
  double err = 0.0;
  for (int step = 0; step < 3; ++step) {
    const torch::Tensor x = 2.0 * torch::randn({1, 3, 6, 5, 4}, kF64);
    if (step == 1) {
      // Control: the reference with the input and forget gates swapped disagrees (c != 0 now).
      expect_above("ConvLSTM3d vs reference with i, f swapped",
                   max_abs_diff(std::get<1>(lstm->forward(x, state)),
                                lstm_reference_step(w, b, x, h, c, /*swap_if=*/true)[1]),
                   1e-3);
    }
    state = lstm->forward(x, state);
    const auto expected = lstm_reference_step(w, b, x, h, c);
    h = expected[0];
    c = expected[1];
    err = std::max({err, max_abs_diff(std::get<0>(state), h), max_abs_diff(std::get<1>(state), c)});
  }
  // tol 1e-10: same operations in double, 3 chained steps.
  expect_below("ConvLSTM3d (h, c) after 1..3 steps vs hand-unrolled", err, 1e-10);
}

// ---------------------------------------------------------------------------------------------
TEST(NumericsResNet2d, EvalOutputOfASampleIgnoresTheRestOfTheBatch) {
  torch::manual_seed(141);
  cn::ResNet2d net(
      cn::ResNet2dOptions().in_channels(2).out_features(3).stage_channels({4, 8}).blocks_per_stage(
          1));
  net->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({4, 2, 12, 8}, kF64);
  torch::NoGradGuard no_grad;
  net->eval();
  const torch::Tensor y = net(x);
  double err = 0.0;
  for (int64_t i = 0; i < 4; ++i)
    err = std::max(err, max_abs_diff(net(x.narrow(0, i, 1)), y.narrow(0, i, 1)));
  // tol 1e-12: eval-mode batch norm uses running statistics only.
  expect_below("ResNet2d eval, sample alone vs in a batch of 4", err, 1e-12);
  net->train();
  // Control: training-mode batch norm mixes the samples of a batch.
  expect_above("ResNet2d train, sample alone vs in a batch of 4",
               max_abs_diff(net(x).narrow(0, 0, 2), net(x.narrow(0, 0, 2))), 1e-6);
}

// ---------------------------------------------------------------------------------------------
// Known bugs (disabled until fixed; run with --gtest_also_run_disabled_tests).

// StyleConv3dImpl::reset_parameters() calls register_parameter("weight") again, which LibTorch
// rejects ("Parameter 'weight' already defined"), so the documented re-initialisation throws
// whenever it is called after construction.
TEST(NumericsStyleConv, DISABLED_ResetParametersCanBeCalledAgain) {
  torch::manual_seed(151);
  cn::StyleConv3d sc(cn::StyleConv3dOptions(2, 3, 2));
  sc->to(torch::kFloat64);
  const torch::Tensor old_weight = sc->weight.detach().clone();
  ASSERT_NO_THROW(sc->reset_parameters());
  EXPECT_EQ(sc->weight.scalar_type(), torch::kFloat64);
  EXPECT_GT(max_abs_diff(sc->weight, old_weight), 0.0);
  EXPECT_EQ(max_abs_diff(sc->affine->bias, torch::ones({2}, kF64)), 0.0);
  EXPECT_NO_THROW(sc(torch::randn({1, 2, 4, 4, 4}, kF64), torch::randn({1, 2}, kF64)));
}

// PeriodicConv3dImpl::reset_parameters() (and PeriodicConv2dImpl's) replaces the inner conv by a
// new float32 CPU module instead of re-initialising the parameters in place as LibTorch's own
// reset_parameters() does: after module->to(kFloat64) the parameters come back float32, the
// next double forward throws, and an optimizer holding the old parameter tensors silently stops
// updating the module.
TEST(NumericsPeriodicConv, DISABLED_ResetParametersKeepsDtypeAndParameters) {
  torch::manual_seed(152);
  cn::PeriodicConv3d conv(cn::PeriodicConvOptions(2, 2, 3));
  conv->to(torch::kFloat64);
  const torch::Tensor weight = conv->conv->weight;
  conv->reset_parameters();
  EXPECT_EQ(conv->conv->weight.scalar_type(), torch::kFloat64);
  EXPECT_TRUE(conv->conv->weight.is_same(weight)) << "parameter tensor replaced";
  EXPECT_NO_THROW(conv(torch::randn({1, 2, 4, 4, 4}, kF64)));
}
