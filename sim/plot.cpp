#include "sim/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <utility>

namespace cosmograd::sim {
namespace {

// The glyphs of ' '..'~' (95 characters), drawn for cosmograd: 5 columns x 9 rows, one byte
// per row from the top, bit 4 = leftmost column. Rows 0-6 hold capitals and digits (row 6
// is the baseline), lower-case letters use rows 2-6, descenders (g j p q y , ; _) rows 7-8.
constexpr std::uint8_t kFont[95][kGlyphHeight] = {
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // space
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04, 0x00, 0x00},  // !
    {0x0A, 0x0A, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // "
    {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A, 0x00, 0x00},  // #
    {0x04, 0x0F, 0x14, 0x0E, 0x05, 0x1E, 0x04, 0x00, 0x00},  // $
    {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03, 0x00, 0x00},  // %
    {0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D, 0x00, 0x00},  // &
    {0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // '
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02, 0x00, 0x00},  // (
    {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08, 0x00, 0x00},  // )
    {0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00, 0x00, 0x00},  // *
    {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00, 0x00, 0x00},  // +
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C, 0x04, 0x08},  // ,
    {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00, 0x00, 0x00},  // -
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C, 0x00, 0x00},  // .
    {0x01, 0x02, 0x02, 0x04, 0x08, 0x08, 0x10, 0x00, 0x00},  // /
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E, 0x00, 0x00},  // 0
    {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E, 0x00, 0x00},  // 1
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F, 0x00, 0x00},  // 2
    {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E, 0x00, 0x00},  // 3
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02, 0x00, 0x00},  // 4
    {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E, 0x00, 0x00},  // 5
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E, 0x00, 0x00},  // 6
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08, 0x00, 0x00},  // 7
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E, 0x00, 0x00},  // 8
    {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C, 0x00, 0x00},  // 9
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00, 0x00, 0x00},  // :
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x04, 0x08, 0x00},  // ;
    {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02, 0x00, 0x00},  // <
    {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00, 0x00, 0x00},  // =
    {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08, 0x00, 0x00},  // >
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00, 0x00},  // ?
    {0x0E, 0x11, 0x01, 0x0D, 0x15, 0x15, 0x0E, 0x00, 0x00},  // @
    {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11, 0x00, 0x00},  // A
    {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E, 0x00, 0x00},  // B
    {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E, 0x00, 0x00},  // C
    {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C, 0x00, 0x00},  // D
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F, 0x00, 0x00},  // E
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10, 0x00, 0x00},  // F
    {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F, 0x00, 0x00},  // G
    {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11, 0x00, 0x00},  // H
    {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E, 0x00, 0x00},  // I
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C, 0x00, 0x00},  // J
    {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11, 0x00, 0x00},  // K
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F, 0x00, 0x00},  // L
    {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11, 0x00, 0x00},  // M
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11, 0x00, 0x00},  // N
    {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E, 0x00, 0x00},  // O
    {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10, 0x00, 0x00},  // P
    {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D, 0x00, 0x00},  // Q
    {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11, 0x00, 0x00},  // R
    {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E, 0x00, 0x00},  // S
    {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00},  // T
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E, 0x00, 0x00},  // U
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04, 0x00, 0x00},  // V
    {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A, 0x00, 0x00},  // W
    {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11, 0x00, 0x00},  // X
    {0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00},  // Y
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F, 0x00, 0x00},  // Z
    {0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E, 0x00, 0x00},  // [
    {0x10, 0x08, 0x08, 0x04, 0x02, 0x02, 0x01, 0x00, 0x00},  // backslash
    {0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E, 0x00, 0x00},  // ]
    {0x04, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // ^
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F, 0x00},  // _
    {0x08, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // `
    {0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F, 0x00, 0x00},  // a
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E, 0x00, 0x00},  // b
    {0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E, 0x00, 0x00},  // c
    {0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F, 0x00, 0x00},  // d
    {0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E, 0x00, 0x00},  // e
    {0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08, 0x00, 0x00},  // f
    {0x00, 0x00, 0x0F, 0x11, 0x11, 0x11, 0x0F, 0x01, 0x0E},  // g
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11, 0x00, 0x00},  // h
    {0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E, 0x00, 0x00},  // i
    {0x02, 0x00, 0x06, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C},  // j
    {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12, 0x00, 0x00},  // k
    {0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E, 0x00, 0x00},  // l
    {0x00, 0x00, 0x1A, 0x15, 0x15, 0x15, 0x11, 0x00, 0x00},  // m
    {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11, 0x00, 0x00},  // n
    {0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E, 0x00, 0x00},  // o
    {0x00, 0x00, 0x1E, 0x11, 0x11, 0x11, 0x1E, 0x10, 0x10},  // p
    {0x00, 0x00, 0x0F, 0x11, 0x11, 0x11, 0x0F, 0x01, 0x01},  // q
    {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10, 0x00, 0x00},  // r
    {0x00, 0x00, 0x0F, 0x10, 0x0E, 0x01, 0x1E, 0x00, 0x00},  // s
    {0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06, 0x00, 0x00},  // t
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D, 0x00, 0x00},  // u
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04, 0x00, 0x00},  // v
    {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A, 0x00, 0x00},  // w
    {0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x00, 0x00},  // x
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x11, 0x0F, 0x01, 0x0E},  // y
    {0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F, 0x00, 0x00},  // z
    {0x03, 0x04, 0x04, 0x08, 0x04, 0x04, 0x03, 0x00, 0x00},  // {
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},  // |
    {0x18, 0x04, 0x04, 0x02, 0x04, 0x04, 0x18, 0x00, 0x00},  // }
    {0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00, 0x00, 0x00},  // ~
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr RGB kBlack{0, 0, 0};
constexpr RGB kWhite{255, 255, 255};
constexpr RGB kGrid{222, 222, 222};
constexpr RGB kLegendBorder{170, 170, 170};

