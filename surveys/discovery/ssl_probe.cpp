// Labels and the linear probe of the self-supervised encoder (see ssl_probe.hpp).
#include "surveys/discovery/ssl_probe.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <stdexcept>

#include "sim/core/require.hpp"
#include "surveys/vision/softmax_regression.hpp"

namespace cosmograd::surveys {

std::vector<double> quantile_bin_edges(std::vector<double> z, int bins) {
  sim::require(bins >= 2 && bins <= 100, "zbins", bins, "in [2, 100]");
  z.erase(std::remove_if(z.begin(), z.end(), [](double v) { return !std::isfinite(v); }), z.end());
  std::sort(z.begin(), z.end());
  const std::set<double> distinct(z.begin(), z.end());
  if (static_cast<int>(distinct.size()) < bins)
    throw std::invalid_argument("redshift bins: " + std::to_string(distinct.size()) +
                                " distinct finite redshifts for " + std::to_string(bins) +
                                " bins (need at least as many)");
  std::vector<double> edges(static_cast<std::size_t>(bins) + 1);
  edges.front() = z.front();
  edges.back() = z.back();
  for (int i = 1; i < bins; ++i) {
    // Linear interpolation between order statistics (numpy's default quantile).
    const double pos = static_cast<double>(i) / bins * static_cast<double>(z.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, z.size() - 1);
    edges[static_cast<std::size_t>(i)] = z[lo] + (pos - static_cast<double>(lo)) * (z[hi] - z[lo]);
  }
  for (int i = 1; i <= bins; ++i)
    if (!(edges[static_cast<std::size_t>(i)] > edges[static_cast<std::size_t>(i) - 1]))
      throw std::invalid_argument("redshift bins: equal quantile edges (too many ties)");
  return edges;
}

int32_t bin_of(double z, const std::vector<double>& edges) {
  if (edges.size() < 3) throw std::invalid_argument("bin_of: need at least 3 edges (2 bins)");
  if (std::isnan(z)) return -1;
  const auto bins = static_cast<int32_t>(edges.size() - 1);
  const auto it = std::upper_bound(edges.begin() + 1, edges.end() - 1, z);
  return std::min<int32_t>(bins - 1, static_cast<int32_t>(it - (edges.begin() + 1)));
}

std::vector<std::string> redshift_bin_names(const std::vector<double>& edges) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "z%.2f-%.2f", edges[i], edges[i + 1]);
    names.emplace_back(buf);
  }
  return names;
}

std::vector<std::size_t> labelled_subset(std::size_t n, double fraction, std::uint64_t seed) {
  sim::require(fraction > 0 && fraction <= 1, "label_fraction", fraction, "in (0, 1]");
  std::vector<std::size_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) perm[i] = i;
  std::mt19937_64 rng(seed);
  for (std::size_t i = n; i > 1; --i)  // Fisher-Yates with a portable index draw
    std::swap(perm[i - 1], perm[static_cast<std::size_t>(rng() % i)]);
  const auto k = std::min<std::size_t>(
      n, std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(fraction * n))));
  std::vector<std::size_t> out(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(k));
  std::sort(out.begin(), out.end());
  return out;
}

double linear_probe_accuracy(const torch::Tensor& x_train, const torch::Tensor& y_train,
                             const torch::Tensor& x_test, const torch::Tensor& y_test,
                             int64_t classes, double l2) {
  if (x_test.dim() != 2 || x_train.dim() != 2 || x_test.size(1) != x_train.size(1) ||
      y_test.dim() != 1 || y_test.size(0) != x_test.size(0) || x_test.size(0) < 1)
    throw std::invalid_argument(
        "linear probe: x_train [N, F], x_test [M >= 1, F], y_test [M]; got " +
        c10::str(x_train.sizes()) + ", " + c10::str(x_test.sizes()) + ", " +
        c10::str(y_test.sizes()));
  std::vector<std::string> names;
  for (int64_t i = 0; i < x_train.size(1); ++i) names.push_back("e" + std::to_string(i));
  const SoftmaxRegression r = fit_softmax_regression(x_train.to(torch::kFloat64),
                                                     y_train.to(torch::kLong), classes, names, l2);
  const torch::Tensor pred = r.logits(x_test.to(torch::kFloat64)).argmax(1);
  return pred.eq(y_test.to(torch::kLong)).to(torch::kFloat64).mean().item<double>();
}

}  // namespace cosmograd::surveys
