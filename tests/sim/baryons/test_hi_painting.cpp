// HI around FoF halos: the Villaescusa-Navarro et al. 2018 HI-halo mass relation, Omega_HI and
// the painted HI density.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/baryons/halo_profiles.hpp"
#include "sim/baryons/hi_painting.hpp"
#include "sim/core/units.hpp"
#include "tests/sim/baryons/mesh_sum.hpp"

namespace cg = cosmograd::sim;

namespace {

const cg::Cosmology& cosmology() {
  static const cg::Cosmology cosmo(cg::planck2015());
  return cosmo;
}

// Halos (FoF mass, centre); r200c from M200c = 0.9 FoF mass, or none (r200c = 0) when
// with_so is false.
cg::HaloCatalog catalog(double box, double a,
                        const std::vector<std::pair<double, std::array<double, 3>>>& halos,
                        bool with_so = true) {
  cg::HaloCatalog cat;
  cat.header.box_size = box;
  cat.header.a = a;
  cat.header.Omega_m = cosmology().params().Omega_m;
  cat.header.h = cosmology().params().h;
  for (const auto& [m, pos] : halos) {
    cg::Halo h;
    h.mass = m;
    if (with_so) {
      h.m200c = 0.9 * m;
      h.r200c = cg::so_radius(h.m200c, cg::critical_overdensity_density(200.0, cosmology(), a));
    }
    h.pos = pos;
    h.so_pos = pos;
    cat.halos.push_back(h);
  }
  return cat;
}

using cosmograd::testing::mesh_sum;

}  // namespace

TEST(HiPainting, HiHaloMassRelation) {
  const cg::HiOptions z0;
  // M_HI(M_min) = M0 e^-1 (Villaescusa-Navarro et al. 2018, z = 0 FoF: 0.24, 4.3e10, 2e12).
  EXPECT_NEAR(cg::hi_halo_mass(2e12, z0) / (4.3e10 * std::exp(-1.0)), 1.0, 1e-14);
  EXPECT_NEAR(cg::hi_halo_mass(2e14, z0) /
                  (4.3e10 * std::pow(100.0, 0.24) * std::exp(-std::pow(0.01, 0.35))),
              1.0, 1e-14);
  EXPECT_EQ(cg::hi_halo_mass(0.0, z0), 0.0);
  // Increasing with M (above and below M_min), strongly suppressed far below M_min.
  double previous = 0.0;
  for (double m = 1e9; m < 1e16; m *= 2.0) {
    const double m_hi = cg::hi_halo_mass(m, z0);
    EXPECT_GT(m_hi, previous) << "M = " << m;
    previous = m_hi;
  }
  EXPECT_LT(cg::hi_halo_mass(1e10, z0) / cg::hi_halo_mass(1e12, z0), 1e-2);
  const cg::HiOptions z1 = cg::HiOptions::villaescusa_navarro_2018(1);
  EXPECT_EQ(z1.alpha, 0.53);
  EXPECT_EQ(z1.M0, 1.5e10);
  EXPECT_EQ(z1.M_min, 6.0e11);
  EXPECT_EQ(cg::HiOptions::villaescusa_navarro_2018(0).M_min, z0.M_min);
  EXPECT_THROW(cg::HiOptions::villaescusa_navarro_2018(6), std::invalid_argument);
}

