// FITS images with a TAN WCS and Lupton colour composites: the projection against the gnomonic
// formulas, exact file round trips, refused inputs, and the PNG colours and orientation.
//
// With COSMOGRAD_IMAGE_TEST_OUT=<dir> set, SampleFilesForAstropy leaves sample.fits (3 bands,
// float32, rotated), single.fits (one band, float64, primary HDU, at the pole and RA = 0 wrap),
// sample.json (the expected sky positions, shapes and sums) and rgb.png there for
// tests/surveys/check_image_fits.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "sim/core/check.hpp"
#include "sim/io/png.hpp"
#include "surveys/images/image_fits.hpp"
#include "tests/sim/temp_files.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace fs = std::filesystem;
using cosmograd::sim::CallError;
using cosmograd::testing::fresh_dir;
using cosmograd::testing::listing;
using namespace cosmograd::surveys;

namespace {

const double kDeg = std::acos(-1.0) / 180.0;

// Great-circle distance [deg] (Vincenty's formula: accurate at all separations).
double separation_deg(std::array<double, 2> a, std::array<double, 2> b) {
  const double d1 = a[1] * kDeg, d2 = b[1] * kDeg, da = (b[0] - a[0]) * kDeg;
  const double x = std::cos(d2) * std::sin(da);
  const double y = std::cos(d1) * std::sin(d2) - std::sin(d1) * std::cos(d2) * std::cos(da);
  const double z = std::sin(d1) * std::sin(d2) + std::cos(d1) * std::cos(d2) * std::cos(da);
  return std::atan2(std::hypot(x, y), z) / kDeg;
}

TanWcs make_wcs(double ra, double dec, double scale, double rot, double crpix1, double crpix2) {
  TanWcs w;
  w.ra_deg = ra;
  w.dec_deg = dec;
  w.pixel_scale_arcsec = scale;
  w.rotation_deg = rot;
  w.crpix1 = crpix1;
  w.crpix2 = crpix2;
  return w;
}

BandImage make_band(const std::string& name, int nx, int ny, double seed, std::string unit) {
  BandImage b;
  b.band = name;
  b.nx = nx;
  b.ny = ny;
  b.unit = std::move(unit);
  b.values.resize(static_cast<std::size_t>(nx) * ny);
  for (std::size_t i = 0; i < b.values.size(); ++i) {
    b.values[i] = std::sin(seed * 1.7 + 0.37 * static_cast<double>(i)) * 1e3 / (1.0 + seed) +
                  1e-7 * static_cast<double>(i);  // not representable as float
  }
  return b;
}

using cosmograd::testing::expect_throw;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// How many 80-character header cards of `path` start with `prefix`.
int cards(const std::string& path, const std::string& prefix) {
  const std::string bytes = slurp(path);
  int n = 0;
  for (std::size_t i = 0; i + 80 <= bytes.size(); i += 80)
    n += bytes.compare(i, prefix.size(), prefix) == 0;
  return n;
}

// A fresh scratch directory (tests/sim/temp_files.hpp), removed at scope exit.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(const std::string& name)
      : path(fresh_dir("image_fits_" + name + "_" + std::to_string(::getpid()))) {}
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST(TanWcs, ReferencePixelMapsToCrvalExactly) {
  for (const TanWcs& w :
       {make_wcs(150.1, 2.2, 0.2, 0, 32.5, 24.5), make_wcs(359.99, -89.5, 1.1, 37, 1, 100.25),
        make_wcs(12.3456789, 90, 0.05, -150, -3.5, 7)}) {
    const std::array<double, 2> sky = pixel_to_sky(w, w.crpix1 - 1, w.crpix2 - 1);
    EXPECT_EQ(sky[0], w.ra_deg);
    EXPECT_EQ(sky[1], w.dec_deg);
    const std::array<double, 2> p = sky_to_pixel(w, w.ra_deg, w.dec_deg);
    EXPECT_EQ(p[0], w.crpix1 - 1);
    EXPECT_EQ(p[1], w.crpix2 - 1);
  }
  // An unset reference pixel is the image centre: 0-based ((nx - 1) / 2, (ny - 1) / 2).
  const TanWcs c = resolve_reference_pixel(TanWcs{}, 64, 47);
  EXPECT_EQ(c.crpix1, 32.5);
  EXPECT_EQ(c.crpix2, 24.0);
  expect_throw<std::invalid_argument>([] { pixel_to_sky(TanWcs{}, 0, 0); },
                                      {"crpix1", "resolve_reference_pixel"});
}

TEST(TanWcs, MatchesTheGnomonicFormulas) {
  // Along the meridian through the reference point, n pixels up sit at dec0 + atan(n s), and
  // along the equator n pixels left sit at ra0 + atan(n s) (Calabretta & Greisen 2002, eq. 54).
  const double s = 36.0;  // arcsec
  const TanWcs w = make_wcs(10, 0, s, 0, 1, 1);
  for (const double n : {1.0, 10.0, 1000.0, 20000.0}) {
    const double t = std::atan(n * s / 3600.0 * kDeg) / kDeg;
    const std::array<double, 2> up = pixel_to_sky(w, 0, n);
    EXPECT_NEAR(up[0], 10.0, 1e-12);
    EXPECT_NEAR(up[1], t, 1e-12);
    const std::array<double, 2> left = pixel_to_sky(w, -n, 0);
    EXPECT_NEAR(left[0], 10.0 + t, 1e-12);
    EXPECT_NEAR(left[1], 0.0, 1e-12);
  }
  // Rotation: +y points to position angle rotation_deg (north through east).
  const TanWcs r90 = make_wcs(10, 0, s, 90, 1, 1);
  EXPECT_GT(pixel_to_sky(r90, 0, 1)[0], 10.0);  // +y is east
  EXPECT_NEAR(pixel_to_sky(r90, 0, 1)[1], 0.0, 1e-12);
  EXPECT_GT(pixel_to_sky(r90, 1, 0)[1], 0.0);  // +x is north
  // The far hemisphere has no tangent-plane position.
  const std::array<double, 2> far = sky_to_pixel(w, 190, 0);
  EXPECT_TRUE(std::isnan(far[0]) && std::isnan(far[1]));
  EXPECT_TRUE(std::isnan(sky_to_pixel(w, 100.001, 0)[0]));  // just beyond 90 deg
}

TEST(TanWcs, RoundTripsEverywhereIncludingThePole) {
  struct Case {
    TanWcs w;
    double step;  // pixels between test points
  };
  const std::vector<Case> cases = {
      {make_wcs(150.1, 2.2, 0.2, 0, 2048.5, 2048.5), 97.3},
      {make_wcs(10, -45, 0.7, 30, 1, 1), 41.1},
      {make_wcs(359.99, 0.01, 0.2, -120, 100, 50), 77.7},  // RA wraps through 0
      {make_wcs(45, 89.99, 36, 10, 500.5, 500.5), 53.3},   // the field contains the pole
      {make_wcs(200, -90, 3.6, 75, 10, 10), 111.1},        // reference pixel at the pole
      {make_wcs(0, 60, 3600, 0, 0, 0), 13.7}};             // 1 deg pixels, up to 58 deg away
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message()
                 << "crval " << c.w.ra_deg << ", " << c.w.dec_deg << " rot " << c.w.rotation_deg);
    const double px_tol = 1e-10 * 3600.0 / c.w.pixel_scale_arcsec;  // 1e-10 deg in pixels
    for (int i = -10; i <= 10; ++i) {
      for (int j = -10; j <= 10; ++j) {
        const double x = c.w.crpix1 - 1 + i * c.step * (c.w.pixel_scale_arcsec < 100 ? 1 : 0.3);
        const double y = c.w.crpix2 - 1 + j * c.step * (c.w.pixel_scale_arcsec < 100 ? 1 : 0.3);
        const std::array<double, 2> sky = pixel_to_sky(c.w, x, y);
        ASSERT_GE(sky[0], 0.0);
        ASSERT_LT(sky[0], 360.0);
        const std::array<double, 2> p = sky_to_pixel(c.w, sky[0], sky[1]);
        EXPECT_NEAR(p[0], x, px_tol) << i << " " << j;
        EXPECT_NEAR(p[1], y, px_tol) << i << " " << j;
        EXPECT_LT(separation_deg(pixel_to_sky(c.w, p[0], p[1]), sky), 1e-10);
      }
    }
  }
}

