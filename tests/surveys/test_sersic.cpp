// Sersic profiles and point sources in pixel images: b_n, flux conservation of the pixel
// integration, second moments against the analytic Gaussian (n = 0.5), the ellipticity
// convention, cloud-in-cell point sources and input validation.
#include <gtest/gtest.h>

#include <boost/math/special_functions/gamma.hpp>
#include <chrono>
#include <cmath>
#include <iostream>
#include <stdexcept>
#include <string>

#include "surveys/images/sersic.hpp"

namespace cs = cosmograd::surveys;

namespace {

/// Flux-weighted centroid and second moments (pixel centres) of an image.
struct Moments {
  double flux = 0, x = 0, y = 0, q11 = 0, q22 = 0, q12 = 0;
};

Moments moments(const cs::Image& im) {
  Moments m;
  for (int iy = 0; iy < im.ny; ++iy) {
    for (int ix = 0; ix < im.nx; ++ix) {
      const double v = im.at(ix, iy);
      m.flux += v;
      m.x += v * (ix + 0.5);
      m.y += v * (iy + 0.5);
    }
  }
  m.x /= m.flux;
  m.y /= m.flux;
  for (int iy = 0; iy < im.ny; ++iy) {
    for (int ix = 0; ix < im.nx; ++ix) {
      const double v = im.at(ix, iy), dx = ix + 0.5 - m.x, dy = iy + 0.5 - m.y;
      m.q11 += v * dx * dx;
      m.q22 += v * dy * dy;
      m.q12 += v * dx * dy;
    }
  }
  m.q11 /= m.flux;
  m.q22 /= m.flux;
  m.q12 /= m.flux;
  return m;
}

/// A profile centred off the pixel grid in a stamp holding its whole truncation ellipse.
cs::SersicProfile centred(double n, double re, double e1 = 0, double e2 = 0, int* size = nullptr) {
  cs::SersicProfile p;
  p.flux = 250.0;
  p.half_light_radius = re;
  p.n = n;
  p.e1 = e1;
  p.e2 = e2;
  const double e = std::hypot(e1, e2), a = re * p.truncation * std::sqrt((1 + e) / (1 - e));
  const int s = 2 * static_cast<int>(std::ceil(a)) + 4;
  p.x0 = s / 2 + 0.3;
  p.y0 = s / 2 - 0.17;
  if (size) *size = s;
  return p;
}

double milliseconds_to_render(const cs::SersicProfile& p, int size, int repeats) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) {
    cs::Image im = cs::Image::zeros(size, size);
    cs::add_sersic(im, p);
  }
  const std::chrono::duration<double, std::milli> dt = std::chrono::steady_clock::now() - start;
  return dt.count() / repeats;
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

}  // namespace

TEST(Sersic, BnSolvesHalfLightAndMatchesCiottiBertin) {
  for (const double n : {0.5, 1.0, 2.0, 4.0, 6.0}) {
    const double bn = cs::sersic_bn(n);
    EXPECT_NEAR(boost::math::gamma_p(2 * n, bn), 0.5, 1e-14) << n;
    // Ciotti & Bertin 1999 asymptotic expansion, accurate to < 1e-3 for n >= 0.5.
    const double asymptotic = 2 * n - 1.0 / 3 + 4 / (405 * n) + 46 / (25515 * n * n) +
                              131 / (1148175 * n * n * n) - 2194697 / (30690717750 * n * n * n * n);
    EXPECT_NEAR(bn, asymptotic, 1e-3) << n;
  }
  EXPECT_NEAR(cs::sersic_bn(0.5), std::log(2.0), 1e-14);
  EXPECT_NEAR(cs::sersic_bn(1), 1.678346990016661, 1e-12);
  EXPECT_NEAR(cs::sersic_bn(4), 7.669249442500805, 1e-10);
}

