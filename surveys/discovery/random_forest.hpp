// A random forest of CART classification trees (Breiman 2001, Machine Learning 45, 5; Breiman
// et al. 1984): each tree grown on a bootstrap sample, each split the best weighted-Gini cut
// among `features_per_split` features drawn at random, leaves holding the weighted class
// fractions; the forest's probability is the mean of its trees' leaf fractions. Sample weights
// implement class weights (e.g. 1 / N_class for PLAsTiCC's flat weighting). Fixed seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// Settings of RandomForest::fit.
struct RandomForestOptions {
  int trees = 200;             ///< number of trees, >= 1
  int max_depth = 16;          ///< maximum depth of a tree (root = 0), >= 1
  int min_leaf = 3;            ///< minimum (unweighted) rows in a leaf, >= 1
  int features_per_split = 0;  ///< features tried per split; 0 = round(sqrt(F))
  bool bootstrap = true;       ///< grow each tree on a bootstrap sample (else all rows)
  std::uint64_t seed = 1;      ///< random seed
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// A fitted random forest classifier.
class RandomForest {
 public:
  /// Fits `classes` classes to rows x (N rows of F finite features each) with labels y in
  /// [0, classes) and per-row weights w (empty: all 1; else N values >= 0). Throws
  /// std::invalid_argument for ragged or empty x, bad labels, weights or options.
  void fit(const std::vector<std::vector<double>>& x, const std::vector<int>& y, int classes,
           const std::vector<double>& w, const RandomForestOptions& options = {});
  /// Class probabilities of one row (F features; sums to 1). Throws std::logic_error before
  /// fit and std::invalid_argument for a wrong number of features.
  std::vector<double> predict_proba(const std::vector<double>& row) const;
  /// Number of classes (0 before fit).
  int classes() const { return classes_; }
  /// Number of features (0 before fit).
  int features() const { return features_; }
  /// Weighted Gini-decrease importance of each feature, normalised to sum 1.
  const std::vector<double>& importance() const { return importance_; }

 private:
  struct Node {
    int feature = -1;      // -1: leaf
    double threshold = 0;  // go left when x[feature] <= threshold
    int left = -1, right = -1;
    int leaf = -1;  // index of the leaf's first probability in leaf_p_
  };
  struct Tree {
    std::vector<Node> nodes;
  };
  int classes_ = 0, features_ = 0;
  std::vector<Tree> trees_;
  std::vector<double> leaf_p_;
  std::vector<double> importance_;
  friend struct ForestBuilder;
};

}  // namespace cosmograd::surveys
