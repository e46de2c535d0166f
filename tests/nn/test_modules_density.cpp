// Density estimators: the MDN head against a hand-written mixture formula; MAF and the
// rational-quadratic spline flows for invertibility, log-determinants against finite-difference
// Jacobians, normalisation on a grid, sampling and conditioning.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <tuple>

#include "nn/modules/flows.hpp"
#include "nn/modules/mdn.hpp"

namespace nn = cosmograd::nn;

namespace {

const auto kF64 = torch::TensorOptions().dtype(torch::kFloat64);

using Map = std::function<std::tuple<torch::Tensor, torch::Tensor>(const torch::Tensor&)>;

// log|det J| of `f` at x (1, D) by central differences, J_ij = d f_i / d x_j.
double numerical_log_det(const Map& f, const torch::Tensor& x, double h = 1e-5) {
  const int64_t d = x.size(1);
  torch::Tensor jac = torch::zeros({d, d}, kF64);
  for (int64_t j = 0; j < d; ++j) {
    torch::Tensor xp = x.clone(), xm = x.clone();
    xp[0][j] += h;
    xm[0][j] -= h;
    jac.index_put_({torch::indexing::Slice(), j},
                   (std::get<0>(f(xp)) - std::get<0>(f(xm)))[0] / (2.0 * h));
  }
  return std::log(std::abs(torch::det(jac).item<double>()));
}

// Midpoint-rule integrals over [-half, half]^dim (n cells per axis) of p = exp(log_prob) and of
// |p - N(0, I)| (how far the flow is from its base distribution).
std::tuple<double, double> grid_integral(
    const std::function<torch::Tensor(const torch::Tensor&)>& log_prob, int dim, double half,
    int n) {
  const double h = 2.0 * half / n;
  const torch::Tensor axis = torch::arange(n, kF64) * h - half + 0.5 * h;
  torch::Tensor pts;
  if (dim == 1) {
    pts = axis.unsqueeze(1);
  } else {
    auto g = torch::meshgrid({axis, axis}, "ij");
    pts = torch::stack({g[0].reshape(-1), g[1].reshape(-1)}, 1);
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor p = log_prob(pts).exp();
  const torch::Tensor base = torch::exp(-0.5 * pts.pow(2).sum(1)) / std::pow(2.0 * M_PI, 0.5 * dim);
  const double cell = std::pow(h, dim);
  return {p.sum().item<double>() * cell, (p - base).abs().sum().item<double>() * cell};
}

void expect_normalised(const std::tuple<double, double>& integrals) {
  EXPECT_NEAR(std::get<0>(integrals), 1.0, 1e-3);
  EXPECT_GT(std::get<1>(integrals), 0.05) << "flow too close to its base for a meaningful check";
}

struct FlowMaps {
  Map forward;
  Map inverse;
};

// Forward and inverse maps of a flow at a fixed context.
template <typename Flow>
FlowMaps maps(Flow& flow, const torch::Tensor& c) {
  return {[&flow, c](const torch::Tensor& x) { return flow->forward(x, c); },
          [&flow, c](const torch::Tensor& u) { return flow->inverse(u, c); }};
}

void check_round_trip(const FlowMaps& f, const torch::Tensor& x, double tol) {
  torch::NoGradGuard no_grad;
  torch::Tensor u, ld_f, x2, ld_i;
  std::tie(u, ld_f) = f.forward(x);
  std::tie(x2, ld_i) = f.inverse(u);
  EXPECT_LT((x2 - x).abs().max().item<double>(), tol);
  EXPECT_LT((ld_f + ld_i).abs().max().item<double>(), 100 * tol);
}

void check_log_det(const FlowMaps& f, int64_t d) {
  torch::NoGradGuard no_grad;
  for (int trial = 0; trial < 3; ++trial) {
    const torch::Tensor x = 1.5 * torch::randn({1, d}, kF64);
    torch::Tensor u, ld, x2, ld_inv;
    std::tie(u, ld) = f.forward(x);
    EXPECT_NEAR(ld.item<double>(), numerical_log_det(f.forward, x), 1e-6);
    std::tie(x2, ld_inv) = f.inverse(u);
    EXPECT_NEAR(ld_inv.item<double>(), numerical_log_det(f.inverse, u), 1e-6);
  }
}

}  // namespace

// ----------------------------------------------------------------------------------------------
class MdnHand : public ::testing::TestWithParam<bool> {};

TEST_P(MdnHand, LogProbEqualsMixtureFormula) {
  torch::manual_seed(1);
  const bool full = GetParam();
  const int64_t b = 5, f = 4, d = 3, k = 4;
  nn::MixtureDensityHead head(nn::MixtureDensityHeadOptions(f, d, k).full_covariance(full));
  head->to(torch::kFloat64);
  const torch::Tensor feat = torch::randn({b, f}, kF64);
  const torch::Tensor y = torch::randn({b, d}, kF64);
  const torch::Tensor lp = head->log_prob(feat, y);
  const nn::MixtureParams p = head->forward(feat);
  ASSERT_EQ(lp.sizes(), (std::vector<int64_t>{b}));
  for (int64_t i = 0; i < b; ++i) {
    // Raw (unnormalised) weights from the logits, direct sum of Gaussian densities.
    double wsum = 0.0, dens = 0.0;
    for (int64_t c = 0; c < k; ++c) wsum += std::exp(p.log_weights[i][c].item<double>());
    EXPECT_NEAR(wsum, 1.0, 1e-14);
    for (int64_t c = 0; c < k; ++c) {
      // Covariance Sigma = L L^T, Gaussian density with its determinant and inverse.
      const torch::Tensor l = p.scale_tril[i][c];
      if (!full) {
        EXPECT_EQ(torch::count_nonzero(l - torch::diag(torch::diagonal(l))).item<int64_t>(), 0);
      }
      const torch::Tensor sigma = l.matmul(l.t());
      const torch::Tensor r = (y[i] - p.means[i][c]).unsqueeze(1);
      const double maha = r.t().matmul(torch::inverse(sigma)).matmul(r).item<double>();
      const double det = torch::det(sigma).item<double>();
      dens += std::exp(p.log_weights[i][c].item<double>()) * std::exp(-0.5 * maha) /
              std::sqrt(std::pow(2.0 * M_PI, d) * det);
    }
    EXPECT_NEAR(lp[i].item<double>(), std::log(dens), 1e-12);
  }
  const torch::Tensor s = head->sample(feat, 7);
  ASSERT_EQ(s.sizes(), (std::vector<int64_t>{7, b, d}));
  EXPECT_TRUE(torch::isfinite(s).all().item<bool>());
}

INSTANTIATE_TEST_SUITE_P(DiagAndFull, MdnHand, ::testing::Values(false, true));

TEST(Mdn, StableFarFromAllComponentsAndSamplesMatchMoments) {
  torch::manual_seed(2);
  nn::MixtureDensityHead head(nn::MixtureDensityHeadOptions(2, 2, 3));
  head->to(torch::kFloat64);
  const torch::Tensor feat = torch::randn({4, 2}, kF64);
  const torch::Tensor lp = head->log_prob(feat, torch::full({4, 2}, 1e3, kF64));
  EXPECT_TRUE(torch::isfinite(lp).all().item<bool>());
  EXPECT_LT(lp.max().item<double>(), -1e4);
  // Sample mean equals the mixture mean sum_k w_k mu_k (5 sigma of the Monte-Carlo error).
  const nn::MixtureParams p = head->forward(feat);
  const torch::Tensor mean = (p.log_weights.exp().unsqueeze(-1) * p.means).sum(1);
  const torch::Tensor s = head->sample(feat, 200000);
  const torch::Tensor err = (s.mean(0) - mean).abs() / (s.std(0) / std::sqrt(200000.0));
  EXPECT_LT(err.max().item<double>(), 5.0);
}

TEST(Mdn, GradientsFlow) {
  torch::manual_seed(3);
  nn::MixtureDensityHead head(nn::MixtureDensityHeadOptions(3, 2, 2).full_covariance(true));
  const torch::Tensor loss = -head->log_prob(torch::randn({8, 3}), torch::randn({8, 2})).mean();
  loss.backward();
  for (const auto& prm : head->parameters()) {
    EXPECT_TRUE(torch::isfinite(prm.grad()).all().item<bool>());
  }
}

// ----------------------------------------------------------------------------------------------
TEST(Made, IsAutoregressive) {
  torch::manual_seed(4);
  const int64_t d = 4;
  nn::MADE made(nn::MADEOptions(d, 2).hidden({16, 16}).context(2));
  made->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({1, d}, kF64).requires_grad_(true);
  const torch::Tensor c = torch::randn({1, 2}, kF64).requires_grad_(true);
  const torch::Tensor out = made->forward(x, c);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{1, d, 2}));
  for (int64_t i = 0; i < d; ++i) {
    auto g = torch::autograd::grad({out[0][i].sum()}, {x, c}, {}, true, false, true);
    for (int64_t j = i; j < d; ++j) EXPECT_EQ(g[0][0][j].item<double>(), 0.0) << i << "," << j;
    if (i > 0) {
      EXPECT_NE(g[0][0][i - 1].item<double>(), 0.0);
    }
    EXPECT_GT(g[1].abs().sum().item<double>(), 0.0);
  }
}

