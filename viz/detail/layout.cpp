#include "viz/detail/layout.hpp"

#include <plplot.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace cosmograd::viz::detail {

std::string format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void Check::fail(const std::string& field, const std::string& value,
                 const std::string& allowed) const {
  throw std::invalid_argument(spec_ + "." + field + " = " + value + ": must be " + allowed);
}

void Check::size(int width, int height) const {
  if (width < 240 || width > 8192) fail("width", std::to_string(width), "in 240..8192 pixels");
  if (height < 180 || height > 8192) {
    fail("height", std::to_string(height), "in 180..8192 pixels");
  }
}

void Check::in_range(const std::string& field, double v, double lo, double hi, bool open_lo) const {
  if (!(open_lo ? v > lo : v >= lo) || !(v <= hi)) {
    fail(field, format(v),
         std::string("in ") + (open_lo ? "(" : "[") + format(lo) + ", " + format(hi) + "]");
  }
}

double tick_label_width(double lo, double hi, bool log) {
  double widest = 0.0;
  if (log) {
    for (double d = std::ceil(lo); d <= std::floor(hi); d += 1.0) {
      widest = std::max(widest, text_width("10#u" + format(d) + "#d"));
    }
    return std::max(widest, text_width("10#u0#d"));
  }
  // PLplot's linear labels: about six ticks, as many decimals as the step needs.
  const double span = hi - lo;
  const double step = std::pow(10.0, std::floor(std::log10(span / 6.0)));
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step))));
  for (const double v : {lo, hi}) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    widest = std::max(widest, text_width(buf));
  }
  return std::min(widest, text_width("-0.0000"));  // beyond that PLplot scales the labels
}

double base_height(const PngPage& page, double font_scale) {
  return font_scale * std::sqrt(page.width_mm() * page.height_mm()) / 58.0;
}

Frame plot_frame(const PngPage& page, double font_scale, const std::string& title, bool xlabel,
                 double ytick_width, double right_mm) {
  Frame f;
  const double w = page.width_mm();
  const double h = page.height_mm();
  f.base_height = base_height(page, font_scale);
  const double c = f.base_height;
  plschr(c, 1.0);
  f.ylabel_offset = ytick_width * kTickScale + 1.4;
  f.left = (f.ylabel_offset + 1.2) * c;
  f.right = w - std::max(1.6 * c, right_mm);
  f.bottom = (xlabel ? 4.3 : 2.4) * c;

  // The title: centred over the plot area, wrapped to the image, smaller if a word is too long.
  const double centre = 0.5 * (f.left + f.right);
  const double room = 2.0 * std::min(centre, w - centre) - 1.6 * c;  // [mm]
  f.title_scale = kTitleScale;
  f.title = wrap_text(title, room / (f.title_scale * c));
  const auto widest = [&f] {
    double m = 0;
    for (const std::string& l : f.title) m = std::max(m, text_width(l));
    return m;
  };
  while (f.title_scale > 0.5 && widest() * f.title_scale * c > room) {
    f.title_scale *= 0.9;
    f.title = wrap_text(title, room / (f.title_scale * c));
  }
  f.top =
      h - (f.title.empty() ? 1.2 * c : (f.title.size() * kTitlePitch + 1.3) * f.title_scale * c);
  return f;
}

void frame_text(const Frame& frame, const std::string& xlabel, const std::string& ylabel) {
  const double c = frame.base_height;
  plcol0(kBlack);
  plschr(c, frame.title_scale);
  const std::size_t n = frame.title.size();
  for (std::size_t i = 0; i < n; ++i) {
    const double disp = 0.8 + (n - 1 - i) * kTitlePitch;
    plmtex("t", disp, 0.5, 0.5, frame.title[i].c_str());
  }
  plschr(c, 1.0);
  if (!xlabel.empty()) plmtex("b", 2.9, 0.5, 0.5, xlabel.c_str());
  if (!ylabel.empty()) plmtex("l", frame.ylabel_offset, 0.5, 0.5, ylabel.c_str());
}

}  // namespace cosmograd::viz::detail
