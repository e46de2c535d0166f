// Multinomial logistic (softmax) regression on standardised features with an L2 penalty: the
// classical baselines of the vision classifiers (non-parametric morphology measures, lens
// residual features). Fitted by L-BFGS (Nocedal 1980) with a strong-Wolfe line search on the
// full training set; a missing feature (NaN) is replaced by the training mean (0 after
// standardisation).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// A fitted softmax regression p(k | x) = softmax(W (x - mean) / scale + b)_k.
struct SoftmaxRegression {
  std::vector<std::string> feature_names;  ///< F names
  torch::Tensor mean;                      ///< [F] training means of the features
  torch::Tensor scale;                     ///< [F] training standard deviations (1 if 0)
  torch::Tensor weight;                    ///< [K, F] float64
  torch::Tensor bias;                      ///< [K] float64
  double temperature = 1;                  ///< calibration temperature (fit_temperature)

  /// Logits [N, K] (float64) of features [N, F] (NaN: the training mean).
  torch::Tensor logits(const torch::Tensor& features) const;
  /// Probabilities [N, K] at the temperature (calibrated) or at T = 1.
  torch::Tensor probabilities(const torch::Tensor& features, bool calibrated = true) const;
};

/// Fits K classes to features [N, F] (finite or NaN) and labels [N] (int64 in [0, K)),
/// minimising the mean cross-entropy + l2 / 2 |W|^2 (l2 >= 0; the bias is not penalised).
/// Throws std::invalid_argument for bad shapes, labels, names or l2.
SoftmaxRegression fit_softmax_regression(const torch::Tensor& features, const torch::Tensor& labels,
                                         int64_t classes, std::vector<std::string> feature_names,
                                         double l2);

}  // namespace cosmograd::surveys
