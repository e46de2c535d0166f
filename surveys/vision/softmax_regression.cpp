// Softmax regression baselines (see softmax_regression.hpp).
#include "surveys/vision/softmax_regression.hpp"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"
#include "surveys/vision/classifier_metrics.hpp"

namespace cosmograd::surveys {
namespace {

/// Standardised features with NaN replaced by 0 (the training mean).
torch::Tensor standardise(const torch::Tensor& features, const torch::Tensor& mean,
                          const torch::Tensor& scale) {
  const torch::Tensor z = (features.to(torch::kFloat64) - mean) / scale;
  return torch::where(torch::isnan(z), torch::zeros_like(z), z);
}

}  // namespace

torch::Tensor SoftmaxRegression::logits(const torch::Tensor& features) const {
  if (features.dim() != 2 || features.size(1) != mean.size(0))
    throw std::invalid_argument("softmax regression features of shape " +
                                c10::str(features.sizes()) + ": must be [N, " +
                                std::to_string(mean.size(0)) + "]");
  torch::NoGradGuard no_grad;
  return torch::addmm(bias, standardise(features, mean, scale), weight.t());
}

torch::Tensor SoftmaxRegression::probabilities(const torch::Tensor& features,
                                               bool calibrated) const {
  return ensemble_probabilities(logits(features), calibrated ? temperature : 1.0);
}

SoftmaxRegression fit_softmax_regression(const torch::Tensor& features, const torch::Tensor& labels,
                                         int64_t classes, std::vector<std::string> feature_names,
                                         double l2) {
  sim::require(l2 >= 0 && std::isfinite(l2), "l2", l2, ">= 0 and finite");
  sim::require(classes >= 2, "classes", static_cast<double>(classes), ">= 2");
  if (features.dim() != 2 || features.size(0) < 2 || labels.dim() != 1 ||
      labels.size(0) != features.size(0))
    throw std::invalid_argument("softmax regression: features " + c10::str(features.sizes()) +
                                " and labels " + c10::str(labels.sizes()) +
                                " must be [N >= 2, F] and [N]");
  sim::require(static_cast<int64_t>(feature_names.size()) == features.size(1), "feature_names",
               static_cast<double>(feature_names.size()),
               "one per feature column (" + std::to_string(features.size(1)) + ")");
  const torch::Tensor y = labels.to(torch::kLong);
  sim::require(y.min().item<int64_t>() >= 0 && y.max().item<int64_t>() < classes, "labels",
               static_cast<double>(y.max().item<int64_t>()),
               "in [0, " + std::to_string(classes) + ")");
  SoftmaxRegression r;
  r.feature_names = std::move(feature_names);
  const torch::Tensor x = features.to(torch::kFloat64);
  const torch::Tensor ok = ~torch::isnan(x);
  const torch::Tensor count = ok.sum(0).to(torch::kFloat64).clamp_min(1);
  const torch::Tensor x0 = torch::where(ok, x, torch::zeros_like(x));
  r.mean = x0.sum(0) / count;
  const torch::Tensor dev = torch::where(ok, x - r.mean, torch::zeros_like(x));
  r.scale = (dev.square().sum(0) / count).sqrt();
  r.scale = torch::where(r.scale > 0, r.scale, torch::ones_like(r.scale));
  const torch::Tensor z = standardise(x, r.mean, r.scale);

  torch::Tensor w = torch::zeros({classes, x.size(1)}, torch::kFloat64).requires_grad_(true);
  torch::Tensor b = torch::zeros({classes}, torch::kFloat64).requires_grad_(true);
  torch::optim::LBFGS opt({w, b}, torch::optim::LBFGSOptions(1.0)
                                      .max_iter(500)
                                      .tolerance_grad(1e-9)
                                      .tolerance_change(1e-12)
                                      .history_size(20)
                                      .line_search_fn("strong_wolfe"));
  auto closure = [&]() -> torch::Tensor {
    opt.zero_grad();
    const torch::Tensor loss = torch::nn::functional::cross_entropy(torch::addmm(b, z, w.t()), y) +
                               0.5 * l2 * w.square().sum();
    loss.backward();
    return loss;
  };
  opt.step(closure);
  r.weight = w.detach();
  r.bias = b.detach();
  return r;
}

}  // namespace cosmograd::surveys
