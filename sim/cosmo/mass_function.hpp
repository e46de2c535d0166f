// Halo mass functions: sigma(M), analytic dn/dlnM (Press & Schechter 1974; Sheth & Tormen
// 1999; Tinker et al. 2008) and the measured mass function of a catalogue.
//
// Units: M [Msun/h], R [Mpc/h] comoving, n [(h/Mpc)^3]. All analytic mass functions share
// dn/dlnM = f(sigma) (rho_m / M) |d ln sigma / d ln M| with rho_m = Omega_m rho_crit0 the
// comoving mean matter density and sigma = sigma(M, a) the linear rms in top-hat spheres.
#pragma once

#include <string>
#include <vector>

#include "sim/cosmo/linear_power.hpp"

namespace cosmograd::sim {

/// The analytic multiplicity functions f(sigma).
enum class MassFunctionModel { press_schechter, sheth_tormen, tinker08 };

/// Parses "press_schechter", "sheth_tormen" or "tinker08"; throws std::invalid_argument
/// listing the valid names otherwise.
MassFunctionModel parse_mass_function_model(const std::string& name);
/// The name of a model (as parse_mass_function_model accepts).
const char* mass_function_model_name(MassFunctionModel model);

/// Spherical-collapse threshold delta_c = 1.686 (Einstein-de Sitter; Gunn & Gott 1972).
inline constexpr double kDeltaCollapse = 1.686;

/// Lagrangian top-hat radius R = (3 M / (4 pi rho_m))^(1/3) [Mpc/h] of mass M [Msun/h].
double lagrangian_radius(double mass, double Omega_m);
/// Mass [Msun/h] of a Lagrangian top-hat sphere of radius R [Mpc/h] (inverse of the above).
double lagrangian_mass(double radius, double Omega_m);

/// sigma(M, a): rms linear density contrast in a top-hat of mass M [Msun/h] (radius
/// lagrangian_radius) at scale factor a, using power.sigma(R, a).
double sigma_of_mass(const LinearPower& power, double mass, double a = 1.0);

/// Press & Schechter (1974) f(sigma) = sqrt(2/pi) nu exp(-nu^2/2), nu = delta_c / sigma.
double f_press_schechter(double sigma);
/// Sheth & Tormen (1999, eq. 10) f(sigma) = A sqrt(2 a / pi) [1 + (a nu^2)^-p] nu
/// exp(-a nu^2 / 2), A = 0.3222, a = 0.707, p = 0.3.
double f_sheth_tormen(double sigma);
/// Tinker et al. (2008, eqs. 3, 5-8, Table 2) f(sigma) for Delta = 200 x mean density at
/// redshift z: A [(sigma/b)^-a + 1] exp(-c/sigma^2) with A = 0.186 (1+z)^-0.14,
/// a = 1.47 (1+z)^-0.06, b = 2.57 (1+z)^-alpha, log10 alpha = -[0.75 / log10(200/75)]^1.2,
/// c = 1.19.
double f_tinker08(double sigma, double z);
/// The multiplicity function of `model` at sigma and redshift z (z used by tinker08 only).
double multiplicity(MassFunctionModel model, double sigma, double z);

/// Analytic dn/dlnM [(h/Mpc)^3] at mass M [Msun/h] and scale factor a for `model`; the
/// derivative d ln sigma / d ln M is a central difference with step 0.01 in ln M.
double mass_function(const LinearPower& power, MassFunctionModel model, double mass,
                     double a = 1.0);

/// A measured mass function in logarithmic mass bins.
struct MeasuredMassFunction {
  std::vector<double> m_lo;      ///< lower bin edge [Msun/h]
  std::vector<double> m_hi;      ///< upper bin edge [Msun/h]
  std::vector<double> m_center;  ///< geometric bin centre sqrt(m_lo m_hi) [Msun/h]
  std::vector<double> m_mean;    ///< mean halo mass in the bin (0 when empty) [Msun/h]
  std::vector<long long> count;  ///< halos in the bin
  std::vector<double> dndlnm;    ///< count / (V dlnM) [(h/Mpc)^3]
  std::vector<double> error;     ///< Poisson error sqrt(count) / (V dlnM) [(h/Mpc)^3]
};

/// Histogram of halo masses [Msun/h] in `bins` equal ln M bins spanning [m_min, m_max) in a
/// box of side box_size [Mpc/h]; masses outside are ignored. Throws std::invalid_argument
/// unless 0 < m_min < m_max, bins >= 1 and box_size > 0.
MeasuredMassFunction measure_mass_function(const std::vector<double>& masses, double box_size,
                                           double m_min, double m_max, int bins);

}  // namespace cosmograd::sim
