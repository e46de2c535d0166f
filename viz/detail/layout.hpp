// Page layout shared by the plots of viz/: spec checks, margins, titles and axis labels.
// Only viz/ uses this header.
#pragma once

#include <string>
#include <vector>

#include "viz/detail/page.hpp"

namespace cosmograd::viz::detail {

/// Size of the tick labels relative to the base character height.
inline constexpr double kTickScale = 0.9;
/// Size of the title relative to the base character height.
inline constexpr double kTitleScale = 1.15;
/// Line spacing of the title in title character heights.
inline constexpr double kTitlePitch = 1.45;

/// `v` as printf's "%g".
std::string format(double v);

/// Checks of one spec type; each failure throws std::invalid_argument
/// "<spec>.<field> = <value>: must be <allowed>".
class Check {
 public:
  /// Checks of the spec type named `spec` (e.g. "PlotSpec").
  explicit Check(std::string spec) : spec_(std::move(spec)) {}
  /// Throws for `field` holding `value`, which is not `allowed`.
  [[noreturn]] void fail(const std::string& field, const std::string& value,
                         const std::string& allowed) const;
  /// Image width in 240..8192 and height in 180..8192 pixels (fields "width", "height").
  void size(int width, int height) const;
  /// lo <= v <= hi (lo < v with open_lo); NaN fails.
  void in_range(const std::string& field, double v, double lo, double hi,
                bool open_lo = false) const;

 private:
  std::string spec_;
};

/// The plot area of a page in millimetres from its lower-left corner.
struct Frame {
  double base_height = 0;          ///< base character height [mm] (plschr's default)
  double left = 0;                 ///< left edge of the plot area [mm]
  double right = 0;                ///< right edge [mm]
  double bottom = 0;               ///< bottom edge [mm]
  double top = 0;                  ///< top edge [mm]
  double ylabel_offset = 0;        ///< distance of the y label from the frame [base heights]
  std::vector<std::string> title;  ///< the title's lines, top first
  double title_scale = 1;          ///< the title's size relative to base_height
};

/// Width in character heights of the widest tick label PLplot puts on an axis spanning
/// [lo, hi] in axis units (log10 of the data on a log axis).
double tick_label_width(double lo, double hi, bool log);

/// The base character height [mm] of a page: 14 pixels for a 960 x 720 image, growing with
/// its diagonal, times `font_scale`.
double base_height(const PngPage& page, double font_scale);

/// Sets the base character height for the page size and `font_scale` and lays out the plot
/// area: room for the y tick labels `ytick_width` character heights wide, an x label when
/// `xlabel`, `right_mm` more on the right (e.g. for a colour bar), and `title` above,
/// wrapped (and if need be shrunk) so that centred on the area it fits the image.
Frame plot_frame(const PngPage& page, double font_scale, const std::string& title, bool xlabel,
                 double ytick_width, double right_mm);

/// Draws the title above and the axis labels around the current viewport (a plot area
/// within `frame`, centred on it horizontally).
void frame_text(const Frame& frame, const std::string& xlabel, const std::string& ylabel);

}  // namespace cosmograd::viz::detail
