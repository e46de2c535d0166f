// Analytic dark-matter halo profiles: NFW (Navarro, Frenk & White 1997, ApJ 490, 493), its
// truncated form (Baltz, Marshall & Oguri 2009, JCAP 01, 015), the concentration-mass relation
// of Duffy et al. 2008 (MNRAS 390, L64) and spherical-overdensity mass conversions.
//
// Units: lengths comoving Mpc/h, masses Msun/h, densities (Msun/h) / (Mpc/h)^3 comoving, unless
// a function says otherwise. Every function is pure; bad input throws std::invalid_argument.
#pragma once

#include <functional>

namespace cosmograd::sim {

/// NFW dimensionless enclosed mass m(x) = ln(1 + x) - x / (1 + x), x = r / r_s >= 0 (NFW97).
double nfw_mass_shape(double x);

/// NFW density rho_s / (x (1 + x)^2), x = r / r_s (NFW97) [units of rho_s]; r > 0, r_s > 0.
double nfw_density(double r, double r_s, double rho_s);

/// NFW enclosed mass M(<r) = 4 pi rho_s r_s^3 m(r / r_s) (NFW97) [rho_s x length^3]; r >= 0.
double nfw_enclosed_mass(double r, double r_s, double rho_s);

/// Truncated NFW density rho_nfw(r) / (1 + (r / r_t)^2)^2 (Baltz, Marshall & Oguri 2009,
/// eq. 2 with n = 2) [units of rho_s]; r > 0, r_s > 0, r_t > 0.
double truncated_nfw_density(double r, double r_s, double rho_s, double r_t);

/// Truncated NFW enclosed mass 4 pi int_0^r rho_t r'^2 dr' (BMO09, n = 2), computed with
/// spherical_integral (relative accuracy ~1e-12) [rho_s x length^3]; r >= 0.
double truncated_nfw_enclosed_mass(double r, double r_s, double rho_s, double r_t);

/// Concentration c200c(M200c, z) = 5.71 (M200c / 2e12)^-0.084 (1 + z)^-0.47 of Duffy et al.
/// 2008 (Table 1, full sample, NFW, Delta = 200 critical); m200c > 0 [Msun/h], z > -1.
double duffy08_c200c(double m200c, double z);

/// Radius [length units of the input] enclosing `mass` at mean density `mean_density`:
/// (3 mass / (4 pi mean_density))^(1/3); both > 0.
double so_radius(double mass, double mean_density);

/// 4 pi int_0^r_max f(r) r^2 dr for a spherical profile f (per volume), by 8-point
/// Gauss-Legendre panels, 8 per decade in ln r, over 14 decades below r_max (the innermost
/// piece as a uniform sphere); relative accuracy ~1e-12 for profiles smooth in ln r with
/// r^3 f -> 0 at the centre. r_max > 0.
double spherical_integral(const std::function<double(double)>& f, double r_max);

/// A spherical-overdensity mass and radius.
struct SoMass {
  double mass = 0;    ///< M_Delta [Msun/h]
  double radius = 0;  ///< R_Delta [comoving Mpc/h]
};

/// One NFW halo (NFW97) built from (M200c, r200c, c200c).
struct NfwHalo {
  double m200c = 0;  ///< mass within r200c [Msun/h]
  double r200c = 0;  ///< radius enclosing 200 rho_crit(a) [comoving Mpc/h]
  double c200c = 0;  ///< concentration r200c / r_s
  double r_s = 0;    ///< scale radius r200c / c200c [comoving Mpc/h]
  double rho_s = 0;  ///< characteristic density M200c / (4 pi r_s^3 m(c)) [(Msun/h)/(Mpc/h)^3]

  /// The halo with M200c [Msun/h] > 0, r200c [Mpc/h] > 0 and concentration c200c > 0.
  NfwHalo(double m200c, double r200c, double c200c);
  /// Density at comoving radius r > 0 [(Msun/h)/(Mpc/h)^3].
  double density(double r) const { return nfw_density(r, r_s, rho_s); }
  /// Mass within comoving radius r >= 0 [Msun/h].
  double enclosed_mass(double r) const { return nfw_enclosed_mass(r, r_s, rho_s); }
  /// Radius where the mean enclosed density equals mean_density [(Msun/h)/(Mpc/h)^3], > 0,
  /// and the mass inside it: M(<R) = mean_density (4 pi / 3) R^3, solved by bracketing and
  /// bisection in ln R to 1e-14 relative (unique: the mean density falls monotonically).
  SoMass at_mean_density(double mean_density) const;
  /// M_Delta,c and R_Delta,c for Delta > 0 times the critical density that r200c was defined
  /// with (rho_crit = 3 M200c / (800 pi r200c^3)), e.g. delta = 500 for M500c.
  SoMass at_critical_overdensity(double delta) const;
  /// Critical density implied by (M200c, r200c): 3 M200c / (4 pi 200 r200c^3)
  /// [(Msun/h)/(Mpc/h)^3 comoving].
  double rho_crit() const;
};

}  // namespace cosmograd::sim
