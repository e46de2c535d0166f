// Shared pieces of `cosmograd properties`: the galaxy sample keys (catalogue, magnitude cut,
// train / validation / test split), recording them in a model header so evaluation uses the
// same held-out galaxies, and the tables and plots of the photo-z and mass reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "apps/emulate_common.hpp"  // seconds_since
#include "nn/train/model_file.hpp"
#include "sim/core/settings.hpp"
#include "surveys/properties/photometry_sample.hpp"
#include "surveys/properties/redshift_pdf.hpp"

namespace cosmograd::apps {

/// The keys galaxies, band, max_mag, z_max, validation_fraction, test_fraction, split_seed.
std::vector<sim::KeySpec> sample_keys();

/// A galaxy sample with its cuts and split.
struct LoadedSample {
  surveys::PhotometrySample sample;  ///< the galaxies passing the cuts
  surveys::SampleCuts cuts;          ///< the cuts
  double validation_fraction = 0.1;  ///< split fractions
  double test_fraction = 0.2;        ///< held-out fraction
  std::uint64_t split_seed = 1;      ///< split seed
  surveys::SampleSplit split;        ///< the split
};

/// Reads the sample the sample_keys of `s` describe (bad_setting when galaxies is empty).
LoadedSample load_sample(const sim::Settings& s);

/// Records cuts and split in `h` (sample_*) so load_sample_like can repeat them.
void add_sample_header(nn::ModelHeader& h, const LoadedSample& l);

/// The sample of `galaxies` with the cuts and split recorded in header `h` (of a model trained
/// by a properties command).
LoadedSample load_sample_like(const std::string& galaxies, const nn::ModelHeader& h);

/// The keys z_grid_min, z_grid_max, z_grid_points of the p(z) grid.
std::vector<sim::KeySpec> grid_keys();

/// The p(z) grid of the grid_keys of `s` (bad_setting naming the key when out of range).
surveys::RedshiftGrid grid_from(const sim::Settings& s);

/// Median and 1.4826 x median absolute deviation of x [x units].
void median_nmad(const std::vector<double>& x, double* median, double* nmad);

}  // namespace cosmograd::apps
