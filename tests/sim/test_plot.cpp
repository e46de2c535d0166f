#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/colormap.hpp"
#include "sim/plot.hpp"
#include "sim/png.hpp"

namespace cg = cosmograd::sim;
namespace fs = std::filesystem;

namespace {

constexpr cg::RGB kRed{200, 0, 0};

bool in_legend(const cg::PlotFrame& f, int x, int y) {
  return x >= f.legend_left && x <= f.legend_right && y >= f.legend_top && y <= f.legend_bottom;
}

cg::PlotSpec diagonal_spec() {
  cg::PlotSpec spec;
  spec.title = "y = x";
  spec.xlabel = "k [h/Mpc]";
  spec.ylabel = "P(k) [(Mpc/h)^3]";
  spec.logx = true;
  spec.logy = true;
  spec.xrange = cg::AxisRange{1e-2, 1e2};
  spec.yrange = cg::AxisRange{1e-2, 1e2};
  spec.legend = cg::LegendPosition::upper_left;
  cg::Series s;
  s.label = "y = x";
  s.color = kRed;
  for (int i = 0; i <= 60; ++i) {  // 1e-3 .. 1e3: both ends run out of the plot area
    const double v = std::pow(10.0, -3.0 + 6.0 * i / 60.0);
    s.x.push_back(v);
    s.y.push_back(v);
  }
  spec.series.push_back(s);
  return spec;
}

double luminance(cg::RGB c) { return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b; }

}  // namespace

TEST(Font, GlyphTableCoversPrintableAscii) {
  for (int c = 32; c <= 126; ++c) {
    int set = 0;
    for (int row = 0; row < cg::kGlyphHeight; ++row) {
      const std::uint8_t bits = cg::glyph_row(static_cast<char>(c), row);
      EXPECT_EQ(bits & ~0x1f, 0) << "glyph " << c << " is wider than 5 columns";
      for (int col = 0; col < cg::kGlyphWidth; ++col) set += (bits >> col) & 1;
    }
    if (c == ' ') {
      EXPECT_EQ(set, 0);
    } else {
      EXPECT_GT(set, 0) << "glyph '" << static_cast<char>(c) << "' is empty";
    }
  }
  // Characters outside ' '..'~' are drawn as '?'.
  for (int row = 0; row < cg::kGlyphHeight; ++row) {
    EXPECT_EQ(cg::glyph_row('\t', row), cg::glyph_row('?', row));
    EXPECT_EQ(cg::glyph_row(static_cast<char>(200), row), cg::glyph_row('?', row));
  }
  EXPECT_EQ(cg::glyph_row('A', -1), 0);
  EXPECT_EQ(cg::glyph_row('A', cg::kGlyphHeight), 0);
}

TEST(Font, DrawsTextOfTheMeasuredWidth) {
  cg::Image img(100, 30);
  const std::string text = "P(k) [h/Mpc] M";
  const int w = cg::text_width(text, 1);
  EXPECT_EQ(w, static_cast<int>(text.size()) * cg::kGlyphAdvance - 1);
  EXPECT_EQ(cg::text_width(text, 2), 2 * w);
  EXPECT_EQ(cg::text_width("", 3), 0);
  cg::draw_text(img, 3, 4, text, cg::RGB{0, 0, 0}, 1);
  int xmin = img.width, xmax = -1, ymin = img.height, ymax = -1;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      if (img.get(x, y) == (cg::RGB{0, 0, 0})) {
        xmin = std::min(xmin, x);
        xmax = std::max(xmax, x);
        ymin = std::min(ymin, y);
        ymax = std::max(ymax, y);
      }
    }
  }
  EXPECT_EQ(xmin, 3);
  EXPECT_EQ(xmax, 3 + w - 1);  // 'M' fills its last column
  EXPECT_EQ(ymin, 4);
  EXPECT_LE(ymax, 4 + cg::kGlyphHeight - 1);
  // Drawing off the image is clipped, not an error.
  cg::draw_text(img, -50, -5, text, cg::RGB{0, 0, 0}, 3);
  cg::draw_text_vertical(img, 95, 200, text, cg::RGB{0, 0, 0}, 2);
}