// Fills the rectangle [x0, x1] x [y0, y1] (inclusive, any order) clipped to `clip`
// (inclusive bounds) and to the image.
struct Rect {
  int left, top, right, bottom;  // inclusive
  bool contains(int x, int y) const { return x >= left && x <= right && y >= top && y <= bottom; }
};

void fill_rect(Image& image, int x0, int y0, int x1, int y1, RGB c) {
  if (x0 > x1) std::swap(x0, x1);
  if (y0 > y1) std::swap(y0, y1);
  x0 = std::max(x0, 0);
  y0 = std::max(y0, 0);
  x1 = std::min(x1, image.width - 1);
  y1 = std::min(y1, image.height - 1);
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) image.set_clipped(x, y, c);
  }
}

void hline(Image& image, int x0, int x1, int y, RGB c) { fill_rect(image, x0, y, x1, y, c); }
void vline(Image& image, int x, int y0, int y1, RGB c) { fill_rect(image, x, y0, x, y1, c); }

// ---------------------------------------------------------------------------------------------
// Tick labels: a base text and an optional superscript (for 10^e on log axes).

struct Label {
  std::string base;
  std::string sup;
};

struct Tick {
  double value;
  bool major;
  Label label;  // empty for minor ticks
};

int sup_scale(int scale) { return std::max(1, scale - 1); }
int sup_raise(int scale) { return (kGlyphAscent * sup_scale(scale) + 1) / 2; }

int label_width(const Label& l, int scale) {
  int w = text_width(l.base, scale);
  if (!l.sup.empty()) w += scale + text_width(l.sup, sup_scale(scale));
  return w;
}

// Draws `l` with the top of its base text at row y (the superscript rises above it).
void draw_label(Image& image, int x, int y, const Label& l, RGB c, int scale) {
  draw_text(image, x, y, l.base, c, scale);
  if (!l.sup.empty()) {
    draw_text(image, x + text_width(l.base, scale) + scale, y - sup_raise(scale), l.sup, c,
              sup_scale(scale));
  }
}

// "1.5e+06" -> "1.5e6", "2e-05" -> "2e-5".
std::string tidy_exponent(std::string s) {
  const std::size_t e = s.find('e');
  if (e == std::string::npos) return s;
  std::string mantissa = s.substr(0, e);
  std::string exponent = s.substr(e + 1);
  bool negative = false;
  if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) {
    negative = exponent[0] == '-';
    exponent.erase(0, 1);
  }
  const std::size_t nz = exponent.find_first_not_of('0');
  exponent = nz == std::string::npos ? "0" : exponent.substr(nz);
  return mantissa + "e" + (negative ? "-" : "") + exponent;
}

std::string format_printf(const char* fmt, int precision, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, precision, v);
  return buf;
}

// Formats v, a multiple of `step`, on an axis whose largest magnitude is `magnitude`.
std::string format_linear(double v, double step, double magnitude) {
  if (std::fabs(v) < step * 1e-6) return "0";
  const int step_exp = static_cast<int>(std::floor(std::log10(step) + 1e-9));
  if (magnitude >= 1e5 || magnitude < 1e-3) {
    const int mag_exp = static_cast<int>(std::floor(std::log10(magnitude) + 1e-9));
    return tidy_exponent(format_printf("%.*e", std::max(0, mag_exp - step_exp), v));
  }
  return format_printf("%.*f", std::max(0, -step_exp), v);
}

// Formats a value of the form m * 10^e with at most two significant digits.
std::string format_short(double v) { return tidy_exponent(format_printf("%.*g", 2, v)); }

