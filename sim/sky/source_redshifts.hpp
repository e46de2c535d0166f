// Source redshift distributions n(z) for weak lensing, the lensing efficiency of a
// distribution, the scale factor at a comoving distance and the lensing kernel prefactor.
//
// A SourceDistribution is a single source plane, a Smail et al. (1994, MNRAS 270, 245) form
// n(z) ∝ z^alpha exp(-(z/z0)^beta), or a table (linear interpolation between the rows, e.g. read
// from a file). It is normalised internally, int n(z) dz = 1, and carried as a quadrature rule
// on a fine z grid: int f(z) n(z) dz ~ sum_i w_i f(z_i) with sum_i w_i = 1 (trapezoid rule on
// the piecewise-linear n(z) for tables, Simpson's rule on 8000 uniform intervals for Smail).
//
// Lensing efficiency (Bartelmann & Schneider 2001, Phys. Rep. 340, 291, eq. 6.20):
//   g(chi) = int dz n(z) f_K(chi_s(z) - chi) / f_K(chi_s(z))   for chi < chi_s, else 0,
// with f_K the comoving transverse distance of the curvature Omega_k (f_K(x) = x when flat, the
// case Born lensing in sim/sky uses), chi in Mpc/h. Everything that depends on the cosmology is
// templated on S = double or CosmoDual (explicitly instantiated for both), so parameter
// derivatives come from the same lines.
#pragma once

#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"

namespace cosmograd::sim {

/// A normalised source redshift distribution n(z) (dimensionless z, n in 1/unit z).
class SourceDistribution {
 public:
  /// What the distribution is.
  enum class Kind { plane, smail, table };

  /// All sources at one redshift z (0 < z <= 20); name "plane_z<z>" (e.g. "plane_z1").
  static SourceDistribution plane(double z);
  /// Smail et al. (1994): n(z) ∝ z^alpha exp(-(z/z0)^beta) on 0 <= z <= z_max (truncated
  /// there, then normalised). LSST-like (LSST DESC SRD-like choice): alpha = 2, beta = 1.5,
  /// z0 = 0.28. Needs alpha > -1, beta > 0, 0 < z0 <= 20, z0 < z_max <= 20; name
  /// "smail_<alpha>_<beta>_<z0>" (e.g. "smail_2_1.5_0.28"), plus "_<z_max>" when z_max != 4.
  static SourceDistribution smail(double alpha, double beta, double z0, double z_max = 4.0);
  /// Tabulated n(z), linearly interpolated between rows (zero outside): z increasing, z >= 0,
  /// z <= 20, n >= 0, at least 2 rows, nonzero integral; `name` labels output files.
  static SourceDistribution table(std::vector<double> z, std::vector<double> n,
                                  const std::string& name = "table");
  /// Table read from a text file of two whitespace-separated columns z n(z) ('#' starts a
  /// comment); the name is the file's stem. Errors (std::invalid_argument) name the file, the
  /// line and the offending value.
  static SourceDistribution from_file(const std::string& path);

  /// The kind of distribution.
  Kind kind() const { return kind_; }
  /// Label used in output file names and table headers, e.g. "plane_z1", "smail_2_1.5_0.28".
  const std::string& name() const { return name_; }
  /// Largest redshift with sources (the plane's z for a plane).
  double z_max() const { return z_max_; }
  /// Normalised n(z) at z [1/unit z] (0 for a plane, whose n(z) is a delta function).
  double density(double z) const;
  /// Mean redshift int z n(z) dz (from the quadrature rule).
  double mean_z() const;
  /// Redshift nodes of the quadrature rule (increasing; one node for a plane).
  const std::vector<double>& z_nodes() const { return z_; }
  /// Weights of the quadrature rule: int f(z) n(z) dz ~ sum_i w_i f(z_i); they sum to 1.
  const std::vector<double>& weights() const { return w_; }

