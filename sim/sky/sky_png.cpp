// Mollweide and flat-map pictures; see sky_png.hpp.
#include "sim/sky/sky_png.hpp"

#include <healpix_base.h>
#include <pointing.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cosmograd::sim {
namespace {

constexpr double kUnseen = -1.6375e30;

bool has_data(double v) { return std::isfinite(v) && v != kUnseen; }

// viridis(9) (matplotlib's viridis sampled at t = i / 8), sRGB bytes.
constexpr std::uint8_t kViridis[9][3] = {
    {0x44, 0x01, 0x54}, {0x47, 0x2D, 0x7B}, {0x3B, 0x52, 0x8B},
    {0x2C, 0x72, 0x8E}, {0x21, 0x90, 0x8C}, {0x27, 0xAD, 0x81},
    {0x5D, 0xC8, 0x63}, {0xAA, 0xDC, 0x32}, {0xFD, 0xE7, 0x25}};

struct Painter {
  double lo, hi;
  RGB operator()(double v) const {
    if (!has_data(v)) return kNoDataColor;
    return colormap_viridis(hi > lo ? (v - lo) / (hi - lo) : 0.5);
  }
};

}  // namespace

RGB colormap_viridis(double t) {
  if (!(t > 0.0)) t = 0.0;
  if (t > 1.0) t = 1.0;
  const double pos = t * 8.0;
  int j = static_cast<int>(pos);
  if (j > 7) j = 7;
  const double f = pos - j;
  auto mix = [&](int c) {
    const double v = kViridis[j][c] + f * (kViridis[j + 1][c] - kViridis[j][c]);
    return static_cast<std::uint8_t>(std::lround(v));
  };
  return RGB{mix(0), mix(1), mix(2)};
}

std::vector<double> color_range(const std::vector<double>& values, const ColorScale& scale) {
  if (!scale.automatic) {
    if (!std::isfinite(scale.min) || !std::isfinite(scale.max) || scale.min > scale.max) {
      throw std::invalid_argument("colour scale min = " + std::to_string(scale.min) +
                                  ", max = " + std::to_string(scale.max) +
                                  " is not allowed (allowed: finite, min <= max)");
    }
    return {scale.min, scale.max};
  }
  if (!(scale.low_percentile >= 0.0 && scale.low_percentile < scale.high_percentile &&
        scale.high_percentile <= 100.0)) {
    throw std::invalid_argument("colour scale percentiles " + std::to_string(scale.low_percentile) +
                                ", " + std::to_string(scale.high_percentile) +
                                " are not allowed (allowed: 0 <= low < high <= 100)");
  }
  std::vector<double> v;
  v.reserve(values.size());
  for (double x : values) {
    if (has_data(x)) v.push_back(x);
  }
  if (v.empty()) return {0.0, 1.0};
  auto pick = [&](double pct) {
    const std::size_t k =
        static_cast<std::size_t>(std::lround(pct / 100.0 * static_cast<double>(v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  };
  const double lo = pick(scale.low_percentile);
  const double hi = pick(scale.high_percentile);
  return {lo, hi};
}

Image mollweide_image(const HealpixMap& map, int width, const ColorScale& scale) {
  if (width < 4 || width > 65535) {
    throw std::invalid_argument("Mollweide width = " + std::to_string(width) +
                                " is not allowed (allowed: 4 to 65535)");
  }
  if (map.nside < 1 || map.nside > 8192 || (map.nside & (map.nside - 1)) != 0 ||
      map.values.size() != map.pixels()) {
    throw std::invalid_argument("HEALPix map nside = " + std::to_string(map.nside) + " with " +
                                std::to_string(map.values.size()) +
                                " values is not allowed (allowed: power-of-2 nside up to 8192, "
                                "12 nside^2 values)");
  }
  const std::vector<double> range = color_range(map.values, scale);
  const Painter paint{range[0], range[1]};
  const int height = width / 2;
  Image img(width, height, RGB{255, 255, 255});
  const T_Healpix_Base<int64_t> base(map.nside, RING, SET_NSIDE);
  for (int y = 0; y < height; ++y) {
    const double v = 1.0 - 2.0 * (y + 0.5) / height;  // Y / sqrt(2), north up
    for (int x = 0; x < width; ++x) {
      const double u = 2.0 * (x + 0.5) / width - 1.0;  // X / (2 sqrt(2))
      if (u * u + v * v > 1.0) continue;
      // Inverse Mollweide: X = 2 sqrt(2) lon cos(t) / pi, Y = sqrt(2) sin(t),
      // 2 t + sin(2 t) = pi sin(lat); longitude increases to the left.
      const double t = std::asin(v);
      const double lat = std::asin(std::clamp((2.0 * t + std::sin(2.0 * t)) / M_PI, -1.0, 1.0));
      const double c = std::cos(t);
      double lon = c > 0.0 ? -M_PI * u / c : 0.0;
      if (lon < -M_PI || lon > M_PI) continue;
      if (lon < 0.0) lon += 2.0 * M_PI;
      const int64_t pix = base.ang2pix(pointing(0.5 * M_PI - lat, lon));
      img.set_clipped(x, y, paint(map.values[static_cast<std::size_t>(pix)]));
    }
  }
  return img;
}

Image flat_image(const FlatMap& map, int scale, const ColorScale& color) {
  if (map.n < 1 || map.values.size() != map.pixels()) {
    throw std::invalid_argument("flat map n = " + std::to_string(map.n) + " with " +
                                std::to_string(map.values.size()) +
                                " values is not allowed (allowed: n >= 1, n^2 values)");
  }
  if (scale < 1 || static_cast<long long>(map.n) * scale > 65535) {
    throw std::invalid_argument(
        "flat image scale = " + std::to_string(scale) +
        " is not allowed (allowed: 1 to 65535 / n = " + std::to_string(65535 / map.n) + ")");
  }
  const std::vector<double> range = color_range(map.values, color);
  const Painter paint{range[0], range[1]};
  const int n = map.n;
  Image img(n * scale, n * scale);
  for (int iy = 0; iy < n; ++iy) {
    for (int ix = 0; ix < n; ++ix) {
      const RGB c = paint(map.values[static_cast<std::size_t>(iy) * n + ix]);
      const int y0 = (n - 1 - iy) * scale;
      for (int dy = 0; dy < scale; ++dy) {
        for (int dx = 0; dx < scale; ++dx) img.set_clipped(ix * scale + dx, y0 + dy, c);
      }
    }
  }
  return img;
}

}  // namespace cosmograd::sim
