#include "viz/trace.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

#include "sim/io/png.hpp"
#include "viz/plot.hpp"

namespace cosmograd::viz {
namespace {

namespace fs = std::filesystem;

constexpr int kTitleHeight = 40;  // pixels of the title strip
constexpr int kMaxSide = 65535;   // the largest image side sim::Image allows

/// Throws std::invalid_argument naming the first bad field of `s`.
void check(const TraceSpec& s) {
  const std::size_t q = s.names.size();
  if (q < 1) throw std::invalid_argument("TraceSpec.names is empty (allowed: >= 1 quantity)");
  if (s.draws.size() != q) {
    throw std::invalid_argument("TraceSpec.draws has " + std::to_string(s.draws.size()) +
                                " quantities (allowed: " + std::to_string(q) + ", one per name)");
  }
  const std::size_t n = s.draws[0].empty() ? 0 : s.draws[0][0].size();
  for (std::size_t i = 0; i < q; ++i) {
    if (s.draws[i].empty()) {
      throw std::invalid_argument("TraceSpec.draws[" + std::to_string(i) +
                                  "] has no chains (allowed: >= 1 chain)");
    }
    for (std::size_t c = 0; c < s.draws[i].size(); ++c) {
      if (s.draws[i][c].size() != n || n == 0) {
        throw std::invalid_argument(
            "TraceSpec.draws[" + std::to_string(i) + "][" + std::to_string(c) + "] has " +
            std::to_string(s.draws[i][c].size()) + " draws (allowed: >= 1, the same for every " +
            "chain and quantity; draws[0][0] has " + std::to_string(n) + ")");
      }
    }
  }
  if (!s.truth.empty() && s.truth.size() != q) {
    throw std::invalid_argument("TraceSpec.truth has " + std::to_string(s.truth.size()) +
                                " values (allowed: 0 or " + std::to_string(q) + ")");
  }
  if (s.first_draw < 0) {
    throw std::invalid_argument("TraceSpec.first_draw = " + std::to_string(s.first_draw) +
                                " (allowed: >= 0)");
  }
  if (s.width < 240 || s.width > 8192) {
    throw std::invalid_argument("TraceSpec.width = " + std::to_string(s.width) +
                                " (allowed: 240..8192)");
  }
  const int title_height = s.title.empty() ? 0 : kTitleHeight;
  if (s.panel_height < 180 || s.panel_height > 8192 ||
      static_cast<double>(s.panel_height) * static_cast<double>(q) + title_height > kMaxSide) {
    throw std::invalid_argument("TraceSpec.panel_height = " + std::to_string(s.panel_height) +
                                " with " + std::to_string(q) +
                                " panels (allowed: 180..8192 and panels * panel_height <= " +
                                std::to_string(kMaxSide - title_height) + ")");
  }
}

/// The panel of quantity `q`: one line per chain, the truth dashed in black.
PlotSpec panel(const TraceSpec& s, std::size_t q) {
  const std::size_t n = s.draws[q][0].size();
  const bool last = q + 1 == s.names.size();
  PlotSpec p;
  p.width = s.width;
  p.height = s.panel_height;
  p.font_scale = 0.8;
  p.ylabel = s.names[q];
  p.xlabel = last ? "iteration" : "";
  // Only the top panel lists the chains (every panel uses the same colours).
  p.legend = q == 0 && s.draws[q].size() > 1 ? LegendPosition::best : LegendPosition::none;
  const double x0 = s.first_draw;
  const double x1 = x0 + static_cast<double>(n) - 1.0;
  p.xrange = n > 1 ? AxisRange{x0, x1} : AxisRange{x0 - 0.5, x0 + 0.5};
  for (std::size_t c = 0; c < s.draws[q].size(); ++c) {
    Series line;
    line.label = "chain " + std::to_string(c + 1);
    line.x.resize(n);
    for (std::size_t t = 0; t < n; ++t) line.x[t] = x0 + static_cast<double>(t);
    line.y = s.draws[q][c];
    line.color = tab10(static_cast<int>(c));
    line.line_width = 1.0;
    if (n == 1) line.marker = Marker::circle;  // a single draw has no line to show
    p.series.push_back(std::move(line));
  }
  if (!s.truth.empty() && std::isfinite(s.truth[q])) {
    Series t;
    t.label = "truth";
    t.x = {p.xrange->lo, p.xrange->hi};
    t.y = {s.truth[q], s.truth[q]};
    t.color = sim::RGB{0, 0, 0};
    t.line = LineStyle::dashed;
    t.line_width = 2.0;
    p.series.push_back(std::move(t));
  }
  return p;
}

/// Copies `img` into `out` with its top-left corner at (x0, y0), clipped to `height` rows.
void blit(sim::Image& out, const sim::Image& img, int x0, int y0, int height) {
  for (int y = 0; y < img.height && y < height; ++y) {
    for (int x = 0; x < img.width && x0 + x < out.width; ++x) {
      out.set_clipped(x0 + x, y0 + y, img.get(x, y));
    }
  }
}

}  // namespace

void write_trace_png(const std::string& path, const TraceSpec& spec) {
  check(spec);
  const int panels = static_cast<int>(spec.names.size());
  const int title_height = spec.title.empty() ? 0 : kTitleHeight;
  sim::Image out(spec.width, title_height + panels * spec.panel_height);
  // A directory of this process and call, so that concurrent calls do not share files.
  static std::atomic<unsigned long> calls{0};
  const fs::path tmp_dir =
      fs::temp_directory_path() /
      ("cosmograd_trace_" + std::to_string(::getpid()) + "_" + std::to_string(calls.fetch_add(1)));
  fs::create_directories(tmp_dir);
  try {
    const std::string file = (tmp_dir / "panel.png").string();
    for (int q = 0; q < panels; ++q) {
      write_plot_png(file, panel(spec, static_cast<std::size_t>(q)));
      blit(out, sim::read_png(file), 0, title_height + q * spec.panel_height, spec.panel_height);
    }
    if (title_height > 0) {  // the title: a text-only plot strip on top
      PlotSpec t;
      t.width = spec.width;
      t.height = 180;
      t.title = spec.title;
      t.empty_message = " ";
      write_plot_png(file, t);
      blit(out, sim::read_png(file), 0, 0, title_height);
    }
  } catch (...) {
    fs::remove_all(tmp_dir);
    throw;
  }
  fs::remove_all(tmp_dir);
  sim::write_png(path, out);
}

}  // namespace cosmograd::viz
