// NFW, truncated NFW, Duffy et al. 2008 concentrations, SO mass conversion and the painting of
// spherical profiles onto a periodic mesh.
#include <gtest/gtest.h>
#include <omp.h>

#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

#include "sim/baryons/halo_profiles.hpp"
#include "sim/baryons/profile_painting.hpp"
#include "tests/sim/baryons/mesh_sum.hpp"

namespace cg = cosmograd::sim;

namespace {

constexpr double kPi = 3.14159265358979323846;

// 4 pi int_0^r f r'^2 dr' by composite Simpson in ln r over [r 1e-12, r] (independent of
// cg::spherical_integral).
double simpson_mass(const std::function<double(double)>& f, double r, int intervals = 20000) {
  const double lo = std::log(r) - 12.0 * std::log(10.0);
  const double hi = std::log(r);
  const double h = (hi - lo) / intervals;
  double sum = 0.0;
  for (int i = 0; i <= intervals; ++i) {
    const double q = std::exp(lo + i * h);
    const double w = (i == 0 || i == intervals) ? 1.0 : (i % 2 ? 4.0 : 2.0);
    sum += w * f(q) * q * q * q;
  }
  return 4.0 * kPi * sum * h / 3.0;
}

using cosmograd::testing::mesh_sum;

}  // namespace

TEST(HaloProfiles, NfwEnclosedMassMatchesQuadrature) {
  const double r_s = 0.3, rho_s = 2.5e15;
  for (const double r : {1e-4, 0.05, 0.3, 1.0, 3.7, 40.0}) {
    const double analytic = cg::nfw_enclosed_mass(r, r_s, rho_s);
    const auto f = [&](double q) { return cg::nfw_density(q, r_s, rho_s); };
    EXPECT_NEAR(simpson_mass(f, r) / analytic, 1.0, 1e-8) << "r = " << r;
    EXPECT_NEAR(cg::spherical_integral(f, r) / analytic, 1.0, 1e-10) << "r = " << r;
  }
  EXPECT_EQ(cg::nfw_enclosed_mass(0.0, r_s, rho_s), 0.0);
  // Small-x series against the direct formula where both are accurate.
  EXPECT_NEAR(cg::nfw_mass_shape(9.9e-5) / (std::log1p(9.9e-5) - 9.9e-5 / (1 + 9.9e-5)), 1.0, 1e-7);
}

TEST(HaloProfiles, MassWithinR200cIsM200c) {
  const cg::NfwHalo halo(3.0e14, 1.2, 5.0);
  EXPECT_NEAR(halo.enclosed_mass(halo.r200c) / halo.m200c, 1.0, 1e-13);
  EXPECT_NEAR(halo.r_s, 0.24, 1e-15);
  const cg::SoMass so200 = halo.at_critical_overdensity(200.0);
  EXPECT_NEAR(so200.radius / halo.r200c, 1.0, 1e-12);
  EXPECT_NEAR(so200.mass / halo.m200c, 1.0, 1e-12);
  EXPECT_NEAR(4.0 * kPi / 3.0 * 200.0 * halo.rho_crit() * std::pow(halo.r200c, 3) / halo.m200c, 1.0,
              1e-14);
}

TEST(HaloProfiles, M500cOverM200cForConcentration4) {
  // Independent solution of m(c y) / m(c) = (500 / 200) y^3, y = R500 / R200, by bisection.
  const double c = 4.0;
  const auto m = [](double x) { return std::log(1.0 + x) - x / (1.0 + x); };
  double lo = 0.1, hi = 1.0;
  for (int i = 0; i < 100; ++i) {
    const double y = 0.5 * (lo + hi);
    (m(c * y) / m(c) > 2.5 * y * y * y ? lo : hi) = y;
  }
  const double y = 0.5 * (lo + hi);
  const double ratio = 2.5 * y * y * y;
  const cg::NfwHalo halo(1.0e14, 0.9, c);
  const cg::SoMass so500 = halo.at_critical_overdensity(500.0);
  EXPECT_NEAR(so500.radius / halo.r200c, y, 1e-10);
  EXPECT_NEAR(so500.mass / halo.m200c, ratio, 1e-10);
  EXPECT_GT(ratio, 0.66);  // the known M500c / M200c ~ 0.69 for c = 4
  EXPECT_LT(ratio, 0.71);
  // M200m > M200c: the mean density is Omega_m < 1 times the critical density.
  EXPECT_GT(halo.at_mean_density(200.0 * 0.3 * halo.rho_crit()).mass, halo.m200c);
}

