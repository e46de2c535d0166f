// Galaxy photometry samples for the property modules (photometric redshifts, stellar masses,
// multi-band stamps): the measured fluxes of a lightcone galaxy mock (`cosmograd mock catalog`)
// with their truth (redshift, stellar mass, SED parameters, shape), a magnitude cut, a
// deterministic train / validation / test split and the networks' input features. The truth is
// the mock's own (synthetic): a galaxy's "spectroscopic" redshift is its observed redshift.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// N galaxies' photometry in B bands with their truth; per-galaxy arrays have N entries,
/// per-band arrays N * B (row-major: galaxy, then band).
struct PhotometrySample {
  std::vector<std::string> bands;        ///< band names, the order of the per-band arrays
  std::vector<double> m5;                ///< 5-sigma depth of each band [AB mag] (B values)
  std::vector<double> flux;              ///< measured flux [nJy], may be negative (N * B)
  std::vector<double> flux_err;          ///< 1-sigma flux error [nJy] (N * B)
  std::vector<double> mag_true;          ///< noiseless AB magnitude [mag] (N * B)
  std::vector<double> redshift;          ///< observed redshift (the truth, "z_spec")
  std::vector<double> log_stellar_mass;  ///< log10 stellar mass [log10 Msun] (Chabrier)
  std::vector<double> log_sfr;           ///< log10 star formation rate [log10 Msun/yr]
  std::vector<double> sed_age;           ///< age of the SED's evolved population [Gyr]
  std::vector<double> sed_dust_av;       ///< V-band attenuation of the stars [mag]
  std::vector<double> sed_metallicity;   ///< metal mass fraction Z
  std::vector<std::uint8_t> quenched;    ///< 1: quenched, 0: star forming
  std::vector<double> e1, e2;            ///< lensed ellipticity (a - b) / (a + b)
  std::vector<std::int64_t> galaxy_id;   ///< the mock's galaxy id
  double omega_m = 0.3;                  ///< the mock's Omega_m
  double hubble = 0.7;                   ///< the mock's h
  std::uint64_t mock_seed = 0;           ///< the mock's seed (keys its morphology draws)
  std::string source;                    ///< the file it was read from

  /// Number of galaxies N.
  std::size_t count() const { return redshift.size(); }
  /// Number of bands B.
  std::size_t band_count() const { return bands.size(); }
  /// The galaxies `rows`, in that order, every field copied.
  PhotometrySample subset(const std::vector<std::size_t>& rows) const;
  /// The index of band `name`; throws std::invalid_argument listing the bands.
  std::size_t band_index(const std::string& name) const;
};

/// Which galaxies enter a sample.
struct SampleCuts {
  std::string band = "i";  ///< band of the magnitude cut
  double max_mag = 25.3;   ///< keep galaxies detected in `band` with measured mag <= this [mag]
                           ///< (25.3: the LSST gold sample, Ivezic et al. 2019)
  double z_max = 10;       ///< keep redshift <= this
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// Reads the galaxies of a lightcone mock (galaxies.h5 of `cosmograd mock catalog`, table
/// "galaxies", with photometry) passing `cuts`; throws std::runtime_error naming the file and the
/// missing column or metadata.
PhotometrySample read_photometry_sample(const std::string& path, const SampleCuts& cuts);

/// Rows of a sample in three disjoint parts.
struct SampleSplit {
  std::vector<std::size_t> train, validation, test;  ///< ascending row indices
};

/// Deterministic split keyed by a hash of (galaxy_id, seed), so a galaxy's part depends on
/// nothing else (not the cut, not the other galaxies): a galaxy is in the test part with
/// probability test_fraction, in validation with validation_fraction, else in train.
SampleSplit split_sample(const PhotometrySample& sample, double validation_fraction,
                         double test_fraction, std::uint64_t seed);

/// Number of features photometry_features gives per galaxy for B bands: B asinh magnitudes
/// and B - 1 adjacent colours.
inline std::size_t photometry_feature_count(std::size_t bands) { return 2 * bands - 1; }

/// Network inputs of the rows `rows` (N_rows * F, row-major): per band the asinh magnitude of
/// Lupton, Gunn & Szalay 1999 (AJ 118, 1406, eq. 3) with softening b = the band's flux error,
/// mu = 31.4 - 2.5 / ln 10 [asinh(f / 2b) + ln b] (finite for negative and zero fluxes, equal
/// to the AB magnitude for f >> b), then the colours mu_b - mu_{b+1}.
std::vector<float> photometry_features(const PhotometrySample& sample,
                                       const std::vector<std::size_t>& rows);

/// Asinh magnitude [mag] of flux f [nJy] with softening b [nJy] > 0 (Lupton et al. 1999).
double asinh_magnitude(double flux, double softening);

}  // namespace cosmograd::surveys
