// Stamp sets (exact HDF5 round trips, every field validated) and irregular galaxies (total flux,
// the spiral arms' Fourier mode and phase, reproducible draws keyed by (seed, galaxy id)).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <complex>
#include <filesystem>
#include <limits>

#include "surveys/images/irregular.hpp"
#include "surveys/images/sersic.hpp"
#include "surveys/images/stamp_set.hpp"
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/table.hpp"
#include "tests/sim/temp_files.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cs = cosmograd::surveys;
namespace fs = std::filesystem;
using cosmograd::testing::expect_throw;

namespace {

constexpr double kPi = 3.14159265358979323846;

/// A scratch directory removed at scope exit.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(const std::string& name)
      : path(cosmograd::testing::fresh_dir("stamps_" + name + "_" + std::to_string(::getpid()))) {}
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// Three 8 x 8 stamps with 3 x 3 PSFs summing to 1 and random values.
cs::StampSet small_set() {
  cs::StampSet s;
  s.size = 8;
  s.psf_size = 3;
  s.band = "i";
  s.unit = "nJy";
  s.source = "test";
  s.pixel_scale = 0.1;
  s.zero_point = 31.4;
  cs::MockRng rng(5, cs::MockStream::kStampSet, 0);
  for (int k = 0; k < 3; ++k) {
    for (int p = 0; p < 64; ++p) {
      s.images.push_back(static_cast<float>(rng.normal()));
      s.noiseless.push_back(static_cast<float>(rng.uniform()));
      s.intrinsic.push_back(static_cast<float>(rng.uniform()));
    }
    float sum = 0;
    std::vector<float> psf;
    for (int p = 0; p < 9; ++p) {
      psf.push_back(static_cast<float>(rng.uniform()));
      sum += psf.back();
    }
    for (float v : psf) s.psfs.push_back(v / sum);
    s.noise_sigma.push_back(static_cast<float>(0.5 + rng.uniform()));
    s.half_light_radius.push_back(static_cast<float>(1 + 3 * rng.uniform()));
    s.mag.push_back(static_cast<float>(20 + 4 * rng.uniform()));
  }
  return s;
}

void expect_same(const cs::StampSet& a, const cs::StampSet& b) {
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.psf_size, b.psf_size);
  EXPECT_EQ(a.band, b.band);
  EXPECT_EQ(a.unit, b.unit);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.pixel_scale, b.pixel_scale);
  EXPECT_EQ(a.zero_point, b.zero_point);
  EXPECT_EQ(a.images, b.images);
  EXPECT_EQ(a.noiseless, b.noiseless);
  EXPECT_EQ(a.intrinsic, b.intrinsic);
  EXPECT_EQ(a.psfs, b.psfs);
  EXPECT_EQ(a.noise_sigma, b.noise_sigma);
  EXPECT_EQ(a.half_light_radius, b.half_light_radius);
  EXPECT_EQ(a.mag, b.mag);
}

/// An image big enough for the whole galaxy (8 R_e along the major axis, knots, margin).
cs::Image canvas_for(const cs::IrregularGalaxy& g) {
  const double e = std::hypot(g.e1, g.e2), axis = std::sqrt((1 + e) / (1 - e));
  double reach = 8.0 * std::max(g.disk_radius, g.bulge_radius) * axis;
  for (const auto& k : g.knots) reach = std::max(reach, std::hypot(k[0], k[1]) + 10 * k[2]);
  const int side = 2 * static_cast<int>(std::ceil(reach)) + 8;
  return cs::Image::zeros(side, side);
}

/// sum over pixels of I exp(-i Psi_0) / sum I, Psi_0 = m phi - (m / tan p) ln(r / r_s) in the
/// disk frame, over pixel centres with r_min < r < r_max: (A / 2) exp(-i m phi0) for arms.
std::complex<double> demodulated(const cs::Image& img, const cs::IrregularGalaxy& g, double r_min,
                                 double r_max) {
  const double s = std::sqrt(1 - g.e1 * g.e1 - g.e2 * g.e2);
  const double rs = g.disk_radius / cs::sersic_k(1.0, cs::kSersicDefaultTruncation);
  const double winding = g.arms / std::tan(g.pitch_deg * kPi / 180);
  std::complex<double> num = 0;
  double den = 0;
  for (int iy = 0; iy < img.ny; ++iy)
    for (int ix = 0; ix < img.nx; ++ix) {
      const double dx = ix + 0.5 - g.x0, dy = iy + 0.5 - g.y0;
      const double u = ((1 - g.e1) * dx - g.e2 * dy) / s, v = (-g.e2 * dx + (1 + g.e1) * dy) / s;
      const double r = std::hypot(u, v);
      if (r <= r_min || r >= r_max) continue;
      const double psi = g.arms * std::atan2(v, u) - winding * std::log(r / rs);
      num += img.at(ix, iy) * std::exp(std::complex<double>(0, -psi));
      den += img.at(ix, iy);
    }
  return num / den;
}

