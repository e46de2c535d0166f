// Calibration, scoring rules and ROC measures of classifiers (see classifier_metrics.hpp).
#include "surveys/vision/classifier_metrics.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"

namespace cosmograd::surveys {
namespace {

/// Checks probabilities [N, K] and labels [N] in [0, K); returns them as float64 and int64.
std::pair<torch::Tensor, torch::Tensor> checked(const torch::Tensor& probabilities,
                                                const torch::Tensor& labels) {
  if (probabilities.dim() != 2 || probabilities.size(0) < 1 || probabilities.size(1) < 2)
    throw std::invalid_argument("probabilities of shape " + c10::str(probabilities.sizes()) +
                                ": must be [N >= 1, K >= 2]");
  if (labels.dim() != 1 || labels.size(0) != probabilities.size(0))
    throw std::invalid_argument("labels of shape " + c10::str(labels.sizes()) + ": must be [" +
                                std::to_string(probabilities.size(0)) + "]");
  torch::Tensor y = labels.to(torch::kLong).contiguous();
  const int64_t k = probabilities.size(1);
  const int64_t lo = y.min().item<int64_t>(), hi = y.max().item<int64_t>();
  sim::require(lo >= 0 && hi < k, "labels", static_cast<double>(lo < 0 ? lo : hi),
               "in [0, " + std::to_string(k) + ")");
  return {probabilities.to(torch::kFloat64).contiguous(), y};
}

/// Checks logits [N, K] or [M, N, K] against labels [N]; returns [M, N, K] float64.
torch::Tensor member_logits(const torch::Tensor& logits) {
  if (logits.dim() == 2) return logits.to(torch::kFloat64).unsqueeze(0);
  if (logits.dim() == 3) return logits.to(torch::kFloat64);
  throw std::invalid_argument("logits of shape " + c10::str(logits.sizes()) +
                              ": must be [N, K] or [M, N, K]");
}

/// Mean NLL of the ensemble at temperature exp(log_t): -mean_i log(1/M sum_m softmax(z_m /
/// T)[y_i]) through logsumexp over members (stable for confident members).
double nll_at(const torch::Tensor& z, const torch::Tensor& y, double log_t) {
  const torch::Tensor lp = torch::log_softmax(z * std::exp(-log_t), 2);  // [M, N, K]
  const torch::Tensor idx = y.view({1, -1, 1}).expand({z.size(0), -1, 1});
  const torch::Tensor per_member = lp.gather(2, idx).squeeze(2);  // [M, N]
  const torch::Tensor log_mean =
      torch::logsumexp(per_member, 0) - std::log(static_cast<double>(z.size(0)));
  return -log_mean.mean().item<double>();
}

/// Rows of ROC input sorted by decreasing score; validates it.
std::vector<std::size_t> roc_order(const std::vector<double>& scores,
                                   const std::vector<bool>& labels, std::size_t* positives) {
  if (scores.size() != labels.size())
    throw std::invalid_argument("roc: " + std::to_string(scores.size()) + " scores but " +
                                std::to_string(labels.size()) + " labels");
  std::size_t pos = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    sim::require(std::isfinite(scores[i]), "scores[" + std::to_string(i) + "]", scores[i],
                 "finite");
    pos += labels[i] ? 1 : 0;
  }
  sim::require(
      pos > 0 && pos < scores.size(), "positives", static_cast<double>(pos),
      "in [1, N - 1] (N = " + std::to_string(scores.size()) + "): both classes must be present");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  *positives = pos;
  return order;
}

}  // namespace

std::vector<ReliabilityBin> reliability_bins(const torch::Tensor& probabilities,
                                             const torch::Tensor& labels, int bins) {
  sim::require(bins >= 1, "bins", bins, ">= 1");
  const auto [p, y] = checked(probabilities, labels);
  const auto [conf, pred] = p.max(1);
  const torch::Tensor c = conf.contiguous(), hit = pred.eq(y).contiguous();
  const double* cv = c.data_ptr<double>();
  const bool* hv = hit.data_ptr<bool>();
  std::vector<ReliabilityBin> out(static_cast<std::size_t>(bins));
  std::vector<double> sum_conf(out.size(), 0.0), sum_hit(out.size(), 0.0);
  for (int b = 0; b < bins; ++b) {
    out[b].lo = static_cast<double>(b) / bins;
    out[b].hi = static_cast<double>(b + 1) / bins;
  }
  for (int64_t i = 0; i < p.size(0); ++i) {
    const int b = std::clamp(static_cast<int>(std::ceil(cv[i] * bins)) - 1, 0, bins - 1);
    out[b].count += 1;
    sum_conf[b] += cv[i];
    sum_hit[b] += hv[i] ? 1.0 : 0.0;
  }
  for (std::size_t b = 0; b < out.size(); ++b) {
    const double n = static_cast<double>(out[b].count);
    out[b].confidence = out[b].count > 0 ? sum_conf[b] / n : NAN;
    out[b].accuracy = out[b].count > 0 ? sum_hit[b] / n : NAN;
  }
  return out;
}

double expected_calibration_error(const torch::Tensor& probabilities, const torch::Tensor& labels,
                                  int bins) {
  const std::vector<ReliabilityBin> rb = reliability_bins(probabilities, labels, bins);
  double ece = 0;
  const double n = static_cast<double>(probabilities.size(0));
  for (const ReliabilityBin& b : rb)
    if (b.count > 0) ece += static_cast<double>(b.count) / n * std::abs(b.accuracy - b.confidence);
  return ece;
}

