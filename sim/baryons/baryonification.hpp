// Baryonification: the baryonic correction model (BCM) of Schneider & Teyssier 2015 (JCAP 12,
// 049; "S15") applied to a dark-matter-only run as particle displacements around its halos.
//
// Around each halo (M = M200c, r200 = r200c, NFW with the Duffy et al. 2008 concentration,
// truncated at r_t = epsilon r200 as in Schneider et al. 2019, JCAP 03, 020, "S19"), the
// dark-matter-only profile rho_dmo is replaced by
//   rho_bcm = rho_clm + rho_bgas + rho_egas + rho_cga,
// all normalised to the truncated halo's total mass M_tot so that mass is conserved:
//   central galaxy (S15 eq. 2.10): f_cga M_tot / (4 pi^1.5 R_h r^2) exp(-(r / 2 R_h)^2),
//       R_h = 0.015 r200, f_cga = 0.09 (M / 2.5e11 Msun/h)^-eta_cga (S19 eq. 2.18);
//   bound gas, fraction (S15 eq. 2.19) f_bgas = (f_b - f_star) / (1 + (M_c / M)^beta),
//       cored profile of S19 (eq. 2.12 with their slope 3): 1 / ((1 + r / r_co)^3
//       (1 + (r / r_t)^2)^2), r_co = theta_co r200;
//   ejected gas (S15 eqs. 2.11-2.13): f_egas M_tot / (2 pi r_ej^2)^1.5 exp(-r^2 / 2 r_ej^2),
//       f_egas = f_b - f_bgas - f_star, r_ej = 0.75 eta r_esc, r_esc = 0.5 sqrt(200) r200;
//   collisionless matter (dark matter and satellite stars, f_clm = 1 - f_b + f_star - f_cga)
//       relaxed adiabatically (Abadi et al. 2010; S15 eq. 2.16): a shell at r_i moves to
//       r_f = xi r_i, xi - 1 = a_relax ((M_i / M_f)^n_relax - 1), M_i = M_dmo(r_i),
//       M_f = f_clm M_dmo(r_i) + M_bgas(r_f) + M_egas(r_f) + M_cga(r_f);
// with f_b = Omega_b / Omega_m and f_star = 0.09 (M / 2.5e11 Msun/h)^-eta_star. Both profiles
// include the mean matter density outside the halo (the mean part of S15's two-halo term), so
// that the small mass differences far out do not turn into large moves. A particle at
// distance r from the halo centre moves radially to r' with M_bcm(r') = M_dmo(r) (S15 eq.
// 2.20); displacements of overlapping halos add. Halos with M200c below min_mass are left.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/measure/fof.hpp"
#include "sim/mesh/particles.hpp"

namespace cosmograd::sim {

/// Parameters of the baryonic correction model. Shapes (theta_co, epsilon, R_h, the stellar
/// fractions) are S15's and S19's benchmark values; log10 M_c = 13.8 is below S15's fit to
/// X-ray gas fractions (14.08), a stronger feedback that ejects most gas from groups.
struct BcmParams {
  double log10_mc = 13.8;   ///< log10 M_c [Msun/h]: half the gas is bound at M200c = M_c
  double beta = 0.6;        ///< slope of the bound-gas fraction with mass (S15 eq. 2.19)
  double eta = 0.5;         ///< ejection radius in units of 0.75 r_esc (S15 eq. 2.13)
  double eta_star = 0.3;    ///< slope of the total stellar fraction (S19 eq. 2.18)
  double eta_cga = 0.6;     ///< slope of the central-galaxy fraction (S19 eq. 2.18)
  double theta_co = 0.1;    ///< bound-gas core radius / r200c (S19)
  double epsilon = 4;       ///< truncation radius of the halo / r200c (S19)
  double a_relax = 0.3;     ///< adiabatic relaxation amplitude (Abadi et al. 2010)
  double n_relax = 2;       ///< adiabatic relaxation exponent (Abadi et al. 2010)
  double min_mass = 1e12;   ///< smallest M200c baryonified [Msun/h]
  double r_max_factor = 8;  ///< particles within r_max_factor r200c of a halo move

  /// Throws std::invalid_argument naming the field, its value and the allowed range.
  void validate() const;
  /// (name, value) of every parameter, for file headers.
  std::vector<std::pair<std::string, double>> named() const;
};

/// Mass fractions of one halo, of its truncated total mass.
struct BcmFractions {
  double baryon = 0;  ///< f_b = Omega_b / Omega_m
  double star = 0;    ///< f_star, all stars
  double cga = 0;     ///< f_cga, the central galaxy
  double bgas = 0;    ///< f_bgas, bound gas
  double egas = 0;    ///< f_egas, ejected gas
  double clm = 0;     ///< f_clm = 1 - f_b + f_star - f_cga, dark matter and satellites
};

/// The fractions of a halo of M200c = m200c [Msun/h] with baryon fraction f_b.
BcmFractions bcm_fractions(const BcmParams& p, double m200c, double f_b);

/// The radial tables of one halo's model.
struct BcmHaloProfile {
  std::vector<double> r;      ///< radii [comoving Mpc/h], log-spaced
  std::vector<double> m_dmo;  ///< M_dmo(<r): truncated NFW and mean background [Msun/h]
  std::vector<double> m_bcm;  ///< M_bcm(<r): all components and mean background [Msun/h]
  std::vector<double> disp;   ///< radial move r'(r) - r of a particle at r [Mpc/h]
  double m_total = 0;         ///< total mass of the truncated halo [Msun/h]
  BcmFractions fractions;     ///< the components' fractions
};

/// The model around one halo of M200c [Msun/h] and r200c [comoving Mpc/h] at redshift z with
/// baryon fraction f_b in a universe of mean matter density rho_mean [comoving
/// (Msun/h)/(Mpc/h)^3], tabulated from 1e-3 r200c to r_max_factor r200c.
BcmHaloProfile bcm_halo_profile(const BcmParams& p, double m200c, double r200c, double z,
                                double f_b, double rho_mean);

/// Summary of a baryonification.
struct BcmReport {
  std::size_t halos = 0;    ///< halos baryonified (M200c >= min_mass)
  std::size_t moved = 0;    ///< particles displaced by at least one halo
  double max_disp = 0;      ///< largest displacement [Mpc/h]
  double gas_fraction = 0;  ///< bound + ejected gas mass of the halos / their total mass
};

/// The particles of `p` displaced by the BCM around the halos of `halos` (centres so_pos,
/// masses m200c, radii r200c; halos.header gives z and Omega_m). f_b = Omega_b / Omega_m of
/// the run.
/// Deterministic for any thread count. Throws std::invalid_argument on bad parameters.
Particles<double> baryonify(const Particles<double>& p, const HaloCatalog& halos,
                            const BcmParams& params, double f_b, BcmReport* report = nullptr);

}  // namespace cosmograd::sim
