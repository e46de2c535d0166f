// Numerical checks of the density estimators of nn/modules, each with a stated tolerance: the
// log-determinants of MAF and the spline flows against exact autograd Jacobians (and the
// Jacobian's block structure over the batch), round trips, log_prob against inverse sampling,
// normalisation of conditional 1D flows, the rational-quadratic spline at its knots, and the
// mixture density head's normalisation and sampling covariance.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "nn/modules/flows.hpp"
#include "nn/modules/mdn.hpp"
#include "tests/nn/numerics_check.hpp"

namespace cn = cosmograd::nn;
using cosmograd::nn::numerics_test::expect_above;
using cosmograd::nn::numerics_test::expect_below;
using cosmograd::nn::numerics_test::kF64;
using cosmograd::nn::numerics_test::max_abs_diff;

namespace {

using FlowMap = std::function<std::tuple<torch::Tensor, torch::Tensor>(const torch::Tensor&)>;

// Full Jacobian dy[b, i] / dx[c, j] of y = map(x) for x (B, D), by one autograd pass per output
// element: (B, D, B, D).
torch::Tensor batch_jacobian(const FlowMap& map, const torch::Tensor& x) {
  const torch::Tensor xg = x.detach().clone().requires_grad_(true);
  const torch::Tensor y = std::get<0>(map(xg));
  std::vector<torch::Tensor> rows;
  for (int64_t b = 0; b < y.size(0); ++b) {
    for (int64_t i = 0; i < y.size(1); ++i) {
      rows.push_back(torch::autograd::grad({y[b][i]}, {xg}, {}, /*retain_graph=*/true)[0]);
    }
  }
  return torch::stack(rows, 0).view({y.size(0), y.size(1), x.size(0), x.size(1)});
}

// Checks a flow map's log|det J| against its autograd Jacobian, and that sample b of the output
// depends on sample b of the input only.
void check_log_det(const FlowMap& map, const torch::Tensor& x, const std::string& name) {
  const torch::Tensor jac = batch_jacobian(map, x);
  const int64_t nb = x.size(0);
  const torch::Tensor eye = torch::eye(nb, kF64).view({nb, 1, nb, 1});
  // tol 0: rows of other samples must not enter at all.
  EXPECT_EQ((jac * (1 - eye)).abs().max().item<double>(), 0.0) << name << ": samples mix";
  const torch::Tensor blocks = jac.diagonal(0, 0, 2).permute({2, 0, 1});  // (B, D, D)
  const torch::Tensor log_det = std::get<1>(torch::linalg::slogdet(blocks));
  torch::NoGradGuard no_grad;
  // tol 1e-10: analytic log-determinant vs log|det| of the exact (autograd) Jacobian.
  expect_below(name + " log|det J| vs autograd Jacobian",
               max_abs_diff(std::get<1>(map(x)), log_det), 1e-10);
}

struct Flow {
  std::string name;
  FlowMap forward, inverse;
  std::function<torch::Tensor(const torch::Tensor&)> log_prob;
};

// The three flow families at D = 5 with a 2-dim context, fixed context rows.
std::vector<Flow> make_flows(const torch::Tensor& c) {
  std::vector<Flow> flows;
  auto maf = std::make_shared<cn::MAFImpl>(cn::MAFOptions(5).layers(3).hidden({16, 16}).context(2));
  maf->to(torch::kFloat64);
  flows.push_back({"MAF", [maf, c](const torch::Tensor& x) { return maf->forward(x, c); },
                   [maf, c](const torch::Tensor& u) { return maf->inverse(u, c); },
                   [maf, c](const torch::Tensor& x) { return maf->log_prob(x, c); }});
  for (const bool coupling : {false, true}) {
    auto nsf = std::make_shared<cn::SplineFlowImpl>(
        cn::SplineFlowOptions(5).layers(3).hidden({16}).context(2).bins(6).bound(2.5).coupling(
            coupling));
    nsf->to(torch::kFloat64);
    flows.push_back({coupling ? "SplineFlow coupling" : "SplineFlow autoregressive",
                     [nsf, c](const torch::Tensor& x) { return nsf->forward(x, c); },
                     [nsf, c](const torch::Tensor& u) { return nsf->inverse(u, c); },
                     [nsf, c](const torch::Tensor& x) { return nsf->log_prob(x, c); }});
  }
  return flows;
}

// log N(u; 0, I) per row of u (B, D).
torch::Tensor std_normal_log_density(const torch::Tensor& u) {
  return -0.5 * u.pow(2).sum(1) - 0.5 * static_cast<double>(u.size(1)) * std::log(2.0 * M_PI);
}

// Largest |sample covariance about `mean` - cov| of samples (n, D), in units of its Monte-Carlo
// standard deviation sqrt((C_ii C_jj + C_ij^2) / n) for Gaussian samples.
double covariance_error_in_sigmas(const torch::Tensor& samples, const torch::Tensor& mean,
                                  const torch::Tensor& cov) {
  const double n = static_cast<double>(samples.size(0));
  const torch::Tensor centred = samples - mean;
  const torch::Tensor sample_cov = centred.t().matmul(centred) / n;
  const torch::Tensor var = cov.diagonal();
  const torch::Tensor sigma = torch::sqrt((var.unsqueeze(0) * var.unsqueeze(1) + cov.pow(2)) / n);
  return ((sample_cov - cov).abs() / sigma).max().item<double>();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST(NumericsFlows, LogDetMatchesAutogradJacobian) {
  torch::manual_seed(201);
  const int64_t nb = 6;
  const torch::Tensor c = torch::randn({nb, 2}, kF64);
  for (const Flow& flow : make_flows(c)) {
    // 2 sigma wide: some entries in the splines' identity tails beyond +-2.5.
    const torch::Tensor x = 2.0 * torch::randn({nb, 5}, kF64);
    check_log_det(flow.forward, x, flow.name + " forward");
    torch::Tensor u;
    {
      torch::NoGradGuard no_grad;
      u = std::get<0>(flow.forward(x));
    }
    check_log_det(flow.inverse, u, flow.name + " inverse");
  }
}

TEST(NumericsFlows, InverseUndoesForward) {
  torch::manual_seed(202);
  const int64_t nb = 256;
  const torch::Tensor c = torch::randn({nb, 2}, kF64);
  torch::NoGradGuard no_grad;
  for (const Flow& flow : make_flows(c)) {
    const torch::Tensor x = 2.0 * torch::randn({nb, 5}, kF64);
    const auto [u, ld_fwd] = flow.forward(x);
    const auto [x2, ld_inv] = flow.inverse(u);
    // tol 1e-8: exact inverse in double (round-off through 3 layers).
    expect_below(flow.name + " inverse(forward(x)) - x", max_abs_diff(x2, x), 1e-8);
    expect_below(flow.name + " log|det| forward + inverse",
                 (ld_fwd + ld_inv).abs().max().item<double>(), 1e-8);
    const torch::Tensor u_base = 2.0 * torch::randn({nb, 5}, kF64);
    // tol 1e-8: the other composition, from fresh base-space points.
    expect_below(flow.name + " forward(inverse(u)) - u",
                 max_abs_diff(std::get<0>(flow.forward(std::get<0>(flow.inverse(u_base)))), u_base),
                 1e-8);
  }
}

TEST(NumericsFlows, LogProbOfInverseSamplesIsBaseDensityOverJacobian) {
  // x = T^{-1}(u) with u ~ N(0, I): log p(x) = log N(u) - log|det dx/du|.
  torch::manual_seed(203);
  const int64_t nb = 64;
  const torch::Tensor c = torch::randn({nb, 2}, kF64);
  torch::NoGradGuard no_grad;
  for (const Flow& flow : make_flows(c)) {
    const torch::Tensor u = torch::randn({nb, 5}, kF64);
    const auto [x, ld_inv] = flow.inverse(u);
    const double err = max_abs_diff(flow.log_prob(x), std_normal_log_density(u) - ld_inv);
    // tol 1e-9: change of variables, round-off of the round trip.
    expect_below(flow.name + " log_prob(T^-1 u) vs log N(u) - log|det|", err, 1e-9);
  }
}

TEST(NumericsFlows, Conditional1DDensitiesIntegrateToOne) {
  torch::manual_seed(204);
  const int64_t n = 100000;
  const double half = 15.0, h = 2.0 * half / static_cast<double>(n);
  const torch::Tensor grid = (torch::arange(n, kF64) * h - half + 0.5 * h).unsqueeze(1);
  const torch::Tensor base = torch::exp(-0.5 * grid.squeeze(1).pow(2)) / std::sqrt(2.0 * M_PI);
  cn::MAF maf(cn::MAFOptions(1).layers(2).hidden({8}).context(2));
  cn::SplineFlow ar(cn::SplineFlowOptions(1).layers(2).hidden({8}).context(2).bins(8).bound(3.0));
  cn::SplineFlow cp(
      cn::SplineFlowOptions(1).layers(2).hidden({8}).context(2).bins(8).bound(3.0).coupling(true));
  maf->to(torch::kFloat64);
  ar->to(torch::kFloat64);
  cp->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  const std::vector<std::pair<std::string, std::function<torch::Tensor(const torch::Tensor&)>>>
      flows = {{"MAF 1D", [&](const torch::Tensor& c) { return maf->log_prob(grid, c); }},
               {"SplineFlow 1D autoregressive",
                [&](const torch::Tensor& c) { return ar->log_prob(grid, c); }},
               {"SplineFlow 1D coupling",
                [&](const torch::Tensor& c) { return cp->log_prob(grid, c); }}};
  for (const auto& [name, log_prob] : flows) {
    double worst = 0.0, least_change = 1e300;
    for (int k = 0; k < 3; ++k) {
      const torch::Tensor c = 1.5 * torch::randn({1, 2}, kF64);  // (1, C), broadcast to the grid
      const torch::Tensor p = log_prob(c).exp();
      worst = std::max(worst, std::abs(p.sum().item<double>() * h - 1.0));
      least_change = std::min(least_change, (p - base).abs().sum().item<double>() * h);
    }
    // tol 1e-5: midpoint rule with h = 3e-4 on [-15, 15]; the spline densities have kinks in
    // their slope at the knots, so the rule is O(h^2) there (measured <~ 1e-6).
    expect_below(name + " |integral of p(x | c) - 1|, 3 contexts", worst, 1e-5);
    expect_above(name + " integral |p - N(0,1)| (not the base density)", least_change, 1e-2);
  }
}

// ---------------------------------------------------------------------------------------------
TEST(NumericsRqSpline, KnotsAndDerivativesFollowTheParameterisation) {
  // Durkan et al. 2019, Sec. 3.1: knots from softmax bin sizes with a floor, boundary
  // derivatives 1, interior derivatives min_derivative + softplus(raw).
  torch::manual_seed(211);
  const int64_t rows = 4, k = 5;
  const double bound = 2.0, min_size = 1e-3, min_deriv = 1e-3;
  const torch::Tensor rw = 2.0 * torch::randn({rows, k}, kF64);
  const torch::Tensor rh = 2.0 * torch::randn({rows, k}, kF64);
  const torch::Tensor rd = 2.0 * torch::randn({rows, k - 1}, kF64);
  const auto knots = [&](const torch::Tensor& raw) {
    const torch::Tensor sizes = min_size + (1.0 - min_size * k) * torch::softmax(raw, 1);
    return torch::cat(
        {torch::full({rows, 1}, -bound, kF64), -bound + 2.0 * bound * torch::cumsum(sizes, 1)},
        1);  // (rows, K + 1)
  };
  const torch::Tensor xk = knots(rw), yk = knots(rh);
  const torch::Tensor dk = torch::cat(
      {torch::ones({rows, 1}, kF64), min_deriv + torch::softplus(rd), torch::ones({rows, 1}, kF64)},
      1);
  // One spline per row, evaluated at its K + 1 knots.
  const auto per_knot = [&](const torch::Tensor& t) {
    return t.unsqueeze(1).expand({rows, k + 1, t.size(1)});
  };
  const auto [y, lad] =
      cn::rational_quadratic_spline(xk, per_knot(rw), per_knot(rh), per_knot(rd), bound, false);
  // tol 1e-12: the knots are interpolated exactly (round-off of the cumulative sums).
  expect_below("RQ spline y(x_k) - y_k", max_abs_diff(y, yk), 1e-12);
  expect_below("RQ spline dy/dx(x_k) - d_k (relative)",
               (torch::exp(lad) / dk - 1.0).abs().max().item<double>(), 1e-12);
  const auto [xi, lad_inv] =
      cn::rational_quadratic_spline(yk, per_knot(rw), per_knot(rh), per_knot(rd), bound, true);
  // tol 1e-10: the inverse solves a quadratic (Eq. 6-8) with some cancellation for small d_k.
  expect_below("RQ spline inverse x(y_k) - x_k", max_abs_diff(xi, xk), 1e-10);
  expect_below("RQ spline inverse log-derivative + log d_k", max_abs_diff(lad_inv, -torch::log(dk)),
               1e-10);
  // Between the knots: the returned log-derivative is the derivative of the returned y.
  const int64_t m = 200;
  const torch::Tensor x = (2.4 * torch::rand({rows, m}, kF64) - 1.2) * bound;  // tails included
  const auto per_point = [&](const torch::Tensor& t) {
    return t.unsqueeze(1).expand({rows, m, t.size(1)});
  };
  for (const bool inverse : {false, true}) {
    const torch::Tensor xg = x.clone().requires_grad_(true);
    const auto [out, ld] = cn::rational_quadratic_spline(xg, per_point(rw), per_point(rh),
                                                         per_point(rd), bound, inverse);
    const torch::Tensor dydx = torch::autograd::grad({out.sum()}, {xg})[0];
    // tol 1e-12 forward, 1e-10 inverse: analytic (Eq. 5) vs autograd derivative of Eq. 4 (or of
    // its inverse, Eq. 6-8, which has some cancellation).
    expect_below(std::string("RQ spline ") + (inverse ? "inverse" : "forward") +
                     " log-derivative vs autograd",
                 max_abs_diff(ld.detach(), torch::log(dydx)), inverse ? 1e-10 : 1e-12);
  }
}

// ---------------------------------------------------------------------------------------------
TEST(NumericsMdn, DensityIntegratesToOneOverY) {
  torch::manual_seed(221);
  torch::NoGradGuard no_grad;
  // 1D, diagonal: midpoint rule on [-20, 20].
  cn::MixtureDensityHead head1(cn::MixtureDensityHeadOptions(3, 1, 4).min_scale(0.1));
  head1->to(torch::kFloat64);
  const int64_t n1 = 8000;
  const double h1 = 40.0 / static_cast<double>(n1);
  const torch::Tensor y1 = (torch::arange(n1, kF64) * h1 - 20.0 + 0.5 * h1).unsqueeze(1);
  double worst1 = 0.0;
  for (int k = 0; k < 3; ++k) {
    const torch::Tensor f = torch::randn({1, 3}, kF64).expand({n1, 3});
    worst1 =
        std::max(worst1, std::abs(head1->log_prob(f, y1).exp().sum().item<double>() * h1 - 1.0));
  }
  // tol 1e-8: the midpoint rule is spectrally accurate for Gaussians with sigma >> h.
  expect_below("MDN 1D |integral of p(y | f) - 1|, 3 feature rows", worst1, 1e-8);
  // 2D, full covariance: midpoint rule on [-12, 12]^2.
  cn::MixtureDensityHead head2(
      cn::MixtureDensityHeadOptions(3, 2, 3).full_covariance(true).min_scale(0.2));
  head2->to(torch::kFloat64);
  const int64_t n2 = 600;
  const double h2 = 24.0 / static_cast<double>(n2);
  const torch::Tensor axis = torch::arange(n2, kF64) * h2 - 12.0 + 0.5 * h2;
  const auto mesh = torch::meshgrid({axis, axis}, "ij");
  const torch::Tensor y2 = torch::stack({mesh[0].reshape(-1), mesh[1].reshape(-1)}, 1);
  double worst2 = 0.0;
  for (int k = 0; k < 2; ++k) {
    const torch::Tensor f = torch::randn({1, 3}, kF64).expand({n2 * n2, 3});
    worst2 = std::max(worst2,
                      std::abs(head2->log_prob(f, y2).exp().sum().item<double>() * h2 * h2 - 1.0));
  }
  // tol 1e-6: as above, sigma >= 0.2 = 5 h.
  expect_below("MDN 2D full covariance |integral of p(y | f) - 1|", worst2, 1e-6);
}

TEST(NumericsMdn, ParametersAreValidAndSamplesHaveTheCovariance) {
  torch::manual_seed(222);
  torch::NoGradGuard no_grad;
  const int64_t d = 3;
  cn::MixtureDensityHead head(
      cn::MixtureDensityHeadOptions(4, d, 1).full_covariance(true).min_scale(0.05));
  head->to(torch::kFloat64);
  const torch::Tensor f = 2.0 * torch::randn({2, 4}, kF64);
  const cn::MixtureParams p = head->forward(f);
  // tol 0: the upper triangle is never written.
  EXPECT_EQ(torch::triu(p.scale_tril, 1).abs().max().item<double>(), 0.0);
  EXPECT_GE(torch::diagonal(p.scale_tril, 0, -2, -1).min().item<double>(), 0.05);
  // One component: samples are N(mu, L L^T). Monte-Carlo bound per covariance entry: 5 sigma,
  // sigma^2 = (S_ii S_jj + S_ij^2) / n.
  const int64_t n = 100000;
  const torch::Tensor s = head->sample(f, n);  // (n, B, D)
  double worst = 0.0;
  for (int64_t b = 0; b < 2; ++b) {
    const torch::Tensor l = p.scale_tril[b][0];
    worst =
        std::max(worst, covariance_error_in_sigmas(s.select(1, b), p.means[b][0], l.matmul(l.t())));
  }
  expect_below("MDN samples: max |cov_sample - L L^T| in Monte-Carlo sigmas", worst, 5.0);
  // Control: the transposed factor's L^T L is rejected by the same statistic.
  const torch::Tensor l = p.scale_tril[0][0];
  expect_above("MDN samples vs L^T L, in Monte-Carlo sigmas",
               covariance_error_in_sigmas(s.select(1, 0), p.means[0][0], l.t().matmul(l)), 20.0);
}
