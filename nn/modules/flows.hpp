// Autoregressive and coupling normalising flows: MADE (Germain et al. 2015), MAF
// (Papamakarios et al. 2017) and rational-quadratic neural spline flows (Durkan et al. 2019).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <tuple>
#include <vector>

namespace cosmograd::nn {

/// y = x (W * M)^T + b with a fixed 0/1 connectivity mask M (out, in), a buffer.
class MaskedLinearImpl : public torch::nn::Module {
 public:
  /// mask: (out, in) of 0/1 entries; weight and bias get torch::nn::Linear's default init.
  explicit MaskedLinearImpl(const torch::Tensor& mask);
  /// x (B, in) -> (B, out).
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor weight_, bias_, mask_;
};
/// Module holder for MaskedLinearImpl.
TORCH_MODULE(MaskedLinear);

/// Options of MADE.
struct MADEOptions {
  /// D autoregressive inputs, P outputs per input.
  MADEOptions(int64_t features, int64_t outputs_per_feature)
      : features_(features), outputs_per_feature_(outputs_per_feature) {}
  /// Number D of autoregressive inputs.
  TORCH_ARG(int64_t, features);
  /// Number P of outputs per input dimension.
  TORCH_ARG(int64_t, outputs_per_feature);
  /// Widths of the hidden layers (tanh activations; at least one layer).
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{64, 64};
  /// Number C of conditioning inputs, connected to every unit of the first hidden layer (so every
  /// output depends on the context).
  TORCH_ARG(int64_t, context) = 0;
  /// Degrees of the D inputs (>= 1); empty means 1..D. Output d depends exactly on the inputs of
  /// lower degree, so {1,..,1,2,..,2} gives a coupling layer.
  TORCH_ARG(std::vector<int64_t>, degrees) = std::vector<int64_t>{};
};

/// Masked autoencoder for distribution estimation (Germain et al. 2015): outputs (B, D, P) where
/// out[:, d, :] depends only on inputs of lower degree than d and on the context.
class MADEImpl : public torch::nn::Module {
 public:
  /// Builds masked layers D (+C) -> hidden... -> D*P with the degree rule of Germain et al. Eq.
  /// 12-13.
  explicit MADEImpl(MADEOptions options);
  /// x (B, D), context (B, C) or undefined when C == 0 -> (B, D, P).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context = {});
  /// The options this network was built with.
  const MADEOptions& options() const { return options_; }

 private:
  MADEOptions options_;
  std::vector<MaskedLinear> layers_;
};
/// Module holder for MADEImpl.
TORCH_MODULE(MADE);

/// Options of MAF.
struct MAFOptions {
  /// D dimensions.
  explicit MAFOptions(int64_t features) : features_(features) {}
  /// Dimension D of x.
  TORCH_ARG(int64_t, features);
  /// Number of MADE affine layers; the feature order is reversed after each.
  TORCH_ARG(int64_t, layers) = 3;
  /// Hidden widths of each MADE.
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{64, 64};
  /// Number C of conditioning inputs.
  TORCH_ARG(int64_t, context) = 0;
};

/// Masked autoregressive flow (Papamakarios et al. 2017) with a standard normal base:
/// u_i = (x_i - mu_i(x_<i, c)) exp(-alpha_i(x_<i, c)) per layer (Eq. 4-5).
/// Tensors are (B, D) in the module's dtype; context is (B, C) or undefined when C == 0.
class MAFImpl : public torch::nn::Module {
 public:
  /// Builds `layers` MADEs with P = 2 (mu, alpha).
  explicit MAFImpl(MAFOptions options);
  /// x (B, D) -> (u (B, D), log|det du/dx| (B)); one pass per layer.
  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x,
                                                   const torch::Tensor& context = {});
  /// u (B, D) -> (x (B, D), log|det dx/du| (B)); D sequential passes per layer.
  std::tuple<torch::Tensor, torch::Tensor> inverse(const torch::Tensor& u,
                                                   const torch::Tensor& context = {});
  /// log p(x | context), (B).
  torch::Tensor log_prob(const torch::Tensor& x, const torch::Tensor& context = {});
  /// n samples (n, D); context (n, C) or (1, C) (broadcast), undefined when C == 0.
  torch::Tensor sample(int64_t n, const torch::Tensor& context = {});
  /// The options this flow was built with.
  const MAFOptions& options() const { return options_; }

