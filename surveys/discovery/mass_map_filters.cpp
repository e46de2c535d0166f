// Kaiser-Squires, Gaussian smoothing, the masked Wiener filter by conjugate gradients, and the
// pixel metrics (see mass_map_filters.hpp).
#include "surveys/discovery/mass_map_filters.hpp"

#include <torch/fft.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace cosmograd::surveys {
namespace {

/// Integer frequencies of a T-point FFT as sim/sky/shear.cpp orders them: i for i <= T/2, else
/// i - T (the Nyquist frequency counted positive).
torch::Tensor freqs(int64_t size) {
  auto f = torch::arange(size, torch::kFloat64);
  return torch::where(f <= size / 2, f, f - static_cast<double>(size));
}

torch::Tensor fft(const torch::Tensor& x) {
  return torch::fft::fft2(x, c10::nullopt, {-2, -1}, "ortho");
}
torch::Tensor ifft(const torch::Tensor& x) {
  return torch::fft::ifft2(x, c10::nullopt, {-2, -1}, "ortho");
}

void check_maps(const torch::Tensor& a, const std::string& what) {
  if (a.dim() != 3 || a.size(1) != a.size(2) || a.size(1) < 2)
    throw std::invalid_argument(what + ": expected [B, T, T] tiles with T >= 2, got shape " +
                                std::to_string(a.dim()) + "-dimensional");
}

}  // namespace

torch::Tensor ks_kernel(int64_t size) {
  const torch::Tensor f = freqs(size);
  const torch::Tensor l1 = f.unsqueeze(0).expand({size, size});  // along ix (last axis)
  const torch::Tensor l2 = f.unsqueeze(1).expand({size, size});  // along iy
  torch::Tensor ll = l1 * l1 + l2 * l2;
  ll.index_put_({0, 0}, 1.0);
  torch::Tensor d = torch::complex((l1 * l1 - l2 * l2) / ll, 2.0 * l1 * l2 / ll);
  d.index_put_({0, 0}, 0.0);
  return d;
}

torch::Tensor mode_ell(int64_t size, double pixel_rad) {
  const torch::Tensor f = freqs(size);
  const torch::Tensor k = torch::sqrt(f.unsqueeze(0).pow(2) + f.unsqueeze(1).pow(2));
  return k * (2 * M_PI / (static_cast<double>(size) * pixel_rad));
}

std::pair<torch::Tensor, torch::Tensor> ks_shear(const torch::Tensor& kappa) {
  check_maps(kappa, "ks_shear kappa");
  const torch::Tensor x = kappa.to(torch::kFloat64);
  const torch::Tensor g = ifft(ks_kernel(x.size(-1)) * fft(x));
  return {torch::real(g).contiguous(), torch::imag(g).contiguous()};
}

torch::Tensor ks_kappa(const torch::Tensor& gamma1, const torch::Tensor& gamma2) {
  check_maps(gamma1, "ks_kappa gamma1");
  if (gamma2.sizes() != gamma1.sizes())
    throw std::invalid_argument("ks_kappa: gamma2 differs in shape from gamma1");
  const torch::Tensor g = torch::complex(gamma1.to(torch::kFloat64), gamma2.to(torch::kFloat64));
  return torch::real(ifft(torch::conj(ks_kernel(g.size(-1))) * fft(g))).contiguous();
}

torch::Tensor gaussian_smooth(const torch::Tensor& kappa, double sigma_pixels) {
  check_maps(kappa, "gaussian_smooth kappa");
  if (!(sigma_pixels >= 0) || !std::isfinite(sigma_pixels))
    throw std::invalid_argument("smoothing sigma = " + std::to_string(sigma_pixels) +
                                ": must be >= 0 [pixels]");
  const torch::Tensor x = kappa.to(torch::kFloat64);
  if (sigma_pixels == 0) return x;
  const int64_t t = x.size(-1);
  const torch::Tensor w = mode_ell(t, 1.0);  // 2 pi |k| / T per pixel
  const torch::Tensor g = torch::exp(-0.5 * (w * sigma_pixels).pow(2));
  return torch::real(ifft(g * fft(x))).contiguous();
}

