// Lensing of lightcone galaxies: map interpolation, redshift interpolation between source
// planes, and the Seitz & Schneider 1997 lensing of intrinsic shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "surveys/mocks/shear_catalog.hpp"

namespace cs = cosmograd::surveys;
namespace sim = cosmograd::sim;

namespace {

/// A flat plane at z with kappa = a xi + b eta, gamma1 = 0.01, gamma2 = -0.02.
cs::SourcePlane flat_plane(double z, double a, double b) {
  cs::SourcePlane p;
  p.z = z;
  p.flat_kappa = sim::FlatMap::filled(32, 4.0);
  p.flat_shear.gamma1 = sim::FlatMap::filled(32, 4.0, 0.01);
  p.flat_shear.gamma2 = sim::FlatMap::filled(32, 4.0, -0.02);
  const double d = p.flat_kappa.pixel_rad();
  for (int iy = 0; iy < 32; ++iy)
    for (int ix = 0; ix < 32; ++ix)
      p.flat_kappa.values[static_cast<std::size_t>(iy * 32 + ix)] =
          a * (ix + 0.5 - 16) * d + b * (iy + 0.5 - 16) * d;
  return p;
}

}  // namespace

TEST(ShearCatalog, FlatBilinearIsExactForLinearMaps) {
  const auto plane = flat_plane(1.0, 3.0, -2.0);
  cs::Lensing l;
  const std::array<double, 3> r{0.01, -0.005, 1.0};  // xi = 0.01, eta = -0.005 [rad]
  ASSERT_TRUE(cs::sample_plane(plane, r, l));
  EXPECT_NEAR(l.kappa, 3.0 * 0.01 - 2.0 * (-0.005), 1e-12);
  EXPECT_NEAR(l.gamma1, 0.01, 1e-15);
  EXPECT_NEAR(l.gamma2, -0.02, 1e-15);
  EXPECT_FALSE(cs::sample_plane(plane, {0.5, 0.0, 1.0}, l));  // outside the 4 deg field
  EXPECT_FALSE(cs::sample_plane(plane, {0.0, 0.0, -1.0}, l));
}

TEST(ShearCatalog, HealpixConstantMapAndRedshiftInterpolation) {
  cs::SourcePlane p1, p2;
  p1.z = 0.5;
  p1.kappa = sim::HealpixMap::filled(8, 0.02);
  p1.shear.gamma1 = sim::HealpixMap::filled(8, 0.01);
  p1.shear.gamma2 = sim::HealpixMap::filled(8, 0.0);
  p2 = p1;
  p2.z = 1.5;
  p2.kappa = sim::HealpixMap::filled(8, 0.06);
  const std::vector<cs::SourcePlane> planes{p1, p2};
  const std::array<double, 3> r{0.3, -0.7, 0.2};
  cs::Lensing l;
  bool beyond = true;
  ASSERT_TRUE(cs::lensing_at(planes, r, 0.25, l, &beyond));
  EXPECT_NEAR(l.kappa, 0.01, 1e-14);  // half way from 0 at z = 0 to 0.02 at z = 0.5
  EXPECT_FALSE(beyond);
  ASSERT_TRUE(cs::lensing_at(planes, r, 1.0, l, &beyond));
  EXPECT_NEAR(l.kappa, 0.04, 1e-14);
  EXPECT_NEAR(l.gamma1, 0.01, 1e-14);
  ASSERT_TRUE(cs::lensing_at(planes, r, 3.0, l, &beyond));
  EXPECT_TRUE(beyond);
  EXPECT_NEAR(l.kappa, 0.06, 1e-14);
}

// <e> over intrinsic shapes is the reduced shear g = gamma / (1 - kappa) for |g| < 1 (Seitz &
// Schneider 1997); a round source takes e = g; weak lensing adds gamma to first order.
TEST(ShearCatalog, LensedEllipticityAveragesToReducedShear) {
  const cs::Lensing lens{0.1, 0.03, -0.02};
  const cs::Ellipticity round = cs::lens_ellipticity({0.0, 0.0}, lens);
  EXPECT_NEAR(round.e1, 0.03 / 0.9, 1e-14);
  EXPECT_NEAR(round.e2, -0.02 / 0.9, 1e-14);
  const int n = 200000;
  double m1 = 0, m2 = 0;
  for (int i = 0; i < n; ++i) {
    cs::MockRng rng(11, cs::MockStream::kShape, static_cast<std::uint64_t>(i));
    const auto e = cs::lens_ellipticity(cs::draw_intrinsic_ellipticity(0.26, rng), lens);
    m1 += e.e1;
    m2 += e.e2;
  }
  const double err = 4 * 0.26 / std::sqrt(n);
  EXPECT_NEAR(m1 / n, 0.03 / 0.9, err);
  EXPECT_NEAR(m2 / n, -0.02 / 0.9, err);
  const auto weak = cs::lens_ellipticity({0.2, 0.1}, {0.0, 1e-6, 0.0});
  EXPECT_NEAR(weak.e1 - 0.2, 1e-6 * (1 - 0.2 * 0.2 + 0.1 * 0.1), 1e-11);
  cs::MockRng rng(1, cs::MockStream::kShape, 0);
  EXPECT_THROW(cs::draw_intrinsic_ellipticity(0.9, rng), std::invalid_argument);
}
