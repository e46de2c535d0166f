// Stamp thumbnails for the discovery pictures (see stamp_mosaic.hpp).
#include "surveys/discovery/stamp_mosaic.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cosmograd::surveys {

void draw_stamp(sim::Image& image, const StampSet& set, std::size_t k, int ox, int oy, int zoom) {
  if (k >= set.count())
    throw std::invalid_argument("draw_stamp: stamp " + std::to_string(k) + " out of range [0, " +
                                std::to_string(set.count()) + ")");
  const int s = set.size;
  const std::size_t px = static_cast<std::size_t>(s) * s;
  const float* v = &set.images[k * px];
  const double soft = set.noise_sigma[k];
  const double top = std::asinh(std::max(*std::max_element(v, v + px) / soft, 1.0));
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x) {
      const double t = std::asinh(v[static_cast<std::size_t>(y) * s + x] / soft) / top;
      const auto g = static_cast<std::uint8_t>(std::lround(255.0 * std::clamp(t, 0.0, 1.0)));
      for (int dy = 0; dy < zoom; ++dy)
        for (int dx = 0; dx < zoom; ++dx)
          image.set_clipped(ox + zoom * x + dx, oy + zoom * (s - 1 - y) + dy, sim::RGB{g, g, g});
    }
}

void draw_frame(sim::Image& image, int ox, int oy, int side, int width, sim::RGB c) {
  for (int w = 0; w < width; ++w)
    for (int i = 0; i < side; ++i) {
      image.set_clipped(ox + i, oy + w, c);
      image.set_clipped(ox + i, oy + side - 1 - w, c);
      image.set_clipped(ox + w, oy + i, c);
      image.set_clipped(ox + side - 1 - w, oy + i, c);
    }
}

void write_stamp_rows_png(const std::string& path, const StampSet& set,
                          const std::vector<std::vector<std::size_t>>& rows, int zoom,
                          const std::vector<std::vector<sim::RGB>>& frames,
                          const std::vector<std::vector<bool>>& framed) {
  if (rows.empty()) throw std::invalid_argument("write_stamp_rows_png: no rows for " + path);
  std::size_t cols = 1;
  for (const auto& r : rows) cols = std::max(cols, r.size());
  const int gap = 2, cell = set.size * zoom;
  sim::Image img(static_cast<int>(cols) * (cell + gap) + gap,
                 static_cast<int>(rows.size()) * (cell + gap) + gap, sim::RGB{40, 40, 40});
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t j = 0; j < rows[r].size(); ++j) {
      const int ox = gap + static_cast<int>(j) * (cell + gap),
                oy = gap + static_cast<int>(r) * (cell + gap);
      if (rows[r][j] < set.count()) draw_stamp(img, set, rows[r][j], ox, oy, zoom);
      if (r < framed.size() && j < framed[r].size() && framed[r][j] && r < frames.size() &&
          j < frames[r].size())
        draw_frame(img, ox, oy, cell, std::max(1, zoom), frames[r][j]);
    }
  sim::write_png(path, img);
}

}  // namespace cosmograd::surveys
