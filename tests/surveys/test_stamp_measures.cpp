// Non-parametric stamp measurements on rendered profiles: flux, centroid and half-light radius
// of Sersic profiles, adaptive-moment ellipticity of elliptical Gaussians, asymmetry with and
// without noise and with a companion, Gini and M20 of disks, point sources and Sersic profiles,
// and input validation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

#include "surveys/images/psf.hpp"
#include "surveys/images/sersic.hpp"
#include "surveys/images/stamp_measures.hpp"

namespace cs = cosmograd::surveys;

namespace {

/// A Sersic profile off the pixel grid in a square stamp holding its whole truncation ellipse.
cs::Image sersic_stamp(double n, double re, double e1, double e2,
                       cs::SersicProfile* out = nullptr) {
  cs::SersicProfile p;
  p.flux = 1000.0;
  p.half_light_radius = re;
  p.n = n;
  p.e1 = e1;
  p.e2 = e2;
  const double e = std::hypot(e1, e2), a = re * p.truncation * std::sqrt((1 + e) / (1 - e));
  const int s = 2 * static_cast<int>(std::ceil(a)) + 4;
  p.x0 = s / 2 + 0.3;
  p.y0 = s / 2 - 0.17;
  cs::Image im = cs::Image::zeros(s, s);
  cs::add_sersic(im, p);
  if (out) *out = p;
  return im;
}

/// Adds white Gaussian noise of rms sigma from a seeded generator.
void add_noise(cs::Image& im, double sigma, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, sigma);
  for (double& v : im.values) v += normal(rng);
}

template <class F>
void expect_invalid(F&& f, const std::string& field) {
  try {
    f();
    ADD_FAILURE() << "no exception for " << field;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

constexpr double kTinySigma = 1e-6;  // noiseless stamps: the segment reaches the truncation

}  // namespace

TEST(StampMeasures, SersicFluxCentroidAndHalfLightRadius) {
  for (const double n : {1.0, 4.0}) {
    for (const double re : {2.0, 4.0}) {
      for (const auto& [e1, e2] : {std::pair<double, double>{0, 0}, {0.3, 0}, {-0.1, 0.25}}) {
        cs::SersicProfile p;
        const cs::Image im = sersic_stamp(n, re, e1, e2, &p);
        const cs::StampMeasures m = cs::measure_stamp(im, kTinySigma);
        const std::string what = "n " + std::to_string(n) + " re " + std::to_string(re) + " e " +
                                 std::to_string(e1) + "," + std::to_string(e2);
        ASSERT_TRUE(m.ok) << what;
        // A Sersic n = 4 without PSF is an unresolved cusp: its adaptive weight collapses and
        // the segment's unweighted moments are used.
        if (n == 1) {
          EXPECT_TRUE(m.adaptive) << what;
        }
        EXPECT_NEAR(m.e1, e1, 0.03) << what;
        EXPECT_NEAR(m.e2, e2, 0.03) << what;
        EXPECT_NEAR(m.flux / p.flux, 1.0, 1e-3) << what;
        // Pixel-centre moments of a cusp are biased by its shape within the central pixel.
        EXPECT_NEAR(m.x, p.x0, 0.03) << what;
        EXPECT_NEAR(m.y, p.y0, 0.03) << what;
        EXPECT_NEAR(m.half_light_radius / re, 1.0, n == 1 ? 0.03 : 0.08) << what;
      }
    }
  }
}

TEST(StampMeasures, GaussianEllipticityFromAdaptiveMoments) {
  // An elliptical Gaussian (n = 0.5): its adaptive moments are its covariance (plus the
  // pixel's 1/12, which rounds it by ~1%).
  for (const double re : {2.0, 3.0}) {
    for (const auto& [e1, e2] :
         {std::pair<double, double>{0.3, 0}, {0, -0.4}, {-0.2, 0.2}, {0.05, 0.1}}) {
      const cs::Image im = sersic_stamp(0.5, re, e1, e2);
      const cs::StampMeasures m = cs::measure_stamp(im, kTinySigma);
      ASSERT_TRUE(m.ok);
      EXPECT_TRUE(m.adaptive);
      EXPECT_NEAR(m.e1, e1, 0.02) << re << " " << e1 << " " << e2;
      EXPECT_NEAR(m.e2, e2, 0.02) << re << " " << e1 << " " << e2;
    }
  }
}

TEST(StampMeasures, AsymmetryOfSymmetricProfileAndCompanion) {
  // Smooth symmetric profiles off the pixel grid: only the cubic interpolation's error remains.
  for (const auto& [n, re] : {std::pair<double, double>{0.5, 2}, {0.5, 3}, {1, 4}}) {
    const cs::StampMeasures m = cs::measure_stamp(sersic_stamp(n, re, 0.2, -0.1), kTinySigma);
    ASSERT_TRUE(m.ok);
    EXPECT_NEAR(m.asymmetry, 0.0, 0.015) << n << " " << re;
  }
  // An n = 4 cusp through a Gaussian PSF of FWHM 2.5 px.
  const cs::Image psf = cs::gaussian_psf(2.5, 15);
  for (const double re : {2.0, 4.0}) {
    const cs::StampMeasures m =
        cs::measure_stamp(cs::convolve(sersic_stamp(4, re, 0.2, -0.1), psf), kTinySigma);
    ASSERT_TRUE(m.ok);
    EXPECT_TRUE(m.adaptive);
    EXPECT_NEAR(m.asymmetry, 0.0, 0.05) << re;
  }
  cs::SersicProfile p;
  cs::Image im = sersic_stamp(1.0, 3.0, 0.2, -0.1, &p);
  // A companion point source with 20% of the flux 1.5 R_e from the centre.
  cs::add_point_source(im, 0.2 * p.flux, p.x0 + 4.5, p.y0 + 0.5);
  const cs::StampMeasures lumpy = cs::measure_stamp(im, kTinySigma);
  ASSERT_TRUE(lumpy.ok);
  EXPECT_GT(lumpy.asymmetry, 0.1);
}

TEST(StampMeasures, BackgroundCorrectionKeepsNoisyAsymmetryNearZero) {
  cs::SersicProfile p;
  const cs::Image clean = sersic_stamp(1.0, 3.0, 0.1, 0.05, &p);
  // Scale the noise to a matched-filter S/N of 100.
  const double sigma = cs::measure_stamp(clean, 1.0).snr / 100;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    cs::Image im = clean;
    add_noise(im, sigma, seed);
    const cs::StampMeasures m = cs::measure_stamp(im, sigma);
    ASSERT_TRUE(m.ok) << seed;
    EXPECT_NEAR(m.snr, 100, 10) << seed;
    EXPECT_LT(std::abs(m.asymmetry), 0.05) << seed;
    EXPECT_NEAR(m.x, p.x0, 0.1) << seed;
    EXPECT_NEAR(m.y, p.y0, 0.1) << seed;
  }
}

