#include "sim/baryons/gas_pressure.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "sim/baryons/halo_profiles.hpp"
#include "sim/core/require.hpp"

namespace cosmograd::sim {
namespace {

// M500 / pivot with M500 in h70^-1 Msun: (m500c / h) [Msun] x h70 = m500c / 0.7.
double mass_ratio(double m500c, const GasPressureOptions& o) {
  return m500c / (0.7 * o.mass_pivot);
}

}  // namespace

void GasPressureOptions::validate() const {
  require(positive(P0), "GasPressureOptions::P0", P0, "finite and > 0");
  require(positive(c500), "GasPressureOptions::c500", c500, "finite and > 0");
  require(std::isfinite(gamma) && gamma < 3.0, "GasPressureOptions::gamma", gamma,
          "finite and < 3 (integrable centre)");
  require(positive(alpha), "GasPressureOptions::alpha", alpha, "finite and > 0");
  require(std::isfinite(beta) && beta > gamma, "GasPressureOptions::beta", beta,
          "finite and > gamma");
  require(std::isfinite(alpha_p), "GasPressureOptions::alpha_p", alpha_p, "finite");
  require(positive(P500_norm), "GasPressureOptions::P500_norm", P500_norm, "finite and > 0");
  require(positive(mass_pivot), "GasPressureOptions::mass_pivot", mass_pivot, "finite and > 0");
  require(positive(x_max), "GasPressureOptions::x_max", x_max, "finite and > 0");
  require(min_m200c >= 0.0 && std::isfinite(min_m200c), "GasPressureOptions::min_m200c", min_m200c,
          "finite and >= 0 [Msun/h]");
  paint.validate();
}

std::vector<std::pair<std::string, double>> GasPressureOptions::parameters() const {
  return {{"P0_h70^-3/2", P0},
          {"c500", c500},
          {"gamma", gamma},
          {"alpha", alpha},
          {"beta", beta},
          {"alpha_p", alpha_p},
          {"alpha_p_prime_used", 0.0},
          {"P500_norm_h70^2_keV_cm^-3", P500_norm},
          {"mass_pivot_h70^-1_Msun", mass_pivot},
          {"x_max_R500c", x_max},
          {"min_m200c_Msun/h", min_m200c},
          {"concentration_duffy08_A", 5.71},
          {"concentration_duffy08_B", -0.084},
          {"concentration_duffy08_C", -0.47},
          {"paint_min_subsamples", paint.min_subsamples},
          {"paint_max_subsamples", paint.max_subsamples},
          {"paint_samples_per_scale", paint.samples_per_scale},
          {"paint_near_scales", paint.near_scales}};
}

double arnaud_shape(double x, double h70, const GasPressureOptions& o) {
  require(x > 0.0, "x", x, "> 0");
  require(positive(h70), "h70", h70, "finite and > 0");
  // Arnaud et al. 2010 eq. 11 with the eq. 12 parameters.
  const double cx = o.c500 * x;
  return o.P0 * std::pow(h70, -1.5) /
         (std::pow(cx, o.gamma) *
          std::pow(1.0 + std::pow(cx, o.alpha), (o.beta - o.gamma) / o.alpha));
}

double arnaud_p500(double m500c, double E, double h, const GasPressureOptions& o) {
  require(positive(m500c), "m500c [Msun/h]", m500c, "finite and > 0");
  require(positive(E), "E", E, "finite and > 0");
  require(positive(h), "h", h, "finite and > 0");
  // Arnaud et al. 2010 eq. 5.
  const double h70 = h / 0.7;
  return o.P500_norm * std::pow(E, 8.0 / 3.0) * std::pow(mass_ratio(m500c, o), 2.0 / 3.0) * h70 *
         h70;
}

double arnaud_pressure(double x, double m500c, double E, double h, const GasPressureOptions& o) {
  // Arnaud et al. 2010 eq. 13 without alpha'_p.
  return arnaud_p500(m500c, E, h, o) * arnaud_shape(x, h / 0.7, o) *
         std::pow(mass_ratio(m500c, o), o.alpha_p);
}

Field<double> paint_electron_pressure(const HaloCatalog& cat, const Decomposition& decomp,
                                      const Cosmology& cosmo, const GasPressureOptions& options) {
  options.validate();
  const double box = cat.header.box_size;
  const double a = cat.header.a;
  require(positive(box), "HaloCatalog::header.box_size [Mpc/h]", box, "finite and > 0");
  require(positive(a), "HaloCatalog::header.a", a, "finite and > 0");
  const double E = cosmo.E(a);
  const double h = cosmo.params().h;
  const double h70 = h / 0.7;
  const double rho_c = critical_overdensity_density(1.0, cosmo, a);
  const double z = 1.0 / a - 1.0;

  Field<double> mesh(decomp);
  for (const Halo& halo : cat.halos) {
    if (halo.m200c <= 0.0 || halo.r200c <= 0.0 || halo.m200c < options.min_m200c) continue;
    const NfwHalo nfw(halo.m200c, halo.r200c, duffy08_c200c(halo.m200c, z));
    const SoMass so500 = nfw.at_mean_density(500.0 * rho_c);
    const double amplitude = arnaud_p500(so500.mass, E, h, options) *
                             std::pow(mass_ratio(so500.mass, options), options.alpha_p);
    const double r500 = so500.radius;
    const auto profile = [&](double r) { return amplitude * arnaud_shape(r / r500, h70, options); };
    paint_profile(mesh, box, halo.so_pos, options.x_max * r500, r500 / options.c500, profile,
                  options.paint);
  }
  const double cell = box / decomp.n();
  const double inv_volume = 1.0 / (cell * cell * cell);
  for (int x = 0; x < decomp.nx_local(); ++x)
    for (int y = 0; y < decomp.n(); ++y)
      for (int zz = 0; zz < decomp.n(); ++zz) mesh.at(x, y, zz) *= inv_volume;
  return mesh;
}

}  // namespace cosmograd::sim