TEST(HaloProfiles, Duffy08Concentration) {
  EXPECT_NEAR(cg::duffy08_c200c(2.0e12, 0.0), 5.71, 1e-14);
  EXPECT_NEAR(cg::duffy08_c200c(2.0e14, 1.0), 5.71 * std::pow(100.0, -0.084) * std::pow(2.0, -0.47),
              1e-12);
  EXPECT_LT(cg::duffy08_c200c(1e15, 0.0), cg::duffy08_c200c(1e12, 0.0));
  EXPECT_THROW(cg::duffy08_c200c(0.0, 0.0), std::invalid_argument);
  EXPECT_THROW(cg::duffy08_c200c(1e12, -1.0), std::invalid_argument);
}

TEST(HaloProfiles, TruncatedNfw) {
  const double r_s = 0.2, rho_s = 1e15, r_t = 2.0;
  for (const double r : {0.01, 0.5, 2.0, 10.0}) {
    const double m = cg::truncated_nfw_enclosed_mass(r, r_s, rho_s, r_t);
    const auto f = [&](double q) { return cg::truncated_nfw_density(q, r_s, rho_s, r_t); };
    EXPECT_NEAR(simpson_mass(f, r) / m, 1.0, 1e-8) << "r = " << r;
    EXPECT_LT(m, cg::nfw_enclosed_mass(r, r_s, rho_s));
  }
  // r_t -> infinity is the NFW profile; the truncated total mass converges.
  EXPECT_NEAR(cg::truncated_nfw_enclosed_mass(1.0, r_s, rho_s, 1e6) /
                  cg::nfw_enclosed_mass(1.0, r_s, rho_s),
              1.0, 1e-10);
  EXPECT_NEAR(cg::truncated_nfw_enclosed_mass(1e4, r_s, rho_s, r_t) /
                  cg::truncated_nfw_enclosed_mass(1e3, r_s, rho_s, r_t),
              1.0, 1e-5);
  EXPECT_NEAR(cg::truncated_nfw_density(r_t, r_s, rho_s, r_t) / cg::nfw_density(r_t, r_s, rho_s),
              0.25, 1e-15);
}

TEST(HaloProfiles, BadInputThrowsNamingTheField) {
  try {
    cg::NfwHalo(1e14, -1.0, 4.0);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("r200c"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cg::NfwHalo(1e14, 1.0, 4.0).at_critical_overdensity(0.0), std::invalid_argument);
  EXPECT_THROW(cg::spherical_integral([](double) { return 1.0; }, 0.0), std::invalid_argument);
  cg::ProfilePaintOptions bad;
  bad.max_subsamples = 2;
  EXPECT_THROW(bad.validate(), std::invalid_argument);
}

TEST(HaloProfiles, PaintedTotalIsTheIntegralAndMatchesTheProfile) {
  const double box = 20.0;
  const int n = 40;  // cell 0.5 Mpc/h
  const double cell = box / n;
  const cg::NfwHalo halo(1e15, 2.0, 4.0);
  const double r_max = 3.0 * halo.r200c;
  const auto f = [&](double r) { return halo.density(r); };
  cg::Field<double> mesh(cg::Decomposition{n});
  const std::array<double, 3> centre{10.13, 9.71, 10.02};
  const double total = cg::paint_profile(mesh, box, centre, r_max, halo.r_s, f);
  EXPECT_NEAR(total / cg::spherical_integral(f, r_max), 1.0, 1e-14);
  EXPECT_NEAR(mesh_sum(mesh) / total, 1.0, 1e-10);
  EXPECT_NEAR(total / cg::nfw_enclosed_mass(r_max, halo.r_s, halo.rho_s), 1.0, 1e-10);
  // Cells whose centres lie more than 5 cells from the centre and a cell inside r_max hold the
  // cell average of f: within 3% of f at the cell centre (curvature error ~ cell^2 / 4 r^2).
  int checked = 0;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) {
        const double dx = x * cell - centre[0], dy = y * cell - centre[1],
                     dz = z * cell - centre[2];
        const double r = std::sqrt(dx * dx + dy * dy + dz * dz);
        if (r < 5.0 * cell || r > r_max - cell) continue;
        ++checked;
        EXPECT_NEAR(mesh.at(x, y, z) / (cell * cell * cell) / f(r), 1.0, 0.03) << "r = " << r;
      }
  EXPECT_GT(checked, 1000);
}

