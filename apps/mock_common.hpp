// Shared pieces of `cosmograd mock catalog|lightcurves`: table files, the catalogue's report
// (summary, HOD occupation, colour tracks) and the light-curve mode.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "driver/output_dir.hpp"
#include "sim/core/settings.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/measure/fof.hpp"
#include "surveys/images/scene.hpp"
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

/// The key `key` as "band:value,..." pairs (bad_setting naming it when an item is not
/// BAND:NUMBER); an empty value gives none.
std::vector<std::pair<std::string, double>> band_values(const sim::Settings& s,
                                                        const std::string& key);

/// Writes a 4 x 4 grid PNG of Lupton et al. (2004) colour composites (bands 3, 2, 1: i, r, g
/// of ugrizy; the last three of 3 bands) of the stamps `cells` (up to 16 indices into
/// `images`, N x bands x size x size [nJy per pixel]; an index >= N leaves its cell black),
/// each pixel drawn zoom x zoom, the stretch a tenth of the stamp's brightest red pixel (at
/// least 1 nJy), q = 8. Writes nothing and returns false with fewer than 3 bands.
bool write_stamp_grid_png(const std::string& path, const std::vector<float>& images,
                          std::size_t bands, int size, const std::vector<std::size_t>& cells,
                          int zoom);

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

/// The key `generative_model` of the image modes (a galaxy_vae.pt of `imagegen train`).
sim::KeySpec generative_model_key();

/// The painter of the key `generative_model`: samples of that model drawn with `seed`, or an
/// empty painter (bulge + disk) when the key is empty.
surveys::GalaxyPainter generative_painter(const sim::Settings& s, std::uint64_t seed);

/// `cosmograd mock lightcurves ...` (the arguments after the mode).
int mock_lightcurves(const std::vector<std::string>& args);

/// `cosmograd mock images ...` (the arguments after the mode).
int mock_images(const std::vector<std::string>& args);

/// `cosmograd mock lenses ...` (the arguments after the mode).
int mock_lenses(const std::vector<std::string>& args);

/// `cosmograd mock stamps ...` (the arguments after the mode): single-galaxy stamps for
/// generative image models (apps/cmd_mock_stamps.cpp).
int mock_stamps(const std::vector<std::string>& args);

/// `cosmograd mock blends ...` (the arguments after the mode).
int mock_blends(const std::vector<std::string>& args);

}  // namespace cosmograd::apps
