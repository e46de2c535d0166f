// Stellar masses, star formation and quenching against their published forms.
#include <gtest/gtest.h>

#include <cmath>

#include "surveys/mocks/stellar_mass.hpp"

namespace cs = cosmograd::surveys;

TEST(StellarMass, Moster13PeakAndSlopes) {
  const cs::ShmrParams p;
  // At M = M_1 (z = 0) the ratio is 2N / 2 = N (Moster et al. 2013, eq. 2).
  const double m1 = std::pow(10.0, p.m10);
  EXPECT_NEAR(cs::moster13_stellar_mass(p, m1, 0.0) / m1, p.n10, 1e-12);
  // Far below M_1: m* ~ M^(1 + beta); far above: M^(1 - gamma).
  const double lo =
      std::log(cs::moster13_stellar_mass(p, 1e9, 0.0) / cs::moster13_stellar_mass(p, 1e8, 0.0)) /
      std::log(10.0);
  EXPECT_NEAR(lo, 1.0 + p.beta10, 0.01);
  const double hi =
      std::log(cs::moster13_stellar_mass(p, 1e16, 0.0) / cs::moster13_stellar_mass(p, 1e15, 0.0)) /
      std::log(10.0);
  EXPECT_NEAR(hi, 1.0 - p.gamma10, 0.01);
  // z = 1: the evolved parameters (x = 1/2).
  const double m1z = std::pow(10.0, p.m10 + 0.5 * p.m11);
  EXPECT_NEAR(cs::moster13_stellar_mass(p, m1z, 1.0) / m1z, p.n10 + 0.5 * p.n11, 1e-12);
  EXPECT_THROW(cs::moster13_stellar_mass(p, -1.0, 0.0), std::invalid_argument);
}

TEST(StellarMass, SpeagleAndQuenchedFraction) {
  // Speagle et al. 2014 eq. 28 at t = 13.8 Gyr, M* = 1e10: log SFR = 0.4812 * 10 - 4.992.
  EXPECT_NEAR(cs::speagle14_log_sfr(1e10, 13.8), (0.84 - 0.026 * 13.8) * 10 - (6.51 - 0.11 * 13.8),
              1e-12);
  const cs::StarFormationOptions o;
  EXPECT_NEAR(cs::quenched_fraction(o, std::pow(10.0, o.quench_mass), true), 1.0 - std::exp(-1.0),
              1e-12);
  const double f_cen = 1.0 - std::exp(-std::pow(1e9 / std::pow(10.0, o.quench_mass), 0.6));
  EXPECT_NEAR(cs::quenched_fraction(o, 1e9, false),
              1.0 - (1.0 - f_cen) * (1.0 - o.satellite_quenching), 1e-12);
}

// Draws at fixed halo mass: the log-normal scatter, the quenched fraction and the two SFR
// populations have the stated means and widths.
TEST(StellarMass, DrawsHaveStatedDistributions) {
  const cs::StarFormationOptions o;
  const double mh = 1e12, z = 0.5, age = 8.6;
  const double mean_log = std::log10(cs::moster13_stellar_mass(o.shmr, mh, z));
  const int n = 40000;
  double s1 = 0, s2 = 0, quenched = 0, fq = 0, ms_res = 0, ms_res2 = 0, n_sf = 0;
  for (int i = 0; i < n; ++i) {
    const auto g =
        cs::draw_stellar_properties(o, mh, true, 1e10, z, age, 3, static_cast<std::uint64_t>(i));
    const double d = std::log10(g.stellar_mass) - mean_log;
    s1 += d;
    s2 += d * d;
    quenched += g.quenched;
    fq += cs::quenched_fraction(o, g.stellar_mass, true);
    if (!g.quenched) {
      const double r = std::log10(g.sfr) - cs::speagle14_log_sfr(g.stellar_mass, age);
      ms_res += r;
      ms_res2 += r * r;
      ++n_sf;
    }
  }
  EXPECT_NEAR(s1 / n, 0.0, 4 * 0.15 / std::sqrt(n));
  EXPECT_NEAR(std::sqrt(s2 / n), 0.15, 0.003);
  EXPECT_NEAR(quenched, fq, 4 * std::sqrt(fq));
  EXPECT_NEAR(ms_res / n_sf, 0.0, 4 * 0.2 / std::sqrt(n_sf));
  EXPECT_NEAR(std::sqrt(ms_res2 / n_sf), 0.2, 0.005);
  // Satellites: subhalo masses between the minimum and 0.3 of the host.
  for (int i = 0; i < 1000; ++i) {
    const auto g =
        cs::draw_stellar_properties(o, 1e14, false, 1e11, z, age, 3, static_cast<std::uint64_t>(i));
    EXPECT_GE(g.infall_mass, 1e11 * (1 - 1e-12));
    EXPECT_LE(g.infall_mass, 0.3e14 * (1 + 1e-12));
  }
}