TEST(HiPainting, PaintedTotalIsTheSumOfHiMasses) {
  const double box = 40.0, a = 1.0;
  const int n = 32;
  const cg::Decomposition dec(n);
  const double cell_volume = std::pow(box / n, 3);
  const auto cat = catalog(box, a,
                           {{3e14, {20.1, 19.7, 21.0}},
                            {2e13, {0.1, 39.95, 0.3}},
                            {1e12, {5.0, 30.0, 12.5}},
                            {3e11, {33.3, 2.2, 39.99}}});
  double expected = 0.0;
  for (const cg::Halo& h : cat.halos) expected += cg::hi_halo_mass(h.mass);
  const cg::Field<double> rho = cg::paint_hi_density(cat, dec, cosmology());
  EXPECT_NEAR(mesh_sum(rho) * cell_volume / expected, 1.0, 1e-10);
  // Halos without an SO radius use the one of their FoF mass: same total.
  const auto no_so =
      catalog(box, a, {{3e14, {20.1, 19.7, 21.0}}, {2e13, {0.1, 39.95, 0.3}}}, false);
  const double expected2 = cg::hi_halo_mass(3e14) + cg::hi_halo_mass(2e13);
  EXPECT_NEAR(mesh_sum(cg::paint_hi_density(no_so, dec, cosmology())) * cell_volume / expected2,
              1.0, 1e-10);
  // Omega_HI = mean HI density / rho_crit0.
  EXPECT_NEAR(cg::omega_hi(cat) / (expected / (box * box * box * cg::units::rho_crit_h2)), 1.0,
              1e-14);
  // The mass cut drops the small halos.
  cg::HiOptions cut;
  cut.min_mass = 1e13;
  EXPECT_NEAR(mesh_sum(cg::paint_hi_density(cat, dec, cosmology(), cut)) * cell_volume / expected2,
              1.0, 1e-10);
}

TEST(HiPainting, OmegaHiGrowsWithHaloMass) {
  // Above M_min each heavier halo holds more HI, so a catalogue of heavier halos has a larger
  // Omega_HI; ~1e-4..1e-3 for a realistic abundance is not tested here (no mass function).
  double previous = 0.0;
  for (const double m : {2e12, 1e13, 1e14, 1e15}) {
    const auto cat = catalog(100.0, 1.0, {{m, {1.0, 2.0, 3.0}}, {m, {50.0, 50.0, 50.0}}});
    const double omega = cg::omega_hi(cat);
    EXPECT_GT(omega, previous) << "M = " << m;
    previous = omega;
  }
}

TEST(HiPainting, PaintedRadialProfile) {
  // rho_HI = rho0 r^-3 exp(-r0 / r) with r0 = 0.05 r200c: at r >> cell the cell values follow
  // it within 3% (cell-average curvature ~ 6 cell^2 / (24 r^2) for r^-3).
  const double box = 8.0, a = 1.0;
  const int n = 64;  // cell 0.125 Mpc/h
  const double cell = box / n;
  const std::array<double, 3> c{4.02, 3.97, 4.05};
  const auto cat = catalog(box, a, {{3e15, c}});
  const cg::Halo& halo = cat.halos[0];
  const cg::HiOptions o;
  const double r0 = o.r0_over_r200c * halo.r200c;
  const auto shape = [&](double r) { return std::exp(-r0 / r) / (r * r * r); };
  const double rho0 = cg::hi_halo_mass(halo.mass) / cg::spherical_integral(shape, halo.r200c);
  const cg::Field<double> rho = cg::paint_hi_density(cat, cg::Decomposition(n), cosmology());
  int checked = 0;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) {
        const double dx = x * cell - c[0], dy = y * cell - c[1], dz = z * cell - c[2];
        const double r = std::sqrt(dx * dx + dy * dy + dz * dz);
        if (r < 6.0 * cell || r > halo.r200c - cell) continue;
        ++checked;
        EXPECT_NEAR(rho.at(x, y, z) / (rho0 * shape(r)), 1.0, 0.03) << "r = " << r;
      }
  EXPECT_GT(checked, 1000);
  EXPECT_GT(halo.r200c, 2.0);
}

TEST(HiPainting, OptionsValidateAndParameters) {
  cg::HiOptions o;
  o.validate();
  bool found = false;
  for (const auto& [name, value] : o.parameters())
    if (name == "M_min_Msun/h") found = value == 2e12;
  EXPECT_TRUE(found);
  o.r0_over_r200c = 0.0;
  try {
    o.validate();
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("r0_over_r200c"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cg::hi_halo_mass(-1.0), std::invalid_argument);
}
