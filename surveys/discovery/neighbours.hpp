// Exact nearest neighbours in embedding space (brute force, O(N^2 D)), with the retrieval
// scores of similarity search against truth classes and their chance levels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// Per-dimension z-scores of N rows of D values (row-major, in place): each column minus its
/// mean over the rows, divided by its standard deviation (columns with sd 0 are set to 0).
void standardise_columns(std::vector<float>& values, std::size_t n, std::size_t d);

/// Scales every row to unit Euclidean length (zero rows are left as they are), so Euclidean
/// distance orders neighbours as cosine similarity does.
void normalise_rows(std::vector<float>& values, std::size_t n, std::size_t d);

/// The k nearest neighbours of every row among the other rows.
struct NeighbourTable {
  std::size_t k = 0;               ///< neighbours per row
  std::vector<std::size_t> index;  ///< N * k row indices, nearest first (ties: lower index)
  std::vector<float> distance;     ///< N * k Euclidean distances, ascending
};

/// Exact k nearest neighbours (Euclidean) of each of the n rows of `values` (N x D, row-major)
/// excluding the row itself; throws std::invalid_argument unless 1 <= k < n.
NeighbourTable nearest_neighbours(const std::vector<float>& values, std::size_t n, std::size_t d,
                                  std::size_t k);

/// Retrieval scores of a neighbour table against integer classes (rows with class < 0 are
/// neither queries nor counted as matches).
struct RetrievalScores {
  std::size_t k = 0;            ///< neighbours used (the first k of the table)
  std::size_t queries = 0;      ///< rows with a class >= 0
  double precision = 0;         ///< precision@k: mean share of a query's k neighbours in its class
  double hit_rate = 0;          ///< share of queries with >= 1 same-class neighbour in the k
  double chance_precision = 0;  ///< sum_c p_c^2: precision@k of random neighbours
  double chance_hit_rate = 0;   ///< sum_c p_c (1 - (1 - p_c)^k): hit rate of random neighbours
  std::vector<double> class_precision;   ///< precision@k of the queries of each class
  std::vector<std::size_t> class_count;  ///< queries per class
};

/// Scores the first k neighbours of `table` (k <= table.k) against `classes` (N values).
RetrievalScores retrieval_scores(const NeighbourTable& table,
                                 const std::vector<std::int32_t>& classes, std::size_t k);

}  // namespace cosmograd::surveys
