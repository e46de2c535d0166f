// Mixture density network head (Bishop 1994): features -> Gaussian mixture over D dims.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace cosmograd::nn {

/// Options of MixtureDensityHead: input features F, output dims D, components K.
struct MixtureDensityHeadOptions {
  /// F input features, D output dimensions, K mixture components.
  MixtureDensityHeadOptions(int64_t features, int64_t dim, int64_t components)
      : features_(features), dim_(dim), components_(components) {}
  /// Number of input features F (> 0).
  TORCH_ARG(int64_t, features);
  /// Dimension D of the modelled variable y (> 0).
  TORCH_ARG(int64_t, dim);
  /// Number K of mixture components (> 0).
  TORCH_ARG(int64_t, components);
  /// Full covariances (Cholesky factor with free strictly-lower part) instead of diagonal ones.
  TORCH_ARG(bool, full_covariance) = false;
  /// Floor added to every standard deviation / Cholesky diagonal entry (softplus(raw) + floor).
  TORCH_ARG(double, min_scale) = 1e-3;
};

/// Parameters of a batch of Gaussian mixtures.
struct MixtureParams {
  /// Log mixture weights, (B, K), log-softmax normalised.
  torch::Tensor log_weights;
  /// Component means, (B, K, D).
  torch::Tensor means;
  /// Lower-triangular Cholesky factors of the covariances, (B, K, D, D) (diagonal when
  /// full_covariance is false), positive diagonal >= min_scale.
  torch::Tensor scale_tril;
};

/// A linear layer from features (B, F) to a K-component Gaussian mixture over D dims:
/// p(y | f) = sum_k w_k N(y; mu_k, L_k L_k^T) (Bishop 1994, Eq. 23). Dtype follows the module.
class MixtureDensityHeadImpl : public torch::nn::Module {
 public:
  /// Builds the linear map F -> K (1 + D + D or D(D+1)/2) raw parameters.
  explicit MixtureDensityHeadImpl(MixtureDensityHeadOptions options);
  /// Mixture parameters for features (B, F).
  MixtureParams forward(const torch::Tensor& features);
  /// log p(y | features), (B); features (B, F), y (B, D). Stable: logsumexp over components.
  torch::Tensor log_prob(const torch::Tensor& features, const torch::Tensor& y);
  /// n samples per batch row, (n, B, D); features (B, F). Not differentiable in the weights.
  torch::Tensor sample(const torch::Tensor& features, int64_t n);
  /// The options this head was built with.
  const MixtureDensityHeadOptions& options() const { return options_; }

 private:
  MixtureDensityHeadOptions options_;
  torch::nn::Linear linear_{nullptr};
};
/// Module holder for MixtureDensityHeadImpl.
TORCH_MODULE(MixtureDensityHead);

}  // namespace cosmograd::nn
