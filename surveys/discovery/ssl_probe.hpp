// Labels and the linear probe of the self-supervised stamp encoder: the standard evaluation of
// a representation (Chen et al. 2020, sec. 4; Stein et al. 2022, sec. 5) is a linear
// (multinomial logistic) classifier fitted on a few labelled embeddings and scored on held-out
// ones. Labels from the mock truth: the morphology class of the truth's spiral arms
// (morphology_labels.hpp) and a redshift bin of redshift_true with quantile edges.
#pragma once

#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "surveys/mocks/table.hpp"

namespace cosmograd::surveys {

/// Edges e_0 < ... < e_B of B bins holding equal shares of the values z (their quantiles;
/// e_0 = min z, e_B = max z); throws std::invalid_argument when z has fewer than B distinct
/// values or bins < 2.
std::vector<double> quantile_bin_edges(std::vector<double> z, int bins);

/// The bin of z among edges e (B = e.size() - 1 bins): the i with e_i <= z < e_{i+1}, values
/// below e_0 in bin 0 and at or above e_B in bin B - 1; -1 for NaN.
int32_t bin_of(double z, const std::vector<double>& edges);

/// The names of redshift bins, e.g. "z0.00-0.35" (two decimals).
std::vector<std::string> redshift_bin_names(const std::vector<double>& edges);

/// A seeded share of the rows 0..n-1: the first max(1, round(fraction n)) of a permutation
/// (seed), sorted; fraction in (0, 1] (std::invalid_argument otherwise). The subsets of a seed
/// are nested: a smaller fraction takes a prefix of the same permutation.
std::vector<std::size_t> labelled_subset(std::size_t n, double fraction, std::uint64_t seed);

/// Accuracy of a linear probe: a softmax regression (softmax_regression.hpp, L2 penalty l2 on
/// standardised features, NaN features set to the training mean) fitted on (x_train [N, F],
/// y_train [N] int64 in [0, K)), scored as the share of the argmax equal to y_test on x_test.
double linear_probe_accuracy(const torch::Tensor& x_train, const torch::Tensor& y_train,
                             const torch::Tensor& x_test, const torch::Tensor& y_test,
                             int64_t classes, double l2);

}  // namespace cosmograd::surveys