// Ticks at multiples of a 1-2-5 step, about `target` of them within [lo, hi].
std::vector<Tick> linear_ticks(double lo, double hi, int target) {
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = (norm < 1.5 ? 1.0 : norm < 3.5 ? 2.0 : norm < 7.5 ? 5.0 : 10.0) * mag;
  const double magnitude = std::max(std::fabs(lo), std::fabs(hi));
  std::vector<Tick> ticks;
  const double k0 = std::ceil(lo / step - 1e-9);
  const double k1 = std::floor(hi / step + 1e-9);
  for (double k = k0; k <= k1 && ticks.size() < 1000; k += 1.0) {
    const double v = k * step;
    ticks.push_back(Tick{v, true, Label{format_linear(v, step, magnitude), ""}});
  }
  return ticks;
}

int floor_mod(int a, int b) { return ((a % b) + b) % b; }

// Decade ticks labelled 10^e (every `stride`-th decade when there are many), minor ticks at
// 2..9 x 10^e; ranges holding fewer than two decades get 1-2-5 or linear labels instead.
std::vector<Tick> log_ticks(double lo, double hi, int max_major) {
  const double tlo = std::log10(lo);
  const double thi = std::log10(hi);
  const int e0 = static_cast<int>(std::ceil(tlo - 1e-9));
  const int e1 = static_cast<int>(std::floor(thi + 1e-9));
  const auto inside = [&](double v) {
    const double t = std::log10(v);
    return t >= tlo - 1e-9 && t <= thi + 1e-9;
  };
  std::vector<Tick> ticks;
  if (e1 - e0 + 1 >= 2) {
    // Label the decades that are multiples of `stride`: as few as fit, but at least two.
    const auto labelled = [&](int stride) {
      const double first = std::ceil(static_cast<double>(e0) / stride);
      const double last = std::floor(static_cast<double>(e1) / stride);
      return static_cast<int>(last - first) + 1;
    };
    int stride = 1;
    while (labelled(stride) > std::max(2, max_major) && labelled(stride + 1) >= 2) ++stride;
    for (int e = e0; e <= e1; ++e) {
      const double v = std::pow(10.0, e);
      if (floor_mod(e, stride) == 0) {
        ticks.push_back(Tick{v, true, Label{"10", std::to_string(e)}});
      } else {
        ticks.push_back(Tick{v, false, Label{}});
      }
    }
    if (stride == 1 && thi - tlo <= 12.0) {
      for (int e = static_cast<int>(std::floor(tlo)); e <= e1; ++e) {
        for (int m = 2; m <= 9; ++m) {
          const double v = m * std::pow(10.0, e);
          if (inside(v)) ticks.push_back(Tick{v, false, Label{}});
        }
      }
    }
    return ticks;
  }
  // Less than two decades: label 1, 2, 5 x 10^e when that gives at least two labels, else
  // use linear ticks (for example 0.8, 0.9, ..., 1.3 on a ratio axis).
  int majors = 0;
  for (int e = static_cast<int>(std::floor(tlo)); e <= e1; ++e) {
    for (int m = 1; m <= 9; ++m) {
      const double v = m * std::pow(10.0, e);
      if (!inside(v)) continue;
      const bool major = m == 1 || m == 2 || m == 5;
      ticks.push_back(Tick{v, major, major ? Label{format_short(v), ""} : Label{}});
      majors += major ? 1 : 0;
    }
  }
  if (majors >= 2 && majors <= std::max(2, max_major)) return ticks;
  return linear_ticks(lo, hi, std::clamp(max_major, 2, 6));
}

// ---------------------------------------------------------------------------------------------
// Axes.

struct Axis {
  bool log = false;
  double lo = 0.0;  // data units
  double hi = 1.0;
  double t(double v) const { return log ? std::log10(v) : v; }
  bool valid(double v) const { return std::isfinite(v) && (!log || v > 0.0); }
};

double axis_to_pixel(const Axis& a, double v, int p0, int p1) {
  const double tlo = a.t(a.lo);
  const double thi = a.t(a.hi);
  return p0 + (a.t(v) - tlo) / (thi - tlo) * (p1 - p0);
}

// The valid data of the chosen coordinate plus a 4% margin (in log10 on log axes). Only
// points whose other coordinate is valid and (when given) inside `other_range` count.
AxisRange auto_range(const PlotSpec& spec, bool along_x, const Axis& other,
                     const std::optional<AxisRange>& other_range) {
  const Axis self{along_x ? spec.logx : spec.logy, 0.0, 1.0};
  double tmin = std::numeric_limits<double>::infinity();
  double tmax = -tmin;
  for (const Series& s : spec.series) {
    const std::vector<double>& own = along_x ? s.x : s.y;
    const std::vector<double>& oth = along_x ? s.y : s.x;
    for (std::size_t i = 0; i < own.size(); ++i) {
      if (!self.valid(own[i]) || !other.valid(oth[i])) continue;
      if (other_range && (oth[i] < other_range->lo || oth[i] > other_range->hi)) continue;
      const double t = self.t(own[i]);
      tmin = std::min(tmin, t);
      tmax = std::max(tmax, t);
    }
  }
  const auto back = [&](double t) { return self.log ? std::pow(10.0, t) : t; };
  if (!(tmin <= tmax)) return self.log ? AxisRange{1.0, 10.0} : AxisRange{0.0, 1.0};
  if (tmax - tmin <= 1e-12 * std::max(1.0, std::fabs(tmax))) {
    const double half = self.log ? 0.5 : (tmin == 0.0 ? 1.0 : 0.1 * std::fabs(tmin));
    return AxisRange{back(tmin - half), back(tmax + half)};
  }
  const double margin = 0.04 * (tmax - tmin);
  return AxisRange{back(tmin - margin), back(tmax + margin)};
}