TEST(TanWcs, PixelScaleAtTheReferencePixelIsTheRequestedOne) {
  for (const double rot : {0.0, 23.0, 90.0, -140.0}) {
    for (const double dec : {0.0, 55.0, -89.9, 90.0}) {
      const TanWcs w = make_wcs(123.4, dec, 0.168, rot, 50.5, 60.5);
      const double x0 = w.crpix1 - 1, y0 = w.crpix2 - 1, h = 1.0;
      const double sx = separation_deg(pixel_to_sky(w, x0 - h, y0), pixel_to_sky(w, x0 + h, y0));
      const double sy = separation_deg(pixel_to_sky(w, x0, y0 - h), pixel_to_sky(w, x0, y0 + h));
      EXPECT_NEAR(sx * 3600.0 / (2 * h), 0.168, 0.168 * 1e-9) << rot << " " << dec;
      EXPECT_NEAR(sy * 3600.0 / (2 * h), 0.168, 0.168 * 1e-9) << rot << " " << dec;
    }
  }
}

TEST(ImageFits, ThreeBandRoundTripIsExactInFloat64) {
  const ScratchDir scratch("rt");
  const fs::path& dir = scratch.path;
  const std::string path = (dir / "scene.fits").string();
  std::vector<BandImage> bands = {make_band("g", 40, 30, 1, "nJy"),
                                  make_band("r", 40, 30, 2, "nJy"),
                                  make_band("i", 40, 30, 3, "adu")};
  bands[2].keywords = {{"ZEROPT", 27.85, "AB magnitude of 1 adu/s"}};
  bands[1].values[5] = std::nan("");  // masked pixels survive
  const TanWcs wcs = make_wcs(150.1, 2.2, 0.2, 30, 20.5, 15.5);
  write_image_fits(path, bands, wcs, {{"GAIN", 4.5, "e-/adu"}, {"EXPTIME", 300, "s"}},
                   {{"TELESCOP", "cosmograd", ""}}, FitsBitpix::kFloat64);
  EXPECT_EQ(listing(dir), (std::set<std::string>{"scene.fits"}));  // no temporary left

  TanWcs back;
  const std::vector<BandImage> r = read_image_fits(path, &back);
  ASSERT_EQ(r.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(r[k].band, bands[k].band);
    EXPECT_EQ(r[k].unit, bands[k].unit);
    EXPECT_EQ(r[k].nx, 40);
    EXPECT_EQ(r[k].ny, 30);
    ASSERT_EQ(r[k].values.size(), bands[k].values.size());
    for (std::size_t i = 0; i < r[k].values.size(); ++i) {
      if (std::isnan(bands[k].values[i])) {
        EXPECT_TRUE(std::isnan(r[k].values[i]));
      } else {
        EXPECT_EQ(r[k].values[i], bands[k].values[i]) << k << " " << i;  // bit-exact
      }
    }
  }
  EXPECT_EQ(back.ra_deg, wcs.ra_deg);
  EXPECT_EQ(back.dec_deg, wcs.dec_deg);
  EXPECT_EQ(back.crpix1, wcs.crpix1);
  EXPECT_EQ(back.crpix2, wcs.crpix2);
  EXPECT_NEAR(back.pixel_scale_arcsec, 0.2, 1e-15);
  EXPECT_NEAR(back.rotation_deg, 30.0, 1e-12);
  // Header: an empty primary HDU, one extension per band, keywords in each where they belong.
  EXPECT_EQ(cards(path, "NBANDS  =                    3"), 1);
  EXPECT_EQ(cards(path, "XTENSION= 'IMAGE   '"), 3);
  EXPECT_EQ(cards(path, "EXTNAME = 'r       '"), 1);
  EXPECT_EQ(cards(path, "BITPIX  =                  -64"), 3);
  EXPECT_EQ(cards(path, "GAIN    ="), 4);
  EXPECT_EQ(cards(path, "TELESCOP= 'cosmograd'"), 4);
  EXPECT_EQ(cards(path, "ZEROPT  ="), 1);
  EXPECT_EQ(cards(path, "RADESYS = 'ICRS    '"), 3);
  EXPECT_EQ(cards(path, "CD1_1   ="), 3);
}

