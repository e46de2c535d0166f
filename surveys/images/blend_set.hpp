// Blend stamps for deblenders in the manner of the BlendingToolKit (BTK; Mendoza et al. 2024):
// each stamp holds 1-4 galaxies of a lightcone mock brighter than the LSST gold-sample cut,
// offset uniformly from the centre (BTK's default sampling function), drawn in every band with
// that band's Moffat PSF, with noise at the catalogue's depths. Every galaxy's noiseless image
// alone is kept, so the noiseless blend is their sum; a segmentation map and per-galaxy
// blendedness and S/N come with them.
//
// File layout of write_blend_set (HDF5, written atomically):
//   /images        float32 (N, B, S, S)     noisy blends [nJy per pixel], rows iy then ix
//   /isolated      float32 (N, M, B, S, S)  each slot's noiseless galaxy alone (0: empty slot)
//   /segmentation  int32 (N, S, S)          0 background, else 1 + slot
//   /n_galaxies    int32 (N)                galaxies in the stamp (slots 0 .. n - 1)
//   /psfs          float32 (B, P, P)        each band's PSF, P odd, centred, sum 1
//   root attributes: bands (comma-separated), unit (nJy), pixel_scale [arcsec], ref_band,
//   sigma (B values: background rms per pixel [nJy])
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "surveys/images/scene.hpp"
#include "surveys/mocks/table.hpp"

namespace cosmograd::surveys {

/// Per-band values such as a PSF FWHM [arcsec] or a sky brightness [mag/arcsec^2].
using BandValues = std::vector<std::pair<std::string, double>>;

/// Delivered seeing theta_eff [arcsec] of LSST per band (Ivezic et al. 2019, ApJ 873, 111,
/// Table 2): u 0.92, g 0.87, r 0.83, i 0.80, z 0.78, y 0.76.
BandValues lsst_seeing_fwhm();

/// LSST dark-sky brightness per band [AB mag/arcsec^2] (Ivezic et al. 2019, Table 2): u 22.9,
/// g 22.3, r 21.2, i 20.5, z 19.6, y 18.6.
BandValues lsst_sky_mag();

/// How the blend stamps are drawn.
struct BlendSetOptions {
  int count = 500;           ///< stamps, in [1, 1e6]
  int size = 120;            ///< stamp side [pixels] (24 arcsec at 0.2 arcsec)
  double pixel_scale = 0.2;  ///< pixel side [arcsec]
  int min_blend = 1;         ///< fewest galaxies per stamp (count uniform in [min, max])
  int max_blend = 4;         ///< most galaxies per stamp, <= 32
  /// Each galaxy's offset from the stamp centre is uniform in [-max_shift, max_shift] per axis
  /// [arcsec] (BTK's DefaultSampling).
  double max_shift = 2.0;
  std::string ref_band = "i";      ///< band of the magnitude cut, blendedness, S/N, segmentation
  double max_mag = 25.3;           ///< galaxies with ref-band mag <= this [AB] (LSST gold sample)
  std::vector<std::string> bands;  ///< bands to draw (empty: every mag_true_<band>)
  BandValues psf_fwhm = lsst_seeing_fwhm();  ///< Moffat FWHM per band [arcsec]; others 0.8
  double psf_beta = 3.5;                     ///< Moffat beta
  BandValues sky_mag = lsst_sky_mag();       ///< sky per band [AB mag/arcsec^2]; others 21.2
  double read_noise = 9.0;                   ///< read noise per pixel [electrons]
  double segmentation_sigma = 1.0;           ///< segment threshold [ref band background sigma]
  std::uint64_t seed = 1;                    ///< draws keyed by (seed, stamp index)
  GalaxyPainter painter;                     ///< galaxy light before the PSF (empty: bulge + disk)
  /// Throws std::invalid_argument naming the option, its value and what is allowed.
  void validate() const;
  /// The PSF FWHM of `band` [arcsec] (0.8 when not listed).
  double fwhm_of(const std::string& band) const;
  /// The sky brightness of `band` [AB mag/arcsec^2] (21.2 when not listed).
  double sky_of(const std::string& band) const;
};

/// The stamps, every galaxy's isolated image and the truth.
struct BlendSet {
  std::vector<std::string> bands;  ///< band order of the images
  std::string ref_band;            ///< the reference band
  int size = 0;                    ///< stamp side S [pixels]
  int max_blend = 0;               ///< slots per stamp M
  int psf_size = 0;                ///< PSF side P [pixels], odd
  std::vector<float> images;       ///< N x B x S x S noisy blends [nJy per pixel]
  /// N x M x B x S x S noiseless PSF-convolved galaxies alone [nJy per pixel]; 0 in empty slots.
  std::vector<float> isolated;
  std::vector<std::int32_t> segmentation;  ///< N x S x S: 0 background, else 1 + slot
  std::vector<std::int32_t> n_galaxies;    ///< N: galaxies per stamp
  std::vector<float> psfs;                 ///< B x P x P, each sums to 1
  std::vector<double> sigma;               ///< per band: background rms [nJy per pixel]
  double pixel_scale = 0.2;                ///< [arcsec]
  Table truth;                             ///< one row per galaxy (table "truth")
  /// Number of stamps N.
  std::size_t count() const { return n_galaxies.size(); }
};

/// Draws the stamps from a lightcone galaxy table (galaxy_id, redshift_true, stellar_mass,
/// quenched, mag_true_<band>, optionally e1, e2; metadata M5_<band>). Stamp k draws from the
/// stream (seed, kBlendSet, k), so it does not depend on count. Throws std::invalid_argument
/// naming a missing column, band, depth or ref_band, or when no galaxy passes max_mag.
BlendSet make_blend_set(const Table& galaxies, const sim::Cosmology& cosmo,
                        const BlendSetOptions& options);

/// Writes `set` to `path` (HDF5, atomic) in the layout above; /isolated is chunked per stamp
/// and compressed (shuffle + deflate level 4) when HDF5 has deflate.
void write_blend_set(const std::string& path, const BlendSet& set, double pixel_scale);

/// Reads the set `cosmograd mock blends` wrote to `dir` (blends.h5 and the truth table in
/// truth.h5); /isolated only when `with_isolated` (it is the largest array). Throws
/// std::runtime_error naming the file and the missing or malformed object.
BlendSet read_blend_set(const std::string& dir, bool with_isolated = false);

}  // namespace cosmograd::surveys
