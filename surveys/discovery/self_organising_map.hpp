// A self-organising map (Kohonen 1982, Biol. Cybern. 43, 59): a W x H grid of prototype vectors
// trained online so that neighbouring cells hold similar embeddings, the 2D map of a survey's
// objects that users browse (the seed review's section 5.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cosmograd::surveys {

/// Training settings of the map.
struct SomOptions {
  int width = 12;           ///< W cells along x, >= 2
  int height = 12;          ///< H cells along y, >= 2
  int epochs = 10;          ///< passes over the data (steps T = epochs x N), >= 1
  double sigma_start = 0;   ///< neighbourhood width at the start [cells]; 0: max(W, H) / 2
  double sigma_end = 0.5;   ///< neighbourhood width at the end [cells], > 0
  double rate_start = 0.5;  ///< learning rate at the start, in (0, 1]
  double rate_end = 0.01;   ///< learning rate at the end, in (0, rate_start]
  std::uint64_t seed = 1;   ///< random seed (initial prototypes, sample order)
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// A trained map: prototypes of cell (x, y) at row y * width + x.
struct SelfOrganisingMap {
  int width = 0;                  ///< W
  int height = 0;                 ///< H
  std::size_t dim = 0;            ///< D
  std::vector<float> prototypes;  ///< W * H * D

  /// The cell whose prototype is nearest (Euclidean) to x (D values); `second` gets the
  /// second nearest when not null.
  std::size_t best_cell(const float* x, std::size_t* second = nullptr) const;
  /// Mean Euclidean distance of the rows to their best cell's prototype.
  double quantisation_error(const std::vector<float>& values, std::size_t n) const;
  /// Share of rows whose best and second-best cells are not adjacent on the grid (Chebyshev
  /// distance > 1, i.e. the 8 surrounding cells count as adjacent; Kiviluoto 1996).
  double topographic_error(const std::vector<float>& values, std::size_t n) const;
};

/// Trains a map on the n rows of `values` (n x d, row-major; n >= 1): prototypes start as
/// random rows (plus 1e-3 sd jitter); at step t of T, for a row x drawn in a shuffled epoch
/// order, every prototype moves w += a(t) exp(-g^2 / (2 s(t)^2)) (x - w), g the grid distance
/// to x's best cell, with a and s decaying exponentially from their start to end values
/// (Kohonen 1982; 2013, Neural Networks 37, 52).
SelfOrganisingMap train_som(const std::vector<float>& values, std::size_t n, std::size_t d,
                            const SomOptions& options);

}  // namespace cosmograd::surveys