TEST(ImageFits, Float32AndSingleBandFiles) {
  const ScratchDir scratch("f32");
  const fs::path& dir = scratch.path;
  const BandImage g = make_band("HSC-G", 17, 9, 1, "nJy");
  TanWcs wcs = make_wcs(0.5, -30, 0.168, 0, 0, 0);
  wcs.crpix1 = std::nan("");  // the image centre along x
  write_image_fits((dir / "f32.fits").string(), {g, make_band("HSC-R", 17, 9, 2, "")}, wcs);
  TanWcs back;
  const std::vector<BandImage> r = read_image_fits((dir / "f32.fits").string(), &back);
  ASSERT_EQ(r.size(), 2u);
  for (std::size_t i = 0; i < g.values.size(); ++i) {
    EXPECT_EQ(r[0].values[i], static_cast<double>(static_cast<float>(g.values[i])));
  }
  EXPECT_EQ(r[1].unit, "");
  EXPECT_EQ(back.crpix1, 9.0);  // (17 + 1) / 2
  EXPECT_EQ(back.crpix2, 0.0);
  EXPECT_EQ(cards((dir / "f32.fits").string(), "BITPIX  =                  -32"), 2);

  const std::string single = (dir / "single.fits").string();
  write_single_image_fits(single, g, wcs, {{"GAIN", 2, ""}}, {}, FitsBitpix::kFloat64);
  const std::vector<BandImage> s = read_image_fits(single, &back);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].band, "HSC-G");  // from FILTER
  EXPECT_EQ(s[0].unit, "nJy");
  EXPECT_EQ(s[0].values, g.values);
  EXPECT_EQ(cards(single, "XTENSION"), 0);
  EXPECT_EQ(cards(single, "NAXIS   =                    2"), 1);
  EXPECT_EQ(cards(single, "EXTNAME"), 0);
  EXPECT_EQ(listing(dir), (std::set<std::string>{"f32.fits", "single.fits"}));
}

