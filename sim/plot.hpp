// Dependency-free rendering to images: line plots (lin/log axes) and density projections.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/colormap.hpp"
#include "sim/png.hpp"

namespace cosmograd::sim {

// ---------------------------------------------------------------------------------------------
// Text: an embedded bitmap font for printable ASCII (' '..'~').

/// Width of a glyph in font pixels.
inline constexpr int kGlyphWidth = 5;
/// Height of a glyph cell in font pixels: 7 rows down to the baseline, then 2 descender rows.
inline constexpr int kGlyphHeight = 9;
/// Rows of a glyph above and on the baseline (capital letters and digits fill them).
inline constexpr int kGlyphAscent = 7;
/// Horizontal distance between consecutive glyphs in font pixels.
inline constexpr int kGlyphAdvance = 6;

/// Row `row` (0 = top .. kGlyphHeight - 1) of the glyph of `c` as 5 bits, bit 4 = leftmost
/// column; characters outside ' '..'~' are drawn as '?'.
std::uint8_t glyph_row(char c, int row);
/// Width in pixels of `text` drawn at `scale` (each font pixel is scale x scale pixels).
int text_width(const std::string& text, int scale);
/// Draws `text` with the top-left corner of its first cell at (x, y); clipped to the image.
void draw_text(Image& image, int x, int y, const std::string& text, RGB color, int scale);
/// Draws `text` rotated 90 degrees counter-clockwise (reading upwards), the cell tops facing
/// left at column x and the text starting at row y_bottom; clipped to the image.
void draw_text_vertical(Image& image, int x, int y_bottom, const std::string& text, RGB color,
                        int scale);

// ---------------------------------------------------------------------------------------------
// Line plots.

/// Matplotlib's 'tab10' colour cycle: colour i modulo 10 (0 is blue, 1 orange, 2 green, ...).
RGB tab10(int i);

/// One curve: consecutive valid points are joined; NaN, inf and (on log axes) values <= 0
/// are skipped and break the line there.
struct Series {
  std::string label;         ///< legend text; series with an empty label are not listed
  std::vector<double> x;     ///< abscissae, same length as y
  std::vector<double> y;     ///< ordinates
  std::optional<RGB> color;  ///< default: tab10(index of the series in PlotSpec::series)
  bool dashed = false;       ///< draw the line dashed
  bool points = false;       ///< draw a filled circle at each valid point
  bool line = true;          ///< join consecutive valid points
  int line_width = 2;        ///< line width in pixels, 1..8
};

/// A closed axis range in data units.
struct AxisRange {
  double lo = 0.0;  ///< lower end (> 0 on a log axis)
  double hi = 1.0;  ///< upper end (> lo)
};

/// Which inner corner of the plot area holds the legend.
enum class LegendPosition { upper_right, upper_left, lower_left, lower_right, none };

/// Everything a plot shows; render_plot checks it and throws std::invalid_argument naming
/// the offending field.
struct PlotSpec {
  std::string title;                ///< above the plot area; may be empty
  std::string xlabel;               ///< below the x axis; may be empty
  std::string ylabel;               ///< left of the y axis, reading upwards
  bool logx = false;                ///< logarithmic x axis
  bool logy = false;                ///< logarithmic y axis
  int width = 800;                  ///< image width in pixels, 160..8192
  int height = 600;                 ///< image height in pixels, 120..8192
  std::vector<Series> series;       ///< curves, drawn in order
  std::optional<AxisRange> xrange;  ///< default: the valid data plus a 4% margin
  std::optional<AxisRange> yrange;  ///< default: the valid data plus a 4% margin
  bool grid = true;                 ///< light grid lines at the major ticks
  LegendPosition legend = LegendPosition::upper_right;  ///< legend corner
  int font_scale = 2;                                   ///< font pixel size for labels, 1..8
};

/// Where render_plot put things: the frame of the plot area in pixels and the data ranges.
struct PlotFrame {
  int left = 0;           ///< pixel column of the left frame line (x = xmin)
  int top = 0;            ///< pixel row of the top frame line (y = ymax)
  int right = 0;          ///< pixel column of the right frame line (x = xmax)
  int bottom = 0;         ///< pixel row of the bottom frame line (y = ymin)
  AxisRange x;            ///< data range shown along x
  AxisRange y;            ///< data range shown along y
  bool logx = false;      ///< x axis is logarithmic
  bool logy = false;      ///< y axis is logarithmic
  int legend_left = 0;    ///< legend box, inclusive pixel bounds (all 0 when there is none)
  int legend_top = 0;     ///< legend box top row
  int legend_right = 0;   ///< legend box right column
  int legend_bottom = 0;  ///< legend box bottom row

  /// Pixel column (fractional) of data abscissa x.
  double to_pixel_x(double x) const;
  /// Pixel row (fractional) of data ordinate y.
  double to_pixel_y(double y) const;
};

/// Renders the plot onto a white image; fills *frame when it is not null.
Image render_plot(const PlotSpec& spec, PlotFrame* frame = nullptr);
/// Renders the plot and writes it as PNG to `path`, atomically.
void write_plot_png(const std::string& path, const PlotSpec& spec);

// ---------------------------------------------------------------------------------------------
// Density projections.

/// How density_projection maps values to colours.
struct ProjectionOptions {
  bool log_scale = true;           ///< colour by log10(value); values <= 0 get the darkest colour
  double lower_percentile = 1.0;   ///< percentile of the valid values shown darkest, in [0, 100]
  double upper_percentile = 99.9;  ///< percentile shown brightest, in [0, 100], > lower
  std::optional<double> vmin;      ///< fixed darkest value (overrides lower_percentile)
  std::optional<double> vmax;      ///< fixed brightest value (overrides upper_percentile)
  int pixel_size = 1;              ///< each cell becomes pixel_size x pixel_size pixels, 1..64
  RGB (*colormap)(double) = colormap_inferno;  ///< maps [0, 1] to a colour
};

/// Image of a projected field, e.g. 1 + delta summed along the line of sight: `column` has
/// nx * ny values, cell (ix, iy) at column[ix * ny + iy] (C order of an (nx, ny) array, as
/// from summing a C-ordered (nx, ny, nz) mesh over z); ix grows to the right and iy upwards.
/// Values are clipped to the range from the options, then coloured linearly in log10 (or
/// linearly); NaN and inf get the darkest colour and are left out of the percentiles.
Image density_projection(const std::vector<double>& column, int nx, int ny,
                         const ProjectionOptions& options = {});

}  // namespace cosmograd::sim
