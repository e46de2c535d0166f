// Numerical checks of the dense modules of nn/modules, each with a stated tolerance: the
// activations against closed forms, the MLP against a hand-written forward pass, the sinusoidal
// time encoding against its formula, and the sequence Transformer's invariance under a joint
// permutation of (step, time) pairs, with a negative control.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "nn/modules/mlp.hpp"
#include "nn/modules/transformer.hpp"
#include "tests/nn/numerics_check.hpp"

namespace cn = cosmograd::nn;
using cosmograd::nn::numerics_test::expect_above;
using cosmograd::nn::numerics_test::expect_below;
using cosmograd::nn::numerics_test::kF64;
using cosmograd::nn::numerics_test::max_abs_diff;

TEST(NumericsMLP, ActivationsMatchClosedForms) {
  const torch::Tensor x = torch::linspace(-6.0, 6.0, 241, kF64);
  const torch::Tensor sig = 1.0 / (1.0 + torch::exp(-x));
  const std::vector<std::pair<std::string, torch::Tensor>> expected = {
      {"identity", x},
      {"relu", torch::where(x > 0, x, torch::zeros_like(x))},
      {"leaky_relu", torch::where(x > 0, x, 0.2 * x)},             // documented slope 0.2
      {"gelu", 0.5 * x * (1.0 + torch::erf(x / std::sqrt(2.0)))},  // exact (erf) GELU
      {"silu", x * sig},
      {"tanh", (torch::exp(x) - torch::exp(-x)) / (torch::exp(x) + torch::exp(-x))},
      {"softplus", torch::log1p(torch::exp(x))}};
  for (const auto& [name, ref] : expected) {
    // tol 1e-14: closed form vs LibTorch kernel, round-off only.
    expect_below("activate(" + name + ") vs closed form",
                 max_abs_diff(cn::activate(x, cn::parse_activation(name)), ref), 1e-14);
  }
}

TEST(NumericsMLP, MatchesHandWrittenForwardPass) {
  torch::manual_seed(301);
  cn::MLP mlp(cn::MLPOptions(4, 3, {5, 6})
                  .activation(cn::Activation::tanh)
                  .output_activation(cn::Activation::softplus));
  mlp->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 7, 4}, kF64);
  torch::Tensor h = x;
  for (size_t i = 0; i < mlp->layers->size(); ++i) {
    const auto& lin = mlp->layers->ptr<torch::nn::LinearImpl>(i);
    h = h.matmul(lin->weight.t()) + lin->bias;
    h = i + 1 < mlp->layers->size() ? torch::tanh(h) : torch::log1p(torch::exp(h));
  }
  // tol 1e-14: x W^T + b with the documented activations, round-off only.
  expect_below("MLP [4 -> 5 -> 6 -> 3] vs hand forward", max_abs_diff(mlp(x), h), 1e-14);
}

// ---------------------------------------------------------------------------------------------
TEST(NumericsTransformer, TimeEncodingMatchesFormula) {
  torch::manual_seed(311);
  const int64_t d = 7;  // odd: the last channel is zero padding
  const double period = 500.0;
  const torch::Tensor t = 100.0 * torch::rand({2, 5}, kF64);
  const torch::Tensor enc = cn::time_encoding(t, d, period);
  ASSERT_EQ(enc.sizes(), (std::vector<int64_t>{2, 5, d}));
  double err = 0.0;
  for (int64_t i = 0; i < d / 2; ++i) {
    const torch::Tensor arg = t / std::pow(period, 2.0 * static_cast<double>(i) / d);
    err = std::max({err, max_abs_diff(enc.select(2, i), torch::sin(arg)),
                    max_abs_diff(enc.select(2, d / 2 + i), torch::cos(arg))});
  }
  err = std::max(err, enc.select(2, d - 1).abs().max().item<double>());
  // tol 1e-12: sin, cos of t / P^(2i/d) with t <= 100 (round-off of the frequencies).
  expect_below("time_encoding d=7 vs sin/cos(t / P^(2i/d))", err, 1e-12);
}

TEST(NumericsTransformer, PooledOutputInvariantUnderJointPermutation) {
  // Attention has no notion of order besides the time encoding, so permuting the (x, t, padding)
  // steps together permutes encode() and leaves forward() unchanged.
  torch::manual_seed(312);
  cn::SequenceTransformer net(cn::SequenceTransformerOptions(3, 2).d_model(8).heads(2).layers(2));
  net->to(torch::kFloat64);
  net->eval();
  torch::NoGradGuard no_grad;
  const int64_t steps = 9;
  const torch::Tensor x = torch::randn({2, steps, 3}, kF64);
  const torch::Tensor t = 50.0 * torch::rand({2, steps}, kF64);
  torch::Tensor pad = torch::zeros({2, steps}, torch::kBool);
  pad.index_put_({1, torch::indexing::Slice(6, steps)}, true);  // row 1 has 6 valid steps
  const torch::Tensor perm = torch::randperm(steps, torch::kLong);
  const torch::Tensor xp = x.index_select(1, perm), tp = t.index_select(1, perm);
  const torch::Tensor padp = pad.index_select(1, perm);
  const torch::Tensor y = net(x, t, pad);
  // tol 1e-12: the same sums in another order.
  expect_below("SequenceTransformer forward, joint permutation of steps",
               max_abs_diff(net(xp, tp, padp), y), 1e-12);
  const torch::Tensor valid = (~pad).unsqueeze(-1).to(torch::kFloat64);
  expect_below("SequenceTransformer encode, joint permutation (valid steps)",
               max_abs_diff(net->encode(xp, tp, padp) * valid.index_select(1, perm),
                            (net->encode(x, t, pad) * valid).index_select(1, perm)),
               1e-12);
  // Control: permuting the observations but not their times changes the prediction.
  expect_above("SequenceTransformer forward, x permuted but not t",
               max_abs_diff(net(xp, t), net(x, t)), 1e-6);
}

// Known bug (disabled until fixed; run with --gtest_also_run_disabled_tests): a batch row whose
// steps are all padded makes the encoder's attention softmax 0/0, so forward() returns NaN for
// that row although the pooling divides by max(count, 1) to handle it; in training one such row
// turns the whole batch's loss and gradients into NaN.
TEST(NumericsTransformer, DISABLED_FullyPaddedRowGivesFiniteOutput) {
  torch::manual_seed(321);
  cn::SequenceTransformer net(cn::SequenceTransformerOptions(2, 1).d_model(8).heads(2));
  net->to(torch::kFloat64);
  net->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 4, 2}, kF64);
  torch::Tensor pad = torch::zeros({2, 4}, torch::kBool);
  pad[1].fill_(true);
  const torch::Tensor y = net(x, torch::Tensor(), pad);
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << y;
  // The valid row does not depend on the other row (tol 1e-12).
  expect_below("SequenceTransformer valid row beside a fully padded one",
               max_abs_diff(y[0], net(x.narrow(0, 0, 1), torch::Tensor(), pad.narrow(0, 0, 1))[0]),
               1e-12);
}
