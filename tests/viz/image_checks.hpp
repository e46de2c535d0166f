// Checks for viz/ tests: pixels of PNG files read back with libpng (sim/io/png.hpp), messages.
#pragma once

#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/io/png.hpp"

namespace cosmograd::testing {

/// The message of the std::invalid_argument that `f()` throws ("no exception" if none).
template <class F>
std::string invalid_argument_message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no exception";
}

/// True when `a` and `b` differ by at most `tolerance` summed over the channels.
inline bool near(sim::RGB a, sim::RGB b, int tolerance = 30) {
  return std::abs(a.r - b.r) + std::abs(a.g - b.g) + std::abs(a.b - b.b) <= tolerance;
}

/// Pixels of `image` for which `pick` holds, as (x, y) pairs.
struct PixelSet {
  std::vector<int> x;  ///< columns
  std::vector<int> y;  ///< rows (0 = top)

  /// Number of pixels.
  std::size_t size() const { return x.size(); }
  /// Mean column (NaN-free only when not empty).
  double mean_x() const {
    double s = 0;
    for (int v : x) s += v;
    return s / static_cast<double>(x.size());
  }
  /// Mean row.
  double mean_y() const {
    double s = 0;
    for (int v : y) s += v;
    return s / static_cast<double>(y.size());
  }
};

/// The pixels of `image` whose colour satisfies `pick`.
inline PixelSet pixels(const sim::Image& image, const std::function<bool(sim::RGB)>& pick) {
  PixelSet s;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      if (pick(image.get(x, y))) {
        s.x.push_back(x);
        s.y.push_back(y);
      }
    }
  }
  return s;
}

/// Pixels that are not the white background.
inline PixelSet ink(const sim::Image& image) {
  return pixels(image, [](sim::RGB c) { return !(c == sim::RGB{255, 255, 255}); });
}

/// Number of 8-connected blobs of pixels whose colour satisfies `pick`.
inline int count_blobs(const sim::Image& image, const std::function<bool(sim::RGB)>& pick) {
  std::vector<char> seen(static_cast<std::size_t>(image.width) * image.height, 0);
  int blobs = 0;
  std::vector<std::pair<int, int>> stack;
  for (int y0 = 0; y0 < image.height; ++y0) {
    for (int x0 = 0; x0 < image.width; ++x0) {
      const std::size_t i0 = static_cast<std::size_t>(y0) * image.width + x0;
      if (seen[i0] || !pick(image.get(x0, y0))) continue;
      ++blobs;
      seen[i0] = 1;
      stack.assign(1, {x0, y0});
      while (!stack.empty()) {
        const auto [x, y] = stack.back();
        stack.pop_back();
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            const int nx = x + dx;
            const int ny = y + dy;
            if (!image.contains(nx, ny)) continue;
            const std::size_t i = static_cast<std::size_t>(ny) * image.width + nx;
            if (seen[i] || !pick(image.get(nx, ny))) continue;
            seen[i] = 1;
            stack.push_back({nx, ny});
          }
        }
      }
    }
  }
  return blobs;
}

/// Rows in which more than `fraction` of the pixels are dark (e.g. an axis frame line).
inline int dark_rows(const sim::Image& image, double fraction = 0.5) {
  int rows = 0;
  for (int y = 0; y < image.height; ++y) {
    int dark = 0;
    for (int x = 0; x < image.width; ++x) {
      const sim::RGB c = image.get(x, y);
      if (c.r + c.g + c.b < 3 * 100) ++dark;
    }
    if (dark > fraction * image.width) ++rows;
  }
  return rows;
}

}  // namespace cosmograd::testing
