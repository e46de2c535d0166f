// Isolation forest and kNN-distance anomaly scores (see anomaly_detection.hpp).
#include "surveys/discovery/anomaly_detection.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

#include "surveys/discovery/neighbours.hpp"

namespace cosmograd::surveys {
namespace {

struct Node {
  int dim = -1;  // -1: external node
  float split = 0;
  int left = -1, right = -1;
  std::size_t size = 0;  // points reaching an external node
};

class Tree {
 public:
  Tree(const std::vector<float>& v, std::size_t d, std::vector<std::size_t> rows, int height_limit,
       std::mt19937_64& rng)
      : v_(v), d_(d), limit_(height_limit), rng_(rng) {
    grow(rows, 0);
  }
  /// Path length h(x) of the point x (Liu et al. 2008, alg. 3).
  double path_length(const float* x) const {
    int node = 0, e = 0;
    while (nodes_[node].dim >= 0) {
      node = x[nodes_[node].dim] < nodes_[node].split ? nodes_[node].left : nodes_[node].right;
      ++e;
    }
    return e + iforest_c(static_cast<double>(nodes_[node].size));
  }

 private:
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  int grow(std::vector<std::size_t>& rows, int depth) {
    const int id = static_cast<int>(nodes_.size());
    nodes_.emplace_back();
    if (depth >= limit_ || rows.size() <= 1) {
      nodes_[id].size = rows.size();
      return id;
    }
    // A random dimension among those that vary at this node (Liu et al. pick any; dims that
    // do not vary cannot split).
    std::vector<int> dims(d_);
    std::iota(dims.begin(), dims.end(), 0);
    for (std::size_t tries = d_; tries > 0; --tries) {
      const std::size_t pick = static_cast<std::size_t>(uniform() * tries);
      const int q = dims[pick];
      std::swap(dims[pick], dims[tries - 1]);
      float lo = v_[rows[0] * d_ + q], hi = lo;
      for (std::size_t r : rows) {
        lo = std::min(lo, v_[r * d_ + q]);
        hi = std::max(hi, v_[r * d_ + q]);
      }
      if (!(hi > lo)) continue;
      float p = static_cast<float>(lo + uniform() * (hi - lo));
      if (!(p > lo)) p = std::nextafter(lo, hi);
      std::vector<std::size_t> l, r;
      for (std::size_t row : rows) (v_[row * d_ + q] < p ? l : r).push_back(row);
      nodes_[id].dim = q;
      nodes_[id].split = p;
      const int a = grow(l, depth + 1);
      const int b = grow(r, depth + 1);
      nodes_[id].left = a;
      nodes_[id].right = b;
      return id;
    }
    nodes_[id].size = rows.size();  // all points equal: external
    return id;
  }

  const std::vector<float>& v_;
  std::size_t d_;
  int limit_;
  std::mt19937_64& rng_;
  std::vector<Node> nodes_;
};

}  // namespace

double iforest_c(double n) {
  if (n <= 1) return 0.0;
  if (n == 2) return 1.0;
  const double h = std::log(n - 1) + 0.5772156649015329;
  return 2 * h - 2 * (n - 1) / n;
}

void IsolationForestOptions::validate() const {
  if (trees < 1) throw std::invalid_argument("trees = " + std::to_string(trees) + ": must be >= 1");
  if (subsample < 2)
    throw std::invalid_argument("subsample = " + std::to_string(subsample) + ": must be >= 2");
}

std::vector<double> isolation_forest_scores(const std::vector<float>& values, std::size_t n,
                                            std::size_t d, const IsolationForestOptions& o) {
  o.validate();
  if (values.size() != n * d || n < 2 || d < 1)
    throw std::invalid_argument(
        "isolation_forest_scores: need n >= 2 rows of d >= 1 values (n = " + std::to_string(n) +
        ", d = " + std::to_string(d) + ", " + std::to_string(values.size()) + " values)");
  const std::size_t psi = std::min<std::size_t>(n, static_cast<std::size_t>(o.subsample));
  const int limit = static_cast<int>(std::ceil(std::log2(static_cast<double>(psi))));
  std::mt19937_64 rng(o.seed);
  std::vector<double> total(n, 0.0);
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  for (int t = 0; t < o.trees; ++t) {
    // Subsample without replacement: a partial Fisher-Yates shuffle.
    for (std::size_t i = 0; i < psi; ++i) {
      const std::size_t j = i + static_cast<std::size_t>((rng() >> 11) * 0x1.0p-53 * (n - i));
      std::swap(all[i], all[j]);
    }
    const Tree tree(values, d, std::vector<std::size_t>(all.begin(), all.begin() + psi), limit,
                    rng);
    for (std::size_t i = 0; i < n; ++i) total[i] += tree.path_length(&values[i * d]);
  }
  const double c = iforest_c(static_cast<double>(psi));
  std::vector<double> s(n);
  for (std::size_t i = 0; i < n; ++i) s[i] = std::pow(2.0, -(total[i] / o.trees) / c);
  return s;
}

std::vector<double> knn_distance_scores(const std::vector<float>& values, std::size_t n,
                                        std::size_t d, std::size_t k) {
  const NeighbourTable t = nearest_neighbours(values, n, d, k);
  std::vector<double> s(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t q = 0; q < k; ++q) s[i] += t.distance[i * k + q];
    s[i] /= k;
  }
  return s;
}

std::vector<std::size_t> rank_descending(const std::vector<double>& scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

double top_n_share(const std::vector<std::size_t>& order, const std::vector<std::int32_t>& labels,
                   std::size_t top_n, int kind) {
  const std::size_t m = std::min(top_n, order.size());
  if (m == 0) return 0.0;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const std::int32_t l = labels[order[i]];
    hits += kind < 0 ? l > 0 : l == kind;
  }
  return double(hits) / m;
}

}  // namespace cosmograd::surveys
