// The k-nearest-neighbour photo-z baseline (as in RAIL's KNearNeighPDF; Ball et al. 2008, ApJ
// 683, 12): neighbours of a galaxy in standardised colour-magnitude space among the training
// galaxies, p(z) = the neighbours' redshifts as a Gaussian kernel density on the grid. k and the
// kernel width are chosen on the validation galaxies by the CDE loss.
#pragma once

#include <cstddef>
#include <vector>

#include "surveys/properties/redshift_pdf.hpp"

namespace cosmograd::surveys {

/// A kNN estimator over training features (N * F) with their redshifts.
class KnnPhotoz {
 public:
  /// Keeps the training set; features are standardised by its mean and std per feature.
  KnnPhotoz(std::vector<float> features, std::vector<double> redshift, std::size_t feature_count);
  /// Indices (into the training set) of the k nearest training galaxies of each query row
  /// (N_q * k, nearest first); exact brute force (OpenMP over queries).
  std::vector<std::size_t> neighbours(const std::vector<float>& query, std::size_t k) const;
  /// p(z) of each query: sum over its k neighbours of N(z; z_nb, bandwidth), on grid.
  RedshiftPdfs pdfs(const std::vector<float>& query, std::size_t k, double bandwidth,
                    const RedshiftGrid& grid) const;
  /// Chooses (k, bandwidth) among `ks` x `bandwidths` minimising the CDE loss on validation
  /// features / redshifts; returns the loss and sets k_, bandwidth_.
  double tune(const std::vector<float>& query, const std::vector<double>& z_true,
              const std::vector<std::size_t>& ks, const std::vector<double>& bandwidths,
              const RedshiftGrid& grid);
  /// The chosen number of neighbours.
  std::size_t k() const { return k_; }
  /// The chosen kernel width [redshift].
  double bandwidth() const { return bandwidth_; }

 private:
  std::vector<float> x_;  // standardised training features
  std::vector<double> z_;
  std::vector<float> mean_, inv_std_;
  std::size_t f_;
  std::size_t k_ = 20;
  double bandwidth_ = 0.02;
  std::vector<float> standardise(const std::vector<float>& x) const;
};

}  // namespace cosmograd::surveys