void check_range(const char* field, const std::optional<AxisRange>& r, bool log) {
  if (!r) return;
  if (!std::isfinite(r->lo) || !std::isfinite(r->hi) || !(r->lo < r->hi) ||
      (log && !(r->lo > 0.0))) {
    throw std::invalid_argument(std::string("PlotSpec.") + field + " = [" + std::to_string(r->lo) +
                                ", " + std::to_string(r->hi) + "] must be finite with lo < hi" +
                                (log ? " and lo > 0 on a log axis" : ""));
  }
}

void check_int(const char* field, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    throw std::invalid_argument(std::string("PlotSpec.") + field + " = " + std::to_string(value) +
                                " is not in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                "]");
  }
}

void check_spec(const PlotSpec& spec) {
  check_int("width", spec.width, 160, 8192);
  check_int("height", spec.height, 120, 8192);
  check_int("font_scale", spec.font_scale, 1, 8);
  check_range("xrange", spec.xrange, spec.logx);
  check_range("yrange", spec.yrange, spec.logy);
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const Series& s = spec.series[i];
    const std::string name = "PlotSpec.series[" + std::to_string(i) + "] ('" + s.label + "')";
    if (s.x.size() != s.y.size()) {
      throw std::invalid_argument(name + ": x has " + std::to_string(s.x.size()) +
                                  " values but y has " + std::to_string(s.y.size()));
    }
    if (s.line_width < 1 || s.line_width > 8) {
      throw std::invalid_argument(name + ".line_width = " + std::to_string(s.line_width) +
                                  " is not in [1, 8]");
    }
  }
}

// Picks ticks whose labels do not overlap along an axis of `length` pixels.
std::vector<Tick> choose_ticks(const Axis& axis, int length, bool horizontal, int scale) {
  const int label_h = kGlyphAscent * scale + (axis.log ? sup_raise(scale) : 0);
  const int start =
      axis.log ? std::max(2, length / (14 * scale)) : std::clamp(length / (60 * scale), 2, 10);
  std::vector<Tick> ticks;
  for (int n = start; n >= 2; --n) {
    ticks = axis.log ? log_ticks(axis.lo, axis.hi, n) : linear_ticks(axis.lo, axis.hi, n);
    bool fits = true;
    double prev_pos = 0.0;
    int prev_w = 0;
    bool have_prev = false;
    for (const Tick& t : ticks) {
      if (!t.major) continue;
      const double pos = axis_to_pixel(axis, t.value, 0, length);
      const int w = label_width(t.label, scale);
      if (have_prev) {
        const double need = horizontal ? (prev_w + w) / 2.0 + 3 * scale : label_h + 2 * scale;
        if (std::fabs(pos - prev_pos) < need) fits = false;
      }
      prev_pos = pos;
      prev_w = w;
      have_prev = true;
    }
    if (fits) break;
  }
  return ticks;
}

// ---------------------------------------------------------------------------------------------
// Lines and markers.

// Stamps a w x w square brush centred on (x, y), clipped to `clip`.
void stamp(Image& image, int x, int y, int w, RGB c, const Rect& clip) {
  const int d0 = -(w - 1) / 2;
  for (int dy = d0; dy < d0 + w; ++dy) {
    for (int dx = d0; dx < d0 + w; ++dx) {
      if (clip.contains(x + dx, y + dy)) image.set_clipped(x + dx, y + dy, c);
    }
  }
}

// Liang-Barsky clipping of the segment (x0, y0)-(x1, y1) to [xmin, xmax] x [ymin, ymax];
// returns false when nothing is left, else the parameters t0 <= t1 of the visible part.
bool clip_segment(double x0, double y0, double x1, double y1, double xmin, double ymin, double xmax,
                  double ymax, double* t0, double* t1) {
  const double dx = x1 - x0;
  const double dy = y1 - y0;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {x0 - xmin, xmax - x0, y0 - ymin, ymax - y0};
  double a = 0.0;
  double b = 1.0;
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0.0) {
      if (q[i] < 0.0) return false;
    } else {
      const double r = q[i] / p[i];
      if (p[i] < 0.0) {
        a = std::max(a, r);
      } else {
        b = std::min(b, r);
      }
    }
  }
  if (a > b) return false;
  *t0 = a;
  *t1 = b;
  return true;
}