TEST(Plot, LogLogDiagonalFollowsThePlotAreaDiagonal) {
  cg::PlotFrame f;
  const cg::Image img = cg::render_plot(diagonal_spec(), &f);
  ASSERT_EQ(img.width, 800);
  ASSERT_EQ(img.height, 600);
  ASSERT_LT(f.left, f.right);
  ASSERT_LT(f.top, f.bottom);
  EXPECT_NEAR(f.to_pixel_x(1e-2), f.left, 1e-9);
  EXPECT_NEAR(f.to_pixel_x(1e2), f.right, 1e-9);
  EXPECT_NEAR(f.to_pixel_y(1e-2), f.bottom, 1e-9);
  EXPECT_NEAR(f.to_pixel_y(1e2), f.top, 1e-9);

  const double w = f.right - f.left;
  const double h = f.bottom - f.top;
  // Sample points along the diagonal: a red pixel within 2 px of where the line should be.
  for (const double t : {0.35, 0.5, 0.65, 0.8, 0.95}) {
    const int x = static_cast<int>(std::lround(f.left + t * w));
    const double y_expected = f.bottom - t * h;
    bool found = false;
    for (int y = f.top + 1; y < f.bottom; ++y) {
      if (img.get(x, y) == kRed && !in_legend(f, x, y) && std::fabs(y - y_expected) <= 2.0) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << "no line pixel near (" << x << ", " << y_expected << ")";
  }
  // Every red pixel outside the legend is inside the plot area and within 2 px of the
  // diagonal (perpendicular distance).
  int red = 0;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      if (img.get(x, y) != kRed || in_legend(f, x, y)) continue;
      ++red;
      EXPECT_TRUE(x > f.left && x < f.right && y > f.top && y < f.bottom)
          << "red pixel outside the plot area at (" << x << ", " << y << ")";
      const double dist = std::fabs(h * (x - f.left) + w * (y - f.bottom)) / std::hypot(w, h);
      EXPECT_LE(dist, 2.0) << "red pixel off the diagonal at (" << x << ", " << y << ")";
    }
  }
  EXPECT_GT(red, static_cast<int>(std::hypot(w, h)));  // a 2 px wide line from corner to corner

  // The legend sits in the upper left corner, holds a red sample and its black label.
  ASSERT_LT(f.legend_left, f.legend_right);
  EXPECT_GT(f.legend_left, f.left);
  EXPECT_GT(f.legend_top, f.top);
  int legend_red = 0;
  int legend_text = 0;
  for (int y = f.legend_top; y <= f.legend_bottom; ++y) {
    for (int x = f.legend_left; x <= f.legend_right; ++x) {
      legend_red += img.get(x, y) == kRed;
      legend_text += img.get(x, y) == (cg::RGB{0, 0, 0});
    }
  }
  EXPECT_GT(legend_red, 10);
  // "y = x" at font scale 2: at least 4 px per set font pixel of 'y', '=', 'x'.
  EXPECT_GT(legend_text, 4 * 20);
}

TEST(Plot, SkipsNonPositiveAndNonFiniteValuesOnLogAxes) {
  cg::PlotSpec spec;
  spec.logx = true;
  spec.logy = true;
  spec.legend = cg::LegendPosition::none;
  cg::Series s;
  s.color = kRed;
  for (int i = 1; i <= 10; ++i) {
    s.x.push_back(i);
    s.y.push_back(i);
  }
  s.y[4] = 0.0;                                       // x = 5
  s.y[5] = -1.0;                                      // x = 6
  s.y[8] = std::numeric_limits<double>::quiet_NaN();  // x = 9
  s.x.push_back(std::numeric_limits<double>::infinity());
  s.y.push_back(3.0);
  spec.series.push_back(s);
  cg::PlotFrame f;
  const cg::Image img = cg::render_plot(spec, &f);
  // The automatic range covers the valid points only.
  EXPECT_LT(f.x.lo, 1.0);
  EXPECT_GT(f.x.hi, 10.0);
  EXPECT_LT(f.x.hi, 12.0);
  EXPECT_GT(f.y.lo, 0.5);
  // The line breaks between x = 4 and x = 7 and between x = 8 and x = 10.
  const auto red_in_columns = [&](double x0, double x1) {
    int n = 0;
    for (int x = static_cast<int>(f.to_pixel_x(x0)) + 3; x < f.to_pixel_x(x1) - 3; ++x) {
      for (int y = f.top; y <= f.bottom; ++y) n += img.get(x, y) == kRed;
    }
    return n;
  };
  EXPECT_EQ(red_in_columns(4.0, 7.0), 0);
  EXPECT_EQ(red_in_columns(8.0, 10.0), 0);
  EXPECT_GT(red_in_columns(2.0, 4.0), 0);
  EXPECT_GT(red_in_columns(7.0, 8.0), 0);
}

