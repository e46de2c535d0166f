// Galaxy mock tables end to end on synthetic halo catalogues: columns, reproducibility,
// physical trends, lightcone geometry and lensing columns.
#include <gtest/gtest.h>

#include <cmath>

#include "surveys/mocks/galaxy_catalog.hpp"
#include "surveys/mocks/mock_random.hpp"

namespace cs = cosmograd::surveys;
namespace sim = cosmograd::sim;

namespace {

/// n halos with log10 M uniform in [12, 14] [Msun/h] at random places in a box of side L.
sim::HaloCatalog synthetic_catalog(int n, double box, double a, std::uint64_t seed) {
  sim::HaloCatalog cat;
  cat.header.box_size = box;
  cat.header.a = a;
  cat.header.Omega_m = 0.3089;
  cat.header.h = 0.6774;
  const double rho = sim::mean_overdensity_density(200.0, 0.3089);
  for (int i = 0; i < n; ++i) {
    cs::MockRng rng(seed, cs::MockStream::kLightcone, static_cast<std::uint64_t>(i));
    sim::Halo h;
    h.mass = std::pow(10.0, 12.0 + 2.0 * rng.uniform());
    h.m200m = 0.9 * h.mass;
    h.r200m = std::cbrt(3.0 * h.m200m / (4.0 * M_PI * rho));
    for (int k = 0; k < 3; ++k) {
      h.pos[static_cast<std::size_t>(k)] = box * rng.uniform();
      h.so_pos[static_cast<std::size_t>(k)] = h.pos[static_cast<std::size_t>(k)];
      h.vel[static_cast<std::size_t>(k)] = 300.0 * rng.normal();
    }
    cat.halos.push_back(h);
  }
  return cat;
}

cs::GalaxyMockOptions lsst_options() {
  cs::GalaxyMockOptions o;
  o.hod.params = cs::hod_preset("zheng07_mr20");
  o.filters = cs::builtin_filters("lsst");
  o.depths = cs::builtin_depths("lsst_y10");
  return o;
}

}  // namespace

TEST(GalaxyCatalog, SnapshotTableColumnsTrendsAndReproducibility) {
  const sim::Cosmology cosmo(sim::planck2015());
  const auto cat = synthetic_catalog(800, 200.0, 0.8, 5);
  const auto o = lsst_options();
  cs::GalaxyMockSummary summary;
  const cs::Table t = cs::galaxy_table_snapshot(cat, cosmo, o, &summary);
  t.validate();
  ASSERT_EQ(t.rows(), summary.centrals + summary.satellites);
  ASSERT_GT(summary.centrals, 500u);
  EXPECT_EQ(summary.halos, 800u);
  const auto& central = t.column("central").as<bool>();
  const auto& x = t.column("x").as<double>();
  const auto& halo = t.column("halo_id").as<std::int64_t>();
  for (std::size_t i = 0; i < t.rows(); ++i) {
    if (!central[i]) continue;
    EXPECT_EQ(x[i], cat.halos[static_cast<std::size_t>(halo[i])].so_pos[0]);
  }
  // Again: identical (draws keyed by galaxy id, whatever the threads do).
  const cs::Table again = cs::galaxy_table_snapshot(cat, cosmo, o, nullptr);
  EXPECT_EQ(again.column("mag_r").as<double>().size(), t.rows());
  for (std::size_t i = 0; i < t.rows(); ++i) {
    const double a = t.column("flux_r").as<double>()[i], b = again.column("flux_r").as<double>()[i];
    ASSERT_EQ(a, b) << i;
  }
  // Trends: quenched galaxies are redder in g - r; bright galaxies are detected.
  const auto& q = t.column("quenched").as<bool>();
  const auto& g = t.column("mag_true_g").as<double>();
  const auto& r = t.column("mag_true_r").as<double>();
  const auto& det = t.column("detected_i").as<bool>();
  const auto& mi = t.column("mag_true_i").as<double>();
  double red_q = 0, red_sf = 0, nq = 0, nsf = 0, bright = 0, bright_det = 0;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    (q[i] ? red_q : red_sf) += g[i] - r[i];
    (q[i] ? nq : nsf) += 1;
    if (mi[i] < 26.4 - 1.5) {
      ++bright;
      bright_det += det[i];
    }
  }
  ASSERT_GT(nq, 50);
  ASSERT_GT(nsf, 50);
  EXPECT_GT(red_q / nq, red_sf / nsf + 0.2) << "quenched <g-r> vs star-forming <g-r>";
  EXPECT_GT(bright_det / bright, 0.999);
  // Redshift space: x_rsd absent, z_rsd present (rsd_axis 2).
  EXPECT_THROW(t.column("x_rsd"), std::invalid_argument);
  EXPECT_EQ(t.column("z_rsd").unit, "Mpc/h");
}

