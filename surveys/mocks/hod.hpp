// Halo occupation distribution (HOD) galaxies: the Zheng et al. 2007 (ApJ 667, 760) central
// and satellite occupations on a halo catalogue, satellites on NFW profiles (Navarro, Frenk &
// White 1997) with the Duffy et al. 2008 (MNRAS 390, L64) concentration, velocities from the
// halo's plus an isotropic Gaussian dispersion, and redshift-space positions.
//
// Mass definitions (what users trip over: nbodykit #634, halotools #958): Zheng et al. 2007
// fitted halos of mean density 200 times the background, so the default is M200m, read from
// the FoF catalogue's spherical-overdensity masses (Group_M_Mean200). M200c and the FoF mass
// itself are selectable; the one used is written into every output.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/measure/fof.hpp"

namespace cosmograd::surveys {

/// Zheng et al. 2007 occupation parameters (masses in Msun/h, log10).
struct HodParams {
  double log_m_min = 12.02;   ///< log10 M_min: <N_cen> = 1/2 at this mass
  double sigma_log_m = 0.26;  ///< width of the central step in log10 M, > 0
  double log_m0 = 11.38;      ///< log10 M_0: satellites only above this mass
  double log_m1 = 13.31;      ///< log10 M_1: satellite normalisation
  double alpha = 1.06;        ///< satellite power-law slope, > 0
  /// Multiply <N_sat> by <N_cen> (halotools' modulate_with_cenocc); off in Zheng et al. 2007.
  bool modulate_satellites = false;

  /// Throws std::invalid_argument naming the parameter when a value is out of range.
  void validate() const;
};

/// A published parameter set by name: "zheng07_mr18", "zheng07_mr18.5", ..., "zheng07_mr22"
/// (Zheng et al. 2007, Table 1, SDSS luminosity thresholds M_r - 5 log h < -18 ... -22).
/// Throws std::invalid_argument listing the names for an unknown one.
HodParams hod_preset(const std::string& name);
/// The names hod_preset accepts.
std::vector<std::string> hod_preset_names();

/// <N_cen>(M) = [1 + erf((log10 M - log M_min) / sigma)] / 2 (Zheng et al. 2007, eq. 2);
/// M [Msun/h] > 0.
double mean_ncen(const HodParams& p, double mass);
/// <N_sat>(M) = ((M - M_0) / M_1)^alpha for M > M_0, else 0 (Zheng et al. 2007, eq. 5), times
/// <N_cen> when modulate_satellites; M [Msun/h] > 0.
double mean_nsat(const HodParams& p, double mass);

/// Which halo mass the occupation uses.
enum class HaloMass { kM200m, kM200c, kFof };
/// "m200m", "m200c" or "fof"; throws std::invalid_argument listing them.
HaloMass parse_halo_mass(const std::string& name);
/// The name parse_halo_mass reads.
const char* halo_mass_name(HaloMass m);

/// Duffy et al. 2008 (Table 1, NFW, full sample, pivot 2e12 Msun/h) concentration for the
/// mass definition: c200c = 5.71 (M/2e12)^-0.084 (1+z)^-0.47, c200m = 10.14 (M/2e12)^-0.081
/// (1+z)^-1.01; the FoF mass is treated as M200m. mass [Msun/h] > 0, z > -1.
double duffy08_concentration(HaloMass definition, double mass, double z);

/// One halo as the HOD sees it.
struct HodHalo {
  std::int64_t id = 0;          ///< index in the halo catalogue
  double mass = 0;              ///< mass of the chosen definition [Msun/h], > 0
  double radius = 0;            ///< its radius R_Delta [comoving Mpc/h], > 0
  std::array<double, 3> pos{};  ///< centre [comoving Mpc/h]
  std::array<double, 3> vel{};  ///< peculiar velocity [km/s]
  double a = 0;                 ///< its own scale factor (lightcone halos); 0: the call's a
};

/// The halos of a FoF catalogue under a mass definition: the SO centre, mass and radius for
/// m200m / m200c (halos whose SO mass is 0, i.e. no resolved dense core, fall back to the FoF
/// mass and its M200m radius at the FoF centre; their count goes to *fallbacks when given),
/// the FoF centre and mass (radius: that of a sphere of 200 x the mean density) for fof.
std::vector<HodHalo> hod_halos(const sim::HaloCatalog& catalog, HaloMass definition,
                               std::size_t* fallbacks = nullptr);

/// How satellites get their velocities.
enum class SatelliteVelocity {
  kVirial,  ///< isotropic Gaussian, 1-D sigma = sqrt(G M / (2 a R)) (physical radius a R)
  kNone,    ///< the halo's velocity only
};

/// HOD sampling options.
struct HodOptions {
  HodParams params;                                         ///< occupation
  HaloMass mass_definition = HaloMass::kM200m;              ///< what `HodHalo::mass` means
  SatelliteVelocity velocity = SatelliteVelocity::kVirial;  ///< satellite dispersion
  double concentration_scale = 1.0;  ///< satellites' concentration / the halos' (> 0)
  std::uint64_t seed = 1;            ///< random streams keyed by (seed, halo id)
};

/// One HOD galaxy.
struct HodGalaxy {
  std::int64_t halo_id = 0;     ///< HodHalo::id of its host
  bool central = false;         ///< central (at the halo centre) or satellite
  std::array<double, 3> pos{};  ///< position [comoving Mpc/h] (wrapped into [0, L) if L > 0)
  std::array<double, 3> vel{};  ///< peculiar velocity [km/s]
  double halo_mass = 0;         ///< host mass of the chosen definition [Msun/h]
  double r_over_rhalo = 0;      ///< distance from the centre / R_Delta (0 for centrals)
};

/// Galaxies of the halos: a central with probability <N_cen> at the centre with the halo's
/// velocity; a Poisson number of satellites of mean <N_sat>, each at an NFW radius (inverted
/// enclosed mass, truncated at R_Delta, concentration duffy08_concentration x scale at
/// redshift 1/a - 1, a = the halo's own a when set) in an isotropic direction, with the halo's
/// velocity plus the dispersion. Draws are keyed by (seed, halo id), so a halo's galaxies do not
/// depend on the others. box_size > 0 wraps positions periodically; 0 leaves them as they are
/// (lightcone halos).
std::vector<HodGalaxy> populate_hod(const std::vector<HodHalo>& halos, const HodOptions& options,
                                    double a, double box_size);

/// Redshift-space position along `axis` (0, 1, 2): x + v_axis / (a H(a)) with H = 100 E(a)
/// [km/s / (Mpc/h)] (Kaiser 1987), wrapped into [0, L) when box_size > 0 [Mpc/h].
double redshift_space_coordinate(double x, double v_axis, const sim::Cosmology& cosmo, double a,
                                 double box_size);

}  // namespace cosmograd::surveys
