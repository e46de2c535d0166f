#include "viz/plot.hpp"

#include <plplot.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

#include "viz/detail/layout.hpp"
#include "viz/detail/page.hpp"

namespace cosmograd::viz {
namespace {

using detail::Check;

/// A point in data space after the axis transform (log10 on a log axis).
struct Point {
  double x = 0;
  double y = 0;
};

/// Axis transform: log10 on a log axis; NaN where the value cannot be drawn.
double to_axis(double v, bool log) {
  if (!std::isfinite(v) || (log && !(v > 0.0))) return std::nan("");
  return log ? std::log10(v) : v;
}

/// The drawable points of a series as runs of consecutive valid points (a line breaks at
/// an invalid point).
std::vector<std::vector<Point>> runs(const Series& s, bool logx, bool logy) {
  std::vector<std::vector<Point>> out(1);
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    const Point p{to_axis(s.x[i], logx), to_axis(s.y[i], logy)};
    if (std::isnan(p.x) || std::isnan(p.y)) {
      if (!out.back().empty()) out.emplace_back();
      continue;
    }
    out.back().push_back(p);
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

bool has_points(const PlotSpec& spec) {
  for (const Series& s : spec.series) {
    if (!runs(s, spec.logx, spec.logy).empty()) return true;
  }
  return false;
}

/// The axis range (in axis units) of the values in `v` with a 4% margin; a log axis spans
/// at least two decade ticks so that it carries two labels.
std::pair<double, double> auto_range(std::vector<double> v, bool log) {
  if (v.empty()) return {0.0, 1.0};
  const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
  double lo = *mn;
  double hi = *mx;
  if (hi - lo <= 0.0) {
    const double pad = log ? 0.5 : std::max(0.5 * std::abs(lo), 0.5);
    lo -= pad;
    hi += pad;
  }
  const double margin = 0.04 * (hi - lo);
  lo -= margin;
  hi += margin;
  if (log && std::floor(hi) - std::ceil(lo) < 1.0) {
    lo = std::floor(lo);
    hi = std::ceil(hi);
  }
  return {lo, hi};
}

/// The plot window in axis units: explicit ranges, else the drawable data (for y only the
/// points inside an explicit x range).
std::array<double, 4> window(const PlotSpec& spec) {
  const auto axis = [](const std::optional<AxisRange>& r, bool log) {
    return std::pair<double, double>{to_axis(r->lo, log), to_axis(r->hi, log)};
  };
  std::vector<double> xs;
  for (const Series& s : spec.series) {
    for (const auto& run : runs(s, spec.logx, spec.logy)) {
      for (const Point& p : run) xs.push_back(p.x);
    }
  }
  const auto [x0, x1] = spec.xrange ? axis(spec.xrange, spec.logx) : auto_range(xs, spec.logx);
  std::vector<double> ys;
  for (const Series& s : spec.series) {
    for (std::size_t i = 0; i < s.y.size(); ++i) {
      const double x = to_axis(s.x[i], spec.logx);
      if (std::isnan(x) || x < x0 || x > x1) continue;
      for (const double v :
           {s.y[i], s.y_lo.empty() ? s.y[i] : s.y_lo[i], s.y_hi.empty() ? s.y[i] : s.y_hi[i]}) {
        const double y = to_axis(v, spec.logy);
        if (!std::isnan(y)) ys.push_back(y);
      }
    }
  }
  const auto [y0, y1] = spec.yrange ? axis(spec.yrange, spec.logy) : auto_range(ys, spec.logy);
  return {x0, x1, y0, y1};
}

const char* marker_glyph(Marker m) {
  switch (m) {
    case Marker::circle:
      return "●";
    case Marker::open_circle:
      return "○";
    case Marker::square:
      return "■";
    case Marker::open_square:
      return "□";
    case Marker::none:
      break;
  }
  return "";
}

/// PLplot's built-in line style (pllsty) of a LineStyle.
int line_style(LineStyle l) {
  switch (l) {
    case LineStyle::dashed:
      return 3;
    case LineStyle::dotted:
      return 2;
    default:
      return 1;
  }
}

/// The points of a run that get a marker: the first, then each one at least `spacing` (in
/// axis units along x) beyond the last marked one.
std::vector<Point> marked(const std::vector<Point>& run, double spacing) {
  std::vector<Point> out;
  for (const Point& p : run) {
    if (out.empty() || std::abs(p.x - out.back().x) >= spacing) out.push_back(p);
  }
  return out;
}

/// Character height of the symbols of `s` relative to the base height (the open glyphs are
/// drawn larger: their thin outline looks smaller than a filled glyph).
double marker_scale(const Series& s) {
  const bool open = s.marker == Marker::open_circle || s.marker == Marker::open_square;
  return (open ? 0.8 : 0.62) * s.marker_size;
}

void draw_series(detail::PngPage& page, const PlotSpec& spec, std::size_t index,
                 const std::array<double, 4>& win, double base_height) {
  const Series& s = spec.series[index];
  const sim::RGB rgb = s.color ? *s.color : tab10(static_cast<int>(index));
  plcol0(page.color(rgb));
  plwidth(s.line_width);
  if (!s.y_lo.empty()) {
    std::vector<PLFLT> x, lo, hi;
    for (std::size_t i = 0; i < s.y.size(); ++i) {
      const double xi = to_axis(s.x[i], spec.logx);
      const double yl = to_axis(s.y_lo[i], spec.logy);
      const double yh = to_axis(s.y_hi[i], spec.logy);
      if (std::isnan(xi) || std::isnan(yh)) continue;
      x.push_back(xi);
      lo.push_back(std::isnan(yl) ? win[2] - (win[3] - win[2]) : yl);  // runs off the bottom
      hi.push_back(yh);
    }
    plsmin(0.0, 0.6 * s.marker_size);  // length of the bar ends
    plwidth(std::max(1.0, 0.6 * s.line_width));
    plerry(static_cast<PLINT>(x.size()), x.data(), lo.data(), hi.data());
    plsmin(0.0, 1.0);
    plwidth(s.line_width);
  }
  const double spacing = s.marker_spacing * (win[1] - win[0]);
  for (const std::vector<Point>& run : runs(s, spec.logx, spec.logy)) {
    std::vector<PLFLT> x(run.size()), y(run.size());
    for (std::size_t i = 0; i < run.size(); ++i) {
      x[i] = run[i].x;
      y[i] = run[i].y;
    }
    if (s.line != LineStyle::none && run.size() > 1) {
      pllsty(line_style(s.line));
      plline(static_cast<PLINT>(run.size()), x.data(), y.data());
      pllsty(1);
    }
    if (s.marker != Marker::none) {
      const std::vector<Point> m = marked(run, spacing);
      std::vector<PLFLT> mx(m.size()), my(m.size());
      for (std::size_t i = 0; i < m.size(); ++i) {
        mx[i] = m[i].x;
        my[i] = m[i].y;
      }
      plschr(base_height, marker_scale(s));
      plstring(static_cast<PLINT>(m.size()), mx.data(), my.data(), marker_glyph(s.marker));
      plschr(base_height, 1.0);
    }
  }
}

/// One legend line: a series (with its index) or a note (index < 0).
struct LegendEntry {
  int series = -1;
  std::string text;
};

constexpr double kLegendTextScale = 0.9;
constexpr double kLegendSpacing = 1.9;  // line pitch in legend character heights
constexpr double kLegendSample = 0.09;  // width of the line samples, fraction of the plot
constexpr double kLegendInset = 0.015;  // gap to the plot frame, fraction of the plot

/// The corner (PL_POSITION_* flags) for the legend: the requested one, or for `best` the one
/// whose estimated box holds the fewest data points (line segments sampled).
PLINT legend_corner(const PlotSpec& spec, const std::vector<LegendEntry>& entries,
                    const std::array<double, 4>& win, double vp_w_mm, double vp_h_mm,
                    double base_height) {
  constexpr PLINT kCorners[4] = {
      PL_POSITION_TOP | PL_POSITION_RIGHT, PL_POSITION_TOP | PL_POSITION_LEFT,
      PL_POSITION_BOTTOM | PL_POSITION_LEFT, PL_POSITION_BOTTOM | PL_POSITION_RIGHT};
  switch (spec.legend) {
    case LegendPosition::upper_right:
      return kCorners[0];
    case LegendPosition::upper_left:
      return kCorners[1];
    case LegendPosition::lower_left:
      return kCorners[2];
    case LegendPosition::lower_right:
      return kCorners[3];
    default:
      break;
  }
  const double h = base_height * kLegendTextScale;
  double text_w = 0;
  for (const LegendEntry& e : entries) text_w = std::max(text_w, detail::text_width(e.text));
  // The estimated box with 2% of the plot to spare, so that data next to it counts too.
  const double box_w = kLegendSample + kLegendInset + (text_w + 2.5) * h / vp_w_mm + 0.02;
  const double box_h = kLegendInset + (entries.size() * kLegendSpacing + 0.5) * h / vp_h_mm + 0.02;
  // Points as fractions of the plot area, weighted: a marker 25, a sample of a line 1.
  std::vector<std::pair<Point, int>> pts;
  for (const Series& s : spec.series) {
    const int marker_weight = s.marker != Marker::none || !s.y_lo.empty() ? 25 : 1;
    for (const auto& run : runs(s, spec.logx, spec.logy)) {
      for (std::size_t i = 0; i < run.size(); ++i) {
        const int steps = (s.line != LineStyle::none && i + 1 < run.size()) ? 8 : 1;
        for (int k = 0; k < steps; ++k) {
          const double t = static_cast<double>(k) / steps;
          const Point a = run[i];
          const Point b = (k == 0) ? a : run[i + 1];
          pts.push_back({{((a.x + t * (b.x - a.x)) - win[0]) / (win[1] - win[0]),
                          ((a.y + t * (b.y - a.y)) - win[2]) / (win[3] - win[2])},
                         k == 0 ? marker_weight : 1});
        }
      }
    }
  }
  PLINT best = kCorners[0];
  long fewest = -1;
  for (const PLINT c : kCorners) {
    const double x0 = (c & PL_POSITION_LEFT) ? 0.0 : 1.0 - box_w;
    const double y0 = (c & PL_POSITION_BOTTOM) ? 0.0 : 1.0 - box_h;
    long n = 0;
    for (const auto& [p, weight] : pts) {
      if (p.x >= x0 && p.x <= x0 + box_w && p.y >= y0 && p.y <= y0 + box_h) n += weight;
    }
    if (fewest < 0 || n < fewest) {
      fewest = n;
      best = c;
    }
  }
  return best;
}

void draw_legend(detail::PngPage& page, const PlotSpec& spec, const std::array<double, 4>& win,
                 double vp_w_mm, double vp_h_mm, double base_height) {
  std::vector<LegendEntry> entries;
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    if (!spec.series[i].label.empty())
      entries.push_back({static_cast<int>(i), spec.series[i].label});
  }
  for (const std::string& n : spec.notes) entries.push_back({-1, n});
  if (entries.empty() || spec.legend == LegendPosition::none) return;
  const std::size_t n = entries.size();
  std::vector<PLINT> opt(n), text_colors(n), line_colors(n), line_styles(n), symbol_colors(n),
      symbol_numbers(n), box_colors(n, 0), box_patterns(n, 0);
  std::vector<PLFLT> line_widths(n), symbol_scales(n), box_scales(n, 1.0), box_widths(n, 1.0);
  std::vector<const char*> text(n), symbols(n);
  for (std::size_t i = 0; i < n; ++i) {
    text[i] = entries[i].text.c_str();
    symbols[i] = "";
    if (entries[i].series < 0) {
      opt[i] = PL_LEGEND_NONE;
      text_colors[i] = detail::kDarkGrey;
      continue;
    }
    const Series& s = spec.series[static_cast<std::size_t>(entries[i].series)];
    const int color = page.color(s.color ? *s.color : tab10(entries[i].series));
    text_colors[i] = detail::kBlack;
    const bool line = s.line != LineStyle::none || s.marker == Marker::none;
    opt[i] = (line ? PL_LEGEND_LINE : 0) | (s.marker != Marker::none ? PL_LEGEND_SYMBOL : 0);
    line_colors[i] = color;
    line_styles[i] = line_style(s.line);
    line_widths[i] = s.line_width;
    symbol_colors[i] = color;
    symbol_scales[i] = marker_scale(s) / kLegendTextScale;
    symbol_numbers[i] = s.line == LineStyle::none ? 1 : 2;
    symbols[i] = marker_glyph(s.marker);
  }
  const PLINT corner = legend_corner(spec, entries, win, vp_w_mm, vp_h_mm, base_height);
  PLFLT legend_w = 0, legend_h = 0;
  pllegend(&legend_w, &legend_h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
           corner | PL_POSITION_INSIDE | PL_POSITION_VIEWPORT, kLegendInset, kLegendInset,
           kLegendSample, detail::kWhite, detail::kGrid, 1, 0, 0, static_cast<PLINT>(n), opt.data(),
           1.0, kLegendTextScale, kLegendSpacing, 0.0, text_colors.data(), text.data(),
           box_colors.data(), box_patterns.data(), box_scales.data(), box_widths.data(),
           line_colors.data(), line_styles.data(), line_widths.data(), symbol_colors.data(),
           symbol_scales.data(), symbol_numbers.data(), symbols.data());
}

}  // namespace

sim::RGB tab10(int i) {
  // matplotlib's default property cycle ('tab10', from Tableau 10).
  static constexpr sim::RGB kTab10[10] = {
      {31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
      {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
  return kTab10[((i % 10) + 10) % 10];
}

void validate(const PlotSpec& spec) {
  const Check check("PlotSpec");
  check.size(spec.width, spec.height);
  check.in_range("font_scale", spec.font_scale, 0.5, 3.0);
  for (const auto& [name, range, log] : {std::tuple{"xrange", spec.xrange, spec.logx},
                                         std::tuple{"yrange", spec.yrange, spec.logy}}) {
    if (!range) continue;
    if (!std::isfinite(range->lo) || !std::isfinite(range->hi) || !(range->lo < range->hi) ||
        (log && !(range->lo > 0.0))) {
      check.fail(name, "[" + detail::format(range->lo) + ", " + detail::format(range->hi) + "]",
                 log ? "finite with 0 < lo < hi on a log axis" : "finite with lo < hi");
    }
  }
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const Series& s = spec.series[i];
    const std::string f = "series[" + std::to_string(i) + "].";
    if (s.y.size() != s.x.size()) {
      check.fail(f + "y", std::to_string(s.y.size()) + " values",
                 "as many as x (" + std::to_string(s.x.size()) + ")");
    }
    if (s.y_lo.size() != s.y_hi.size() || (!s.y_lo.empty() && s.y_lo.size() != s.y.size())) {
      check.fail(f + "y_lo/y_hi",
                 std::to_string(s.y_lo.size()) + "/" + std::to_string(s.y_hi.size()) + " values",
                 "both empty or both as many as y (" + std::to_string(s.y.size()) + ")");
    }
    check.in_range(f + "line_width", s.line_width, 0.0, 20.0, /*open_lo=*/true);
    check.in_range(f + "marker_size", s.marker_size, 0.0, 5.0, /*open_lo=*/true);
    check.in_range(f + "marker_spacing", s.marker_spacing, 0.0, 0.5);
    if (s.line == LineStyle::none && s.marker == Marker::none && s.y_lo.empty()) {
      check.fail(f + "line/marker", "none/none", "a line, a marker or error bars to draw");
    }
  }
}

void write_plot_png(const std::string& path, const PlotSpec& spec) {
  validate(spec);
  const std::array<double, 4> win = window(spec);
  detail::PngPage page(path, spec.width, spec.height);
  const bool empty = !has_points(spec) && !spec.empty_message.empty();
  const double ytick_width = empty ? 0.0 : detail::tick_label_width(win[2], win[3], spec.logy);
  const detail::Frame frame =
      detail::plot_frame(page, spec.font_scale, spec.title, !spec.xlabel.empty(), ytick_width, 0.0);
  const double h = frame.base_height;
  if (empty) {
    // Title and message only, centred on the image: no empty axes.
    const double margin = page.width_mm() - frame.right;
    plsvpa(margin, page.width_mm() - margin, frame.bottom, frame.top);
    detail::frame_text(frame, "", "");
    plvpor(0.0, 1.0, 0.0, 1.0);
    plwind(0.0, 1.0, 0.0, 1.0);
    plcol0(detail::kBlack);
    plschr(h, 1.4);
    plptex(0.5, 0.55, 1.0, 0.0, 0.5, spec.empty_message.c_str());
    plcol0(detail::kDarkGrey);
    plschr(h, 1.0);
    for (std::size_t i = 0; i < spec.notes.size(); ++i) {
      plptex(0.5, 0.55 - (i + 1.5) * 1.8 * h / page.height_mm(), 1.0, 0.0, 0.5,
             spec.notes[i].c_str());
    }
    page.finish();
    return;
  }
  plsvpa(frame.left, frame.right, frame.bottom, frame.top);
  plwind(win[0], win[1], win[2], win[3]);
  const std::string lx = spec.logx ? "l" : "";
  const std::string ly = spec.logy ? "l" : "";
  if (spec.grid) {
    plcol0(detail::kGrid);
    plwidth(1.0);
    plbox(("g" + lx).c_str(), 0.0, 0, ("g" + ly).c_str(), 0.0, 0);
  }
  for (std::size_t i = 0; i < spec.series.size(); ++i) draw_series(page, spec, i, win, h);
  plcol0(detail::kBlack);
  plwidth(1.0);
  plschr(h, detail::kTickScale);
  plbox(("bcnst" + lx).c_str(), 0.0, 0, ("bcnstv" + ly).c_str(), 0.0, 0);
  plschr(h, 1.0);
  detail::frame_text(frame, spec.xlabel, spec.ylabel);
  draw_legend(page, spec, win, frame.right - frame.left, frame.top - frame.bottom, h);
  page.finish();
}

}  // namespace cosmograd::viz