/// A star-forming-like galaxy for the renderer tests.
cs::IrregularGalaxy spiral(double re, int arms, double amplitude, int knots, double e1, double e2) {
  cs::IrregularGalaxy g;
  g.flux = 250.0;
  g.bulge_fraction = 0.15;
  g.disk_radius = re;
  g.bulge_radius = 0.5 * re;
  g.e1 = e1;
  g.e2 = e2;
  g.arms = arms;
  g.arm_amplitude = amplitude;
  g.pitch_deg = 18;
  g.arm_phase_deg = 35;
  for (int k = 0; k < knots; ++k) {
    const double a = 2.0 * kPi * k / std::max(knots, 1);
    g.knots.push_back({1.3 * re * std::cos(a), 0.9 * re * std::sin(a), (0.1 + 0.02 * k) * re});
  }
  g.knot_fraction = knots > 0 ? 0.2 : 0.0;
  return g;
}

}  // namespace

TEST(StampSet, RoundTripIsExact) {
  ScratchDir dir("roundtrip");
  const cs::StampSet set = small_set();
  const std::string path = (dir.path / "stamps.h5").string();
  cs::write_stamp_set(path, set);
  EXPECT_EQ(cosmograd::testing::listing(dir.path), (std::set<std::string>{"stamps.h5"}));
  expect_same(cs::read_stamp_set(path), set);

  // Without /noiseless and /intrinsic.
  cs::StampSet bare = set;
  bare.noiseless.clear();
  bare.intrinsic.clear();
  cs::write_stamp_set(path, bare);
  const cs::StampSet back = cs::read_stamp_set(path);
  EXPECT_TRUE(back.noiseless.empty());
  EXPECT_TRUE(back.intrinsic.empty());
  expect_same(back, bare);
}

TEST(StampSet, SubsetCopiesRows) {
  const cs::StampSet set = small_set();
  const cs::StampSet sub = set.subset({2, 0});
  ASSERT_EQ(sub.count(), 2u);
  EXPECT_EQ(sub.mag[0], set.mag[2]);
  EXPECT_EQ(sub.mag[1], set.mag[0]);
  for (int p = 0; p < 64; ++p) {
    EXPECT_EQ(sub.images[p], set.images[2 * 64 + p]);
    EXPECT_EQ(sub.noiseless[64 + p], set.noiseless[p]);
    EXPECT_EQ(sub.intrinsic[64 + p], set.intrinsic[p]);
  }
  for (int p = 0; p < 9; ++p) EXPECT_EQ(sub.psfs[p], set.psfs[2 * 9 + p]);
  EXPECT_NO_THROW(sub.validate());
  expect_throw<std::invalid_argument>([&] { set.subset({3}); }, {"rows[0]", "3", "< N = 3"});
}