TEST(Sersic, TruncatedHalfLightRadiusEnclosesHalfTheFlux) {
  for (const double n : {0.5, 1.0, 4.0, 6.2}) {
    for (const double t : {0.0, 2.0, 4.0, 8.0}) {
      cs::SersicProfile p;
      p.n = n;
      p.truncation = t;
      EXPECT_NEAR(cs::sersic_enclosed_fraction(p, 1.0), 0.5, 1e-12) << n << " " << t;
      if (t > 0) {
        EXPECT_EQ(cs::sersic_enclosed_fraction(p, t), 1.0);
      }
      EXPECT_LE(cs::sersic_k(n, t), cs::sersic_bn(n) + 1e-15);
    }
  }
}

TEST(Sersic, RenderedFluxMatchesTotalWithin1e5) {
  for (const double n : {0.5, 1.0, 2.0, 4.0, 6.0}) {
    for (const double re : {0.5, 1.0, 3.0}) {
      for (const double e1 : {0.0, 0.4}) {
        int size = 0;
        const cs::SersicProfile p = centred(n, re, e1, -0.2 * e1, &size);
        cs::Image im = cs::Image::zeros(size, size);
        cs::add_sersic(im, p);
        EXPECT_NEAR(im.sum() / p.flux, 1.0, 1e-5) << "n " << n << " re " << re << " e1 " << e1;
      }
    }
  }
}

TEST(Sersic, UntruncatedFluxInStampMatchesEnclosedFraction) {
  cs::SersicProfile p;
  p.flux = 1;
  p.n = 2;
  p.half_light_radius = 2;
  p.truncation = 0;
  p.x0 = p.y0 = 100.5;  // a circle of radius 10 R_e inside a 201 x 201 stamp, centred
  cs::Image im = cs::Image::zeros(201, 201);
  cs::add_sersic(im, p);
  double inside = 0;
  for (int iy = 0; iy < 201; ++iy) {
    for (int ix = 0; ix < 201; ++ix) {
      if (std::hypot(ix + 0.5 - p.x0, iy + 0.5 - p.y0) < 20) inside += im.at(ix, iy);
    }
  }
  EXPECT_LT(im.sum(), 1.0);  // the wings beyond the stamp are lost
  EXPECT_GT(im.sum(), cs::sersic_enclosed_fraction(p, 100 / 2.0));
  // Pixels straddle the circle, so only a loose check of the enclosed-flux profile.
  EXPECT_NEAR(inside, cs::sersic_enclosed_fraction(p, 10), 2e-3);
}

TEST(Sersic, GaussianSecondMomentsAreAnalytic) {
  // n = 0.5 is a Gaussian with sigma^2 = R_e^2 / (2 ln 2); pixel integration adds 1/12.
  for (const double re : {2.0, 3.5}) {
    int size = 0;
    const cs::SersicProfile p = centred(0.5, re, 0, 0, &size);
    cs::Image im = cs::Image::zeros(size, size);
    cs::add_sersic(im, p);
    const Moments m = moments(im);
    const double sigma2 = re * re / (2 * std::log(2.0));
    EXPECT_NEAR(m.x, p.x0, 1e-6);
    EXPECT_NEAR(m.y, p.y0, 1e-6);
    EXPECT_NEAR(m.q11 / (sigma2 + 1.0 / 12), 1.0, 1e-5);
    EXPECT_NEAR(m.q22 / (sigma2 + 1.0 / 12), 1.0, 1e-5);
    EXPECT_NEAR(m.q12, 0.0, 1e-6);
  }
}

