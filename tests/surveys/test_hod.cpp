// HOD galaxies against the analytic Zheng et al. 2007 occupations, the NFW profile and the
// halo mass function integral.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/baryons/halo_profiles.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/cosmo/mass_function.hpp"
#include "sim/measure/fof.hpp"
#include "surveys/mocks/hod.hpp"
#include "surveys/mocks/mock_random.hpp"

namespace cg = cosmograd;
using cg::surveys::HodGalaxy;
using cg::surveys::HodHalo;
using cg::surveys::HodOptions;

namespace {

constexpr double kOmegaM = 0.3089;

/// A halo of mass m [Msun/h] (M200m) at the origin with its M200m radius.
HodHalo halo_of_mass(std::int64_t id, double m) {
  HodHalo h;
  h.id = id;
  h.mass = m;
  h.radius = std::cbrt(3.0 * m / (4.0 * M_PI * cg::sim::mean_overdensity_density(200.0, kOmegaM)));
  h.pos = {50.0, 50.0, 50.0};
  return h;
}

}  // namespace

TEST(Hod, PresetsAndErrors) {
  const auto p = cg::surveys::hod_preset("zheng07_mr20");
  EXPECT_DOUBLE_EQ(p.log_m_min, 12.02);
  EXPECT_DOUBLE_EQ(p.sigma_log_m, 0.26);
  EXPECT_DOUBLE_EQ(p.log_m0, 11.38);
  EXPECT_DOUBLE_EQ(p.log_m1, 13.31);
  EXPECT_DOUBLE_EQ(p.alpha, 1.06);
  EXPECT_EQ(cg::surveys::hod_preset_names().size(), 9u);
  try {
    cg::surveys::hod_preset("zheng07_mr23");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("zheng07_mr20.5"), std::string::npos) << e.what();
  }
  auto bad = p;
  bad.alpha = -1;
  try {
    bad.validate();
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("alpha"), std::string::npos) << e.what();
  }
  EXPECT_NEAR(cg::surveys::mean_ncen(p, std::pow(10.0, 12.02)), 0.5, 1e-12);
  EXPECT_EQ(cg::surveys::mean_nsat(p, std::pow(10.0, 11.0)), 0.0);
  EXPECT_THROW(cg::surveys::parse_halo_mass("mvir"), std::invalid_argument);
}

// Mean occupation per mass bin against <N_cen> and <N_sat> summed over the bin's halos, in
// units of the binomial / Poisson standard error.
TEST(Hod, OccupationMatchesAnalyticWithinPoissonError) {
  HodOptions options;
  options.params = cg::surveys::hod_preset("zheng07_mr20");
  const int n_halos = 200000, bins = 16;
  std::vector<HodHalo> halos;
  for (int i = 0; i < n_halos; ++i)
    halos.push_back(halo_of_mass(i, std::pow(10.0, 11.0 + 4.0 * (i + 0.5) / n_halos)));
  const auto gals = cg::surveys::populate_hod(halos, options, 1.0, 100.0);
  std::vector<double> ncen(n_halos, 0.0), nsat(n_halos, 0.0);
  for (const HodGalaxy& g : gals)
    (g.central ? ncen : nsat)[static_cast<std::size_t>(g.halo_id)] += 1;
  for (int b = 0; b < bins; ++b) {
    double obs_c = 0, exp_c = 0, var_c = 0, obs_s = 0, exp_s = 0;
    for (int i = b * n_halos / bins; i < (b + 1) * n_halos / bins; ++i) {
      const double pc = cg::surveys::mean_ncen(options.params, halos[i].mass);
      const double ls = cg::surveys::mean_nsat(options.params, halos[i].mass);
      obs_c += ncen[i];
      exp_c += pc;
      var_c += pc * (1 - pc);
      obs_s += nsat[i];
      exp_s += ls;
    }
    if (var_c > 0) {
      EXPECT_LT(std::fabs(obs_c - exp_c) / std::sqrt(var_c), 4.0) << "bin " << b;
    }
    if (exp_s > 0) {
      EXPECT_LT(std::fabs(obs_s - exp_s) / std::sqrt(exp_s), 4.0) << "bin " << b;
    } else {
      EXPECT_EQ(obs_s, 0.0) << "bin " << b;
    }
  }
}

