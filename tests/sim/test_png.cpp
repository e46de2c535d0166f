#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "sim/core/check.hpp"
#include "sim/io/png.hpp"
#include "tests/sim/temp_files.hpp"
#include "viz/colormap.hpp"

namespace cg = cosmograd::sim;
namespace fs = std::filesystem;

using cosmograd::testing::fresh_dir;
using cosmograd::testing::listing;

namespace {

int count_temporaries(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp.") != std::string::npos) ++n;
  }
  return n;
}

// Relative luminance of an sRGB colour (IEC 61966-2-1 linearization, Rec. 709 weights).
double luminance(cg::RGB c) {
  const auto lin = [](std::uint8_t v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

cg::Image test_pattern(int w, int h) {
  cg::Image img(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      img.set(x, y,
              cg::RGB{static_cast<std::uint8_t>(37 * x + 11 * y),
                      static_cast<std::uint8_t>(255 - 13 * y),
                      static_cast<std::uint8_t>((x * y * 7) ^ 0x5a)});
    }
  }
  return img;
}

}  // namespace

TEST(Image, ConstructsFilledAndChecksBounds) {
  cg::Image img(3, 2, cg::RGB{1, 2, 3});
  EXPECT_EQ(img.rgb.size(), 18u);
  EXPECT_EQ(img.get(2, 1), (cg::RGB{1, 2, 3}));
  img.set(2, 1, cg::RGB{9, 8, 7});
  EXPECT_EQ(img.rgb[15], 9);
  EXPECT_EQ(img.rgb[17], 7);
  EXPECT_THROW(img.set(3, 0, cg::RGB{}), std::out_of_range);
  EXPECT_THROW(img.get(0, -1), std::out_of_range);
  img.set_clipped(-1, 0, cg::RGB{});  // silently ignored
  EXPECT_THROW(cg::Image(0, 5), std::invalid_argument);
  EXPECT_THROW(cg::Image(5, 70000), std::invalid_argument);
}

TEST(Png, RoundTripIsExact) {
  const fs::path dir = fresh_dir("png_roundtrip");
  const cg::Image img = test_pattern(7, 5);
  const std::string path = (dir / "sub" / "a.png").string();
  cg::write_png(path, img);
  const cg::Image back = cg::read_png(path);
  EXPECT_EQ(back.width, 7);
  EXPECT_EQ(back.height, 5);
  EXPECT_EQ(back.rgb, img.rgb);
  EXPECT_EQ(count_temporaries(dir / "sub"), 0);

  // Overwriting replaces the old content.
  cg::write_png(path, cg::Image(2, 3, cg::RGB{10, 20, 30}));
  const cg::Image second = cg::read_png(path);
  EXPECT_EQ(second.width, 2);
  EXPECT_EQ(second.get(1, 2), (cg::RGB{10, 20, 30}));
  fs::remove_all(dir);
}

TEST(Png, UnwritablePathThrowsWithPathAndLeavesNoTemporary) {
  // The parent exists but the file system refuses new files (even for root).
  const std::string proc_path = "/proc/self/cosmograd_cannot_write.png";
  try {
    cg::write_png(proc_path, cg::Image(2, 2));
    FAIL() << "no throw";
  } catch (const cg::CallError& e) {
    EXPECT_NE(std::string(e.what()).find(proc_path), std::string::npos) << e.what();
  }

  // The target is a non-empty directory: the temporary is written, the rename fails and
  // the temporary must be removed.
  const fs::path dir = fresh_dir("png_unwritable");
  const fs::path target = dir / "taken.png";
  fs::create_directories(target / "inside");
  try {
    cg::write_png(target.string(), cg::Image(4, 4));
    FAIL() << "no throw";
  } catch (const cg::CallError& e) {
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(count_temporaries(dir), 0);
  EXPECT_TRUE(fs::is_directory(target / "inside"));
  fs::remove_all(dir);
}

TEST(Png, RejectsInconsistentImage) {
  cg::Image img(4, 4);
  img.rgb.pop_back();
  EXPECT_THROW(cg::write_png("/tmp/cosmograd_never_written.png", img), std::invalid_argument);
  EXPECT_THROW(cg::write_png("/tmp/cosmograd_never_written.png", cg::Image()),
               std::invalid_argument);
  EXPECT_FALSE(fs::exists("/tmp/cosmograd_never_written.png"));
}

TEST(Png, ReadingMissingOrCorruptFilesThrowsWithPath) {
  const fs::path dir = fresh_dir("png_corrupt");
  const std::string missing = (dir / "missing.png").string();
  try {
    cg::read_png(missing);
    FAIL() << "no throw";
  } catch (const cg::CallError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  const std::string text = (dir / "text.png").string();
  std::ofstream(text) << "this is not a PNG file at all";
  try {
    cg::read_png(text);
    FAIL() << "no throw";
  } catch (const cg::CallError& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
  // A valid PNG cut short: libpng fails in the middle of the pixel data.
  const std::string good = (dir / "good.png").string();
  cg::write_png(good, test_pattern(64, 64));
  const auto size = fs::file_size(good);
  const std::string cut = (dir / "cut.png").string();
  fs::copy_file(good, cut);
  fs::resize_file(cut, size / 2);
  try {
    cg::read_png(cut);
    FAIL() << "no throw";
  } catch (const cg::CallError& e) {
    EXPECT_NE(std::string(e.what()).find(cut), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(Colormap, InfernoEndpointsMatchMatplotlib) {
  // matplotlib: to_hex(inferno(0.0)) == '#000004', to_hex(inferno(1.0)) == '#fcffa4'.
  EXPECT_EQ(cg::colormap_inferno(0.0), (cg::RGB{0x00, 0x00, 0x04}));
  EXPECT_EQ(cg::colormap_inferno(1.0), (cg::RGB{0xfc, 0xff, 0xa4}));
  EXPECT_EQ(cg::colormap_inferno(-3.0), cg::colormap_inferno(0.0));
  EXPECT_EQ(cg::colormap_inferno(7.0), cg::colormap_inferno(1.0));
  EXPECT_EQ(cg::colormap_inferno(std::nan("")), cg::colormap_inferno(0.0));
  // Entry 128 of the 256-entry table is (0.735683, 0.215906, 0.330245) -> (188, 55, 84).
  const cg::RGB mid = cg::colormap_inferno(128.0 / 255.0);
  EXPECT_EQ(mid, (cg::RGB{188, 55, 84}));
}

TEST(Colormap, InfernoLuminanceIsMonotonic) {
  double prev = -1.0;
  for (int i = 0; i <= 64; ++i) {
    const double y = luminance(cg::colormap_inferno(i / 64.0));
    EXPECT_GT(y, prev) << "at t = " << i / 64.0;
    prev = y;
  }
  // On a fine grid only 8-bit rounding may make it dip, by less than one step of one channel.
  prev = -1.0;
  for (int i = 0; i <= 2000; ++i) {
    const double y = luminance(cg::colormap_inferno(i / 2000.0));
    EXPECT_GT(y, prev - 3e-3) << "at t = " << i / 2000.0;
    prev = y;
  }
}