TEST(StampSet, ValidateNamesTheField) {
  EXPECT_NO_THROW(small_set().validate());
  auto bad = [](auto change, const std::vector<std::string>& parts) {
    cs::StampSet s = small_set();
    change(s);
    expect_throw<std::invalid_argument>([&] { s.validate(); }, parts);
  };
  bad([](cs::StampSet& s) { s.size = 4; }, {"size", "4", "[8,"});
  bad([](cs::StampSet& s) { s.psf_size = 4; }, {"psf_size", "4", "odd"});
  bad([](cs::StampSet& s) { s.psf_size = 9; }, {"psf_size", "9"});
  bad([](cs::StampSet& s) { s.pixel_scale = 0; }, {"pixel_scale", "0", "> 0"});
  bad([](cs::StampSet& s) { s.band.clear(); }, {"band"});
  bad([](cs::StampSet& s) { s.zero_point = std::nan(""); }, {"zero_point", "finite"});
  bad([](cs::StampSet& s) { s.images.pop_back(); }, {"images.size()", "191", "192"});
  bad([](cs::StampSet& s) { s.noiseless.resize(10); }, {"noiseless.size()", "10"});
  bad([](cs::StampSet& s) { s.psfs.resize(9); }, {"psfs.size()", "9", "27"});
  bad([](cs::StampSet& s) { s.mag.pop_back(); }, {"mag.size()", "2", "3"});
  bad([](cs::StampSet& s) { s.half_light_radius.push_back(1); }, {"half_light_radius.size()"});
  bad([](cs::StampSet& s) { s.images[70] = std::numeric_limits<float>::infinity(); },
      {"images[70]", "finite"});
  bad([](cs::StampSet& s) { s.noiseless[3] = std::nanf(""); }, {"noiseless[3]"});
  bad([](cs::StampSet& s) { s.intrinsic.resize(7); }, {"intrinsic.size()", "7"});
  bad([](cs::StampSet& s) { s.intrinsic[2] = std::nanf(""); }, {"intrinsic[2]"});
  bad([](cs::StampSet& s) { s.noise_sigma[1] = 0; }, {"noise_sigma[1]", "> 0"});
  bad([](cs::StampSet& s) { s.half_light_radius[2] = -1; }, {"half_light_radius[2]", "-1"});
  bad([](cs::StampSet& s) { s.mag[0] = std::nanf(""); }, {"mag[0]", "finite"});
  bad([](cs::StampSet& s) { s.psfs[9] += 0.01f; }, {"psfs[1]", "1 within 1e-3"});
}

TEST(StampSet, ReadErrorsNameTheFile) {
  ScratchDir dir("errors");
  const std::string missing = (dir.path / "none.h5").string();
  expect_throw<std::runtime_error>([&] { cs::read_stamp_set(missing); }, {missing});
  // A table file is not a stamp set.
  cs::Table t;
  t.name = "galaxies";
  t.add("x", "", "a column", std::vector<double>{1, 2});
  const std::string tables = (dir.path / "tables.h5").string();
  cs::write_tables_hdf5(tables, {t});
  expect_throw<std::runtime_error>([&] { cs::read_stamp_set(tables); },
                                   {tables, "format", cs::kStampSetFormat});
  // An invalid set is refused before anything is written.
  cs::StampSet s = small_set();
  s.noise_sigma[0] = -1;
  const std::string path = (dir.path / "bad.h5").string();
  expect_throw<std::invalid_argument>([&] { cs::write_stamp_set(path, s); }, {"noise_sigma[0]"});
  EXPECT_FALSE(fs::exists(path));
}

TEST(IrregularGalaxy, TotalFluxWithin1e3) {
  for (double re : {1.0, 2.0, 3.5, 6.0})
    for (int arms : {0, 2, 3, 4})
      for (double amplitude : {0.5, 0.9, 1.4})
        for (int knots : {0, 8}) {
          if (arms == 0 && amplitude != 0.5) continue;
          cs::IrregularGalaxy g = spiral(re, arms, amplitude, knots, 0.2, -0.15);
          cs::Image img = canvas_for(g);
          g.x0 = 0.5 * img.nx + 0.37;
          g.y0 = 0.5 * img.ny - 0.21;
          cs::add_irregular_galaxy(img, g);
          EXPECT_NEAR(img.sum() / g.flux, 1.0, 1e-3)
              << "re " << re << " arms " << arms << " A " << amplitude << " knots " << knots;
        }
  // A plain disk (no bulge) and a pure bulge, and zero flux.
  cs::IrregularGalaxy g = spiral(2.5, 2, 0.7, 0, 0.0, 0.4);
  g.bulge_fraction = 0;
  cs::Image img = canvas_for(g);
  g.x0 = 0.5 * img.nx;
  g.y0 = 0.5 * img.ny;
  cs::add_irregular_galaxy(img, g);
  EXPECT_NEAR(img.sum() / g.flux, 1.0, 1e-6);
  g.bulge_fraction = 1;
  img = canvas_for(g);
  cs::add_irregular_galaxy(img, g);
  EXPECT_NEAR(img.sum() / g.flux, 1.0, 1e-5);
  g.flux = 0;
  img = canvas_for(g);
  cs::add_irregular_galaxy(img, g);
  EXPECT_EQ(img.sum(), 0.0);
}

