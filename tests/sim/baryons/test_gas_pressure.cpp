// Arnaud et al. 2010 electron pressure: the profile, its normalisation and its painting.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/baryons/gas_pressure.hpp"
#include "sim/baryons/halo_profiles.hpp"
#include "tests/sim/baryons/mesh_sum.hpp"

namespace cg = cosmograd::sim;

namespace {

constexpr double kPi = 3.14159265358979323846;

const cg::Cosmology& cosmology() {
  static const cg::Cosmology cosmo(cg::planck2015());
  return cosmo;
}

cg::HaloCatalog catalog(double box, double a,
                        const std::vector<std::pair<double, std::array<double, 3>>>& halos) {
  const cg::Cosmology& cosmo = cosmology();
  cg::HaloCatalog cat;
  cat.header.box_size = box;
  cat.header.a = a;
  cat.header.Omega_m = cosmo.params().Omega_m;
  cat.header.Omega_lambda = 1.0 - cosmo.params().Omega_m;
  cat.header.h = cosmo.params().h;
  for (const auto& [m, pos] : halos) {
    cg::Halo h;
    h.mass = 1.1 * m;
    h.m200c = m;
    h.r200c = cg::so_radius(m, cg::critical_overdensity_density(200.0, cosmo, a));
    h.pos = pos;
    h.so_pos = pos;
    cat.halos.push_back(h);
  }
  return cat;
}

using cosmograd::testing::mesh_sum;

// M500c [Msun/h] and R500c [Mpc/h] of a halo of the catalogue, as paint_electron_pressure
// derives them (Duffy et al. 2008 NFW).
cg::SoMass so500(const cg::Halo& h, double a) {
  const cg::NfwHalo nfw(h.m200c, h.r200c, cg::duffy08_c200c(h.m200c, 1.0 / a - 1.0));
  return nfw.at_mean_density(cg::critical_overdensity_density(500.0, cosmology(), a));
}

}  // namespace

TEST(GasPressure, ArnaudIntegralMatchesThePaper) {
  // Arnaud et al. 2010 eq. 26 / Table: I(x) = int_0^x 3 p(u) u^2 du = 0.6145 (x = 1) and
  // 1.1037 (x = 5) for h70 = 1.
  const auto p = [](double u) { return cg::arnaud_shape(u, 1.0); };
  const double i1 = 3.0 / (4.0 * kPi) * cg::spherical_integral(p, 1.0);
  const double i5 = 3.0 / (4.0 * kPi) * cg::spherical_integral(p, 5.0);
  EXPECT_NEAR(i1 / 0.6145, 1.0, 1e-3);
  EXPECT_NEAR(i5 / 1.1037, 1.0, 1e-3);
}

TEST(GasPressure, P500AndMassScaling) {
  // P500 = 1.65e-3 keV cm^-3 at M500 = 3e14 h70^-1 Msun, E = 1, h = 0.7 (eq. 5).
  const double pivot = 0.7 * 3.0e14;  // Msun/h
  EXPECT_NEAR(cg::arnaud_p500(pivot, 1.0, 0.7), 1.65e-3, 1e-15);
  EXPECT_NEAR(cg::arnaud_p500(pivot, 2.0, 0.7) / 1.65e-3, std::pow(2.0, 8.0 / 3.0), 1e-12);
  EXPECT_NEAR(cg::arnaud_p500(8.0 * pivot, 1.0, 0.7) / 1.65e-3, 4.0, 1e-12);
  // P = P500 p(x) (M500 / pivot)^0.12 (eq. 13), and h dependence h70^(2 - 3/2) at fixed
  // M500 in Msun/h.
  const double x = 0.7;
  EXPECT_NEAR(cg::arnaud_pressure(x, pivot, 1.0, 0.7) / (1.65e-3 * cg::arnaud_shape(x, 1.0)), 1.0,
              1e-14);
  EXPECT_NEAR(
      cg::arnaud_pressure(x, 8.0 * pivot, 1.3, 0.7) / cg::arnaud_pressure(x, pivot, 1.3, 0.7),
      std::pow(8.0, 2.0 / 3.0 + 0.12), 1e-12);
  EXPECT_NEAR(cg::arnaud_pressure(x, pivot, 1.0, 2.8) / cg::arnaud_pressure(x, pivot, 1.0, 0.7),
              2.0, 1e-12);
  // GNFW slopes: gamma at the centre, beta far out.
  const auto slope = [](double u) {
    return std::log(cg::arnaud_shape(1.01 * u, 1.0) / cg::arnaud_shape(u, 1.0)) / std::log(1.01);
  };
  EXPECT_NEAR(slope(1e-8), -0.3081, 1e-4);
  EXPECT_NEAR(slope(1e6), -5.4905, 1e-4);
}

