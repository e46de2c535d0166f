// Image noise against the catalogue's depth: a point source at m5 measured with the optimal
// (PSF-weighted) estimator has S/N 5; pixel variances follow the stated model.
#include <gtest/gtest.h>

#include <cmath>

#include "surveys/images/noise.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/mocks/photometry.hpp"

namespace cs = cosmograd::surveys;

TEST(ImageNoise, PointSourceAtM5HasSnrFive) {
  cs::BandNoise band;  // r: m5 24.7, sky 21.2 mag/arcsec^2, 0.2 arcsec pixels, 9 e- read noise
  const cs::Image psf = cs::gaussian_psf(3.5, 31);
  const cs::NoiseModel m = cs::noise_model(band, psf.values);
  // The quadratic: sigma_bg^2 k^2 - F_sky k - r^2 = 0.
  const double s2 = m.sigma_background * m.sigma_background;
  EXPECT_NEAR(
      s2 * m.electrons_per_njy * m.electrons_per_njy - m.sky_njy * m.electrons_per_njy - 81.0, 0.0,
      1e-6 * m.sky_njy * m.electrons_per_njy);
  // Gaussian PSF: n_eff = 4 pi sigma^2 (+ pixel smoothing), sigma = 3.5 / 2.3548 px.
  const double sigma = 3.5 / (2.0 * std::sqrt(2.0 * std::log(2.0)));
  EXPECT_NEAR(m.n_eff / (4 * M_PI * (sigma * sigma + 1.0 / 12)), 1.0, 0.01);
  // Optimal estimate f = sum p d / sum p^2 of a point source of flux f(m5), many realisations.
  const double f5 = cs::mag_to_njy(band.m5);
  std::vector<double> clean(psf.values.size());
  double pp = 0;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    clean[i] = f5 * psf.values[i];
    pp += psf.values[i] * psf.values[i];
  }
  const int trials = 4000;
  double s1 = 0, sq = 0;
  for (int t = 0; t < trials; ++t) {
    const auto noisy = cs::add_noise(clean, m, 7, static_cast<std::uint64_t>(t));
    double est = 0;
    for (std::size_t i = 0; i < noisy.size(); ++i) est += psf.values[i] * noisy[i];
    est /= pp;
    s1 += est;
    sq += est * est;
  }
  const double mean = s1 / trials, sd = std::sqrt(sq / trials - mean * mean);
  EXPECT_NEAR(mean / f5, 1.0, 4 * 0.2 / std::sqrt(trials));
  // Background-limited S/N 5; the source's own Poisson noise adds (f5 / k) / sigma_f^2 ~ 1%.
  EXPECT_NEAR(f5 / sd, 5.0, 0.2) << "S/N of a point source at m5";
}

TEST(ImageNoise, PixelVarianceAndErrors) {
  cs::BandNoise band;
  const cs::Image psf = cs::moffat_psf(3.5, 3.5, 31, 4.0);
  const cs::NoiseModel m = cs::noise_model(band, psf.values);
  std::vector<double> clean(20000, 0.0);
  for (std::size_t i = 10000; i < clean.size(); ++i) clean[i] = 50.0;  // a bright half
  const auto noisy = cs::add_noise(clean, m, 3, 0);
  const auto var = cs::noise_variance(clean, m);
  for (std::size_t half : {std::size_t{0}, std::size_t{10000}}) {
    double s1 = 0, sq = 0;
    for (std::size_t i = half; i < half + 10000; ++i) {
      const double d = noisy[i] - clean[i];
      s1 += d;
      sq += d * d;
    }
    EXPECT_NEAR(s1 / 10000, 0.0, 4 * std::sqrt(var[half] / 10000));
    EXPECT_NEAR(sq / 10000 / var[half], 1.0, 0.05);
  }
  EXPECT_GT(var[10000], var[0]);                    // the source's Poisson noise
  EXPECT_EQ(cs::add_noise(clean, m, 3, 0), noisy);  // reproducible
  EXPECT_THROW(cs::add_noise({-1.0}, m, 3, 0), std::invalid_argument);
  band.gain = 0;
  EXPECT_THROW(cs::noise_model(band, psf.values), std::invalid_argument);
}
