// Random forest of CART trees (see random_forest.hpp).
#include "surveys/discovery/random_forest.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "sim/core/require.hpp"

namespace cosmograd::surveys {

void RandomForestOptions::validate() const {
  sim::require(trees >= 1 && trees <= 100000, "trees", trees, "in [1, 100000]");
  sim::require(max_depth >= 1 && max_depth <= 64, "max_depth", max_depth, "in [1, 64]");
  sim::require(min_leaf >= 1, "min_leaf", min_leaf, ">= 1");
  sim::require(features_per_split >= 0, "features_per_split", features_per_split,
               ">= 0 (0: sqrt of the number of features)");
}

/// Grows the trees of a RandomForest.
struct ForestBuilder {
  RandomForest& f;
  const std::vector<std::vector<double>>& x;
  const std::vector<int>& y;
  std::vector<double> w;  // this tree's row weights (bootstrap count times the row weight)
  const RandomForestOptions& o;
  int mtry = 1;
  std::mt19937_64 rng;
  std::vector<int> feature_order;
  std::vector<std::pair<double, std::size_t>> sorted;

  /// Gini impurity times the total weight: W - sum_c w_c^2 / W.
  static double weighted_gini(const std::vector<double>& cw, double total) {
    if (total <= 0) return 0;
    double s = 0;
    for (double v : cw) s += v * v;
    return total - s / total;
  }