TEST(IrregularGalaxy, SpiralModeHasAmplitudeAndPhase) {
  // The disk light demodulated by the arms' phase gives (A / 2) exp(-i m phi0), face-on and
  // sheared; a plain disk gives ~0.
  for (const auto& [e1, e2] : {std::pair{0.0, 0.0}, std::pair{0.3, -0.2}})
    for (int arms : {2, 3}) {
      cs::IrregularGalaxy g = spiral(8.0, arms, 0.6, 0, e1, e2);
      g.bulge_fraction = 0;
      g.pitch_deg = 25;
      cs::Image img = canvas_for(g);
      g.x0 = 0.5 * img.nx + 0.2;
      g.y0 = 0.5 * img.ny + 0.4;
      cs::add_irregular_galaxy(img, g);
      const std::complex<double> c = demodulated(img, g, 3.0, 24.0);
      EXPECT_NEAR(std::abs(c), 0.3, 0.03) << "arms " << arms << " e1 " << e1;
      const std::complex<double> expected =
          std::exp(std::complex<double>(0, -arms * g.arm_phase_deg * kPi / 180));
      EXPECT_LT(std::abs(c / std::abs(c) - expected), 0.1) << "phase of the arms";
      g.arms = 0;
      cs::Image plain = canvas_for(g);
      cs::add_irregular_galaxy(plain, g);
      g.arms = arms;
      EXPECT_LT(std::abs(demodulated(plain, g, 3.0, 24.0)), 0.02);
    }
}

TEST(IrregularGalaxy, ArmsBreakTheReflectionSymmetry) {
  for (int arms : {0, 2}) {
    cs::IrregularGalaxy g = spiral(5.0, arms, 0.8, 0, 0.0, 0.0);
    cs::Image img = canvas_for(g);
    g.x0 = 0.5 * img.nx;  // on a pixel corner: y -> ny - y maps pixels onto pixels
    g.y0 = 0.5 * img.ny;
    cs::add_irregular_galaxy(img, g);
    double diff = 0;
    for (int iy = 0; iy < img.ny; ++iy)
      for (int ix = 0; ix < img.nx; ++ix)
        diff += std::fabs(img.at(ix, iy) - img.at(ix, img.ny - 1 - iy));
    if (arms == 0)
      EXPECT_LT(diff / img.sum(), 1e-9);
    else
      EXPECT_GT(diff / img.sum(), 0.1);
  }
  // The modulation itself: 1 + A on a crest, 1 - A half a period away.
  cs::IrregularGalaxy g = spiral(4.0, 2, 0.5, 0, 0.0, 0.0);
  const double rs = g.disk_radius / cs::sersic_k(1.0, cs::kSersicDefaultTruncation);
  const double phi0 = g.arm_phase_deg * kPi / 180;
  EXPECT_NEAR(cs::spiral_modulation(g, rs * std::cos(phi0), rs * std::sin(phi0)), 1.5, 1e-12);
  const double phi1 = phi0 + kPi / 2;  // m (phi - phi0) = pi
  EXPECT_NEAR(cs::spiral_modulation(g, rs * std::cos(phi1), rs * std::sin(phi1)), 0.5, 1e-12);
  g.arm_amplitude = 1.5;  // clipped at 0
  EXPECT_EQ(cs::spiral_modulation(g, rs * std::cos(phi1), rs * std::sin(phi1)), 0.0);
}

