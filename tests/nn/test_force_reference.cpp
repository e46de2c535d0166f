// The PM force of the engine (sim::Gravity) and its vjp against a slow pure-torch
// reimplementation (CIC paint by scatter_add, rfftn, FastPM's fd4 gradient and the exact
// Green's function, irfftn, CIC readout) differentiated by LibTorch's autograd in double.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "sim/pm/gravity.hpp"

namespace cg = cosmograd::sim;

namespace {

/// CIC corner indices (flat, periodic) and weights of positions u [M, 3] in cells.
void cic_corners(const torch::Tensor& u, int64_t n, std::vector<torch::Tensor>& idx,
                 std::vector<torch::Tensor>& w) {
  const torch::Tensor i0 = torch::floor(u);
  const torch::Tensor t = u - i0;
  const torch::Tensor base = i0.to(torch::kLong);
  for (int c = 0; c < 8; ++c) {
    torch::Tensor flat = torch::zeros({u.size(0)}, torch::kLong);
    torch::Tensor weight = torch::ones({u.size(0)}, u.options());
    for (int d = 0; d < 3; ++d) {
      const int bit = (c >> d) & 1;
      const torch::Tensor i = torch::remainder(base.select(1, d) + bit, n);
      flat = flat * n + i;
      const torch::Tensor td = t.select(1, d);
      weight = weight * (bit ? td : 1 - td);
    }
    idx.push_back(flat);
    w.push_back(weight);
  }
}

/// Accelerations [M, 3] of positions x [M, 3] (Mpc/h), as sim::Gravity computes them with
/// CIC, fd4 and no deconvolution, in differentiable torch ops.
torch::Tensor reference_accelerations(const torch::Tensor& x, int64_t n, double box,
                                      double omega_m) {
  const int64_t m = x.size(0);
  const torch::Tensor u = x * (static_cast<double>(n) / box) + 0.5;  // half-cell mesh offset
  std::vector<torch::Tensor> idx, w;
  cic_corners(u, n, idx, w);
  const double mass = static_cast<double>(n * n * n) / m;
  torch::Tensor rho = torch::zeros({n * n * n}, x.options());
  for (int c = 0; c < 8; ++c) rho = rho.scatter_add(0, idx[c], w[c] * mass);
  const torch::Tensor rho_k = torch::fft::rfftn(rho.view({n, n, n}));
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  torch::Tensor mi = torch::arange(n, opts);
  mi = torch::where(mi < n / 2, mi, mi - n);  // signed modes
  const torch::Tensor mz = torch::arange(n / 2 + 1, opts);
  const double dx = box / n;
  auto grad = [&](const torch::Tensor& mm) {  // fd4: (8 sin w - sin 2w) / (6 dx)
    const torch::Tensor wv = 2 * M_PI * mm / n;
    return (8 * torch::sin(wv) - torch::sin(2 * wv)) / (6 * dx);
  };
  const torch::Tensor kx = mi.view({n, 1, 1}), ky = mi.view({1, n, 1}), kz = mz.view({1, 1, -1});
  const double kf = 2 * M_PI / box;
  torch::Tensor k2 = kf * kf * (kx * kx + ky * ky + kz * kz);
  const torch::Tensor zero = k2 == 0;
  k2 = torch::where(zero, torch::ones_like(k2), k2);
  const torch::Tensor green = torch::where(zero, torch::zeros_like(k2),
                                           1.5 * omega_m / (static_cast<double>(n * n * n) * k2));
  const torch::Tensor g[3] = {grad(kx), grad(ky), grad(kz)};
  std::vector<torch::Tensor> acc;
  for (int d = 0; d < 3; ++d) {
    // acc_k = i g (3/2) Omega_m delta_k / k^2; irfftn normalises by 1/n^3, FFTW does not.
    const torch::Tensor ak = rho_k * green * g[d] * c10::complex<double>(0, 1);
    const torch::Tensor field =
        torch::fft::irfftn(ak, torch::IntArrayRef({n, n, n})).reshape({-1}) * double(n * n * n);
    torch::Tensor a = torch::zeros({m}, x.options());
    for (int c = 0; c < 8; ++c) a = a + w[c] * field.index_select(0, idx[c]);
    acc.push_back(a);
  }
  return torch::stack(acc, 1);
}

}  // namespace

TEST(ForceReference, EngineForceAndVjpMatchTorchAutograd) {
  const int np = 8, n = 16;
  const double box = 40.0, omega_m = 0.31;
  auto p = cg::Particles<double>::lattice_grid(np, box);
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0.0, 2.0);
  for (double& v : p.disp) v = g(rng);
  std::vector<double> cot(p.disp.size());
  for (double& v : cot) v = g(rng);

  cg::ForceOptions o;  // CIC, fd4, no deconvolution: the defaults
  cg::Gravity<double> gravity(n, box, 1, cg::FftPlanning::estimate, o);
  std::vector<double> acc, grad(p.disp.size(), 0.0);
  const double d_omega = gravity.accelerations_vjp(p, omega_m, p.size(), cot, grad, &acc);

  torch::Tensor x = torch::empty({static_cast<int64_t>(p.size()), 3}, torch::kFloat64);
  for (std::size_t j = 0; j < p.size(); ++j) {
    for (int d = 0; d < 3; ++d) x[j][d] = p.lattice(j, d) + p.disp[3 * j + d];
  }
  x.requires_grad_(true);
  const torch::Tensor acc_ref = reference_accelerations(x, n, box, omega_m);
  const torch::Tensor cot_t =
      torch::from_blob(cot.data(), {static_cast<int64_t>(p.size()), 3}, torch::kFloat64).clone();
  const torch::Tensor acc_t =
      torch::from_blob(acc.data(), {static_cast<int64_t>(p.size()), 3}, torch::kFloat64).clone();
  const double scale = acc_ref.abs().max().item<double>();
  EXPECT_LT((acc_ref - acc_t).abs().max().item<double>() / scale, 1e-10);

  const torch::Tensor J = (acc_ref * cot_t).sum();
  J.backward();
  const torch::Tensor grad_t =
      torch::from_blob(grad.data(), {static_cast<int64_t>(p.size()), 3}, torch::kFloat64).clone();
  const double gscale = x.grad().abs().max().item<double>();
  EXPECT_LT((x.grad() - grad_t).abs().max().item<double>() / gscale, 1e-8);
  // dJ/dOmega_m: the force is linear in Omega_m.
  EXPECT_NEAR(d_omega, J.item<double>() / omega_m, 1e-10 * std::abs(J.item<double>() / omega_m));
}