// Satellite radii r / R_200m against the truncated NFW CDF m(c x) / m(c): Kolmogorov-Smirnov.
TEST(Hod, SatelliteRadiiFollowNfw) {
  HodOptions options;
  options.params = cg::surveys::hod_preset("zheng07_mr20");
  std::vector<HodHalo> halos;
  for (int i = 0; i < 2000; ++i) halos.push_back(halo_of_mass(i, 1e14));
  const auto gals = cg::surveys::populate_hod(halos, options, 1.0, 0.0);
  std::vector<double> x;
  std::array<double, 3> mean_dir{};
  for (const HodGalaxy& g : gals) {
    if (g.central) continue;
    x.push_back(g.r_over_rhalo);
    const double r = g.r_over_rhalo * halos[0].radius;
    for (int k = 0; k < 3; ++k) mean_dir[k] += (g.pos[k] - 50.0) / r;
  }
  ASSERT_GT(x.size(), 8000u);
  std::sort(x.begin(), x.end());
  const double c = cg::surveys::duffy08_concentration(cg::surveys::HaloMass::kM200m, 1e14, 0.0);
  const double mc = cg::sim::nfw_mass_shape(c);
  double d = 0;
  const double n = static_cast<double>(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double f = cg::sim::nfw_mass_shape(c * x[i]) / mc;
    d = std::max({d, std::fabs(f - i / n), std::fabs(f - (i + 1) / n)});
  }
  EXPECT_LT(d * std::sqrt(n), 1.63) << "KS D = " << d << " for " << n << " satellites (p < 0.01)";
  for (int k = 0; k < 3; ++k) EXPECT_LT(std::fabs(mean_dir[k]) / n, 4.0 / std::sqrt(3.0 * n));
}

// Satellite velocities: the halo's plus an isotropic Gaussian of 1-D sigma sqrt(G M / (2 a R)).
TEST(Hod, SatelliteVelocityDispersion) {
  HodOptions options;
  options.params = cg::surveys::hod_preset("zheng07_mr20");
  const double a = 0.5;
  std::vector<HodHalo> halos;
  for (int i = 0; i < 2000; ++i) {
    halos.push_back(halo_of_mass(i, 1e14));
    halos.back().vel = {100.0, -200.0, 50.0};
  }
  const auto gals = cg::surveys::populate_hod(halos, options, a, 0.0);
  double sum2 = 0, n = 0;
  for (const HodGalaxy& g : gals) {
    if (g.central) {
      EXPECT_EQ(g.vel[0], 100.0);
      continue;
    }
    const double dv[3] = {g.vel[0] - 100.0, g.vel[1] + 200.0, g.vel[2] - 50.0};
    for (double v : dv) sum2 += v * v;
    n += 3;
  }
  const double expected = std::sqrt(4.30091727e-9 * 1e14 / (2.0 * a * halos[0].radius));
  EXPECT_NEAR(std::sqrt(sum2 / n) / expected, 1.0, 0.02);
}

