#include "sim/cosmo/mass_function.hpp"

#include <cmath>
#include <stdexcept>

#include "sim/core/units.hpp"

namespace cosmograd::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

[[noreturn]] void bad(const std::string& what, const std::string& field, double value,
                      const std::string& allowed) {
  throw std::invalid_argument(what + ": " + field + " = " + std::to_string(value) +
                              " is out of range (allowed: " + allowed + ")");
}

double mean_density(double Omega_m) {
  if (!(Omega_m > 0)) bad("mass function", "Omega_m", Omega_m, "> 0");
  return Omega_m * units::rho_crit_h2;
}

}  // namespace

MassFunctionModel parse_mass_function_model(const std::string& name) {
  if (name == "press_schechter") return MassFunctionModel::press_schechter;
  if (name == "sheth_tormen") return MassFunctionModel::sheth_tormen;
  if (name == "tinker08") return MassFunctionModel::tinker08;
  throw std::invalid_argument("mass function model '" + name +
                              "' is unknown (valid: press_schechter, sheth_tormen, tinker08)");
}

const char* mass_function_model_name(MassFunctionModel model) {
  switch (model) {
    case MassFunctionModel::press_schechter:
      return "press_schechter";
    case MassFunctionModel::sheth_tormen:
      return "sheth_tormen";
    case MassFunctionModel::tinker08:
      return "tinker08";
  }
  return "?";
}

double lagrangian_radius(double mass, double Omega_m) {
  if (!(mass > 0)) bad("lagrangian_radius", "mass", mass, "> 0 Msun/h");
  return std::cbrt(3.0 * mass / (4.0 * kPi * mean_density(Omega_m)));
}

double lagrangian_mass(double radius, double Omega_m) {
  if (!(radius > 0)) bad("lagrangian_mass", "radius", radius, "> 0 Mpc/h");
  return 4.0 / 3.0 * kPi * radius * radius * radius * mean_density(Omega_m);
}

double sigma_of_mass(const LinearPower& power, double mass, double a) {
  return power.sigma(lagrangian_radius(mass, power.cosmology().params().Omega_m), a);
}

double f_press_schechter(double sigma) {
  // Press & Schechter (1974), with the factor 2 of Bond et al. (1991).
  const double nu = kDeltaCollapse / sigma;
  return std::sqrt(2.0 / kPi) * nu * std::exp(-0.5 * nu * nu);
}

double f_sheth_tormen(double sigma) {
  // Sheth & Tormen (1999), eq. 10 written as f(sigma).
  constexpr double A = 0.3222, a = 0.707, p = 0.3;
  const double nu = kDeltaCollapse / sigma;
  const double anu2 = a * nu * nu;
  return A * std::sqrt(2.0 * a / kPi) * (1.0 + std::pow(anu2, -p)) * nu * std::exp(-0.5 * anu2);
}

double f_tinker08(double sigma, double z) {
  // Tinker et al. (2008), eq. 3 with Table 2 (Delta = 200) and the redshift evolution of
  // eqs. 5-8.
  if (!(z > -1)) bad("f_tinker08", "z", z, "> -1");
  const double delta = 200.0;
  const double alpha = std::pow(10.0, -std::pow(0.75 / std::log10(delta / 75.0), 1.2));
  const double A = 0.186 * std::pow(1.0 + z, -0.14);
  const double a = 1.47 * std::pow(1.0 + z, -0.06);
  const double b = 2.57 * std::pow(1.0 + z, -alpha);
  const double c = 1.19;
  return A * (std::pow(sigma / b, -a) + 1.0) * std::exp(-c / (sigma * sigma));
}

double multiplicity(MassFunctionModel model, double sigma, double z) {
  if (!(sigma > 0)) bad("multiplicity", "sigma", sigma, "> 0");
  switch (model) {
    case MassFunctionModel::press_schechter:
      return f_press_schechter(sigma);
    case MassFunctionModel::sheth_tormen:
      return f_sheth_tormen(sigma);
    case MassFunctionModel::tinker08:
      return f_tinker08(sigma, z);
  }
  return 0.0;
}

double mass_function(const LinearPower& power, MassFunctionModel model, double mass, double a) {
  if (!(mass > 0)) bad("mass_function", "mass", mass, "> 0 Msun/h");
  if (!(a > 0)) bad("mass_function", "a", a, "> 0");
  constexpr double kStep = 0.01;  // in ln M
  const double s = sigma_of_mass(power, mass, a);
  const double s_hi = sigma_of_mass(power, mass * std::exp(kStep), a);
  const double s_lo = sigma_of_mass(power, mass * std::exp(-kStep), a);
  const double dlns_dlnm = (std::log(s_hi) - std::log(s_lo)) / (2.0 * kStep);
  const double rho_m = mean_density(power.cosmology().params().Omega_m);
  return multiplicity(model, s, 1.0 / a - 1.0) * rho_m / mass * std::abs(dlns_dlnm);
}

MeasuredMassFunction measure_mass_function(const std::vector<double>& masses, double box_size,
                                           double m_min, double m_max, int bins) {
  const char* what = "measure_mass_function";
  if (!(box_size > 0)) bad(what, "box_size", box_size, "> 0 Mpc/h");
  if (!(m_min > 0)) bad(what, "m_min", m_min, "> 0 Msun/h");
  if (!(m_max > m_min)) bad(what, "m_max", m_max, "> m_min = " + std::to_string(m_min));
  if (bins < 1) bad(what, "bins", bins, ">= 1");
  MeasuredMassFunction out;
  const double lo = std::log(m_min), dln = (std::log(m_max) - lo) / bins;
  std::vector<double> sum(bins, 0.0);
  out.count.assign(bins, 0);
  for (double m : masses) {
    if (!(m >= m_min && m < m_max)) continue;
    const int b = std::min(bins - 1, static_cast<int>((std::log(m) - lo) / dln));
    ++out.count[b];
    sum[b] += m;
  }
  const double volume = box_size * box_size * box_size;
  for (int b = 0; b < bins; ++b) {
    out.m_lo.push_back(std::exp(lo + b * dln));
    out.m_hi.push_back(std::exp(lo + (b + 1) * dln));
    out.m_center.push_back(std::sqrt(out.m_lo.back() * out.m_hi.back()));
    const double c = static_cast<double>(out.count[b]);
    out.m_mean.push_back(c > 0 ? sum[b] / c : 0.0);
    out.dndlnm.push_back(c / (volume * dln));
    out.error.push_back(std::sqrt(c) / (volume * dln));
  }
  return out;
}

}  // namespace cosmograd::sim
