// Shared pieces of `cosmograd properties`: sample keys, split bookkeeping, robust statistics.
#include "apps/properties_common.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/require.hpp"

namespace cosmograd::apps {

std::vector<sim::KeySpec> sample_keys() {
  return {
      {"galaxies", "", "", "lightcone galaxy mock with photometry (galaxies.h5 of `mock catalog`)"},
      {"band", "", "i", "band of the magnitude cut"},
      {"max_mag", "mag", "25.3", "keep galaxies detected in band with measured mag <= this"},
      {"z_max", "", "10", "keep galaxies with redshift <= this"},
      {"validation_fraction", "", "0.1", "galaxies for model selection (by a galaxy-id hash)"},
      {"test_fraction", "", "0.2", "held-out galaxies for evaluate (by a galaxy-id hash)"},
      {"split_seed", "", "1", "seed of the train / validation / test hash"},
  };
}

LoadedSample load_sample(const sim::Settings& s) {
  LoadedSample l;
  if (s.get_string("galaxies").empty())
    sim::bad_setting("galaxies", "", "is empty (allowed: galaxies.h5 of `cosmograd mock catalog`)");
  l.cuts.band = s.get_string("band");
  l.cuts.max_mag = s.get_double("max_mag");
  l.cuts.z_max = s.get_double("z_max");
  l.validation_fraction = s.get_double("validation_fraction");
  l.test_fraction = s.get_double("test_fraction");
  const long long seed = s.get_int("split_seed");
  if (seed < 0) sim::bad_setting("split_seed", std::to_string(seed), "is negative (allowed: >= 0)");
  l.split_seed = static_cast<std::uint64_t>(seed);
  l.sample = surveys::read_photometry_sample(s.get_string("galaxies"), l.cuts);
  l.split = surveys::split_sample(l.sample, l.validation_fraction, l.test_fraction, l.split_seed);
  return l;
}

void add_sample_header(nn::ModelHeader& h, const LoadedSample& l) {
  h.set("sample_galaxies", l.sample.source);
  h.set("sample_count", static_cast<int64_t>(l.sample.count()));
  h.set("sample_band", l.cuts.band);
  h.set("sample_max_mag", l.cuts.max_mag);
  h.set("sample_z_max", l.cuts.z_max);
  h.set("sample_validation_fraction", l.validation_fraction);
  h.set("sample_test_fraction", l.test_fraction);
  h.set("sample_split_seed", static_cast<int64_t>(l.split_seed));
  h.set("sample_train", static_cast<int64_t>(l.split.train.size()));
  h.set("sample_validation", static_cast<int64_t>(l.split.validation.size()));
  h.set("sample_test", static_cast<int64_t>(l.split.test.size()));
}

LoadedSample load_sample_like(const std::string& galaxies, const nn::ModelHeader& h) {
  LoadedSample l;
  l.cuts.band = h.get("sample_band");
  l.cuts.max_mag = h.get_double("sample_max_mag");
  l.cuts.z_max = h.get_double("sample_z_max");
  l.validation_fraction = h.get_double("sample_validation_fraction");
  l.test_fraction = h.get_double("sample_test_fraction");
  l.split_seed = static_cast<std::uint64_t>(h.get_int("sample_split_seed"));
  l.sample = surveys::read_photometry_sample(galaxies, l.cuts);
  l.split = surveys::split_sample(l.sample, l.validation_fraction, l.test_fraction, l.split_seed);
  return l;
}

std::vector<sim::KeySpec> grid_keys() {
  return {{"z_grid_min", "", "0", "first point of the p(z) grid"},
          {"z_grid_max", "", "1.5", "last point of the p(z) grid"},
          {"z_grid_points", "", "301", "points of the p(z) grid"}};
}

surveys::RedshiftGrid grid_from(const sim::Settings& s) {
  surveys::RedshiftGrid g;
  g.z_min = s.get_double("z_grid_min");
  g.z_max = s.get_double("z_grid_max");
  const long long n = s.get_int("z_grid_points");
  if (n < 3 || n > 100000)
    sim::bad_setting("z_grid_points", std::to_string(n), "is out of range (allowed: 3 to 100000)");
  g.points = static_cast<int>(n);
  g.validate();
  return g;
}

void median_nmad(const std::vector<double>& x, double* median, double* nmad) {
  std::vector<double> v = x;
  if (v.empty()) {
    *median = *nmad = std::nan("");
    return;
  }
  auto mid = [](std::vector<double>& w) {
    std::sort(w.begin(), w.end());
    const std::size_t n = w.size();
    return n % 2 ? w[n / 2] : 0.5 * (w[n / 2 - 1] + w[n / 2]);
  };
  *median = mid(v);
  for (double& d : v) d = std::abs(d - *median);
  *nmad = 1.4826 * mid(v);
}

}  // namespace cosmograd::apps