struct Pen {
  RGB color;
  int width;
  bool dashed;
  double dash_on() const { return 4.0 * width + 2.0; }
  double dash_off() const { return 3.0 * width; }
};

// Draws the segment with Bresenham's algorithm; `phase` is the length of line drawn before
// it (for the dash pattern) and is advanced by the segment's length.
void draw_segment(Image& image, double fx0, double fy0, double fx1, double fy1, const Pen& pen,
                  const Rect& clip, double* phase) {
  const double length = std::hypot(fx1 - fx0, fy1 - fy0);
  double t0 = 0.0;
  double t1 = 1.0;
  const double m = pen.width + 1.0;
  if (!clip_segment(fx0, fy0, fx1, fy1, clip.left - m, clip.top - m, clip.right + m,
                    clip.bottom + m, &t0, &t1)) {
    *phase += length;
    return;
  }
  const double start_phase = *phase + t0 * length;
  *phase += length;
  // An even-width brush covers pixels -(w/2 - 1)..w/2 around its anchor, so its centre is
  // half a pixel right of and below the anchor: shift the anchors back by half a pixel.
  const double shift = pen.width % 2 == 0 ? 0.5 : 0.0;
  int x0 = static_cast<int>(std::lround(fx0 + t0 * (fx1 - fx0) - shift));
  int y0 = static_cast<int>(std::lround(fy0 + t0 * (fy1 - fy0) - shift));
  const int x1 = static_cast<int>(std::lround(fx0 + t1 * (fx1 - fx0) - shift));
  const int y1 = static_cast<int>(std::lround(fy0 + t1 * (fy1 - fy0) - shift));
  const int dx = std::abs(x1 - x0);
  const int dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1;
  const int sy = y0 < y1 ? 1 : -1;
  const int steps = std::max(dx, -dy);
  const double per_step = steps > 0 ? (t1 - t0) * length / steps : 0.0;
  const double period = pen.dash_on() + pen.dash_off();
  int err = dx + dy;
  for (int i = 0;; ++i) {
    if (!pen.dashed || std::fmod(start_phase + i * per_step, period) < pen.dash_on()) {
      stamp(image, x0, y0, pen.width, pen.color, clip);
    }
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

void draw_marker(Image& image, double fx, double fy, int radius, RGB c, const Rect& clip) {
  if (fx < clip.left - radius - 1 || fx > clip.right + radius + 1 || fy < clip.top - radius - 1 ||
      fy > clip.bottom + radius + 1) {
    return;
  }
  const int cx = static_cast<int>(std::lround(fx));
  const int cy = static_cast<int>(std::lround(fy));
  const double r2 = (radius + 0.5) * (radius + 0.5);
  for (int dy = -radius; dy <= radius; ++dy) {
    for (int dx = -radius; dx <= radius; ++dx) {
      if (dx * dx + dy * dy <= r2 && clip.contains(cx + dx, cy + dy)) {
        image.set_clipped(cx + dx, cy + dy, c);
      }
    }
  }
}

int marker_radius(const Series& s) { return s.line_width + 2; }

RGB series_color(const PlotSpec& spec, std::size_t i) {
  return spec.series[i].color ? *spec.series[i].color : tab10(static_cast<int>(i));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Text.

std::uint8_t glyph_row(char c, int row) {
  if (row < 0 || row >= kGlyphHeight) return 0;
  const int u = static_cast<unsigned char>(c);
  const int index = (u >= 32 && u <= 126) ? u - 32 : '?' - 32;
  return kFont[index][row];
}

int text_width(const std::string& text, int scale) {
  if (text.empty()) return 0;
  return (static_cast<int>(text.size()) * kGlyphAdvance - (kGlyphAdvance - kGlyphWidth)) * scale;
}

void draw_text(Image& image, int x, int y, const std::string& text, RGB color, int scale) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int gx = x + static_cast<int>(i) * kGlyphAdvance * scale;
    for (int row = 0; row < kGlyphHeight; ++row) {
      const std::uint8_t bits = glyph_row(text[i], row);
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (bits & (1u << (kGlyphWidth - 1 - col))) {
          fill_rect(image, gx + col * scale, y + row * scale, gx + col * scale + scale - 1,
                    y + row * scale + scale - 1, color);
        }
      }
    }
  }
}