TEST(Plot, LinearAxesDashedLinesAndMarkers) {
  cg::PlotSpec spec;
  spec.title = "linear";
  spec.width = 400;
  spec.height = 300;
  spec.font_scale = 1;
  spec.legend = cg::LegendPosition::lower_right;
  cg::Series a;
  a.label = "dashed";
  a.dashed = true;
  cg::Series b;
  b.label = "points";
  b.points = true;
  b.line = false;
  for (int i = 0; i <= 20; ++i) {
    a.x.push_back(i);
    a.y.push_back(-5.0 + 0.5 * i);
    b.x.push_back(i);
    b.y.push_back(3.0);
  }
  spec.series = {a, b};
  cg::PlotFrame f;
  const cg::Image img = cg::render_plot(spec, &f);
  EXPECT_FALSE(f.logx);
  EXPECT_LE(f.x.lo, 0.0);
  EXPECT_GE(f.x.hi, 20.0);
  // The dashed line has gaps along its length; the default colours are tab10's first two.
  const cg::RGB blue = cg::tab10(0);
  const cg::RGB orange = cg::tab10(1);
  EXPECT_EQ(blue, (cg::RGB{31, 119, 180}));
  int on = 0;
  int off = 0;
  for (int x = static_cast<int>(f.to_pixel_x(2.0)); x < f.to_pixel_x(12.0); ++x) {
    const double xd = f.x.lo + (x - f.left) * (f.x.hi - f.x.lo) / (f.right - f.left);
    const int yc = static_cast<int>(std::lround(f.to_pixel_y(-5.0 + 0.5 * xd)));
    bool hit = false;
    for (int y = yc - 3; y <= yc + 3; ++y) hit = hit || img.get(x, y) == blue;
    (hit ? on : off) += 1;
  }
  EXPECT_GT(on, 0);
  EXPECT_GT(off, 0);
  // A marker centred on each point of the second series.
  for (int i = 0; i <= 20; i += 5) {
    const int x = static_cast<int>(std::lround(f.to_pixel_x(i)));
    const int y = static_cast<int>(std::lround(f.to_pixel_y(3.0)));
    if (!in_legend(f, x, y)) {
      EXPECT_EQ(img.get(x, y), orange) << "point " << i;
    }
  }
}

