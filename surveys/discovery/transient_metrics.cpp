// PLAsTiCC flat-weighted log-loss and one-vs-rest AUC (see transient_metrics.hpp).
#include "surveys/discovery/transient_metrics.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "surveys/vision/classifier_metrics.hpp"

namespace cosmograd::surveys {
namespace {

void check(const torch::Tensor& p, const torch::Tensor& y) {
  if (p.dim() != 2 || y.dim() != 1 || p.size(0) != y.size(0) || p.size(0) == 0)
    throw std::invalid_argument("probabilities [N, K] and labels [N] with N > 0 expected, got " +
                                std::to_string(p.dim()) + "-d and " + std::to_string(y.dim()) +
                                "-d tensors");
  const auto lo = y.min().item<int64_t>(), hi = y.max().item<int64_t>();
  if (lo < 0 || hi >= p.size(1))
    throw std::invalid_argument("labels = " + std::to_string(lo) + ".." + std::to_string(hi) +
                                " (allowed: 0.." + std::to_string(p.size(1) - 1) + ")");
}

}  // namespace

double flat_log_loss(const torch::Tensor& probabilities, const torch::Tensor& labels) {
  check(probabilities, labels);
  torch::Tensor p = probabilities.to(torch::kFloat64).clamp(1e-15, 1 - 1e-15);
  p = p / p.sum(1, true);
  const torch::Tensor y = labels.to(torch::kLong);
  const torch::Tensor lp = p.gather(1, y.unsqueeze(1)).squeeze(1).log();
  double sum = 0;
  int present = 0;
  for (int64_t c = 0; c < p.size(1); ++c) {
    const torch::Tensor m = y.eq(c);
    const int64_t n = m.sum().item<int64_t>();
    if (n == 0) continue;
    sum += -lp.masked_select(m).sum().item<double>() / static_cast<double>(n);
    ++present;
  }
  return sum / present;
}

double one_vs_rest_auc(const torch::Tensor& probabilities, const torch::Tensor& labels,
                       int positive) {
  check(probabilities, labels);
  const torch::Tensor s = probabilities.select(1, positive).to(torch::kFloat64).contiguous();
  const torch::Tensor y = labels.to(torch::kLong).contiguous();
  std::vector<double> scores(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
  std::vector<bool> pos;
  bool any_pos = false, any_neg = false;
  for (int64_t i = 0; i < y.numel(); ++i) {
    pos.push_back(y.data_ptr<int64_t>()[i] == positive);
    any_pos = any_pos || pos.back();
    any_neg = any_neg || !pos.back();
  }
  if (!any_pos || !any_neg) return std::numeric_limits<double>::quiet_NaN();
  return auroc(scores, pos);
}

}  // namespace cosmograd::surveys
