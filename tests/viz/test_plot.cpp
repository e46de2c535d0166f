// viz/plot.hpp: line plots and density maps written by PLplot, read back with libpng.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sim/core/check.hpp"
#include "sim/io/png.hpp"
#include "tests/sim/temp_files.hpp"
#include "tests/viz/image_checks.hpp"
#include "viz/colormap.hpp"
#include "viz/plot.hpp"

namespace viz = cosmograd::viz;
namespace sim = cosmograd::sim;
namespace fs = std::filesystem;

using cosmograd::testing::count_blobs;
using cosmograd::testing::dark_rows;
using cosmograd::testing::fresh_dir;
using cosmograd::testing::ink;
using cosmograd::testing::invalid_argument_message;
using cosmograd::testing::listing;
using cosmograd::testing::near;
using cosmograd::testing::pixels;

namespace {

constexpr sim::RGB kRed{220, 20, 20};
constexpr sim::RGB kGreen{0, 180, 0};

/// Unit axes without a grid.
viz::PlotSpec unit_axes() {
  viz::PlotSpec spec;
  spec.xrange = viz::AxisRange{0.0, 1.0};
  spec.yrange = viz::AxisRange{0.0, 1.0};
  spec.grid = false;
  return spec;
}

/// A series of colour `color` drawn with `line` and `marker`.
viz::Series series(const std::string& label, sim::RGB color, viz::LineStyle line,
                   viz::Marker marker) {
  viz::Series s;
  s.label = label;
  s.color = color;
  s.line = line;
  s.marker = marker;
  return s;
}

/// A red line at y = 0.75 for x in [0.1, 0.4] on unit axes.
viz::PlotSpec upper_left_segment() {
  viz::PlotSpec spec = unit_axes();
  spec.title = "A segment";
  spec.xlabel = "x [Mpc/h]";
  spec.ylabel = "y [Mpc/h]";
  viz::Series s = series("segment", kRed, viz::LineStyle::solid, viz::Marker::none);
  s.line_width = 4.0;
  s.x = {0.1, 0.4};
  s.y = {0.75, 0.75};
  spec.series = {s};
  return spec;
}

}  // namespace

TEST(Plot, WritesADecodablePngOfTheRequestedSize) {
  const fs::path dir = fresh_dir("viz_plot_size");
  viz::PlotSpec spec = upper_left_segment();
  spec.width = 640;
  spec.height = 400;
  const std::string path = (dir / "sub" / "plot.png").string();
  viz::write_plot_png(path, spec);
  const sim::Image img = sim::read_png(path);
  EXPECT_EQ(img.width, 640);
  EXPECT_EQ(img.height, 400);
  // Not blank: axes, labels and the series are drawn, on a white background.
  EXPECT_EQ(img.get(0, 0), (sim::RGB{255, 255, 255}));
  EXPECT_GT(ink(img).size(), 2000u);
  EXPECT_GT(pixels(img, [](sim::RGB c) { return near(c, kRed); }).size(), 100u);
  // Written atomically: no temporary is left, and a second write replaces the file.
  EXPECT_EQ(listing(dir / "sub"), (std::set<std::string>{"plot.png"}));
  spec.width = 800;
  viz::write_plot_png(path, spec);
  EXPECT_EQ(sim::read_png(path).width, 800);
  EXPECT_EQ(listing(dir / "sub"), (std::set<std::string>{"plot.png"}));
}