TEST(Plot, RejectsBadSpecsNamingTheField) {
  const auto message = [](const cg::PlotSpec& spec) {
    try {
      cg::render_plot(spec);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no throw");
  };
  cg::PlotSpec spec;
  spec.series.resize(1);
  spec.series[0].label = "bad";
  spec.series[0].x = {1.0, 2.0};
  spec.series[0].y = {1.0};
  EXPECT_NE(message(spec).find("series[0]"), std::string::npos) << message(spec);
  spec.series.clear();
  spec.logx = true;
  spec.xrange = cg::AxisRange{0.0, 1.0};
  EXPECT_NE(message(spec).find("xrange"), std::string::npos) << message(spec);
  spec.xrange.reset();
  spec.width = 10;
  EXPECT_NE(message(spec).find("width"), std::string::npos) << message(spec);
  // No data at all still gives an (empty) plot.
  spec.width = 800;
  EXPECT_NO_THROW(cg::render_plot(spec));
}

TEST(Plot, WritesAPngFile) {
  const fs::path dir = fs::temp_directory_path() / "cosmograd_test_plot_png";
  fs::remove_all(dir);
  const std::string path = (dir / "pk.png").string();
  cg::write_plot_png(path, diagonal_spec());
  const cg::Image back = cg::read_png(path);
  EXPECT_EQ(back.rgb, cg::render_plot(diagonal_spec()).rgb);
  fs::remove_all(dir);
}

TEST(DensityProjection, HotSpotIsTheBrightestPixel) {
  const int nx = 64;
  const int ny = 48;
  const int hx = 40;
  const int hy = 10;
  std::vector<double> column(static_cast<std::size_t>(nx) * ny);
  for (int ix = 0; ix < nx; ++ix) {
    for (int iy = 0; iy < ny; ++iy) {
      column[static_cast<std::size_t>(ix) * ny + iy] =
          1.0 + 0.5 * std::sin(0.3 * ix) * std::cos(0.2 * iy);
    }
  }
  column[static_cast<std::size_t>(hx) * ny + hy] = 80.0;
  column[0] = 0.0;  // empty cell on a log scale: darkest, and no failure
  column[1] = std::numeric_limits<double>::quiet_NaN();

  const auto argmax = [](const cg::Image& img, int* bx, int* by) {
    double best = -1.0;
    for (int y = 0; y < img.height; ++y) {
      for (int x = 0; x < img.width; ++x) {
        const double l = luminance(img.get(x, y));
        if (l > best) {
          best = l;
          *bx = x;
          *by = y;
        }
      }
    }
  };
  cg::ProjectionOptions opt;
  opt.upper_percentile = 100.0;
  const cg::Image img = cg::density_projection(column, nx, ny, opt);
  ASSERT_EQ(img.width, nx);
  ASSERT_EQ(img.height, ny);
  int bx = -1;
  int by = -1;
  argmax(img, &bx, &by);
  EXPECT_EQ(bx, hx);           // ix grows to the right
  EXPECT_EQ(by, ny - 1 - hy);  // iy grows upwards
  EXPECT_EQ(img.get(bx, by), cg::colormap_inferno(1.0));
  EXPECT_EQ(img.get(0, ny - 1), cg::colormap_inferno(0.0));  // the empty cell
  EXPECT_EQ(img.get(0, ny - 2), cg::colormap_inferno(0.0));  // the NaN cell

  // Default percentiles clip the hot spot to the brightest colour; pixel_size scales up.
  cg::ProjectionOptions big;
  big.pixel_size = 3;
  const cg::Image img3 = cg::density_projection(column, nx, ny, big);
  ASSERT_EQ(img3.width, 3 * nx);
  ASSERT_EQ(img3.height, 3 * ny);
  for (int dy = 0; dy < 3; ++dy) {
    for (int dx = 0; dx < 3; ++dx) {
      EXPECT_EQ(img3.get(3 * hx + dx, 3 * (ny - 1 - hy) + dy), cg::colormap_inferno(1.0));
    }
  }

  // A constant field with one outlier (beyond the 99.9th percentile): the outlier is
  // brightest, the rest in the middle of the colour map.
  std::vector<double> flat(48 * 48, 2.0);
  flat[1 * 48 + 1] = 3.0;
  const cg::Image fimg = cg::density_projection(flat, 48, 48);
  EXPECT_EQ(fimg.get(1, 46), cg::colormap_inferno(1.0));
  EXPECT_EQ(fimg.get(0, 0), cg::colormap_inferno(0.5));
}

TEST(DensityProjection, RejectsBadInput) {
  EXPECT_THROW(cg::density_projection(std::vector<double>(10, 1.0), 3, 3), std::invalid_argument);
  EXPECT_THROW(cg::density_projection(std::vector<double>(9, 1.0), 0, 9), std::invalid_argument);
  cg::ProjectionOptions opt;
  opt.vmin = -1.0;
  EXPECT_THROW(cg::density_projection(std::vector<double>(9, 1.0), 3, 3, opt),
               std::invalid_argument);
  opt.vmin.reset();
  opt.lower_percentile = 50.0;
  opt.upper_percentile = 40.0;
  EXPECT_THROW(cg::density_projection(std::vector<double>(9, 1.0), 3, 3, opt),
               std::invalid_argument);
}
