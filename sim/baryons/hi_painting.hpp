// Neutral hydrogen around FoF halos from the HI-halo mass relation of Villaescusa-Navarro et
// al. 2018 (ApJ 866, 135; TNG100) and their HI density profile, painted onto a mesh.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/baryons/profile_painting.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/measure/fof.hpp"
#include "sim/mesh/field.hpp"
#include "sim/mpi/decomposition.hpp"

namespace cosmograd::sim {

/// The HI-halo mass relation M_HI(M) = M0 (M / M_min)^alpha exp(-(M_min / M)^cutoff_exponent)
/// of Villaescusa-Navarro et al. 2018 (Table 1: fit to the FoF halos of TNG100) and their HI
/// density profile rho_HI(r) = rho0 r^-slope exp(-r0 / r) (section on HI profiles), truncated
/// at r_max, painted around each halo's so_pos. Defaults: the z = 0 FoF fit.
struct HiOptions {
  double alpha = 0.24;            ///< power-law slope of M_HI(M) (Table 1, FoF, z = 0)
  double M0 = 4.3e10;             ///< amplitude [Msun/h] (Table 1, FoF, z = 0)
  double M_min = 2.0e12;          ///< cutoff mass [Msun/h] (Table 1, FoF, z = 0)
  double cutoff_exponent = 0.35;  ///< exponent of the low-mass cutoff (fixed in the paper)
  double profile_slope = 3.0;     ///< outer slope alpha_* of rho_HI (~3 in their fits), finite
  /// Core radius r0 of rho_HI in units of r200c (our choice, not a fit of the paper: HI sits
  /// in discs of a few percent of the virial radius), > 0.
  double r0_over_r200c = 0.05;
  double r_max_over_r200c = 1.0;  ///< truncation radius in units of r200c, > 0
  double min_mass = 0.0;          ///< smallest FoF mass painted [Msun/h], >= 0
  ProfilePaintOptions paint;      ///< cell sub-sampling of paint_profile

  /// The Villaescusa-Navarro et al. 2018 Table 1 FoF fit at integer redshift z in [0, 5]
  /// (other fields at their defaults); throws std::invalid_argument otherwise.
  static HiOptions villaescusa_navarro_2018(int z);
  /// Throws std::invalid_argument naming the field, its value and the allowed range.
  void validate() const;
  /// The parameters used, as (name, value) pairs for file headers (masses in Msun/h).
  std::vector<std::pair<std::string, double>> parameters() const;
};

/// HI mass of a FoF halo of mass m_fof [Msun/h] >= 0 (Villaescusa-Navarro et al. 2018)
/// [Msun/h]; 0 for m_fof = 0.
double hi_halo_mass(double m_fof, const HiOptions& options = {});

/// Cosmic HI density Omega_HI = sum_halos M_HI / (L^3 rho_crit0) of a catalogue (halos
/// above min_mass; dimensionless, relative to today's critical density).
double omega_hi(const HaloCatalog& cat, const HiOptions& options = {});

/// HI mass density [comoving (Msun/h) / (Mpc/h)^3] on a mesh over `decomp` (box side
/// cat.header.box_size): each FoF halo with mass >= min_mass gets M_HI(mass) distributed with
/// rho_HI(r) inside r_max around so_pos, with r200c its own or, when
/// the halo has none, that of its FoF mass at 200 rho_crit(a) from `cosmo`. The mesh total
/// times the cell volume equals the sum of M_HI.
Field<double> paint_hi_density(const HaloCatalog& cat, const Decomposition& decomp,
                               const Cosmology& cosmo, const HiOptions& options = {});

}  // namespace cosmograd::sim
