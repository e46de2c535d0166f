// Galaxy photometry samples of a lightcone mock: reading, cuts, split and features.
#include "surveys/properties/photometry_sample.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/core/require.hpp"
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/table.hpp"

namespace cosmograd::surveys {
namespace {

/// The numeric metadata `name` of table t; throws naming the file when it is missing.
double meta(const Table& t, const std::string& name, const std::string& path) {
  for (const auto& [key, value] : t.numeric_meta)
    if (key == name) return value;
  throw std::runtime_error(path + ": table '" + t.name + "' has no metadata " + name +
                           " (allowed: a galaxy mock of `cosmograd mock catalog`)");
}

/// Column `name` of t as doubles (float64 columns); errors name the file.
const std::vector<double>& doubles(const Table& t, const std::string& name,
                                   const std::string& path) {
  try {
    return t.column(name).as<double>();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

/// Column `name` of t as flags; errors name the file.
const std::vector<bool>& flags(const Table& t, const std::string& name, const std::string& path) {
  try {
    return t.column(name).as<bool>();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace

PhotometrySample PhotometrySample::subset(const std::vector<std::size_t>& rows) const {
  PhotometrySample out;
  out.bands = bands;
  out.m5 = m5;
  out.omega_m = omega_m;
  out.hubble = hubble;
  out.mock_seed = mock_seed;
  out.source = source;
  const std::size_t nb = band_count();
  for (std::size_t r : rows) {
    if (r >= count())
      throw std::out_of_range("PhotometrySample::subset: row " + std::to_string(r) + " of " +
                              std::to_string(count()));
    for (std::size_t b = 0; b < nb; ++b) {
      out.flux.push_back(flux[r * nb + b]);
      out.flux_err.push_back(flux_err[r * nb + b]);
      out.mag_true.push_back(mag_true[r * nb + b]);
    }
    out.redshift.push_back(redshift[r]);
    out.log_stellar_mass.push_back(log_stellar_mass[r]);
    out.log_sfr.push_back(log_sfr[r]);
    out.sed_age.push_back(sed_age[r]);
    out.sed_dust_av.push_back(sed_dust_av[r]);
    out.sed_metallicity.push_back(sed_metallicity[r]);
    out.quenched.push_back(quenched[r]);
    out.e1.push_back(e1[r]);
    out.e2.push_back(e2[r]);
    out.galaxy_id.push_back(galaxy_id[r]);
  }
  return out;
}

std::size_t PhotometrySample::band_index(const std::string& name) const {
  std::string list;
  for (std::size_t b = 0; b < bands.size(); ++b) {
    if (bands[b] == name) return b;
    list += (b ? ", " : "") + bands[b];
  }
  throw std::invalid_argument("band '" + name + "' is not in the sample (allowed: " + list + ")");
}

void SampleCuts::validate() const {
  sim::require(!band.empty(), "band", 0.0, "a band name of the catalogue");
  sim::require(std::isfinite(max_mag), "max_mag", max_mag, "finite [mag]");
  sim::require(z_max > 0 && !std::isnan(z_max), "z_max", z_max, "> 0");
}

PhotometrySample read_photometry_sample(const std::string& path, const SampleCuts& cuts) {
  cuts.validate();
  const std::vector<Table> tables = read_tables_hdf5(path);
  const Table* t = nullptr;
  for (const Table& x : tables)
    if (x.name == "galaxies") t = &x;
  if (!t)
    throw std::runtime_error(path +
                             ": no table 'galaxies' (allowed: galaxies.h5 of `cosmograd "
                             "mock catalog`)");
  PhotometrySample s;
  s.source = path;
  s.omega_m = meta(*t, "OmegaM", path);
  s.hubble = meta(*t, "HubbleParam", path);
  s.mock_seed = static_cast<std::uint64_t>(meta(*t, "Seed", path));
  for (const auto& [key, value] : t->numeric_meta)
    if (key.rfind("M5_", 0) == 0) {
      s.bands.push_back(key.substr(3));
      s.m5.push_back(value);
    }
  if (s.bands.empty())
    throw std::runtime_error(path +
                             ": the galaxy table has no photometry (no M5_<band> "
                             "metadata; allowed: a mock made with filters and depths)");
  s.band_index(cuts.band);  // throws, listing the bands, when the cut's band is missing
  const std::size_t nb = s.bands.size();
  std::vector<const std::vector<double>*> flux(nb), err(nb), truth(nb);
  for (std::size_t b = 0; b < nb; ++b) {
    flux[b] = &doubles(*t, "flux_" + s.bands[b], path);
    err[b] = &doubles(*t, "flux_err_" + s.bands[b], path);
    truth[b] = &doubles(*t, "mag_true_" + s.bands[b], path);
  }
  const auto& mag = doubles(*t, "mag_" + cuts.band, path);
  const auto& detected = flags(*t, "detected_" + cuts.band, path);
  const auto& z = doubles(*t, "redshift", path);
  const auto& mstar = doubles(*t, "stellar_mass", path);
  const auto& sfr = doubles(*t, "sfr", path);
  const auto& age = doubles(*t, "sed_age", path);
  const auto& dust = doubles(*t, "sed_dust_av", path);
  const auto& metal = doubles(*t, "sed_metallicity", path);
  const auto& quenched = flags(*t, "quenched", path);
  const auto& e1 = doubles(*t, "e1", path);
  const auto& e2 = doubles(*t, "e2", path);
  const auto& id = t->column("galaxy_id").as<std::int64_t>();
  for (std::size_t r = 0; r < z.size(); ++r) {
    if (!detected[r] || !(mag[r] <= cuts.max_mag) || !(z[r] <= cuts.z_max)) continue;
    for (std::size_t b = 0; b < nb; ++b) {
      s.flux.push_back((*flux[b])[r]);
      s.flux_err.push_back((*err[b])[r]);
      s.mag_true.push_back((*truth[b])[r]);
    }
    s.redshift.push_back(z[r]);
    s.log_stellar_mass.push_back(std::log10(mstar[r]));
    s.log_sfr.push_back(std::log10(std::max(sfr[r], 1e-12)));
    s.sed_age.push_back(age[r]);
    s.sed_dust_av.push_back(dust[r]);
    s.sed_metallicity.push_back(metal[r]);
    s.quenched.push_back(quenched[r] ? 1 : 0);
    s.e1.push_back(e1[r]);
    s.e2.push_back(e2[r]);
    s.galaxy_id.push_back(id[r]);
  }
  if (s.count() == 0)
    throw std::runtime_error(path + ": no galaxy passes " + cuts.band +
                             " <= " + std::to_string(cuts.max_mag) +
                             " and z <= " + std::to_string(cuts.z_max));
  return s;
}

SampleSplit split_sample(const PhotometrySample& sample, double validation_fraction,
                         double test_fraction, std::uint64_t seed) {
  sim::require(validation_fraction >= 0 && validation_fraction < 1, "validation_fraction",
               validation_fraction, "in [0, 1)");
  sim::require(test_fraction >= 0 && test_fraction + validation_fraction < 1, "test_fraction",
               test_fraction, "in [0, 1 - validation_fraction)");
  SampleSplit split;
  for (std::size_t r = 0; r < sample.count(); ++r) {
    MockRng rng(seed, MockStream::kSampleSplit, static_cast<std::uint64_t>(sample.galaxy_id[r]));
    const double u = rng.uniform();
    if (u < test_fraction)
      split.test.push_back(r);
    else if (u < test_fraction + validation_fraction)
      split.validation.push_back(r);
    else
      split.train.push_back(r);
  }
  return split;
}

double asinh_magnitude(double flux, double softening) {
  // Lupton, Gunn & Szalay 1999, eq. 3 with f0 = 10^(0.4 * 31.4) nJy: mu = m0 - a [asinh(f / 2b)
  // + ln b], a = 2.5 / ln 10, b in nJy.
  constexpr double a = 2.5 / 2.302585092994046;
  return 31.4 - a * (std::asinh(flux / (2 * softening)) + std::log(softening));
}

std::vector<float> photometry_features(const PhotometrySample& sample,
                                       const std::vector<std::size_t>& rows) {
  const std::size_t nb = sample.band_count(), nf = photometry_feature_count(nb);
  std::vector<float> out(rows.size() * nf);
  std::vector<double> mu(nb);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const std::size_t r = rows[k];
    for (std::size_t b = 0; b < nb; ++b)
      mu[b] = asinh_magnitude(sample.flux[r * nb + b], sample.flux_err[r * nb + b]);
    float* f = out.data() + k * nf;
    for (std::size_t b = 0; b < nb; ++b) f[b] = static_cast<float>(mu[b]);
    for (std::size_t b = 0; b + 1 < nb; ++b) f[nb + b] = static_cast<float>(mu[b] - mu[b + 1]);
  }
  return out;
}

}  // namespace cosmograd::surveys
