#include "surveys/mocks/stellar_mass.hpp"

#include <cmath>

#include "sim/core/require.hpp"
#include "surveys/mocks/mock_random.hpp"

namespace cosmograd::surveys {
namespace {

using sim::positive;
using sim::require;

/// A mass drawn from dN/dln m ~ m^-slope on [lo, hi] by inverting its CDF (lo < hi).
double draw_power_law_mass(double lo, double hi, double slope, double u) {
  const double a = std::pow(lo, -slope), b = std::pow(hi, -slope);
  return std::pow(a - u * (a - b), -1.0 / slope);
}

}  // namespace

void ShmrParams::validate() const {
  for (double v : {m10, m11, n10, n11, beta10, beta11, gamma10, gamma11})
    require(std::isfinite(v), "shmr parameter", v, "finite");
  require(m10 > 8 && m10 < 15, "shmr m10", m10, "in (8, 15) [log10 Msun]");
  require(n10 > 0, "shmr n10", n10, "> 0");
  require(scatter_dex >= 0 && scatter_dex <= 2, "shmr scatter_dex", scatter_dex, "in [0, 2]");
}

double moster13_stellar_mass(const ShmrParams& p, double m_halo, double z) {
  require(positive(m_halo), "halo mass [Msun]", m_halo, "finite and > 0");
  require(z >= 0.0 && std::isfinite(z), "z", z, ">= 0");
  const double x = z / (1.0 + z);  // Moster et al. 2013, eqs. 11-14
  const double m1 = std::pow(10.0, p.m10 + p.m11 * x);
  const double n = p.n10 + p.n11 * x;
  const double beta = p.beta10 + p.beta11 * x;
  const double gamma = p.gamma10 + p.gamma11 * x;
  const double r = m_halo / m1;
  return m_halo * 2.0 * n / (std::pow(r, -beta) + std::pow(r, gamma));
}

void StarFormationOptions::validate() const {
  shmr.validate();
  require(ms_scatter_dex >= 0 && ms_scatter_dex <= 2, "ms_scatter_dex", ms_scatter_dex,
          "in [0, 2]");
  require(quenched_offset_dex >= 0 && quenched_offset_dex <= 5, "quenched_offset_dex",
          quenched_offset_dex, "in [0, 5]");
  require(quenched_scatter_dex >= 0 && quenched_scatter_dex <= 2, "quenched_scatter_dex",
          quenched_scatter_dex, "in [0, 2]");
  require(quench_mass > 7 && quench_mass < 13, "quench_mass", quench_mass,
          "in (7, 13) [log10 Msun]");
  require(positive(quench_slope), "quench_slope", quench_slope, "> 0");
  require(satellite_quenching >= 0 && satellite_quenching <= 1, "satellite_quenching",
          satellite_quenching, "in [0, 1]");
  require(positive(subhalo_slope), "subhalo_slope", subhalo_slope, "> 0");
  require(subhalo_max_fraction > 0 && subhalo_max_fraction < 1, "subhalo_max_fraction",
          subhalo_max_fraction, "in (0, 1)");
}

double speagle14_log_sfr(double stellar_mass, double age_gyr) {
  require(positive(stellar_mass), "stellar mass [Msun]", stellar_mass, "finite and > 0");
  require(positive(age_gyr), "cosmic age [Gyr]", age_gyr, "finite and > 0");
  return (0.84 - 0.026 * age_gyr) * std::log10(stellar_mass) - (6.51 - 0.11 * age_gyr);
}

double quenched_fraction(const StarFormationOptions& o, double stellar_mass, bool central) {
  require(positive(stellar_mass), "stellar mass [Msun]", stellar_mass, "finite and > 0");
  const double f_cen =
      1.0 - std::exp(-std::pow(stellar_mass / std::pow(10.0, o.quench_mass), o.quench_slope));
  return central ? f_cen : 1.0 - (1.0 - f_cen) * (1.0 - o.satellite_quenching);
}

StellarProperties draw_stellar_properties(const StarFormationOptions& o, double halo_mass_msun,
                                          bool central, double min_subhalo_msun, double z,
                                          double age_gyr, std::uint64_t seed,
                                          std::uint64_t galaxy_id) {
  require(positive(halo_mass_msun), "halo mass [Msun]", halo_mass_msun, "finite and > 0");
  require(positive(min_subhalo_msun), "min_subhalo [Msun]", min_subhalo_msun, "finite and > 0");
  MockRng rng(seed, MockStream::kStellarMass, galaxy_id);
  StellarProperties g;
  g.infall_mass = halo_mass_msun;
  if (!central) {
    const double hi = o.subhalo_max_fraction * halo_mass_msun;
    g.infall_mass = min_subhalo_msun < hi
                        ? draw_power_law_mass(min_subhalo_msun, hi, o.subhalo_slope, rng.uniform())
                        : hi;
  }
  g.stellar_mass = moster13_stellar_mass(o.shmr, g.infall_mass, z) *
                   std::pow(10.0, o.shmr.scatter_dex * rng.normal());
  g.quenched = rng.uniform() < quenched_fraction(o, g.stellar_mass, central);
  const double log_sfr = speagle14_log_sfr(g.stellar_mass, age_gyr);
  g.sfr =
      g.quenched
          ? std::pow(10.0, log_sfr - o.quenched_offset_dex + o.quenched_scatter_dex * rng.normal())
          : std::pow(10.0, log_sfr + o.ms_scatter_dex * rng.normal());
  return g;
}

}  // namespace cosmograd::surveys
