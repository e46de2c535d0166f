// One-to-one matching of detections to true objects: the rectangular assignment problem solved
// exactly by the Hungarian algorithm (Kuhn 1955; Munkres 1957) in its O(n^2 m) shortest
// augmenting path form with potentials (Jonker & Volgenant 1987), and position matching within
// a radius on top of it, as detection challenges score deblenders (e.g. Melchior et al. 2021,
// Nature Rev. Phys. 3, 712; Hausen & Robertson 2022).
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace cosmograd::surveys {

/// The assignment of the rows of an n x m cost matrix (row-major, cost[i * m + j], finite) to
/// distinct columns that minimises the summed cost: min(n, m) pairs; result[i] is row i's
/// column, or -1 for the rows left out when n > m. Throws std::invalid_argument naming the size
/// or the first non-finite entry.
std::vector<int> hungarian_assignment(const std::vector<double>& cost, std::size_t n,
                                      std::size_t m);

/// One matched pair of a position match.
struct PositionMatch {
  int truth = -1;         ///< index into the true positions
  int detection = -1;     ///< index into the detected positions
  double distance = 0.0;  ///< their separation [pixels]
};

/// The one-to-one matching of `truth` and `detected` positions (x, y) [pixels] with the most
/// pairs closer than max_distance and, among those, the least summed distance (Hungarian
/// algorithm on the distances, pairs farther than max_distance costed above any valid total);
/// pairs sorted by truth index. Throws std::invalid_argument unless max_distance > 0 and finite.
std::vector<PositionMatch> match_positions(const std::vector<std::array<double, 2>>& truth,
                                           const std::vector<std::array<double, 2>>& detected,
                                           double max_distance = 3.0);

}  // namespace cosmograd::surveys