torch::Tensor prior_from_cl(const std::vector<double>& ell, const std::vector<double>& cl,
                            const std::vector<double>& pixwin2, int64_t size, double pixel_rad) {
  if (ell.size() < 2 || cl.size() != ell.size() || pixwin2.size() != ell.size())
    throw std::invalid_argument("prior_from_cl: need >= 2 (ell, C_ell, pixwin2) points, got " +
                                std::to_string(ell.size()));
  std::vector<double> le, lc;
  for (std::size_t i = 0; i < ell.size(); ++i) {
    if (!(ell[i] > 0) || (i > 0 && !(ell[i] > ell[i - 1])))
      throw std::invalid_argument("prior_from_cl: point " + std::to_string(i) + " (ell " +
                                  std::to_string(ell[i]) + "): ell must be > 0 and increase");
    if (!(cl[i] * pixwin2[i] > 0) || !std::isfinite(cl[i] * pixwin2[i])) continue;  // e.g. cut
    le.push_back(std::log(ell[i]));
    lc.push_back(std::log(cl[i] * pixwin2[i]));
  }
  if (le.size() < 2)
    throw std::invalid_argument("prior_from_cl: fewer than 2 points with C_ell pixwin2 > 0");
  const torch::Tensor l = mode_ell(size, pixel_rad);
  auto acc = l.accessor<double, 2>();
  torch::Tensor p = torch::zeros({size, size}, torch::kFloat64);
  auto out = p.accessor<double, 2>();
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < size; ++j) {
      if (i == 0 && j == 0) continue;
      const double x = std::log(acc[i][j]);
      std::size_t k = 0;
      while (k + 2 < le.size() && x > le[k + 1]) ++k;
      const double t = (x - le[k]) / (le[k + 1] - le[k]);
      out[i][j] = std::exp(lc[k] + t * (lc[k + 1] - lc[k])) / (pixel_rad * pixel_rad);
    }
  return p;
}

torch::Tensor prior_measured(const torch::Tensor& kappa) {
  check_maps(kappa, "prior_measured kappa");
  const torch::Tensor x = kappa.to(torch::kFloat64);
  const int64_t t = x.size(-1);
  const torch::Tensor power = torch::abs(fft(x - x.mean({1, 2}, true))).pow(2).mean(0);  // [T, T]
  const torch::Tensor ring = torch::round(mode_ell(t, 2 * M_PI / t)).to(torch::kLong);   // |k|
  const int64_t rings = ring.max().item<int64_t>() + 1;
  const torch::Tensor sum =
      torch::zeros({rings}, torch::kFloat64).index_add_(0, ring.flatten(), power.flatten());
  const torch::Tensor cnt =
      torch::zeros({rings}, torch::kFloat64)
          .index_add_(0, ring.flatten(), torch::ones({t * t}, torch::kFloat64));
  torch::Tensor p = (sum / cnt.clamp_min(1)).index({ring});
  p.index_put_({0, 0}, 0.0);
  return p;
}

