// Scores of probabilistic classifiers on held-out data: calibration (reliability bins, the
// expected calibration error, temperature scaling; Guo et al. 2017, ICML, "On Calibration of
// Modern Neural Networks"), proper scoring rules (negative log-likelihood, Brier 1950) and the
// ROC measures of the strong-lens finding challenge (AUROC, TPR0, TPR10; Metcalf et al. 2019,
// A&A 625, A119).
//
// Multiclass inputs are tensors: probabilities [N, K] (rows sum to 1), labels [N] (int64 in
// [0, K)), logits [N, K] of one model or [M, N, K] of an ensemble of M members. A binary
// classifier with one logit z is the two-class model of logits (0, z): softmax(0, z) =
// (1 - sigmoid(z), sigmoid(z)), so every multiclass function serves it too (two_class_logits).
#pragma once

#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cosmograd::surveys {

/// One confidence bin of a reliability diagram (Guo et al. 2017, section 2).
struct ReliabilityBin {
  double lo = 0;          ///< lower edge of the bin in confidence (excluded but for bin 0)
  double hi = 0;          ///< upper edge (included)
  double confidence = 0;  ///< mean top-class probability of its rows (NaN when empty)
  double accuracy = 0;    ///< fraction of its rows whose top class is the label (NaN: empty)
  std::size_t count = 0;  ///< rows whose top-class probability falls in (lo, hi]
};

/// The reliability bins of probabilities [N, K] against labels [N]: `bins` equal-width bins of
/// the top-class probability over [0, 1], a row with confidence c in bin min(bins - 1,
/// ceil(c bins) - 1) (so (lo, hi], 0 in the first); the top class is the first maximum.
/// Throws std::invalid_argument for bad shapes, labels outside [0, K) or bins < 1.
std::vector<ReliabilityBin> reliability_bins(const torch::Tensor& probabilities,
                                             const torch::Tensor& labels, int bins = 15);

/// Expected calibration error ECE = sum_b (n_b / N) |accuracy_b - confidence_b| over 15
/// equal-width confidence bins by default (Guo et al. 2017, eq. 3; Naeini et al. 2015).
double expected_calibration_error(const torch::Tensor& probabilities, const torch::Tensor& labels,
                                  int bins = 15);

/// Mean negative log-likelihood -1/N sum_i log p_i[y_i] [nats]; probabilities are clamped at
/// 1e-12 so a confident mistake costs at most 27.6 nats.
double multiclass_nll(const torch::Tensor& probabilities, const torch::Tensor& labels);

/// Brier score 1/N sum_i sum_k (p_ik - [y_i = k])^2 (Brier 1950, the multiclass form; in [0, 2]).
double brier_score(const torch::Tensor& probabilities, const torch::Tensor& labels);

/// Top-class accuracy of probabilities [N, K] against labels [N] (ties: the first maximum).
double top1_accuracy(const torch::Tensor& probabilities, const torch::Tensor& labels);

/// Confusion matrix counts [K, K] (int64): row = true class, column = predicted top class.
torch::Tensor confusion_matrix(const torch::Tensor& probabilities, const torch::Tensor& labels);

/// The two-class logits (0, z) [..., 2] of binary logits z [...] (softmax gives 1 - sigmoid(z),
/// sigmoid(z)).
torch::Tensor two_class_logits(const torch::Tensor& z);

/// The ensemble's probabilities [N, K] at temperature T > 0: the mean over members of
/// softmax(logits_m / T) (Lakshminarayanan et al. 2017 average the members' probabilities;
/// the temperature acts on each member's logits before averaging). logits: [N, K] (one member)
/// or [M, N, K]; returned as float64.
torch::Tensor ensemble_probabilities(const torch::Tensor& logits, double temperature = 1.0);

/// Fits the temperature T of ensemble_probabilities minimising the mean NLL of `labels`
/// (Guo et al. 2017, section 4.2: one scalar fitted on the validation set) plus, when
/// prior_sigma > 0, (ln T)^2 / (2 prior_sigma^2 N): the MAP temperature under a log-normal prior
/// ln T ~ N(0, prior_sigma^2), which keeps T finite when the validation set is (nearly)
/// separable (its NLL then falls without bound as T -> 0) and is negligible when N times the
/// NLL's curvature is large. Golden-section search on ln T over [ln 0.05, ln 20] to |d ln T| <
/// 1e-6 (unimodal in practice). Throws std::invalid_argument for bad shapes, labels or sigma.
double fit_temperature(const torch::Tensor& logits, const torch::Tensor& labels,
                       double prior_sigma = 0.0);

/// A ROC curve: one point per distinct score threshold t, a row being called positive when its
/// score >= t, thresholds decreasing; the first point is (0, 0) at t = +inf.
struct RocCurve {
  std::vector<double> threshold;             ///< t, +inf first, then the distinct scores
  std::vector<std::size_t> true_positives;   ///< positives with score >= t
  std::vector<std::size_t> false_positives;  ///< negatives with score >= t
  std::vector<double> tpr;                   ///< true positives / positives
  std::vector<double> fpr;                   ///< false positives / negatives
  std::size_t positives = 0;                 ///< rows with label true
  std::size_t negatives = 0;                 ///< rows with label false
};

/// The ROC curve of scores (finite) against labels (true: positive); rows with equal scores
/// enter together. Throws std::invalid_argument for unequal lengths, a non-finite score or a
/// set without both classes.
RocCurve roc_curve(const std::vector<double>& scores, const std::vector<bool>& labels);

/// Area under the ROC curve as the Mann-Whitney statistic: the probability that a random
/// positive scores above a random negative, ties counting 1/2 (Hanley & McNeil 1982); equal to
/// the trapezoidal area under roc_curve. Errors as roc_curve.
double auroc(const std::vector<double>& scores, const std::vector<bool>& labels);

/// The highest TPR of `roc` at a threshold with fewer than `max_false_positives` false
/// positives: TPR0 = tpr_below_false_positives(roc, 1) (before the first false positive) and
/// TPR10 = tpr_below_false_positives(roc, 10) (Metcalf et al. 2019, A&A 625, A119, sec. 4).
/// Throws std::invalid_argument when max_false_positives < 1.
double tpr_below_false_positives(const RocCurve& roc, std::size_t max_false_positives);

}  // namespace cosmograd::surveys