TEST(ImageFits, BadInputsAreRefusedNamingTheProblem) {
  const ScratchDir scratch("bad");
  const fs::path& dir = scratch.path;
  const std::string path = (dir / "bad.fits").string();
  const TanWcs wcs = make_wcs(10, 20, 0.2, 0, 5, 5);
  const BandImage g = make_band("g", 8, 6, 1, "nJy");
  auto refused = [&](const std::vector<BandImage>& bands, const TanWcs& w,
                     const std::vector<std::string>& parts,
                     const std::vector<cosmograd::sim::FitsKeyword>& keys = {}) {
    expect_throw<std::invalid_argument>([&] { write_image_fits(path, bands, w, keys); }, parts);
  };
  refused({}, wcs, {"no bands"});
  BandImage empty = g;
  empty.values.clear();
  empty.nx = empty.ny = 0;
  refused({empty}, wcs, {"'g'", "0 x 0"});
  BandImage short_values = g;
  short_values.values.pop_back();
  refused({short_values}, wcs, {"'g'", "47 entries", "exactly 48"});
  refused({g, make_band("r", 8, 7, 2, "nJy")}, wcs, {"'r'", "8 x 7", "8 x 6", "same size"});
  refused({g, make_band("G", 8, 6, 2, "nJy")}, wcs, {"'G'", "twice"});
  refused({make_band("", 8, 6, 1, "")}, wcs, {"name"});
  refused({make_band("g", 8, 6, 1, "n\tJy")}, wcs, {"unit"});
  BandImage huge = g;
  huge.values[3] = 1e300;
  refused({huge}, wcs, {"'g'", "e+300", "(3, 0)", "float32"});
  for (const double scale : {0.0, -0.2, std::nan("")}) {
    TanWcs w = wcs;
    w.pixel_scale_arcsec = scale;
    refused({g}, w, {"pixel_scale_arcsec"});
  }
  TanWcs w = wcs;
  w.dec_deg = 91;
  refused({g}, w, {"dec_deg", "91"});
  refused({g}, wcs, {"'CRPIX1'", "reserved"}, {{"CRPIX1", 1, ""}});
  refused({g}, wcs, {"'gain'"}, {{"gain", 1, ""}});
  refused({g}, wcs, {"GAIN", "twice"}, {{"GAIN", 1, ""}, {"GAIN", 2, ""}});
  EXPECT_TRUE(listing(dir).empty());  // nothing written
  expect_throw<std::invalid_argument>([&] { lupton_rgb(g, g, make_band("b", 8, 5, 1, ""), 1, 8); },
                                      {"'b'", "8 x 5"});
  expect_throw<std::invalid_argument>([&] { lupton_rgb(g, g, g, 0, 8); }, {"stretch = 0"});
  expect_throw<std::invalid_argument>([&] { write_rgb_png(path, g, g, g, 1, -1); }, {"q = -1"});
  EXPECT_TRUE(listing(dir).empty());
}