TEST(Plot, DataAppearsWhereTheAxesPutIt) {
  const fs::path dir = fresh_dir("viz_plot_position");
  const std::string path = (dir / "segment.png").string();
  viz::PlotSpec spec = upper_left_segment();
  spec.legend = viz::LegendPosition::none;
  viz::write_plot_png(path, spec);
  const sim::Image img = sim::read_png(path);
  const auto red = pixels(img, [](sim::RGB c) { return near(c, kRed); });
  ASSERT_GT(red.size(), 100u);
  // x in [0.1, 0.4] of the plot area: the left half of the image; y = 0.75: the upper half.
  EXPECT_LT(red.mean_x(), 0.45 * img.width);
  EXPECT_GT(red.mean_x(), 0.15 * img.width);
  EXPECT_LT(red.mean_y(), 0.45 * img.height);
  // A horizontal segment: few rows, many columns.
  const auto [ymin, ymax] = std::minmax_element(red.y.begin(), red.y.end());
  const auto [xmin, xmax] = std::minmax_element(red.x.begin(), red.x.end());
  EXPECT_LE(*ymax - *ymin, 8);
  EXPECT_GT(*xmax - *xmin, 0.2 * img.width);
}

TEST(Plot, LongTitleStaysInsideTheImage) {
  const fs::path dir = fresh_dir("viz_plot_title");
  const std::string path = (dir / "title.png").string();
  viz::PlotSpec spec = upper_left_segment();
  spec.width = 480;
  spec.height = 360;
  spec.title =
      "P(k) at z = 0.00: 512#u3#d particles, 512#u3#d mesh, L = 1000 Mpc/h, "
      "Omega_m = 0.3089, sigma8 = 0.8159, interlaced CIC, shot noise subtracted";
  viz::write_plot_png(path, spec);
  const sim::Image img = sim::read_png(path);
  // Nothing touches the image's edges: the title is wrapped (and shrunk) to fit.
  for (int y = 0; y < img.height; ++y) {
    ASSERT_EQ(img.get(0, y), (sim::RGB{255, 255, 255})) << "left edge, row " << y;
    ASSERT_EQ(img.get(img.width - 1, y), (sim::RGB{255, 255, 255})) << "right edge, row " << y;
  }
  for (int x = 0; x < img.width; ++x) {
    ASSERT_EQ(img.get(x, 0), (sim::RGB{255, 255, 255})) << "top edge, column " << x;
  }
  // The title is there: text in the band above the plot spans most of the width.
  const auto top = pixels(img, [](sim::RGB c) { return c.r + c.g + c.b < 3 * 128; });
  int in_band = 0;
  int left = img.width;
  int right = 0;
  for (std::size_t i = 0; i < top.size(); ++i) {
    if (top.y[i] < 0.1 * img.height) {
      ++in_band;
      left = std::min(left, top.x[i]);
      right = std::max(right, top.x[i]);
    }
  }
  EXPECT_GT(in_band, 200);
  EXPECT_GT(right - left, img.width / 2);
}

TEST(Plot, MarkersAreThinnedWhereTheyCrowd) {
  const fs::path dir = fresh_dir("viz_plot_markers");
  viz::PlotSpec spec = unit_axes();
  spec.legend = viz::LegendPosition::none;
  viz::Series s = series("", kRed, viz::LineStyle::none, viz::Marker::circle);
  for (int i = 0; i <= 1900; ++i) {  // 0.025 .. 0.975 in steps of 0.0005
    s.x.push_back(0.025 + 0.0005 * i);
    s.y.push_back(0.5);
  }
  s.marker_spacing = 0.0499;  // a marker every 100 points: 20 markers
  spec.series = {s};
  const std::string thinned = (dir / "thinned.png").string();
  viz::write_plot_png(thinned, spec);
  const auto red = [](sim::RGB c) { return near(c, kRed, 60); };
  EXPECT_EQ(count_blobs(sim::read_png(thinned), red), 20);
  // Every point marked: the markers merge into one thick band.
  spec.series[0].marker_spacing = 0.0;
  const std::string dense = (dir / "dense.png").string();
  viz::write_plot_png(dense, spec);
  EXPECT_EQ(count_blobs(sim::read_png(dense), red), 1);
}

