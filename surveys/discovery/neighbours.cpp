// Exact nearest neighbours and retrieval scores (see neighbours.hpp).
#include "surveys/discovery/neighbours.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace cosmograd::surveys {

void standardise_columns(std::vector<float>& values, std::size_t n, std::size_t d) {
  if (values.size() != n * d)
    throw std::invalid_argument("standardise_columns: values has " + std::to_string(values.size()) +
                                " entries, expected n * d");
  for (std::size_t j = 0; j < d; ++j) {
    double s = 0, s2 = 0;
    for (std::size_t i = 0; i < n; ++i) s += values[i * d + j];
    const double mean = n > 0 ? s / n : 0;
    for (std::size_t i = 0; i < n; ++i)
      s2 += (values[i * d + j] - mean) * (values[i * d + j] - mean);
    const double sd = n > 1 ? std::sqrt(s2 / (n - 1)) : 0;
    for (std::size_t i = 0; i < n; ++i)
      values[i * d + j] = sd > 0 ? static_cast<float>((values[i * d + j] - mean) / sd) : 0.0f;
  }
}

void normalise_rows(std::vector<float>& values, std::size_t n, std::size_t d) {
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += double(values[i * d + j]) * values[i * d + j];
    if (s > 0)
      for (std::size_t j = 0; j < d; ++j)
        values[i * d + j] = static_cast<float>(values[i * d + j] / std::sqrt(s));
  }
}

NeighbourTable nearest_neighbours(const std::vector<float>& values, std::size_t n, std::size_t d,
                                  std::size_t k) {
  if (values.size() != n * d)
    throw std::invalid_argument("nearest_neighbours: values has " + std::to_string(values.size()) +
                                " entries, expected n * d = " + std::to_string(n * d));
  if (k < 1 || k >= n)
    throw std::invalid_argument("k = " + std::to_string(k) +
                                ": allowed 1 <= k < N = " + std::to_string(n));
  // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, accumulated in double per pair.
  std::vector<double> norm(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) norm[i] += double(values[i * d + j]) * values[i * d + j];
  NeighbourTable t;
  t.k = k;
  t.index.resize(n * k);
  t.distance.resize(n * k);
  std::vector<std::pair<double, std::size_t>> row(n - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const float* a = &values[i * d];
    std::size_t m = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const float* b = &values[j * d];
      float dot = 0;
      for (std::size_t c = 0; c < d; ++c) dot += a[c] * b[c];
      row[m++] = {std::max(0.0, norm[i] + norm[j] - 2.0 * dot), j};
    }
    std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(k), row.end());
    for (std::size_t q = 0; q < k; ++q) {
      t.index[i * k + q] = row[q].second;
      t.distance[i * k + q] = static_cast<float>(std::sqrt(row[q].first));
    }
  }
  return t;
}

RetrievalScores retrieval_scores(const NeighbourTable& table,
                                 const std::vector<std::int32_t>& classes, std::size_t k) {
  if (k < 1 || k > table.k)
    throw std::invalid_argument("k = " + std::to_string(k) + ": allowed 1 <= k <= " +
                                std::to_string(table.k) + " (the neighbour table's k)");
  const std::size_t n = classes.size();
  if (table.index.size() != n * table.k)
    throw std::invalid_argument("retrieval_scores: " + std::to_string(n) +
                                " classes for a neighbour table of " +
                                std::to_string(table.index.size() / table.k) + " rows");
  RetrievalScores r;
  r.k = k;
  std::int32_t cmax = -1;
  for (std::int32_t c : classes) cmax = std::max(cmax, c);
  r.class_precision.assign(static_cast<std::size_t>(cmax + 1), 0.0);
  r.class_count.assign(static_cast<std::size_t>(cmax + 1), 0);
  double prec = 0, hits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (classes[i] < 0) continue;
    std::size_t same = 0;
    for (std::size_t q = 0; q < k; ++q) same += classes[table.index[i * table.k + q]] == classes[i];
    const double p = double(same) / k;
    prec += p;
    hits += same > 0;
    r.class_precision[classes[i]] += p;
    ++r.class_count[classes[i]];
    ++r.queries;
  }
  if (r.queries == 0) return r;
  r.precision = prec / r.queries;
  r.hit_rate = hits / r.queries;
  for (std::size_t c = 0; c < r.class_count.size(); ++c) {
    if (r.class_count[c] > 0) r.class_precision[c] /= r.class_count[c];
    const double pc = double(r.class_count[c]) / r.queries;
    r.chance_precision += pc * pc;
    r.chance_hit_rate += pc * (1 - std::pow(1 - pc, double(k)));
  }
  return r;
}

}  // namespace cosmograd::surveys
