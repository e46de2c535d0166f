#include "sim/baryons/hi_painting.hpp"

#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "sim/baryons/halo_profiles.hpp"
#include "sim/core/require.hpp"
#include "sim/core/units.hpp"

namespace cosmograd::sim {
namespace {

// Villaescusa-Navarro et al. 2018, Table 1, FoF halos: (alpha, M0 [Msun/h], M_min [Msun/h])
// at z = 0, 1, ..., 5.
constexpr std::array<std::array<double, 3>, 6> kVn18Fof = {{{0.24, 4.3e10, 2.0e12},
                                                            {0.53, 1.5e10, 6.0e11},
                                                            {0.60, 1.3e10, 3.6e11},
                                                            {0.76, 2.9e9, 6.7e10},
                                                            {0.79, 1.4e9, 2.1e10},
                                                            {0.74, 1.9e9, 2.0e10}}};

}  // namespace

HiOptions HiOptions::villaescusa_navarro_2018(int z) {
  require(z >= 0 && z <= 5, "z", z, "an integer in [0, 5] (Villaescusa-Navarro et al. 2018)");
  HiOptions o;
  const auto& row = kVn18Fof[static_cast<std::size_t>(z)];
  o.alpha = row[0];
  o.M0 = row[1];
  o.M_min = row[2];
  return o;
}

void HiOptions::validate() const {
  require(std::isfinite(alpha), "HiOptions::alpha", alpha, "finite");
  require(M0 >= 0.0 && std::isfinite(M0), "HiOptions::M0", M0, "finite and >= 0 [Msun/h]");
  require(positive(M_min), "HiOptions::M_min", M_min, "finite and > 0 [Msun/h]");
  require(positive(cutoff_exponent), "HiOptions::cutoff_exponent", cutoff_exponent,
          "finite and > 0");
  require(std::isfinite(profile_slope), "HiOptions::profile_slope", profile_slope, "finite");
  require(positive(r0_over_r200c), "HiOptions::r0_over_r200c", r0_over_r200c, "finite and > 0");
  require(positive(r_max_over_r200c), "HiOptions::r_max_over_r200c", r_max_over_r200c,
          "finite and > 0");
  require(min_mass >= 0.0 && std::isfinite(min_mass), "HiOptions::min_mass", min_mass,
          "finite and >= 0 [Msun/h]");
  paint.validate();
}

std::vector<std::pair<std::string, double>> HiOptions::parameters() const {
  return {{"alpha", alpha},
          {"M0_Msun/h", M0},
          {"M_min_Msun/h", M_min},
          {"cutoff_exponent", cutoff_exponent},
          {"profile_slope", profile_slope},
          {"r0_over_r200c", r0_over_r200c},
          {"r_max_over_r200c", r_max_over_r200c},
          {"min_mass_Msun/h", min_mass},
          {"paint_min_subsamples", paint.min_subsamples},
          {"paint_max_subsamples", paint.max_subsamples},
          {"paint_samples_per_scale", paint.samples_per_scale},
          {"paint_near_scales", paint.near_scales}};
}

double hi_halo_mass(double m_fof, const HiOptions& o) {
  require(m_fof >= 0.0 && std::isfinite(m_fof), "m_fof [Msun/h]", m_fof, "finite and >= 0");
  if (m_fof == 0.0) return 0.0;
  // Villaescusa-Navarro et al. 2018: M_HI = M0 (M / M_min)^alpha exp(-(M_min / M)^0.35).
  return o.M0 * std::pow(m_fof / o.M_min, o.alpha) *
         std::exp(-std::pow(o.M_min / m_fof, o.cutoff_exponent));
}

double omega_hi(const HaloCatalog& cat, const HiOptions& options) {
  options.validate();
  const double box = cat.header.box_size;
  require(positive(box), "HaloCatalog::header.box_size [Mpc/h]", box, "finite and > 0");
  double sum = 0.0;
  for (const Halo& halo : cat.halos)
    if (halo.mass >= options.min_mass) sum += hi_halo_mass(halo.mass, options);
  return sum / (box * box * box * units::rho_crit_h2);
}

Field<double> paint_hi_density(const HaloCatalog& cat, const Decomposition& decomp,
                               const Cosmology& cosmo, const HiOptions& options) {
  options.validate();
  const double box = cat.header.box_size;
  const double a = cat.header.a;
  require(positive(box), "HaloCatalog::header.box_size [Mpc/h]", box, "finite and > 0");
  require(positive(a), "HaloCatalog::header.a", a, "finite and > 0");
  const double rho_c200 = critical_overdensity_density(200.0, cosmo, a);

  Field<double> mesh(decomp);
  for (const Halo& halo : cat.halos) {
    if (halo.mass <= 0.0 || halo.mass < options.min_mass) continue;
    const double m_hi = hi_halo_mass(halo.mass, options);
    if (m_hi <= 0.0) continue;
    const double r200c = halo.r200c > 0.0 ? halo.r200c : so_radius(halo.mass, rho_c200);
    const double r0 = options.r0_over_r200c * r200c;
    const double r_max = options.r_max_over_r200c * r200c;
    const double slope = options.profile_slope;
    // rho_HI / rho0 = r^-slope exp(-r0 / r), written as one exp so no power overflows.
    const auto shape = [=](double r) { return std::exp(-slope * std::log(r) - r0 / r); };
    const double rho0 = m_hi / spherical_integral(shape, r_max);
    paint_profile(
        mesh, box, halo.so_pos, r_max, r0, [=](double r) { return rho0 * shape(r); },
        options.paint);
  }
  const double cell = box / decomp.n();
  const double inv_volume = 1.0 / (cell * cell * cell);
  for (int x = 0; x < decomp.nx_local(); ++x)
    for (int y = 0; y < decomp.n(); ++y)
      for (int z = 0; z < decomp.n(); ++z) mesh.at(x, y, z) *= inv_volume;
  return mesh;
}

}  // namespace cosmograd::sim