TEST(Plot, BestLegendCornerAvoidsTheData) {
  const fs::path dir = fresh_dir("viz_plot_legend");
  viz::PlotSpec spec = unit_axes();
  viz::Series data = series("data", kRed, viz::LineStyle::none, viz::Marker::circle);
  for (int i = 0; i < 10; ++i) {  // the upper-right and lower-left corners
    for (int j = 0; j < 10; ++j) {
      data.x.push_back(0.02 + 0.045 * i);
      data.y.push_back(0.02 + 0.045 * j);
      data.x.push_back(0.55 + 0.045 * i);
      data.y.push_back(0.55 + 0.045 * j);
    }
  }
  // A series without drawable points: its colour appears only in the legend.
  viz::Series marker = series("legend sample", kGreen, viz::LineStyle::solid, viz::Marker::none);
  marker.line_width = 4.0;
  marker.x = {std::nan("")};
  marker.y = {std::nan("")};
  spec.series = {data, marker};
  const std::string path = (dir / "legend.png").string();
  viz::write_plot_png(path, spec);
  const sim::Image img = sim::read_png(path);
  const auto green = pixels(img, [](sim::RGB c) { return near(c, kGreen); });
  ASSERT_GT(green.size(), 20u);
  const bool left = green.mean_x() < 0.5 * img.width;
  const bool upper = green.mean_y() < 0.5 * img.height;
  EXPECT_EQ(left, upper) << "legend sample at (" << green.mean_x() << ", " << green.mean_y()
                         << "): expected the upper-left or lower-right corner";
  // An explicit corner is obeyed.
  spec.legend = viz::LegendPosition::lower_right;
  viz::write_plot_png(path, spec);
  const auto moved = pixels(sim::read_png(path), [](sim::RGB c) { return near(c, kGreen); });
  ASSERT_GT(moved.size(), 20u);
  EXPECT_GT(moved.mean_x(), 0.5 * img.width);
  EXPECT_GT(moved.mean_y(), 0.5 * img.height);
}

TEST(Plot, EmptyMessageReplacesEmptyAxes) {
  const fs::path dir = fresh_dir("viz_plot_empty");
  viz::PlotSpec spec;
  spec.title = "Nothing to show";
  spec.xlabel = "M [Msun/h]";
  spec.ylabel = "dn/dlnM";
  spec.logx = spec.logy = true;
  const std::string axes = (dir / "axes.png").string();
  viz::write_plot_png(axes, spec);
  EXPECT_GE(dark_rows(sim::read_png(axes)), 2);  // the frame's top and bottom lines

  spec.empty_message = "No halos found";
  spec.notes = {"FoF b = 0.2"};
  const std::string message = (dir / "message.png").string();
  viz::write_plot_png(message, spec);
  const sim::Image img = sim::read_png(message);
  EXPECT_EQ(dark_rows(img), 0);  // no frame
  // The message is written in the middle of the image.
  const auto text = pixels(img, [](sim::RGB c) { return c.r + c.g + c.b < 3 * 128; });
  int middle = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (std::abs(text.y[i] - img.height / 2) < img.height / 8) ++middle;
  }
  EXPECT_GT(middle, 100);
}

TEST(Plot, PrintsNothing) {
  const fs::path dir = fresh_dir("viz_plot_quiet");
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  viz::write_plot_png((dir / "quiet.png").string(), upper_left_segment());
  viz::DensityMapSpec map;
  map.extent_x = map.extent_y = 100.0;
  map.slab_depth = 25.0;
  viz::write_density_map_png((dir / "map.png").string(), std::vector<double>(64, 1.0), 8, 8, map);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(Plot, ConcurrentCallsEachWriteTheirFile) {
  const fs::path dir = fresh_dir("viz_plot_threads");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&dir, t] {
      viz::PlotSpec spec = upper_left_segment();
      spec.width = 400 + 40 * t;
      viz::write_plot_png((dir / ("t" + std::to_string(t) + ".png")).string(), spec);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 4; ++t) {
    const sim::Image img = sim::read_png((dir / ("t" + std::to_string(t) + ".png")).string());
    EXPECT_EQ(img.width, 400 + 40 * t);
    EXPECT_GT(pixels(img, [](sim::RGB c) { return near(c, kRed); }).size(), 50u);
  }
}

