// Single-Sersic galaxy stamps with their truth for the structural-parameter module: each
// galaxy of a lightcone mock (`cosmograd mock catalog`) drawn as one Sersic profile (Sersic
// 1963; Graham & Driver 2005) with its catalogue i-band flux, a van der Wel et al. 2014 size,
// a Sersic index drawn log-uniform, the catalogue's lensed ellipticity, a sub-pixel centre
// offset, its own Moffat (1969) PSF and Gaussian background noise at the catalogue's depth.
// Rendered by the batched renderer (surveys/batched/batched_render.hpp), which is also the
// model of the Levenberg-Marquardt fitter (sersic_fit.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "surveys/properties/photometry_sample.hpp"

namespace cosmograd::surveys {

/// Root attribute `format` of a Sersic stamp file.
inline constexpr const char* kSersicStampFormat = "cosmograd sersic stamps 1";

/// N single-Sersic stamps with their truth; per-stamp arrays have N entries.
struct SersicStampSet {
  int size = 48;                          ///< stamp side S [pixels]
  int psf_size = 9;                       ///< PSF side P [pixels], odd
  double pixel_scale = 0.1;               ///< [arcsec]
  double zero_point = 31.4;               ///< AB magnitude of a flux of 1 (nJy: 31.4)
  double truncation = 4;                  ///< profiles truncated at this many R_e
  int oversample = 3;                     ///< renderer sub-samples per pixel side
  std::string band = "i";                 ///< band of the fluxes and the noise
  std::string source;                     ///< how the set was made (one line)
  std::vector<float> images;              ///< noisy stamps [nJy per pixel] (N * S * S)
  std::vector<float> psfs;                ///< PSF of each stamp, sum 1, centred (N * P * P)
  std::vector<double> noise_sigma;        ///< Gaussian background rms [nJy per pixel]
  std::vector<double> flux;               ///< total flux of the Sersic profile [nJy]
  std::vector<double> half_light_radius;  ///< circularised R_e = sqrt(a b) [pixels]
  std::vector<double> n;                  ///< Sersic index
  std::vector<double> q;                  ///< axis ratio b / a = (1 - |e|) / (1 + |e|)
  std::vector<double> pa;        ///< major-axis angle from +x towards +y [rad], [-pi/2, pi/2)
  std::vector<double> x0, y0;    ///< centre [pixels, image coordinates]
  std::vector<double> mag;       ///< AB magnitude of `flux` [mag]
  std::vector<double> psf_fwhm;  ///< FWHM of the stamp's Moffat PSF [pixels]
  std::vector<double> snr;       ///< matched-filter S/N sqrt(sum model^2) / sigma
  std::vector<double> redshift;  ///< the galaxy's observed redshift
  std::vector<std::int64_t> galaxy_id;  ///< the mock's galaxy id

  /// Number of stamps N.
  std::size_t count() const { return flux.size(); }
  /// Throws std::invalid_argument naming the first bad field, its value and what is allowed.
  void validate() const;
  /// The stamps `rows` in that order (every field copied); throws naming a row out of range.
  SersicStampSet subset(const std::vector<std::size_t>& rows) const;
};

/// How make_sersic_stamps draws and selects the stamps.
struct SersicStampOptions {
  int count = 30000;             ///< stamps wanted (fewer when fewer galaxies pass the cuts)
  int size = 48;                 ///< stamp side [pixels]
  double pixel_scale = 0.1;      ///< [arcsec]
  double max_mag = 24.5;         ///< galaxies with mag_true <= this [AB mag] are candidates
  double min_snr = 20;           ///< keep stamps with matched-filter S/N >= this
  double min_re_pixels = 1;      ///< keep R_e >= this [pixels]
  double max_re_pixels = 6;      ///< keep R_e <= this [pixels]
  double n_min = 0.5;            ///< Sersic index drawn log-uniform in [n_min, n_max]
  double n_max = 6;              ///< (the renderer allows [0.3, 6.2])
  double max_ellipticity = 0.7;  ///< keep |e| <= this (q >= 0.18)
  double psf_fwhm_min = 0.15;    ///< Moffat FWHM uniform in [min, max] per stamp [arcsec]
  double psf_fwhm_max = 0.3;     ///< [arcsec]
  double depth_mag = std::numeric_limits<double>::quiet_NaN();  ///< 5-sigma point-source depth
                                                                ///< [AB mag]; NaN: the sample's m5
  double sky = 20.5;       ///< sky brightness [AB mag / arcsec^2] (LSST i dark sky)
  double read_noise = 9;   ///< read noise [electrons] (enters the background rms only)
  int oversample = 3;      ///< renderer sub-samples per pixel side
  double truncation = 4;   ///< Sersic truncation radius [R_e] (the renderer's, >= 1.5)
  std::uint64_t seed = 1;  ///< order, Sersic index, offsets, PSFs and noise keyed by it
  /// Throws std::invalid_argument naming the field, the value and what is allowed.
  void validate() const;
};

/// Moffat (1969) beta of every stamp's PSF (as `mock stamps`).
inline constexpr double kSersicStampPsfBeta = 3.5;

/// Draws stamps of `sample`'s galaxies (band `band`) in a seeded random order until `count`
/// pass the cuts: R_e from draw_morphology (van der Wel et al. 2014) at the angular-diameter
/// distance of the sample's cosmology, q and PA from the lensed (e1, e2), n log-uniform,
/// centre offset uniform in +-0.5 pixel, PSF FWHM uniform, Gaussian noise of the background rms
/// of noise_model (surveys/images/noise.hpp) at the depth and sky. Throws std::invalid_argument
/// when no galaxy passes, stating the counts after each cut.
SersicStampSet make_sersic_stamps(const PhotometrySample& sample, const std::string& band,
                                  const SersicStampOptions& options);

/// Writes `set` (validated) to `path` as HDF5 (atomically: a temporary file renamed over it).
void write_sersic_stamps(const std::string& path, const SersicStampSet& set);

/// Reads a file of write_sersic_stamps; throws std::runtime_error naming the file and the
/// missing or malformed object.
SersicStampSet read_sersic_stamps(const std::string& path);

/// Axis ratio b / a of an ellipticity (a - b) / (a + b) of modulus `e_abs` in [0, 1).
inline double axis_ratio_of(double e_abs) { return (1 - e_abs) / (1 + e_abs); }

}  // namespace cosmograd::surveys
