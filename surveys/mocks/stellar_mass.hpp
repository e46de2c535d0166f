// Stellar masses, star formation and quenching of HOD galaxies: the Moster, Naab & White 2013
// (MNRAS 428, 3121) stellar-to-halo mass relation with log-normal scatter; satellites get the
// mass of a subhalo drawn from a power-law subhalo mass function; the star-forming main
// sequence of Speagle et al. 2014 (ApJS 214, 15); the quenched fraction of Peng et al. 2010
// (ApJ 721, 193) for mass quenching plus a satellite (environment) quenching efficiency
// (Peng et al. 2012, ApJ 757, 4; van den Bosch et al. 2008).
//
// Units: stellar masses and SFRs without h (Msun, Msun/yr); halo masses as the catalogues
// give them (Msun/h), converted with the run's h.
#pragma once

#include <cstdint>

namespace cosmograd::surveys {

/// Moster, Naab & White 2013 (Table 1, best fit) with their z/(1+z) evolution; scatter.
struct ShmrParams {
  double m10 = 11.590;        ///< log10 M_1 at z = 0 [log10 Msun]
  double m11 = 1.195;         ///< its evolution
  double n10 = 0.0351;        ///< normalisation N at z = 0
  double n11 = -0.0247;       ///< its evolution
  double beta10 = 1.376;      ///< low-mass slope at z = 0
  double beta11 = -0.826;     ///< its evolution
  double gamma10 = 0.608;     ///< high-mass slope at z = 0
  double gamma11 = 0.329;     ///< its evolution
  double scatter_dex = 0.15;  ///< log-normal scatter of M* at fixed halo mass [dex], >= 0
  void validate() const;      ///< throws std::invalid_argument naming the parameter
};

/// Mean stellar mass [Msun] of a halo of mass m_halo [Msun] at redshift z (Moster et al. 2013,
/// eq. 2): m*/M = 2 N [(M/M_1)^-beta + (M/M_1)^gamma]^-1.
double moster13_stellar_mass(const ShmrParams& p, double m_halo, double z);

/// Galaxy properties beyond position.
struct StellarProperties {
  double stellar_mass = 0;  ///< [Msun]
  double sfr = 0;           ///< star formation rate [Msun/yr]
  bool quenched = false;    ///< below the main sequence (drawn from the quenched fraction)
  double infall_mass = 0;   ///< halo (central) or subhalo (satellite) mass used [Msun]
};

/// Star formation and quenching options.
struct StarFormationOptions {
  ShmrParams shmr;                    ///< stellar-to-halo mass relation
  double ms_scatter_dex = 0.2;        ///< main-sequence scatter [dex] (Speagle et al. 2014)
  double quenched_offset_dex = 1.5;   ///< quenched galaxies' log SFR below the main sequence [dex]
  double quenched_scatter_dex = 0.4;  ///< their scatter [dex]
  double quench_mass = 10.56;         ///< log10 p1: mass-quenching scale (Peng et al. 2010) [Msun]
  double quench_slope = 0.6;          ///< beta in f_q = 1 - exp(-(M*/p1)^beta) (Peng 2010, fig. 7)
  double satellite_quenching = 0.4;   ///< satellites' extra quenching efficiency, in [0, 1]
  double subhalo_slope = 0.9;         ///< dN/dln m ~ m^-slope of satellites' subhaloes (> 0)
  double subhalo_max_fraction = 0.3;  ///< largest subhalo / host mass, in (0, 1)
  void validate() const;              ///< throws std::invalid_argument naming the option
};

/// Speagle et al. 2014 main sequence, eq. 28: log SFR = (0.84 - 0.026 t) log M* - (6.51 -
/// 0.11 t), t = age of the Universe [Gyr]; returns log10 SFR [Msun/yr].
double speagle14_log_sfr(double stellar_mass, double age_gyr);

/// Fraction of centrals quenched at stellar mass m* [Msun]: 1 - exp(-(M*/10^quench_mass)^slope)
/// (Peng et al. 2010, mass quenching); satellites: 1 - (1 - f_cen)(1 - satellite_quenching).
double quenched_fraction(const StarFormationOptions& o, double stellar_mass, bool central);

/// Draws a galaxy's stellar mass, SFR and quenching. halo_mass_msun: the host's mass [Msun]
/// (satellites draw a subhalo mass from it: dN/dln m ~ m^-slope between min_subhalo_msun and
/// subhalo_max_fraction x host); z: redshift; age_gyr: cosmic age at z [Gyr]; draws keyed by
/// (seed, galaxy id).
StellarProperties draw_stellar_properties(const StarFormationOptions& o, double halo_mass_msun,
                                          bool central, double min_subhalo_msun, double z,
                                          double age_gyr, std::uint64_t seed,
                                          std::uint64_t galaxy_id);

}  // namespace cosmograd::surveys