TEST(ImageFits, FailedWritesNameTheFileAndLeaveNoTemporary) {
  const ScratchDir scratch("fail");
  const fs::path& dir = scratch.path;
  const TanWcs wcs = make_wcs(10, 20, 0.2, 0, 5, 5);
  const std::vector<BandImage> bands = {make_band("g", 8, 6, 1, "nJy")};
  // A missing directory is created (AtomicWrite); one that cannot be (a file is in the way)
  // is an error naming it.
  write_image_fits((dir / "new" / "sub" / "a.fits").string(), bands, wcs);
  EXPECT_TRUE(fs::exists(dir / "new" / "sub" / "a.fits"));
  std::ofstream(dir / "file") << "x";
  const std::string blocked = (dir / "file" / "sub" / "a.fits").string();
  expect_throw<CallError>([&] { write_image_fits(blocked, bands, wcs); },
                          {(dir / "file" / "sub").string()});
  // The target is a directory: the rename fails, naming the file, and the temporary is gone.
  fs::create_directories(dir / "taken.fits" / "inside");
  const std::string taken = (dir / "taken.fits").string();
  expect_throw<CallError>([&] { write_image_fits(taken, bands, wcs); }, {taken, "rename"});
  expect_throw<CallError>([&] { write_rgb_png(taken, bands[0], bands[0], bands[0], 1, 8); },
                          {taken});
  EXPECT_EQ(listing(dir), (std::set<std::string>{"file", "new", "taken.fits"}));
  // Reading: a missing file, a non-FITS file, a table-only FITS file.
  expect_throw<CallError>([&] { read_image_fits((dir / "missing.fits").string()); },
                          {(dir / "missing.fits").string()});
  expect_throw<CallError>([&] { read_image_fits((dir / "file").string()); },
                          {(dir / "file").string()});
}