TEST(Plot, InvalidSpecsNameTheField) {
  const fs::path dir = fresh_dir("viz_plot_invalid");
  const std::string path = (dir / "bad.png").string();
  const auto expect_field = [&path](const viz::PlotSpec& spec, const std::string& field) {
    const std::string m = invalid_argument_message([&] { viz::write_plot_png(path, spec); });
    EXPECT_NE(m.find(field), std::string::npos) << "message: " << m;
  };
  viz::PlotSpec spec = upper_left_segment();
  spec.width = 10;
  expect_field(spec, "PlotSpec.width = 10");
  spec = upper_left_segment();
  spec.height = 100000;
  expect_field(spec, "PlotSpec.height");
  spec = upper_left_segment();
  spec.series[0].y.push_back(1.0);
  expect_field(spec, "PlotSpec.series[0].y");
  spec = upper_left_segment();
  spec.series[0].y_lo = {0.5};
  expect_field(spec, "PlotSpec.series[0].y_lo/y_hi");
  spec = upper_left_segment();
  spec.logx = true;  // xrange starts at 0
  expect_field(spec, "PlotSpec.xrange");
  spec = upper_left_segment();
  spec.yrange = viz::AxisRange{1.0, 1.0};
  expect_field(spec, "PlotSpec.yrange");
  spec = upper_left_segment();
  spec.series[0].marker_spacing = 0.9;
  expect_field(spec, "PlotSpec.series[0].marker_spacing");
  spec = upper_left_segment();
  spec.series[0].line_width = 0.0;
  expect_field(spec, "PlotSpec.series[0].line_width");
  spec = upper_left_segment();
  spec.series[0].line = viz::LineStyle::none;
  expect_field(spec, "PlotSpec.series[0].line/marker");
  spec = upper_left_segment();
  spec.font_scale = std::nan("");
  expect_field(spec, "PlotSpec.font_scale");
  // Nothing was written.
  EXPECT_TRUE(listing(dir).empty());
}

TEST(Plot, UnwritablePathThrowsCallError) {
  const fs::path dir = fresh_dir("viz_plot_unwritable");
  const fs::path blocker = dir / "a_file";
  std::ofstream(blocker) << "not a directory";
  EXPECT_THROW(viz::write_plot_png((blocker / "plot.png").string(), upper_left_segment()),
               sim::CallError);
  // The lock was released: the next plot is written.
  viz::write_plot_png((dir / "after.png").string(), upper_left_segment());
  EXPECT_EQ(sim::read_png((dir / "after.png").string()).width, 960);
}

TEST(DensityMap, HotCellIsDrawnInPlaceWithAColourBar) {
  const fs::path dir = fresh_dir("viz_density_map");
  const int nx = 64;
  const int ny = 48;
  std::vector<double> column(static_cast<std::size_t>(nx) * ny);
  for (int ix = 0; ix < nx; ++ix) {
    for (int iy = 0; iy < ny; ++iy) {
      column[static_cast<std::size_t>(ix) * ny + iy] =
          1.0 + 0.5 * std::sin(0.3 * ix) * std::cos(0.2 * iy);
    }
  }
  // A hot block in the lower left (ix < nx / 4, iy < ny / 4), an empty and a NaN cell.
  for (int ix = 4; ix < 10; ++ix) {
    for (int iy = 4; iy < 10; ++iy) column[static_cast<std::size_t>(ix) * ny + iy] = 80.0;
  }
  column[static_cast<std::size_t>(40) * ny + 30] = 0.0;
  column[static_cast<std::size_t>(41) * ny + 30] = std::numeric_limits<double>::quiet_NaN();
  viz::DensityMapSpec spec;
  spec.extent_x = 128.0;
  spec.extent_y = 96.0;
  spec.redshift = 0.5;
  spec.slab_depth = 32.0;
  const std::string path = (dir / "map.png").string();
  viz::write_density_map_png(path, column, nx, ny, spec);
  const sim::Image img = sim::read_png(path);
  EXPECT_EQ(img.width, spec.width);
  EXPECT_EQ(img.height, spec.height);
  const sim::RGB hottest = sim::colormap_inferno(1.0);
  const auto bright = pixels(img, [&](sim::RGB c) { return near(c, hottest, 12); });
  // The hot block: bright pixels in the lower-left quarter of the image, none in the
  // upper left (iy grows upwards); the colour bar's bright end is at the upper right.
  int lower_left = 0;
  int upper_left = 0;
  int upper_right = 0;
  for (std::size_t i = 0; i < bright.size(); ++i) {
    const bool left = bright.x[i] < img.width / 2;
    const bool upper = bright.y[i] < img.height / 2;
    lower_left += left && !upper;
    upper_left += left && upper;
    upper_right += !left && upper;
  }
  EXPECT_GT(lower_left, 400);
  EXPECT_EQ(upper_left, 0);
  EXPECT_GT(upper_right, 20);
  // The colour bar's dark end is at the lower right.
  const auto dark = pixels(img, [](sim::RGB c) { return near(c, sim::colormap_inferno(0.0), 12); });
  int lower_right_dark = 0;
  for (std::size_t i = 0; i < dark.size(); ++i) {
    lower_right_dark += dark.x[i] > 0.75 * img.width && dark.y[i] > img.height / 2;
  }
  EXPECT_GT(lower_right_dark, 20);
}

