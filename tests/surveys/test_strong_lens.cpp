// Strong lensing against the analytic SIS, the Poisson equation div(alpha) = 2 kappa for the
// SIE, the external-shear matrix and flux conservation / magnification in ray shooting.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "surveys/images/strong_lens.hpp"

namespace cg = cosmograd;
using cg::surveys::SieLens;

namespace {

constexpr double kPi = 3.14159265358979323846;

/// Unit-flux circular Gaussian [flux/arcsec^2] of width sigma [arcsec] at (bx, by) times flux.
cg::surveys::SourceProfile gaussian(double bx, double by, double sigma, double flux = 1.0) {
  return [=](double x, double y) {
    const double r2 = (x - bx) * (x - bx) + (y - by) * (y - by);
    return flux * std::exp(-0.5 * r2 / (sigma * sigma)) / (2.0 * kPi * sigma * sigma);
  };
}

/// Expects fn() to throw std::invalid_argument whose message contains `field`.
void expect_throws_naming(const std::function<void()>& fn, const std::string& field) {
  try {
    fn();
    ADD_FAILURE() << "expected std::invalid_argument naming " << field;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

/// Jacobian d alpha_i / d x_j by centred differences of step h [arcsec].
std::array<double, 4> jacobian_fd(const SieLens& lens, double x, double y, double h) {
  const auto xp = cg::surveys::sie_deflection(lens, x + h, y);
  const auto xm = cg::surveys::sie_deflection(lens, x - h, y);
  const auto yp = cg::surveys::sie_deflection(lens, x, y + h);
  const auto ym = cg::surveys::sie_deflection(lens, x, y - h);
  return {(xp[0] - xm[0]) / (2 * h), (yp[0] - ym[0]) / (2 * h), (xp[1] - xm[1]) / (2 * h),
          (yp[1] - ym[1]) / (2 * h)};
}

/// Lenses with ellipticity, orientation, offset centre and shear for the SIE checks.
std::vector<SieLens> elliptical_lenses() {
  std::vector<SieLens> out;
  for (double q : {0.2, 0.5, 0.8, 0.999}) {
    SieLens l;
    l.theta_e = 1.2;
    l.q = q;
    l.phi_deg = 30.0;
    l.x0 = 0.15;
    l.y0 = -0.1;
    l.gamma_ext = 0.07;
    l.phi_ext_deg = 20.0;
    out.push_back(l);
  }
  return out;
}

/// Sample points on rings of radius 0.3..3 arcsec around (cx, cy).
std::vector<std::array<double, 2>> ring_points(double cx, double cy) {
  std::vector<std::array<double, 2>> pts;
  for (double r : {0.3, 0.9, 1.7, 3.0})
    for (int k = 0; k < 12; ++k) {
      const double t = 2 * kPi * (k + 0.37) / 12;
      pts.push_back({cx + r * std::cos(t), cy + r * std::sin(t)});
    }
  return pts;
}

}  // namespace

TEST(StrongLens, SisDeflectionIsRadialWithModulusThetaE) {
  SieLens sis;
  sis.theta_e = 1.3;
  sis.x0 = 0.2;
  sis.y0 = -0.1;
  for (const auto& p : ring_points(sis.x0, sis.y0)) {
    const double dx = p[0] - sis.x0, dy = p[1] - sis.y0, r = std::hypot(dx, dy);
    const auto a = cg::surveys::sie_deflection(sis, p[0], p[1]);
    EXPECT_NEAR(std::hypot(a[0], a[1]), sis.theta_e, 1e-13);
    EXPECT_NEAR(a[0] * dy - a[1] * dx, 0.0, 1e-13);  // parallel to the position vector
    EXPECT_GT(a[0] * dx + a[1] * dy, 0.0);           // pointing away from the centre
    EXPECT_NEAR(cg::surveys::sie_convergence(sis, p[0], p[1]), sis.theta_e / (2 * r), 1e-14);
  }
  EXPECT_TRUE(std::isinf(cg::surveys::sie_convergence(sis, sis.x0, sis.y0)));
}

TEST(StrongLens, SisEinsteinCircleMapsToTheSourceCentre) {
  SieLens sis;
  sis.theta_e = 0.8;
  for (int k = 0; k < 16; ++k) {
    const double t = 2 * kPi * k / 16;
    const double x = sis.theta_e * std::cos(t), y = sis.theta_e * std::sin(t);
    const auto a = cg::surveys::sie_deflection(sis, x, y);
    EXPECT_NEAR(x - a[0], 0.0, 1e-15);
    EXPECT_NEAR(y - a[1], 0.0, 1e-15);
    EXPECT_GT(std::abs(cg::surveys::magnification(sis, x, y)), 1e12);  // tangential critical curve
  }
}

TEST(StrongLens, SisImagePositionsAndMagnifications) {
  // SIS: theta = beta +- theta_E along beta_hat, mu = theta / (theta - theta_E sign theta), so
  // mu+ = 1 + theta_E / beta, mu- = 1 - theta_E / beta (< 0, parity flip), sum |mu| = 2 theta_E /
  // beta (Schneider, Ehlers & Falco 1992).
  SieLens sis;
  sis.theta_e = 1.0;
  const double bx = 0.3, by = 0.4, beta = 0.5;
  const auto images = cg::surveys::sis_image_positions(sis.theta_e, bx, by);
  ASSERT_EQ(images.size(), 2u);
  EXPECT_NEAR(images[0][0], 0.3 * 1.5 / 0.5, 1e-15);
  EXPECT_NEAR(images[0][1], 0.4 * 1.5 / 0.5, 1e-15);
  EXPECT_NEAR(images[1][0], -0.3, 1e-15);
  EXPECT_NEAR(images[1][1], -0.4, 1e-15);
  const std::array<double, 2> mu_expected{1 + sis.theta_e / beta, 1 - sis.theta_e / beta};
  double mu_total = 0;
  for (int i = 0; i < 2; ++i) {
    const auto a = cg::surveys::sie_deflection(sis, images[i][0], images[i][1]);
    EXPECT_NEAR(images[i][0] - a[0], bx, 1e-14);  // lens equation
    EXPECT_NEAR(images[i][1] - a[1], by, 1e-14);
    const double mu = cg::surveys::magnification(sis, images[i][0], images[i][1]);
    EXPECT_NEAR(mu, mu_expected[i], 1e-12);
    mu_total += std::abs(mu);
  }
  EXPECT_NEAR(mu_total, 4.0, 1e-12);
  EXPECT_DOUBLE_EQ(cg::surveys::sis_total_magnification(1.0, 0.5), 4.0);
  // Beyond the Einstein radius only the outer image remains: mu = 1 + theta_E / beta.
  EXPECT_EQ(cg::surveys::sis_image_positions(1.0, 2.0, 0.0).size(), 1u);
  EXPECT_DOUBLE_EQ(cg::surveys::sis_total_magnification(1.0, 2.0), 1.5);
  EXPECT_NEAR(cg::surveys::magnification(sis, 3.0, 0.0), 1.5, 1e-14);
  EXPECT_TRUE(cg::surveys::sis_image_positions(1.0, 0.0, 0.0).empty());  // a ring
  EXPECT_TRUE(std::isinf(cg::surveys::sis_total_magnification(1.0, 0.0)));
}

TEST(StrongLens, SieDivergenceIsTwiceKappaAndCurlFree) {
  // alpha = grad psi with laplacian psi = 2 kappa; shear is trace-free and curl-free. With
  // alpha bounded and odd about the centre this fixes alpha (a bounded harmonic gradient is a
  // constant, by Liouville, and oddness removes it).
  const double h = 1e-4;
  for (const auto& lens : elliptical_lenses())
    for (const auto& p : ring_points(lens.x0, lens.y0)) {
      const auto a = cg::surveys::sie_deflection(lens, p[0], p[1]);
      const auto a_mirror =
          cg::surveys::sie_deflection(lens, 2 * lens.x0 - p[0], 2 * lens.y0 - p[1]);
      EXPECT_NEAR(a[0], -a_mirror[0], 1e-14);
      EXPECT_NEAR(a[1], -a_mirror[1], 1e-14);
      const auto j = jacobian_fd(lens, p[0], p[1], h);
      const double two_kappa = 2 * cg::surveys::sie_convergence(lens, p[0], p[1]);
      EXPECT_NEAR(j[0] + j[3], two_kappa, 1e-5 * two_kappa) << "q = " << lens.q;
      EXPECT_NEAR(j[1] - j[2], 0.0, 1e-5 * two_kappa) << "q = " << lens.q;
    }
}

TEST(StrongLens, SieMagnificationMatchesFiniteDifferenceJacobian) {
  for (const auto& lens : elliptical_lenses())
    for (const auto& p : ring_points(lens.x0, lens.y0)) {
      const auto j = jacobian_fd(lens, p[0], p[1], 1e-4);
      const double det = (1 - j[0]) * (1 - j[3]) - j[1] * j[2];
      if (std::abs(det) < 0.05) continue;  // too close to a critical curve for the comparison
      EXPECT_NEAR(cg::surveys::magnification(lens, p[0], p[1]), 1 / det, 1e-6 / std::abs(det))
          << "q = " << lens.q;
    }
}

TEST(StrongLens, SieThetaEIsTheIntermediateAxisEinsteinRadius) {
  // kappa = 1/2 on the ellipse of semi-axes theta_e / sqrt(q) (major) and theta_e sqrt(q).
  SieLens lens;
  lens.theta_e = 1.1;
  lens.q = 0.6;
  lens.phi_deg = 40.0;
  lens.x0 = 0.3;
  const double c = std::cos(40.0 * kPi / 180), s = std::sin(40.0 * kPi / 180);
  const double a = lens.theta_e / std::sqrt(lens.q), b = lens.theta_e * std::sqrt(lens.q);
  EXPECT_NEAR(cg::surveys::sie_convergence(lens, lens.x0 + a * c, a * s), 0.5, 1e-14);
  EXPECT_NEAR(cg::surveys::sie_convergence(lens, lens.x0 - b * s, b * c), 0.5, 1e-14);
  // On the similar ellipse of scale m (semi-axes m a, m b), kappa = 1 / (2 m); with
  // dA = 2 pi a b m dm the mass inside m = 1 is pi a b = pi theta_e^2 (mean kappa 1).
  for (double m : {0.1, 0.5, 1.0, 2.5})
    for (int k = 0; k < 8; ++k) {
      const double t = 2 * kPi * (k + 0.2) / 8;
      const double xp = m * a * std::cos(t), yp = m * b * std::sin(t);
      EXPECT_NEAR(cg::surveys::sie_convergence(lens, lens.x0 + c * xp - s * yp, s * xp + c * yp),
                  0.5 / m, 1e-14 / m);
    }
}

TEST(StrongLens, SieRoundLimitIsContinuous) {
  SieLens round;
  round.theta_e = 1.0;
  round.phi_deg = 25.0;
  for (const auto& p : ring_points(0.0, 0.0)) {
    const auto a1 = cg::surveys::sie_deflection(round, p[0], p[1]);
    for (double q : {0.9999, 1 - 1e-7, 1 - 1e-9}) {  // 1 - 1e-9 uses the series branch
      SieLens l = round;
      l.q = q;
      const auto aq = cg::surveys::sie_deflection(l, p[0], p[1]);
      const double tol = q == 0.9999 ? 1e-4 : 1e-6;
      EXPECT_NEAR(aq[0], a1[0], tol) << q;
      EXPECT_NEAR(aq[1], a1[1], tol) << q;
      EXPECT_NEAR(cg::surveys::sie_convergence(l, p[0], p[1]),
                  cg::surveys::sie_convergence(round, p[0], p[1]), tol);
    }
  }
}

TEST(StrongLens, ExternalShearDeflectionIsGammaTheta) {
  SieLens bare;
  bare.theta_e = 0.7;
  bare.q = 0.7;
  bare.phi_deg = -15.0;
  bare.x0 = 0.4;
  bare.y0 = 0.2;
  SieLens sheared = bare;
  sheared.gamma_ext = 0.12;
  sheared.phi_ext_deg = 35.0;
  const double g1 = 0.12 * std::cos(70.0 * kPi / 180), g2 = 0.12 * std::sin(70.0 * kPi / 180);
  for (const auto& p : ring_points(bare.x0, bare.y0)) {
    const auto a0 = cg::surveys::sie_deflection(bare, p[0], p[1]);
    const auto a = cg::surveys::sie_deflection(sheared, p[0], p[1]);
    const double dx = p[0] - bare.x0, dy = p[1] - bare.y0;
    EXPECT_NEAR(a[0] - a0[0], g1 * dx + g2 * dy, 1e-14);
    EXPECT_NEAR(a[1] - a0[1], g2 * dx - g1 * dy, 1e-14);
  }
  // Far from a negligible lens the magnification is the pure-shear 1 / (1 - gamma^2).
  SieLens shear_only;
  shear_only.theta_e = 1e-9;
  shear_only.gamma_ext = 0.2;
  EXPECT_NEAR(cg::surveys::magnification(shear_only, 3.0, 1.0), 1 / (1 - 0.04), 1e-8);
}

TEST(StrongLens, RayShootUnlensedReproducesSourceFlux) {
  // 64 x 64 pixels, sub = 4 (this test also times ray shooting).
  SieLens none;
  none.theta_e = 1e-9;
  const int n = 64;
  const double scale = 0.05, flux = 2.5, bx = 0.3, by = -0.2;
  const auto img = cg::surveys::ray_shoot(none, gaussian(bx, by, 0.2, flux), n, n, scale, 4);
  ASSERT_EQ(img.size(), std::size_t(n * n));
  double total = 0, mx = 0, my = 0;
  for (int iy = 0; iy < n; ++iy)
    for (int ix = 0; ix < n; ++ix) {
      const double f = img[iy * n + ix];
      total += f;
      mx += f * (ix + 0.5 - n / 2.0) * scale;  // stated pixel-centre convention
      my += f * (iy + 0.5 - n / 2.0) * scale;
    }
  EXPECT_NEAR(total, flux, 1e-6 * flux);
  EXPECT_NEAR(mx / total, bx, 1e-6);
  EXPECT_NEAR(my / total, by, 1e-6);
}

TEST(StrongLens, CompactSourceFluxIsSisTotalMagnification) {
  // beta = 0.5 theta_E: mu_tot = 2 theta_E / beta = 4; a Gaussian of width sigma raises it by
  // ~ sigma^2 / (2 beta^2) = 0.2 %.
  SieLens sis;
  sis.theta_e = 1.0;
  const double mu = cg::surveys::compact_source_magnification(sis, 0.5, 0.0, 0.03, 360, 0.01, 2);
  EXPECT_NEAR(mu, 4.0, 0.02 * 4.0);
  // Finite-source correction <1/|beta|> = (1 + sigma^2 / (2 beta^2)) / beta (the 2D Laplacian
  // of 1/r is 1/r^3): 4.0072.
  EXPECT_NEAR(mu, 4.0 * (1 + 0.03 * 0.03 / (2 * 0.25)), 5e-4 * 4.0);
  // The same through ray_shoot with a direction off the pixel axes and a brighter source.
  const double bx = 0.5 / std::sqrt(2.0), flux = 3.0;
  const auto img = cg::surveys::ray_shoot(sis, gaussian(bx, bx, 0.03, flux), 360, 360, 0.01, 2);
  double total = 0;
  for (double f : img) total += f;
  EXPECT_NEAR(total / flux, 4.0, 0.02 * 4.0);
}

TEST(StrongLens, OnAxisSourceFormsEinsteinRingAtThetaE) {
  SieLens sis;
  sis.theta_e = 0.91;
  const int n = 128;
  const double scale = 0.025;
  const auto img = cg::surveys::ray_shoot(sis, gaussian(0.0, 0.0, 0.05), n, n, scale, 4);
  // Azimuthal mean surface brightness in radial bins of one pixel centred on k * scale.
  std::vector<double> sum(n, 0.0), count(n, 0.0);
  for (int iy = 0; iy < n; ++iy)
    for (int ix = 0; ix < n; ++ix) {
      const double r = std::hypot((ix + 0.5 - n / 2.0) * scale, (iy + 0.5 - n / 2.0) * scale);
      const auto k = static_cast<std::size_t>(std::lround(r / scale));
      sum[k] += img[iy * n + ix];
      count[k] += 1;
    }
  std::size_t peak = 0;
  for (std::size_t k = 1; k < static_cast<std::size_t>(n / 2); ++k)
    if (sum[k] / count[k] > sum[peak] / std::max(count[peak], 1.0)) peak = k;
  EXPECT_LE(std::abs(peak * scale - sis.theta_e), 0.5 * scale) << "peak at " << peak * scale;
}

TEST(StrongLens, SisEinsteinRadiusFromVelocityDispersion) {
  // 4 pi (250 / 299792.458)^2 * 0.5 rad = 0.9012465 arcsec.
  EXPECT_NEAR(cg::surveys::sis_einstein_radius_arcsec(250.0, 0.5, 1.0), 0.9012465454034311, 1e-13);
  EXPECT_NEAR(cg::surveys::sis_einstein_radius_arcsec(250.0, 800.0, 1600.0), 0.90125, 1e-5);
  EXPECT_DOUBLE_EQ(cg::surveys::sis_einstein_radius_arcsec(0.0, 0.5, 1.0), 0.0);
}

TEST(StrongLens, BadInputsThrowNamingTheField) {
  using namespace cg::surveys;
  const auto src = gaussian(0, 0, 0.1);
  auto with = [](const std::function<void(SieLens&)>& edit) {
    SieLens l;
    edit(l);
    return l;
  };
  const double nan = std::nan("");
  expect_throws_naming([&] { sie_deflection(with([](SieLens& l) { l.theta_e = 0; }), 1, 1); },
                       "theta_e");
  expect_throws_naming([&] { sie_deflection(with([&](SieLens& l) { l.theta_e = nan; }), 1, 1); },
                       "theta_e");
  expect_throws_naming([&] { sie_convergence(with([](SieLens& l) { l.q = 0; }), 1, 1); }, "q");
  expect_throws_naming([&] { magnification(with([](SieLens& l) { l.q = 1.5; }), 1, 1); }, "q");
  expect_throws_naming([&] { magnification(with([&](SieLens& l) { l.phi_deg = nan; }), 1, 1); },
                       "phi_deg");
  expect_throws_naming([&] { sie_deflection(with([&](SieLens& l) { l.x0 = nan; }), 1, 1); }, "x0");
  expect_throws_naming([&] { sie_deflection(with([](SieLens& l) { l.gamma_ext = 1; }), 1, 1); },
                       "gamma_ext");
  expect_throws_naming([&] { sie_deflection(with([](SieLens& l) { l.gamma_ext = -0.1; }), 1, 1); },
                       "gamma_ext");
  const SieLens ok;
  expect_throws_naming([&] { ray_shoot(ok, src, 0, 8, 0.1, 1); }, "nx");
  expect_throws_naming([&] { ray_shoot(ok, src, 8, -1, 0.1, 1); }, "ny");
  expect_throws_naming([&] { ray_shoot(ok, src, 8, 8, 0.0, 1); }, "pixel_scale_arcsec");
  expect_throws_naming([&] { ray_shoot(ok, src, 8, 8, 0.1, 0); }, "sub");
  expect_throws_naming([&] { ray_shoot(ok, SourceProfile{}, 8, 8, 0.1, 1); }, "source");
  expect_throws_naming([&] { compact_source_magnification(ok, 0.5, 0, 0.0, 8, 0.1, 1); },
                       "sigma_arcsec");
  expect_throws_naming([&] { compact_source_magnification(ok, 0.5, 0, 0.1, 0, 0.1, 1); }, "n_pix");
  expect_throws_naming([] { sis_einstein_radius_arcsec(-1, 0.5, 1); }, "sigma_v_kms");
  expect_throws_naming([] { sis_einstein_radius_arcsec(250, 0.5, 0); }, "d_s");
  expect_throws_naming([] { sis_einstein_radius_arcsec(250, 1.5, 1); }, "d_ls");
  expect_throws_naming([] { sis_image_positions(0, 0.5, 0); }, "theta_e");
  expect_throws_naming([] { sis_total_magnification(1, -0.5); }, "beta");
}
