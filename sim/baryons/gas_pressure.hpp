// Electron pressure of halos from the universal (generalised NFW) pressure profile of Arnaud
// et al. 2010 (A&A 517, A92, eqs. 11-13), painted around FoF halos for thermal-SZ targets.
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

/// Parameters of the Arnaud et al. 2010 pressure profile and of its painting; defaults are
/// Arnaud's best fit to the REXCESS clusters (eq. 12, h70 = h / 0.7). The running slope
/// alpha'_p(x) of their eq. 9 is ignored (eq. 13 with alpha_p only): it is small near the pivot
/// mass but changes P by tens of percent around R500 at M500 ~ 1e13 Msun.
struct GasPressureOptions {
  double P0 = 8.403;           ///< GNFW normalisation, in units of h70^-3/2 (eq. 12)
  double c500 = 1.177;         ///< concentration c500 = R500 / r_s (eq. 12)
  double gamma = 0.3081;       ///< inner slope (eq. 12)
  double alpha = 1.0510;       ///< intermediate slope (eq. 12)
  double beta = 5.4905;        ///< outer slope (eq. 12), > gamma
  double alpha_p = 0.12;       ///< extra mass dependence (M500 / pivot)^alpha_p of P (eq. 11)
  double P500_norm = 1.65e-3;  ///< P500 at the pivot mass and E = 1, in h70^2 keV cm^-3 (eq. 5)
  double mass_pivot = 3.0e14;  ///< pivot mass of eqs. 5 and 11 [h70^-1 Msun]
  double x_max = 5.0;          ///< truncation radius in units of R500c, > 0
  /// Smallest M200c painted [Msun/h]: the profile is calibrated on 1e14-1e15 Msun clusters and
  /// the tSZ signal is dominated by M500 > 1e13 (Komatsu & Seljak 2002), so by default only
  /// groups and clusters are painted; set 0 to paint every halo with an SO mass.
  double min_m200c = 1.0e13;
  ProfilePaintOptions paint;  ///< cell sub-sampling of paint_profile

  /// Throws std::invalid_argument naming the field, its value and the allowed range.
  void validate() const;
  /// The parameters used, as (name, value) pairs for file headers (masses in Msun/h or as
  /// named).
  std::vector<std::pair<std::string, double>> parameters() const;
};

/// Dimensionless GNFW shape p(x) = P0 h70^-3/2 / ((c500 x)^gamma (1 + (c500 x)^alpha)^((beta -
/// gamma) / alpha)) of Arnaud et al. 2010 eq. 11-12, x = r / R500 > 0, h70 = h / 0.7 > 0.
double arnaud_shape(double x, double h70, const GasPressureOptions& options = {});

/// Arnaud et al. 2010 eq. 5: P500 = P500_norm E(z)^(8/3) (M500 / mass_pivot)^(2/3) h70^2
/// [keV cm^-3 physical], for M500c [Msun/h] > 0, E = H(z)/H0 > 0, h > 0.
double arnaud_p500(double m500c, double E, double h, const GasPressureOptions& options = {});

/// Electron pressure P(r) = P500 p(x) (M500 / mass_pivot)^alpha_p (Arnaud et al. 2010 eq. 13)
/// [keV cm^-3 physical] at x = r / R500c > 0, for M500c [Msun/h], E = H(z)/H0 and h.
double arnaud_pressure(double x, double m500c, double E, double h,
                       const GasPressureOptions& options = {});

/// Volume-averaged electron pressure [keV cm^-3, physical] on a mesh over `decomp` (box side
/// cat.header.box_size): every halo with M200c >= min_m200c gets the Arnaud profile around its
/// so_pos, truncated at x_max R500c, where M500c / R500c come from its M200c / r200c through an
/// NFW halo with the Duffy et al. 2008 concentration at z = 1/a - 1; E(a) and h from `cosmo`.
/// Each cell holds the volume integral of P over the cell divided by the cell volume (both
/// comoving), so the mesh mean times the box volume is the sum of the halos' int P dV.
Field<double> paint_electron_pressure(const HaloCatalog& cat, const Decomposition& decomp,
                                      const Cosmology& cosmo,
                                      const GasPressureOptions& options = {});

}  // namespace cosmograd::sim