TEST(LuptonRgb, ColoursOrientationAndPng) {
  const int nx = 5, ny = 4;
  auto flat = [&](const std::string& name, double v) {
    BandImage b = make_band(name, nx, ny, 0, "nJy");
    std::fill(b.values.begin(), b.values.end(), v);
    return b;
  };
  BandImage r = flat("r", 0), g = flat("g", 0), b = flat("b", 0);
  r.values[0] = 3.0;  // pixel (0, 0): pure red, bottom-left on the sky -> PNG row ny - 1
  r.values[1 * nx + 2] = g.values[1 * nx + 2] = b.values[1 * nx + 2] = 0.5;  // grey (2, 1)
  r.values[3 * nx + 4] = 100;  // (4, 3): saturated orange, top-right -> PNG row 0
  g.values[3 * nx + 4] = 60;
  b.values[3 * nx + 4] = -1;  // below the minimum: clipped to 0
  const double stretch = 2.0, q = 8.0;
  const std::vector<std::uint8_t> rgb = lupton_rgb(r, g, b, stretch, q);
  ASSERT_EQ(rgb.size(), static_cast<std::size_t>(nx * ny * 3));
  auto at = [&](int ix, int iy, int k) { return rgb[3 * ((ny - 1 - iy) * nx + ix) + k]; };
  // Pure red: I = 1, F = asinh(8 / 2) / 8, red = 3 F = 0.7853.
  EXPECT_EQ(at(0, 0, 0), std::lround(3 * std::asinh(4.0) / 8.0 * 255));
  EXPECT_EQ(at(0, 0, 1), 0);
  EXPECT_EQ(at(0, 0, 2), 0);
  // Grey stays grey: every channel F(0.5) = asinh(2) / 8 = 0.1805 -> 46.
  EXPECT_EQ(at(2, 1, 0), std::lround(std::asinh(2.0) / 8.0 * 255));
  EXPECT_EQ(at(2, 1, 0), at(2, 1, 1));
  EXPECT_EQ(at(2, 1, 0), at(2, 1, 2));
  // Saturated: divided by its largest channel, so red is full and green/red keeps 60/100.
  EXPECT_EQ(at(4, 3, 0), 255);
  EXPECT_EQ(at(4, 3, 1), 153);  // 0.6 * 255
  EXPECT_EQ(at(4, 3, 2), 0);
  EXPECT_EQ(rgb[3 * 4 + 0], 255);  // PNG row 0, column 4 is the top-right pixel
  // Everything else is black (I = 0).
  EXPECT_EQ(at(1, 1, 0) + at(1, 1, 1) + at(1, 1, 2), 0);
  // A minimum is subtracted first: all pixels at the minimum are black.
  const std::vector<std::uint8_t> none =
      lupton_rgb(flat("r", 7), flat("g", 7), flat("b", 7), 1, 8, 7);
  EXPECT_EQ(std::count(none.begin(), none.end(), 0), static_cast<long>(none.size()));

  const ScratchDir scratch("png");
  const fs::path& dir = scratch.path;
  const std::string path = (dir / "rgb.png").string();
  write_rgb_png(path, r, g, b, stretch, q);
  const cosmograd::sim::Image png = cosmograd::sim::read_png(path);
  EXPECT_EQ(png.width, nx);
  EXPECT_EQ(png.height, ny);
  EXPECT_EQ(png.rgb, rgb);
  EXPECT_EQ(png.get(0, ny - 1), (cosmograd::sim::RGB{at(0, 0, 0), 0, 0}));  // red, bottom left
  EXPECT_EQ(listing(dir), (std::set<std::string>{"rgb.png"}));
}