TEST(GasPressure, PaintedTotalIsTheIntegralAnywhereInTheBox) {
  const double box = 50.0, a = 0.8;
  const int n = 32;
  const cg::Decomposition dec(n);
  const double cell_volume = std::pow(box / n, 3);
  const double E = cosmology().E(a), h = cosmology().params().h;
  const auto middle = catalog(box, a, {{4e14, {25.3, 24.1, 26.0}}, {5e12, {10.0, 10.0, 10.0}}});
  const auto corner = catalog(box, a, {{4e14, {0.2, 49.9, 49.7}}});
  const cg::SoMass m500 = so500(middle.halos[0], a);
  const auto profile = [&](double r) {
    return cg::arnaud_pressure(r / m500.radius, m500.mass, E, h);
  };
  const double expected = cg::spherical_integral(profile, 5.0 * m500.radius);
  const cg::Field<double> p_mid = cg::paint_electron_pressure(middle, dec, cosmology());
  const cg::Field<double> p_corner = cg::paint_electron_pressure(corner, dec, cosmology());
  // The 5e12 halo is below the default mass cut: only the cluster is painted.
  EXPECT_NEAR(mesh_sum(p_mid) * cell_volume / expected, 1.0, 1e-10);
  EXPECT_NEAR(mesh_sum(p_corner) * cell_volume / expected, 1.0, 1e-10);
  EXPECT_EQ(p_mid.at(6, 6, 6), 0.0);
  // M500c / M200c of a Duffy-concentration cluster (c ~ 4 at z = 0.25) is ~0.7.
  EXPECT_GT(m500.mass / 4e14, 0.65);
  EXPECT_LT(m500.mass / 4e14, 0.75);
  cg::GasPressureOptions all;
  all.min_m200c = 0.0;
  const cg::Field<double> p_all = cg::paint_electron_pressure(middle, dec, cosmology(), all);
  EXPECT_GT(mesh_sum(p_all), mesh_sum(p_mid));
}

TEST(GasPressure, PaintedRadialProfileMatchesArnaud) {
  const double box = 16.0, a = 1.0;
  const int n = 64;  // cell 0.25 Mpc/h
  const double cell = box / n;
  const std::array<double, 3> c{8.1, 7.95, 8.03};
  const auto cat = catalog(box, a, {{1e15, c}});
  const cg::SoMass m500 = so500(cat.halos[0], a);
  const double E = cosmology().E(a), h = cosmology().params().h;
  const cg::Field<double> p = cg::paint_electron_pressure(cat, cg::Decomposition(n), cosmology());
  // Between R500 and 3 R500 (4-13 cells) the cell average equals the profile within 3%.
  int checked = 0;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) {
        const double dx = x * cell - c[0], dy = y * cell - c[1], dz = z * cell - c[2];
        const double r = std::sqrt(dx * dx + dy * dy + dz * dz);
        if (r < m500.radius || r > 3.0 * m500.radius) continue;
        ++checked;
        EXPECT_NEAR(p.at(x, y, z) / cg::arnaud_pressure(r / m500.radius, m500.mass, E, h), 1.0,
                    0.03)
            << "r / R500 = " << r / m500.radius;
      }
  EXPECT_GT(checked, 1000);
}

TEST(GasPressure, OptionsValidateAndParameters) {
  const cg::GasPressureOptions o;
  o.validate();
  bool found = false;
  for (const auto& [name, value] : o.parameters())
    if (name == "c500") found = value == 1.177;
  EXPECT_TRUE(found);
  cg::GasPressureOptions bad;
  bad.x_max = -1.0;
  try {
    bad.validate();
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("x_max"), std::string::npos) << e.what();
  }
  bad = {};
  bad.beta = 0.1;
  EXPECT_THROW(bad.validate(), std::invalid_argument);
  EXPECT_THROW(cg::arnaud_shape(0.0, 1.0), std::invalid_argument);
}
