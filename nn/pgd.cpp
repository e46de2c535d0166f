// PGD (Dai, Feng & Seljak 2018) as torch operations, and its fit to reference spectra.
#include "nn/pgd.hpp"

#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <stdexcept>

#include "nn/bridge.hpp"

namespace cosmograd::nn {

Wavenumbers wavenumbers(int n, double box, torch::ScalarType dtype) {
  const double kf = 2.0 * M_PI / box;
  const auto opt = torch::TensorOptions().dtype(dtype);
  const torch::Tensor f = torch::fft::fftfreq(n, 1.0 / n, opt) * kf;  // integers * kf
  const torch::Tensor fz = torch::fft::rfftfreq(n, 1.0 / n, opt) * kf;
  Wavenumbers w;
  w.kx = f.view({n, 1, 1});
  w.ky = f.view({1, n, 1});
  w.kz = fz.view({1, 1, n / 2 + 1});
  w.k2 = w.kx * w.kx + w.ky * w.ky + w.kz * w.kz;
  return w;
}

Binning make_binning(const Wavenumbers& w, double box, double k_max) {
  const double kf = 2.0 * M_PI / box;
  Binning b;
  b.nbins = static_cast<int>(std::floor(k_max / kf - 0.5));
  if (b.nbins < 1) throw std::invalid_argument("make_binning: no k bins below k_max");
  const torch::Tensor k = w.k2.sqrt().flatten().to(torch::kFloat64);
  torch::Tensor j = torch::floor(k / kf + 0.5).to(torch::kLong) - 1;  // bin of centre (j+1) kf
  j = torch::where((k > 0.5 * kf) & (j < b.nbins), j, torch::full_like(j, b.nbins));
  b.index = j;
  const torch::Tensor ones = torch::ones_like(k);
  b.counts =
      torch::zeros({b.nbins + 1}, torch::kFloat64).index_add(0, j, ones).slice(0, 0, b.nbins);
  b.k_mean = torch::zeros({b.nbins + 1}, torch::kFloat64).index_add(0, j, k).slice(0, 0, b.nbins) /
             b.counts;
  return b;
}

torch::Tensor cic_density(const torch::Tensor& positions, int n, double box) {
  const torch::Tensor mesh = paint(positions, n, box, sim::PaintKernel::cic);
  const double mean = static_cast<double>(positions.size(0)) / (double(n) * n * n);
  return mesh / mean - 1.0;
}

torch::Tensor binned_power(const torch::Tensor& delta, const Binning& b, double box) {
  const double n3 = static_cast<double>(delta.numel());
  const torch::Tensor dk = torch::fft::rfftn(delta);
  const torch::Tensor p = torch::view_as_real(dk).square().sum(-1).flatten().to(torch::kFloat64);
  const torch::Tensor sums = torch::zeros({b.nbins + 1}, torch::kFloat64).index_add(0, b.index, p);
  return sums.slice(0, 0, b.nbins) / b.counts * (box * box * box / (n3 * n3));
}

Pgd make_pgd(const torch::Tensor& positions, int n, double box) {
  torch::NoGradGuard no_grad;
  Pgd g;
  g.n = n;
  g.box = box;
  g.w = wavenumbers(n, box, positions.scalar_type());
  g.k2_safe = torch::where(g.w.k2 > 0, g.w.k2, torch::ones_like(g.w.k2));
  const torch::Tensor dk = torch::fft::rfftn(cic_density(positions, n, box));
  const torch::Tensor inv_k2 =
      torch::where(g.w.k2 > 0, 1.0 / g.k2_safe, torch::zeros_like(g.k2_safe));
  const torch::Tensor s = dk * inv_k2;  // delta_k / k^2
  const c10::complex<double> i_unit(0.0, 1.0);
  for (const torch::Tensor& kd : {g.w.kx, g.w.ky, g.w.kz}) {
    torch::Tensor b = s * kd * i_unit;
    // Zero the Nyquist planes of the odd gradient (their i k has no real counterpart).
    b = b * (kd.abs() < (M_PI * n / box) * (1.0 - 1e-6)).to(kd.scalar_type());
    g.base.push_back(b);
  }
  return g;
}

torch::Tensor apply_pgd(const Pgd& g, const torch::Tensor& positions, const torch::Tensor& alpha,
                        const torch::Tensor& k_l, const torch::Tensor& k_s) {
  const torch::Tensor kernel =
      alpha * torch::exp(-k_l.square() / g.k2_safe - (g.k2_safe.sqrt() / k_s).pow(4));
  std::vector<torch::Tensor> dx;
  for (const torch::Tensor& b : g.base) {
    const torch::Tensor field = torch::fft::irfftn(b * kernel, {g.n, g.n, g.n});
    dx.push_back(readout(field, positions, g.box, sim::PaintKernel::cic));
  }
  return positions + torch::stack(dx, 1);
}

PgdParams fit_pgd(const std::vector<torch::Tensor>& positions,
                  const std::vector<torch::Tensor>& references, int n, double box, double k_max,
                  int iters, double lr, double alpha0) {
  if (positions.empty() || positions.size() != references.size()) {
    throw std::invalid_argument("fit_pgd: need as many reference sets as position sets (>= 1)");
  }
  const auto dtype = positions.front().scalar_type();
  const Binning bins = make_binning(wavenumbers(n, box, dtype), box, k_max);
  std::vector<Pgd> ops;
  std::vector<torch::Tensor> log_ref;
  torch::Tensor p_before = torch::zeros({bins.nbins}, torch::kFloat64);
  torch::Tensor p_ref = torch::zeros({bins.nbins}, torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < positions.size(); ++i) {
      ops.push_back(make_pgd(positions[i], n, box));
      p_ref += binned_power(cic_density(references[i], n, box), bins, box);
      p_before += binned_power(cic_density(positions[i], n, box), bins, box);
    }
  }
  const torch::Tensor log_p_ref = p_ref.log();
  auto loss_of = [&](const torch::Tensor& p) { return (p.log() - log_p_ref).square().mean(); };
  const auto popt = torch::TensorOptions().dtype(dtype);
  torch::Tensor alpha = torch::full({}, alpha0, popt).requires_grad_(true);
  torch::Tensor log_kl = torch::full({}, std::log(0.3), popt).requires_grad_(true);
  torch::Tensor log_ks = torch::full({}, std::log(3.0), popt).requires_grad_(true);
  // alpha is small (the input is already close): its own, smaller step size.
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{alpha},
                      std::make_unique<torch::optim::AdamOptions>(lr * alpha0));
  groups.emplace_back(std::vector<torch::Tensor>{log_kl, log_ks},
                      std::make_unique<torch::optim::AdamOptions>(lr));
  torch::optim::Adam adam(std::move(groups), torch::optim::AdamOptions(lr));
  PgdParams best;
  best.loss_before = loss_of(p_before).item<double>();
  best.loss_after = best.loss_before;
  best.k_l = std::exp(log_kl.item<double>());
  best.k_s = std::exp(log_ks.item<double>());
  const double decay = std::pow(0.1, 1.0 / std::max(1, iters - 1));
  for (int it = 0; it < iters; ++it) {
    adam.zero_grad();
    const torch::Tensor k_l = log_kl.exp(), k_s = log_ks.exp();
    torch::Tensor p = torch::zeros({bins.nbins}, torch::kFloat64);
    for (size_t i = 0; i < ops.size(); ++i) {
      p = p + binned_power(cic_density(torch::remainder(
                                           apply_pgd(ops[i], positions[i], alpha, k_l, k_s), box),
                                       n, box),
                           bins, box);
    }
    const torch::Tensor loss = loss_of(p);
    loss.backward();
    const double l = loss.item<double>();
    if (l < best.loss_after) {
      best.loss_after = l;
      best.alpha = alpha.item<double>();
      best.k_l = k_l.item<double>();
      best.k_s = k_s.item<double>();
    }
    adam.step();
    for (auto& group : adam.param_groups()) {
      auto& ao = static_cast<torch::optim::AdamOptions&>(group.options());
      ao.lr(ao.lr() * decay);
    }
  }
  return best;
}

}  // namespace cosmograd::nn
