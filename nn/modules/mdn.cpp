#include "nn/modules/mdn.hpp"

#include <cmath>
#include <stdexcept>

namespace cosmograd::nn {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

MixtureDensityHeadImpl::MixtureDensityHeadImpl(MixtureDensityHeadOptions options)
    : options_(options) {
  const int64_t d = options_.dim(), k = options_.components();
  if (options_.features() <= 0 || d <= 0 || k <= 0) {
    throw std::invalid_argument("MixtureDensityHead: features, dim and components must be > 0");
  }
  if (!(options_.min_scale() > 0.0)) {
    throw std::invalid_argument("MixtureDensityHead: min_scale must be > 0");
  }
  const int64_t off = options_.full_covariance() ? d * (d - 1) / 2 : 0;
  linear_ =
      register_module("linear", torch::nn::Linear(options_.features(), k * (1 + 2 * d + off)));
}

MixtureParams MixtureDensityHeadImpl::forward(const torch::Tensor& features) {
  if (features.dim() != 2 || features.size(1) != options_.features()) {
    throw std::invalid_argument("MixtureDensityHead: features must have shape (B, " +
                                std::to_string(options_.features()) + ")");
  }
  const int64_t b = features.size(0), d = options_.dim(), k = options_.components();
  const torch::Tensor raw = linear_(features).view({b, k, -1});
  MixtureParams p;
  p.log_weights = torch::log_softmax(raw.select(2, 0), 1);
  p.means = raw.index({Slice(), Slice(), Slice(1, 1 + d)});
  const torch::Tensor diag =
      F::softplus(raw.index({Slice(), Slice(), Slice(1 + d, 1 + 2 * d)})) + options_.min_scale();
  p.scale_tril = torch::diag_embed(diag);
  if (options_.full_covariance() && d > 1) {
    const torch::Tensor idx =
        torch::tril_indices(d, d, -1, torch::TensorOptions().dtype(torch::kLong));
    const torch::Tensor off =
        raw.index({Slice(), Slice(), Slice(1 + 2 * d, torch::indexing::None)});
    p.scale_tril.index_put_({Slice(), Slice(), idx[0], idx[1]}, off);
  }
  return p;
}

torch::Tensor MixtureDensityHeadImpl::log_prob(const torch::Tensor& features,
                                               const torch::Tensor& y) {
  const MixtureParams p = forward(features);
  const int64_t d = options_.dim();
  if (y.dim() != 2 || y.size(0) != features.size(0) || y.size(1) != d) {
    throw std::invalid_argument("MixtureDensityHead: y must have shape (B, D)");
  }
  const torch::Tensor diff = y.unsqueeze(1) - p.means;  // (B, K, D)
  const torch::Tensor diag = torch::diagonal(p.scale_tril, 0, -2, -1);
  torch::Tensor z;
  if (options_.full_covariance()) {
    z = torch::linalg::solve_triangular(p.scale_tril, diff.unsqueeze(-1), /*upper=*/false,
                                        /*left=*/true, /*unitriangular=*/false)
            .squeeze(-1);
  } else {
    z = diff / diag;
  }
  // log N(y; mu, L L^T) = -|L^{-1}(y - mu)|^2 / 2 - sum log diag L - D/2 log(2 pi).
  const torch::Tensor comp = -0.5 * z.pow(2).sum(-1) - torch::log(diag).sum(-1) -
                             0.5 * static_cast<double>(d) * std::log(2.0 * M_PI);
  return torch::logsumexp(p.log_weights + comp, 1);
}

torch::Tensor MixtureDensityHeadImpl::sample(const torch::Tensor& features, int64_t n) {
  if (n <= 0) throw std::invalid_argument("MixtureDensityHead: n must be > 0");
  torch::NoGradGuard no_grad;
  const MixtureParams p = forward(features);
  const int64_t b = features.size(0), d = options_.dim();
  const torch::Tensor comp = torch::multinomial(p.log_weights.exp(), n, /*replacement=*/true);
  const torch::Tensor mu = p.means.gather(1, comp.unsqueeze(-1).expand({b, n, d}));
  const torch::Tensor tril = p.scale_tril.gather(1, comp.view({b, n, 1, 1}).expand({b, n, d, d}));
  const torch::Tensor eps = torch::randn({b, n, d, 1}, mu.options());
  return (mu + torch::matmul(tril, eps).squeeze(-1)).permute({1, 0, 2}).contiguous();
}

}  // namespace cosmograd::nn