TEST(StampMeasures, GiniOfUniformDiskAndPointSource) {
  cs::Image disk = cs::Image::zeros(40, 40);
  for (int iy = 0; iy < 40; ++iy) {
    for (int ix = 0; ix < 40; ++ix) {
      if (std::hypot(ix + 0.5 - 20, iy + 0.5 - 20) < 10) disk.at(ix, iy) = 1.0;
    }
  }
  const cs::StampMeasures d = cs::measure_stamp(disk, 1e-4);
  EXPECT_NEAR(d.gini, 0.0, 1e-12);
  EXPECT_NEAR(d.asymmetry, 0.0, 1e-3);  // centred on a pixel corner: only B = 1.6e-4 remains

  cs::Image point = cs::Image::zeros(31, 31);
  cs::add_point_source(point, 1e4, 15.5, 15.5);
  EXPECT_NEAR(cs::measure_stamp(point, 1.0).gini, 1.0, 1e-12);
  add_noise(point, 1.0, 7);
  const cs::StampMeasures noisy = cs::measure_stamp(point, 1.0);
  EXPECT_GT(noisy.gini, 0.95);
}

TEST(StampMeasures, ConcentratedProfilesHaveHigherGiniAndLowerM20) {
  // Seen through a Gaussian PSF of FWHM 2.5 px at equal depth (sigma = 1 for a flux of 1000,
  // S/N ~ 60-100), an n = 4 profile has on average a higher Gini and a lower M20 than an n = 1
  // one of the same R_e (Lotz et al. 2004), and both are symmetric.
  const cs::Image psf = cs::gaussian_psf(2.5, 15);
  const cs::Image disk_clean = cs::convolve(sersic_stamp(1.0, 3.0, 0.1, 0), psf);
  const cs::Image bulge_clean = cs::convolve(sersic_stamp(4.0, 3.0, 0.1, 0), psf);
  constexpr int kSeeds = 8;
  double gini_gap = 0, m20_gap = 0;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    cs::Image disk_image = disk_clean, bulge_image = bulge_clean;
    add_noise(disk_image, 1.0, seed);
    add_noise(bulge_image, 1.0, seed + 100);
    const cs::StampMeasures disk = cs::measure_stamp(disk_image, 1.0);
    const cs::StampMeasures bulge = cs::measure_stamp(bulge_image, 1.0);
    gini_gap += (bulge.gini - disk.gini) / kSeeds;
    m20_gap += (bulge.m20 - disk.m20) / kSeeds;
    for (const auto& m : {disk, bulge}) {
      EXPECT_TRUE(m.adaptive) << seed;
      EXPECT_LT(std::abs(m.asymmetry), 0.05) << seed;
      EXPECT_GT(m.gini, 0.3) << seed;
      EXPECT_LT(m.gini, 0.8) << seed;
      EXPECT_GT(m.m20, -3.0) << seed;
      EXPECT_LT(m.m20, -1.2) << seed;
    }
  }
  EXPECT_GT(gini_gap, 0.02);  // 0.039 with these seeds
  EXPECT_LT(m20_gap, -0.15);  // -0.26 with these seeds
}

TEST(StampMeasures, EmptyStampIsNotOk) {
  const cs::StampMeasures m = cs::measure_stamp(cs::Image::zeros(16, 16), 1.0);
  EXPECT_FALSE(m.ok);
  EXPECT_EQ(m.flux, 0.0);
  EXPECT_TRUE(std::isnan(m.half_light_radius));
  EXPECT_TRUE(std::isnan(m.gini));
}

TEST(StampMeasures, BadInputThrowsNamingTheField) {
  const cs::Image good = cs::Image::zeros(8, 8);
  expect_invalid([] { cs::measure_stamp(cs::Image{}, 1.0); }, "image.nx");
  expect_invalid([&] { cs::measure_stamp(good, 0.0); }, "noise_sigma");
  expect_invalid([&] { cs::measure_stamp(good, -1.0); }, "noise_sigma");
  expect_invalid([&] { cs::measure_stamp(good, std::nan("")); }, "noise_sigma");
  cs::Image ragged = good;
  ragged.values.pop_back();
  expect_invalid([&] { cs::measure_stamp(ragged, 1.0); }, "image.values.size()");
  cs::Image bad = good;
  bad.at(3, 4) = std::nan("");
  expect_invalid([&] { cs::measure_stamp(bad, 1.0); }, "image.values");
}
