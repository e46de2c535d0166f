// The Hungarian algorithm and position matching (see matching.hpp).
#include "surveys/vision/matching.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"

namespace cosmograd::surveys {
namespace {

/// Rows 1..n assigned to columns 1..m (n <= m) minimising the cost: the shortest augmenting
/// path method with row and column potentials u, v (Jonker & Volgenant 1987), one row added per
/// outer iteration, O(n^2 m). a(i, j) is the cost of row i, column j (0-based).
template <class Cost>
std::vector<int> assign_rows(std::size_t n, std::size_t m, const Cost& a) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
  std::vector<std::size_t> p(m + 1, 0), way(m + 1, 0);  // p[j]: row of column j (0: none)
  for (std::size_t i = 1; i <= n; ++i) {
    p[0] = i;
    std::size_t j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<char> used(m + 1, 0);
    do {
      used[j0] = 1;
      const std::size_t i0 = p[j0];
      double delta = inf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const std::size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> row_to_col(n, -1);
  for (std::size_t j = 1; j <= m; ++j)
    if (p[j] != 0) row_to_col[p[j] - 1] = static_cast<int>(j - 1);
  return row_to_col;
}

}  // namespace

std::vector<int> hungarian_assignment(const std::vector<double>& cost, std::size_t n,
                                      std::size_t m) {
  if (cost.size() != n * m)
    throw std::invalid_argument("hungarian_assignment: cost has " + std::to_string(cost.size()) +
                                " entries, expected n * m = " + std::to_string(n) + " * " +
                                std::to_string(m));
  for (std::size_t k = 0; k < cost.size(); ++k)
    if (!std::isfinite(cost[k]))
      throw std::invalid_argument("hungarian_assignment: cost[" + std::to_string(k / m) + ", " +
                                  std::to_string(k % m) + "] is not finite");
  if (n == 0 || m == 0) return std::vector<int>(n, -1);
  if (n <= m)
    return assign_rows(n, m, [&](std::size_t i, std::size_t j) { return cost[i * m + j]; });
  // More rows than columns: assign the columns to rows on the transpose.
  const std::vector<int> col_to_row =
      assign_rows(m, n, [&](std::size_t j, std::size_t i) { return cost[i * m + j]; });
  std::vector<int> row_to_col(n, -1);
  for (std::size_t j = 0; j < m; ++j)
    if (col_to_row[j] >= 0)
      row_to_col[static_cast<std::size_t>(col_to_row[j])] = static_cast<int>(j);
  return row_to_col;
}

std::vector<PositionMatch> match_positions(const std::vector<std::array<double, 2>>& truth,
                                           const std::vector<std::array<double, 2>>& detected,
                                           double max_distance) {
  sim::require(max_distance > 0 && std::isfinite(max_distance), "max_distance", max_distance,
               "> 0 and finite [pixels]");
  const std::size_t n = truth.size(), m = detected.size();
  std::vector<PositionMatch> out;
  if (n == 0 || m == 0) return out;
  // A pair beyond max_distance costs more than any set of valid pairs can sum to, so the
  // optimum first maximises the number of valid pairs, then minimises their summed distance.
  const double forbidden = max_distance * static_cast<double>(std::min(n, m) + 1) + 1.0;
  std::vector<double> cost(n * m), dist(n * m);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) {
      const double d = std::hypot(truth[i][0] - detected[j][0], truth[i][1] - detected[j][1]);
      dist[i * m + j] = d;
      cost[i * m + j] = d <= max_distance ? d : forbidden;
    }
  const std::vector<int> a = hungarian_assignment(cost, n, m);
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] < 0) continue;
    const double d = dist[i * m + static_cast<std::size_t>(a[i])];
    if (d <= max_distance) out.push_back({static_cast<int>(i), a[i], d});
  }
  return out;
}

}  // namespace cosmograd::surveys
