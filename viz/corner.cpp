#include "viz/corner.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "sim/io/png.hpp"
#include "viz/plot.hpp"

namespace cosmograd::viz {
namespace {

namespace fs = std::filesystem;

/// The panel of parameter `i` alone (histogram) or of the pair (j, i) (scatter, x = j).
PlotSpec panel(const CornerSpec& s, int i, int j, double lo_i, double hi_i, double lo_j,
               double hi_j) {
  PlotSpec p;
  p.width = p.height = s.panel;
  p.legend = LegendPosition::none;
  p.font_scale = 0.8;
  p.xlabel = s.names[j];
  if (i == j) {
    std::vector<double> counts(s.bins, 0.0);
    for (const auto& row : s.samples) {
      const int b = static_cast<int>((row[i] - lo_i) / (hi_i - lo_i) * s.bins);
      if (b >= 0 && b < s.bins) counts[b] += 1;
    }
    Series h;
    for (int b = 0; b < s.bins; ++b) {  // a step outline
      const double x0 = lo_i + (hi_i - lo_i) * b / s.bins, x1 = x0 + (hi_i - lo_i) / s.bins;
      h.x.insert(h.x.end(), {x0, x1});
      h.y.insert(h.y.end(), {counts[b], counts[b]});
    }
    h.color = tab10(0);
    p.series.push_back(h);
    p.ylabel = "samples";
    p.xrange = AxisRange{lo_i, hi_i};
    if (!s.truth.empty()) {
      Series t;
      t.x = {s.truth[i], s.truth[i]};
      t.y = {0.0, *std::max_element(counts.begin(), counts.end())};
      t.color = tab10(3);
      t.line = LineStyle::dashed;
      p.series.push_back(t);
    }
    return p;
  }
  Series pts;
  for (const auto& row : s.samples) {
    pts.x.push_back(row[j]);
    pts.y.push_back(row[i]);
  }
  pts.line = LineStyle::none;
  pts.marker = Marker::circle;
  pts.marker_size = 0.25;
  pts.color = tab10(0);
  p.series.push_back(pts);
  if (!s.truth.empty()) {
    Series t;
    t.x = {s.truth[j]};
    t.y = {s.truth[i]};
    t.line = LineStyle::none;
    t.marker = Marker::square;
    t.marker_size = 1.2;
    t.color = tab10(3);
    p.series.push_back(t);
  }
  p.ylabel = s.names[i];
  p.xrange = AxisRange{lo_j, hi_j};
  p.yrange = AxisRange{lo_i, hi_i};
  return p;
}

}  // namespace

void write_corner_png(const std::string& path, const CornerSpec& s) {
  const int p = static_cast<int>(s.names.size());
  if (p < 1) throw std::invalid_argument("CornerSpec.names is empty (allowed: >= 1 parameter)");
  if (s.samples.empty()) throw std::invalid_argument("CornerSpec.samples is empty");
  for (const auto& row : s.samples) {
    if (static_cast<int>(row.size()) != p) {
      throw std::invalid_argument("CornerSpec.samples has a row of " + std::to_string(row.size()) +
                                  " values (allowed: " + std::to_string(p) + ", one per name)");
    }
  }
  if (!s.truth.empty() && static_cast<int>(s.truth.size()) != p) {
    throw std::invalid_argument("CornerSpec.truth has " + std::to_string(s.truth.size()) +
                                " values (allowed: 0 or " + std::to_string(p) + ")");
  }
  if (s.bins < 1 || s.panel < 240 || s.panel > 2048) {
    throw std::invalid_argument("CornerSpec.bins = " + std::to_string(s.bins) +
                                ", panel = " + std::to_string(s.panel) +
                                " (allowed: bins >= 1, 240 <= panel <= 2048)");
  }
  std::vector<double> lo(p), hi(p);
  for (int i = 0; i < p; ++i) {
    if (!s.lo.empty() && !s.hi.empty()) {
      lo[i] = s.lo.at(i);
      hi[i] = s.hi.at(i);
    } else {
      lo[i] = hi[i] = s.samples.front()[i];
      for (const auto& row : s.samples)
        lo[i] = std::min(lo[i], row[i]), hi[i] = std::max(hi[i], row[i]);
      const double pad = 0.05 * (hi[i] - lo[i]) + 1e-12;
      lo[i] -= pad;
      hi[i] += pad;
    }
  }
  const int title_height = s.title.empty() ? 0 : 40;
  sim::Image out(p * s.panel, p * s.panel + title_height);
  const fs::path tmp_dir =
      fs::temp_directory_path() / ("cosmograd_corner_" + std::to_string(::getpid()));
  fs::create_directories(tmp_dir);
  try {
    for (int i = 0; i < p; ++i) {
      for (int j = 0; j <= i; ++j) {
        const std::string file = (tmp_dir / ("panel.png")).string();
        write_plot_png(file, panel(s, i, j, lo[i], hi[i], lo[j], hi[j]));
        const sim::Image img = sim::read_png(file);
        for (int y = 0; y < img.height && y < s.panel; ++y) {
          for (int x = 0; x < img.width && x < s.panel; ++x) {
            out.set(j * s.panel + x, title_height + i * s.panel + y, img.get(x, y));
          }
        }
      }
    }
    if (title_height > 0) {  // the title: a text-only plot strip on top
      PlotSpec t;
      t.width = std::max(240, p * s.panel);
      t.height = 180;
      t.title = s.title;
      t.empty_message = " ";
      const std::string file = (tmp_dir / "title.png").string();
      write_plot_png(file, t);
      const sim::Image img = sim::read_png(file);
      for (int y = 0; y < title_height && y < img.height; ++y) {
        for (int x = 0; x < out.width && x < img.width; ++x) out.set(x, y, img.get(x, y));
      }
    }
  } catch (...) {
    fs::remove_all(tmp_dir);
    throw;
  }
  fs::remove_all(tmp_dir);
  sim::write_png(path, out);
}

}  // namespace cosmograd::viz
