// Galaxy mock catalogues: HOD galaxies (hod.hpp) on a snapshot's halos or on the lightcone's
// (lightcone_halos.hpp), with stellar masses and star formation (stellar_mass.hpp), parametric
// SEDs and noisy photometry (sed.hpp, photometry.hpp) and, on the lightcone, convergence,
// shear and lensed shapes (shear_catalog.hpp), as one Table (table.hpp) with truth columns
// beside observed ones. Every random draw is keyed by (seed, galaxy id), so a galaxy's
// properties do not depend on the others, the thread count or the order of work.
#pragma once

#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/measure/fof.hpp"
#include "surveys/mocks/filters.hpp"
#include "surveys/mocks/hod.hpp"
#include "surveys/mocks/lightcone_halos.hpp"
#include "surveys/mocks/photometry.hpp"
#include "surveys/mocks/shear_catalog.hpp"
#include "surveys/mocks/stellar_mass.hpp"
#include "surveys/mocks/table.hpp"

namespace cosmograd::surveys {

/// Everything a galaxy mock needs besides the halos.
struct GalaxyMockOptions {
  HodOptions hod;                       ///< occupation, mass definition, seed
  StarFormationOptions star_formation;  ///< SHMR, main sequence, quenching
  std::vector<Filter> filters;          ///< bands (empty: no photometry)
  std::vector<BandDepth> depths;        ///< one per filter, same order and names
  double snr_threshold = 5.0;           ///< detection threshold flux / flux_err
  int rsd_axis = 2;                     ///< snapshot mode: line of sight (0, 1, 2)
  /// Snapshot mode: the redshift the galaxies are observed at for their magnitudes (< 0: the
  /// snapshot's; magnitudes need z >= 0.001, so a z = 0 snapshot without it gets none).
  double photometry_z = -1.0;
  /// User SED templates per unit stellar mass (L_lambda [erg/s/Angstrom] per Msun) used
  /// instead of the parametric SED for quenched / star-forming galaxies (empty: parametric).
  Sed template_quiescent, template_star_forming;
  double shape_noise = 0.26;  ///< lightcone mode: sigma_e per component
  /// Throws std::invalid_argument naming the option (filters and depths must pair up).
  void validate() const;
};

/// What a mock run produced besides the table.
struct GalaxyMockSummary {
  std::size_t halos = 0;         ///< halos (or halo copies on the lightcone) used
  std::size_t centrals = 0;      ///< central galaxies
  std::size_t satellites = 0;    ///< satellite galaxies
  std::size_t so_fallbacks = 0;  ///< halos without an SO mass that used the FoF mass
  std::size_t outside_maps = 0;  ///< lightcone galaxies outside a flat lensing field (dropped)
};

/// The SED parameters of a galaxy (age, dust, metallicity from its mass, SFR and redshift;
/// scatter drawn from its own stream): quenched galaxies are old (0.75 of the cosmic age) and
/// nearly dust free (A_V = 0.1); star-forming ones 0.1 of the cosmic age (the light-weighted
/// age of a long star-forming history, whose optical light young stars dominate, M/L_V ~ 0.5),
/// with the Garn & Best
/// 2010 (MNRAS 409, 421) mass-dependent Halpha attenuation converted to the stars (x 0.44 R_V /
/// k(Halpha), Calzetti 2000); metallicity from the Tremonti et al. 2004 (ApJ 613, 898)
/// mass-metallicity relation (solar 12 + log O/H = 8.69, Z_sun = 0.02).
SedParams galaxy_sed_params(const StellarProperties& g, double age_of_universe_gyr,
                            std::uint64_t seed, std::uint64_t galaxy_id);

/// Galaxies of one snapshot's halo catalogue in its periodic box: positions, velocities,
/// redshift-space coordinate along rsd_axis, properties at the snapshot's redshift and
/// photometry at photometry_z (default the snapshot's; none below z = 0.001: no distance).
Table galaxy_table_snapshot(const sim::HaloCatalog& catalog, const sim::Cosmology& cosmo,
                            const GalaxyMockOptions& options, GalaxyMockSummary* summary);

/// Galaxies on the lightcone from several snapshots' catalogues (lightcone_halos): sky
/// positions, cosmological and observed redshifts (with the line-of-sight velocity), photometry
/// at each galaxy's redshift, and lensing from `planes` when given (galaxies outside a flat
/// field are dropped and counted).
Table galaxy_table_lightcone(const std::vector<sim::HaloCatalog>& catalogs,
                             const sim::Cosmology& cosmo, const LightconeHaloOptions& lightcone,
                             const std::vector<SourcePlane>& planes,
                             const GalaxyMockOptions& options, GalaxyMockSummary* summary);

}  // namespace cosmograd::surveys