TEST(IrregularGalaxy, DrawsByTypeAndReproducible) {
  cs::Morphology m;
  m.re_arcsec = 0.35;
  m.bulge_fraction = 0.1;
  m.e1 = 0.1;
  m.e2 = -0.05;
  int two = 0, knots = 0, n = 400;
  double r_over_rs = 0;
  for (int id = 0; id < n; ++id) {
    const cs::IrregularGalaxy q = cs::draw_irregular_galaxy(m, 0.1, 16, 16, true, 7, id);
    EXPECT_EQ(q.arms, 0);
    EXPECT_EQ(q.arm_amplitude, 0.0);
    EXPECT_LE(q.knot_fraction, 0.05);
    const cs::IrregularGalaxy g = cs::draw_irregular_galaxy(m, 0.1, 16, 16, false, 7, id);
    EXPECT_GE(g.arms, 2);
    EXPECT_LE(g.arms, 4);
    two += g.arms == 2;
    EXPECT_GE(g.arm_amplitude, 0.3);
    EXPECT_LE(g.arm_amplitude, 0.9);
    EXPECT_GE(g.pitch_deg, 10.0);
    EXPECT_LE(g.pitch_deg, 30.0);
    EXPECT_NEAR(g.disk_radius, 3.5, 1e-12);
    EXPECT_NEAR(g.bulge_radius, 1.75, 1e-12);
    if (g.knots.empty()) {
      EXPECT_EQ(g.knot_fraction, 0.0);
    } else {
      EXPECT_GE(g.knot_fraction, 0.05);
      EXPECT_LE(g.knot_fraction, 0.3);
    }
    knots += static_cast<int>(g.knots.size());
    const double s = std::sqrt(1 - m.e1 * m.e1 - m.e2 * m.e2);
    const double rs = g.disk_radius / cs::sersic_k(1.0, cs::kSersicDefaultTruncation);
    for (const auto& k : g.knots) {
      const double u = ((1 - m.e1) * k[0] - m.e2 * k[1]) / s;
      const double v = (-m.e2 * k[0] + (1 + m.e1) * k[1]) / s;
      EXPECT_LE(std::hypot(u, v), 4 * g.disk_radius + 1e-9);
      EXPECT_GE(k[2], 0.1 * g.disk_radius);
      EXPECT_LE(k[2], 0.25 * g.disk_radius);
      r_over_rs += std::hypot(u, v) / rs;
    }
  }
  EXPECT_NEAR(static_cast<double>(two) / n, 0.7, 0.08);
  EXPECT_NEAR(static_cast<double>(knots) / n, 8.0, 0.5);
  // Gamma(2, r_s) truncated at 4 R_e = 6.71 r_s has mean 1.94 r_s.
  EXPECT_NEAR(r_over_rs / knots, 1.94, 0.1);

  const cs::IrregularGalaxy a = cs::draw_irregular_galaxy(m, 0.1, 16, 16, false, 3, 12345);
  const cs::IrregularGalaxy b = cs::draw_irregular_galaxy(m, 0.1, 16, 16, false, 3, 12345);
  EXPECT_EQ(a.arms, b.arms);
  EXPECT_EQ(a.arm_amplitude, b.arm_amplitude);
  EXPECT_EQ(a.pitch_deg, b.pitch_deg);
  EXPECT_EQ(a.arm_phase_deg, b.arm_phase_deg);
  EXPECT_EQ(a.knot_fraction, b.knot_fraction);
  EXPECT_EQ(a.knots, b.knots);
  const cs::IrregularGalaxy c = cs::draw_irregular_galaxy(m, 0.1, 16, 16, false, 4, 12345);
  EXPECT_NE(a.arm_phase_deg, c.arm_phase_deg);
  const cs::IrregularGalaxy d = cs::draw_irregular_galaxy(m, 0.1, 16, 16, false, 3, 12346);
  EXPECT_NE(a.arm_phase_deg, d.arm_phase_deg);
}

TEST(IrregularGalaxy, ValidateNamesTheField) {
  auto bad = [](auto change, const std::vector<std::string>& parts) {
    cs::IrregularGalaxy g = spiral(2.0, 2, 0.5, 3, 0, 0);
    change(g);
    cs::Image img = cs::Image::zeros(16, 16);
    expect_throw<std::invalid_argument>([&] { cs::add_irregular_galaxy(img, g); }, parts);
  };
  bad([](cs::IrregularGalaxy& g) { g.flux = -1; }, {"flux", "-1"});
  bad([](cs::IrregularGalaxy& g) { g.bulge_fraction = 1.2; }, {"bulge_fraction", "1.2"});
  bad([](cs::IrregularGalaxy& g) { g.disk_radius = 0; }, {"disk_radius", "> 0"});
  bad([](cs::IrregularGalaxy& g) { g.e1 = 0.9, g.e2 = 0.5; }, {"|e|", "< 1"});
  bad([](cs::IrregularGalaxy& g) { g.arms = 9; }, {"arms", "9", "[0, 8]"});
  bad([](cs::IrregularGalaxy& g) { g.pitch_deg = 0; }, {"pitch_deg", "[1, 89]"});
  bad([](cs::IrregularGalaxy& g) { g.arm_amplitude = 3; }, {"arm_amplitude", "3"});
  bad([](cs::IrregularGalaxy& g) { g.knots.clear(); }, {"knot_fraction", "no knots"});
  bad([](cs::IrregularGalaxy& g) { g.knots[1][2] = 0; }, {"knots[1].sigma", "> 0"});
  cs::Morphology m;
  expect_throw<std::invalid_argument>([&] { cs::draw_irregular_galaxy(m, 0.1, 0, 0, false, 1, 1); },
                                      {"re_arcsec", "> 0"});
}