 private:
  SourceDistribution() = default;
  Kind kind_ = Kind::plane;
  std::string name_;
  double z_max_ = 0.0;
  double alpha_ = 0.0, beta_ = 0.0, z0_ = 0.0, norm_ = 1.0;  // Smail; norm_: 1 / integral
  std::vector<double> table_z_, table_n_;                    // table (n normalised)
  std::vector<double> z_, w_;                                // quadrature rule
};

/// Sources from the `source_z` and `source_nz` settings: source_z is a comma/space separated
/// list of plane redshifts ("" = none; 0 < z <= 20), source_nz a comma-separated list of
/// entries `smail:ALPHA:BETA:Z0[:ZMAX]` or n(z) file paths. Planes come first, then source_nz
/// in order. Throws std::invalid_argument naming the key, the value and what is allowed, also
/// for two sources with the same name.
std::vector<SourceDistribution> parse_sources(const std::string& source_z,
                                              const std::string& source_nz);

/// Comoving transverse distance f_K(x) [Mpc/h] of a comoving distance x [Mpc/h] for the
/// curvature Omega_k (Hogg 1999 eq. 16): x when flat, sinh / sin forms when open / closed.
template <class S>
S comoving_transverse(double Omega_k, const S& x);

/// Lensing efficiency g(chi) = int dz n(z) f_K(chi_s(z) - chi) / f_K(chi_s(z)) (zero where
/// chi >= chi_s) at comoving distance chi >= 0 [Mpc/h]; dimensionless, g(0) = 1. For a plane:
/// (chi_s - chi) / chi_s when flat. Any Omega_k (through f_K).
template <class S>
S lensing_efficiency(const CosmologyT<S>& c, const SourceDistribution& n, double chi);

/// g(chi) at each chi [Mpc/h] (the source distances chi_s(z_i) computed once).
template <class S>
std::vector<S> lensing_efficiency(const CosmologyT<S>& c, const SourceDistribution& n,
                                  const std::vector<double>& chi);

/// The scale factor a with chi(a) = chi, for 0 <= chi < chi(a_min()) [Mpc/h] (std::invalid_argument
/// otherwise). Solved on the double values; with CosmoDual the derivatives follow from the
/// implicit-function theorem, da/dtheta = -(dchi/dtheta)|_a / (dchi/da), dchi/da =
/// -(c/H0) / (a^2 E(a)).
template <class S>
S scale_factor_at_chi(const CosmologyT<S>& c, double chi);

/// Lensing kernel prefactor 3/2 Omega_m (H0/c)^2 [(h/Mpc)^2] (Bartelmann & Schneider 2001
/// eq. 6.21): the convergence is kappa = prefactor int dchi f_K(chi) g(chi) delta / a.
template <class S>
S lensing_prefactor(const CosmologyT<S>& c);

extern template CosmoDual comoving_transverse<CosmoDual>(double, const CosmoDual&);
extern template double comoving_transverse<double>(double, const double&);
extern template double lensing_efficiency<double>(const Cosmology&, const SourceDistribution&,
                                                  double);
extern template CosmoDual lensing_efficiency<CosmoDual>(const CosmologyDual&,
                                                        const SourceDistribution&, double);
extern template std::vector<double> lensing_efficiency<double>(const Cosmology&,
                                                               const SourceDistribution&,
                                                               const std::vector<double>&);
extern template std::vector<CosmoDual> lensing_efficiency<CosmoDual>(const CosmologyDual&,
                                                                     const SourceDistribution&,
                                                                     const std::vector<double>&);
extern template double scale_factor_at_chi<double>(const Cosmology&, double);
extern template CosmoDual scale_factor_at_chi<CosmoDual>(const CosmologyDual&, double);
extern template double lensing_prefactor<double>(const Cosmology&);
extern template CosmoDual lensing_prefactor<CosmoDual>(const CosmologyDual&);

}  // namespace cosmograd::sim