TEST(ImageFits, SampleFilesForAstropy) {
  const char* env = std::getenv("COSMOGRAD_IMAGE_TEST_OUT");
  const ScratchDir scratch("sample");  // used when the variable is not set
  const fs::path out = env != nullptr ? fs::path(env) : scratch.path;
  struct Sample {
    std::string file;
    std::vector<BandImage> bands;
    TanWcs wcs;
    FitsBitpix bitpix;
  };
  std::vector<BandImage> three = {make_band("g", 64, 48, 1, "nJy"),
                                  make_band("r", 64, 48, 2, "nJy"),
                                  make_band("i", 64, 48, 3, "nJy")};
  for (BandImage& b : three) b.keywords = {{"ZEROPT", 31.4, "AB zero point for nJy"}};
  TanWcs sample_wcs = make_wcs(150.1, 2.2, 0.2, 30, 0, 0);
  sample_wcs.crpix1 = sample_wcs.crpix2 = std::nan("");  // centre: 32.5, 24.5
  const std::vector<Sample> samples = {{"sample.fits", three, sample_wcs, FitsBitpix::kFloat32},
                                       {"single.fits",
                                        {make_band("VIS", 40, 50, 4, "adu")},
                                        make_wcs(0.001, 89.5, 36, -60, 10, 45),
                                        FitsBitpix::kFloat64}};
  std::ostringstream spec;
  spec << std::setprecision(17) << "{\"files\": [";
  for (std::size_t f = 0; f < samples.size(); ++f) {
    const Sample& s = samples[f];
    const std::string path = (out / s.file).string();
    if (s.file == "single.fits") {
      write_single_image_fits(path, s.bands[0], s.wcs, {{"GAIN", 4.5, "e-/adu"}}, {}, s.bitpix);
    } else {
      write_image_fits(path, s.bands, s.wcs, {{"GAIN", 4.5, "e-/adu"}},
                       {{"ORIGIN", "cosmograd", ""}}, s.bitpix);
    }
    const TanWcs w = resolve_reference_pixel(s.wcs, s.bands[0].nx, s.bands[0].ny);
    spec << (f ? ", " : "") << "{\"path\": \"" << s.file
         << "\", \"primary_image\": " << (s.file == "single.fits" ? "true" : "false")
         << ", \"keywords\": {\"GAIN\": 4.5}"
         << ", \"bands\": [";
    for (std::size_t k = 0; k < s.bands.size(); ++k) {
      const BandImage& b = s.bands[k];
      double sum = 0;  // the sum of the stored values (float32 or float64)
      for (const double v : b.values)
        sum += s.bitpix == FitsBitpix::kFloat32 ? static_cast<float>(v) : v;
      spec << (k ? ", " : "") << "{\"name\": \"" << b.band << "\", \"unit\": \"" << b.unit
           << "\", \"shape\": [" << b.ny << ", " << b.nx << "], \"sum\": " << sum << "}";
    }
    spec << "], \"pixels\": [";
    const std::vector<std::array<double, 2>> pixels = {{w.crpix1 - 1, w.crpix2 - 1},
                                                       {0, 0},
                                                       {static_cast<double>(s.bands[0].nx - 1), 0},
                                                       {0, static_cast<double>(s.bands[0].ny - 1)},
                                                       {-0.5, -0.5},
                                                       {3.25, 17.75},
                                                       {-200, 500}};
    for (std::size_t p = 0; p < pixels.size(); ++p) {
      const std::array<double, 2> sky = pixel_to_sky(w, pixels[p][0], pixels[p][1]);
      spec << (p ? ", " : "") << "{\"x\": " << pixels[p][0] << ", \"y\": " << pixels[p][1]
           << ", \"ra\": " << sky[0] << ", \"dec\": " << sky[1] << "}";
    }
    spec << "]}";
  }
  spec << "]}\n";
  std::ofstream(out / "sample.json") << spec.str();
  write_rgb_png((out / "rgb.png").string(), three[2], three[1], three[0], 300, 8, -500);
  EXPECT_TRUE(fs::exists(out / "sample.fits") && fs::exists(out / "single.fits") &&
              fs::exists(out / "rgb.png"));
}