TEST(GalaxyCatalog, LightconeGeometryAndLensing) {
  const sim::Cosmology cosmo(sim::planck2015());
  const std::vector<sim::HaloCatalog> cats{synthetic_catalog(400, 100.0, 1.0, 1),
                                           synthetic_catalog(400, 100.0, 0.8, 2)};
  cs::LightconeHaloOptions lc;
  lc.observer = {50.0, 50.0, 50.0};
  lc.z_min = 0.01;
  lc.z_max = 0.2;
  lc.half_angle_deg = 6.0;
  cs::SourcePlane plane;
  plane.z = 0.4;
  plane.flat_kappa = sim::FlatMap::filled(16, 8.0, 0.04);
  plane.flat_shear.gamma1 = sim::FlatMap::filled(16, 8.0, 0.02);
  plane.flat_shear.gamma2 = sim::FlatMap::filled(16, 8.0, 0.0);
  auto o = lsst_options();
  cs::GalaxyMockSummary summary;
  const cs::Table t = cs::galaxy_table_lightcone(cats, cosmo, lc, {plane}, o, &summary);
  t.validate();
  ASSERT_GT(t.rows(), 100u);
  const auto& x = t.column("x").as<double>();
  const auto& y = t.column("y").as<double>();
  const auto& z = t.column("z").as<double>();
  const auto& dec = t.column("dec").as<double>();
  const auto& chi = t.column("chi").as<double>();
  const auto& zt = t.column("redshift_true").as<double>();
  const auto& kappa = t.column("kappa").as<double>();
  for (std::size_t i = 0; i < t.rows(); ++i) {
    EXPECT_NEAR(chi[i], std::sqrt(x[i] * x[i] + y[i] * y[i] + z[i] * z[i]), 1e-9 * chi[i]);
    EXPECT_NEAR(std::sin(dec[i] * M_PI / 180.0), z[i] / chi[i], 1e-12);
    EXPECT_NEAR(cosmo.chi(1.0 / (1.0 + zt[i])), chi[i], 1e-5 * chi[i]);
    EXPECT_NEAR(kappa[i], 0.04 * zt[i] / 0.4, 1e-12);  // linear from 0 at z = 0
  }
  EXPECT_THROW(t.column("z_rsd"), std::invalid_argument);
  lc.z_min = 0.0;
  EXPECT_THROW(cs::galaxy_table_lightcone(cats, cosmo, lc, {}, o, nullptr), std::invalid_argument);
}

TEST(GalaxyCatalog, BadOptionsNameTheField) {
  auto o = lsst_options();
  o.depths.pop_back();
  try {
    o.validate();
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("depths"), std::string::npos) << e.what();
  }
  o = lsst_options();
  o.rsd_axis = 3;
  EXPECT_THROW(o.validate(), std::invalid_argument);
}

// A user template of flat f_nu per unit stellar mass: every galaxy has one AB magnitude in all
// bands, -2.5 log10[(1 + z) L_nu M* / (4 pi d_L^2) / 3631 Jy].
TEST(GalaxyCatalog, UserTemplatesScaleWithStellarMass) {
  const sim::Cosmology cosmo(sim::planck2015());
  const auto cat = synthetic_catalog(100, 200.0, 0.8, 9);
  auto o = lsst_options();
  const double l_nu = 1e20;  // [erg/s/Hz per Msun]
  cs::Sed flat;
  for (int i = 0; i <= 2000; ++i) {
    const double lam = 500.0 * std::pow(50.0, i / 2000.0);
    flat.wavelength.push_back(lam);
    flat.l_lambda.push_back(l_nu * 2.99792458e18 / (lam * lam));
  }
  o.template_quiescent = o.template_star_forming = flat;
  const cs::Table t = cs::galaxy_table_snapshot(cat, cosmo, o, nullptr);
  ASSERT_GT(t.rows(), 50u);
  const double z = 0.25, dl_cm = cosmo.luminosity_distance(0.8) / 0.6774 * 3.0856775814913673e24;
  const auto& ms = t.column("stellar_mass").as<double>();
  for (const char* b : {"u", "g", "r", "i", "z", "y"}) {
    const auto& m = t.column(std::string("mag_true_") + b).as<double>();
    for (std::size_t i = 0; i < t.rows(); ++i) {
      const double f_nu = (1 + z) * l_nu * ms[i] / (4 * M_PI * dl_cm * dl_cm);
      // 1e-5: the linear interpolation of L_lambda ~ lambda^-2 on the template grid.
      ASSERT_NEAR(m[i], -2.5 * std::log10(f_nu / 3631e-23), 1e-5) << b << " galaxy " << i;
    }
  }
}

// A filter the SEDs do not cover (rest frame beyond 25000 Angstrom) is refused with the galaxy
// named, not a crash inside the threads.
TEST(GalaxyCatalog, FilterBeyondTheSedIsAClearError) {
  const sim::Cosmology cosmo(sim::planck2015());
  const auto cat = synthetic_catalog(50, 200.0, 0.8, 3);
  auto o = lsst_options();
  cs::Filter far;
  far.name = "far_ir";
  far.wavelength = {60000.0, 65000.0, 70000.0};
  far.throughput = {0.5, 1.0, 0.5};
  o.filters = {far};
  o.depths = {{"far_ir", 22.0}};
  try {
    cs::galaxy_table_snapshot(cat, cosmo, o, nullptr);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("galaxy "), std::string::npos) << e.what();
  }
}