  int grow(RandomForest::Tree& tree, std::vector<std::size_t>& rows, int depth) {
    const int k = f.classes_;
    std::vector<double> cw(static_cast<std::size_t>(k), 0.0);
    double total = 0;
    for (std::size_t r : rows) {
      cw[static_cast<std::size_t>(y[r])] += w[r];
      total += w[r];
    }
    const int node = static_cast<int>(tree.nodes.size());
    tree.nodes.emplace_back();
    const double parent = weighted_gini(cw, total);
    int best_f = -1;
    double best_gain = 1e-12 * total, best_thr = 0;
    const auto n = static_cast<int>(rows.size());
    if (depth < o.max_depth && n >= 2 * o.min_leaf && parent > 1e-12 * total) {
      // The first mtry features of a fresh random permutation.
      for (int i = 0; i < mtry; ++i) {
        std::uniform_int_distribution<int> pick(i, f.features_ - 1);
        std::swap(feature_order[static_cast<std::size_t>(i)],
                  feature_order[static_cast<std::size_t>(pick(rng))]);
      }
      for (int fi = 0; fi < mtry; ++fi) {
        const int feat = feature_order[static_cast<std::size_t>(fi)];
        sorted.clear();
        for (std::size_t r : rows) sorted.emplace_back(x[r][static_cast<std::size_t>(feat)], r);
        std::sort(sorted.begin(), sorted.end());
        if (sorted.front().first == sorted.back().first) continue;
        std::vector<double> left(static_cast<std::size_t>(k), 0.0);
        std::vector<double> right = cw;
        double wl = 0;
        for (int i = 0; i + 1 < n; ++i) {
          const std::size_t r = sorted[static_cast<std::size_t>(i)].second;
          const auto c = static_cast<std::size_t>(y[r]);
          left[c] += w[r];
          right[c] -= w[r];
          wl += w[r];
          const double v = sorted[static_cast<std::size_t>(i)].first;
          const double v_next = sorted[static_cast<std::size_t>(i + 1)].first;
          if (v == v_next || i + 1 < o.min_leaf || n - i - 1 < o.min_leaf) continue;
          const double gain = parent - weighted_gini(left, wl) - weighted_gini(right, total - wl);
          if (gain > best_gain) {
            best_gain = gain;
            best_f = feat;
            best_thr = 0.5 * (v + v_next);
            if (!(best_thr < v_next)) best_thr = v;  // adjacent doubles
          }
        }
      }
    }
    if (best_f < 0) {
      RandomForest::Node& leaf = tree.nodes[static_cast<std::size_t>(node)];
      leaf.leaf = static_cast<int>(f.leaf_p_.size());
      for (double v : cw) f.leaf_p_.push_back(total > 0 ? v / total : 1.0 / k);
      return node;
    }
    f.importance_[static_cast<std::size_t>(best_f)] += best_gain;
    std::vector<std::size_t> lrows, rrows;
    for (std::size_t r : rows)
      (x[r][static_cast<std::size_t>(best_f)] <= best_thr ? lrows : rrows).push_back(r);
    rows.clear();
    rows.shrink_to_fit();
    const int l = grow(tree, lrows, depth + 1);
    const int rr = grow(tree, rrows, depth + 1);
    RandomForest::Node& nd = tree.nodes[static_cast<std::size_t>(node)];
    nd.feature = best_f;
    nd.threshold = best_thr;
    nd.left = l;
    nd.right = rr;
    return node;
  }
};

void RandomForest::fit(const std::vector<std::vector<double>>& x, const std::vector<int>& y,
                       int classes, const std::vector<double>& w, const RandomForestOptions& o) {
  o.validate();
  if (x.empty()) throw std::invalid_argument("random forest: no training rows (x is empty)");
  if (y.size() != x.size())
    throw std::invalid_argument("random forest: " + std::to_string(x.size()) + " rows but " +
                                std::to_string(y.size()) + " labels (allowed: equal)");
  if (!w.empty() && w.size() != x.size())
    throw std::invalid_argument("random forest: " + std::to_string(w.size()) + " weights for " +
                                std::to_string(x.size()) + " rows (allowed: none or one per row)");
  sim::require(classes >= 2, "classes", classes, ">= 2");
  const std::size_t nf = x.front().size();
  if (nf == 0) throw std::invalid_argument("random forest: rows have no features");
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i].size() != nf)
      throw std::invalid_argument("random forest: row " + std::to_string(i) + " has " +
                                  std::to_string(x[i].size()) +
                                  " features (allowed: " + std::to_string(nf) + ", as row 0)");
    for (double v : x[i])
      if (!std::isfinite(v))
        throw std::invalid_argument("random forest: row " + std::to_string(i) +
                                    " has a non-finite feature");
    if (y[i] < 0 || y[i] >= classes)
      throw std::invalid_argument("random forest: label " + std::to_string(y[i]) + " of row " +
                                  std::to_string(i) + " (allowed: 0.." +
                                  std::to_string(classes - 1) + ")");
    if (!w.empty()) sim::require(w[i] >= 0 && std::isfinite(w[i]), "weight", w[i], ">= 0");
  }
  classes_ = classes;
  features_ = static_cast<int>(nf);
  trees_.assign(static_cast<std::size_t>(o.trees), Tree{});
  leaf_p_.clear();
  importance_.assign(nf, 0.0);
  ForestBuilder b{*this, x, y, {}, o, 1, std::mt19937_64(o.seed), {}, {}};
  b.mtry = o.features_per_split > 0
               ? std::min(o.features_per_split, features_)
               : std::max(1, static_cast<int>(std::lround(std::sqrt(static_cast<double>(nf)))));
  b.feature_order.resize(nf);
  std::iota(b.feature_order.begin(), b.feature_order.end(), 0);
  const std::size_t n = x.size();
  for (int t = 0; t < o.trees; ++t) {
    b.rng.seed(o.seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(t) + 1);
    std::vector<double> count(n, o.bootstrap ? 0.0 : 1.0);
    if (o.bootstrap) {
      std::uniform_int_distribution<std::size_t> pick(0, n - 1);
      for (std::size_t i = 0; i < n; ++i) count[pick(b.rng)] += 1;
    }
    b.w.assign(n, 0.0);
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < n; ++i)
      if (count[i] > 0) {
        b.w[i] = count[i] * (w.empty() ? 1.0 : w[i]);
        rows.push_back(i);
      }
    b.grow(trees_[static_cast<std::size_t>(t)], rows, 0);
  }
  const double s = std::accumulate(importance_.begin(), importance_.end(), 0.0);
  if (s > 0)
    for (double& v : importance_) v /= s;
}

std::vector<double> RandomForest::predict_proba(const std::vector<double>& row) const {
  if (trees_.empty()) throw std::logic_error("random forest: predict_proba before fit");
  if (static_cast<int>(row.size()) != features_)
    throw std::invalid_argument("random forest: row has " + std::to_string(row.size()) +
                                " features (allowed: " + std::to_string(features_) + ")");
  std::vector<double> p(static_cast<std::size_t>(classes_), 0.0);
  for (const Tree& t : trees_) {
    int i = 0;
    while (t.nodes[static_cast<std::size_t>(i)].feature >= 0) {
      const Node& nd = t.nodes[static_cast<std::size_t>(i)];
      i = row[static_cast<std::size_t>(nd.feature)] <= nd.threshold ? nd.left : nd.right;
    }
    const int l = t.nodes[static_cast<std::size_t>(i)].leaf;
    for (int c = 0; c < classes_; ++c)
      p[static_cast<std::size_t>(c)] += leaf_p_[static_cast<std::size_t>(l + c)];
  }
  for (double& v : p) v /= static_cast<double>(trees_.size());
  return p;
}

}  // namespace cosmograd::surveys
