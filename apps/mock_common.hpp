// Shared pieces of `cosmograd mock catalog|lightcurves`: table files, the catalogue's report
// (summary, HOD occupation, colour tracks) and the light-curve mode.
#pragma once

#include <string>
#include <vector>

#include "driver/output_dir.hpp"
#include "sim/core/settings.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/measure/fof.hpp"
#include "surveys/mocks/galaxy_catalog.hpp"
#include "surveys/mocks/table.hpp"

namespace cosmograd::apps {

/// The table "galaxies" of a `mock catalog` file; throws std::invalid_argument naming the file
/// when it has none.
surveys::Table read_galaxy_table(const std::string& path);

/// The mock's cosmology: Planck 2015 with the galaxy table's OmegaM and HubbleParam metadata.
sim::Cosmology mock_cosmology(const surveys::Table& galaxies);

/// The key `seed` as a non-negative integer (bad_setting otherwise).
std::uint64_t seed_setting(const sim::Settings& s);

/// Closes a mock's output directory: writes `summary` (when not empty) to summary.txt and the
/// settings to config.ini, then the manifest of `files` and those two (paths in `out`).
void finish_mock_dir(const driver::OutputDir& out, std::vector<std::string> files,
                     const std::string& summary, const sim::Settings& s,
                     const std::string& command);

/// Throws std::invalid_argument naming `format` unless it is hdf5, fits or both.
void check_table_format(const std::string& format);

/// Writes `tables` to <stem>.h5 and/or <stem>.fits; returns the paths written.
std::vector<std::string> write_mock_tables(const std::string& stem,
                                           const std::vector<surveys::Table>& tables,
                                           const std::string& format);

/// Writes summary.txt, hod_occupation.txt/.png (measured <N_cen>, <N_sat> per halo-mass bin
/// against Zheng et al. 2007; box mode also the galaxy density against the Tinker et al. 2008
/// mass-function integral) and colours_vs_z.png (parametric SED tracks with the mock's
/// galaxies) into `dir`; returns the paths written.
std::vector<std::string> write_catalog_report(const std::string& dir, const surveys::Table& table,
                                              const std::vector<sim::HaloCatalog>& catalogs,
                                              const sim::Cosmology& cosmo,
                                              const surveys::GalaxyMockOptions& options,
                                              const surveys::GalaxyMockSummary& summary,
                                              bool lightcone);

/// `cosmograd mock lightcurves ...` (the arguments after the mode).
int mock_lightcurves(const std::vector<std::string>& args);

/// `cosmograd mock images ...` (the arguments after the mode).
int mock_images(const std::vector<std::string>& args);

/// `cosmograd mock lenses ...` (the arguments after the mode).
int mock_lenses(const std::vector<std::string>& args);

}  // namespace cosmograd::apps