// Galaxies of halos drawn from the Tinker et al. 2008 mass function in a volume: their number
// against V int dn/dM (<N_cen> + <N_sat>) dM, in units of its compound-Poisson error.
TEST(Hod, NumberDensityMatchesMassFunctionIntegral) {
  const cg::sim::Cosmology cosmo(cg::sim::planck2015());
  const cg::sim::EisensteinHuPower power(cosmo);
  HodOptions options;
  options.params = cg::surveys::hod_preset("zheng07_mr20");
  const double volume = 400.0 * 400.0 * 400.0;  // (Mpc/h)^3
  const int grid = 400;
  const double ln_lo = std::log(1e11), ln_hi = std::log(3e15);
  std::vector<double> ln_m(grid + 1), cdf(grid + 1, 0.0);
  double n_gal = 0, var_gal = 0;
  for (int i = 0; i <= grid; ++i) {
    ln_m[i] = ln_lo + (ln_hi - ln_lo) * i / grid;
    const double m = std::exp(ln_m[i]);
    const double dn = cg::sim::mass_function(power, cg::sim::MassFunctionModel::tinker08, m);
    const double w = (i == 0 || i == grid ? 0.5 : 1.0) * (ln_hi - ln_lo) / grid * dn * volume;
    const double nc = cg::surveys::mean_ncen(options.params, m);
    const double ns = cg::surveys::mean_nsat(options.params, m);
    n_gal += w * (nc + ns);
    var_gal += w * (nc + ns + ns * ns + 2 * nc * ns);  // E[N^2] of Bernoulli + Poisson
    if (i > 0)
      cdf[i] =
          cdf[i - 1] + 0.5 * (ln_m[i] - ln_m[i - 1]) * volume *
                           (dn + cg::sim::mass_function(power, cg::sim::MassFunctionModel::tinker08,
                                                        std::exp(ln_m[i - 1])));
  }
  cg::surveys::MockRng rng(7, cg::surveys::MockStream::kHodCentral, 0);
  const std::int64_t n_halos = rng.poisson(cdf.back());
  std::vector<HodHalo> halos;
  for (std::int64_t i = 0; i < n_halos; ++i) {
    const double u = rng.uniform() * cdf.back();
    const std::size_t j =
        static_cast<std::size_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    const std::size_t k = std::min<std::size_t>(std::max<std::size_t>(j, 1), grid);
    const double t = (u - cdf[k - 1]) / (cdf[k] - cdf[k - 1]);
    halos.push_back(halo_of_mass(i, std::exp(ln_m[k - 1] + t * (ln_m[k] - ln_m[k - 1]))));
  }
  const auto gals = cg::surveys::populate_hod(halos, options, 1.0, 400.0);
  const double pull = (static_cast<double>(gals.size()) - n_gal) / std::sqrt(var_gal);
  EXPECT_LT(std::fabs(pull), 4.0) << gals.size() << " galaxies vs " << n_gal << " expected";
  // The Zheng07 M_r < -20 number density is ~ 5e-3 (h/Mpc)^3 (Zheng et al. 2007, Table 1:
  // 6.4e-3 in their cosmology); the Planck-2015 Tinker08 integral lands within 40% of it.
  EXPECT_NEAR(n_gal / volume / 6.4e-3, 1.0, 0.4);
}

TEST(Hod, RedshiftSpaceCoordinate) {
  const cg::sim::Cosmology cosmo(cg::sim::planck2015());
  const double a = 0.5, v = 300.0;
  const double s = cg::surveys::redshift_space_coordinate(10.0, v, cosmo, a, 100.0);
  EXPECT_NEAR(s, 10.0 + v / (100.0 * a * cosmo.E(a)), 1e-12);
  EXPECT_NEAR(cg::surveys::redshift_space_coordinate(99.9, 1000.0, cosmo, 1.0, 100.0),
              99.9 + 10.0 - 100.0, 1e-9);
}

// A FoF catalogue's halos under each mass definition; SO-less halos fall back to the FoF mass.
TEST(Hod, HalosFromCatalogue) {
  cg::sim::HaloCatalog cat;
  cat.header.Omega_m = kOmegaM;
  cg::sim::Halo h;
  h.mass = 2e13;
  h.pos = {1, 2, 3};
  h.so_pos = {1.1, 2.1, 3.1};
  h.m200m = 1.5e13;
  h.r200m = 0.7;
  h.m200c = 1.2e13;
  h.r200c = 0.5;
  cat.halos = {h, h};
  cat.halos[1].m200m = 0;
  cat.halos[1].m200c = 0;
  std::size_t fallbacks = 0;
  const auto m = cg::surveys::hod_halos(cat, cg::surveys::HaloMass::kM200m, &fallbacks);
  EXPECT_EQ(fallbacks, 1u);
  EXPECT_EQ(m[0].mass, 1.5e13);
  EXPECT_EQ(m[0].radius, 0.7);
  EXPECT_EQ(m[0].pos[0], 1.1);
  EXPECT_EQ(m[1].mass, 2e13);
  EXPECT_EQ(m[1].pos[0], 1.0);
  const auto c = cg::surveys::hod_halos(cat, cg::surveys::HaloMass::kM200c);
  EXPECT_EQ(c[0].mass, 1.2e13);
  const auto f = cg::surveys::hod_halos(cat, cg::surveys::HaloMass::kFof, &fallbacks);
  EXPECT_EQ(fallbacks, 0u);
  EXPECT_EQ(f[0].mass, 2e13);
}