TEST(RqSpline, MonotoneInvertibleAndIdentityTails) {
  torch::manual_seed(5);
  const int64_t n = 2001, k = 6;
  const torch::Tensor x = torch::linspace(-5.0, 5.0, n, kF64);
  const torch::Tensor w = torch::randn({k}, kF64).expand({n, k});
  const torch::Tensor h = torch::randn({k}, kF64).expand({n, k});
  const torch::Tensor dr = torch::randn({k - 1}, kF64).expand({n, k - 1});
  auto [y, lad] = nn::rational_quadratic_spline(x, w, h, dr, 3.0, false);
  EXPECT_GT((y.slice(0, 1) - y.slice(0, 0, n - 1)).min().item<double>(), 0.0);
  const torch::Tensor outside = x.abs() > 3.0;
  EXPECT_EQ((y - x).masked_select(outside).abs().max().item<double>(), 0.0);
  EXPECT_EQ(lad.masked_select(outside).abs().max().item<double>(), 0.0);
  auto [x2, lad_inv] = nn::rational_quadratic_spline(y, w, h, dr, 3.0, true);
  EXPECT_LT((x2 - x).abs().max().item<double>(), 1e-12);
  EXPECT_LT((lad + lad_inv).abs().max().item<double>(), 1e-10);
  // Derivative continuous at the edges +-B (boundary derivative 1).
  auto [ye, lade] =
      nn::rational_quadratic_spline(torch::tensor({-3.0, 3.0}, kF64), w.slice(0, 0, 2),
                                    h.slice(0, 0, 2), dr.slice(0, 0, 2), 3.0, false);
  EXPECT_LT(lade.abs().max().item<double>(), 1e-12);
  EXPECT_LT((ye - torch::tensor({-3.0, 3.0}, kF64)).abs().max().item<double>(), 1e-12);
}

