// Scores of light-curve classifiers: the PLAsTiCC weighted log-loss with flat weights (Malz et
// al. 2019, AJ 158, 171, eq. 1 with all w_i = 1; the PLAsTiCC Kaggle metric's form, Kessler et
// al. 2019), and the SN Ia vs rest AUC (the Mann-Whitney AUROC of surveys/vision/
// classifier_metrics.hpp on P(Ia)). Accuracy and confusion matrices are those of
// classifier_metrics.hpp. Probabilities are [N, K] tensors (rows sum to 1), labels [N] int64.
#pragma once

#include <torch/types.h>

namespace cosmograd::surveys {

/// Flat-weighted log-loss [nats]: -sum_i w_i (1/N_i) sum_{j in class i} ln p_ij / sum_i w_i
/// with w_i = 1 over the classes i present among the labels (N_i > 0), probabilities clipped
/// to [1e-15, 1 - 1e-15] and renormalised per row (Malz et al. 2019, AJ 158, 171). Throws
/// std::invalid_argument for bad shapes, labels outside [0, K) or no rows.
double flat_log_loss(const torch::Tensor& probabilities, const torch::Tensor& labels);

/// AUROC of P(class `positive`) separating that class from the rest (e.g. SN Ia, class 0);
/// NaN when the labels hold only one of the two groups.
double one_vs_rest_auc(const torch::Tensor& probabilities, const torch::Tensor& labels,
                       int positive);

}  // namespace cosmograd::surveys