TEST(DensityMap, LargeMapsAreAveragedToTheImage) {
  const fs::path dir = fresh_dir("viz_density_large");
  const int n = 2048;
  std::vector<double> column(static_cast<std::size_t>(n) * n);
  for (std::size_t i = 0; i < column.size(); ++i) column[i] = 1.0 + 0.5 * std::sin(0.001 * i);
  viz::DensityMapSpec spec;
  spec.extent_x = spec.extent_y = 1000.0;
  spec.slab_depth = 250.0;
  spec.width = 600;
  spec.height = 500;
  const std::string path = (dir / "large.png").string();
  viz::write_density_map_png(path, column, n, n, spec);
  const sim::Image img = sim::read_png(path);
  EXPECT_EQ(img.width, 600);
  EXPECT_EQ(img.height, 500);
}

TEST(DensityMap, InvalidInputNamesTheField) {
  const fs::path dir = fresh_dir("viz_density_invalid");
  const std::string path = (dir / "bad.png").string();
  viz::DensityMapSpec good;
  good.extent_x = good.extent_y = 100.0;
  good.slab_depth = 25.0;
  const std::vector<double> column(9, 1.0);
  const auto message = [&path](const std::vector<double>& c, int nx, int ny,
                               const viz::DensityMapSpec& s) {
    return invalid_argument_message([&] { viz::write_density_map_png(path, c, nx, ny, s); });
  };
  EXPECT_NE(message(std::vector<double>(10, 1.0), 3, 3, good).find("nx * ny"), std::string::npos);
  EXPECT_NE(message(column, 0, 9, good).find("nx = 0"), std::string::npos);
  viz::DensityMapSpec s = good;
  s.extent_x = 0.0;
  EXPECT_NE(message(column, 3, 3, s).find("DensityMapSpec.extent_x"), std::string::npos);
  s = good;
  s.slab_depth = -1.0;
  EXPECT_NE(message(column, 3, 3, s).find("DensityMapSpec.slab_depth"), std::string::npos);
  s = good;
  s.vmin = -1.0;
  EXPECT_NE(message(column, 3, 3, s).find("DensityMapSpec.vmin"), std::string::npos);
  s = good;
  s.lower_percentile = 50.0;
  s.upper_percentile = 40.0;
  EXPECT_NE(message(column, 3, 3, s).find("DensityMapSpec.upper_percentile"), std::string::npos);
  s = good;
  s.width = 100;
  EXPECT_NE(message(column, 3, 3, s).find("DensityMapSpec.width"), std::string::npos);
  EXPECT_TRUE(listing(dir).empty());
}