 private:
  MAFOptions options_;
  std::vector<MADE> mades_;
};
/// Module holder for MAFImpl.
TORCH_MODULE(MAF);

/// Monotone rational-quadratic spline (Durkan et al. 2019, Eq. 4-8) with K bins on [-B, B] and
/// identity tails, one spline per element of x (S): raw widths/heights (S, K), raw interior
/// derivatives (S, K-1) (unconstrained; softmax/softplus inside). Returns (y, log|dy/dx|), both
/// (S); with `inverse` the inverse map and its log-derivative. Bin sizes >= min_bin_*, interior
/// derivatives >= min_derivative, boundary derivatives 1.
std::tuple<torch::Tensor, torch::Tensor> rational_quadratic_spline(
    const torch::Tensor& x, const torch::Tensor& raw_widths, const torch::Tensor& raw_heights,
    const torch::Tensor& raw_derivatives, double bound, bool inverse, double min_bin_width = 1e-3,
    double min_bin_height = 1e-3, double min_derivative = 1e-3);

/// Options of SplineFlow.
struct SplineFlowOptions {
  /// D dimensions.
  explicit SplineFlowOptions(int64_t features) : features_(features) {}
  /// Dimension D of x.
  TORCH_ARG(int64_t, features);
  /// Number of spline layers; the feature order is reversed after each.
  TORCH_ARG(int64_t, layers) = 2;
  /// Hidden widths of each conditioner (a MADE).
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{64, 64};
  /// Number C of conditioning inputs.
  TORCH_ARG(int64_t, context) = 0;
  /// Number K of spline bins.
  TORCH_ARG(int64_t, bins) = 8;
  /// Half-width B of the spline interval [-B, B]; identity outside.
  TORCH_ARG(double, bound) = 3.0;
  /// Coupling layers (first floor(D/2) features condition the rest, one-pass inverse) instead
  /// of autoregressive ones (D-pass inverse).
  TORCH_ARG(bool, coupling) = false;
};

/// Rational-quadratic neural spline flow (Durkan et al. 2019) with a standard normal base,
/// autoregressive (RQ-NSF(AR)) or coupling (RQ-NSF(C)). Tensors are (B, D) in the module's dtype;
/// context is (B, C) or undefined when C == 0.
class SplineFlowImpl : public torch::nn::Module {
 public:
  /// Builds `layers` conditioners with P = 3K - 1 outputs per feature.
  explicit SplineFlowImpl(SplineFlowOptions options);
  /// x (B, D) -> (u (B, D), log|det du/dx| (B)).
  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x,
                                                   const torch::Tensor& context = {});
  /// u (B, D) -> (x (B, D), log|det dx/du| (B)).
  std::tuple<torch::Tensor, torch::Tensor> inverse(const torch::Tensor& u,
                                                   const torch::Tensor& context = {});
  /// log p(x | context), (B).
  torch::Tensor log_prob(const torch::Tensor& x, const torch::Tensor& context = {});
  /// n samples (n, D); context (n, C) or (1, C) (broadcast), undefined when C == 0.
  torch::Tensor sample(int64_t n, const torch::Tensor& context = {});
  /// The options this flow was built with.
  const SplineFlowOptions& options() const { return options_; }

 private:
  std::tuple<torch::Tensor, torch::Tensor> layer(int64_t l, const torch::Tensor& params_input,
                                                 const torch::Tensor& x,
                                                 const torch::Tensor& context, bool inverse);
  SplineFlowOptions options_;
  std::vector<MADE> conditioners_;
  torch::Tensor transformed_;  // (D) bool on the CPU: features changed by each layer (not a
                               // buffer: Module::to(dtype) would convert it)
};
/// Module holder for SplineFlowImpl.
TORCH_MODULE(SplineFlow);

}  // namespace cosmograd::nn
