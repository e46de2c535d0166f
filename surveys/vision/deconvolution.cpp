// Wiener and Richardson-Lucy deconvolution (see deconvolution.hpp).
#include "surveys/vision/deconvolution.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"

namespace cosmograd::surveys {
namespace {

/// Throws std::invalid_argument naming `what` unless t is [B, S, S] with square stamps.
void require_stamps(const torch::Tensor& t, const std::string& what) {
  if (t.dim() != 3 || t.size(1) != t.size(2) || t.size(1) < 2)
    throw std::invalid_argument(what + " of shape " + c10::str(t.sizes()) +
                                ": must be [B, S, S] (square stamps, S >= 2)");
}

/// Throws std::invalid_argument unless psfs is [P, P] or [B, P, P] (B = batch) with odd P <= size.
void require_psfs(const torch::Tensor& psfs, int64_t size, int64_t batch = -1) {
  const bool ok_rank = psfs.dim() == 2 || psfs.dim() == 3;
  const int64_t p = ok_rank ? psfs.size(-1) : 0;
  if (!ok_rank || psfs.size(-2) != p || p % 2 != 1 || p > size ||
      (psfs.dim() == 3 && batch >= 0 && psfs.size(0) != batch))
    throw std::invalid_argument("psfs of shape " + c10::str(psfs.sizes()) +
                                ": must be [P, P] or [B, P, P] with odd P <= stamp side " +
                                std::to_string(size) +
                                (batch >= 0 ? " and B = " + std::to_string(batch) : ""));
}

/// The per-stamp sigma [B] as float64 [B, 1, 1]; throws unless finite and >= 0.
torch::Tensor sigma_column(const torch::Tensor& sigma, int64_t batch) {
  if (sigma.numel() != batch)
    throw std::invalid_argument("sigma of shape " + c10::str(sigma.sizes()) + ": must hold " +
                                std::to_string(batch) + " values, one per stamp");
  const torch::Tensor s = sigma.to(torch::kFloat64).reshape({batch, 1, 1});
  if (batch > 0) {
    const double lo = s.min().item<double>();
    sim::require(std::isfinite(s.sum().item<double>()) && lo >= 0, "sigma", lo,
                 ">= 0 and finite [image unit]");
  }
  return s;
}

/// The transfer function rfft2(psf_at_origin(psfs, size)) in complex128.
torch::Tensor transfer(const torch::Tensor& psfs, int64_t size) {
  return torch::fft::rfft2(psf_at_origin(psfs.to(torch::kFloat64), size));
}

/// Circular convolution of float64 images [B, S, S] with a transfer function.
torch::Tensor apply_transfer(const torch::Tensor& images, const torch::Tensor& h) {
  const int64_t s = images.size(-1);
  return torch::fft::irfft2(torch::fft::rfft2(images) * h, std::vector<int64_t>{s, s});
}

/// |k| [cycles per stamp] on the rfft grid of side s: [s, s/2 + 1].
torch::Tensor frequency_radius(int64_t s) {
  const auto opt = torch::TensorOptions(torch::kFloat64);
  const torch::Tensor ky = torch::fft::fftfreq(s, opt) * s;   // rows
  const torch::Tensor kx = torch::fft::rfftfreq(s, opt) * s;  // columns
  return torch::sqrt(ky.view({s, 1}).square() + kx.view({1, s / 2 + 1}).square());
}

}  // namespace

torch::Tensor psf_at_origin(const torch::Tensor& psfs, int64_t size) {
  require_psfs(psfs, size);
  const int64_t p = psfs.size(-1), c = p / 2;
  std::vector<int64_t> shape(psfs.sizes().begin(), psfs.sizes().end());
  shape[shape.size() - 1] = size;
  shape[shape.size() - 2] = size;
  torch::Tensor out = torch::zeros(shape, psfs.options());
  out.narrow(-2, 0, p).narrow(-1, 0, p).copy_(psfs);
  return torch::roll(out, {-c, -c}, {-2, -1});
}

torch::Tensor psf_centred(const torch::Tensor& psfs, int64_t size) {
  require_psfs(psfs, size);
  const int64_t p = psfs.size(-1), o = size / 2 - p / 2;
  std::vector<int64_t> shape(psfs.sizes().begin(), psfs.sizes().end());
  shape[shape.size() - 1] = size;
  shape[shape.size() - 2] = size;
  torch::Tensor out = torch::zeros(shape, psfs.options());
  out.narrow(-2, o, p).narrow(-1, o, p).copy_(psfs);
  return out;
}

torch::Tensor convolve_circular(const torch::Tensor& images, const torch::Tensor& psfs,
                                bool transpose) {
  require_stamps(images, "images");
  const int64_t s = images.size(1);
  require_psfs(psfs, s, images.size(0));
  torch::Tensor h = transfer(psfs, s);
  if (transpose) h = torch::conj(h);
  return apply_transfer(images.to(torch::kFloat64), h).to(images.scalar_type());
}

void WienerPrior::validate() const {
  sim::require(size >= 2, "WienerPrior.size", static_cast<double>(size), ">= 2 [pixels]");
  sim::require(!k.empty() && k.size() == power.size(), "WienerPrior.power size",
               static_cast<double>(power.size()),
               "equal to the number of annuli k (" + std::to_string(k.size()) + "), >= 1");
  for (std::size_t j = 0; j < k.size(); ++j) {
    sim::require(std::isfinite(k[j]) && k[j] >= 0 && (j == 0 || k[j] > k[j - 1]),
                 "WienerPrior.k[" + std::to_string(j) + "]", k[j],
                 "finite, >= 0 and increasing [cycles per stamp]");
    sim::require(sim::positive(power[j]), "WienerPrior.power[" + std::to_string(j) + "]", power[j],
                 "> 0 and finite [unit^2]");
  }
}

WienerPrior fit_wiener_prior(const torch::Tensor& images) {
  require_stamps(images, "images");
  if (images.size(0) == 0) throw std::invalid_argument("fit_wiener_prior: no images");
  const int64_t s = images.size(1), w = s / 2 + 1;
  const torch::Tensor power =
      torch::fft::rfft2(images.to(torch::kFloat64)).abs().square().mean(0).contiguous();
  const torch::Tensor radius = frequency_radius(s).contiguous();
  const double* pw = power.data_ptr<double>();
  const double* rad = radius.data_ptr<double>();
  const auto bins = static_cast<std::size_t>(std::floor(radius.max().item<double>() + 0.5)) + 1;
  std::vector<double> wsum(bins, 0), ksum(bins, 0), psum(bins, 0);
  for (int64_t i = 0; i < s * w; ++i) {
    // Columns 1 .. ceil(s/2) - 1 of the half plane stand for their mirrored modes too.
    const int64_t col = i % w;
    const double weight = (col == 0 || 2 * col == s) ? 1.0 : 2.0;
    const auto j = static_cast<std::size_t>(std::floor(rad[i] + 0.5));
    wsum[j] += weight;
    ksum[j] += weight * rad[i];
    psum[j] += weight * pw[i];
  }
  WienerPrior prior;
  prior.size = s;
  double top = 0;
  for (std::size_t j = 0; j < bins; ++j) {
    if (wsum[j] == 0) continue;
    prior.k.push_back(ksum[j] / wsum[j]);
    prior.power.push_back(psum[j] / wsum[j]);
    top = std::max(top, prior.power.back());
  }
  sim::require(sim::positive(top), "power of the prior images", top,
               "> 0 and finite (images not all zero)");
  for (double& p : prior.power) p = std::max(p, 1e-30 * top);
  prior.validate();
  return prior;
}

torch::Tensor wiener_prior_grid(const WienerPrior& prior) {
  prior.validate();
  const torch::Tensor radius = frequency_radius(prior.size).contiguous();
  torch::Tensor out = torch::empty_like(radius);
  const double* rad = radius.data_ptr<double>();
  double* o = out.data_ptr<double>();
  const std::vector<double>& k = prior.k;
  for (int64_t i = 0; i < radius.numel(); ++i) {
    const double r = rad[i];
    double logp;
    if (r <= k.front()) {
      logp = std::log(prior.power.front());
    } else if (r >= k.back()) {
      logp = std::log(prior.power.back());
    } else {
      const auto hi = static_cast<std::size_t>(std::upper_bound(k.begin(), k.end(), r) - k.begin());
      const std::size_t lo = hi - 1;
      const double t = (r - k[lo]) / (k[hi] - k[lo]);
      logp = (1 - t) * std::log(prior.power[lo]) + t * std::log(prior.power[hi]);
    }
    o[i] = std::exp(logp);
  }
  return out;
}

torch::Tensor wiener_deconvolve(const torch::Tensor& images, const torch::Tensor& psfs,
                                const torch::Tensor& sigma, const torch::Tensor& signal_power) {
  require_stamps(images, "images");
  const int64_t b = images.size(0), s = images.size(1);
  require_psfs(psfs, s, b);
  if (signal_power.dim() != 2 || signal_power.size(0) != s || signal_power.size(1) != s / 2 + 1)
    throw std::invalid_argument("signal_power of shape " + c10::str(signal_power.sizes()) +
                                ": must be [S, S/2 + 1] = [" + std::to_string(s) + ", " +
                                std::to_string(s / 2 + 1) + "] (wiener_prior_grid)");
  const torch::Tensor sk = signal_power.to(torch::kFloat64);
  const double sk_min = sk.min().item<double>();
  sim::require(sim::positive(sk_min), "min of signal_power", sk_min, "> 0 and finite [unit^2]");
  const torch::Tensor noise = sigma_column(sigma, b).square() * static_cast<double>(s * s);
  const torch::Tensor h = transfer(psfs, s);
  const torch::Tensor den = h.abs().square() + noise / sk;
  const torch::Tensor x = torch::conj(h) * torch::fft::rfft2(images.to(torch::kFloat64)) / den;
  return torch::fft::irfft2(x, std::vector<int64_t>{s, s}).to(images.scalar_type());
}

torch::Tensor richardson_lucy(const torch::Tensor& images, const torch::Tensor& psfs,
                              const torch::Tensor& sigma, int64_t iterations,
                              double pedestal_sigmas, const RichardsonLucyObserver& observer) {
  require_stamps(images, "images");
  const int64_t b = images.size(0), s = images.size(1);
  require_psfs(psfs, s, b);
  sim::require(iterations >= 0, "iterations", static_cast<double>(iterations), ">= 0");
  sim::require(pedestal_sigmas >= 0 && std::isfinite(pedestal_sigmas), "pedestal_sigmas",
               pedestal_sigmas, ">= 0 and finite [sigma]");
  const torch::Tensor pedestal = pedestal_sigmas * sigma_column(sigma, b);
  const torch::Tensor d = torch::clamp_min(images.to(torch::kFloat64) + pedestal, 0.0);
  const torch::Tensor h = transfer(psfs, s), ht = torch::conj(h);
  // Floor of H u against FFT rounding where the estimate has collapsed to ~0.
  const torch::Tensor floor = 1e-12 * d.mean({1, 2}, true) + std::numeric_limits<double>::min();
  torch::Tensor u = d.mean({1, 2}, true).expand({b, s, s}).clone();
  for (int64_t it = 1; it <= iterations; ++it) {
    const torch::Tensor hu = torch::maximum(apply_transfer(u, h), floor);
    u = torch::clamp_min(u * apply_transfer(d / hu, ht), 0.0);
    if (observer) observer(it, u - pedestal);
  }
  return (u - pedestal).to(images.scalar_type());
}

}  // namespace cosmograd::surveys