// ----------------------------------------------------------------------------------------------
TEST(Maf, RoundTripDoubleAndFloat) {
  torch::manual_seed(6);
  nn::MAF flow(nn::MAFOptions(3).layers(3).hidden({16, 16}).context(2));
  const torch::Tensor xf = torch::randn({64, 3});
  const torch::Tensor cf = torch::randn({64, 2});
  check_round_trip(maps(flow, cf), xf, 1e-5);
  flow->to(torch::kFloat64);
  check_round_trip(maps(flow, cf.to(torch::kFloat64)), xf.to(torch::kFloat64), 1e-10);
}

TEST(Maf, LogDetMatchesNumericalJacobian) {
  torch::manual_seed(7);
  nn::MAF flow(nn::MAFOptions(3).layers(3).hidden({16, 16}).context(1));
  flow->to(torch::kFloat64);
  check_log_det(maps(flow, torch::randn({1, 1}, kF64)), 3);
  nn::MAF flow2(nn::MAFOptions(2).layers(2).hidden({8}));
  flow2->to(torch::kFloat64);
  check_log_det(maps(flow2, {}), 2);
}

TEST(Maf, NormalisedOnGridIn1DAnd2D) {
  torch::manual_seed(8);
  nn::MAF flow1(nn::MAFOptions(1).layers(2).hidden({8}).context(1));
  flow1->to(torch::kFloat64);
  const torch::Tensor c = torch::randn({1, 1}, kF64);
  expect_normalised(
      grid_integral([&](const torch::Tensor& x) { return flow1->log_prob(x, c); }, 1, 30.0, 20000));
  nn::MAF flow2(nn::MAFOptions(2).layers(3).hidden({16, 16}));
  flow2->to(torch::kFloat64);
  expect_normalised(
      grid_integral([&](const torch::Tensor& x) { return flow2->log_prob(x); }, 2, 15.0, 600));
}