void draw_text_vertical(Image& image, int x, int y_bottom, const std::string& text, RGB color,
                        int scale) {
  // Text-space (u along the text, v down the cell) maps to image (x + v, y_bottom - u).
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int gu = static_cast<int>(i) * kGlyphAdvance * scale;
    for (int row = 0; row < kGlyphHeight; ++row) {
      const std::uint8_t bits = glyph_row(text[i], row);
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (bits & (1u << (kGlyphWidth - 1 - col))) {
          const int u = gu + col * scale;
          const int v = row * scale;
          fill_rect(image, x + v, y_bottom - u - scale + 1, x + v + scale - 1, y_bottom - u, color);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Line plots.

RGB tab10(int i) {
  // matplotlib's default property cycle ('tab10', from Tableau 10).
  static constexpr RGB kTab10[10] = {
      {31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
      {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
  return kTab10[floor_mod(i, 10)];
}

double PlotFrame::to_pixel_x(double v) const {
  return axis_to_pixel(Axis{logx, x.lo, x.hi}, v, left, right);
}

double PlotFrame::to_pixel_y(double v) const {
  return axis_to_pixel(Axis{logy, y.lo, y.hi}, v, bottom, top);
}

Image render_plot(const PlotSpec& spec, PlotFrame* frame_out) {
  check_spec(spec);
  const int s = spec.font_scale;
  const int pad = 3 * s;
  const int tick_len = 3 * s;
  const int minor_len = 2 * s;
  const int title_scale = s + 1;
  const int tick_h = kGlyphAscent * s;  // digits do not descend
  const int label_h = kGlyphHeight * s;

  // Ranges: explicit ones first, then the automatic ones from the points inside them.
  const Axis any_x{spec.logx, 0.0, 1.0};
  const Axis any_y{spec.logy, 0.0, 1.0};
  const AxisRange xr = spec.xrange ? *spec.xrange : auto_range(spec, true, any_y, spec.yrange);
  const AxisRange yr = spec.yrange ? *spec.yrange : auto_range(spec, false, any_x, xr);
  const Axis xa{spec.logx, xr.lo, xr.hi};
  const Axis ya{spec.logy, yr.lo, yr.hi};

  // Layout: top and bottom margins do not depend on the tick labels' widths.
  int top = pad + (spec.title.empty() ? 0 : kGlyphHeight * title_scale + pad);
  top = std::max(top, tick_h / 2 + pad + (spec.logy ? sup_raise(s) : 0));
  const int xtick_h = tick_h + (spec.logx ? sup_raise(s) : 0);
  const int bottom_margin =
      tick_len + pad + xtick_h + (spec.xlabel.empty() ? 0 : pad + label_h) + pad;
  const int bottom = spec.height - 1 - bottom_margin;
  if (bottom - top < 40) {
    throw std::invalid_argument("PlotSpec.height = " + std::to_string(spec.height) +
                                " leaves no room for the plot area at font_scale " +
                                std::to_string(s));
  }
  const std::vector<Tick> yticks = choose_ticks(ya, bottom - top, false, s);
  int ytick_w = 0;
  for (const Tick& t : yticks) {
    if (t.major) ytick_w = std::max(ytick_w, label_width(t.label, s));
  }
  const int left = pad + (spec.ylabel.empty() ? 0 : label_h + pad) + ytick_w + pad + tick_len;
  int right = spec.width - 1 - 4 * pad;
  std::vector<Tick> xticks;
  for (int pass = 0; pass < 2; ++pass) {
    if (right - left < 40) {
      throw std::invalid_argument("PlotSpec.width = " + std::to_string(spec.width) +
                                  " leaves no room for the plot area at font_scale " +
                                  std::to_string(s));
    }
    xticks = choose_ticks(xa, right - left, true, s);
    int half_last = 0;  // room for the label of a tick at the right edge
    for (const Tick& t : xticks) {
      if (t.major && axis_to_pixel(xa, t.value, left, right) > right - 2.0) {
        half_last = label_width(t.label, s) / 2;
      }
    }
    const int new_right = spec.width - 1 - std::max(4 * pad, half_last + pad);
    if (new_right == right) break;
    right = new_right;
  }

  PlotFrame frame;
  frame.left = left;
  frame.top = top;
  frame.right = right;
  frame.bottom = bottom;
  frame.x = xr;
  frame.y = yr;
  frame.logx = spec.logx;
  frame.logy = spec.logy;

  Image image(spec.width, spec.height, kWhite);
  const Rect inner{left + 1, top + 1, right - 1, bottom - 1};

  // Grid.
  if (spec.grid) {
    for (const Tick& t : xticks) {
      const long px = std::lround(frame.to_pixel_x(t.value));
      if (t.major && px > left && px < right) {
        vline(image, static_cast<int>(px), top, bottom, kGrid);
      }
    }
    for (const Tick& t : yticks) {
      const long py = std::lround(frame.to_pixel_y(t.value));
      if (t.major && py > top && py < bottom) {
        hline(image, left, right, static_cast<int>(py), kGrid);
      }
    }
  }

  // Series.
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const Series& sr = spec.series[i];
    const Pen pen{series_color(spec, i), sr.line_width, sr.dashed};
    bool have_prev = false;
    double px_prev = 0.0;
    double py_prev = 0.0;
    double phase = 0.0;
    for (std::size_t k = 0; k < sr.x.size(); ++k) {
      const double px = xa.valid(sr.x[k]) ? frame.to_pixel_x(sr.x[k]) : kNaN;
      const double py = ya.valid(sr.y[k]) ? frame.to_pixel_y(sr.y[k]) : kNaN;
      if (!std::isfinite(px) || !std::isfinite(py)) {
        have_prev = false;
        phase = 0.0;
        continue;
      }
      if (sr.line && have_prev) draw_segment(image, px_prev, py_prev, px, py, pen, inner, &phase);
      if (sr.points) draw_marker(image, px, py, marker_radius(sr), pen.color, inner);
      have_prev = true;
      px_prev = px;
      py_prev = py;
    }
  }

  // Frame and ticks (outwards), tick labels.
  hline(image, left, right, top, kBlack);
  hline(image, left, right, bottom, kBlack);
  vline(image, left, top, bottom, kBlack);
  vline(image, right, top, bottom, kBlack);
  for (const Tick& t : xticks) {
    const long lpx = std::lround(frame.to_pixel_x(t.value));
    if (lpx < left || lpx > right) continue;
    const int px = static_cast<int>(lpx);
    vline(image, px, bottom + 1, bottom + (t.major ? tick_len : minor_len), kBlack);
    if (t.major) {
      const int w = label_width(t.label, s);
      draw_label(image, px - w / 2, bottom + tick_len + pad + (spec.logx ? sup_raise(s) : 0),
                 t.label, kBlack, s);
    }
  }
  for (const Tick& t : yticks) {
    const long lpy = std::lround(frame.to_pixel_y(t.value));
    if (lpy < top || lpy > bottom) continue;
    const int py = static_cast<int>(lpy);
    hline(image, left - (t.major ? tick_len : minor_len), left - 1, py, kBlack);
    if (t.major) {
      const int w = label_width(t.label, s);
      draw_label(image, left - tick_len - pad - w, py - tick_h / 2, t.label, kBlack, s);
    }
  }

  // Axis labels and title.
  if (!spec.xlabel.empty()) {
    const int w = text_width(spec.xlabel, s);
    draw_text(image, (left + right) / 2 - w / 2, bottom + tick_len + pad + xtick_h + pad,
              spec.xlabel, kBlack, s);
  }
  if (!spec.ylabel.empty()) {
    const int w = text_width(spec.ylabel, s);
    draw_text_vertical(image, pad, (top + bottom) / 2 + w / 2, spec.ylabel, kBlack, s);
  }
  if (!spec.title.empty()) {
    const int w = text_width(spec.title, title_scale);
    draw_text(image, (left + right) / 2 - w / 2, pad, spec.title, kBlack, title_scale);
  }

  // Legend.
  std::vector<std::size_t> listed;
  int text_w = 0;
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    if (spec.series[i].label.empty()) continue;
    listed.push_back(i);
    text_w = std::max(text_w, text_width(spec.series[i].label, s));
  }
  if (spec.legend != LegendPosition::none && !listed.empty()) {
    const int row_h = kGlyphHeight * s + 2 * s;
    const int sample = 12 * s;
    const int box_w = pad + sample + 2 * pad + text_w + pad;
    const int box_h = 2 * pad + static_cast<int>(listed.size()) * row_h;
    const int offset = 3 * s;
    const bool at_left =
        spec.legend == LegendPosition::upper_left || spec.legend == LegendPosition::lower_left;
    const bool at_top =
        spec.legend == LegendPosition::upper_left || spec.legend == LegendPosition::upper_right;
    const int bx0 = at_left ? left + offset : right - offset - box_w;
    const int by0 = at_top ? top + offset : bottom - offset - box_h;
    const int bx1 = bx0 + box_w;
    const int by1 = by0 + box_h;
    fill_rect(image, bx0, by0, bx1, by1, kWhite);
    hline(image, bx0, bx1, by0, kLegendBorder);
    hline(image, bx0, bx1, by1, kLegendBorder);
    vline(image, bx0, by0, by1, kLegendBorder);
    vline(image, bx1, by0, by1, kLegendBorder);
    const Rect box_inner{bx0 + 1, by0 + 1, bx1 - 1, by1 - 1};
    for (std::size_t r = 0; r < listed.size(); ++r) {
      const Series& sr = spec.series[listed[r]];
      const Pen pen{series_color(spec, listed[r]), sr.line_width, sr.dashed};
      const int cy = by0 + pad + static_cast<int>(r) * row_h + row_h / 2;
      const int sx0 = bx0 + pad;
      if (sr.line) {
        double phase = 0.0;
        draw_segment(image, sx0, cy, sx0 + sample, cy, pen, box_inner, &phase);
      }
      if (sr.points) {
        draw_marker(image, sx0 + sample / 2.0, cy, marker_radius(sr), pen.color, box_inner);
      }
      draw_text(image, sx0 + sample + 2 * pad, cy - (kGlyphAscent * s) / 2, sr.label, kBlack, s);
    }
    frame.legend_left = bx0;
    frame.legend_top = by0;
    frame.legend_right = bx1;
    frame.legend_bottom = by1;
  }

  if (frame_out != nullptr) *frame_out = frame;
  return image;
}

void write_plot_png(const std::string& path, const PlotSpec& spec) {
  write_png(path, render_plot(spec));
}

// ---------------------------------------------------------------------------------------------
// Density projections.

namespace {

// The p-th percentile (0..100) of v with linear interpolation between order statistics (as
// numpy.percentile's default); reorders v, which must not be empty.
double percentile(std::vector<double>& v, double p) {
  const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  const std::size_t k = static_cast<std::size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(k);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  const double a = v[k];
  if (frac <= 0.0 || k + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(k) + 1, v.end());
  return a + frac * (b - a);
}

}  // namespace

Image density_projection(const std::vector<double>& column, int nx, int ny,
                         const ProjectionOptions& options) {
  const auto fail = [](const std::string& what) {
    throw std::invalid_argument("density_projection: " + what);
  };
  if (nx < 1 || ny < 1) {
    fail("nx = " + std::to_string(nx) + ", ny = " + std::to_string(ny) + " must both be >= 1");
  }
  if (column.size() != static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny)) {
    fail("column has " + std::to_string(column.size()) + " values, not nx * ny = " +
         std::to_string(static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny)));
  }
  const int ps = options.pixel_size;
  if (ps < 1 || ps > 64) {
    fail("ProjectionOptions.pixel_size = " + std::to_string(ps) + " is not in [1, 64]");
  }
  if (static_cast<long long>(nx) * ps > 65535 || static_cast<long long>(ny) * ps > 65535) {
    fail("the image (nx, ny) * pixel_size would exceed 65535 pixels per side");
  }
  const double plo = options.lower_percentile;
  const double phi = options.upper_percentile;
  if (!(plo >= 0.0 && plo < phi && phi <= 100.0)) {
    fail("ProjectionOptions percentiles [" + std::to_string(plo) + ", " + std::to_string(phi) +
         "] must satisfy 0 <= lower < upper <= 100");
  }
  if (options.colormap == nullptr) fail("ProjectionOptions.colormap is null");
  const auto transform = [&](double v) -> double {
    if (!std::isfinite(v)) return std::numeric_limits<double>::quiet_NaN();
    if (!options.log_scale) return v;
    return v > 0.0 ? std::log10(v) : -std::numeric_limits<double>::infinity();
  };
  for (const auto& bound : {options.vmin, options.vmax}) {
    if (bound && (!std::isfinite(*bound) || (options.log_scale && !(*bound > 0.0)))) {
      fail("ProjectionOptions.vmin/vmax = " + std::to_string(*bound) +
           " must be finite (and > 0 with log_scale)");
    }
  }
  if (options.vmin && options.vmax && !(*options.vmin < *options.vmax)) {
    fail("ProjectionOptions.vmin must be < vmax");
  }

  double lo = 0.0;
  double hi = 1.0;
  if (!options.vmin || !options.vmax) {
    std::vector<double> valid;
    valid.reserve(column.size());
    for (const double v : column) {
      const double t = transform(v);
      if (std::isfinite(t)) valid.push_back(t);
    }
    if (!valid.empty()) {
      lo = percentile(valid, plo);
      hi = percentile(valid, phi);
    }
  }
  if (options.vmin) lo = transform(*options.vmin);
  if (options.vmax) hi = transform(*options.vmax);

  Image image(nx * ps, ny * ps, options.colormap(0.0));
  for (int ix = 0; ix < nx; ++ix) {
    for (int iy = 0; iy < ny; ++iy) {
      const double t = transform(column[static_cast<std::size_t>(ix) * ny + iy]);
      if (std::isnan(t)) continue;  // NaN and inf keep the darkest colour
      double u = 0.0;
      if (hi > lo) {
        u = (t - lo) / (hi - lo);
      } else {
        u = t > lo ? 1.0 : (t < lo ? 0.0 : 0.5);  // a constant range: outliers at the ends
      }
      const RGB c = options.colormap(std::clamp(u, 0.0, 1.0));
      const int y0 = (ny - 1 - iy) * ps;
      fill_rect(image, ix * ps, y0, ix * ps + ps - 1, y0 + ps - 1, c);
    }
  }
  return image;
}

}  // namespace cosmograd::sim