TEST(Sersic, EllipticityIsReducedShearOfAreaPreservingShear) {
  // Q = sigma^2 S^2: (Q11 - Q22, 2 Q12) / (Q11 + Q22) = 2 e / (1 + |e|^2), and the trace is
  // 2 sigma^2 (1 + |e|^2) / (1 - |e|^2) (Bartelmann & Schneider 2001, section 4.2).
  const double e1 = 0.3, e2 = -0.15, e2sum = e1 * e1 + e2 * e2, re = 3;
  int size = 0;
  const cs::SersicProfile p = centred(0.5, re, e1, e2, &size);
  cs::Image im = cs::Image::zeros(size, size);
  cs::add_sersic(im, p);
  const Moments m = moments(im);
  const double q11 = m.q11 - 1.0 / 12, q22 = m.q22 - 1.0 / 12;  // remove the pixel's 1/12
  const double sigma2 = re * re / (2 * std::log(2.0));
  EXPECT_NEAR((q11 - q22) / (q11 + q22), 2 * e1 / (1 + e2sum), 1e-5);
  EXPECT_NEAR(2 * m.q12 / (q11 + q22), 2 * e2 / (1 + e2sum), 1e-5);
  EXPECT_NEAR((q11 + q22) / (2 * sigma2 * (1 + e2sum) / (1 - e2sum)), 1.0, 1e-5);
  EXPECT_NEAR(m.x, p.x0, 1e-6);
  EXPECT_NEAR(m.y, p.y0, 1e-6);
}

TEST(Sersic, PixelValuesMatchBruteForceSubsampling) {
  int size = 0;
  cs::SersicProfile p = centred(1.0, 1.5, 0.2, 0.1, &size);
  p.truncation = 4;  // R_t = 6 px, where I(R_t) is 0.1% of the central intensity
  cs::Image im = cs::Image::zeros(size, size);
  cs::add_sersic(im, p);
  const int cx = static_cast<int>(p.x0), cy = static_cast<int>(p.y0);
  // A pixel next to the centre, one far out and one cut by the truncation ellipse.
  for (const auto& [ix, iy] :
       {std::pair<int, int>{cx + 1, cy}, {cx - 4, cy + 3}, {cx + 7, cy + 1}}) {
    const int m = 200;  // midpoint rule on m x m sub-pixels
    double brute = 0;
    for (int j = 0; j < m; ++j) {
      for (int i = 0; i < m; ++i)
        brute += cs::sersic_intensity(p, ix + (i + 0.5) / m, iy + (j + 0.5) / m) / (m * m);
    }
    EXPECT_GT(brute, 0.0);
    EXPECT_NEAR(im.at(ix, iy) / brute, 1.0, 1e-4) << ix - cx << " " << iy - cy;
  }
  EXPECT_GT(cs::sersic_intensity(p, cx + 7, cy + 1), 0.0);  // the last pixel is cut by R_t
  EXPECT_EQ(cs::sersic_intensity(p, cx + 8, cy + 2), 0.0);
  EXPECT_EQ(cs::sersic_intensity(p, p.x0 + 10, p.y0 + 10), 0.0);  // beyond the truncation
  EXPECT_EQ(im.at(0, 0), 0.0);
  EXPECT_GT(cs::sersic_intensity(p, p.x0, p.y0), cs::sersic_intensity(p, p.x0 + 1, p.y0));
}

TEST(Sersic, IntegerShiftShiftsTheImage) {
  cs::SersicProfile p = centred(4.0, 1.5, 0.1, 0.2);
  cs::Image a = cs::Image::zeros(40, 40), b = cs::Image::zeros(40, 40);
  p.x0 = 20.3;
  p.y0 = 19.6;
  cs::add_sersic(a, p);
  p.x0 += 3;
  p.y0 -= 2;
  cs::add_sersic(b, p);
  for (int iy = 2; iy < 37; ++iy) {
    for (int ix = 0; ix < 37; ++ix) EXPECT_NEAR(b.at(ix + 3, iy - 2), a.at(ix, iy), 1e-6 * p.flux);
  }
}

TEST(Sersic, BulgeDiskSumsBothComponents) {
  const cs::BulgeDisk g = cs::make_bulge_disk(100, 0.3, 1.5, 3.0, 40.5, 40.5, 0.1, 0.0);
  EXPECT_EQ(g.bulge.n, 4.0);
  EXPECT_EQ(g.disk.n, 1.0);
  cs::Image im = cs::Image::zeros(81, 81);
  cs::add_bulge_disk(im, g);
  EXPECT_NEAR(im.sum(), 100.0, 1e-3);
  cs::Image disk_only = cs::Image::zeros(81, 81);
  cs::add_bulge_disk(disk_only, cs::make_bulge_disk(100, 0.0, 1.5, 3.0, 40.5, 40.5));
  EXPECT_NEAR(disk_only.sum(), 100.0, 1e-3);
  expect_invalid([] { cs::make_bulge_disk(1, 1.5, 1, 1, 0, 0); }, "bulge_to_total");
}