TEST(Maf, SamplesFiniteAndConditioningMatters) {
  torch::manual_seed(9);
  nn::MAF flow(nn::MAFOptions(2).layers(2).hidden({16}).context(3));
  flow->to(torch::kFloat64);
  const torch::Tensor c1 = torch::randn({1, 3}, kF64), c2 = torch::randn({1, 3}, kF64);
  const torch::Tensor s = flow->sample(500, c1);
  ASSERT_EQ(s.sizes(), (std::vector<int64_t>{500, 2}));
  EXPECT_TRUE(torch::isfinite(flow->log_prob(s, c1)).all().item<bool>());
  const torch::Tensor diff = flow->log_prob(s, c1) - flow->log_prob(s, c2);
  EXPECT_GT(diff.abs().max().item<double>(), 1e-3);
  // Gradients of the training loss reach every conditioner parameter and are finite.
  (-flow->log_prob(s, c1).mean()).backward();
  for (const auto& prm : flow->parameters()) {
    EXPECT_TRUE(torch::isfinite(prm.grad()).all().item<bool>());
  }
  EXPECT_THROW(flow->log_prob(s), std::invalid_argument);
}

// ----------------------------------------------------------------------------------------------
class Spline : public ::testing::TestWithParam<bool> {};

TEST_P(Spline, RoundTripDoubleAndFloat) {
  torch::manual_seed(10);
  nn::SplineFlow flow(
      nn::SplineFlowOptions(3).layers(3).hidden({16, 16}).context(2).bins(6).coupling(GetParam()));
  const torch::Tensor xf = 2.0 * torch::randn({64, 3});  // some points in the linear tails
  const torch::Tensor cf = torch::randn({64, 2});
  check_round_trip(maps(flow, cf), xf, 1e-5);
  flow->to(torch::kFloat64);
  check_round_trip(maps(flow, cf.to(torch::kFloat64)), xf.to(torch::kFloat64), 1e-10);
}

TEST_P(Spline, LogDetMatchesNumericalJacobian) {
  torch::manual_seed(11);
  nn::SplineFlow flow(
      nn::SplineFlowOptions(3).layers(2).hidden({16}).context(1).bins(5).coupling(GetParam()));
  flow->to(torch::kFloat64);
  check_log_det(maps(flow, torch::randn({1, 1}, kF64)), 3);
  nn::SplineFlow flow2(nn::SplineFlowOptions(2).layers(3).hidden({8}).coupling(GetParam()));
  flow2->to(torch::kFloat64);
  check_log_det(maps(flow2, {}), 2);
}

TEST_P(Spline, NormalisedOnGridIn1DAnd2D) {
  torch::manual_seed(12);
  nn::SplineFlow flow1(nn::SplineFlowOptions(1).layers(2).hidden({8}).bins(8).coupling(GetParam()));
  flow1->to(torch::kFloat64);
  expect_normalised(
      grid_integral([&](const torch::Tensor& x) { return flow1->log_prob(x); }, 1, 10.0, 20000));
  nn::SplineFlow flow2(
      nn::SplineFlowOptions(2).layers(3).hidden({16}).bins(8).context(1).coupling(GetParam()));
  flow2->to(torch::kFloat64);
  const torch::Tensor c = torch::randn({1, 1}, kF64);
  expect_normalised(
      grid_integral([&](const torch::Tensor& x) { return flow2->log_prob(x, c); }, 2, 9.0, 600));
}

TEST_P(Spline, SamplesFiniteAndConditioningMatters) {
  torch::manual_seed(13);
  nn::SplineFlow flow(
      nn::SplineFlowOptions(2).layers(2).hidden({16}).context(3).coupling(GetParam()));
  flow->to(torch::kFloat64);
  const torch::Tensor c1 = torch::randn({1, 3}, kF64), c2 = torch::randn({1, 3}, kF64);
  const torch::Tensor s = flow->sample(500, c1);
  ASSERT_EQ(s.sizes(), (std::vector<int64_t>{500, 2}));
  EXPECT_TRUE(torch::isfinite(flow->log_prob(s, c1)).all().item<bool>());
  EXPECT_GT((flow->log_prob(s, c1) - flow->log_prob(s, c2)).abs().max().item<double>(), 1e-3);
  (-flow->log_prob(s, c1).mean()).backward();
  for (const auto& prm : flow->parameters()) {
    EXPECT_TRUE(torch::isfinite(prm.grad()).all().item<bool>());
  }
}

INSTANTIATE_TEST_SUITE_P(AutoregressiveAndCoupling, Spline, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "Coupling" : "Autoregressive";
                         });
