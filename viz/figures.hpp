// The engine's standard figures as PlotSpecs: P(k) against theory, the halo mass function.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "viz/plot.hpp"

namespace cosmograd::viz {

/// A measured power spectrum with linear theory and a nonlinear model at the same redshift.
struct PowerSpectrumFigure {
  std::string title;              ///< e.g. the redshift and the run's resolution
  std::vector<double> k;          ///< measured bin centres [h/Mpc]
  std::vector<double> power;      ///< measured P(k) [(Mpc/h)^3]; may be <= 0 (shot noise)
  std::vector<double> theory_k;   ///< wavenumbers of the curves [h/Mpc]
  std::vector<double> linear;     ///< linear P(k) at theory_k [(Mpc/h)^3]
  std::vector<double> nonlinear;  ///< nonlinear P(k) at theory_k [(Mpc/h)^3]
  std::string nonlinear_label = "halofit (Takahashi+ 2012)";  ///< legend of `nonlinear`
};

/// Log-log plot of the measurement (thin line, markers thinned where bins crowd) over the
/// curves; negative bins are shown as |P| with open markers and their own legend entry, and
/// bins with P = 0 or a non-finite value are counted in a legend note. Throws
/// std::invalid_argument when the vectors of a pair differ in length.
PlotSpec power_spectrum_plot(const PowerSpectrumFigure& f);

/// A measured halo mass function with analytic ones, and how the halos were found.
struct MassFunctionFigure {
  double redshift = 0;               ///< redshift of the catalogue
  double linking_length = 0;         ///< FoF b, in mean interparticle separations
  int min_members = 0;               ///< smallest halo kept [particles]
  double sigma8 = 0;                 ///< sigma8 of the linear power behind the analytic curves
  std::size_t halos = 0;             ///< halos in the catalogue
  std::vector<double> m_center;      ///< bin centres [Msun/h]
  std::vector<double> dndlnm;        ///< measured dn/dlnM [(h/Mpc)^3]
  std::vector<double> error;         ///< its Poisson error [(h/Mpc)^3]
  std::vector<long long> count;      ///< halos per bin
  std::vector<double> theory_m;      ///< masses of the curves [Msun/h]
  std::vector<double> tinker;        ///< Tinker et al. 2008 at theory_m [(h/Mpc)^3]
  std::vector<double> sheth_tormen;  ///< Sheth & Tormen 1999 at theory_m [(h/Mpc)^3]
};

/// Log-log plot of the occupied bins with Poisson error bars over the analytic curves; the
/// title states z, the number of halos, b and the minimum members, a legend note sigma8.
/// Without halos the picture says so instead of drawing axes. Throws std::invalid_argument
/// when the vectors of a group differ in length.
PlotSpec mass_function_plot(const MassFunctionFigure& f);

}  // namespace cosmograd::viz