TEST(Sersic, PointSourceIsCloudInCell) {
  cs::Image im = cs::Image::zeros(16, 8);
  cs::add_point_source(im, 5.0, 3.5, 2.5);  // a pixel centre: all in pixel (3, 2)
  EXPECT_EQ(im.at(3, 2), 5.0);
  EXPECT_EQ(im.sum(), 5.0);
  im = cs::Image::zeros(16, 8);
  cs::add_point_source(im, 4.0, 10.75, 5.5);  // a quarter pixel right of (10, 5)'s centre
  EXPECT_DOUBLE_EQ(im.at(10, 5), 3.0);
  EXPECT_DOUBLE_EQ(im.at(11, 5), 1.0);
  const Moments m = moments(im);
  EXPECT_DOUBLE_EQ(m.x, 10.75);
  EXPECT_DOUBLE_EQ(m.y, 5.5);
  im = cs::Image::zeros(16, 8);
  cs::add_point_source(im, 4.0, 0.25, 7.75);  // the corner: only the on-image quarter lands
  EXPECT_DOUBLE_EQ(im.sum(), 4.0 * 0.75 * 0.75);
  cs::add_point_source(im, 1.0, -5, 3);  // off the image: nothing
  EXPECT_DOUBLE_EQ(im.sum(), 4.0 * 0.75 * 0.75);
}

TEST(Sersic, RendersA64StampInAFewMilliseconds) {
  for (const double n : {1.0, 4.0}) {
    cs::SersicProfile p;
    p.n = n;
    p.half_light_radius = 3;
    p.x0 = 32.2;
    p.y0 = 31.7;
    p.e1 = 0.2;
    const double ms = milliseconds_to_render(p, 64, 20);
    std::cout << "[ timing ] 64 x 64 Sersic n = " << n << ", R_e = 3 px: " << ms << " ms\n";
    EXPECT_LT(ms, 500.0);  // generous: sanitizer and debug builds
  }
}

TEST(Sersic, BadInputsThrowNamingTheField) {
  const auto render = [](cs::SersicProfile p) {
    cs::Image im = cs::Image::zeros(8, 8);
    cs::add_sersic(im, p);
  };
  cs::SersicProfile p;
  expect_invalid(
      [&] {
        auto q = p;
        q.n = 7;
        render(q);
      },
      "SersicProfile.n");
  expect_invalid(
      [&] {
        auto q = p;
        q.n = 0.2;
        render(q);
      },
      "SersicProfile.n");
  expect_invalid(
      [&] {
        auto q = p;
        q.half_light_radius = 0;
        render(q);
      },
      "half_light_radius");
  expect_invalid(
      [&] {
        auto q = p;
        q.flux = -1;
        render(q);
      },
      "SersicProfile.flux");
  expect_invalid(
      [&] {
        auto q = p;
        q.e1 = 0.8;
        q.e2 = 0.7;
        render(q);
      },
      "|e|");
  expect_invalid(
      [&] {
        auto q = p;
        q.truncation = 1;
        render(q);
      },
      "truncation");
  expect_invalid(
      [&] {
        auto q = p;
        q.x0 = NAN;
        render(q);
      },
      "SersicProfile.x0");
  expect_invalid([&] { cs::sersic_bn(-1); }, "Sersic n");
  expect_invalid([&] { cs::Image::zeros(0, 3); }, "nx");
  expect_invalid(
      [&] {
        cs::Image im = cs::Image::zeros(2, 2);
        cs::add_point_source(im, 1, INFINITY, 0);
      },
      "x0");
}