double multiclass_nll(const torch::Tensor& probabilities, const torch::Tensor& labels) {
  const auto [p, y] = checked(probabilities, labels);
  return -p.gather(1, y.unsqueeze(1)).clamp_min(1e-12).log().mean().item<double>();
}

double brier_score(const torch::Tensor& probabilities, const torch::Tensor& labels) {
  const auto [p, y] = checked(probabilities, labels);
  const torch::Tensor onehot = torch::one_hot(y, p.size(1)).to(torch::kFloat64);
  return (p - onehot).square().sum(1).mean().item<double>();
}

double top1_accuracy(const torch::Tensor& probabilities, const torch::Tensor& labels) {
  const auto [p, y] = checked(probabilities, labels);
  return p.argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();
}

torch::Tensor confusion_matrix(const torch::Tensor& probabilities, const torch::Tensor& labels) {
  const auto [p, y] = checked(probabilities, labels);
  const int64_t k = p.size(1);
  const torch::Tensor pred = p.argmax(1);
  return torch::bincount(y * k + pred, {}, k * k).view({k, k}).to(torch::kLong);
}

torch::Tensor two_class_logits(const torch::Tensor& z) {
  return torch::stack({torch::zeros_like(z), z}, -1);
}

torch::Tensor ensemble_probabilities(const torch::Tensor& logits, double temperature) {
  sim::require(sim::positive(temperature), "temperature", temperature, "> 0 and finite");
  return torch::softmax(member_logits(logits) / temperature, 2).mean(0);
}

double fit_temperature(const torch::Tensor& logits, const torch::Tensor& labels,
                       double prior_sigma) {
  torch::NoGradGuard no_grad;
  sim::require(prior_sigma >= 0 && std::isfinite(prior_sigma), "prior_sigma", prior_sigma,
               ">= 0 and finite (0: no prior)");
  const torch::Tensor z = member_logits(logits);
  const torch::Tensor y = checked(z[0], labels).second;
  const double n = static_cast<double>(y.size(0));
  auto objective = [&](double log_t) {
    const double prior =
        prior_sigma > 0 ? log_t * log_t / (2 * prior_sigma * prior_sigma * n) : 0.0;
    return nll_at(z, y, log_t) + prior;
  };
  // Golden-section search (Kiefer 1953) on log T.
  const double g = (std::sqrt(5.0) - 1) / 2;
  double a = std::log(0.05), b = std::log(20.0);
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = objective(c), fd = objective(d);
  while (b - a > 1e-6) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = objective(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = objective(d);
    }
  }
  return std::exp(0.5 * (a + b));
}

RocCurve roc_curve(const std::vector<double>& scores, const std::vector<bool>& labels) {
  RocCurve r;
  const std::vector<std::size_t> order = roc_order(scores, labels, &r.positives);
  r.negatives = scores.size() - r.positives;
  r.threshold.push_back(std::numeric_limits<double>::infinity());
  r.true_positives.push_back(0);
  r.false_positives.push_back(0);
  std::size_t tp = 0, fp = 0;
  for (std::size_t k = 0; k < order.size();) {
    const double t = scores[order[k]];
    for (; k < order.size() && scores[order[k]] == t; ++k) (labels[order[k]] ? tp : fp) += 1;
    r.threshold.push_back(t);
    r.true_positives.push_back(tp);
    r.false_positives.push_back(fp);
  }
  for (std::size_t k = 0; k < r.threshold.size(); ++k) {
    r.tpr.push_back(static_cast<double>(r.true_positives[k]) / r.positives);
    r.fpr.push_back(static_cast<double>(r.false_positives[k]) / r.negatives);
  }
  return r;
}

double auroc(const std::vector<double>& scores, const std::vector<bool>& labels) {
  std::size_t positives = 0;
  const std::vector<std::size_t> order = roc_order(scores, labels, &positives);
  // Mann-Whitney U through mid-ranks (ascending ranks 1..N, ties share their mean rank).
  const std::size_t n = order.size();
  double rank_sum = 0;
  for (std::size_t k = 0; k < n;) {
    std::size_t e = k;
    while (e < n && scores[order[e]] == scores[order[k]]) ++e;
    // Descending positions k..e-1 hold ascending ranks n-e+1 .. n-k; their mean:
    const double mid = 0.5 * (static_cast<double>(n - e + 1) + static_cast<double>(n - k));
    for (std::size_t j = k; j < e; ++j)
      if (labels[order[j]]) rank_sum += mid;
    k = e;
  }
  const double np = static_cast<double>(positives), nn = static_cast<double>(n - positives);
  return (rank_sum - np * (np + 1) / 2) / (np * nn);
}

double tpr_below_false_positives(const RocCurve& roc, std::size_t max_false_positives) {
  sim::require(max_false_positives >= 1, "max_false_positives",
               static_cast<double>(max_false_positives), ">= 1");
  double best = 0;
  for (std::size_t k = 0; k < roc.tpr.size(); ++k)
    if (roc.false_positives[k] < max_false_positives) best = std::max(best, roc.tpr[k]);
  return best;
}

}  // namespace cosmograd::surveys