TEST(HaloProfiles, PaintPeriodicCornerAndLargeRadius) {
  const double box = 10.0;
  const int n = 20;
  const auto f = [](double r) { return 1e14 * std::exp(-r / 0.8) / r; };
  cg::Field<double> middle(cg::Decomposition{n});
  cg::Field<double> corner(cg::Decomposition{n});
  cg::Field<double> shifted(cg::Decomposition{n});
  const double t_mid = cg::paint_profile(middle, box, {5.0, 5.0, 5.0}, 3.0, 0.8, f);
  const double t_corner = cg::paint_profile(corner, box, {0.1, 9.9, 0.05}, 3.0, 0.8, f);
  EXPECT_NEAR(mesh_sum(middle) / t_mid, 1.0, 1e-10);
  EXPECT_NEAR(mesh_sum(corner) / t_mid, 1.0, 1e-10);
  EXPECT_EQ(t_mid, t_corner);
  // A whole box away is the same halo.
  cg::paint_profile(shifted, box, {10.1, -0.1, 10.05}, 3.0, 0.8, f);
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z)
        EXPECT_NEAR(shifted.at(x, y, z), corner.at(x, y, z), 1e-9 * corner.at(0, 0, 0));

  // r_max beyond half the box: a uniform sphere of radius 0.9 L > sqrt(3) L / 2 covers every
  // point at least once (once per image within r_max), so every cell holds >= its volume.
  cg::Field<double> big(cg::Decomposition{n});
  const double r_max = 0.9 * box;
  const double t_big =
      cg::paint_profile(big, box, {1.0, 2.0, 3.0}, r_max, 1.0, [](double) { return 1.0; });
  EXPECT_NEAR(t_big / (4.0 * kPi / 3.0 * r_max * r_max * r_max), 1.0, 1e-10);
  EXPECT_NEAR(mesh_sum(big) / t_big, 1.0, 1e-10);
  const double cell_volume = std::pow(box / n, 3);
  double min_cell = 1e300;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) min_cell = std::min(min_cell, big.at(x, y, z));
  EXPECT_GT(min_cell, 0.99 * cell_volume);
}

TEST(HaloProfiles, PaintProfileSmallerThanACell) {
  const double box = 10.0;
  const int n = 10;  // cell 1 Mpc/h
  const cg::NfwHalo halo(1e11, 0.002, 10.0);
  const auto f = [&](double r) { return halo.density(r); };
  cg::Field<double> mesh(cg::Decomposition{n});
  // Centre between sub-samples with r_max below a sub-cell: the fallback fills the cell of
  // the nearest mesh point, (3, 6, 0).
  const double total = cg::paint_profile(mesh, box, {3.2, 5.7, 9.9}, halo.r200c, halo.r_s, f);
  EXPECT_NEAR(total / halo.m200c, 1.0, 1e-10);
  EXPECT_NEAR(mesh.at(3, 6, 0) / total, 1.0, 1e-12);
  // A slightly larger profile: the mass stays in the cells touching the sphere.
  cg::Field<double> small(cg::Decomposition{n});
  const double t2 = cg::paint_profile(small, box, {3.5, 5.5, 0.0}, 0.1, 0.01, f);
  EXPECT_NEAR(mesh_sum(small) / t2, 1.0, 1e-10);
  double near = 0.0;
  for (int x = 3; x <= 4; ++x)
    for (int y = 5; y <= 6; ++y) near += small.at(x, y, 0);
  EXPECT_NEAR(near / t2, 1.0, 1e-12);
}

TEST(HaloProfiles, PaintIsIndependentOfThreadCount) {
  const double box = 16.0;
  const int n = 32;
  const cg::NfwHalo halo(5e14, 1.5, 5.0);
  const auto f = [&](double r) { return halo.density(r); };
  cg::Field<double> one(cg::Decomposition{n});
  cg::Field<double> two(cg::Decomposition{n});
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  cg::paint_profile(one, box, {1.3, 15.2, 8.0}, 3.0, halo.r_s, f);
  omp_set_num_threads(2);
  cg::paint_profile(two, box, {1.3, 15.2, 8.0}, 3.0, halo.r_s, f);
  omp_set_num_threads(saved);
  EXPECT_EQ(std::memcmp(one.real(), two.real(), one.buffer_size() * sizeof(double)), 0);
}
