// Unsupervised anomaly scores of embeddings or features (Astronomaly, Lochner & Bassett 2021):
// the isolation forest (Liu, Ting & Zhou 2008) and the mean distance to the k nearest
// neighbours, and the share of known rare objects among the top-N scores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cosmograd::surveys {

/// c(n) = 2 H(n - 1) - 2 (n - 1) / n, H(i) = ln(i) + 0.5772156649 (Euler's constant): the mean
/// path length of an unsuccessful binary-search-tree search among n points (Liu, Ting & Zhou
/// 2008, eq. 1); c(1) = 0, c(2) = 1.
double iforest_c(double n);

/// Isolation-forest settings (Liu, Ting & Zhou 2008: 100 trees, subsample 256).
struct IsolationForestOptions {
  int trees = 100;         ///< t: trees, >= 1
  int subsample = 256;     ///< psi: points per tree (min with N), >= 2
  std::uint64_t seed = 1;  ///< random seed (subsamples, split dimensions and values)
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// Isolation-forest anomaly scores s = 2^(-E[h(x)] / c(psi)) in (0, 1) of the n rows of `values`
/// (n x d, row-major): trees grown on subsamples of psi rows to height ceil(log2 psi), each
/// split on a random dimension at a uniform value between the node's min and max; h(x) is the
/// path length plus c(size) of the external node reached (Liu et al. 2008, alg. 1-3, eq. 2).
/// Higher is more anomalous.
std::vector<double> isolation_forest_scores(const std::vector<float>& values, std::size_t n,
                                            std::size_t d, const IsolationForestOptions& options);

/// The mean Euclidean distance of each row to its k nearest other rows (exact): higher is more
/// anomalous. Throws std::invalid_argument unless 1 <= k < n.
std::vector<double> knn_distance_scores(const std::vector<float>& values, std::size_t n,
                                        std::size_t d, std::size_t k);

/// Rows in descending order of `scores` (ties: lower row first).
std::vector<std::size_t> rank_descending(const std::vector<double>& scores);

/// The share of the top-N rows of `order` whose label equals `kind` (kind < 0: any label > 0);
/// rows with label < 0 count as not rare.
double top_n_share(const std::vector<std::size_t>& order, const std::vector<std::int32_t>& labels,
                   std::size_t top_n, int kind = -1);

}  // namespace cosmograd::surveys