WienerResult wiener_filter(const torch::Tensor& gamma1, const torch::Tensor& gamma2,
                           const torch::Tensor& mask, const torch::Tensor& prior, double sigma2,
                           double tolerance, int max_iterations) {
  check_maps(gamma1, "wiener_filter gamma1");
  if (gamma2.sizes() != gamma1.sizes() || mask.sizes() != gamma1.sizes())
    throw std::invalid_argument("wiener_filter: gamma2 and mask must have gamma1's shape");
  const int64_t t = gamma1.size(-1);
  if (prior.dim() != 2 || prior.size(0) != t || prior.size(1) != t)
    throw std::invalid_argument("wiener_filter: prior must be [T, T] with T = " +
                                std::to_string(t));
  if (!(sigma2 > 0) || !std::isfinite(sigma2))
    throw std::invalid_argument("wiener_filter: noise variance sigma2 = " + std::to_string(sigma2) +
                                ": must be > 0");
  if (!(tolerance > 0) || max_iterations < 1)
    throw std::invalid_argument("wiener_filter: tolerance must be > 0 and max_iterations >= 1");
  torch::NoGradGuard no_grad;
  const torch::Tensor d = ks_kernel(t);
  const torch::Tensor sqrt_p = torch::sqrt(prior.to(torch::kFloat64).clamp_min(0));
  const torch::Tensor fwd = sqrt_p * d, bwd = sqrt_p * torch::conj(d);
  const torch::Tensor w = mask.to(torch::kFloat64) / sigma2;  // N^-1: 0 in masked pixels
  // S^{1/2} A^T W (h1 + i h2): Re IFFT[sqrt(P) conj(D) FFT(W h)].
  const auto back = [&](const torch::Tensor& h) { return torch::real(ifft(bwd * fft(w * h))); };
  // The operator M y = y + S^{1/2} A^T W A S^{1/2} y (A S^{1/2} y = IFFT[D sqrt(P) FFT(y)]).
  const auto op = [&](const torch::Tensor& y) { return y + back(ifft(fwd * fft(y))); };
  const torch::Tensor b =
      back(torch::complex(gamma1.to(torch::kFloat64), gamma2.to(torch::kFloat64)));
  const auto dot = [](const torch::Tensor& a, const torch::Tensor& c) {
    return (a * c).sum({1, 2}, true);
  };
  const torch::Tensor bnorm = torch::sqrt(dot(b, b)).clamp_min(1e-300);
  torch::Tensor y = torch::zeros_like(b), r = b.clone(), p = r.clone(), rr = dot(r, r);
  WienerResult res;
  for (int it = 0; it < max_iterations; ++it) {
    const double worst = (torch::sqrt(rr) / bnorm).max().item<double>();
    if (worst < tolerance) break;
    const torch::Tensor q = op(p);
    const torch::Tensor alpha = rr / dot(p, q).clamp_min(1e-300);
    y = y + alpha * p;
    r = r - alpha * q;
    const torch::Tensor rr_new = dot(r, r);
    p = r + (rr_new / rr.clamp_min(1e-300)) * p;
    rr = rr_new;
    res.iterations = it + 1;
    res.residuals.push_back((torch::sqrt(rr) / bnorm).max().item<double>());
  }
  res.kappa = torch::real(ifft(sqrt_p * fft(y))).contiguous();
  return res;
}

torch::Tensor wiener_unmasked(const torch::Tensor& gamma1, const torch::Tensor& gamma2,
                              const torch::Tensor& prior, double sigma2) {
  const torch::Tensor k = ks_kappa(gamma1, gamma2);
  const torch::Tensor p = prior.to(torch::kFloat64);
  return torch::real(ifft(p / (p + sigma2) * fft(k))).contiguous();
}

namespace {
/// a, b and the selection weight as flat double tensors of the selected pixels.
std::pair<torch::Tensor, torch::Tensor> selected(const torch::Tensor& a, const torch::Tensor& b,
                                                 const torch::Tensor& weight) {
  if (a.sizes() != b.sizes()) throw std::invalid_argument("metrics: the two maps differ in shape");
  torch::Tensor x = a.to(torch::kFloat64).flatten(), y = b.to(torch::kFloat64).flatten();
  if (weight.defined()) {
    if (weight.numel() != a.numel())
      throw std::invalid_argument("metrics: the weight differs in size from the maps");
    const torch::Tensor keep = weight.flatten() > 0;
    x = x.index({keep});
    y = y.index({keep});
  }
  return {x, y};
}
}  // namespace

double masked_mse(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& weight) {
  const auto [x, y] = selected(a, b, weight);
  if (x.numel() == 0) return std::nan("");
  return (x - y).pow(2).mean().item<double>();
}

double masked_pearson(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& weight) {
  const auto [x, y] = selected(a, b, weight);
  if (x.numel() < 2) return std::nan("");
  const torch::Tensor dx = x - x.mean(), dy = y - y.mean();
  const double sxx = dx.pow(2).sum().item<double>(), syy = dy.pow(2).sum().item<double>();
  if (!(sxx > 0) || !(syy > 0)) return std::nan("");
  return (dx * dy).sum().item<double>() / std::sqrt(sxx * syy);
}

}  // namespace cosmograd::surveys
