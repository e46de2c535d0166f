// Line plots and density maps as PNG files, drawn by PLplot's cairo driver.
//
// Text fields are UTF-8 and may use PLplot's escapes: "#u" .. "#d" for a superscript,
// "#d" .. "#u" for a subscript, "#gd" for a Greek delta, "##" for '#'. Every writer checks
// its spec first (std::invalid_argument naming the field), then renders under a
// process-wide lock and writes the file atomically (temporary name, then rename).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/io/png.hpp"

namespace cosmograd::viz {

/// Matplotlib's 'tab10' colour cycle: colour i modulo 10 (0 is blue, 1 orange, 2 green, ...).
sim::RGB tab10(int i);

/// How consecutive points of a series are joined.
enum class LineStyle { none, solid, dashed, dotted };

/// The symbol drawn at the points of a series.
enum class Marker { none, circle, open_circle, square, open_square };

/// One curve. Points with NaN or inf (and, on a log axis, values <= 0) are skipped and
/// break the line there.
struct Series {
  std::string label;                  ///< legend text; series with an empty label are not listed
  std::vector<double> x;              ///< abscissae, same length as y
  std::vector<double> y;              ///< ordinates
  std::vector<double> y_lo;           ///< lower ends of error bars (empty: none), same length as y
  std::vector<double> y_hi;           ///< upper ends of error bars, given with y_lo
  std::optional<sim::RGB> color;      ///< default: tab10(index of the series)
  LineStyle line = LineStyle::solid;  ///< how the points are joined
  double line_width = 2.0;            ///< line width in pixels, in (0, 20]
  Marker marker = Marker::none;       ///< symbol at the points
  double marker_size = 1.0;           ///< symbol size relative to the tick labels, in (0, 5]
  /// Markers are drawn at least this far apart along x, as a fraction of the plot width
  /// (points in between keep the line but get no marker), in [0, 0.5]; 0 marks every point.
  double marker_spacing = 0.0;
};

/// A closed axis range in data units.
struct AxisRange {
  double lo = 0.0;  ///< lower end (> 0 on a log axis)
  double hi = 1.0;  ///< upper end (> lo)
};

/// Where the legend goes inside the plot area; `best` picks the corner covering the fewest
/// data points.
enum class LegendPosition { best, upper_right, upper_left, lower_left, lower_right, none };

/// Everything a line plot shows.
struct PlotSpec {
  std::string title;                ///< above the plot area, wrapped to the image width
  std::string xlabel;               ///< below the x axis, with units, e.g. "k [h/Mpc]"
  std::string ylabel;               ///< left of the y axis, reading upwards
  bool logx = false;                ///< logarithmic x axis
  bool logy = false;                ///< logarithmic y axis
  int width = 960;                  ///< image width in pixels, 240..8192
  int height = 720;                 ///< image height in pixels, 180..8192
  std::vector<Series> series;       ///< curves, drawn in order
  std::optional<AxisRange> xrange;  ///< default: the drawable data plus a margin
  std::optional<AxisRange> yrange;  ///< default: the drawable data plus a margin
  bool grid = true;                 ///< light grid lines at the major ticks
  LegendPosition legend = LegendPosition::best;  ///< legend placement
  /// Extra lines listed below the legend entries, e.g. "3 bins with P <= 0 not shown".
  std::vector<std::string> notes;
  /// Shown in place of the axes when no series has a point to draw, e.g. "No halos found";
  /// empty: draw empty axes.
  std::string empty_message;
  double font_scale = 1.0;  ///< text size relative to the default for the image, in [0.5, 3]
};

/// Throws std::invalid_argument naming the first bad field of `spec`, its value and what is
/// allowed.
void validate(const PlotSpec& spec);

/// Renders the plot into a PNG file at `path` (parent directories are created).
void write_plot_png(const std::string& path, const PlotSpec& spec);

/// A map of a field projected along the line of sight (e.g. 1 + delta averaged through a
/// slab), drawn with axes in Mpc/h, a colour bar and a title stating z and the slab depth.
struct DensityMapSpec {
  std::string title = "Projected density";  ///< first part of the title; z and depth follow
  double extent_x = 0;                      ///< side of the map along x [Mpc/h], > 0
  double extent_y = 0;                      ///< side of the map along y [Mpc/h], > 0
  double redshift = 0;                      ///< redshift of the field, >= 0
  double slab_depth = 0;                    ///< depth projected through [Mpc/h], > 0
  std::string xlabel = "x [Mpc/h]";         ///< below the map
  std::string ylabel = "y [Mpc/h]";         ///< left of the map
  std::string colorbar_label = "1 + #gd";   ///< beside the colour bar
  bool log_scale = true;                    ///< colour by log10(value); values <= 0 get the darkest
  double lower_percentile = 1.0;   ///< percentile of the finite values shown darkest, [0, 100)
  double upper_percentile = 99.9;  ///< percentile shown brightest, (lower, 100]
  std::optional<double> vmin;      ///< fixed darkest value (overrides lower_percentile)
  std::optional<double> vmax;      ///< fixed brightest value (overrides upper_percentile)
  int width = 900;                 ///< image width in pixels, 240..8192
  int height = 760;                ///< image height in pixels, 180..8192
  double font_scale = 1.0;         ///< text size relative to the default, in [0.5, 3]
};

/// Throws std::invalid_argument naming the first bad field of `spec` or the bad shape of
/// `column` (nx * ny values).
void validate(const DensityMapSpec& spec, const std::vector<double>& column, int nx, int ny);

/// Renders `column` (nx * ny values, cell (ix, iy) at column[ix * ny + iy]: C order of an
/// (nx, ny) array, as from averaging a C-ordered (nx, ny, nz) mesh over z; ix grows to the
/// right, iy upwards) with the inferno colour map into a PNG file at `path`. Values are
/// clipped to the range from the spec; NaN and inf get the darkest colour and are left out
/// of the percentiles. Maps finer than the image are averaged over blocks of cells.
void write_density_map_png(const std::string& path, const std::vector<double>& column, int nx,
                           int ny, const DensityMapSpec& spec);

}  // namespace cosmograd::viz
