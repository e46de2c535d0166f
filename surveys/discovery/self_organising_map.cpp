// Self-organising map (see self_organising_map.hpp).
#include "surveys/discovery/self_organising_map.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

namespace cosmograd::surveys {

void SomOptions::validate() const {
  const auto bad = [](const std::string& f, double v, const std::string& allowed) {
    throw std::invalid_argument(f + " = " + std::to_string(v) + ": " + allowed);
  };
  if (width < 2 || width > 1000) bad("width", width, "allowed 2-1000 cells");
  if (height < 2 || height > 1000) bad("height", height, "allowed 2-1000 cells");
  if (epochs < 1) bad("epochs", epochs, "must be >= 1");
  if (!(sigma_start >= 0)) bad("sigma_start", sigma_start, "must be >= 0 (0: max(W, H) / 2)");
  if (!(sigma_end > 0)) bad("sigma_end", sigma_end, "must be > 0");
  if (!(rate_start > 0 && rate_start <= 1)) bad("rate_start", rate_start, "allowed (0, 1]");
  if (!(rate_end > 0 && rate_end <= rate_start))
    bad("rate_end", rate_end, "allowed (0, rate_start]");
}

std::size_t SelfOrganisingMap::best_cell(const float* x, std::size_t* second) const {
  const std::size_t cells = static_cast<std::size_t>(width) * height;
  double b1 = std::numeric_limits<double>::infinity(), b2 = b1;
  std::size_t i1 = 0, i2 = 0;
  for (std::size_t c = 0; c < cells; ++c) {
    const float* w = &prototypes[c * dim];
    double s = 0;
    for (std::size_t j = 0; j < dim; ++j) s += double(x[j] - w[j]) * (x[j] - w[j]);
    if (s < b1) {
      b2 = b1;
      i2 = i1;
      b1 = s;
      i1 = c;
    } else if (s < b2) {
      b2 = s;
      i2 = c;
    }
  }
  if (second != nullptr) *second = i2;
  return i1;
}

double SelfOrganisingMap::quantisation_error(const std::vector<float>& values,
                                             std::size_t n) const {
  if (n == 0) return 0;
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float* x = &values[i * dim];
    const float* w = &prototypes[best_cell(x) * dim];
    double s = 0;
    for (std::size_t j = 0; j < dim; ++j) s += double(x[j] - w[j]) * (x[j] - w[j]);
    total += std::sqrt(s);
  }
  return total / n;
}

double SelfOrganisingMap::topographic_error(const std::vector<float>& values, std::size_t n) const {
  if (n == 0) return 0;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t second = 0;
    const std::size_t first = best_cell(&values[i * dim], &second);
    const int dx = std::abs(static_cast<int>(first % width) - static_cast<int>(second % width));
    const int dy = std::abs(static_cast<int>(first / width) - static_cast<int>(second / width));
    bad += std::max(dx, dy) > 1;
  }
  return double(bad) / n;
}

SelfOrganisingMap train_som(const std::vector<float>& values, std::size_t n, std::size_t d,
                            const SomOptions& o) {
  o.validate();
  if (n < 1 || d < 1 || values.size() != n * d)
    throw std::invalid_argument(
        "train_som: need n >= 1 rows of d >= 1 values (n = " + std::to_string(n) +
        ", d = " + std::to_string(d) + ", " + std::to_string(values.size()) + " values)");
  SelfOrganisingMap som;
  som.width = o.width;
  som.height = o.height;
  som.dim = d;
  const std::size_t cells = static_cast<std::size_t>(o.width) * o.height;
  std::mt19937_64 rng(o.seed);
  const auto uniform = [&rng] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  // Column sds for the jitter that separates prototypes started on the same row.
  std::vector<double> sd(d, 0.0);
  for (std::size_t j = 0; j < d; ++j) {
    double s = 0, s2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      s += values[i * d + j];
      s2 += double(values[i * d + j]) * values[i * d + j];
    }
    sd[j] = std::sqrt(std::max(0.0, s2 / n - (s / n) * (s / n)));
  }
  som.prototypes.resize(cells * d);
  std::normal_distribution<double> gauss(0.0, 1.0);
  for (std::size_t c = 0; c < cells; ++c) {
    const std::size_t r = static_cast<std::size_t>(uniform() * n);
    for (std::size_t j = 0; j < d; ++j)
      som.prototypes[c * d + j] = static_cast<float>(values[r * d + j] + 1e-3 * sd[j] * gauss(rng));
  }
  const double s0 = o.sigma_start > 0 ? o.sigma_start : 0.5 * std::max(o.width, o.height);
  const double s1 = std::min(o.sigma_end, s0);
  const double steps = static_cast<double>(o.epochs) * n;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::size_t t = 0;
  for (int e = 0; e < o.epochs; ++e) {
    for (std::size_t i = n; i > 1; --i)
      std::swap(order[i - 1], order[static_cast<std::size_t>(uniform() * i)]);
    for (std::size_t r : order) {
      const double f = steps > 1 ? t / (steps - 1) : 1.0;
      const double sigma = s0 * std::pow(s1 / s0, f);
      const double rate = o.rate_start * std::pow(o.rate_end / o.rate_start, f);
      const float* x = &values[r * d];
      const std::size_t b = som.best_cell(x);
      const int bx = static_cast<int>(b % o.width), by = static_cast<int>(b / o.width);
      const int reach = static_cast<int>(std::ceil(4 * sigma));
      for (int y = std::max(0, by - reach); y <= std::min(o.height - 1, by + reach); ++y)
        for (int xx = std::max(0, bx - reach); xx <= std::min(o.width - 1, bx + reach); ++xx) {
          const double g2 = double(xx - bx) * (xx - bx) + double(y - by) * (y - by);
          const double h = rate * std::exp(-g2 / (2 * sigma * sigma));
          float* w = &som.prototypes[(static_cast<std::size_t>(y) * o.width + xx) * d];
          for (std::size_t j = 0; j < d; ++j) w[j] += static_cast<float>(h * (x[j] - w[j]));
        }
      ++t;
    }
  }
  return som;
}

}  // namespace cosmograd::surveys
